"""A cgroup per server: limits on the whole server (every process it forks), on cgroup v2 or v1.

`settings_v1`/`settings_v2` (what to write) and `oom_kills` (what the kernel reports) are pure;
`find_hierarchy` and `ServerCgroup` are the thin file-system side.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CFS_PERIOD_US = 100_000
V1_CONTROLLERS = ("memory", "cpu")


@dataclass(frozen=True)
class Limits:
    """A server's size: limits in bytes and CPUs, guarantees as relative shares."""

    mem_limit: int | None = None
    cpu_limit: float | None = None
    mem_guarantee: int | None = None
    cpu_guarantee: float | None = None


def settings_v1(limits: Limits) -> dict[str, dict[str, str]]:
    """Files to write in each cgroup v1 controller's folder, in order."""
    memory: dict[str, str] = {}
    if limits.mem_limit:
        memory["memory.limit_in_bytes"] = str(int(limits.mem_limit))
        # swap counts too, where the kernel accounts it: a limit that swaps is no limit
        memory["memory.memsw.limit_in_bytes"] = str(int(limits.mem_limit))
    if limits.mem_guarantee:
        memory["memory.soft_limit_in_bytes"] = str(int(limits.mem_guarantee))
    cpu: dict[str, str] = {}
    if limits.cpu_limit:
        cpu["cpu.cfs_period_us"] = str(CFS_PERIOD_US)
        cpu["cpu.cfs_quota_us"] = str(max(1000, round(limits.cpu_limit * CFS_PERIOD_US)))
    if limits.cpu_guarantee:
        cpu["cpu.shares"] = str(max(2, round(limits.cpu_guarantee * 1024)))
    return {"memory": memory, "cpu": cpu}


def settings_v2(limits: Limits) -> dict[str, str]:
    """Files to write in the server's cgroup v2 folder."""
    files: dict[str, str] = {}
    if limits.mem_limit:
        files["memory.max"] = str(int(limits.mem_limit))
        files["memory.swap.max"] = "0"
    if limits.mem_guarantee:
        files["memory.low"] = str(int(limits.mem_guarantee))
    if limits.cpu_limit:
        files["cpu.max"] = f"{max(1000, round(limits.cpu_limit * CFS_PERIOD_US))} {CFS_PERIOD_US}"
    if limits.cpu_guarantee:
        files["cpu.weight"] = str(min(10_000, max(1, round(limits.cpu_guarantee * 100))))
    return files


def parent_weight(version: int, servers: int, cpus: int) -> str:
    """The CPU weight of the folder holding all servers: as much as one process per server (at least one per
    CPU), so that servers together get the CPU time they would get as plain processes, not that of one."""
    count = max(servers, cpus, 1)
    return str(min(10_000, 100 * count)) if version == 2 else str(1024 * count)


def oom_kills(text: str) -> int:
    """Processes the kernel killed for memory, from v1 `memory.oom_control` or v2 `memory.events`."""
    found = re.search(r"^oom_kill (\d+)$", text, re.MULTILINE)
    return int(found[1]) if found else 0


def cgroup_name(username: str, server_name: str = "") -> str:
    """A folder name for one server's cgroup (usernames are escaped; `-` separates the server name)."""
    safe = re.sub(r"[^A-Za-z0-9_.]", lambda m: f"%{ord(m[0]):02x}", username)
    return f"{safe}-{re.sub(r'[^A-Za-z0-9_.]', '_', server_name)}" if server_name else safe


@dataclass(frozen=True)
class Hierarchy:
    """Where servers' cgroups go: `version` 2 (one folder) or 1 (one folder per controller)."""

    version: int
    parents: tuple[Path, ...]  # v2: (parent,); v1: (memory parent, cpu parent)


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


def find_hierarchy(root: str | Path, parent: str, create: bool = True) -> Hierarchy | None:
    """The writable cgroup hierarchy with memory and cpu controllers under `root`, preferring v2;
    its `parent` folder is made (unless `create` is false: only looking). None when neither is writable."""
    root = Path(root)
    for unified in (root / "unified", root):
        controllers = unified / "cgroup.controllers"
        try:
            available = controllers.read_text().split()
        except OSError:
            continue
        if {"memory", "cpu"} <= set(available) and _writable(unified):
            if not create:
                return Hierarchy(2, (unified / parent,))
            try:
                (unified / "cgroup.subtree_control").write_text("+memory +cpu")
                (unified / parent).mkdir(exist_ok=True)
                (unified / parent / "cgroup.subtree_control").write_text("+memory +cpu")
            except OSError:
                continue
            return Hierarchy(2, (unified / parent,))
    v1 = [root / name for name in V1_CONTROLLERS]
    if all(_writable(p) and (p / "cgroup.procs").exists() for p in v1):
        if not create:
            return Hierarchy(1, tuple(p / parent for p in v1))
        try:
            for p in v1:
                (p / parent).mkdir(exist_ok=True)
        except OSError:
            return None
        return Hierarchy(1, tuple(p / parent for p in v1))
    return None


class ServerCgroup:
    """One server's cgroup: made with its limits before the server starts, removed when it stops."""

    def __init__(self, hierarchy: Hierarchy, name: str):
        self.hierarchy, self.name = hierarchy, name
        self.folders = tuple(parent / name for parent in hierarchy.parents)

    def create(self, limits: Limits) -> None:
        for folder in self.folders:
            folder.mkdir(exist_ok=True)
        if self.hierarchy.version == 2:
            self._write(self.folders[0], settings_v2(limits))
        else:
            for folder, files in zip(self.folders, settings_v1(limits).values()):
                self._write(folder, files)
        self._weigh_parent()

    def _weigh_parent(self) -> None:
        cpu_parent = self.hierarchy.parents[-1]
        try:
            servers = sum(1 for entry in os.scandir(cpu_parent) if entry.is_dir())
            weight = parent_weight(self.hierarchy.version, servers, os.cpu_count() or 1)
            (cpu_parent / ("cpu.weight" if self.hierarchy.version == 2 else "cpu.shares")).write_text(weight)
        except OSError:
            pass  # the weight is a courtesy to the servers; the limits are already written

    @staticmethod
    def _write(folder: Path, files: dict[str, str]) -> None:
        for filename, value in files.items():
            path = folder / filename
            if filename.startswith(("memory.memsw", "memory.swap")) and not path.exists():
                continue  # the kernel does not account swap here
            path.write_text(value)

    def procs_files(self) -> list[str]:
        """The `cgroup.procs` files a process writes its pid to, to join (before it drops root)."""
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for folder in self.folders:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def oom_kills(self) -> int:
        events = "memory.events" if self.hierarchy.version == 2 else "memory.oom_control"
        try:
            return oom_kills((self.folders[0] / events).read_text())
        except OSError:
            return 0

    def remove(self, timeout: float = 5.0) -> None:
        """Kill what is left of the server in it, then remove the cgroup."""
        deadline = time.monotonic() + timeout
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)  # the last process is still being reaped
        self._weigh_parent()


def join(procs_files: list[str]) -> None:
    """Move the calling process into the cgroup (in a server's preexec_fn, while still root)."""
    pid = str(os.getpid()).encode()
    for path in procs_files:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, pid)
        finally:
            os.close(fd)
