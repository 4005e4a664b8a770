"""The hub restarts in the middle of a bulk action: rows fail one by one, nothing hangs, the panel recovers."""

from urllib.parse import quote

import pytest
from harness.browser import sign_in
from panel_fixtures import (
    PANEL,
    QUICK_PANEL_PRE_CONFIG,
    QUICK_SERVERS_CONFIG,
    create_users,
    running_servers,
    start_servers,
    wait_until,
)
from playwright.sync_api import expect

RESTARTED = [f"night{n:02d}" for n in range(16)]


@pytest.fixture(scope="module")
def slow_panel_hub(hub_factory):
    """A hub whose panel acts on one server at a time, so that a bulk restart takes a while."""
    one_at_a_time = QUICK_PANEL_PRE_CONFIG + "c.ServersPanel.concurrency = 1\n"
    hub = hub_factory(pre_config=one_at_a_time, config=QUICK_SERVERS_CONFIG)
    create_users(hub, RESTARTED + ["champ"])
    start_servers(hub, RESTARTED)
    wait_until(lambda: running_servers(hub, RESTARTED) == len(RESTARTED), what="the fake servers")
    return hub


def summary_counts(page) -> dict:
    """{"done": n, "failed": n, "skipped": n, "to go": n} from the progress line."""
    text = page.locator("#job-summary").inner_text()
    words = text.split(" (of ")[0].replace(" to go", " to-go").split(", ")
    return {word.split(" ")[1]: int(word.split(" ")[0]) for word in words}


@pytest.mark.browser
def test_a_hub_restart_during_a_bulk_restart_fails_the_unfinished_rows_and_the_panel_recovers(
    slow_panel_hub, page, screenshot
):
    hub = slow_panel_hub
    sign_in(page, hub, "champ", start=f"/hub/login?next={quote(PANEL)}")
    page.goto(hub.url + PANEL)
    page.get_by_label("Status").select_option("running")
    expect(page.locator("#page-info")).to_have_text(f"1-{len(RESTARTED)} of {len(RESTARTED)} servers")
    page.get_by_role("button", name="Select all matching").click()
    page.locator("[data-bulk=restart]").click()
    page.get_by_role("button", name="Yes, restart").click()
    page.wait_for_function(
        "/^[1-9]\\d* done/.test(document.querySelector('#job-summary').textContent)", timeout=60_000
    )
    assert summary_counts(page)["to-go"] > 0, "the bulk restart finished before the hub could be restarted"

    hub.restart()

    page.wait_for_function("document.querySelector('#job-title').textContent.includes('finished')", timeout=120_000)
    counts = summary_counts(page)
    assert counts["to-go"] == 0 and counts["failed"] > 0, counts
    assert counts["done"] + counts["failed"] == len(RESTARTED), counts
    failures = page.locator("#job-failures li").all_inner_texts()
    assert len(failures) == counts["failed"]
    assert all(": " in text and len(text.split(": ", 1)[1]) > 20 for text in failures), failures
    screenshot("servers-panel-hub-restarted")

    page.wait_for_selector("#connection.d-none", state="attached", timeout=30_000)
    page.get_by_label("Status").select_option("")
    row = page.locator('tr[data-key="night00/"]')
    row.wait_for()
    if row.get_attribute("data-status") != "running":
        row.get_by_role("button", name="Start night00/", exact=True).click()
    page.wait_for_selector('tr[data-key="night00/"][data-status="running"]', timeout=60_000)
    assert running_servers(hub, ["night00"]) == 1
