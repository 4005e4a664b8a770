"""What the servers panel keeps on disk besides the audit log (`base.audit`): the bulk jobs, so a job cut short
by a restart shows which rows did not finish. Jobs are replaced atomically, never left half-written.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .rows import BulkJob

INTERRUPTED = (
    "Not finished: the panel was stopped (the hub was probably restarted) before this server's turn came "
    "or before the hub answered. Check its status and try again."
)


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
