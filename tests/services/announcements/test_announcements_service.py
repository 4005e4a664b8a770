"""The announcements service on a real hub and proxy: champions post, everyone sees, nobody else posts."""

import time

import pytest
import requests
from harness.browser import serious_accessibility_violations, sign_in
from playwright.sync_api import expect

from hubextras.usage.clock import set_clock

SERVICE = "/services/announcements/"


@pytest.fixture(scope="module")
def clock(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("clock") / "now")
    set_clock(path, time.time())
    return path


@pytest.fixture(scope="module")
def hub(hub_factory, clock):
    return hub_factory(pre_config=f"""
c.AnnouncementsService.clock_file = {clock!r}
c.HubExtras.announcements = ["Operator: the hub moves to a new machine in May."]
""")


def post(hub, body, user="champ"):
    token = hub.user_token(user)
    return requests.post(hub.url + SERVICE + "api/announcements", json=body,
                         headers={"Authorization": f"token {token}"}, timeout=30)


def login_page(hub) -> str:
    r = requests.get(hub.url + "/hub/login", timeout=30)
    assert r.status_code == 200
    return r.text


def test_a_champion_posts_an_announcement_on_the_page_and_sees_it_on_the_home_page(hub, page, screenshot):
    sign_in(page, hub, "champ")
    page.goto(hub.url + SERVICE)
    page.get_by_label("Text", exact=True).fill("**Maintenance** on Saturday 10:00-12:00 UTC: save your work.")
    page.get_by_label("the home page").check()
    page.get_by_label("the server options page").check()
    page.get_by_role("button", name="Post").click()
    card = page.locator("#board li", has_text="Maintenance")
    expect(card).to_contain_text("showing")
    expect(card.locator("strong")).to_have_text("Maintenance")
    screenshot("announcements-champion")
    assert serious_accessibility_violations(page) == []
    page.goto(hub.url + "/hub/home")
    expect(page.get_by_role("region", name="Announcements")).to_contain_text("Maintenance on Saturday")
    screenshot("announcements-home")


def test_a_signed_out_visitor_sees_the_current_announcement_on_the_login_page(hub, page):
    assert post(hub, {"markdown": "Login notice: *new* GPUs", "places": ["login"]}).status_code == 201
    page.goto(hub.url + "/hub/login")
    expect(page.locator("#announcements")).to_contain_text("Login notice: new GPUs")
    expect(page.locator("#announcements em")).to_have_text("new")


def test_the_operators_announcement_shows_where_no_champion_posted(hub):
    r = hub.login("alice").get(hub.url + "/hub/spawn", timeout=30)
    assert "Operator: the hub moves" not in r.text
    assert post(hub, {"markdown": "Only on the spawn form", "places": ["spawn"]}).status_code == 201
    assert "Only on the spawn form" in hub.login("alice").get(hub.url + "/hub/spawn", timeout=30).text


def test_an_announcement_disappears_at_its_end_time(hub, clock):
    now = time.time()
    set_clock(clock, now)
    r = post(hub, {"markdown": "Ends in a minute", "places": ["login"], "starts": now, "ends": now + 60})
    assert r.status_code == 201, r.text
    assert "Ends in a minute" in login_page(hub)
    set_clock(clock, now + 60)
    assert "Ends in a minute" not in login_page(hub)


def test_a_champion_expires_an_announcement_and_it_leaves_the_pages_at_once(hub):
    created = post(hub, {"markdown": "Expire me", "places": ["login"]}).json()
    token = hub.user_token("champ")
    r = requests.post(hub.url + SERVICE + f"api/announcements/{created['id']}/expire",
                      headers={"Authorization": f"token {token}"}, timeout=30)
    assert (r.status_code, r.json()["state"]) == (200, "ended")
    assert "Expire me" not in login_page(hub)


def test_a_champion_edits_an_announcement_and_the_pages_show_the_new_text(hub):
    created = post(hub, {"markdown": "Typo herre", "places": ["login"]}).json()
    token = hub.user_token("champ")
    r = requests.put(hub.url + SERVICE + f"api/announcements/{created['id']}",
                     json={"markdown": "Typo fixed", "places": ["login"]},
                     headers={"Authorization": f"token {token}"}, timeout=30)
    assert (r.status_code, r.json()["edited_by"]) == (200, "champ")
    text = login_page(hub)
    assert "Typo fixed" in text and "Typo herre" not in text


XSS = [
    "<script>window.__xss = 'script'</script>",
    "<img src=x onerror=\"window.__xss = 'onerror'\">",
    "[click me](javascript:window.__xss='link')",
    "<svg onload=\"window.__xss = 'svg'\"><script>window.__xss='svg-script'</script></svg>",
    "<a href=\"javascript:window.__xss='a'\">raw link</a>",
    "[data](data:text/html,<script>window.__xss='data'</script>)",
]


def test_markup_in_an_announcement_cannot_run_script_on_the_hubs_pages(hub, page):
    for markdown in XSS:
        assert post(hub, {"markdown": markdown, "places": ["login"]}).status_code == 201
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hub.url + "/hub/login")
    section = page.locator("#announcements")
    expect(section).to_contain_text("click me")
    for link in section.locator("a").all():
        assert not (link.get_attribute("href") or "").lower().startswith(("javascript:", "data:"))
    page.get_by_text("click me").click()
    assert page.evaluate("window.__xss === undefined"), page.evaluate("window.__xss")
    assert section.locator("script, svg, img, [onerror], [onload]").count() == 0
    assert dialogs == []


def test_markup_cannot_run_script_on_the_champions_board_either(hub, page):
    sign_in(page, hub, "champ")
    page.goto(hub.url + SERVICE)
    expect(page.locator("#board li").first).to_be_visible()
    expect(page.locator("#board")).to_contain_text("window.__xss = 'script'")
    assert page.evaluate("window.__xss === undefined")
    assert page.locator("#board script, #board svg, #board img").count() == 0


def test_a_non_champion_cannot_post(hub):
    r = post(hub, {"markdown": "I am not a champion", "places": ["login"]}, user="alice")
    assert r.status_code == 403
    assert "I am not a champion" not in login_page(hub)


def test_a_non_champion_is_refused_the_champions_page(hub):
    r = hub.login("alice").get(hub.url + SERVICE, timeout=30)
    assert r.status_code == 403


def test_a_bad_draft_gets_a_400_that_says_what_to_change_and_nothing_is_posted(hub):
    r = post(hub, {"markdown": "No place", "places": []})
    assert (r.status_code, "Choose where" in r.json()["message"]) == (400, True)
    r = post(hub, {"markdown": "x", "places": ["login"], "colour": "red"})
    assert r.status_code == 400
    token = hub.user_token("champ")
    board = requests.get(hub.url + SERVICE + "api/announcements", headers={"Authorization": f"token {token}"},
                         timeout=30).json()["announcements"]
    assert not any(a["markdown"] in ("No place", "x") for a in board)


def test_every_change_is_in_the_audit_log(hub):
    created = post(hub, {"markdown": "Audited", "places": ["home"]}).json()
    log = (hub.workdir / "announcements" / "audit.jsonl").read_text()
    assert f'"who": "champ", "action": "post", "announcement": "{created["id"]}"' in log
