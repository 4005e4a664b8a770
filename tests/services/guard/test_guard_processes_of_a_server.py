"""Which processes the guard judges for a server: its process tree, and what its cgroup holds besides."""

import subprocess
import sys

from hubextras.guard import processes
from hubextras.services.guard.app import GuardService


def test_a_process_that_left_the_servers_tree_is_still_judged_through_the_servers_cgroup(tmp_path):
    # a cgroup v2 hierarchy as the one-machine spawner makes it: <root>/unified/<parent>/<server>/cgroup.procs
    escaped = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        unified = tmp_path / "unified"
        (unified / "hubextras" / "hx-alice").mkdir(parents=True)
        (unified / "cgroup.controllers").write_text("cpu memory io\n")
        (unified / "hubextras" / "hx-alice" / "cgroup.procs").write_text(f"{escaped.pid}\n")
        guard = GuardService(cgroup_root=str(tmp_path), cgroup_parent="hubextras")
        server_pid = 1  # a tree the escaped process is not in (it is this test's child)
        parents = {1: 0, escaped.pid: 999_999}
        assert guard.server_pids(server_pid, "hx-alice", parents) == [1, escaped.pid]
        assert guard.server_pids(server_pid, "", parents) == [1]
    finally:
        escaped.kill()
        escaped.wait()


def test_the_tree_of_a_gone_server_is_empty():
    assert processes.tree(123456789, {1: 0}) == []
