"""A hub for the usage tests: the profiles-local spawner running the tiny fake server, times from a clock file."""

from __future__ import annotations

import time

import pytest
from harness import tiny_singleuser

from hubextras.usage.clock import set_clock

GIB = 1024**3
MONDAY = 1793577600.0  # 2026-11-02 00:00 UTC, a Monday
HOUR = 3600.0
DAY = 86400.0

# sizes that make the arithmetic exact: 1, 2 and 4 GiB guaranteed, 1, 1 and 2 CPUs
PROFILES = [
    {
        "display_name": "Small",
        "slug": "small",
        "default": True,
        "kubespawner_override": {"mem_guarantee": GIB, "mem_limit": 2 * GIB, "cpu_guarantee": 1, "cpu_limit": 2},
    },
    {
        "display_name": "Medium",
        "slug": "medium",
        "kubespawner_override": {"mem_guarantee": 2 * GIB, "mem_limit": 4 * GIB, "cpu_guarantee": 1, "cpu_limit": 2},
    },
    {
        "display_name": "Large",
        "slug": "large",
        "kubespawner_override": {"mem_guarantee": 4 * GIB, "mem_limit": 8 * GIB, "cpu_guarantee": 2, "cpu_limit": 4},
    },
    {"display_name": "Broken", "slug": "broken", "kubespawner_override": {"cmd": ["/nonexistent/server"]}},
]

CULLER_TOKEN = "culler-token-for-tests-0123456789abcdef"

PRE_CONFIG = f"""
c.ProfilesSpawner.profile_list = {PROFILES!r}
c.Spawner.cmd = ["/usr/bin/python3", {tiny_singleuser.__file__!r}]  # stdlib only: any account can run it
c.Spawner.consecutive_failure_limit = 2
c.JupyterHub.cleanup_servers = False  # servers outlive a hub restart, as on Kubernetes
c.UsageQuotas.policies = {{
    "demo-org:students": {{"limits": [{{"resource": "memory_gib_hours", "amount": 10, "days": 7}}],
                           "profiles": ["small", "medium", "broken"]}},
    "demo-org:course": {{"limits": [{{"resource": "server_hours", "amount": 3, "days": 7}}], "shared": True}},
}}
c.UsageQuotas.check_seconds = 0.3
c.UsageQuotas.grace_seconds = 600
c.UsageQuotas.headroom_hours = 1
c.UsagePrices.per_gib_hour = 0.01
c.UsagePrices.per_cpu_hour = 0.05
"""

CONFIG = f"""
from hubextras.config import add_role, add_service
add_service(c, {{"name": "idle-culler", "api_token": "{CULLER_TOKEN}"}})
add_role(c, "idle-culler", scopes=["list:users", "read:users", "servers"], services=["idle-culler"])
"""


class UsageHub:
    """The hub, its clock file and what the tests do with it."""

    def __init__(self, hub, clock_path):
        self.hub, self.clock_path = hub, str(clock_path)

    def at(self, when: float) -> None:
        set_clock(self.clock_path, when)

    def start(self, user: str, profile: str = "small", server: str = ""):
        path = f"/users/{user}/servers/{server}" if server else f"/users/{user}/server"
        # the person's own token: options chosen by anyone else are refused (only the owner picks a profile)
        return self.hub.api("POST", path, json={"profile": profile}, token=self.hub.user_token(user))

    def started(self, user: str, profile: str = "small", server: str = "") -> None:
        r = self.start(user, profile, server)
        assert r.status_code in (201, 202), f"{user} could not start {profile}: {r.status_code} {r.text}"
        self.hub.wait_for_server(user, server)

    def stopped(self, user: str, server: str = "", token: str | None = None) -> None:
        path = f"/users/{user}/servers/{server}" if server else f"/users/{user}/server"
        r = self.hub.api("DELETE", path, token=token)
        assert r.status_code in (202, 204), f"{user}'s server did not stop: {r.status_code} {r.text}"
        wait_until(
            lambda: server not in self.hub.api("GET", f"/users/{user}").json()["servers"],
            what=f"{user}'s server to stop",
        )

    def store(self):
        from hubextras.usage.store import UsageStore

        return UsageStore(self.hub.workdir / "hubextras-usage.sqlite")


def create_users(hub, names, group=None):
    r = hub.api("POST", "/users", json={"usernames": list(names)})
    assert r.status_code in (201, 409), r.text
    if group:
        r = hub.api("POST", f"/groups/{group}", json={"users": list(names)})
        if r.status_code == 409:
            r = hub.api("POST", f"/groups/{group}/users", json={"users": list(names)})
        assert r.status_code in (200, 201), r.text


def wait_until(condition, timeout=60, every=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(scope="module")
def usage_hub(hub_factory, tmp_path_factory):
    clock = tmp_path_factory.mktemp("clock") / "now"
    set_clock(str(clock), MONDAY)
    hub = hub_factory(pre_config=PRE_CONFIG, config=CONFIG, env={"HUBEXTRAS_USAGE_CLOCK": str(clock)})
    create_users(hub, ["ada", "bea", "cy"], group="demo-org:students")
    create_users(hub, ["dev", "eli"], group="demo-org:course")
    create_users(hub, ["free"])
    yield UsageHub(hub, clock)
    # servers outlive the hub here (cleanup_servers is off): stop them all before it goes
    for user in hub.api("GET", "/users", params={"state": "active"}).json():
        for name in user["servers"]:
            hub.api("DELETE", f"/users/{user['name']}/servers/{name}" if name else f"/users/{user['name']}/server")
    wait_until(lambda: not hub.api("GET", "/users", params={"state": "active"}).json(), what="every server to stop")
