"""What the servers panel keeps on disk: the audit log (who did what, when, with what result) and
the bulk jobs (so a job cut short by a restart shows which rows did not finish).

Writes never leave half a record: audit lines are appended whole, jobs are replaced atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from .rows import BulkJob

INTERRUPTED = (
    "Not finished: the panel was stopped (the hub was probably restarted) before this server's turn came "
    "or before the hub answered. Check its status and try again."
)
AUDIT_READ_BLOCK = 64 * 1024  # bytes read at a time when looking back through the audit log


class AuditLog:
    """An append-only JSON-lines file of actions."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def record(
        self, who: str, action: str, user: str, server: str, result: str, message: str = "", job: str = ""
    ) -> dict:
        entry = {
            "time": time.time(),
            "who": who,
            "action": action,
            "user": user,
            "server": server,
            "result": result,
            "message": message,
            "job": job,
        }
        line = (json.dumps(entry) + "\n").encode()
        # one write() of one line on an O_APPEND file: entries never interleave or tear
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        return entry

    def recent(self, limit: int = 100, matching: Callable[[dict], bool] | None = None) -> list[dict]:
        """The last `limit` entries for which `matching(entry)` is true (every entry if None), newest first.

        Reads backwards from the end only as far as it must, however long the entries; a torn line from a
        crash is skipped.
        """
        found: list[dict] = []
        if not self.path.exists():
            return found
        with open(self.path, "rb") as f:
            for line in _lines_from_the_end(f):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and (matching is None or matching(entry)):
                    found.append(entry)
                    if len(found) >= limit:
                        break
        return found


def _lines_from_the_end(f: BinaryIO, block: int = AUDIT_READ_BLOCK) -> Iterator[bytes]:
    """The non-empty lines of a file opened in binary mode, last first, read in blocks of `block` bytes."""
    position = f.seek(0, os.SEEK_END)
    head = b""  # the start of the file's last line not yet yielded: it may begin in an earlier block
    while position > 0:
        step = min(block, position)
        position -= step
        f.seek(position)
        lines = (f.read(step) + head).split(b"\n")
        head = lines.pop(0)
        yield from (line for line in reversed(lines) if line)
    if head:
        yield head


class JobStore:
    """Bulk jobs as one JSON file each, replaced atomically; the newest `keep` are kept."""

    def __init__(self, folder: Path, keep: int = 50):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.keep = keep

    def save(self, job: BulkJob) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".job-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(job.to_json(), f)
            os.replace(tmp, self.folder / f"{job.id}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load_all(self) -> list[BulkJob]:
        """Every kept job, oldest first; unreadable files are set aside as `.bad`, not lost."""
        jobs = []
        for path in self.folder.glob("*.json"):
            try:
                jobs.append(BulkJob.from_json(json.loads(path.read_text())))
            except (ValueError, KeyError, TypeError):
                path.rename(path.with_suffix(".bad"))
        jobs.sort(key=lambda job: job.created)
        for old in jobs[: -self.keep] if len(jobs) > self.keep else []:
            (self.folder / f"{old.id}.json").unlink(missing_ok=True)
        return jobs[-self.keep :]

    def recover(self) -> list[BulkJob]:
        """Load the jobs, failing the unfinished rows of any job a restart cut short."""
        jobs = self.load_all()
        for job in jobs:
            if job.finished is None:
                job.interrupt(INTERRUPTED)
                self.save(job)
        return jobs
