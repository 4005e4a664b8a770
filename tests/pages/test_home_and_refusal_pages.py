"""The home page (champions find their panels there) and the page that refuses a non-member."""

import pytest
from harness.browser import sign_in
from page_checks import horizontal_overflow, save_screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser

PANELS = {"Shared data": "/services/shared-data/", "Servers": "/services/servers-panel/"}


def open_home(page, hub, username: str) -> None:
    sign_in(page, hub, username, start="/hub/login?next=%2Fhub%2Fhome")
    page.goto(f"{hub.url}/hub/home")


@pytest.mark.parametrize("username", ["champ", "ada"])
def test_champions_and_admins_see_links_to_both_panels(configured_hub, page, username):
    open_home(page, configured_hub, username)
    panels = page.get_by_role("region", name="Champions' panels")
    for label, path in PANELS.items():
        assert panels.get_by_role("link", name=label).get_attribute("href") == path
    if username == "champ":
        save_screenshot(page, "home-champion")


def test_panel_link_opens_the_service_address(configured_hub, page):
    open_home(page, configured_hub, "champ")
    with page.expect_request(f"{configured_hub.url}/services/servers-panel/") as opened:
        page.get_by_role("link", name="Servers").click()
    assert opened.value.is_navigation_request()


def test_member_outside_the_champions_sees_no_panels(configured_hub, page):
    open_home(page, configured_hub, "alice")
    assert page.locator("#start").is_visible()
    assert page.locator("#champion-panels").count() == 0
    for label in PANELS:
        assert page.get_by_role("link", name=label, exact=True).count() == 0


def test_home_page_shows_the_announcements(configured_hub, page):
    open_home(page, configured_hub, "sam")
    announcements = page.get_by_role("region", name="Announcements")
    assert "Maintenance on Saturday" in announcements.inner_text()


def test_champion_home_page_has_no_serious_accessibility_violations(configured_hub, page):
    open_home(page, configured_hub, "champ")
    assert serious_accessibility_violations(page) == []


def test_champion_home_page_fits_a_phone_screen(configured_hub, phone):
    open_home(phone, configured_hub, "champ")
    assert horizontal_overflow(phone) == 0
    assert phone.get_by_role("link", name="Shared data").is_visible()


def test_refusal_says_who_to_ask_and_which_teams_admit(configured_hub, page):
    sign_in(page, configured_hub, "eve")
    assert page.get_by_role("heading", level=1).inner_text() == "You cannot use Demo Research Community yet"
    message = page.locator("#refusal-message").inner_text()
    for team in ("demo-org:hub-users", "demo-org:students", "demo-org:hub-champions"):
        assert team in message
    assert "the hub champions at hub-help@example.org" in page.locator(".error").inner_text()


def test_pending_invitation_is_refused_with_the_same_page(configured_hub, page):
    sign_in(page, configured_hub, "dora")
    assert page.get_by_role("heading", level=1).inner_text() == "You cannot use Demo Research Community yet"


def test_try_a_different_account_returns_to_the_login_page(configured_hub, page):
    sign_in(page, configured_hub, "eve")
    page.get_by_role("link", name="Try a different account").click()
    page.wait_for_url(f"{configured_hub.url}/hub/login**")
    assert page.get_by_role("button", name="Log in to continue").is_visible()


def test_refusal_page_fits_a_phone_screen(configured_hub, phone):
    sign_in(phone, configured_hub, "eve")
    assert horizontal_overflow(phone) == 0
    assert phone.get_by_role("link", name="Try a different account").is_visible()
    save_screenshot(phone, "refusal-page-phone")


def test_refusal_page_has_no_serious_accessibility_violations(configured_hub, page):
    sign_in(page, configured_hub, "eve")
    assert serious_accessibility_violations(page) == []
