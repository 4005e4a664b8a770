"""Refresh re-checks access: removals end access, GitHub failures don't, until the grace period ends."""

import time

import pytest
import yaml
from harness.hub import DEMO_COMMUNITY

REFRESH_AGE = 1  # seconds between re-checks in these tests
GRACE = 5  # seconds the last good check holds while GitHub fails


def community() -> dict:
    data = yaml.safe_load(DEMO_COMMUNITY.read_text())
    # pete is in hub-users only through phd -> researchers -> hub-users (GitHub lists only phd)
    data["orgs"]["demo-org"]["teams"]["phd"] = {"parent": "researchers", "members": ["pete"]}
    # olga is a member of other-org outside any team
    data["orgs"]["other-org"]["members"] = ["olga"]
    data["users"]["olga"] = {"name": "Olga Org-Member"}
    return data


@pytest.fixture(scope="module")
def hub(hub_factory):
    return hub_factory(
        community=community(),
        config=f"""
        c.GitHubTeamsAuthenticator.allowed_organizations = {{"other-org"}}
        c.GitHubTeamsAuthenticator.auth_refresh_age = {REFRESH_AGE}
        c.GitHubTeamsAuthenticator.refresh_grace_seconds = {GRACE}
        c.GitHubTeamsAuthenticator.http_request_kwargs = {{"request_timeout": 2}}
        """
    )


@pytest.fixture(autouse=True)
def github_works(hub):
    hub.standin.set_switches(outage=None, rate_limit=None, garbage_json=False, latency=0)
    yield
    hub.standin.set_switches(outage=None, rate_limit=None, garbage_json=False, latency=0)


def after_refresh_age():
    time.sleep(REFRESH_AGE + 0.3)


def home(hub, session):
    return session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=30)


def test_removed_member_loses_access_at_next_refresh_and_is_told_why(hub):
    hub.standin.add_member("demo-org", "students", "rita")
    session = hub.login("rita")
    assert home(hub, session).status_code == 200
    hub.standin.remove_member("demo-org", "students", "rita")
    after_refresh_age()
    page = session.get(f"{hub.url}/hub/home", timeout=30)
    assert page.status_code == 403
    assert "no longer in a GitHub team" in page.text and "demo-org:students" in page.text
    assert home(hub, session).status_code == 302  # signed out: the next request goes to the login page


def test_org_only_member_removed_from_the_org_loses_access_at_refresh(hub):
    session = hub.login("olga")
    assert home(hub, session).status_code == 200
    with hub.standin.community.lock:
        hub.standin.community.org("other-org").members.discard("olga")
    after_refresh_age()
    page = session.get(f"{hub.url}/hub/home", timeout=30)
    assert page.status_code == 403 and "no longer in a GitHub team" in page.text


def test_member_of_a_nested_team_moved_elsewhere_loses_access_at_refresh(hub):
    session = hub.login("pete")
    assert home(hub, session).status_code == 200
    researchers = hub.standin.community.team("demo-org", "researchers")
    researchers.parent = None  # pete's own team (phd) is unchanged: only the memberships endpoint can tell
    try:
        after_refresh_age()
        page = session.get(f"{hub.url}/hub/home", timeout=30)
        assert page.status_code == 403 and "no longer in a GitHub team" in page.text
    finally:
        researchers.parent = "hub-users"


def test_unchanged_refresh_of_a_nested_team_member_costs_no_rate_limit(hub):
    hub.standin.add_member("demo-org", "phd", "nina")
    session = hub.login("nina")
    hub.standin.reset_counts()
    after_refresh_age()
    assert home(hub, session).status_code == 200
    assert hub.standin.counts.get("GET /orgs/{org}/teams/{team}/memberships/{user}", 0) >= 1, hub.standin.counts
    assert hub.standin.rate_limited_requests == 0, hub.standin.counts


def test_group_changes_sync_at_refresh(hub):
    session = hub.login("alice")
    hub.standin.add_member("demo-org", "students", "alice")
    after_refresh_age()
    assert home(hub, session).status_code == 200
    assert "demo-org:students" in hub.api("GET", "/users/alice").json()["groups"]


def test_unchanged_refresh_costs_no_rate_limit(hub):
    session = hub.login("carol")
    hub.standin.reset_counts()
    after_refresh_age()
    assert home(hub, session).status_code == 200
    assert hub.standin.counts.get("GET /user/teams", 0) >= 1, "no refresh happened"
    assert hub.standin.rate_limited_requests == 0, hub.standin.counts


@pytest.mark.parametrize(
    "failure",
    [{"outage": "5xx"}, {"outage": "refuse"}, {"rate_limit": "403"}, {"rate_limit": "429"}, {"latency": 3}],
    ids=["5xx", "refused", "rate-limit-403", "rate-limit-429", "timeout"],
)
def test_github_failure_during_refresh_keeps_access(hub, failure):
    session = hub.login("sam")
    hub.standin.set_switches(**failure)
    after_refresh_age()
    response = home(hub, session)
    assert response.status_code == 200, response.headers.get("Location")


def test_past_the_grace_period_a_failing_github_fails_closed(hub):
    session = hub.login("champ")
    hub.standin.set_switches(outage="5xx")
    time.sleep(GRACE + 0.5)
    response = home(hub, session)
    assert response.status_code == 302 and "/hub/login" in response.headers["Location"]
