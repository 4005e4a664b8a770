"""What champions and users do in the browser (headless Chromium, real hub and npm proxy), and ~/shared in a server."""

from __future__ import annotations

import os
import time

import pytest
import requests
from harness.browser import serious_accessibility_violations, sign_in
from shared_data_helpers import SERVICE, ServiceClient

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hub(hub_factory):
    # the git server of the pull test is on 127.0.0.1, which pulls may not reach by default
    return hub_factory(pre_config="c.SharedDataService.pull_allow_private_addresses = True")


def open_shared_data(page, hub, person: str) -> None:
    sign_in(page, hub, person, start=f"/hub/login?next={SERVICE}")
    page.wait_for_url(f"{hub.url}{SERVICE}**")
    page.wait_for_selector("#listing tbody tr")


@pytest.fixture
def course_folder(tmp_path):
    """A folder on the champion's computer: a notebook and a 3 MB data file (big enough to show progress)."""
    folder = tmp_path / "course-week-1"
    (folder / "data").mkdir(parents=True)
    (folder / "intro.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    (folder / "data" / "measurements.csv").write_bytes(b"t,value\n" + b"0,1\n" * 750_000)
    return folder


def test_a_champion_uploads_a_folder_with_a_progress_bar(page, hub, course_folder, screenshot):
    open_shared_data(page, hub, "champ")
    page.set_input_files("#upload-folder", str(course_folder))
    page.wait_for_selector("#upload-progress")
    page.wait_for_selector("#upload-done", timeout=60_000)
    assert page.get_attribute("#upload-progress", "aria-valuenow") == "100"
    assert page.text_content("#upload-done") == "Uploaded 2 files (2.9 MiB)."
    page.get_by_role("link", name="course-week-1").wait_for()
    screenshot("shared-data-upload")
    uploaded = hub.workdir / "shared" / "course-week-1"
    assert (uploaded / "data" / "measurements.csv").read_bytes() == (
        course_folder / "data" / "measurements.csv"
    ).read_bytes()
    assert (uploaded / "intro.ipynb").read_text() == (course_folder / "intro.ipynb").read_text()


def test_the_page_resumes_an_upload_after_the_connection_drops_mid_way(page, hub, tmp_path):
    data = os.urandom(3 * 1024 * 1024)
    (tmp_path / "survey.bin").write_bytes(data)
    pieces = []

    def drop_the_first_piece_half_way(route):
        request = route.request
        pieces.append(request.url)
        if len(pieces) == 1:
            # the first megabyte reaches the service, then the connection "drops" for the page
            route.fetch(post_data=request.post_data_buffer[: 1024 * 1024])
            route.abort("connectionreset")
        else:
            route.continue_()

    open_shared_data(page, hub, "champ")
    page.route("**/api/uploads/*?offset=*", drop_the_first_piece_half_way)
    page.set_input_files("#upload-files", str(tmp_path / "survey.bin"))
    page.wait_for_selector("#upload-done", timeout=60_000)
    assert [url.rsplit("?", 1)[1] for url in pieces] == ["offset=0", f"offset={1024 * 1024}"]
    assert (hub.workdir / "shared" / "survey.bin").read_bytes() == data


def test_a_user_sees_the_files_but_no_way_to_change_them(page, hub, screenshot):
    (hub.workdir / "shared" / "welcome.txt").write_text("Welcome to the course")
    open_shared_data(page, hub, "alice")
    page.get_by_role("link", name="welcome.txt").wait_for()
    for control in ("Upload files", "Upload folder", "New folder", "Delete"):
        assert page.get_by_text(control, exact=True).count() == 0, f"{control} is offered to a user"
    assert "You find them read-only in your server at ~/shared" in page.text_content("#shared-data")
    screenshot("shared-data-user-view")
    # the page's own session, with its XSRF token, still may not write: the service checks, not the buttons
    answer = page.evaluate(
        """async () => {
            const root = document.getElementById("service-page");
            const response = await fetch(root.dataset.prefix + "api/folders", {
                method: "POST", headers: {"X-XSRFToken": root.dataset.xsrf, "Content-Type": "application/json"},
                body: JSON.stringify({path: "from-alice"}),
            });
            return {status: response.status, body: await response.json()};
        }"""
    )
    assert answer["status"] == 403
    assert "Only hub champions and admins may change the shared data" in answer["body"]["message"]
    assert not (hub.workdir / "shared" / "from-alice").exists()


@pytest.mark.parametrize("person", ["champ", "alice"])
def test_the_panel_has_no_serious_accessibility_problems(page, hub, person):
    (hub.workdir / "shared" / "syllabus.txt").write_text("Week 1: introductions")
    open_shared_data(page, hub, person)
    assert serious_accessibility_violations(page) == []


def test_on_a_phone_the_panel_fits_the_screen_width(browser, hub):
    (hub.workdir / "shared" / "a-rather-long-folder-name-for-week-one-material").mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 740})
    try:
        phone = context.new_page()
        open_shared_data(phone, hub, "champ")
        assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    finally:
        context.close()


def test_the_hub_s_services_menu_leads_to_the_panel(page, hub):
    sign_in(page, hub, "alice", start="/hub/login?next=/hub/home")
    page.goto(f"{hub.url}/hub/home")
    page.get_by_role("button", name="Services").or_(page.get_by_role("link", name="Services")).first.click()
    page.get_by_role("link", name="shared-data").click()
    page.wait_for_url(f"{hub.url}{SERVICE}**")
    page.wait_for_selector("#listing tbody tr")


def test_a_champion_makes_a_folder_and_renames_a_file(page, hub):
    (hub.workdir / "shared" / "draft.txt").write_text("draft")
    open_shared_data(page, hub, "champ")
    answers = iter(["week-2", "week-2/final.txt"])
    page.on("dialog", lambda dialog: dialog.accept(next(answers)))
    page.get_by_role("button", name="New folder").click()
    page.locator("tr[data-path='week-2']").wait_for()
    page.locator("tr[data-path='draft.txt']").get_by_role("button", name="Rename or move").click()
    page.wait_for_selector("#message.alert-success")
    assert page.text_content("#message") == "Moved draft.txt to week-2/final.txt."
    assert (hub.workdir / "shared" / "week-2" / "final.txt").read_text() == "draft"
    assert not (hub.workdir / "shared" / "draft.txt").exists()


def test_a_champion_deletes_after_confirming(page, hub, screenshot):
    (hub.workdir / "shared" / "old-notes.txt").write_text("outdated")
    open_shared_data(page, hub, "champ")
    page.locator("tr[data-path='old-notes.txt']").get_by_role("button", name="Delete").click()
    page.wait_for_selector("#hubextras-confirm.show")
    # the dialog fades in: photograph it once it is fully there
    page.wait_for_function("getComputedStyle(document.querySelector('#hubextras-confirm')).opacity === '1'")
    assert page.text_content("#delete-name") == "old-notes.txt"
    screenshot("shared-data-delete-confirm")
    page.get_by_role("button", name="Delete", exact=True).last.click()
    page.wait_for_selector("#message.alert-success")
    assert page.text_content("#message") == "Deleted old-notes.txt."
    assert page.locator("tr[data-path='old-notes.txt']").count() == 0
    assert not (hub.workdir / "shared" / "old-notes.txt").exists()


def test_a_champion_pulls_a_git_repository_and_sees_its_progress(page, hub, git_server, screenshot):
    open_shared_data(page, hub, "champ")
    page.get_by_role("button", name="Pull from git or URL").click()
    page.fill("#pull-url", git_server)
    page.fill("#pull-ref", "main")
    page.fill("#pull-name", "course-material")
    page.click("#start-pull")
    page.wait_for_selector("#pull-log[data-state='done']", timeout=60_000)
    assert "Done: `course-material` is in the shared folder." in page.text_content("#pull-log")
    screenshot("shared-data-pull")
    assert (hub.workdir / "shared" / "course-material" / "week-2" / "data.csv").exists()


def test_a_champion_makes_an_nbgitpuller_link(page, hub, screenshot):
    open_shared_data(page, hub, "champ")
    page.get_by_role("button", name="Make an nbgitpuller link").click()
    page.fill("#link-repo", "https://github.com/demo-org/course-material")
    page.fill("#link-branch", "main")
    page.fill("#link-open", "week-1/intro.ipynb")
    page.select_option("#link-interface", "lab")
    page.get_by_role("button", name="Make the link").click()
    page.wait_for_function("document.querySelector('#link-result').value.includes('git-pull')")
    assert page.input_value("#link-result") == (
        f"{hub.url}/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fdemo-org%2Fcourse-material"
        "&branch=main&urlpath=lab%2Ftree%2Fcourse-material%2Fweek-1%2Fintro.ipynb"
    )
    screenshot("shared-data-nbgitpuller-link")


def test_a_champion_reads_the_audit_log(page, hub, screenshot):
    open_shared_data(page, hub, "champ")
    champ = ServiceClient(hub, hub.user_token("champ"))
    assert champ.request("POST", "api/folders", json={"path": "audited-folder"}).status_code == 201
    page.get_by_role("button", name="Audit log").click()
    row = page.locator("#audit-rows tr").first
    row.wait_for()
    assert row.locator("td").nth(1).text_content() == "champ"
    assert row.locator("td").nth(2).text_content() == "mkdir"
    assert row.locator("td").nth(3).text_content() == "audited-folder"
    screenshot("shared-data-audit")


def test_a_refused_upload_shows_the_reason(page, hub, tmp_path):
    (tmp_path / "CON").write_text("a reserved name")
    open_shared_data(page, hub, "champ")
    page.set_input_files("#upload-files", str(tmp_path / "CON"))
    page.wait_for_selector("#message.alert-danger")
    assert "`CON` is a reserved name" in page.text_content("#message")
    assert not (hub.workdir / "shared" / "CON").exists()


def test_a_user_finds_the_shared_files_read_only_in_their_own_server(hub):
    hub.login("alice")
    (hub.workdir / "shared" / "read-only-check").mkdir(exist_ok=True)
    (hub.workdir / "shared" / "read-only-check" / "data.csv").write_text("x,y\n1,2\n")
    started = hub.api("POST", "/users/alice/server", json={})
    assert started.status_code in (201, 202), started.text
    try:
        hub.wait_for_server("alice", timeout=120)
        token = hub.user_token("alice")
        contents = f"{hub.url}/user/alice/api/contents/shared/read-only-check/data.csv"
        headers = {"Authorization": f"token {token}"}
        found = requests.get(contents, headers=headers, timeout=30)
        assert found.status_code == 200, found.text
        assert found.json()["content"] == "x,y\n1,2\n"
        write = requests.put(
            contents, headers=headers, json={"type": "file", "format": "text", "content": "changed"}, timeout=30
        )
        assert write.status_code >= 400, "a user could change a shared file from their server"
        assert (hub.workdir / "shared" / "read-only-check" / "data.csv").read_text() == "x,y\n1,2\n"
    finally:
        hub.api("DELETE", "/users/alice/server")
        deadline = time.monotonic() + 60
        while hub.api("GET", "/users/alice").json().get("servers") and time.monotonic() < deadline:
            time.sleep(0.3)


def test_the_page_has_the_hubs_navbar_with_the_services_menu_and_the_admin_link_for_an_admin(page, hub, screenshot):
    from playwright.sync_api import expect

    open_shared_data(page, hub, "ada")
    navbar = page.locator("nav.navbar")
    expect(navbar.get_by_role("link", name="Admin")).to_have_attribute("href", "/hub/admin")
    navbar.get_by_text("Services", exact=True).click()
    menu = page.locator(".dropdown-menu")
    expect(menu.get_by_role("link", name="shared-data")).to_have_attribute("aria-current", "page")
    expect(menu.get_by_role("link", name="servers-panel")).to_have_attribute("href", "/services/servers-panel/")
    screenshot("shared-data-navbar")


def test_the_page_follows_the_hubs_dark_mode(page, hub, screenshot):
    from playwright.sync_api import expect

    open_shared_data(page, hub, "champ")
    assert page.locator("nav.navbar").get_by_role("link", name="Admin").count() == 0
    page.locator("#dark-theme-toggle").click()
    if page.locator("html").get_attribute("data-bs-theme") != "dark":
        page.locator("#dark-theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    assert serious_accessibility_violations(page) == []
    screenshot("shared-data-dark")
