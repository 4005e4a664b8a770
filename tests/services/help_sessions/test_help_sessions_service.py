"""Help sessions on a real hub, proxy and jupyterhub-singleuser server: consent opens, revocation closes."""

import time

import pytest
import requests
from harness.browser import serious_accessibility_violations, sign_in
from playwright.sync_api import expect

from hubextras.usage.clock import set_clock

SERVICE = "/services/help-sessions/"


@pytest.fixture(scope="module")
def clock(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("clock") / "now")
    set_clock(path, time.time())
    return path


@pytest.fixture(scope="module")
def hub(hub_factory, clock):
    hub = hub_factory(pre_config=f"""
import os
c.JupyterHub.spawner_class = "simple"
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.HelpSessionsService.clock_file = {clock!r}
c.HelpSessionsService.sweep_seconds = 0.5
# the server trusts the hub's word on a visitor for a second only
c.HelpSessionsService.server_auth_cache_seconds = 1
""")
    for name in ("alice", "champ", "sam"):
        hub.login(name)  # signing in puts the champion in the champions' group
    r = hub.api("POST", "/users/alice/server", json={})
    assert r.status_code in (201, 202), r.text
    hub.wait_for_server("alice")
    # the hub reports ready before its managed services listen
    wait_for(lambda: requests.get(hub.url + SERVICE + "api/mine", timeout=10).headers.get("Content-Type", "")
             .startswith("application/json"), timeout=60, what="the help sessions service")
    return hub


@pytest.fixture(scope="module")
def tokens(hub):
    return {name: hub.user_token(name) for name in ("alice", "champ", "sam")}


def call(hub, tokens, who, method, path):
    return requests.request(method, hub.url + SERVICE + path, headers={"Authorization": f"token {tokens[who]}"},
                            timeout=30)


def server_status(hub, tokens, who="champ") -> int:
    """What alice's own server answers `who` (jupyterhub-singleuser asks the hub who may come in)."""
    r = requests.get(hub.url + "/user/alice/api/status", headers={"Authorization": f"token {tokens[who]}"},
                     timeout=30, allow_redirects=False)
    return r.status_code


def wait_for(condition, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def ended(hub, tokens):
    """Each test starts with alice's server not shared."""
    call(hub, tokens, "alice", "POST", "api/mine/end")
    yield
    call(hub, tokens, "alice", "POST", "api/mine/end")


def test_a_champion_without_a_share_gets_403_from_the_service_and_from_the_server(hub, tokens, ended):
    r = call(hub, tokens, "champ", "POST", "api/requests/alice/open")
    assert (r.status_code, "not shared with the champions" in r.json()["message"]) == (403, True)
    assert server_status(hub, tokens) == 403
    assert server_status(hub, tokens, "alice") == 200


def test_a_person_shares_from_their_home_page_and_sees_until_when(hub, page, screenshot, ended, clock):
    set_clock(clock, time.time())
    sign_in(page, hub, "alice", start="/hub/home")
    page.goto(hub.url + "/hub/home")
    page.get_by_role("link", name="Share my server with the champions for 1 hour").click()
    page.get_by_role("button", name="Share my server with the champions for 1 hour").click()
    expect(page.locator("#my-state")).to_contain_text("Shared with the champions until")
    screenshot("help-sessions-person")
    assert serious_accessibility_violations(page) == []
    page.goto(hub.url + "/hub/home")
    expect(page.locator("#help-session")).to_contain_text("shared with the hub champions until")
    screenshot("help-sessions-home")


def test_a_champion_sees_the_request_and_opens_the_server_from_it(hub, page, tokens, screenshot, ended, clock):
    set_clock(clock, time.time())
    assert call(hub, tokens, "alice", "POST", "api/mine/share").status_code == 200
    sign_in(page, hub, "champ", start="/hub/home")
    page.goto(hub.url + SERVICE)
    row = page.locator("#requests tr", has_text="alice")
    expect(row).to_contain_text("nobody yet")
    screenshot("help-sessions-champion")
    row.get_by_role("button", name="Open alice's server").click()
    # the hub asks the champion once to let alice's server know who they are (its OAuth page for shared servers)
    page.wait_for_url(f"{hub.url}/hub/api/oauth2/authorize**")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{hub.url}/user/alice/**")
    assert "/user/alice/" in page.url


def test_the_share_gives_a_champion_access_for_the_window_and_not_after(hub, tokens, ended, clock):
    now = time.time()
    set_clock(clock, now)
    share = call(hub, tokens, "alice", "POST", "api/mine/share").json()["request"]
    assert call(hub, tokens, "champ", "POST", "api/requests/alice/open").status_code == 200
    wait_for(lambda: server_status(hub, tokens) == 200, timeout=5, what="alice's server to let the champion in")
    set_clock(clock, share["until"] - 1)
    time.sleep(1.5)  # three sweeps: nothing to revoke inside the window
    assert server_status(hub, tokens) == 200
    set_clock(clock, share["until"])
    wait_for(lambda: server_status(hub, tokens) == 403, what="the share to end with its window")
    r = call(hub, tokens, "champ", "POST", "api/requests/alice/open")
    assert r.status_code == 403


def test_the_persons_revocation_ends_it_at_once(hub, tokens, ended, clock):
    set_clock(clock, time.time())
    call(hub, tokens, "alice", "POST", "api/mine/share")
    assert call(hub, tokens, "champ", "POST", "api/requests/alice/open").status_code == 200
    wait_for(lambda: server_status(hub, tokens) == 200, timeout=5, what="alice's server to let the champion in")
    r = call(hub, tokens, "alice", "POST", "api/mine/end")
    assert (r.status_code, r.json()["request"]["shared_with"]) == (200, [])
    # at once at the hub: no share left, and the champion's token no longer carries alice's server
    assert hub.api("GET", "/shares/alice/").json()["items"] == []
    scopes = requests.get(hub.hub_api_url + "/user", headers={"Authorization": f"token {tokens['champ']}"},
                          timeout=30).json()["scopes"]
    assert "access:servers!server=alice/" not in scopes
    # and at the server once its one-second trust in the hub's last answer is over
    wait_for(lambda: server_status(hub, tokens) == 403, timeout=5, what="alice's server to refuse the champion")


def test_the_record_shows_both_sides(hub, tokens, ended, clock):
    set_clock(clock, time.time())
    call(hub, tokens, "alice", "POST", "api/mine/share")
    call(hub, tokens, "champ", "POST", "api/requests/alice/open")
    mine = call(hub, tokens, "alice", "GET", "api/mine").json()["request"]
    assert [o["champion"] for o in mine["openings"]] == ["champ"]
    champions_view = call(hub, tokens, "champ", "GET", "api/requests").json()["requests"]
    assert [o["champion"] for o in champions_view[0]["openings"]] == ["champ"]
    home = hub.login("alice").get(hub.url + "/hub/home", timeout=30).text
    assert "Opened by: champ" in home
    audit = (hub.workdir / "help-sessions" / "audit.jsonl").read_text()
    assert '"who": "champ", "action": "open", "user": "alice"' in audit
    assert '"who": "alice", "action": "share"' in audit


def test_a_non_champion_cannot_see_or_open_help_requests(hub, tokens, ended):
    call(hub, tokens, "alice", "POST", "api/mine/share")
    assert call(hub, tokens, "sam", "GET", "api/requests").status_code == 403
    r = call(hub, tokens, "sam", "POST", "api/requests/alice/open")
    assert r.status_code == 403
    assert server_status(hub, tokens, "sam") == 403
