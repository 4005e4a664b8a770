"""The user environment for the scale-out tests: the one `hubextras.spawners.user_env` makes, plus what a user
image needs for object storage, gh-scoped-creds and Dask Gateway (docs/object-storage.md, docs/github-push.md,
docs/dask.md). Made once at a world-readable prefix, so servers run as people's own accounts can use it.

    python -m harness.scaleout_env      # make it ahead of the tests
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from hubextras.spawners.user_env import make_readable, requirements

PREFIX = Path("/opt/hubextras/test-envs/scaleout")
# what the docs tell operators to add to a user image; dask and distributed match the hub's dask-gateway-server
USER_IMAGE_EXTRAS = ["s3fs", "gh-scoped-creds", "dask-gateway", "ipykernel", "numpy"]


def wanted() -> list[str]:
    import dask
    import distributed

    return [*requirements(), *USER_IMAGE_EXTRAS, f"dask=={dask.__version__}", f"distributed=={distributed.__version__}"]


def ensure(prefix: Path = PREFIX, python: str = "/usr/bin/python3") -> Path:
    packages = wanted()
    stamp = hashlib.sha256("\n".join([python, *packages]).encode()).hexdigest()[:16]
    stamp_file = prefix / ".hubextras-test-env"
    if stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        return prefix
    old = os.umask(0o022)
    try:
        if not (prefix / "bin/python").exists():
            subprocess.run([python, "-m", "venv", str(prefix)], check=True)
        subprocess.run([str(prefix / "bin/python"), "-m", "pip", "install", "-qq", "--disable-pip-version-check",
                        *packages], check=True)
        make_readable(prefix)
        stamp_file.write_text(stamp + "\n")
    finally:
        os.umask(old)
    return prefix


if __name__ == "__main__":
    print(ensure())
