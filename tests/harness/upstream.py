"""Public upstream files the tests read where they are (never copied into the repository).

`../shared/upstream` from the repository's root (z2jh's chart values, schema and hub image pins,
2i2c's profile lists; see its SOURCES.md), or the folder `HUBEXTRAS_UPSTREAM` names.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]


def _candidates() -> list[Path]:
    if os.environ.get("HUBEXTRAS_UPSTREAM"):
        return [Path(os.environ["HUBEXTRAS_UPSTREAM"])]
    found = [REPO_DIR.parent / "shared" / "upstream"]
    try:  # a git worktree: the main checkout's ../shared/upstream
        common = subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=REPO_DIR, capture_output=True,
                                text=True, check=True).stdout.strip()
        found.append((REPO_DIR / common).resolve().parent.parent / "shared" / "upstream")
    except (OSError, subprocess.CalledProcessError):
        pass
    return found


def upstream_dir() -> Path:
    """The upstream folder, or a test failure saying where it was looked for and how to point at it."""
    for folder in _candidates():
        if (folder / "chart" / "values.schema.yaml").is_file():
            return folder
    pytest.fail(
        "The public upstream files (z2jh's chart/ and 2i2c's profiles_2i2c/) are missing: looked in "
        + ", ".join(str(c) for c in _candidates())
        + ". Put them at ../shared/upstream from the repository's root, or set HUBEXTRAS_UPSTREAM.",
        pytrace=False,
    )
