"""The guard on a real hub and proxy: fake miners in people's servers are stopped within seconds, the person is
blocked until a champion lifts it, champions see the evidence; allow-listed and ordinary work go on."""

import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from harness.browser import serious_accessibility_violations, sign_in
from playwright.sync_api import expect

WORKING_SERVER = str(Path(__file__).resolve().with_name("working_server.py"))
SERVICE = "/services/guard/"
SLEEP = "import time; time.sleep(300)"


@pytest.fixture(scope="module")
def pool():
    """A local "mining pool": a listener on a free port that accepts and holds connections."""
    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for connection in held:
        connection.close()


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("work")


@pytest.fixture(scope="module")
def hub(hub_factory, pool, work_dir):
    hub = hub_factory(pre_config=f"""
import sys
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [sys.executable, {WORKING_SERVER!r}]
c.Spawner.environment = {{"HUBEXTRAS_TEST_WORK_DIR": {str(work_dir)!r}}}
c.HubExtras.contact = "the hub champions at help@example.org"
c.GuardService.scan_seconds = 0.5
c.GuardService.stratum_ports = [{pool}]
c.GuardService.allow = ["course-tool"]
c.GuardService.cpu_report_seconds = 3
c.GuardService.cpu_report_fraction = 0.1  # a busy shared machine gives the loop a small share
""")
    for name in ("alice", "champ"):
        hub.login(name)
    r = hub.api("POST", "/users", json={"usernames": ["poolside", "coursework", "numerics"]})
    assert r.status_code in (201, 409), r.text
    return hub


def start_server(hub, user):
    r = hub.api("POST", f"/users/{user}/server", json={})
    assert r.status_code in (201, 202), r.text
    hub.wait_for_server(user)


def run_in_server(work_dir, user, argv) -> int:
    """Run `argv` inside `user`'s server; its pid."""
    inbox = work_dir / user
    inbox.mkdir(exist_ok=True)
    name = f"{time.monotonic_ns()}"
    (inbox / f"{name}.tmp").write_text(json.dumps({"argv": argv}))
    os.replace(inbox / f"{name}.tmp", inbox / f"{name}.json")
    pid_file = inbox / f"{name}.pid"
    wait_for(pid_file.exists, what=f"{user}'s server to run the command")
    return int(pid_file.read_text())


def wait_for(condition, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def server_running(hub, user) -> bool:
    return bool(hub.api("GET", f"/users/{user}").json()["servers"])


def alerts(hub, kind=None):
    token = hub.user_token("champ")
    found = requests.get(hub.url + SERVICE + "api/alerts", headers={"Authorization": f"token {token}"},
                         timeout=30).json()["alerts"]
    return [a for a in found if kind is None or a["kind"] == kind]


def test_a_banned_string_in_a_command_line_is_killed_and_the_server_stopped_within_seconds(hub, work_dir):
    start_server(hub, "alice")
    pid = run_in_server(work_dir, "alice", [sys.executable, "-c", SLEEP, "--donate-level", "1"])
    started = time.monotonic()
    wait_for(lambda: not alive(pid), timeout=10, what="the fake miner to be killed")
    wait_for(lambda: not server_running(hub, "alice"), timeout=10, what="alice's server to stop")
    assert time.monotonic() - started < 10
    (alert,) = [a for a in alerts(hub) if a["user"] == "alice"]
    assert (alert["kind"], alert["rule"], alert["pid"]) == ("banned-string", "--donate-level", pid)
    assert "--donate-level 1" in alert["command"] and alert["actions"] == ["blocked", "killed", "stopped"]


def test_the_person_cannot_start_again_and_their_home_page_says_why_and_whom_to_ask(hub, page, screenshot):
    r = hub.api("POST", "/users/alice/server", json={})
    assert r.status_code == 403, r.text
    assert "until a hub champion lifts the block" in r.json()["message"]
    sign_in(page, hub, "alice", start="/hub/home")
    page.goto(hub.url + "/hub/home")
    block = page.locator("#guard-block")
    expect(block).to_contain_text("banned string '--donate-level'")
    expect(block).to_contain_text("the hub champions at help@example.org")
    screenshot("guard-person-home")


def test_the_alert_appears_in_the_servers_panel_with_its_evidence(hub, page, screenshot):
    sign_in(page, hub, "champ", start="/hub/home")
    page.goto(hub.url + "/services/servers-panel/")
    section = page.get_by_role("region", name="Guard alerts (1 blocked)")
    expect(section).to_contain_text("alice: its command line contains the banned string '--donate-level'")
    expect(section.locator("code").first).to_contain_text("--donate-level 1")
    screenshot("guard-servers-panel")


def test_the_servers_panel_shows_no_guard_alerts_to_those_without_the_guards_scope(hub):
    token = hub.user_token("alice")
    r = requests.get(hub.url + "/services/servers-panel/api/guard-alerts",
                     headers={"Authorization": f"token {token}"}, timeout=30)
    assert r.status_code == 403


def test_the_alert_appears_for_champions_with_its_evidence_and_a_champion_lifts_the_block(hub, page, screenshot):
    sign_in(page, hub, "champ", start="/hub/home")
    page.goto(hub.url + SERVICE)
    row = page.locator("#alerts tr", has_text="alice")
    expect(row).to_contain_text("--donate-level 1")
    expect(row).to_contain_text("banned-string")
    screenshot("guard-champion-alerts")
    assert serious_accessibility_violations(page) == []
    row.get_by_role("button", name="Lift alice's block").click()
    expect(row.get_by_role("button")).to_have_count(0)
    r = hub.api("POST", "/users/alice/server", json={})
    assert r.status_code in (201, 202), r.text
    audit = (hub.workdir / "guard" / "audit.jsonl").read_text()
    assert '"who": "champ", "action": "lift", "user": "alice"' in audit


def test_a_connection_to_a_stratum_port_is_killed(hub, work_dir, pool):
    start_server(hub, "poolside")
    connect = f"import socket, time; s = socket.create_connection(('127.0.0.1', {pool})); time.sleep(300)"
    pid = run_in_server(work_dir, "poolside", [sys.executable, "-c", connect])
    wait_for(lambda: not alive(pid), timeout=10, what="the pool client to be killed")
    wait_for(lambda: not server_running(hub, "poolside"), timeout=10, what="poolside's server to stop")
    (alert,) = [a for a in alerts(hub) if a["user"] == "poolside"]
    assert (alert["kind"], alert["rule"]) == ("stratum-port", str(pool))


def test_an_allow_listed_command_survives(hub, work_dir):
    start_server(hub, "coursework")
    pid = run_in_server(work_dir, "coursework", [sys.executable, "-c", SLEEP, "course-tool", "stratum+tcp://docs"])
    time.sleep(3)  # six scans
    assert alive(pid) and server_running(hub, "coursework")
    assert [a for a in alerts(hub) if a["user"] == "coursework"] == []
    os.kill(pid, signal.SIGKILL)


def test_ordinary_numerical_work_is_reported_for_its_cpu_but_never_killed(hub, work_dir):
    start_server(hub, "numerics")
    busy = ("import numpy as np, time\nstart = time.time()\na = np.random.rand(300, 300)\n"
            "while time.time() - start < 60:\n    a = np.tanh(a @ a)\n")
    pid = run_in_server(work_dir, "numerics", [sys.executable, "-c", busy])
    report = wait_for(lambda: [a for a in alerts(hub, "sustained-cpu") if a["user"] == "numerics"], timeout=50,
                      what="the CPU report")
    assert report[0]["actions"] == [] and report[0]["pid"] == pid
    assert alive(pid) and server_running(hub, "numerics")
    os.kill(pid, signal.SIGKILL)


def test_a_non_champion_cannot_see_alerts_or_lift_blocks(hub):
    token = hub.user_token("alice")
    headers = {"Authorization": f"token {token}"}
    assert requests.get(hub.url + SERVICE + "api/alerts", headers=headers, timeout=30).status_code == 403
    assert requests.post(hub.url + SERVICE + "api/blocks/alice/lift", headers=headers, timeout=30).status_code == 403
