"""The benchmarks refuse, with a message that says what to install, when they cannot set up what they measure."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
THROUGH_THE_NPM_PROXY = ["login.py", "servers_panel.py", "shared_data.py"]


@pytest.mark.parametrize("benchmark", THROUGH_THE_NPM_PROXY)
def test_a_benchmark_through_the_proxy_refuses_without_npms_proxy(benchmark, tmp_path):
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(REPO)}  # no `node` on PATH
    env.pop("CI", None)

    done = subprocess.run([sys.executable, str(REPO / "bench" / benchmark)], env=env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)

    assert done.returncode != 0
    assert f"{benchmark}: it measures through npm's configurable-http-proxy" in done.stderr, done.stderr
    assert "npm install" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == "", "nothing measured"


def test_the_proxy_recorded_is_npms_with_its_version(monkeypatch):
    if not (REPO / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        pytest.fail("run `npm install` in the repository: the benchmarks' proxy is missing")
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    import bench_setup

    assert re.fullmatch(r"npm configurable-http-proxy \d+\.\d+\.\d+", bench_setup.require_npm_proxy())


def test_a_missing_package_is_named_with_the_extra_that_brings_it(monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    import bench_setup

    with pytest.raises(SystemExit, match=r"needs no_such_module_here: pip install -e '.+\[bench\]'"):
        bench_setup.require_modules("json", "no_such_module_here")
