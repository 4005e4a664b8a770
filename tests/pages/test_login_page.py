"""The login page with every setting used, as a person meets it: on a desktop, on a phone, with a screen reader."""

import re

import pytest
from page_checks import horizontal_overflow, open_login, save_screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser


def test_configured_page_shows_logo_name_credits_announcement_and_faq(configured_hub, page):
    open_login(page, configured_hub)
    assert page.get_by_role("heading", level=1).inner_text() == "Demo Research Community"
    assert page.get_by_role("img", name="Demo Research Community logo").is_visible()
    assert page.locator("#operated-by").inner_text() == "Operated by Example Operators"
    assert page.get_by_role("link", name="Example Operators").get_attribute("href") == "https://operators.example.org/"
    assert page.locator("#funded-by").inner_text() == "Funded by the Open Research Fund"
    assert page.locator("#designed-by").inner_text() == "Designed by the demo-org hub champions"
    assert "Maintenance on Saturday" in page.locator("#announcements").inner_text()
    save_screenshot(page, "login-page-configured")


def test_faq_answer_opens_when_its_question_is_clicked(configured_hub, page):
    open_login(page, configured_hub)
    answer = page.locator("#faq details", has_text="Who can log in?").locator("div")
    assert not answer.is_visible()
    page.get_by_text("Who can log in?").click()
    assert answer.is_visible()
    assert answer.inner_text() == "Members of the demo-org GitHub teams."


def test_faq_questions_are_shown_as_text_not_markup(configured_hub, page):
    open_login(page, configured_hub)
    questions = page.locator("#faq summary").all_inner_texts()
    assert "Can I use R & <Python>?" in questions


def test_interface_selector_offers_the_configured_interfaces_first_one_chosen(configured_hub, page):
    open_login(page, configured_hub)
    selector = page.get_by_role("group", name="Open after you log in")
    labels = selector.locator("label").all_inner_texts()
    assert selector.get_by_role("radio").count() == len(labels)
    assert labels == ["JupyterLab", "Notebook", "RStudio"]
    assert page.get_by_label("JupyterLab").is_checked()


def test_chosen_interface_opens_after_sign_in(configured_hub, page):
    visited = []
    page.on("request", lambda request: request.is_navigation_request() and visited.append(request.url))
    try:
        page.goto(f"{configured_hub.url}/")
        page.get_by_label("Notebook").check()
        page.get_by_role("button", name="Log in to continue").click()
        page.get_by_role("button", name="Authorize as alice").click()
        page.wait_for_url(re.compile(r".*/(user|hub/spawn)/alice.*"))
        if page.locator("form#spawn_form").count():
            page.locator("form#spawn_form [type=submit]").first.click()
        page.wait_for_url(re.compile(r".*/user/alice/tree.*"), timeout=90_000)
        assert f"{configured_hub.url}/hub/user-redirect/tree" in visited
        # Notebook's file browser, not JupyterLab's dock panel
        page.locator(".jp-DirListing").first.wait_for(timeout=90_000)
        assert page.locator("#jp-main-dock-panel").count() == 0
        save_screenshot(page, "notebook-opened")
    finally:
        configured_hub.api("DELETE", "/users/alice/server")


def test_deep_link_is_kept_and_no_selector_is_offered(configured_hub, page):
    open_login(page, configured_hub, "?next=%2Fuser%2Falice%2Flab%2Ftree%2Fcourse.ipynb")
    assert page.locator("#interface-selector").count() == 0
    href = page.get_by_role("button", name="Log in to continue").get_attribute("href")
    assert href.endswith("next=%2Fuser%2Falice%2Flab%2Ftree%2Fcourse.ipynb")


def test_configured_login_page_fits_a_phone_screen(configured_hub, phone):
    open_login(phone, configured_hub)
    assert horizontal_overflow(phone) == 0
    assert phone.get_by_role("button", name="Log in to continue").is_visible()
    save_screenshot(phone, "login-page-phone")


def test_configured_login_page_has_no_serious_accessibility_violations(configured_hub, page):
    open_login(page, configured_hub)
    assert serious_accessibility_violations(page) == []


def test_login_page_on_a_phone_has_no_serious_accessibility_violations(configured_hub, phone):
    open_login(phone, configured_hub)
    assert serious_accessibility_violations(phone) == []
