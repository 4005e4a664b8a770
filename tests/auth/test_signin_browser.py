"""Sign-in as a person does it, in headless Chromium: hub -> GitHub's authorize page -> hub."""

import re

import pytest
from harness.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hub(hub_factory):
    return hub_factory()


def start_default_server(page):
    """Take the spawn form's defaults if the spawner shows one."""
    if page.locator("form#spawn_form").count():
        page.locator("form#spawn_form [type=submit]").first.click()


def test_member_signs_in_and_jupyterlab_loads(hub, page, screenshot):
    page.goto(f"{hub.url}/")
    page.wait_for_url(re.compile(r".*/hub/login.*"))
    assert page.get_by_role("heading", name="Test Community").is_visible()
    screenshot("login-page")
    page.get_by_role("button", name="Log in to continue").click()
    page.wait_for_url(re.compile(r".*/login/oauth/authorize.*"))
    screenshot("github-standin-authorize")
    page.get_by_role("button", name="Authorize as alice").click()
    page.wait_for_url(re.compile(rf"{re.escape(hub.url)}/(hub|user)/.*"))
    start_default_server(page)
    page.wait_for_url(re.compile(r".*/user/alice/lab.*"), timeout=90_000)
    page.locator("#jp-main-dock-panel").wait_for(timeout=90_000)
    assert "JupyterLab" in page.title()


def test_non_member_sees_the_refusal_page(hub, page, screenshot):
    sign_in(page, hub, "eve")
    assert page.get_by_role("heading", name="You cannot use Test Community yet").is_visible()
    message = page.locator("#refusal-message").inner_text()
    assert "demo-org:hub-users" in message and "a hub champion" in message
    assert page.get_by_role("link", name="Try a different account").is_visible()
    screenshot("refusal-page")


def test_admin_team_member_sees_the_admin_link(hub, page):
    sign_in(page, hub, "ada", start="/hub/login?next=%2Fhub%2Fhome")
    page.goto(f"{hub.url}/hub/home")
    assert page.get_by_role("link", name="Admin").is_visible()


def test_member_outside_the_admin_team_sees_no_admin_link(hub, page):
    sign_in(page, hub, "sam", start="/hub/login?next=%2Fhub%2Fhome")
    page.goto(f"{hub.url}/hub/home")
    assert page.get_by_role("link", name="Admin").count() == 0
