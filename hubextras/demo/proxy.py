"""Which configurable-http-proxy the demo hub runs: npm's when there is one, else the pure-Python one."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PROXY = "configurable-http-proxy"
NPM_INSTALL = "npm install -g configurable-http-proxy"


@dataclass(frozen=True)
class Proxy:
    command: list[str]
    kind: str  # "npm" or "python"
    note: str = ""  # what to tell the person, if anything


class NoProxy(RuntimeError):
    """Neither proxy is installed; the message says how to get one."""


def is_npm_proxy(path: Path) -> bool:
    """npm's proxy is a Node script; PyPI's `configurable-http-proxy` is a Python one of the same name."""
    try:
        with open(path.resolve(), "rb") as f:
            first_line = f.readline(200)
    except OSError:
        return False
    return first_line.startswith(b"#!") and b"node" in first_line


def npm_proxy(cwd: Path, path_env: str | None) -> Path | None:
    """npm's proxy in the current project's node_modules (this folder or a parent), else on PATH."""
    for folder in (cwd, *cwd.parents):
        local = folder / "node_modules" / ".bin" / PROXY
        if local.exists() and is_npm_proxy(local):
            return local
    for folder in (path_env or "").split(os.pathsep):
        candidate = Path(folder or ".") / PROXY
        if candidate.exists() and is_npm_proxy(candidate):
            return candidate
    return None


def python_proxy() -> Path | None:
    """PyPI's configurable-http-proxy, installed beside this Python (`pip install hubextras[demo]`)."""
    beside = Path(sys.executable).with_name(PROXY)
    if beside.exists() and not is_npm_proxy(beside):
        return beside
    return None


def find_proxy(cwd: Path | None = None, path_env: str | None = None) -> Proxy:
    cwd = Path.cwd() if cwd is None else cwd
    path_env = os.environ.get("PATH", "") if path_env is None else path_env
    npm = npm_proxy(cwd, path_env)
    if npm is not None and shutil.which("node", path=path_env):
        return Proxy([str(npm)], "npm")
    fallback = python_proxy()
    if fallback is None:
        raise NoProxy(
            "The demo needs JupyterHub's proxy, configurable-http-proxy, and finds none: "
            f"install npm's (`{NPM_INSTALL}`) or the pure-Python one (`pip install hubextras[demo]`)."
        )
    why = "npm's configurable-http-proxy is not on PATH or in ./node_modules"
    if npm is not None:
        why = f"npm's configurable-http-proxy is at {npm} but `node` is not on PATH"
    return Proxy(
        [str(fallback)],
        "python",
        f"Using the pure-Python configurable-http-proxy ({why}). It is fine for the demo, but it refuses "
        f"uploads over 100 MiB; a real hub runs npm's: {NPM_INSTALL}",
    )
