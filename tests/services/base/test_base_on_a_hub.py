"""The service base through a real hub and proxy: the hub's own navigation on our pages, access for every user
on any JupyterHub, and stops that leave nothing behind (issue 15 hole 14)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from urllib.parse import quote

import psutil
import pytest
from harness.browser import serious_accessibility_violations, sign_in
from playwright.sync_api import expect

PANEL = "/services/servers-panel/"


@pytest.fixture(scope="module")
def hub(hub_factory):
    hub = hub_factory()
    hub.api("POST", "/users", json={"usernames": ["ada", "champ", "alice"]})
    return hub


def open_page(page, hub, name, path):
    sign_in(page, hub, name, start=f"/hub/login?next={quote(path)}")
    page.goto(hub.url + path)
    page.wait_for_selector("#service-page")


@pytest.mark.browser
def test_the_panel_shows_the_hubs_navbar_with_the_services_menu_and_admin_link_for_an_admin(hub, page, screenshot):
    open_page(page, hub, "ada", PANEL)
    navbar = page.locator("nav.navbar")
    expect(navbar.get_by_role("link", name="Home")).to_be_visible()
    expect(navbar.get_by_role("link", name="Admin")).to_have_attribute("href", "/hub/admin")
    navbar.get_by_text("Services", exact=True).click()
    menu = page.locator(".dropdown-menu")
    expect(menu.get_by_role("link", name="servers-panel")).to_have_attribute("aria-current", "page")
    expect(menu.get_by_role("link", name="shared-data")).to_have_attribute("href", "/services/shared-data/")
    screenshot("servers-panel-navbar")
    assert serious_accessibility_violations(page) == []


@pytest.mark.browser
def test_a_champion_sees_no_admin_link(hub, page):
    open_page(page, hub, "champ", PANEL)
    expect(page.locator("nav.navbar").get_by_role("link", name="Token")).to_be_visible()
    assert page.locator("nav.navbar").get_by_role("link", name="Admin").count() == 0


@pytest.mark.browser
def test_the_hubs_dark_mode_toggle_works_on_our_pages(hub, page, screenshot):
    open_page(page, hub, "ada", PANEL)
    before = page.locator("html").get_attribute("data-bs-theme")
    page.locator("#dark-theme-toggle").click()
    after = page.locator("html").get_attribute("data-bs-theme")
    assert {before, after} == {"light", "dark"} or (before in (None, "light") and after == "dark"), (before, after)
    if after != "dark":
        page.locator("#dark-theme-toggle").click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    page.wait_for_selector("#servers tbody tr")
    screenshot("servers-panel-dark")


def test_every_user_opens_shared_data_on_a_hub_without_extra_user_scopes(hub_factory):
    # the JupyterHub 5.x path: `extra_user_scopes` does not exist there, the `user` role carries the access
    five = hub_factory(
        pre_config="import hubextras.config as hx\nhx.hub_has_extra_user_scopes = lambda h=None: False\n")
    assert "Config option `extra_user_scopes` not recognized" not in five.log_path.read_text()
    five.api("POST", "/users", json={"usernames": ["alice"]})
    session = five.login("alice")
    r = session.get(five.url + "/services/shared-data/", timeout=60)
    assert r.status_code == 200 and r.url.endswith("/services/shared-data/"), (r.status_code, r.url)


# --- stopping (hole 14) ---------------------------------------------------------------------------------


def tree_of(pid: int) -> list[psutil.Process]:
    return [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def alive(processes) -> list[str]:
    return [" ".join(p.cmdline()[:3]) for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def hub_with_a_running_server(hub_factory):
    hub = hub_factory()
    hub.api("POST", "/users", json={"usernames": ["alice"]})
    assert hub.api("POST", "/users/alice/server", json={}).status_code in (201, 202)
    hub.wait_for_server("alice")
    processes = tree_of(hub.proc.pid)
    names = " ".join(" ".join(p.cmdline()) for p in processes)
    assert "servers_panel" in names and "shared_data" in names and "singleuser" in names, names
    return hub, processes


def wait_gone(processes, seconds: float = 40) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive(processes):
        time.sleep(0.2)
    return alive(processes)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "sigterm-to-the-group"])
def test_stopping_the_hub_with_a_server_running_leaves_nothing_behind(hub_factory, how):
    hub, processes = hub_with_a_running_server(hub_factory)
    if how == "ctrl-c":
        os.killpg(hub.proc.pid, signal.SIGINT)  # what a terminal sends the whole foreground group
    elif how == "sigterm":
        hub.proc.send_signal(signal.SIGTERM)  # a process manager stopping the hub alone
    else:
        os.killpg(hub.proc.pid, signal.SIGTERM)  # what the demo and the test harness do
    try:
        hub.proc.wait(60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the hub did not exit within 60 s of {how}:\n{hub.log_tail()}")
    assert wait_gone(processes) == [], hub.log_tail()
    assert port_is_free(hub.port)
    stopping = hub.log_path.read_text().split("Received signal", 1)[1]
    assert re.search(r"Cleaning up \d+ services", stopping) and "...done" in stopping
    assert "Traceback" not in stopping, stopping  # every service stops on its own terms, none is torn down


def test_our_services_exit_by_themselves_when_the_hub_is_killed(hub_factory):
    hub = hub_factory()
    ours = [p for p in tree_of(hub.proc.pid) if "hubextras.services" in " ".join(p.cmdline())]
    names = " ".join(" ".join(p.cmdline()) for p in ours)
    assert "hubextras.services.shared_data" in names and "hubextras.services.servers_panel" in names
    hub.proc.kill()  # no cleanup at all: only the services' own watch on the hub can stop them
    hub.proc.wait(10)
    assert wait_gone(ours, 20) == []
    try:
        os.killpg(hub.proc.pid, signal.SIGTERM)  # the proxy a killed hub leaves behind (not ours to watch)
    except ProcessLookupError:
        pass
