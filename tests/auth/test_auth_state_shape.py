"""auth_state keeps oauthenticator's shape: GitHub team objects under "teams", our `org:slug` groups under our key.

Operators moving from 2i2c's basehub keep their snippets. The two below are written here from
their public behaviour (not copied): a profile-list filter that reads each team's
`team["organization"]["login"]` and `team["slug"]` from `auth_state["teams"]` (basehub's
`05-profile-groups`), and groups made from the same objects (`08-auth-state-groups`).
"""

import re
import time

import pytest

BASEHUB_STYLE_SNIPPETS = """
from copy import deepcopy
from functools import partial
from tornado import web


def teams_of(auth_state):
    return {f"{team['organization']['login']}:{team['slug']}".casefold() for team in auth_state["teams"]}


async def basehub_style_profile_filter(original, spawner):
    groups = {g.name.casefold() for g in spawner.user.groups} | teams_of(await spawner.user.get_auth_state())
    kept = [p for p in deepcopy(original)
            if "allowed_groups" not in p or {g.casefold() for g in p["allowed_groups"]} & groups]
    if not kept:
        raise web.HTTPError(403, "No profile for your teams")
    return kept


c.ProfilesSpawner.profile_list = partial(basehub_style_profile_filter, [
    {"display_name": "For hub users", "slug": "users", "allowed_groups": ["demo-org:hub-users"]},
    {"display_name": "For researchers", "slug": "research", "allowed_groups": ["demo-org:researchers"]},
])
c.GitHubTeamsAuthenticator.auth_state_groups_key = lambda auth_state: sorted(teams_of(auth_state))
c.GitHubTeamsAuthenticator.populate_teams_in_auth_state = True
c.GitHubTeamsAuthenticator.auth_refresh_age = 1
"""


@pytest.fixture(scope="module")
def hub(hub_factory):
    return hub_factory(config=BASEHUB_STYLE_SNIPPETS)


def auth_state(hub, name):
    return hub.api("GET", f"/users/{name}").json()["auth_state"]


def test_auth_state_teams_are_github_team_objects_as_oauthenticator_keeps_them(hub):
    hub.login("alice")
    teams = auth_state(hub, "alice")["teams"]
    assert {(t["organization"]["login"], t["slug"]) for t in teams} >= {("demo-org", "hub-users")}
    assert all(isinstance(t, dict) and "name" in t for t in teams)


def test_our_own_org_slug_groups_live_under_our_own_key(hub):
    hub.login("alice")
    assert "demo-org:hub-users" in auth_state(hub, "alice")["hubextras_groups"]


def test_a_basehub_style_profile_filter_reads_the_teams_and_the_form_renders(hub):
    carol = hub.login("carol")
    r = carol.get(f"{hub.url}/hub/spawn", timeout=30)
    assert r.status_code == 200 and "For researchers" in r.text, r.text[-2000:]
    alice_page = hub.login("alice").get(f"{hub.url}/hub/spawn", timeout=30).text
    assert "For hub users" in alice_page and "For researchers" not in alice_page


def test_basehub_style_groups_from_auth_state_teams_become_hub_groups(hub):
    hub.login("carol")
    assert "demo-org:researchers" in hub.api("GET", "/users/carol").json()["groups"]


def test_an_auth_state_from_before_keeps_working_and_is_rewritten_at_refresh(hub):
    alice = hub.login("alice")
    old = auth_state(hub, "alice")
    old["teams"] = ["demo-org:hub-users"]  # how hubextras kept teams before: "org:slug" strings
    old.pop("hubextras_groups")
    for page in old["hubextras_github"]["pages"]:  # and its cached listing held slimmed team objects
        page["teams"] = [{"organization": {"login": t["organization"]["login"]}, "slug": t["slug"], "parent": None}
                         for t in page["teams"]]
    assert hub.api("PATCH", "/users/alice", json={"auth_state": old}).status_code == 200
    time.sleep(1.5)  # past auth_refresh_age: the next request refreshes
    r = alice.get(f"{hub.url}/hub/spawn", timeout=30)
    assert r.status_code == 200 and re.search("For hub users", r.text)
    state = auth_state(hub, "alice")
    assert all(isinstance(t, dict) for t in state["teams"]) and "demo-org:hub-users" in state["hubextras_groups"]
