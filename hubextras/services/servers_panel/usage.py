"""Resource use of servers run on this machine (the local spawner), read from /proc.

A server's processes (the server and its kernels) carry `JUPYTERHUB_USER` and
`JUPYTERHUB_SERVER_NAME` in their environment, so they are found without any extra hub permission.
Where /proc cannot be read (another machine, Kubernetes) nothing is reported and the panel says
"not available".
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _server_of(environ: bytes) -> tuple[str, str] | None:
    user = server = None
    for item in environ.split(b"\0"):
        if item.startswith(b"JUPYTERHUB_USER="):
            user = item[16:].decode(errors="replace")
        elif item.startswith(b"JUPYTERHUB_SERVER_NAME="):
            server = item[23:].decode(errors="replace")
    return (user, server or "") if user else None


def _process_usage(proc: Path) -> tuple[int, float]:
    """(resident bytes, CPU seconds) of one process."""
    fields = (proc / "stat").read_text().rpartition(")")[2].split()
    rss_pages, utime, stime = int(fields[21]), int(fields[11]), int(fields[12])
    return rss_pages * PAGE_SIZE, (utime + stime) / CLOCK_TICKS


class LocalUsage:
    """Memory and CPU of local servers, sampled at most every `max_age` seconds."""

    def __init__(self, proc_root: str = "/proc", max_age: float = 2.0):
        self.proc_root = Path(proc_root)
        self.max_age = max_age
        self._sampled = 0.0
        self._usage: dict[tuple[str, str], dict] = {}
        self._previous_cpu: dict[tuple[str, str], tuple[float, float]] = {}

    def sample(self) -> dict[tuple[str, str], dict]:
        now = time.monotonic()
        if now - self._sampled < self.max_age:
            return self._usage
        totals: dict[tuple[str, str], list] = {}
        for proc in self.proc_root.iterdir():
            if not proc.name.isdigit():
                continue
            try:
                key = _server_of((proc / "environ").read_bytes())
                if key is None:
                    continue
                rss, cpu = _process_usage(proc)
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile, or not ours to read
            total = totals.setdefault(key, [0, 0.0, 0])
            total[0] += rss
            total[1] += cpu
            total[2] += 1
        usage = {}
        for key, (rss, cpu, count) in totals.items():
            entry = {"memory_bytes": rss, "cpu_seconds": round(cpu, 2), "processes": count, "cpu_percent": None}
            before = self._previous_cpu.get(key)
            if before and now > before[1]:
                entry["cpu_percent"] = round(max(0.0, cpu - before[0]) / (now - before[1]) * 100, 1)
            self._previous_cpu[key] = (cpu, now)
            usage[key] = entry
        self._usage, self._sampled = usage, now
        return usage
