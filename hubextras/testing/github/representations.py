"""GitHub's representations: the JSON shapes, headers and scope rules the stand-in answers with (no HTTP)."""

from __future__ import annotations

import base64
import re
import string
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .community import Community, Org, Team, User

TIMESTAMP = "2024-01-15T09:00:00Z"
RATE_LIMIT = 5000
DOCS = "https://docs.github.com/rest"
JSON_TYPE = "application/json; charset=utf-8"
OUTAGE_STATUS = {"5xx": 503, "502": 502, "503": 503}
RATE_LIMITS = ("403", "429")
GARBAGE_BODY = b"<html><body><h1>Unicorn!</h1><p>This page is taking too long.</p></body></html>\n"
OUTAGE_PAGE = (
    "<!DOCTYPE html><html><head><title>Unicorn! &middot; GitHub</title></head><body>"
    "<h1>{status}: GitHub is having trouble</h1>"
    "<p>No server is currently available to service your request.</p></body></html>\n"
)
TOKEN_ALPHABET = string.ascii_letters + string.digits
# Scopes that include another one, as GitHub documents for OAuth apps.
SCOPES_GRANTING = {
    "read:org": {"read:org", "write:org", "admin:org"},
    "user:email": {"user:email", "user"},
}


def node_id(kind: str, id: int) -> str:
    return base64.b64encode(f"{kind}{id}".encode()).decode()


def has_scope(granted: tuple[str, ...], needed: str) -> bool:
    return bool(SCOPES_GRANTING.get(needed, {needed}) & set(granted))


def split_scopes(requested: str) -> list[str]:
    return list(dict.fromkeys(s for s in re.split(r"[\s,]+", requested or "") if s))


def user_json(user: User, api: str, web: str) -> dict[str, Any]:
    users = f"{api}/users/{user.login}"
    return {
        "login": user.login,
        "id": user.id,
        "node_id": node_id("04:User", user.id),
        "avatar_url": f"{web}/avatars/u/{user.id}?v=4",
        "gravatar_id": "",
        "url": users,
        "html_url": f"{web}/{user.login}",
        "followers_url": f"{users}/followers",
        "following_url": f"{users}/following{{/other_user}}",
        "gists_url": f"{users}/gists{{/gist_id}}",
        "starred_url": f"{users}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{users}/subscriptions",
        "organizations_url": f"{users}/orgs",
        "repos_url": f"{users}/repos",
        "events_url": f"{users}/events{{/privacy}}",
        "received_events_url": f"{users}/received_events",
        "type": "User",
        "site_admin": False,
        "name": user.name,
        "company": None,
        "blog": "",
        "location": None,
        "email": user.email,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "private_gists": 0,
        "total_private_repos": 0,
        "owned_private_repos": 0,
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": False,
    }


def org_json(org: Org, api: str, web: str) -> dict[str, Any]:
    url = f"{api}/orgs/{org.login}"
    return {
        "login": org.login,
        "id": org.id,
        "node_id": node_id("012:Organization", org.id),
        "url": url,
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events",
        "hooks_url": f"{url}/hooks",
        "issues_url": f"{url}/issues",
        "members_url": f"{url}/members{{/member}}",
        "public_members_url": f"{url}/public_members{{/member}}",
        "avatar_url": f"{web}/avatars/u/{org.id}?v=4",
        "description": None,
        "name": org.name or org.login,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "is_verified": False,
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "html_url": f"{web}/{org.login}",
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "type": "Organization",
    }


def team_simple_json(team: Team, api: str, web: str) -> dict[str, Any]:
    url = f"{api}/teams/{team.id}"
    return {
        "id": team.id,
        "node_id": node_id("04:Team", team.id),
        "url": url,
        "html_url": f"{web}/orgs/{team.org}/teams/{team.slug}",
        "name": team.name,
        "slug": team.slug,
        "description": team.description,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": f"{url}/members{{/member}}",
        "repositories_url": f"{url}/repos",
    }


def team_json(community: Community, team: Team, api: str, web: str) -> dict[str, Any]:
    parent = community.parent_of(team)
    org = community.org(team.org)
    assert org is not None
    return {
        **team_simple_json(team, api, web),
        "parent": team_simple_json(parent, api, web) if parent else None,
        "members_count": sum(m.state == "active" for m in team.members.values()),
        "repos_count": 0,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "organization": org_json(org, api, web),
    }


def not_found(docs: str = DOCS) -> dict[str, str]:
    return {"message": "Not Found", "documentation_url": docs, "status": "404"}


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [c.strip() for c in if_none_match.split(",")]
    return any(c == "*" or c.removeprefix("W/") == etag for c in candidates)


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


