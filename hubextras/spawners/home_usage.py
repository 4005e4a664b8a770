"""How much a person's home holds, against the hub's soft limit (`HubExtras.home_quota_bytes`).

The messages are pure (`usage_line`, `over_quota_message`). `HomeUsage` measures in a background
thread, one scan at a time, each bounded in time, and keeps the results: the hub never waits
for a disk walk longer than it chooses to.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ..profiles.form import format_bytes


@dataclass(frozen=True)
class Usage:
    """Bytes on disk under a home; `complete` is false when the scan ran out of time (then at least that)."""

    used: int
    complete: bool
    measured_at: float


def usage_line(usage: Usage, quota: int) -> str:
    """What the home page and the spawn form say about a home's size."""
    amount = format_bytes(usage.used) if usage.complete else f"more than {format_bytes(usage.used)}"
    if not quota:
        return f"Your home folder holds {amount}."
    return f"Your home folder holds {amount} of the {format_bytes(quota)} this hub allows."


def over_quota_message(usage: Usage, quota: int, home: str) -> str | None:
    """The refusal for a start past the soft limit, saying how much to delete and where; None under it."""
    if not quota or usage.used <= quota:
        return None
    return (
        f"Your home folder ({home}) holds {format_bytes(usage.used)}, more than the {format_bytes(quota)} this hub "
        f"allows, so your server was not started. Delete at least {format_bytes(usage.used - quota)} from {home} "
        "(for example through a hub champion, or by downloading and removing large files), then start again. "
        "If you need more room, ask a hub champion."
    )


def measure(path: str, budget_seconds: float) -> Usage:
    """Bytes on disk (allocated blocks) of every file under `path`, links not followed, for at most
    `budget_seconds`."""
    deadline = time.monotonic() + budget_seconds
    total, pending = 0, [path]
    while pending:
        if time.monotonic() > deadline:
            return Usage(total, False, time.time())
        folder = pending.pop()
        try:
            # a folder swapped for a link after it was listed is not followed
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += info.st_blocks * 512
                    if stat.S_ISDIR(info.st_mode):
                        pending.append(os.path.join(folder, entry.name))
        except OSError:
            pass
        finally:
            os.close(fd)
    return Usage(total, True, time.time())


class HomeUsage:
    """Cached home sizes, measured one at a time in a background thread."""

    def __init__(self, max_age: float = 300, budget_seconds: float = 10):
        self.max_age, self.budget_seconds = max_age, budget_seconds
        self._cache: dict[str, Usage] = {}
        self._scans: dict[str, Future] = {}
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="hubextras-home-usage")

    def cached(self, path: str) -> Usage | None:
        """The last measure of `path` (maybe None), starting a new scan when it is older than `max_age`."""
        usage = self._cache.get(path)
        if usage is None or time.time() - usage.measured_at > self.max_age:
            self.scan(path)
        return usage

    def scan(self, path: str) -> Future:
        running = self._scans.get(path)
        if running is not None and not running.done():
            return running
        future = self._executor.submit(measure, path, self.budget_seconds)
        future.add_done_callback(lambda f: self._done(path, f))
        self._scans[path] = future
        return future

    def _done(self, path: str, future: Future) -> None:
        if not future.cancelled() and future.exception() is None:
            self._cache[path] = future.result()

    async def fresh(self, path: str, wait_seconds: float) -> Usage | None:
        """A new measure of `path` if one is ready within `wait_seconds`, else the last one."""
        future = self.scan(path)
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), wait_seconds)
        except asyncio.TimeoutError:
            return self._cache.get(path)

    def forget(self, path: str) -> None:
        self._cache.pop(path, None)
