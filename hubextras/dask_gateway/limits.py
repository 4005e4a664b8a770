"""Per-cluster limits (pure): the operator's defaults, raised for the groups named in `group_limits`.

A person in several groups gets, for each limit, the largest any of their groups allows. What a
cluster asks for (worker cores and memory) is checked against them before anything starts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from ..profiles.form import format_bytes

LIMIT_KEYS = ("cluster_max_cores", "cluster_max_memory", "cluster_max_workers", "idle_timeout",
              "worker_cores", "worker_memory")


@dataclass(frozen=True)
class ClusterLimits:
    cluster_max_cores: float
    cluster_max_memory: int  # bytes
    cluster_max_workers: int
    idle_timeout: float  # seconds; 0: never stopped for idling
    worker_cores: int = 1  # the largest a worker may ask for
    worker_memory: int = 2 * 1024**3

    def as_config(self) -> dict:
        return asdict(self)


class LimitError(ValueError):
    """A cluster request past the person's limits; the message says which and what is allowed."""


def limits_for(defaults: ClusterLimits, group_limits: dict[str, dict], groups: list[str]) -> ClusterLimits:
    """The person's limits: `defaults`, each raised to the largest value any of their `groups` allows."""
    limits = defaults
    for group in groups:
        for key, value in group_limits.get(group, {}).items():
            if key not in LIMIT_KEYS:
                raise ValueError(f"`{key}` is not a Dask cluster limit; use one of {', '.join(LIMIT_KEYS)}.")
            current = getattr(limits, key)
            if key == "idle_timeout" and (value == 0 or current == 0):
                limits = replace(limits, idle_timeout=0)
            elif value > current:
                limits = replace(limits, **{key: type(current)(value)})
    return limits


def check_request(limits: ClusterLimits, worker_cores: int, worker_memory: int) -> None:
    """Refuse workers larger than the person may have, or a cluster that could not hold even one of them."""
    if worker_cores < 1 or worker_memory < 1:
        raise LimitError("A worker needs at least 1 core and some memory.")
    if worker_cores > limits.worker_cores or worker_cores > limits.cluster_max_cores:
        allowed = min(limits.worker_cores, int(limits.cluster_max_cores))
        raise LimitError(f"Workers of {worker_cores} cores are larger than this hub allows you ({allowed} at most). "
                         "Ask for smaller workers, or a hub champion for more.")
    if worker_memory > limits.worker_memory or worker_memory > limits.cluster_max_memory:
        allowed = min(limits.worker_memory, limits.cluster_max_memory)
        raise LimitError(f"Workers of {format_bytes(worker_memory)} are larger than this hub allows you "
                         f"({format_bytes(allowed)} at most). Ask for smaller workers, or a hub champion for more.")


def server_environment(address: str, proxy_address: str, public_address: str) -> dict[str, str]:
    """What a person's server needs so that `dask_gateway.Gateway()` works with no arguments."""
    return {
        "DASK_GATEWAY__ADDRESS": address,
        "DASK_GATEWAY__PROXY_ADDRESS": proxy_address,
        "DASK_GATEWAY__PUBLIC_ADDRESS": public_address,
        "DASK_GATEWAY__AUTH__TYPE": "jupyterhub",
    }
