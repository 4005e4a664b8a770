"""What the servers panel keeps on disk: the audit log (who did what, when, with what result) and
the bulk jobs (so a job cut short by a restart shows which rows did not finish).

Writes never leave half a record: audit lines are appended whole, jobs are replaced atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from .rows import BulkJob

INTERRUPTED = (
    "Not finished: the panel was stopped (the hub was probably restarted) before this server's turn came "
    "or before the hub answered. Check its status and try again."
)


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

    def recent(self, limit: int = 100) -> list[dict]:
        """The last `limit` entries, newest first (a torn last line from a crash is skipped)."""
        if not self.path.exists():
            return []
        with open(self.path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 400 * (limit + 1)))
            lines = f.read().splitlines()
        entries = []
        for line in reversed(lines):
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
            if len(entries) >= limit:
                break
        return entries


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
