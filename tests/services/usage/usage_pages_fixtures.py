"""Helpers and the hub for the usage pages' tests: the usage tests' hub (tests/usage/usage_fixtures.py) with a
group-limited champion."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "usage"))

from usage_fixtures import CONFIG, MONDAY, PRE_CONFIG, UsageHub, create_users, wait_until  # noqa: E402

from hubextras.usage.clock import set_clock  # noqa: E402

# carol looks after the students only; champ (the champions' team) sees everything
GROUP_LIMITED = """
add_role(c, "course-champions", users=["carol"], scopes=[
    "custom:usage:read!group=demo-org:students", "custom:usage:bump!group=demo-org:students",
    "access:services!service=usage",
])
"""

PAGES = "/services/usage/"


@pytest.fixture(scope="module")
def pages_hub(hub_factory, tmp_path_factory):
    clock = tmp_path_factory.mktemp("clock") / "now"
    set_clock(str(clock), MONDAY)
    hub = hub_factory(pre_config=PRE_CONFIG, config=CONFIG + GROUP_LIMITED, env={"HUBEXTRAS_USAGE_CLOCK": str(clock)})
    create_users(hub, ["ann", "ben"], group="demo-org:students")
    create_users(hub, ["dan"], group="demo-org:course")
    create_users(hub, ["fay"])
    usage = UsageHub(hub, clock)
    wait_until(lambda: hub.api("GET", "/services/usage").json().get("url"), what="the usage service")
    yield usage
    for user in hub.api("GET", "/users", params={"state": "active"}).json():
        for name in user["servers"]:
            hub.api("DELETE", f"/users/{user['name']}/servers/{name}" if name else f"/users/{user['name']}/server")
    wait_until(lambda: not hub.api("GET", "/users", params={"state": "active"}).json(), what="every server to stop")


def signed_in(usage, name):
    """A requests session of `name` on the usage pages (the OAuth sign-in done), and its XSRF token."""
    session = usage.hub.login(name)
    r = session.get(usage.hub.url + PAGES + "me", timeout=60)
    assert r.status_code == 200, f"{name} could not open their usage page: {r.status_code} {r.text[:500]}"
    return session, session.cookies.get("_xsrf", path=PAGES)
