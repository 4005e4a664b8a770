"""The time the usage record uses: the real clock, or a clock file that tests (and demos) move.

`HUBEXTRAS_USAGE_CLOCK` (or `c.UsageRecorder.clock_file`) names a file holding a Unix time; while the
file exists its number is "now". The hub itself is never patched: only usage times follow the file.
"""

from __future__ import annotations

import os
import time

CLOCK_ENV = "HUBEXTRAS_USAGE_CLOCK"


class Clock:
    def __init__(self, path: str = ""):
        self.path = path or os.environ.get(CLOCK_ENV, "")

    def now(self) -> float:
        if self.path:
            try:
                with open(self.path, encoding="ascii") as f:
                    return float(f.read().strip())
            except FileNotFoundError:
                pass
            except ValueError as e:
                raise RuntimeError(f"the usage clock file {self.path} does not hold a Unix time: {e}") from None
        return time.time()


def set_clock(path: str, when: float) -> None:
    """Move a clock file to `when` (atomically: readers never see half a number)."""
    partial = f"{path}.{os.getpid()}.tmp"
    with open(partial, "w", encoding="ascii") as f:
        f.write(repr(float(when)))
    os.replace(partial, path)
