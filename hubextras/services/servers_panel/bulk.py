"""The bulk runner: one action over many servers, a bounded number at a time, with progress saved and audited.

Jobs run on the event loop with the token of the champion who asked. Progress is saved every half second
(`records.JobStore`), every row's result goes to the audit log, and a stop (`interrupt`) fails what had not
finished, so a champion sees which servers to check.
"""

from __future__ import annotations

import asyncio
import secrets
import time

from tornado.log import app_log

from ..base.audit import AuditLog
from .hub_client import HubClient, HubRefused, HubUnavailable, describe_failure
from .records import INTERRUPTED, JobStore
from .rows import BulkJob, BulkPlan, ServerRow

WORKING = {"stop": "Stopping...", "start": "Starting...", "restart": "Restarting..."}


class BulkRunner:
    def __init__(self, client: HubClient, audit: AuditLog, store: JobStore, *, concurrency: int,
                 stop_timeout: float, start_timeout: float):
        self.client, self.audit, self.store = client, audit, store
        self.slots = asyncio.Semaphore(concurrency)
        self.stop_timeout, self.start_timeout = stop_timeout, start_timeout
        self.jobs: dict[str, BulkJob] = {job.id: job for job in store.recover()}
        self._tasks: set[asyncio.Task] = set()
        self._dirty: set[str] = set()

    def record(self, job: BulkJob, user: str, server: str, result: str, message: str) -> None:
        self.audit.record(job.who, job.action, user=user, server=server, result=result, message=message, job=job.id)

    def start(self, plan: BulkPlan, who: str, token: str) -> BulkJob:
        job = BulkJob.from_plan(f"{int(time.time())}-{secrets.token_hex(4)}", plan, who)
        self.jobs[job.id] = job
        for progress in job.rows.values():
            if progress.state == "skipped":
                self.record(job, progress.user, progress.server, "skipped", progress.message)
        self.store.save(job)
        if len(self.jobs) > self.store.keep:
            for old in sorted(self.jobs.values(), key=lambda j: j.created)[: -self.store.keep]:
                if old.finished is not None:
                    self.jobs.pop(old.id, None)
        task = asyncio.ensure_future(self.run(job, plan.targets, token))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def act(self, job: BulkJob, row: ServerRow, token: str) -> None:
        async with self.slots:
            job.mark(row.key, "working", WORKING[job.action])
            self._dirty.add(job.id)
            try:
                if job.action == "stop":
                    message = await self.client.stop(token, row.user, row.server, timeout=self.stop_timeout)
                elif job.action == "start":
                    message = await self.client.start(token, row.user, row.server, dict(row.user_options),
                                                      timeout=self.start_timeout)
                else:
                    message = await self.client.restart(token, row.user, row.server, stop_timeout=self.stop_timeout,
                                                        start_timeout=self.start_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                message = describe_failure(e, job.action, row.key)
                if not isinstance(e, HubRefused | HubUnavailable):
                    app_log.exception("servers panel: %s of %s failed", job.action, row.key)
                job.mark(row.key, "failed", message)
                self.record(job, row.user, row.server, "failed", message)
            else:
                job.mark(row.key, "done", message)
                self.record(job, row.user, row.server, "done", message)
            self._dirty.add(job.id)

    async def run(self, job: BulkJob, targets, token: str) -> None:
        saver = asyncio.ensure_future(self._save_dirty_jobs())
        try:
            await asyncio.gather(*(self.act(job, row, token) for row in targets))
        finally:
            saver.cancel()
            self.store.save(job)
            self._dirty.discard(job.id)

    async def _save_dirty_jobs(self, every: float = 0.5) -> None:
        while True:
            await asyncio.sleep(every)
            for job_id in list(self._dirty):
                self._dirty.discard(job_id)
                if job_id in self.jobs:
                    self.store.save(self.jobs[job_id])

    def interrupt(self, reason: str = INTERRUPTED) -> None:
        """Stop every running job: fail and audit its unfinished rows, save it."""
        for task in list(self._tasks):
            task.cancel()
        for job in self.jobs.values():
            if job.finished is None:
                for progress in list(job.rows.values()):
                    if progress.state in ("queued", "working"):
                        self.record(job, progress.user, progress.server, "failed", reason)
                job.interrupt(reason)
                self.store.save(job)
