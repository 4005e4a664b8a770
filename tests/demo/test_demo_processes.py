"""Finding and stopping everything the demo hub started (hubextras/demo/processes.py)."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

from hubextras.demo import processes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; Linux only")


def test_descendants_are_found_at_any_depth():
    with subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60 & wait"]) as shell:
        try:
            deadline = time.monotonic() + 10
            while len(processes.descendants(shell.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            found = processes.descendants(shell.pid)
            assert len(found) == 2
            assert found <= processes.descendants(os.getpid())
        finally:
            processes.stop_all(processes.identities(processes.descendants(shell.pid) | {shell.pid}))


def test_stop_all_kills_what_ignores_sigterm():
    stubborn = subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 60"])
    time.sleep(0.2)  # let the shell set its trap

    survivors = processes.stop_all(processes.identities({stubborn.pid}), grace=0.5)

    assert survivors == set()
    assert not processes.alive(stubborn.pid)
    stubborn.wait(5)


def test_an_orphan_of_a_child_is_adopted_found_and_stopped():
    # in a process of its own: becoming a subreaper lasts for the life of the process
    script = textwrap.dedent(
        """
        import subprocess, sys, time
        from hubextras.demo import processes
        assert processes.become_subreaper()
        subprocess.run(["sh", "-c", "sleep 300 & echo $!"], stdout=open("orphan", "w"), check=True)
        orphan = int(open("orphan").read())
        time.sleep(0.2)
        adopted = orphan in processes.descendants(__import__("os").getpid())
        survivors = processes.stop_all(processes.identities({orphan}))
        print(adopted, survivors == set(), processes.alive(orphan))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=os.environ.get("TMPDIR", "/tmp"), env={**os.environ, "PYTHONPATH": os.getcwd()})

    assert done.stdout.split() == ["True", "True", "False"], done.stderr


def test_a_pid_that_now_names_another_process_is_left_alone():
    with subprocess.Popen(["sleep", "60"]) as bystander:
        try:
            recorded_earlier = processes.started_at(bystander.pid) - 1  # as if the pid had been reused since

            processes.stop_all({bystander.pid: recorded_earlier}, grace=0.2)

            assert bystander.poll() is None
        finally:
            bystander.kill()
