"""One machine: the processes of a server and their facts, read from /proc (Linux). Reading only; no privilege
beyond seeing the servers' processes (the hub's account, root on the one-machine hub).

A server's processes are its pid and every descendant (from each process's parent in /proc/<pid>/stat); the guard
adds the pids of the server's cgroup (`hubextras.spawners.cgroups`) when the one-machine spawner made one.
A process's connections are its fd links `socket:[inode]` looked up in /proc/net/tcp and tcp6 (one table per
network namespace: read once per scan).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .rules import CPUSample, ProcessFacts

PROC = Path("/proc")
# a listening socket has no remote end; every other state (connecting, established, closing) is a connection
LISTEN_STATE = "0A"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parents(proc: Path = PROC) -> dict[int, int]:
    """pid -> parent pid of every process visible now."""
    found = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces or parentheses itself
        fields = stat[stat.rfind(")") + 2:].split()
        found[int(entry.name)] = int(fields[1])
    return found


def tree(root: int, parent_of: dict[int, int]) -> list[int]:
    """`root` and all its descendants (those alive in `parent_of`)."""
    children: dict[int, list[int]] = {}
    for pid, parent in parent_of.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root] if root in parent_of else []
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def tcp_remote_ports(proc: Path = PROC) -> dict[int, int]:
    """socket inode -> remote port of every TCP socket that is not listening (IPv4 and IPv6)."""
    found = {}
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] == LISTEN_STATE:
                continue
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            found[int(fields[9])] = remote_port
    return found


def socket_inodes(pid: int, proc: Path = PROC) -> list[int]:
    inodes = []
    try:
        fds = list((proc / str(pid) / "fd").iterdir())
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.append(int(target[8:-1]))
    return inodes


def facts(pid: int, ports_by_inode: dict[int, int], proc: Path = PROC) -> ProcessFacts | None:
    """What /proc says of `pid` (None when it is gone)."""
    base = proc / str(pid)
    try:
        cmdline = tuple(part.decode("utf-8", "replace") for part in (base / "cmdline").read_bytes().split(b"\0")
                        if part)
        comm = (base / "comm").read_text().strip()
    except OSError:
        return None
    try:
        binary = os.path.basename(os.readlink(base / "exe"))
    except OSError:
        binary = comm
    ports = tuple(sorted({ports_by_inode[i] for i in socket_inodes(pid, proc) if i in ports_by_inode}))
    return ProcessFacts(pid=pid, binary=binary, cmdline=cmdline, remote_ports=ports)


def cpu_sample(pid: int, now: float, proc: Path = PROC) -> CPUSample | None:
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return CPUSample(now, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)


def server_processes(pids: Iterable[int], proc: Path = PROC) -> list[ProcessFacts]:
    ports = tcp_remote_ports(proc)
    return [f for f in (facts(pid, ports, proc) for pid in pids) if f is not None]
