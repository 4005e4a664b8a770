"""Make the user environment every person's account can run: a venv of a system Python in a world-readable place.

    python -m hubextras.spawners.user_env [--prefix /opt/hubextras/user-env] [--python /usr/bin/python3]

It holds jupyterhub (the hub's own version, for `jupyterhub-singleuser`), jupyterlab and notebook
(the interfaces of the example profiles). Running it again does nothing unless what it would install
changed (a stamp file records that). A venv made from a Python under /root (pyenv's, for instance)
cannot be run by other accounts: use the system's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

DEFAULT_PREFIX = "/opt/hubextras/user-env"
STAMP = ".hubextras-user-env"


def requirements() -> list[str]:
    """What the environment holds: the hub's jupyterhub version, so the server and the hub agree."""
    from importlib.metadata import version

    hub_version = version("jupyterhub")
    return [f"jupyterhub=={hub_version}", "jupyterlab", "notebook"]


def stamp_for(python: str, wanted: list[str]) -> str:
    return hashlib.sha256("\n".join([python, *wanted]).encode()).hexdigest()[:16]


def make_readable(prefix: Path) -> None:
    """Every account may read every file and pass through every folder (as `chmod -R a+rX`)."""
    for folder, dirs, files in os.walk(prefix):
        for name in [*dirs, *files, ""]:
            path = os.path.join(folder, name) if name else folder
            if os.path.islink(path):
                continue
            mode = os.stat(path).st_mode
            extra = 0o555 if (mode & 0o111 or os.path.isdir(path)) else 0o444
            if mode & extra != extra:
                os.chmod(path, mode | extra)
    for parent in prefix.parents:
        mode = os.stat(parent).st_mode
        if mode & 0o005 != 0o005:
            raise SystemExit(
                f"{parent} is closed to other accounts (mode {oct(mode & 0o777)}): choose another --prefix."
            )


def ensure_user_env(prefix: str = DEFAULT_PREFIX, python: str = "/usr/bin/python3", quiet: bool = True) -> bool:
    """Make or update the environment at `prefix`; False when it was already up to date."""
    root, wanted = Path(prefix), requirements()
    stamp = stamp_for(python, wanted)
    stamp_file = root / STAMP
    ready = (root / "bin/jupyterhub-singleuser").exists()
    if ready and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        return False
    old = os.umask(0o022)
    try:
        if not (root / "bin/python").exists():
            subprocess.run([python, "-m", "venv", str(root)], check=True)
        pip = [str(root / "bin/python"), "-m", "pip", "install", "--disable-pip-version-check"]
        subprocess.run(pip + (["-qq"] if quiet else []) + wanted, check=True)
        make_readable(root)
        stamp_file.write_text(stamp + "\n")
    finally:
        os.umask(old)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"where to make it (default {DEFAULT_PREFIX})")
    parser.add_argument("--python", default="/usr/bin/python3", help="the system Python to make it from")
    args = parser.parse_args(argv)
    made = ensure_user_env(args.prefix, args.python)
    print(f"user environment {'made' if made else 'up to date'} at {args.prefix}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
