"""`python -m hubextras.testing.github` serves a stand-in until Ctrl-C (cli.py)."""

from __future__ import annotations

import re
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import requests
from standin_client import CALLBACK

ROOT = Path(__file__).resolve().parents[3]


def test_module_runs_as_a_script_and_prints_its_url():
    command = [sys.executable, "-m", "hubextras.testing.github", "--port", "0", "--quiet"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                assert selector.select(timeout=20), "the stand-in printed nothing within 20 s"
            url = process.stdout.readline().strip()
            profile = requests.get(f"{url}/api/v3/user", timeout=5)
            approval = requests.get(
                f"{url}/login/oauth/authorize",
                params={"redirect_uri": CALLBACK, "login": "alice"},
                timeout=5,
                allow_redirects=False,
            )
        finally:
            process.send_signal(signal.SIGINT)
            exit_code = process.wait(timeout=10)

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0")
    assert (profile.status_code, approval.status_code) == (401, 302)
    assert exit_code == 0, "Ctrl-C stops it cleanly"
