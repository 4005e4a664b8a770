"""Prometheus metrics of sign-in; they appear in the hub's own /hub/metrics (the default registry)."""

import re

from prometheus_client import Counter, Histogram

GITHUB_REQUESTS = Counter(
    "hubextras_github_requests",
    "Requests the authenticator made to GitHub, by endpoint and outcome",
    ["endpoint", "outcome"],
)
GITHUB_LATENCY = Histogram(
    "hubextras_github_request_duration_seconds",
    "Time GitHub took to answer the authenticator, by endpoint",
    ["endpoint"],
)
LOGINS = Counter("hubextras_logins", "Sign-ins through GitHub teams, by outcome", ["outcome"])
REFRESHES = Counter("hubextras_auth_refreshes", "Access re-checks at refresh, by outcome", ["outcome"])

_ENDPOINT_PATTERNS = [
    (re.compile(r"/login/oauth/access_token$"), "POST /login/oauth/access_token"),
    (re.compile(r"/user/teams$"), "GET /user/teams"),
    (re.compile(r"/user/emails$"), "GET /user/emails"),
    (re.compile(r"/user$"), "GET /user"),
    (re.compile(r"/orgs/[^/]+/teams/[^/]+/memberships/[^/]+$"), "GET /orgs/{org}/teams/{team}/memberships/{user}"),
    (re.compile(r"/orgs/[^/]+/teams/[^/]+/members/[^/]+$"), "GET /orgs/{org}/teams/{team}/members/{user}"),
    (re.compile(r"/orgs/[^/]+/members/[^/]+$"), "GET /orgs/{org}/members/{user}"),
]


def endpoint_label(path: str) -> str:
    """A low-cardinality label for a GitHub URL path (no org, team or user names)."""
    for pattern, label in _ENDPOINT_PATTERNS:
        if pattern.search(path):
            return label
    return "other"


def outcome_label(code: int) -> str:
    """`304`, `2xx`, `401`, `403`, `404`, `429`, `5xx`, or `error` (no answer)."""
    if code in (304, 401, 403, 404, 429):
        return str(code)
    if 200 <= code < 300:
        return "2xx"
    if 500 <= code < 599:
        return "5xx"
    return "error" if code in (0, 599) else f"{code // 100}xx"
