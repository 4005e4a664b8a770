"""The demo as a person runs it: `python -m hubextras.demo`, sign in through the stand-in, stop, nothing left behind."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
from harness.demo_process import Demo, port_is_free, process_tree, running, start_server

from hubextras.demo.config import COMMUNITY_NAME
from hubextras.demo.people import PEOPLE


@pytest.fixture
def demo(tmp_path):
    started = []

    def start(*args):
        started.append(Demo(tmp_path, *args))
        return started[-1]

    yield start
    for one in started:
        one.close()


def test_the_demo_prints_its_address_and_the_sign_in_table(demo):
    output = demo().wait_ready()

    assert re.search(r"hubextras demo is running: open http://127\.0\.0\.1:\d+/", output)
    for person in PEOPLE:
        assert re.search(rf"^  {person.login} +.+ -> {re.escape(person.outcome)}$", output, re.M), output


def test_everyone_in_the_sign_in_table_gets_what_it_says(demo):
    running_demo = demo()
    running_demo.wait_ready()

    for person in PEOPLE:
        _, landed = running_demo.sign_in(person.login)
        if person.admitted:
            assert landed.status_code == 200 and "/hub/" in landed.url, (person.login, landed.status_code)
        else:
            assert landed.status_code == 403, (person.login, landed.status_code)
            assert f"You cannot use {COMMUNITY_NAME} yet" in landed.text


def test_sigterm_with_a_server_running_leaves_no_process_and_frees_the_ports(demo, tmp_path):
    running_demo = demo("--state", str(tmp_path / "state"))
    running_demo.wait_ready()
    session, _ = running_demo.sign_in("alice")
    start_server(session, running_demo.url, "alice")
    tree = process_tree(running_demo.proc.pid)
    assert len(tree) >= 4, "hub, proxy, two services and alice's server"

    code, output = running_demo.stop(signal.SIGTERM)

    assert code == 0, output
    assert running(tree) == set(), output
    assert port_is_free(running_demo.port) and port_is_free(running_demo.standin_port)
    assert (tmp_path / "state" / "hub" / "jupyterhub.sqlite").exists(), "a chosen state folder is kept"


def test_ctrl_c_stops_everything_and_removes_the_temp_state(demo, tmp_path):
    running_demo = demo()
    output = running_demo.wait_ready()
    state = Path(re.search(r"^State: (\S+)", output, re.M).group(1))
    tree = process_tree(running_demo.proc.pid)
    assert state.is_dir() and state.is_relative_to(tmp_path)
    assert state.stat().st_mode & 0o777 == 0o711, "servers run as people's accounts reach their homes"
    assert (state / "hub").stat().st_mode & 0o777 == 0o700, "the database and secrets are the hub's alone"

    code, output = running_demo.stop(signal.SIGINT)

    assert code == 0, output
    assert running(tree) == set(), output
    assert port_is_free(running_demo.port)
    assert not state.exists()
