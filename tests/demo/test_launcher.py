"""The demo as a person runs it: `python -m hubextras.demo`, sign in through the stand-in, stop, nothing left behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from hubextras.demo.config import COMMUNITY_NAME
from hubextras.demo.people import PEOPLE

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nothing listens there, so a new hub could bind it (as servers do, with SO_REUSEADDR: closed
    connections may linger in TIME_WAIT)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def process_tree(pid: int) -> set[int]:
    """`pid`'s descendants, from `ps` (not from the demo's own bookkeeping)."""
    rows = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for row in rows.splitlines():
        child, parent = map(int, row.split())
        children.setdefault(parent, []).append(child)
    found, frontier = set(), [pid]
    while frontier:
        for child in children.get(frontier.pop(), []):
            found.add(child)
            frontier.append(child)
    return found


def running(pids: set[int]) -> set[int]:
    rows = subprocess.run(["ps", "-o", "pid=,stat=", "-p", ",".join(map(str, pids))], capture_output=True, text=True)
    return {int(pid) for pid, stat in (row.split() for row in rows.stdout.splitlines()) if not stat.startswith("Z")}


class Demo:
    def __init__(self, tmp_path: Path, *args: str):
        self.port, self.standin_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "hubextras.demo", "--port", str(self.port),
                   "--standin-port", str(self.standin_port), *args]
        env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)}
        env.pop("JUPYTERHUB_CRYPT_KEY", None)
        self.proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self.reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while "Press Ctrl-C to stop." not in self.output:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"the demo did not start:\n{self.output}")
            time.sleep(0.2)
        return self.output

    def sign_in(self, login: str) -> tuple[requests.Session, requests.Response]:
        """The OAuth flow a browser makes: hub -> stand-in's authorize page (as `login`) -> hub."""
        session = requests.Session()
        authorize = session.get(f"{self.url}/hub/oauth_login", allow_redirects=False, timeout=30)
        assert authorize.status_code == 302, authorize.text
        approved = session.get(authorize.headers["Location"], params={"login": login}, allow_redirects=False,
                               timeout=30)
        assert approved.status_code == 302, approved.text
        return session, session.get(approved.headers["Location"], timeout=60)

    def stop(self, sig: int) -> tuple[int, str]:
        self.proc.send_signal(sig)
        self.proc.wait(timeout=90)
        self.reader.join(timeout=10)
        return self.proc.returncode, self.output


@pytest.fixture
def demo(tmp_path):
    started = []

    def start(*args):
        started.append(Demo(tmp_path, *args))
        return started[-1]

    yield start
    for one in started:
        if one.proc.poll() is None:
            one.proc.kill()
            one.proc.wait(30)


def start_server(session: requests.Session, url: str, login: str) -> None:
    xsrf = {"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/")}
    token = session.post(f"{url}/hub/api/users/{login}/tokens", json={}, headers=xsrf, timeout=30)
    assert token.status_code == 201, token.text
    auth = {"Authorization": f"token {token.json()['token']}"}
    started = requests.post(f"{url}/hub/api/users/{login}/server", json={"profile": "small"}, headers=auth, timeout=90)
    assert started.status_code in (201, 202), started.text
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        server = requests.get(f"{url}/hub/api/users/{login}", headers=auth, timeout=30).json()["servers"].get("")
        if server and server["ready"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"{login}'s server did not become ready")


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
    assert (tmp_path / "state" / "jupyterhub.sqlite").exists(), "a chosen state folder is kept"


def test_ctrl_c_stops_everything_and_removes_the_temp_state(demo, tmp_path):
    running_demo = demo()
    output = running_demo.wait_ready()
    state = Path(re.search(r"^State: (\S+)", output, re.M).group(1))
    tree = process_tree(running_demo.proc.pid)
    assert state.is_dir() and state.is_relative_to(tmp_path)

    code, output = running_demo.stop(signal.SIGINT)

    assert code == 0, output
    assert running(tree) == set(), output
    assert port_is_free(running_demo.port)
    assert not state.exists()
