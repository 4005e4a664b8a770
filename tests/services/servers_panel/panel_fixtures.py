"""Helpers and the hub for the servers panel's tests: many users with quick fake servers, one real server.

Fake servers are `harness/tiny_singleuser.py` (milliseconds, ~10 MB each); the people in
REAL_SERVER_USERS get whatever the configured spawner really runs (profiles-local or, before it
exists, JupyterHub's SimpleLocalProcessSpawner), because a real server costs about a CPU-second.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from harness import tiny_singleuser

TINY_SINGLEUSER = tiny_singleuser.__file__
PANEL = "/services/servers-panel/"
REAL_SERVER_USERS = ("alice",)
CROWD = [f"learner{n:03d}" for n in range(50)]

QUICK_SERVERS_CONFIG = f"""
import sys
from importlib.metadata import entry_points

from jupyterhub.spawner import LocalProcessSpawner

_configured = c.JupyterHub.spawner_class
_base = entry_points(group="jupyterhub.spawners")[_configured].load() if isinstance(_configured, str) else _configured


class QuickFakeServersSpawner(_base):
    # the configured spawner for REAL_SERVER_USERS, the tiny fake server for everyone else
    async def start(self):
        if self.user.name in {REAL_SERVER_USERS!r}:
            return await super().start()
        self.cmd = [sys.executable, {TINY_SINGLEUSER!r}]
        # the crowd's fake servers run as the hub's own user, with no account, home or cgroup of their own
        self.make_preexec_fn = lambda name: None
        return await LocalProcessSpawner.start(self)


c.JupyterHub.spawner_class = QuickFakeServersSpawner
c.JupyterHub.allow_named_servers = True
"""

# ServersPanel settings are read by the snippet, so they go before it runs (HubProcess's pre_config)
QUICK_PANEL_PRE_CONFIG = "c.ServersPanel.refresh_seconds = 1\n"

# a champion limited to the students' group: sees everyone, may act on students only
GROUP_LIMITED_CONFIG = """
from hubextras.config import add_role
add_role(c, "course-champions", users=["carol"], scopes=[
    "list:users", "read:users", "read:servers", "servers!group=demo-org:students",
    "access:services!service=servers-panel",
])
# a helper who may not list users: the audit API shows them only their own actions
add_role(c, "student-helpers", users=["sam"], scopes=[
    "read:users!group=demo-org:students", "read:servers!group=demo-org:students", "servers!group=demo-org:students",
    "access:services!service=servers-panel",
])
"""


def create_users(hub, names, groups=None):
    """Create users in one request (and put them in `groups`)."""
    r = hub.api("POST", "/users", json={"usernames": list(names)})
    assert r.status_code in (201, 409), r.text
    for group in groups or ():
        r = hub.api("POST", f"/groups/{group}/users", json={"users": list(names)})
        if r.status_code == 404:
            hub.api("POST", f"/groups/{group}", json={"users": list(names)}).raise_for_status()
        else:
            r.raise_for_status()


def start_servers(hub, names, server=""):
    """Ask the hub to start servers, four requests at a time (400: already running)."""

    def start(name):
        path = f"/users/{name}/servers/{server}" if server else f"/users/{name}/server"
        r = hub.api("POST", path, json={})
        assert r.status_code in (201, 202, 400), f"{name}: {r.status_code} {r.text}"

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start, names))


def wait_until(condition, timeout=60, every=0.3, what="condition"):
    """Poll `condition()` until it returns something true; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def running_servers(hub, names):
    """How many of `names` have a ready default server."""
    r = hub.api("GET", "/users", params={"state": "ready", "limit": 200})
    ready = {u["name"] for u in r.json()}
    return len(ready & set(names))


# what the profile form posts by default for the example profiles (ignored by the plain spawner)
REAL_SERVER_OPTIONS = {"profile": "shared-small", "image": "datascience", "interface": "lab"}


def panel_session(hub, name):
    """(a requests session signed in to the panel as `name`, the panel's XSRF token)."""
    session = hub.login(name)
    r = session.get(hub.url + PANEL, timeout=60)
    assert r.status_code == 200 and r.url.endswith(PANEL), f"{name} could not open the panel: {r.status_code} {r.url}"
    return session, session.cookies.get("_xsrf", path=PANEL)


def act(hub, session, xsrf, body, timeout=120):
    """Post a panel action and wait until its job finishes; returns the job."""
    r = session.post(hub.url + PANEL + "api/actions", json=body, headers={"X-XSRFToken": xsrf}, timeout=60)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]

    def finished():
        job = session.get(hub.url + PANEL + f"api/jobs/{job_id}", timeout=60).json()
        return job if job["finished"] else None

    return wait_until(finished, timeout=timeout, what=f"the panel's {body['action']} to finish")


@pytest.fixture(scope="module")
def panel_hub(hub_factory):
    """One hub for a module: the crowd with fake servers running, alice with a real one."""
    hub = hub_factory(pre_config=QUICK_PANEL_PRE_CONFIG, config=QUICK_SERVERS_CONFIG + GROUP_LIMITED_CONFIG)
    create_users(hub, CROWD)
    create_users(hub, CROWD[:12], groups=["demo-org:students"])
    create_users(hub, ["carol", "alice", "champ", "ada", "sam"])
    r = hub.api("POST", "/users/alice/server", json=REAL_SERVER_OPTIONS)
    assert r.status_code in (201, 202), r.text
    start_servers(hub, CROWD)
    wait_until(lambda: running_servers(hub, CROWD) == len(CROWD), what="the crowd's fake servers")
    hub.wait_for_server("alice")
    return hub
