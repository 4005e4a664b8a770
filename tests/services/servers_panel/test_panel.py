"""The servers panel on a real hub and proxy: 50+ users with fake servers, alice with a real one.

Tests run in file order and share the hub (with xdist: `--dist loadfile`); the bulk stop in the
browser comes last because it stops the crowd.
"""

import re
from urllib.parse import quote

import pytest
import requests
from harness.browser import sign_in
from panel_fixtures import CROWD, PANEL, REAL_SERVER_OPTIONS, act, panel_session, running_servers, wait_until
from playwright.sync_api import expect

from hubextras.services.base.audit import AuditLog


def get_json(hub, session, path, **params):
    r = session.get(hub.url + PANEL + path, params=params, timeout=60)
    assert r.headers["Content-Type"].startswith("application/json"), r.text[:200]
    return r.status_code, r.json()


def test_a_champion_sees_every_user_page_by_page_with_resource_use(panel_hub):
    session, _ = panel_session(panel_hub, "champ")
    users, offset = set(), 0
    while offset is not None:
        status, page = get_json(panel_hub, session, "api/servers", limit=20, offset=offset)
        assert status == 200, page
        users |= {row["user"] for row in page["items"]}
        offset = page["next_offset"]
    hub_users = {u["name"] for u in panel_hub.api("GET", "/users").json()}
    assert users == hub_users and len(users) > 50
    _, running = get_json(panel_hub, session, "api/servers", status="running", search="learner00")
    assert [row["status"] for row in running["items"]] == ["running"] * 10
    assert all(row["usage"]["memory_bytes"] > 0 for row in running["items"]), running["items"][0]


def test_filters_by_status_and_group_count_only_matching_servers(panel_hub):
    session, _ = panel_session(panel_hub, "champ")
    _, running = get_json(panel_hub, session, "api/servers", status="running", limit=5)
    assert running["total"] == running_servers(panel_hub, CROWD + ["alice"])
    assert running["paged_by"] == "servers" and len(running["items"]) == 5
    _, students = get_json(panel_hub, session, "api/servers", group="demo-org:students", limit=50)
    assert sorted(row["user"] for row in students["items"]) == CROWD[:12]


def test_the_real_server_shows_its_profile_and_choices(panel_hub):
    session, _ = panel_session(panel_hub, "champ")
    _, page = get_json(panel_hub, session, "api/servers", search="alice")
    (row,) = [r for r in page["items"] if r["user"] == "alice"]
    assert (row["status"], row["profile"], row["image"]) == ("running", "shared-small", "datascience")


def test_named_servers_have_their_own_rows_and_actions(panel_hub):
    r = panel_hub.api("POST", "/users/learner045/servers/gpu", json={})
    assert r.status_code in (201, 202), r.text
    session, xsrf = panel_session(panel_hub, "champ")

    def named_row():
        rows = get_json(panel_hub, session, "api/servers", search="learner045")[1]["items"]
        return next((row for row in rows if row["key"] == "learner045/gpu" and row["status"] == "running"), None)

    wait_until(named_row, what="learner045's named server in the panel")
    job = act(panel_hub, session, xsrf, {"action": "stop", "servers": [{"user": "learner045", "server": "gpu"}]})
    assert [(row["key"], row["state"]) for row in job["rows"]] == [("learner045/gpu", "done")]
    servers = panel_hub.api("GET", "/users/learner045").json()["servers"]
    assert "gpu" not in servers and servers[""]["ready"]


def test_a_non_champion_is_refused_with_403_by_the_hub_and_by_the_api(panel_hub):
    session = panel_hub.login("alice")
    r = session.get(panel_hub.url + PANEL, timeout=60)
    assert r.status_code == 403
    assert "permission to access" in r.text
    token = panel_hub.user_token("alice")
    r = session.get(panel_hub.url + PANEL + "api/servers", headers={"Authorization": f"token {token}"}, timeout=60)
    assert (r.status_code, "signed in as alice" in r.json()["message"]) == (403, True)


def test_a_script_with_a_champions_token_uses_the_api_without_xsrf(panel_hub):
    headers = {"Authorization": f"token {panel_hub.user_token('champ')}"}
    url = panel_hub.url + PANEL
    r = requests.get(url + "api/servers", params={"search": "learner003"}, headers=headers, timeout=60)
    assert r.status_code == 200 and r.json()["items"][0]["status"] == "running"
    r = requests.post(url + "api/actions", json={"action": "stop", "servers": [{"user": "learner003"}]},
                      headers=headers, timeout=60)
    assert r.status_code == 202, r.text
    job_url = url + f"api/jobs/{r.json()['id']}"
    job = wait_until(lambda: (j := requests.get(job_url, headers=headers, timeout=60).json())["finished"] and j,
                     what="the scripted stop")
    assert [row["state"] for row in job["rows"]] == ["done"]
    assert running_servers(panel_hub, ["learner003"]) == 0


def test_a_hub_admin_can_use_the_panel_too(panel_hub):
    session, _ = panel_session(panel_hub, "ada")
    status, page = get_json(panel_hub, session, "api/servers", search="learner001")
    assert status == 200 and page["items"][0]["may"] == {"stop": True, "start": True, "restart": True}


def test_a_forged_action_without_the_xsrf_token_is_refused_and_changes_nothing(panel_hub):
    session, _ = panel_session(panel_hub, "champ")
    r = session.post(panel_hub.url + PANEL + "api/actions", json={"action": "stop", "servers": [{"user": CROWD[5]}]},
                     headers={"Origin": "http://evil.example"}, timeout=60)
    assert r.status_code == 403
    assert "XSRF" in r.json()["message"]
    assert running_servers(panel_hub, [CROWD[5]]) == 1
    _, audit = get_json(panel_hub, session, "api/audit")
    assert not [e for e in audit["entries"] if e["user"] == CROWD[5]]


def test_a_signed_in_post_with_a_bogus_authorization_header_still_needs_the_xsrf_token(panel_hub):
    session, _ = panel_session(panel_hub, "champ")
    r = session.post(panel_hub.url + PANEL + "api/actions", json={"action": "stop", "servers": [{"user": CROWD[6]}]},
                     headers={"Authorization": "token nonsense"}, timeout=60)
    assert r.status_code == 403, r.text
    assert "XSRF" in r.json()["message"]
    assert running_servers(panel_hub, [CROWD[6]]) == 1
    _, audit = get_json(panel_hub, session, "api/audit")
    assert not [e for e in audit["entries"] if e["user"] == CROWD[6]]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"action": "reboot", "servers": [{"user": "alice"}]}, "action: Input should be 'stop', 'start' or 'restart'"),
        ({"action": "stop"}, "Say which servers"),
        ({"action": "stop", "servers": "alice"}, "servers: Input should be a valid list"),
        ({"action": "stop", "match": {"status": "sleepy"}}, "match.status: Input should be"),
    ],
)
def test_bad_actions_get_a_400_that_says_what_to_send(panel_hub, body, message):
    session, xsrf = panel_session(panel_hub, "champ")
    r = session.post(panel_hub.url + PANEL + "api/actions", json=body, headers={"X-XSRFToken": xsrf}, timeout=60)
    assert r.status_code == 400 and message in r.json()["message"], r.text


def test_an_action_on_an_unknown_user_does_nothing_and_names_them(panel_hub):
    session, xsrf = panel_session(panel_hub, "champ")
    body = {"action": "stop", "servers": [{"user": "learner004"}, {"user": "nobody-here"}]}
    r = session.post(panel_hub.url + PANEL + "api/actions", json=body, headers={"X-XSRFToken": xsrf}, timeout=60)
    assert r.status_code == 404 and "The hub does not show you nobody-here" in r.json()["message"], r.text
    assert running_servers(panel_hub, ["learner004"]) == 1


def test_a_body_that_is_not_json_gets_a_400(panel_hub):
    session, xsrf = panel_session(panel_hub, "champ")
    r = session.post(panel_hub.url + PANEL + "api/actions", data="stop everything", headers={"X-XSRFToken": xsrf},
                     timeout=60)
    assert r.status_code == 400 and r.json()["message"].startswith("The body is not valid JSON"), r.text


def test_a_group_limited_champion_is_refused_by_the_hub_outside_the_group(panel_hub):
    session, xsrf = panel_session(panel_hub, "carol")
    _, page = get_json(panel_hub, session, "api/servers", search="learner0", limit=20)
    may_stop = {row["user"]: row["may"]["stop"] for row in page["items"]}
    assert may_stop["learner001"] and not may_stop["learner015"]
    job = act(panel_hub, session, xsrf, {"action": "stop", "servers": [{"user": "learner015"}, {"user": "learner002"}]})
    rows = {row["user"]: row for row in job["rows"]}
    assert rows["learner002"]["state"] == "done"
    assert rows["learner015"]["state"] == "failed"
    assert rows["learner015"]["message"].startswith("The hub refused: you may not stop learner015's server")
    assert running_servers(panel_hub, ["learner015", "learner002"]) == 1


def test_restart_brings_a_real_server_back_with_the_same_options(panel_hub):
    before = panel_hub.api("GET", "/users/alice").json()["servers"][""]
    session, xsrf = panel_session(panel_hub, "champ")
    job = act(panel_hub, session, xsrf, {"action": "restart", "servers": [{"user": "alice", "server": ""}]})
    assert [(r["state"], r["message"]) for r in job["rows"]] == [("done", "Restarted with the same options.")]
    after = panel_hub.api("GET", "/users/alice").json()["servers"][""]
    assert after["ready"] and after["started"] != before["started"]
    assert after["user_options"] == before["user_options"] == REAL_SERVER_OPTIONS


def test_every_action_is_in_the_audit_log_with_who_what_and_result(panel_hub):
    session, _ = panel_session(panel_hub, "champ")
    _, audit = get_json(panel_hub, session, "api/audit", limit=50)
    seen = {(e["who"], e["action"], e["user"], e["result"]) for e in audit["entries"]}
    assert ("carol", "stop", "learner015", "failed") in seen
    assert ("champ", "restart", "alice", "done") in seen
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]) for e in audit["entries"])


def test_a_helper_who_may_not_list_users_sees_their_own_actions_among_many_others(panel_hub):
    session, xsrf = panel_session(panel_hub, "sam")
    job = act(panel_hub, session, xsrf, {"action": "stop", "servers": [{"user": "learner011"}]})
    assert [row["state"] for row in job["rows"]] == ["done"]
    others = AuditLog(panel_hub.workdir / "servers-panel" / "audit.jsonl")
    for n in range(1500):
        others.record("champ", "restart", user=CROWD[20 + n % 30], server="", result="done",
                      message="Restarted with the same options.")
    _, audit = get_json(panel_hub, session, "api/audit", limit=10)
    assert [(e["who"], e["action"], e["user"]) for e in audit["entries"]] == [("sam", "stop", "learner011")]


def open_panel(page, hub, name, query=""):
    # what the page logs is printed, and pytest shows it when a test fails
    page.on("console", lambda message: print(f"browser console {message.type}: {message.text}"))
    sign_in(page, hub, name, start=f"/hub/login?next={quote(PANEL)}")
    page.goto(hub.url + PANEL + query)
    page.wait_for_selector("#servers tbody tr")


@pytest.mark.browser
def test_a_champion_stops_and_restarts_a_server_in_chromium_and_sees_the_status_change(panel_hub, page, screenshot):
    open_panel(page, panel_hub, "champ")
    page.get_by_label("Search users").fill("learner04")
    expect(page.locator("#page-info")).to_have_text("1-10 of 10 users")
    row = page.locator('tr[data-key="learner040/"]')
    badge = row.locator(".badge")
    badge.wait_for()
    assert badge.inner_text() == "running"
    screenshot("servers-panel")
    row.get_by_role("button", name="Stop learner040/", exact=True).click()
    page.wait_for_selector('tr[data-key="learner040/"][data-status="stopped"]', timeout=60_000)
    assert running_servers(panel_hub, ["learner040"]) == 0
    row.get_by_role("button", name="Start learner040/", exact=True).click()
    page.wait_for_selector('tr[data-key="learner040/"][data-status="running"]', timeout=60_000)
    row.get_by_role("button", name="Restart learner040/", exact=True).click()
    row.locator(".row-done", has_text="Restarted.").wait_for(timeout=60_000)
    assert badge.inner_text() == "running"
    screenshot("servers-panel-restarted")
    panel_hub.api("DELETE", "/users/learner041/server")
    page.wait_for_selector('tr[data-key="learner041/"][data-status="stopped"]', timeout=30_000)


@pytest.mark.browser
def test_a_champion_stops_every_running_server_over_several_pages_with_progress(panel_hub, page, screenshot):
    open_panel(page, panel_hub, "champ")
    page.get_by_label("Per page").select_option("10")
    page.get_by_label("Search users").fill("learner")
    page.get_by_label("Status").select_option("running")
    running = running_servers(panel_hub, CROWD)
    assert running > 30  # several pages of 10
    expect(page.locator("#page-info")).to_have_text(f"1-10 of {running} servers")
    page.get_by_role("button", name="Select all matching").click()
    page.locator("[data-bulk=stop]").click()
    assert f"Stop every matching server ({running} servers)?" in page.locator("#hubextras-confirm-body").inner_text()
    screenshot("servers-panel-bulk-confirm")
    page.get_by_role("button", name="Yes, stop").click()
    page.wait_for_function("document.querySelector('#job-title').textContent.includes('finished')", timeout=120_000)
    assert page.locator("#job-summary").inner_text().startswith(f"{running} done, 0 failed")
    screenshot("servers-panel-bulk-done")
    wait_until(lambda: running_servers(panel_hub, CROWD) == 0, what="the crowd's servers to be stopped")
    page.wait_for_function("document.querySelector('#page-info').textContent === 'No servers match.'")
