"""What every benchmark checks before it measures: the proxy it goes through, the packages it needs.

A benchmark that cannot set up what it measures stops with a message that says what to install,
instead of measuring something else. Each records the proxy in its JSON (`"proxy"`).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [p for p in (str(REPO), str(REPO / "tests")) if p not in sys.path]

NO_PROXY = "none (the spawner is driven in this process)"


def refuse(message: str) -> None:
    raise SystemExit(f"{Path(sys.argv[0]).name}: {message}")


def require_modules(*modules: str) -> None:
    """Stop unless `modules` import; the bench extra has them all."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        refuse(f"needs {', '.join(missing)}: pip install -e '{REPO}[bench]'")


def require_npm_proxy() -> str:
    """npm's configurable-http-proxy, which the hubs of the benchmarks run (the harness's "npm" proxy).

    The pure-Python proxy buffers every body and refuses those over 100 MiB, so a benchmark through it
    measures that proxy, or fails. Returns the name and version for the JSON line.
    """
    from harness.hub import proxy_command

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the harness warns, then falls back to the Python proxy
        try:
            command = proxy_command("npm")
        except (UserWarning, RuntimeError) as e:
            refuse(f"it measures through npm's configurable-http-proxy, and {e} (Node.js must be on PATH too).")
    package = Path(command[0]).resolve().parents[1] / "package.json"
    try:
        version = json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        refuse(f"{command[0]} is not npm's configurable-http-proxy (no {package}); run `npm install` in {REPO}")
    return f"npm configurable-http-proxy {version}"
