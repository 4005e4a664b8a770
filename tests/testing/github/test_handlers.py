"""The stand-in's OAuth and REST endpoints answer like GitHub's (handlers.py, representations.py)."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from standin_client import CALLBACK, api, authorize, code_from, exchange, membership, sign_in

pytestmark = pytest.mark.usefixtures("well_behaved")


# -- OAuth ------------------------------------------------------------------


def test_authorize_with_login_redirects_to_callback_with_code_and_state(standin):
    response = authorize(standin, "alice", state="xyz")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    assert re.fullmatch(r"[0-9a-f]{20}", query["code"][0])


def test_token_exchange_grants_requested_scopes_comma_separated(standin):
    response = exchange(standin, code_from(authorize(standin, "alice", scope="read:org user:email")))

    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "bearer"
    assert body["scope"] == "read:org,user:email"
    assert re.fullmatch(r"gho_[A-Za-z0-9]{36}", body["access_token"])


def test_requested_scopes_may_be_comma_separated_too(standin):
    response = exchange(standin, code_from(authorize(standin, "alice", scope="read:org,user:email")))

    assert response.json()["scope"] == "read:org,user:email"


def test_code_is_single_use(standin):
    code = code_from(authorize(standin, "alice"))
    assert "access_token" in exchange(standin, code).json()

    again = exchange(standin, code)

    assert again.status_code == 200
    assert again.json()["error"] == "bad_verification_code"
    assert again.json()["error_description"] == "The code passed is incorrect or expired."


def test_token_exchange_with_another_redirect_uri_is_refused(standin):
    code = code_from(authorize(standin, "alice"))

    response = exchange(standin, code, redirect_uri="http://elsewhere.example/callback")

    assert response.json()["error"] == "redirect_uri_mismatch"


def test_token_response_is_form_encoded_without_accept_json(standin):
    response = exchange(standin, code_from(authorize(standin, "alice")), accept="*/*")

    assert response.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    body = parse_qs(response.text)
    assert body["token_type"] == ["bearer"]
    assert body["scope"] == ["read:org,user:email"]
    assert body["access_token"][0].startswith("gho_")


def test_token_endpoint_accepts_a_json_body(standin):
    code = code_from(authorize(standin, "alice"))

    response = requests.post(
        f"{standin.url}/login/oauth/access_token",
        json={"client_id": "hub-client", "client_secret": "s3cret", "code": code},
        headers={"Accept": "application/json"},
        timeout=5,
    )

    assert response.json()["access_token"].startswith("gho_")


def test_authorize_page_offers_one_authorize_button_per_user(standin):
    params = {"client_id": "hub-client", "redirect_uri": CALLBACK, "state": "s1", "scope": "read:org user:email"}

    page = requests.get(f"{standin.url}/login/oauth/authorize", params=params, timeout=5).text

    assert "<title>Authorize application</title>" in page
    assert "hub-client" in page and "read:org" in page and "user:email" in page
    buttons = re.findall(r'<button type="submit" name="login" value="([^"]+)">Authorize as ([^<]+)</button>', page)
    assert ("alice", "alice") in buttons and ("carol", "carol") in buttons and ("bob", "bob") in buttons
    assert "Alice Example" in page and "Carol Researcher" in page
    for name, value in [("redirect_uri", CALLBACK), ("state", "s1"), ("client_id", "hub-client")]:
        assert f'<input type="hidden" name="{name}" value="{value}">' in page


def test_submitting_the_authorize_form_redirects_with_a_code(standin):
    form = {"client_id": "hub-client", "redirect_uri": CALLBACK, "state": "s2", "scope": "read:org", "login": "carol"}

    response = requests.post(f"{standin.url}/login/oauth/authorize", data=form, allow_redirects=False, timeout=5)

    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["state"] == ["s2"]
    token = exchange(standin, code_from(response)).json()["access_token"]
    assert api(standin, "/user", token).json()["login"] == "carol"


def test_cancelling_the_authorize_form_redirects_with_access_denied(standin):
    form = {"client_id": "hub-client", "redirect_uri": CALLBACK, "state": "s3", "deny": "1"}

    response = requests.post(f"{standin.url}/login/oauth/authorize", data=form, allow_redirects=False, timeout=5)

    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["s3"]


def test_authorize_without_redirect_uri_is_a_400_page(standin):
    response = requests.get(f"{standin.url}/login/oauth/authorize", params={"client_id": "x"}, timeout=5)

    assert response.status_code == 400
    assert "redirect_uri" in response.text


# -- /user and /user/emails ----------------------------------------------------


@pytest.mark.parametrize("prefix", ["/api/v3", ""])
def test_user_returns_the_profile_under_both_prefixes(standin, tokens, prefix):
    response = api(standin, "/user", tokens["alice"], prefix=prefix)

    user = response.json()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert (user["login"], user["id"], user["type"]) == ("alice", 1, "User")
    assert (user["name"], user["email"]) == ("Alice Example", "alice@example.org")
    assert {"node_id", "avatar_url", "html_url"} <= set(user)


def test_user_reports_granted_scopes_in_x_oauth_scopes(standin, tokens):
    response = api(standin, "/user", tokens["alice"])

    assert response.headers["x-oauth-scopes"] == "read:org, user:email"


def test_api_responses_carry_rate_limit_headers(standin, tokens):
    headers = api(standin, "/user", tokens["alice"]).headers

    assert headers["x-ratelimit-limit"] == "5000"
    assert headers["x-ratelimit-resource"] == "core"
    assert int(headers["x-ratelimit-remaining"]) + int(headers["x-ratelimit-used"]) == 5000
    assert int(headers["x-ratelimit-reset"]) > time.time()


def test_bearer_authorization_is_accepted(standin, tokens):
    response = requests.get(
        f"{standin.api_url}/user", headers={"Authorization": f"Bearer {tokens['alice']}"}, timeout=5
    )

    assert response.json()["login"] == "alice"


def test_unknown_token_is_401_bad_credentials(standin):
    response = api(standin, "/user", "gho_not-a-token")

    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"


def test_user_without_token_is_401(standin):
    response = requests.get(f"{standin.api_url}/user", timeout=5)

    assert response.status_code == 401


def test_user_emails_lists_the_primary_verified_email(standin, tokens):
    emails = api(standin, "/user/emails", tokens["carol"]).json()

    primary = [e for e in emails if e["primary"]]
    assert len(primary) == 1
    assert primary[0]["verified"] is True
    assert primary[0]["visibility"] == "private"
    assert "@" in primary[0]["email"]


def test_user_emails_needs_the_user_email_scope(standin):
    token = sign_in(standin, "alice", scope="read:org")

    assert api(standin, "/user/emails", token).status_code == 404


# -- /user/teams --------------------------------------------------------------


def test_user_teams_paginates_150_teams_in_two_pages_of_100(standin, tokens):
    first = api(standin, "/user/teams?per_page=100", tokens["bob"])
    second_url = re.search(r'<([^>]+)>; rel="next"', first.headers["Link"]).group(1)
    second = requests.get(second_url, headers={"Authorization": f"token {tokens['bob']}"}, timeout=5)

    page2 = f"{standin.api_url}/user/teams?per_page=100&page=2"
    page1 = f"{standin.api_url}/user/teams?per_page=100&page=1"
    assert first.headers["Link"] == f'<{page2}>; rel="next", <{page2}>; rel="last"'
    assert second.headers["Link"] == f'<{page1}>; rel="prev", <{page1}>; rel="first"'
    slugs = [t["slug"] for t in first.json() + second.json()]
    assert (len(first.json()), len(second.json())) == (100, 50)
    assert slugs == [f"team-{n:03d}" for n in range(150)]


def test_user_teams_per_page_is_clamped_to_100(standin, tokens):
    response = api(standin, "/user/teams?per_page=500", tokens["bob"])

    assert len(response.json()) == 100
    assert 'page=2>; rel="last"' in response.headers["Link"]


def test_user_teams_default_page_size_is_30(standin, tokens):
    response = api(standin, "/user/teams", tokens["bob"])

    assert len(response.json()) == 30
    assert f'<{standin.api_url}/user/teams?page=5>; rel="last"' in response.headers["Link"]


def test_user_teams_without_more_pages_has_no_link_header(standin, tokens):
    response = api(standin, "/user/teams", tokens["alice"])

    assert "Link" not in response.headers


def test_user_teams_lists_only_active_direct_memberships(standin, tokens):
    def slugs(login):
        return [t["slug"] for t in api(standin, "/user/teams", tokens[login]).json()]

    assert slugs("alice") == ["Hub-Users"]
    assert slugs("carol") == ["researchers"], "child-team members are not listed in the parent"
    assert slugs("dora") == [], "pending invitations are not memberships yet"


def test_user_teams_items_are_full_team_objects(standin, tokens):
    (team,) = api(standin, "/user/teams", tokens["carol"]).json()

    assert (team["name"], team["slug"], team["privacy"], team["permission"]) == (
        "researchers",
        "researchers",
        "closed",
        "pull",
    )
    assert team["parent"]["slug"] == "Hub-Users"
    assert team["organization"]["login"] == "Demo-Org"
    expected = {"id", "node_id", "url", "html_url", "members_url", "repositories_url", "members_count"}
    assert expected <= set(team)


def test_user_teams_is_empty_without_read_org(standin):
    token = sign_in(standin, "alice", scope="user:email")

    response = api(standin, "/user/teams", token)

    assert (response.status_code, response.json()) == (200, [])


# -- memberships --------------------------------------------------------------


def test_membership_of_an_active_member(standin, tokens):
    response = membership(standin, tokens["alice"], "Demo-Org", "Hub-Users", "alice")

    assert response.status_code == 200
    assert (response.json()["role"], response.json()["state"]) == ("member", "active")
    assert response.json()["url"].startswith(standin.api_url)


def test_membership_of_a_maintainer_has_role_maintainer(standin, tokens):
    response = membership(standin, tokens["mia"], "Demo-Org", "Hub-Users", "mia")

    assert (response.json()["role"], response.json()["state"]) == ("maintainer", "active")


def test_membership_of_an_invited_member_is_pending(standin, tokens):
    response = membership(standin, tokens["dora"], "Demo-Org", "Hub-Users", "dora")

    assert response.json()["state"] == "pending"


@pytest.mark.parametrize("login", ["carol", "gina"])
def test_child_team_members_are_active_members_of_the_parent(standin, tokens, login):
    response = membership(standin, tokens[login], "Demo-Org", "Hub-Users", login)

    assert response.status_code == 200
    assert response.json()["state"] == "active"


@pytest.mark.parametrize(
    "org, team, user",
    [("Demo-Org", "Hub-Users", "sam"), ("Demo-Org", "no-such-team", "alice"), ("no-such-org", "hub-users", "alice")],
)
def test_membership_is_404_otherwise(standin, tokens, org, team, user):
    response = membership(standin, tokens["alice"], org, team, user)

    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


def test_membership_lookup_is_case_insensitive(standin, tokens):
    response = membership(standin, tokens["alice"], "demo-org", "HUB-USERS", "ALICE")

    assert response.status_code == 200
    assert response.json()["url"].endswith("/memberships/alice")


@pytest.mark.parametrize(
    "team, user, status",
    [("hub-users", "alice", 204), ("hub-users", "carol", 204), ("hub-users", "gina", 204)]
    + [("hub-users", "dora", 404), ("hub-users", "sam", 404), ("nope", "alice", 404)],
)
def test_legacy_team_member_endpoint(standin, tokens, team, user, status):
    response = api(standin, f"/orgs/demo-org/teams/{team}/members/{user}", tokens["alice"])

    assert response.status_code == status


@pytest.mark.parametrize(
    "org, user, status",
    [("demo-org", "alice", 204), ("demo-org", "olga", 204), ("demo-org", "carol", 204)]
    + [("demo-org", "dora", 404), ("demo-org", "bob", 404), ("big-org", "bob", 204), ("nope", "alice", 404)],
)
def test_org_member_endpoint(standin, tokens, org, user, status):
    response = api(standin, f"/orgs/{org}/members/{user}", tokens["alice"])

    assert response.status_code == status


def test_membership_endpoints_need_read_org(standin):
    token = sign_in(standin, "alice", scope="user:email")

    assert membership(standin, token, "demo-org", "hub-users", "alice").status_code == 404
    assert api(standin, "/orgs/demo-org/teams/hub-users/members/alice", token).status_code == 404
    assert api(standin, "/orgs/demo-org/members/alice", token).status_code == 404


# -- ETags and the rate limit ---------------------------------------------------


def test_matching_if_none_match_is_304_and_not_counted_against_the_rate_limit(standin, tokens):
    first = api(standin, "/user/teams", tokens["alice"])
    used = standin.rate_limited_requests

    again = api(standin, "/user/teams", tokens["alice"], **{"If-None-Match": first.headers["ETag"]})

    assert re.fullmatch(r'"[0-9a-f]{64}"', first.headers["ETag"])
    assert (again.status_code, again.content) == (304, b"")
    assert standin.rate_limited_requests == used == 1
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]
    assert standin.counts["GET /user/teams"] == 2


def test_stale_etag_gets_the_full_answer(standin, tokens):
    response = api(standin, "/user", tokens["alice"], **{"If-None-Match": '"stale"'})

    assert response.status_code == 200
    assert standin.rate_limited_requests == 1


