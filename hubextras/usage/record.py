"""The usage record: one row per server start, as the spawner applied it."""

from __future__ import annotations

from dataclasses import dataclass, field

GIB = 1024**3
HOUR = 3600.0
DAY = 86400.0

# how a server ended
STOPPED = "stopped"
CULLED = "culled"
OUT_OF_MEMORY = "out_of_memory"
FAILED = "failed"
OVER_QUOTA = "over_quota"
END_REASONS = (STOPPED, CULLED, OUT_OF_MEMORY, FAILED, OVER_QUOTA)

# what quotas and totals measure
SERVER_HOURS = "server_hours"
MEMORY_GIB_HOURS = "memory_gib_hours"
CPU_HOURS = "cpu_hours"
RESOURCES = (SERVER_HOURS, MEMORY_GIB_HOURS, CPU_HOURS)
RESOURCE_WORDS = {SERVER_HOURS: "server-hours", MEMORY_GIB_HOURS: "GiB-hours of memory", CPU_HOURS: "CPU-hours"}


@dataclass(slots=True)  # not frozen: the pages build tens of thousands of them per request
class UsageRecord:
    """One server start: who, which groups, which profile, what it requested, when it ran and how it ended.

    Memory is in bytes and CPU in cores, guarantee and limit as the spawner applied them (0: not set).
    `stopped` is None while the server runs; `ended` says how it stopped.
    """

    user: str
    started: float
    server: str = ""
    groups: tuple[str, ...] = ()
    profile: str = ""
    mem_guarantee: int = 0
    mem_limit: int = 0
    cpu_guarantee: float = 0.0
    cpu_limit: float = 0.0
    stopped: float | None = None
    ended: str = ""
    id: str = field(default="", compare=False)

    @property
    def running(self) -> bool:
        return self.stopped is None

    @property
    def memory_request(self) -> int:
        """Memory charged for: the guarantee (Kubernetes' request), else the limit."""
        return self.mem_guarantee or self.mem_limit

    @property
    def cpu_request(self) -> float:
        """CPU charged for: the guarantee (Kubernetes' request), else the limit."""
        return self.cpu_guarantee or self.cpu_limit

    def rate(self, resource: str) -> float:
        """How much of `resource` this server uses per hour it runs."""
        return rate(resource, self.memory_request, self.cpu_request)

    def seconds_in(self, begin: float, end: float, now: float) -> float:
        """Seconds this server ran within [begin, end]; a running server counts up to `now`."""
        stop = now if self.stopped is None else self.stopped
        return max(0.0, min(stop, end, now) - max(self.started, begin))


def rate(resource: str, memory_bytes: float, cpu: float) -> float:
    """Per-hour use of `resource` by a server requesting `memory_bytes` and `cpu`."""
    if resource == SERVER_HOURS:
        return 1.0
    if resource == MEMORY_GIB_HOURS:
        return memory_bytes / GIB
    if resource == CPU_HOURS:
        return float(cpu)
    raise ValueError(f"unknown resource {resource!r}: use one of {', '.join(RESOURCES)}")
