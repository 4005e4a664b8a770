"""The usage pages as people see them in Chromium: champions' page, bump form, each person's page, home link."""

import pytest
from harness.browser import serious_accessibility_violations, sign_in
from usage_fixtures import HOUR, MONDAY
from usage_pages_fixtures import PAGES

pytestmark = pytest.mark.browser
DAY = 86400.0
START = MONDAY + 500 * DAY


@pytest.fixture(scope="module")
def hub(pages_hub):
    """A few days of usage by three people; sam (who signs in) used his students' week up."""
    script = [("ann", "small", 0, 3), ("ben", "medium", 1, 2), ("dan", "small", 2, 4), ("fay", "large", 3, 1)]
    for user, profile, day, hours in script:
        pages_hub.at(START + day * DAY + 9 * HOUR)
        pages_hub.started(user, profile)
        pages_hub.at(START + day * DAY + (9 + hours) * HOUR)
        pages_hub.stopped(user)
    pages_hub.at(START + 4 * DAY)
    pages_hub.hub.login("sam")
    pages_hub.started("sam", "medium")
    pages_hub.at(START + 4 * DAY + 5 * HOUR)
    pages_hub.stopped("sam")
    pages_hub.at(START + 5 * DAY)
    return pages_hub.hub


def test_a_champion_sees_who_used_what_and_what_it_would_cost(page, hub, screenshot):
    sign_in(page, hub, "champ", start=f"/hub/login?next={PAGES}")
    page.get_by_role("link", name="This week").click()
    assert page.locator("#total-gib-hours").inner_text() == "25.00"  # 3×1 + 2×2 + 4×1 + 1×4 + 5×2 GiB-hours
    assert page.get_by_role("heading", name="Top people").is_visible()
    assert page.locator("#table-people tbody tr").first.locator("th").inner_text() == "sam"
    assert page.locator("#usage-plot svg").is_visible()
    screenshot("usage-champions-page")


def test_a_champion_picks_a_custom_window(page, hub):
    sign_in(page, hub, "champ", start=f"/hub/login?next={PAGES}")
    page.get_by_label("From", exact=True).fill("2028-03-16")
    page.get_by_label("To", exact=True).fill("2028-03-16")
    page.get_by_role("button", name="Show custom window").click()
    assert "2028-03-16 to 2028-03-16" in page.locator("#usage-page").inner_text()


def test_a_champion_grants_a_bump_from_the_page(page, hub, screenshot):
    sign_in(page, hub, "champ", start=f"/hub/login?next={PAGES}")
    page.get_by_label("Person").fill("sam")
    page.get_by_label("Amount").fill("3")
    page.get_by_label("Reason").fill("exam week")
    page.get_by_role("button", name="Grant bump").click()
    page.wait_for_selector("#bump-status .alert")
    assert "sam has 3 more GiB-hours of memory until" in page.locator("#bump-status").inner_text()
    screenshot("usage-bump-granted")


def test_a_person_sees_their_usage_quota_and_when_to_retry(page, hub, screenshot):
    sign_in(page, hub, "sam", start=f"/hub/login?next={PAGES}me")
    assert page.get_by_role("heading", name="My quota").is_visible()
    assert "demo-org:students" in page.locator("#table-quota").inner_text()
    screenshot("usage-my-page")


def test_the_home_page_links_to_the_persons_usage(page, hub):
    sign_in(page, hub, "sam", start="/hub/login?next=/hub/home")
    page.get_by_role("link", name="My usage and quota").click()
    page.wait_for_url(f"**{PAGES}me")
    assert page.get_by_role("heading", name="My usage", level=1).is_visible()


@pytest.mark.parametrize("person, path", [("champ", ""), ("sam", "me")])
def test_the_pages_have_no_serious_accessibility_problems(page, hub, person, path):
    sign_in(page, hub, person, start=f"/hub/login?next={PAGES}{path}")
    assert serious_accessibility_violations(page) == []
