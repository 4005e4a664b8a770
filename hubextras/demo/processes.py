"""Every process the demo hub started, found and stopped: the proxy, the services, people's servers, their kernels.

JupyterHub starts the proxy and the servers in sessions of their own, and a hub that hangs while
stopping leaves them running. The demo makes itself their subreaper (Linux), so what outlives the
hub becomes its child and is found and stopped too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphans of our descendants become our children instead of init's (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def parents() -> dict[int, int]:
    """Every process's parent, by pid (empty where there is no /proc)."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name in parentheses may hold spaces: the fields after the last ")" are fixed
        fields = stat.rpartition(")")[2].split()
        found[int(entry.name)] = int(fields[1])
    return found


def descendants(pid: int) -> set[int]:
    """The processes below `pid`, at any depth."""
    children: dict[int, list[int]] = {}
    for child, parent in parents().items():
        children.setdefault(parent, []).append(child)
    found, frontier = set(), [pid]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def started_at(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with its pid, it names one process, never a reused pid."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def identities(pids: set[int]) -> dict[int, int | None]:
    """`pids` with their start times, to be checked again before any signal is sent."""
    return {pid: started_at(pid) for pid in pids}


def alive(pid: int, started: int | None = None) -> bool:
    """Whether the process runs (and, with `started`, is still the one that started then)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:  # a zombie is dead: it only waits for its parent to read its exit status
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return sys.platform != "linux"
    if fields[0] == "Z":
        return False
    return started is None or int(fields[19]) == started


def reap(pids) -> None:
    """Collect the exit status of those of `pids` that are our children (adopted orphans among them) and ended."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass  # not our child: its own parent collects it


def stop_all(processes: dict[int, int | None], grace: float = 5.0) -> set[int]:
    """SIGTERM the processes (pid: start time), then SIGKILL what still runs after `grace` seconds.

    A pid whose start time changed is another process by now and is left alone. Returns the pids
    that would not die.
    """
    living = dict(processes)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        living = {pid: started for pid, started in living.items() if alive(pid, started)}
        for pid in living:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while living and time.monotonic() < deadline:
            reap(living)
            living = {pid: started for pid, started in living.items() if alive(pid, started)}
            time.sleep(0.1)
        if not living:
            return set()
    return set(living)
