"""The login page of a fresh install: nothing set, and it still looks right."""

import pytest
from page_checks import horizontal_overflow, open_login, serious_accessibility_violations

pytestmark = pytest.mark.browser


def test_fresh_install_shows_the_community_name_and_one_login_button(plain_hub, page):
    open_login(page, plain_hub)
    assert page.get_by_role("heading", level=1).inner_text() == "Test Community"
    assert page.get_by_role("button", name="Log in to continue").is_visible()
    assert "You sign in with your GitHub account." in page.locator("#hubextras-login").inner_text()
    assert page.title() == "Test Community"


def test_fresh_install_shows_no_empty_sections(plain_hub, page):
    open_login(page, plain_hub)
    for absent in ("#community-logo", "#interface-selector", "#announcements", "#faq", "#hub-credits"):
        assert page.locator(absent).count() == 0, f"{absent} is shown though nothing was configured"


def test_fresh_install_login_button_goes_to_github_sign_in(plain_hub, page):
    open_login(page, plain_hub)
    page.get_by_role("button", name="Log in to continue").click()
    page.get_by_role("button", name="Authorize as alice").wait_for()
    assert "/login/oauth/authorize" in page.url


def test_fresh_install_login_page_fits_a_phone_screen(plain_hub, phone):
    open_login(phone, plain_hub)
    assert horizontal_overflow(phone) == 0
    assert phone.get_by_role("button", name="Log in to continue").is_visible()


def test_fresh_install_login_page_has_no_serious_accessibility_violations(plain_hub, page):
    open_login(page, plain_hub)
    assert serious_accessibility_violations(page) == []
