"""A client of the stand-in, as a hub would be: authorize, exchange the code, call the API."""

from urllib.parse import parse_qs, urlsplit

import requests

CALLBACK = "http://127.0.0.1:1/hub/oauth_callback"


def authorize(standin, login, scope="read:org user:email", state="s1"):
    params = {"client_id": "hub-client", "redirect_uri": CALLBACK, "state": state, "scope": scope, "login": login}
    return requests.get(f"{standin.url}/login/oauth/authorize", params=params, allow_redirects=False, timeout=5)


def code_from(response):
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def exchange(standin, code, accept="application/json", **extra):
    data = {"client_id": "hub-client", "client_secret": "s3cret", "code": code, "redirect_uri": CALLBACK, **extra}
    return requests.post(f"{standin.url}/login/oauth/access_token", data=data, headers={"Accept": accept}, timeout=5)


def sign_in(standin, login, scope="read:org user:email"):
    return exchange(standin, code_from(authorize(standin, login, scope))).json()["access_token"]


def api(standin, path, token, prefix="/api/v3", **headers):
    return requests.get(
        f"{standin.url}{prefix}{path}", headers={"Authorization": f"token {token}", **headers}, timeout=5
    )


def membership(standin, token, org, team, user):
    return api(standin, f"/orgs/{org}/teams/{team}/memberships/{user}", token)
