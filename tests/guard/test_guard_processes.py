"""The one-machine reader on this machine's real /proc: process trees, command lines, TCP connections."""

import socket
import subprocess
import sys
import time

from hubextras.guard import processes


def test_a_process_tree_holds_the_children_and_grandchildren():
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
                               "time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            family = processes.tree(parent.pid, processes.parents())
            if len(family) == 2:
                break
            time.sleep(0.05)
        assert family[0] == parent.pid and len(family) == 2
    finally:
        for pid in processes.tree(parent.pid, processes.parents())[::-1]:
            subprocess.run(["kill", str(pid)], check=False)
        parent.wait()


def test_a_process_is_read_with_its_command_line_and_connected_port():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    child = subprocess.Popen([sys.executable, "-c", f"import socket, time; s = socket.create_connection("
                              f"('127.0.0.1', {port})); time.sleep(30)", "marker-arg"])
    try:
        accepted, _ = listener.accept()
        facts = processes.server_processes([child.pid])[0]
        assert facts.cmdline[-1] == "marker-arg" and facts.binary.startswith("python")
        deadline = time.monotonic() + 5
        while port not in facts.remote_ports and time.monotonic() < deadline:
            time.sleep(0.05)
            facts = processes.server_processes([child.pid])[0]
        assert port in facts.remote_ports
    finally:
        child.kill()
        child.wait()
        accepted.close()
        listener.close()


def test_a_gone_process_is_skipped():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert processes.server_processes([child.pid]) == []
