"""One machine through a real hub as root: idle culling, the home soft limit, and saying what is not enforced.

One hub for the module, with the culler on a timeout of seconds, a 1 MB home soft limit and no
writable cgroup hierarchy (`cgroup_root` points at an empty folder), so that the hub must say
sizes are only per-process limits. Accounts and homes are removed at the end.
"""

import time

import pytest
from harness.isolation import IsolatedPlace, needs_root

pytestmark = pytest.mark.skipif(needs_root, reason="isolated servers need root, Linux and /usr/bin/python3")

MIB = 1024**2
SETTINGS = """
c.HubExtras.home_quota_bytes = 1024**2
c.HubExtras.idle_timeout = 4
c.HubExtras.idle_cull_every = 1
c.ProfilesLocalSpawner.cgroup_root = "{empty}"
c.ProfilesLocalSpawner.home_usage_max_age = 0
c.ProfilesSpawner.profile_list = [
    {{"display_name": "Small", "slug": "small", "kubespawner_override": {{"mem_limit": "1G"}}}},
]
"""


@pytest.fixture(scope="module")
def place():
    place = IsolatedPlace.make()
    yield place
    place.cleanup()
    assert place.accounts() == []


@pytest.fixture(scope="module")
def hub(hub_factory, place):
    empty = place.base / "no-cgroups"
    empty.mkdir()
    return hub_factory(pre_config=place.config() + SETTINGS.format(empty=empty))


def gone(hub, name, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.api("GET", f"/users/{name}").json()["servers"] == {}:
            return True
        time.sleep(0.3)
    return False


def test_startup_says_sizes_are_not_enforced_without_writable_cgroups(hub):
    log = hub.log_path.read_text(errors="replace")
    assert "No cgroup hierarchy is writable: memory is an address-space limit per process" in log
    assert "Each person's server runs as their own system account" in log


def test_the_culler_stops_an_idle_server_after_the_timeout(hub):
    hub.api("POST", "/users/ada")
    assert hub.api("POST", "/users/ada/server", json={"profile": "small"}).status_code in (201, 202)
    hub.wait_for_server("ada", timeout=30)
    assert gone(hub, "ada", 30), "the idle culler left ada's idle server running"
    assert "Culling server" in hub.log_path.read_text(errors="replace")


def test_under_the_home_soft_limit_a_start_goes_ahead(hub, place):
    hub.api("POST", "/users/eve")
    r = hub.api("POST", "/users/eve/server", json={"profile": "small"})
    assert r.status_code in (201, 202), r.text
    hub.wait_for_server("eve", timeout=30)
    hub.api("DELETE", "/users/eve/server")
    assert gone(hub, "eve", 30)


def test_over_the_home_soft_limit_a_start_is_refused_saying_how_much_to_delete_and_where(hub, place):
    hub.api("POST", "/users/sam")
    assert hub.api("POST", "/users/sam/server", json={"profile": "small"}).status_code in (201, 202)
    hub.wait_for_server("sam", timeout=30)
    hub.api("DELETE", "/users/sam/server")
    assert gone(hub, "sam", 30)
    (place.home("sam") / "big.bin").write_bytes(b"\1" * (3 * MIB))
    r = hub.api("POST", "/users/sam/server", json={"profile": "small"})
    assert r.status_code == 403, r.text
    assert f"Delete at least 2 MB from {place.home('sam')}" in r.json()["message"]
    assert hub.api("GET", "/users/sam").json()["servers"] == {}


@pytest.mark.browser
def test_spawn_form_shows_the_home_usage_and_what_is_not_enforced(hub, place, page):
    from harness.browser import save_screenshot, serious_accessibility_violations, sign_in

    place.home("carol").mkdir(parents=True, exist_ok=True)
    (place.home("carol") / "notes.bin").write_bytes(b"\1" * (MIB // 2))
    sign_in(page, hub, "carol")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        page.goto(f"{hub.url}/hub/spawn")
        notes = page.locator(".hubextras-profiles-notes").inner_text()
        if "Your home folder holds" in notes:
            break
        time.sleep(0.5)
    assert "of the 1 MB this hub allows" in notes and "No cgroup hierarchy is writable" in notes
    save_screenshot(page, "spawn-form-one-machine")
    assert serious_accessibility_violations(page) == []
