"""The one audit log of our services: who did what, when. JSON lines, appended whole, read newest first.

    audit = AuditLog(data_dir / "audit.jsonl")          # mode 0600, rotated at 10 MiB, 3 older files kept
    audit.record("ada", "stop", user="bob", server="", result="done")
    audit.recent(100, matching=lambda e: e["who"] == "ada")   # newest first, across rotated files

Every entry has "time" (ISO 8601 UTC, "2026-12-01T23:59:59Z"), "who" (the person who acted) and "action",
then the service's own keys. Reading walks backwards from the end only as far as it must.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o600  # the log names people and what they touched: only the service's account reads it
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
READ_BLOCK = 64 * 1024


def now_iso(seconds: float | None = None) -> str:
    """The audit log's one time format (UTC, to the second)."""
    return time.strftime(TIME_FORMAT, time.gmtime(time.time() if seconds is None else seconds))


class AuditLog:
    """Append-only JSON lines in `path`; past `max_bytes` the file moves to `path.1` (then `.2` ...) and the
    oldest beyond `backups` is dropped."""

    def __init__(self, path: str | Path, *, max_bytes: int = 10 * 1024 * 1024, backups: int = 3):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes, self.backups = max_bytes, backups
        self._lock = threading.Lock()

    def files(self) -> list[Path]:
        """The current file, then the rotated ones, newest first."""
        return [self.path] + [self.path.with_name(f"{self.path.name}.{n}") for n in range(1, self.backups + 1)]

    def record(self, who: str, action: str, **details) -> dict:
        entry = {"time": now_iso(), "who": who, "action": action, **details}
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self._rotate_if_full(len(line))
            # one write() of one line on an O_APPEND file: entries never interleave or tear
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
            try:
                if os.fstat(fd).st_mode & 0o777 != FILE_MODE:
                    os.fchmod(fd, FILE_MODE)
                os.write(fd, line)
            finally:
                os.close(fd)
        return entry

    def _rotate_if_full(self, adding: int) -> None:
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            return
        if size == 0 or size + adding <= self.max_bytes:
            return
        files = self.files()
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        files[-1].unlink(missing_ok=True)
        for newer, older in zip(reversed(files[:-1]), reversed(files[1:])):
            if newer.exists():
                os.replace(newer, older)

    def recent(self, limit: int = 100, matching: Callable[[dict], bool] | None = None) -> list[dict]:
        """The last `limit` entries for which `matching(entry)` is true (all if None), newest first.
        A line torn by a crash is skipped."""
        found: list[dict] = []
        for path in self.files():
            try:
                f = open(path, "rb")
            except FileNotFoundError:
                continue
            with f:
                for line in lines_from_the_end(f):
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(entry, dict) and (matching is None or matching(entry)):
                        found.append(entry)
                        if len(found) >= limit:
                            return found
        return found


def lines_from_the_end(f: BinaryIO, block: int = READ_BLOCK) -> Iterator[bytes]:
    """The non-empty lines of a binary file, last first, read in blocks of `block` bytes."""
    position = f.seek(0, os.SEEK_END)
    head = b""  # the start of the last line not yet yielded: it may begin in an earlier block
    while position > 0:
        step = min(block, position)
        position -= step
        f.seek(position)
        lines = (f.read(step) + head).split(b"\n")
        head = lines.pop(0)
        yield from (line for line in reversed(lines) if line)
    if head:
        yield head
