"""The stand-in's switches, counts and changes while it serves (server.py)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from standin_client import api, authorize, code_from, exchange, sign_in

pytestmark = pytest.mark.usefixtures("well_behaved")


# -- switches -----------------------------------------------------------------


def test_latency_delays_every_request(standin, tokens):
    standin.latency = 0.3

    started = time.monotonic()
    api(standin, "/user", tokens["alice"])

    assert time.monotonic() - started >= 0.3


def test_latency_does_not_block_other_requests(standin, tokens):
    standin.latency = 0.5

    started = time.monotonic()
    with ThreadPoolExecutor(5) as pool:
        statuses = list(pool.map(lambda _: api(standin, "/user", tokens["alice"]).status_code, range(5)))

    assert statuses == [200] * 5
    assert time.monotonic() - started < 1.5


def test_5xx_outage_answers_api_and_token_requests_with_an_html_503(standin, tokens):
    code = code_from(authorize(standin, "alice"))
    standin.outage = "5xx"

    for response in (api(standin, "/user", tokens["alice"]), exchange(standin, code)):
        assert response.status_code == 503
        assert response.headers["Content-Type"].startswith("text/html")
    assert authorize(standin, "alice").status_code == 302, "the authorize page stays up"
    standin.outage = None
    assert "access_token" in exchange(standin, code).json(), "a refused exchange does not use up the code"


def test_refuse_outage_refuses_connections_and_recovers_on_the_same_port(standin, tokens):
    url = standin.url
    session = requests.Session()
    session.get(f"{url}/user", headers={"Authorization": f"token {tokens['alice']}"}, timeout=5)

    standin.outage = "refuse"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/user", timeout=5)
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/user", timeout=5)
    standin.outage = None

    assert standin.url == url
    assert api(standin, "/user", tokens["alice"]).status_code == 200


def test_rate_limit_403_looks_like_an_exhausted_primary_limit(standin, tokens):
    standin.rate_limit = "403"

    response = api(standin, "/user", tokens["alice"])

    assert response.status_code == 403
    assert response.json()["message"] == "API rate limit exceeded for user ID 1."
    assert "documentation_url" in response.json()
    assert response.headers["x-ratelimit-remaining"] == "0"


def test_rate_limit_429_asks_to_retry_after_60_seconds(standin, tokens):
    standin.rate_limit = "429"

    response = api(standin, "/user/teams", tokens["alice"])

    assert response.status_code == 429
    assert response.headers["retry-after"] == "60"


def test_garbage_json_answers_200_with_a_body_that_is_not_json(standin, tokens):
    standin.garbage_json = True

    response = api(standin, "/user", tokens["alice"])

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_drop_scopes_withholds_scopes_from_the_grant(standin):
    standin.drop_scopes = {"read:org"}

    token_response = exchange(standin, code_from(authorize(standin, "alice"))).json()

    assert token_response["scope"] == "user:email"
    assert api(standin, "/user/teams", token_response["access_token"]).json() == []


def test_unknown_switch_values_are_refused(standin):
    with pytest.raises(ValueError):
        standin.outage = "down"
    with pytest.raises(TypeError):
        standin.set_switches(latencyy=1)


# -- counts and runtime changes ---------------------------------------------------


def test_counts_are_keyed_by_endpoint_template_and_reset(standin, tokens):
    api(standin, "/orgs/demo-org/teams/hub-users/memberships/alice", tokens["alice"])
    api(standin, "/orgs/demo-org/teams/students/memberships/alice", tokens["alice"])
    api(standin, "/user", tokens["alice"], prefix="")

    assert standin.counts["GET /orgs/{org}/teams/{team}/memberships/{user}"] == 2
    assert standin.counts["GET /user"] == 1
    assert standin.rate_limited_requests == 3
    standin.reset_counts()
    assert (dict(standin.counts), standin.rate_limited_requests) == ({}, 0)


def test_members_added_and_removed_at_runtime_take_effect_at_once(standin, tokens):
    path = "/orgs/demo-org/teams/students/members/alice"
    standin.add_member("demo-org", "students", "alice")
    try:
        assert api(standin, path, tokens["alice"]).status_code == 204
    finally:
        standin.remove_member("demo-org", "students", "alice")

    assert api(standin, path, tokens["alice"]).status_code == 404


def test_users_added_at_runtime_can_sign_in(standin):
    standin.community.add_user("newbie", name="New Bie", email=None)

    token = sign_in(standin, "newbie")

    assert api(standin, "/user", token).json()["name"] == "New Bie"


