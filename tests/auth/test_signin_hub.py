"""Sign-in through a real hub and proxy, against the GitHub stand-in over HTTP."""

import time

import pytest
import yaml
from harness.hub import DEMO_COMMUNITY, LoginRefused

# 20 configured teams across 2 orgs: a login must not cost a request per team
MANY_TEAMS = tuple(f"demo-org:course-{i:02d}" for i in range(9)) + tuple(f"other-org:lab-{i:02d}" for i in range(8))
LAST_TEAM = "demo-org:team-149"


@pytest.fixture(scope="module")
def hub(hub_factory):
    community = yaml.safe_load(DEMO_COMMUNITY.read_text())
    # paula is in 150 teams (two pages of /user/teams) and admitted only through the last one
    community["many_teams"] = {"org": "demo-org", "count": 150, "member": "paula"}
    community["orgs"]["unrelated-org"] = {"teams": {"club": {"members": ["alice", "eve"]}}}
    return hub_factory(
        community=community, allowed_teams=("Demo-Org:Hub-Users", "demo-org:students", LAST_TEAM) + MANY_TEAMS
    )


@pytest.fixture(autouse=True)
def github_works(hub):
    hub.standin.set_switches(outage=None, rate_limit=None, garbage_json=False, drop_scopes=set(), latency=0)
    yield


def user_model(hub, name):
    return hub.api("GET", f"/users/{name}").json()


def test_member_signs_in_and_gets_team_groups(hub):
    hub.login("alice")
    assert "demo-org:hub-users" in user_model(hub, "alice")["groups"]


def test_login_costs_a_bounded_number_of_github_requests(hub):
    hub.standin.reset_counts()
    hub.login("sam")
    assert hub.standin.hub_requests <= 4, hub.standin.counts


def test_child_team_member_signs_in_through_the_parent_team(hub):
    hub.login("carol")
    assert {"demo-org:hub-users", "demo-org:researchers"} <= set(user_model(hub, "carol")["groups"])


def test_pending_invitation_grants_nothing(hub):
    with pytest.raises(LoginRefused) as refused:
        hub.login("dora")
    assert refused.value.status == 403
    assert "demo-org:hub-users" in refused.value.page


def test_team_of_an_unconfigured_org_does_not_admit(hub):
    with pytest.raises(LoginRefused):
        hub.login("eve")  # eve is in unrelated-org:club and other-org:friends only


def test_refusal_page_names_admitted_teams_and_whom_to_ask(hub):
    with pytest.raises(LoginRefused) as refused:
        hub.login("eve")
    page = refused.value.page
    assert refused.value.status == 403
    assert "demo-org:hub-users" in page and "a hub champion" in page and "Try a different account" in page
    assert user_model(hub, "eve").get("name") is None


def test_team_of_an_unconfigured_org_neither_admits_nor_becomes_a_group(hub):
    hub.login("alice")
    assert not [g for g in user_model(hub, "alice")["groups"] if g.startswith("unrelated-org:")]


def test_granted_scopes_are_parsed_from_githubs_commas(hub):
    hub.login("alice")
    auth_state = user_model(hub, "alice")["auth_state"]
    assert "read:org" in auth_state["scope"]
    assert all("," not in s for s in auth_state["scope"])


def test_token_without_read_org_is_refused_with_a_message(hub):
    hub.standin.set_switches(drop_scopes={"read:org"})
    with pytest.raises(LoginRefused) as refused:
        hub.login("sam")
    assert refused.value.status == 403 and "read:org" in refused.value.page


@pytest.mark.parametrize("outage", ["5xx", "refuse"])
def test_github_outage_during_login_shows_a_try_again_page(hub, outage):
    with pytest.raises(LoginRefused) as refused:
        hub.login("alice", before_callback=lambda: hub.standin.set_switches(outage=outage))
    assert refused.value.status == 503
    assert "GitHub could not be reached" in refused.value.page and "Traceback" not in refused.value.page


@pytest.mark.parametrize("limit", ["403", "429"])
def test_github_rate_limit_during_login_says_to_wait(hub, limit):
    with pytest.raises(LoginRefused) as refused:
        hub.login("alice", before_callback=lambda: hub.standin.set_switches(rate_limit=limit))
    assert refused.value.status == 503
    assert "limiting requests" in refused.value.page or "could not be reached" in refused.value.page


def test_garbage_json_from_github_gives_a_clear_error_and_no_user(hub):
    hub.standin.add_member("demo-org", "hub-users", "newbie")
    hub.standin.set_switches(garbage_json=True)
    with pytest.raises(LoginRefused) as refused:
        hub.login("newbie")
    assert refused.value.status == 502 and "could not read" in refused.value.page
    assert hub.api("GET", "/users/newbie").status_code == 404


def test_metrics_count_github_requests_and_logins(hub):
    hub.login("alice")
    metrics = hub.api("GET", "/../metrics").text
    assert 'hubextras_github_requests_total{endpoint="GET /user/teams",outcome="2xx"}' in metrics
    assert 'hubextras_logins_total{outcome="allowed"}' in metrics
    assert 'hubextras_logins_total{outcome="refused"}' in metrics


def test_pagination_past_100_teams_finds_the_admitting_team(hub):
    hub.standin.reset_counts()
    hub.login("paula")
    assert hub.standin.counts["GET /user/teams"] == 2
    assert hub.standin.hub_requests <= 4, hub.standin.counts
    assert LAST_TEAM in user_model(hub, "paula")["groups"]


def test_sign_in_works_again_once_github_is_back(hub):
    with pytest.raises(LoginRefused):
        hub.login("sam", before_callback=lambda: hub.standin.set_switches(outage="5xx"))
    hub.standin.set_switches(outage=None)
    time.sleep(0.1)
    hub.login("sam")
    assert "demo-org:students" in user_model(hub, "sam")["groups"]
