"""The demo hub as a person runs it (`python -m hubextras.demo`), driven from a test: start, sign in, stop.

And what to look at afterwards: the process tree it had, its ports.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nothing listens there, so a new hub could bind it (as servers do, with SO_REUSEADDR: closed
    connections may linger in TIME_WAIT)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def process_tree(pid: int) -> set[int]:
    """`pid`'s descendants, from `ps` (not from the demo's own bookkeeping)."""
    rows = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for row in rows.splitlines():
        child, parent = map(int, row.split())
        children.setdefault(parent, []).append(child)
    found, frontier = set(), [pid]
    while frontier:
        for child in children.get(frontier.pop(), []):
            found.add(child)
            frontier.append(child)
    return found


def running(pids: set[int]) -> set[int]:
    rows = subprocess.run(["ps", "-o", "pid=,stat=", "-p", ",".join(map(str, pids))], capture_output=True, text=True)
    return {int(pid) for pid, stat in (row.split() for row in rows.stdout.splitlines()) if not stat.startswith("Z")}


class Demo:
    """`python -m hubextras.demo` on free ports; temp folders under `tmp_path`.

    By default the source tree's hubextras, run from the repository (its node_modules proxy); `python`
    and `cwd` run another installation (a wheel in a fresh venv) from elsewhere.
    """

    def __init__(self, tmp_path: Path, *args: str, python: str = sys.executable, cwd: Path = REPO,
                 env: dict | None = None):
        self.port, self.standin_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [python, "-m", "hubextras.demo", "--port", str(self.port),
                   "--standin-port", str(self.standin_port), *args]
        if env is None:
            env = {**os.environ, "PYTHONPATH": str(REPO)}
        env = {**env, "TMPDIR": str(tmp_path)}
        env.pop("JUPYTERHUB_CRYPT_KEY", None)
        self.proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while "Press Ctrl-C to stop." not in self.output:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"the demo did not start:\n{self.output}")
            time.sleep(0.2)
        return self.output

    def sign_in(self, login: str) -> tuple[requests.Session, requests.Response]:
        """The OAuth flow a browser makes: hub -> stand-in's authorize page (as `login`) -> hub."""
        session = requests.Session()
        authorize = session.get(f"{self.url}/hub/oauth_login", allow_redirects=False, timeout=30)
        assert authorize.status_code == 302, authorize.text
        approved = session.get(authorize.headers["Location"], params={"login": login}, allow_redirects=False,
                               timeout=30)
        assert approved.status_code == 302, approved.text
        return session, session.get(approved.headers["Location"], timeout=60)

    def close(self) -> None:
        """After a test: stop the demo as Ctrl-C would, and kill what is left if it does not."""
        if self.proc.poll() is not None:
            return
        tree = process_tree(self.proc.pid)
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            for pid in running(tree | {self.proc.pid}):
                os.kill(pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, sig: int) -> tuple[int, str]:
        self.proc.send_signal(sig)
        self.proc.wait(timeout=90)
        self.reader.join(timeout=10)
        return self.proc.returncode, self.output


def start_server(session: requests.Session, url: str, login: str) -> None:
    xsrf = {"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/")}
    token = session.post(f"{url}/hub/api/users/{login}/tokens", json={}, headers=xsrf, timeout=30)
    assert token.status_code == 201, token.text
    auth = {"Authorization": f"token {token.json()['token']}"}
    started = requests.post(f"{url}/hub/api/users/{login}/server", json={"profile": "small"}, headers=auth, timeout=90)
    assert started.status_code in (201, 202), started.text
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        server = requests.get(f"{url}/hub/api/users/{login}", headers=auth, timeout=30).json()["servers"].get("")
        if server and server["ready"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"{login}'s server did not become ready")
