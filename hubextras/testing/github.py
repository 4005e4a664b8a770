"""A stand-in for GitHub's OAuth and REST API, served on this machine.

GitHub cannot be reached from where hubextras is tested, so tests, benchmarks
and the demo hub talk to this small tornado server instead. It speaks the
endpoints a JupyterHub authenticator uses, with GitHub's paths, shapes,
headers and quirks, over a community of orgs, teams and users read from a
YAML or JSON file (or a dict)::

    standin = GitHubStandIn("community.yaml").start()
    c.GitHubOAuthenticator.github_url = standin.url   # GitHub Enterprise style
    ...
    standin.stop()

Switches (``latency``, ``outage``, ``rate_limit``, ``garbage_json``,
``drop_scopes``) make it misbehave the way GitHub sometimes does; ``counts``
and ``rate_limited_requests`` tell what a client asked for. The same controls
are served over HTTP under ``/_standin/`` for out-of-process use.

Run ``python -m hubextras.testing.github --help`` to serve it on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import hashlib
import html
import json
import logging
import math
import os
import re
import secrets
import signal
import string
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml
from tornado.httpserver import HTTPServer
from tornado.log import access_log
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

__all__ = [
    "DEMO_COMMUNITY",
    "Community",
    "CommunityError",
    "GitHubStandIn",
    "load_community",
    "main",
]

DEMO_COMMUNITY = Path(__file__).with_name("demo_community.yaml")
"""The bundled demo community (who is who is explained at its top)."""

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# The community: plain data, no HTTP
# ---------------------------------------------------------------------------

MEMBER_STATES = ("active", "pending")
MEMBER_ROLES = ("member", "maintainer")


class CommunityError(ValueError):
    """The community description cannot be used; the message says where and why."""


@dataclass
class User:
    """A GitHub user. ``email`` is the public profile email (None: private)."""

    login: str
    id: int
    name: str | None = None
    email: str | None = None
    primary_email: str | None = None

    @property
    def emails(self) -> list[str]:
        """The primary address first, then the GitHub noreply address."""
        primary = self.primary_email or self.email or f"{self.login}@example.org"
        return [primary, f"{self.id}+{self.login}@users.noreply.github.com"]


@dataclass
class Membership:
    """A user's direct membership of one team."""

    login: str
    state: str = "active"
    role: str = "member"


@dataclass
class Team:
    """A team; ``parent`` is the parent team's slug in the same org, or None."""

    org: str
    slug: str
    id: int
    name: str
    parent: str | None = None
    description: str | None = None
    members: dict[str, Membership] = field(default_factory=dict)  # key: login.lower()


@dataclass
class Org:
    """An organisation; ``members`` are org members listed outside any team."""

    login: str
    id: int
    name: str | None = None
    members: set[str] = field(default_factory=set)  # login.lower()
    teams: dict[str, Team] = field(default_factory=dict)  # key: slug.lower()


class Community:
    """Orgs, teams, users and memberships, looked up case-insensitively like GitHub.

    Reads and writes hold one lock, so tests may change membership while the
    stand-in serves requests from its own thread.
    """

    def __init__(self) -> None:
        self.orgs: dict[str, Org] = {}
        self.users: dict[str, User] = {}
        self.lock = threading.RLock()
        self._reserved_ids: set[int] = set()
        self._team_ids = iter(range(7001, 10**9))
        self._org_ids = iter(range(5001, 10**9))

    # -- lookups ------------------------------------------------------------

    def user(self, login: str) -> User | None:
        return self.users.get(login.lower())

    def org(self, org: str) -> Org | None:
        return self.orgs.get(org.lower())

    def team(self, org: str, slug: str) -> Team | None:
        found = self.org(org)
        return found.teams.get(slug.lower()) if found else None

    def parent_of(self, team: Team) -> Team | None:
        return self.team(team.org, team.parent) if team.parent else None

    def descendants(self, team: Team) -> list[Team]:
        """Child teams of ``team`` at any depth."""
        with self.lock:
            org = self.orgs[team.org.lower()]
            found, frontier = [], [team.slug.lower()]
            while frontier:
                slug = frontier.pop()
                for child in org.teams.values():
                    if child.parent and child.parent.lower() == slug:
                        found.append(child)
                        frontier.append(child.slug.lower())
            return found

    def teams_of(self, login: str) -> list[Team]:
        """Teams where ``login`` is an active *direct* member, as /user/teams lists them."""
        key = login.lower()
        with self.lock:
            teams = [
                team
                for org in self.orgs.values()
                for team in org.teams.values()
                if (m := team.members.get(key)) and m.state == "active"
            ]
        return sorted(teams, key=lambda t: t.id)

    def memberships_of(self, login: str) -> list[tuple[Team, Membership]]:
        """Every direct membership of ``login``, pending ones included."""
        key = login.lower()
        with self.lock:
            found = [
                (team, team.members[key])
                for org in self.orgs.values()
                for team in org.teams.values()
                if key in team.members
            ]
        return sorted(found, key=lambda pair: pair[0].id)

    def team_membership(self, org: str, slug: str, login: str) -> Membership | None:
        """The membership GitHub reports: child-team members count as active members."""
        key = login.lower()
        with self.lock:
            team = self.team(org, slug)
            if team is None:
                return None
            direct = team.members.get(key)
            if direct and direct.state == "active":
                return direct
            for child in self.descendants(team):
                inherited = child.members.get(key)
                if inherited and inherited.state == "active":
                    return Membership(inherited.login, "active", "member")
            return direct

    def is_team_member(self, org: str, slug: str, login: str) -> bool:
        membership = self.team_membership(org, slug, login)
        return membership is not None and membership.state == "active"

    def is_org_member(self, org: str, login: str) -> bool:
        key = login.lower()
        with self.lock:
            found = self.org(org)
            if found is None:
                return False
            if key in found.members:
                return True
            return any((m := team.members.get(key)) and m.state == "active" for team in found.teams.values())

    # -- changes --------------------------------------------------------------

    def add_user(
        self,
        login: str,
        name: str | None = None,
        email: str | None = None,
        id: int | None = None,
        primary_email: str | None = None,
    ) -> User:
        """Add a user, or update the name and emails of an existing one."""
        with self.lock:
            existing = self.user(login)
            if existing is not None:
                if name is not None:
                    existing.name = name
                if email is not None:
                    existing.email = email
                if primary_email is not None:
                    existing.primary_email = primary_email
                return existing
            used = {u.id for u in self.users.values()}
            if id is None:
                used |= self._reserved_ids
                id = next(i for i in range(1001, 10**9) if i not in used)
            elif id in used:
                raise CommunityError(f"User `{login}` has id {id}, which another user already has.")
            user = User(login, id, name, email, primary_email)
            self.users[login.lower()] = user
            return user

    def add_org(self, login: str, name: str | None = None) -> Org:
        with self.lock:
            found = self.org(login)
            if found is None:
                found = Org(login, next(self._org_ids), name)
                self.orgs[login.lower()] = found
            return found

    def add_team(
        self,
        org: str,
        slug: str,
        name: str | None = None,
        parent: str | None = None,
        description: str | None = None,
    ) -> Team:
        with self.lock:
            owner = self.add_org(org)
            if slug.lower() in owner.teams:
                raise CommunityError(f"Team `{org}:{slug}` is described twice.")
            team = Team(owner.login, slug, next(self._team_ids), name or slug, parent, description)
            owner.teams[slug.lower()] = team
            return team

    def _existing_team(self, org: str, slug: str) -> Team:
        team = self.team(org, slug)
        if team is None:
            raise LookupError(f"There is no team `{org}:{slug}` in this community.")
        return team

    def add_member(self, org: str, team: str, user: str, state: str = "active", role: str = "member") -> Membership:
        """Make ``user`` a direct member of an existing team (or change state/role)."""
        if state not in MEMBER_STATES:
            raise CommunityError(f"Membership state must be one of {MEMBER_STATES}, not {state!r}.")
        if role not in MEMBER_ROLES:
            raise CommunityError(f"Membership role must be one of {MEMBER_ROLES}, not {role!r}.")
        with self.lock:
            found = self._existing_team(org, team)
            login = self.add_user(user).login
            membership = Membership(login, state, role)
            found.members[login.lower()] = membership
            return membership

    def remove_member(self, org: str, team: str, user: str) -> None:
        """Remove ``user``'s direct membership of a team (no-op if not a member)."""
        with self.lock:
            self._existing_team(org, team).members.pop(user.lower(), None)

    # -- building from a description ------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Community:
        """Build a community from the documented YAML/JSON structure."""
        data = data or {}
        if not isinstance(data, dict):
            raise CommunityError("A community description must be a mapping with `orgs` and `users`.")
        _check_keys("the community", data, {"orgs", "users", "many_teams"})
        community = cls()
        users = data.get("users") or {}
        community._reserved_ids = {
            info["id"] for info in users.values() if isinstance(info, dict) and info.get("id") is not None
        }
        for login, info in users.items():
            info = info or {}
            _check_keys(f"user `{login}`", info, {"name", "email", "id", "primary_email"})
            community.add_user(
                str(login),
                info.get("name"),
                info.get("email"),
                info.get("id"),
                info.get("primary_email"),
            )
        for org_login, org_info in (data.get("orgs") or {}).items():
            community._load_org(str(org_login), org_info or {})
        community._check_parents()
        many = data.get("many_teams") or []
        for spec in [many] if isinstance(many, dict) else many:
            community._load_many_teams(spec)
        return community

    def _load_org(self, login: str, info: dict[str, Any]) -> None:
        _check_keys(f"org `{login}`", info, {"name", "members", "teams"})
        org = self.add_org(login, info.get("name"))
        for member in info.get("members") or []:
            org.members.add(self.add_user(str(member)).login.lower())
        for slug, team_info in (info.get("teams") or {}).items():
            team_info = team_info or {}
            where = f"team `{login}:{slug}`"
            _check_keys(where, team_info, {"name", "parent", "members", "maintainers", "description"})
            team = self.add_team(
                login,
                str(slug),
                team_info.get("name"),
                team_info.get("parent"),
                team_info.get("description"),
            )
            members = team_info.get("members") or {}
            if isinstance(members, list):
                members = dict.fromkeys(members, "active")
            for member, state in members.items():
                if (state or "active") not in MEMBER_STATES:
                    raise CommunityError(f"In {where}, `{member}` has state {state!r}; use `active` or `pending`.")
                self.add_member(login, team.slug, str(member), state or "active")
            for member in team_info.get("maintainers") or []:
                current = team.members.get(str(member).lower())
                self.add_member(login, team.slug, str(member), current.state if current else "active", "maintainer")

    def _check_parents(self) -> None:
        for org in self.orgs.values():
            for team in org.teams.values():
                seen = {team.slug.lower()}
                parent = team.parent
                while parent:
                    found = org.teams.get(str(parent).lower())
                    if found is None:
                        raise CommunityError(
                            f"Team `{org.login}:{team.slug}` names parent `{parent}`, "
                            f"which is not a team of `{org.login}`."
                        )
                    if found.slug.lower() in seen:
                        raise CommunityError(f"Team `{org.login}:{team.slug}` is its own ancestor.")
                    seen.add(found.slug.lower())
                    parent = found.parent
                if team.parent:
                    team.parent = org.teams[str(team.parent).lower()].slug

    def _load_many_teams(self, spec: dict[str, Any]) -> None:
        _check_keys("many_teams", spec, {"org", "count", "member", "prefix"})
        org, count, member = spec["org"], int(spec["count"]), spec.get("member")
        prefix = spec.get("prefix", "team-")
        width = max(3, len(str(count - 1)))
        for number in range(count):
            team = self.add_team(org, f"{prefix}{number:0{width}d}")
            if member:
                self.add_member(org, team.slug, str(member))


def _check_keys(where: str, info: Any, allowed: set[str]) -> None:
    if not isinstance(info, dict):
        raise CommunityError(f"{where[0].upper()}{where[1:]} must be a mapping, not {info!r}.")
    unknown = set(info) - allowed
    if unknown:
        raise CommunityError(
            f"Unknown key(s) {', '.join(sorted(map(str, unknown)))} in {where}; known: {', '.join(sorted(allowed))}."
        )


def load_community(source: Community | dict[str, Any] | str | os.PathLike[str] | None) -> Community:
    """A Community from a dict, or from a .yaml/.yml/.json file (None: the demo community)."""
    if isinstance(source, Community):
        return source
    if source is None:
        source = DEMO_COMMUNITY
    if isinstance(source, dict):
        return Community.from_dict(source)
    path = Path(source)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise CommunityError(f"{path} is not valid {path.suffix.lstrip('.').upper() or 'YAML'}: {e}") from e
    try:
        return Community.from_dict(data)
    except CommunityError as e:
        raise CommunityError(f"{path}: {e}") from e


# ---------------------------------------------------------------------------
# GitHub's representations
# ---------------------------------------------------------------------------

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


def _node_id(kind: str, id: int) -> str:
    return base64.b64encode(f"{kind}{id}".encode()).decode()


def _has_scope(granted: tuple[str, ...], needed: str) -> bool:
    return bool(SCOPES_GRANTING.get(needed, {needed}) & set(granted))


def _split_scopes(requested: str) -> list[str]:
    return list(dict.fromkeys(s for s in re.split(r"[\s,]+", requested or "") if s))


def _user_json(user: User, api: str, web: str) -> dict[str, Any]:
    users = f"{api}/users/{user.login}"
    return {
        "login": user.login,
        "id": user.id,
        "node_id": _node_id("04:User", user.id),
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


def _org_json(org: Org, api: str, web: str) -> dict[str, Any]:
    url = f"{api}/orgs/{org.login}"
    return {
        "login": org.login,
        "id": org.id,
        "node_id": _node_id("012:Organization", org.id),
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


def _team_simple_json(team: Team, api: str, web: str) -> dict[str, Any]:
    url = f"{api}/teams/{team.id}"
    return {
        "id": team.id,
        "node_id": _node_id("04:Team", team.id),
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


def _team_json(community: Community, team: Team, api: str, web: str) -> dict[str, Any]:
    parent = community.parent_of(team)
    org = community.org(team.org)
    assert org is not None
    return {
        **_team_simple_json(team, api, web),
        "parent": _team_simple_json(parent, api, web) if parent else None,
        "members_count": sum(m.state == "active" for m in team.members.values()),
        "repos_count": 0,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "organization": _org_json(org, api, web),
    }


def _not_found(docs: str = DOCS) -> dict[str, str]:
    return {"message": "Not Found", "documentation_url": docs, "status": "404"}


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [c.strip() for c in if_none_match.split(",")]
    return any(c == "*" or c.removeprefix("W/") == etag for c in candidates)


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


# ---------------------------------------------------------------------------
# HTTP handlers: parse, ask the community, answer like GitHub
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grant:
    login: str
    scopes: tuple[str, ...]
    client_id: str = ""
    redirect_uri: str = ""


class _StandInHandler(RequestHandler):
    """Counting, latency and "refuse" for every GitHub endpoint."""

    endpoint = ""  # the counts key without the method

    def initialize(self, standin: GitHubStandIn) -> None:
        self.standin = standin
        self.refused = False
        self.grant: _Grant | None = None

    def compute_etag(self) -> str | None:
        return None  # API handlers set their own ETag and decide on 304 themselves

    def set_default_headers(self) -> None:
        self.set_header("Server", "github.com")

    @property
    def web_base(self) -> str:
        return f"{self.request.protocol}://{self.request.host}"

    @property
    def api_base(self) -> str:
        return f"{self.web_base}/api/v3"

    def _refuse(self) -> None:
        self.refused = True
        self.request.connection.close()
        self.finish()

    async def prepare(self) -> None:
        standin = self.standin
        if standin.outage == "refuse":
            return self._refuse()
        standin.counts[f"{self.request.method} {self.endpoint}"] += 1
        if standin.latency:
            await asyncio.sleep(standin.latency)
        if standin.outage == "refuse":
            return self._refuse()

    def on_finish(self) -> None:
        if not self.refused:
            key = f"{self.request.method} {self.endpoint} {self.get_status()}"
            self.standin.count_outcomes[key] += 1

    def page(self, status: int, title: str, body: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(_page(title, body))


class _GitHubAPIHandler(_StandInHandler):
    """The outage, rate-limit and garbage switches, ETags and rate-limit headers."""

    api = True  # False for the token endpoint: no rate-limit bookkeeping
    requires_auth = False  # True: no token -> 401 "Requires authentication"

    async def prepare(self) -> None:
        await super().prepare()
        if self._finished:
            return
        standin = self.standin
        self.grant = standin._grant_for(self.request.headers.get("Authorization", ""))
        if standin.outage in OUTAGE_STATUS:
            status = OUTAGE_STATUS[standin.outage]
            return self.page(status, "Unicorn! · GitHub", OUTAGE_PAGE.format(status=status))
        if standin.rate_limit == "403":
            who = f"user ID {self.grant_user_id()}" if self.grant else self.request.remote_ip
            body = {
                "message": f"API rate limit exceeded for {who}.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            }
            return self.send_json(403, body)
        if standin.rate_limit == "429":
            self.set_header("Retry-After", "60")
            body = {
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                "#about-secondary-rate-limits",
            }
            return self.send_json(429, body)
        if standin.garbage_json:
            return self.send(200, GARBAGE_BODY)
        if self.api and self.grant is None:
            if self.request.headers.get("Authorization"):
                return self.send_json(401, {**_not_found(), "message": "Bad credentials", "status": "401"})
            if self.requires_auth:
                body = {"message": "Requires authentication", "documentation_url": DOCS, "status": "401"}
                return self.send_json(401, body)

    def grant_user_id(self) -> int:
        user = self.standin.community.user(self.grant.login) if self.grant else None
        return user.id if user else 0

    def send_json(self, status: int, data: Any) -> None:
        self.send(status, json.dumps(data, separators=(",", ":")).encode())

    def send(self, status: int, body: bytes = b"") -> None:
        """Answer with GitHub's headers; 200 GETs get an ETag and may become 304."""
        etag = None
        if status == 200 and self.request.method == "GET":
            etag = '"' + hashlib.sha256(body).hexdigest() + '"'
            if _etag_matches(self.request.headers.get("If-None-Match"), etag):
                status, body = 304, b""
        if self.api:
            if self.grant is not None and status != 304:
                self.standin._count_rate_limited()
            self._set_rate_limit_headers()
            self.set_header("Cache-Control", "private, max-age=60, s-maxage=60")
            self.set_header("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
            self.set_header("X-GitHub-Media-Type", "github.v3; format=json")
            self.set_header("X-GitHub-Request-Id", secrets.token_hex(8).upper())
            if self.grant is not None:
                self.set_header("X-OAuth-Scopes", ", ".join(self.grant.scopes))
        if etag:
            self.set_header("ETag", etag)
        self.set_status(status)
        if status in (204, 304):
            self.finish()
        else:
            self.set_header("Content-Type", JSON_TYPE)
            self.finish(body)

    def _set_rate_limit_headers(self) -> None:
        used = RATE_LIMIT if self.standin.rate_limit == "403" else self.standin.rate_limited_requests
        self.set_header("X-RateLimit-Limit", str(RATE_LIMIT))
        self.set_header("X-RateLimit-Remaining", str(max(0, RATE_LIMIT - used)))
        self.set_header("X-RateLimit-Used", str(min(used, RATE_LIMIT)))
        self.set_header("X-RateLimit-Reset", str(self.standin._rate_limit_reset()))
        self.set_header("X-RateLimit-Resource", "core")


class AuthorizeHandler(_StandInHandler):
    """GET /login/oauth/authorize: pick who you are; POST: approve, redirect with a code."""

    endpoint = "/login/oauth/authorize"

    def get(self) -> None:
        if self._check_redirect_uri() is None:
            return
        login = self.get_argument("login", "")
        if login:
            return self._approve(login)
        self.page(200, "Authorize application", self._choices_html())

    def post(self) -> None:
        redirect_uri = self._check_redirect_uri()
        if redirect_uri is None:
            return
        if self.get_argument("deny", ""):
            params = {
                "error": "access_denied",
                "error_description": "The user has denied your application access.",
                "error_uri": "https://docs.github.com/apps/managing-oauth-apps/"
                "troubleshooting-authorization-request-errors/#access-denied",
            }
            return self.redirect(_with_query(redirect_uri, self._with_state(params)))
        self._approve(self.get_argument("login", ""))

    def _check_redirect_uri(self) -> str | None:
        redirect_uri = self.get_argument("redirect_uri", "")
        if not redirect_uri:
            self.page(
                400,
                "Missing redirect_uri",
                "<h1>Missing redirect_uri</h1><p>The application sent you here without a "
                "<code>redirect_uri</code>, so there is nowhere to send you back to. "
                "Check the authenticator's <code>oauth_callback_url</code>.</p>",
            )
            return None
        return redirect_uri

    def _with_state(self, params: dict[str, str]) -> dict[str, str]:
        state = self.get_argument("state", "")
        return {**params, "state": state} if state else params

    def _approve(self, login: str) -> None:
        user = self.standin.community.user(login)
        if user is None:
            return self.page(
                400,
                "Unknown user",
                f"<h1>Unknown user</h1><p>There is no user <code>{html.escape(login)}</code> "
                "in this stand-in's community. Go back and pick one of the listed users.</p>",
            )
        code = self.standin._issue_code(
            _Grant(
                user.login,
                tuple(_split_scopes(self.get_argument("scope", ""))),
                self.get_argument("client_id", ""),
                self.get_argument("redirect_uri", ""),
            )
        )
        redirect_uri = self.get_argument("redirect_uri")
        self.redirect(_with_query(redirect_uri, self._with_state({"code": code})))

    def _choices_html(self) -> str:
        community = self.standin.community
        scopes = _split_scopes(self.get_argument("scope", ""))
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(self.get_argument(name, ""))}">'
            for name in ("client_id", "redirect_uri", "state", "scope")
        )
        with community.lock:
            users = list(community.users.values())
        rows = []
        for user in users:
            teams = [
                f"{t.org}:{t.slug}" + (" (invitation pending)" if m.state == "pending" else "")
                for t, m in community.memberships_of(user.login)
            ]
            shown = ", ".join(teams[:4]) + (f" and {len(teams) - 4} more" if len(teams) > 4 else "")
            rows.append(
                "<li>"
                f'<button type="submit" name="login" value="{html.escape(user.login)}">'
                f"Authorize as {html.escape(user.login)}</button> "
                f'<span class="who"><strong>{html.escape(user.login)}</strong>'
                f" {html.escape(user.name or '')}</span>"
                f'<span class="teams">{html.escape(shown or "in no team")}</span>'
                "</li>"
            )
        scope_list = ", ".join(f"<code>{html.escape(s)}</code>" for s in scopes) or "no scopes"
        client_id = html.escape(self.get_argument("client_id", "") or "(none given)")
        return (
            "<h1>Authorize application</h1>"
            f"<p>The application <code>{client_id}</code> wants to sign you in "
            f"and asks for: {scope_list}.</p>"
            "<p class=note>This is a stand-in for GitHub running on this machine. "
            "Choose who you are:</p>"
            f'<form method="post" action="/login/oauth/authorize">{hidden}'
            f"<ul>{''.join(rows)}</ul>"
            '<button type="submit" name="deny" value="1" class="deny">Cancel</button>'
            "</form>"
        )


class AccessTokenHandler(_GitHubAPIHandler):
    """POST /login/oauth/access_token: trade a single-use code for a token."""

    endpoint = "/login/oauth/access_token"
    api = False

    def post(self) -> None:
        params = self._params()
        grant = self.standin._take_code(params.get("code", ""))
        if grant is None:
            return self._answer(
                {
                    "error": "bad_verification_code",
                    "error_description": "The code passed is incorrect or expired.",
                    "error_uri": "https://docs.github.com/apps/managing-oauth-apps/"
                    "troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
                }
            )
        redirect_uri = params.get("redirect_uri")
        if redirect_uri and grant.redirect_uri and redirect_uri != grant.redirect_uri:
            return self._answer(
                {
                    "error": "redirect_uri_mismatch",
                    "error_description": "The redirect_uri MUST match the registered callback URL "
                    "for this application.",
                    "error_uri": "https://docs.github.com/apps/managing-oauth-apps/"
                    "troubleshooting-oauth-app-access-token-request-errors/#redirect-uri-mismatch2",
                }
            )
        scopes = tuple(s for s in grant.scopes if s not in self.standin.drop_scopes)
        token = self.standin._issue_token(_Grant(grant.login, scopes, grant.client_id))
        self._answer({"access_token": token, "token_type": "bearer", "scope": ",".join(scopes)})

    def _params(self) -> dict[str, str]:
        params = {k: self.get_argument(k) for k in self.request.arguments}
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            try:
                body = json.loads(self.request.body or b"{}")
            except ValueError:
                body = {}
            if isinstance(body, dict):
                params.update({k: str(v) for k, v in body.items()})
        return params

    def _answer(self, data: dict[str, str]) -> None:
        if "application/json" in self.request.headers.get("Accept", ""):
            return self.send_json(200, data)
        self.set_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        self.finish(urlencode(data))


class UserHandler(_GitHubAPIHandler):
    endpoint = "/user"
    requires_auth = True

    def get(self) -> None:
        user = self.standin.community.user(self.grant.login)
        self.send_json(200, _user_json(user, self.api_base, self.web_base))


class UserEmailsHandler(_GitHubAPIHandler):
    endpoint = "/user/emails"
    requires_auth = True

    def get(self) -> None:
        if not _has_scope(self.grant.scopes, "user:email"):
            docs = "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user"
            return self.send_json(404, _not_found(docs))
        user = self.standin.community.user(self.grant.login)
        primary, noreply = user.emails
        self.send_json(
            200,
            [
                {
                    "email": primary,
                    "primary": True,
                    "verified": True,
                    "visibility": "public" if primary == user.email else "private",
                },
                {"email": noreply, "primary": False, "verified": True, "visibility": None},
            ],
        )


class UserTeamsHandler(_GitHubAPIHandler):
    endpoint = "/user/teams"
    requires_auth = True

    def get(self) -> None:
        per_page = _int_arg(self.get_argument("per_page", ""), 30)
        per_page = min(per_page if per_page >= 1 else 30, 100)
        page = max(_int_arg(self.get_argument("page", ""), 1), 1)
        community = self.standin.community
        teams = community.teams_of(self.grant.login) if _has_scope(self.grant.scopes, "read:org") else []
        last = max(math.ceil(len(teams) / per_page), 1)
        links = []
        if page > 1:
            links += [(min(page - 1, last), "prev")]
        if page < last:
            links += [(page + 1, "next"), (last, "last")]
        if page > 1:
            links += [(1, "first")]
        if links:
            self.set_header("Link", ", ".join(f'<{self._page_url(n)}>; rel="{rel}"' for n, rel in links))
        shown = teams[(page - 1) * per_page : page * per_page]
        with community.lock:
            body = [_team_json(community, t, self.api_base, self.web_base) for t in shown]
        self.send_json(200, body)

    def _page_url(self, page: int) -> str:
        query = [(k, v) for k, v in parse_qsl(self.request.query, keep_blank_values=True) if k != "page"]
        return f"{self.web_base}{self.request.path}?{urlencode([*query, ('page', str(page))])}"


class TeamMembershipHandler(_GitHubAPIHandler):
    endpoint = "/orgs/{org}/teams/{team}/memberships/{user}"

    def get(self, org: str, slug: str, login: str) -> None:
        community = self.standin.community
        membership = None
        if self.grant and _has_scope(self.grant.scopes, "read:org"):
            membership = community.team_membership(org, slug, login)
        if membership is None:
            docs = "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user"
            return self.send_json(404, _not_found(docs))
        team = community.team(org, slug)
        url = f"{self.api_base}/teams/{team.id}/memberships/{membership.login}"
        self.send_json(200, {"url": url, "role": membership.role, "state": membership.state})


class TeamMemberHandler(_GitHubAPIHandler):
    endpoint = "/orgs/{org}/teams/{team}/members/{user}"

    def get(self, org: str, slug: str, login: str) -> None:
        if self.grant and _has_scope(self.grant.scopes, "read:org"):
            if self.standin.community.is_team_member(org, slug, login):
                return self.send(204)
        self.send_json(404, _not_found("https://docs.github.com/rest/teams/members#get-team-member-legacy"))


class OrgMemberHandler(_GitHubAPIHandler):
    endpoint = "/orgs/{org}/members/{user}"

    def get(self, org: str, login: str) -> None:
        if self.grant and _has_scope(self.grant.scopes, "read:org"):
            if self.standin.community.is_org_member(org, login):
                return self.send(204)
        docs = "https://docs.github.com/rest/orgs/members#check-organization-membership-for-a-user"
        self.send_json(404, _not_found(docs))


class NotFoundHandler(RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", JSON_TYPE)
        self.finish(json.dumps(_not_found()))


class _ControlHandler(RequestHandler):
    """/_standin/...: never slowed, broken or counted by the switches."""

    def initialize(self, standin: GitHubStandIn) -> None:
        self.standin = standin

    def body_json(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.answer(400, {"error": "Send a JSON object as the request body."})
            return {}
        return body

    def answer(self, status: int, data: Any) -> Awaitable[None]:
        self.set_status(status)
        self.set_header("Content-Type", JSON_TYPE)
        return self.finish(json.dumps(data))


class CountsControl(_ControlHandler):
    def get(self) -> None:
        standin = self.standin
        self.answer(
            200,
            {
                "counts": dict(standin.counts),
                "rate_limited_requests": standin.rate_limited_requests,
                "outcomes": dict(standin.count_outcomes),
            },
        )


class SwitchesControl(_ControlHandler):
    def get(self) -> None:
        self.answer(200, self.standin.switches())

    async def post(self) -> None:
        body = self.body_json()
        if self._finished:
            return
        # "refuse" stops listening and drops connections: answer before applying it.
        outage = body.pop("outage", self.standin.outage)
        try:
            _check_outage(outage)
            self.standin.set_switches(**body)
        except (TypeError, ValueError) as e:
            return self.answer(400, {"error": str(e)})
        await self.answer(200, {**self.standin.switches(), "outage": outage})
        if outage != self.standin.outage:
            self.standin.set_switches(outage=outage, revert_after=body.get("revert_after"))


class ResetControl(_ControlHandler):
    def post(self) -> None:
        self.standin.reset_counts()
        self.answer(200, {"counts": {}, "rate_limited_requests": 0})


class MembersControl(_ControlHandler):
    def post(self) -> None:
        body = self.body_json()
        if self._finished:
            return
        missing = [k for k in ("action", "org", "team", "user") if not body.get(k)]
        if missing or body["action"] not in ("add", "remove"):
            error = 'Send {"action": "add"|"remove", "org", "team", "user", optional "state", "role"}.'
            return self.answer(400, {"error": error})
        try:
            if body["action"] == "add":
                self.standin.add_member(
                    body["org"],
                    body["team"],
                    body["user"],
                    body.get("state", "active"),
                    body.get("role", "member"),
                )
            else:
                self.standin.remove_member(body["org"], body["team"], body["user"])
        except LookupError as e:
            return self.answer(404, {"error": str(e.args[0])})
        except CommunityError as e:
            return self.answer(400, {"error": str(e)})
        self.answer(200, {"ok": True})


def _log_request(handler: RequestHandler) -> None:
    # 4xx and 5xx are answers the stand-in means to give, not its own failures.
    request = handler.request
    access_log.info("%d %s %s %.1fms", handler.get_status(), request.method, request.uri, 1000 * request.request_time())


def _int_arg(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}"
        "ul{list-style:none;padding:0}li{margin:.6rem 0;display:flex;gap:.8rem;align-items:baseline;"
        "flex-wrap:wrap}button{font:inherit;padding:.3rem .8rem;cursor:pointer}"
        ".teams{color:#555;font-size:.9em}.note{color:#555}.deny{margin-top:1rem}</style>"
        f"</head><body>{body}</body></html>\n"
    )


API_ROUTES = [
    (r"/user", UserHandler),
    (r"/user/emails", UserEmailsHandler),
    (r"/user/teams", UserTeamsHandler),
    (r"/orgs/([^/]+)/teams/([^/]+)/memberships/([^/]+)", TeamMembershipHandler),
    (r"/orgs/([^/]+)/teams/([^/]+)/members/([^/]+)", TeamMemberHandler),
    (r"/orgs/([^/]+)/members/([^/]+)", OrgMemberHandler),
]


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------


def _check_outage(value: str | None) -> str | None:
    if value not in (None, "refuse", *OUTAGE_STATUS):
        raise ValueError(f"outage must be None, 'refuse', '5xx', '502' or '503', not {value!r}")
    return value


SWITCHES = ("latency", "outage", "rate_limit", "garbage_json", "drop_scopes")
HUB_MADE_ENDPOINTS = frozenset(
    [
        "POST /login/oauth/access_token",
        "GET /user",
        "GET /user/emails",
        "GET /user/teams",
        "GET /orgs/{org}/teams/{team}/memberships/{user}",
        "GET /orgs/{org}/teams/{team}/members/{user}",
        "GET /orgs/{org}/members/{user}",
    ]
)


class GitHubStandIn:
    """A GitHub look-alike on ``host:port`` serving ``community``, in its own thread.

    ``community`` is a :class:`Community`, a dict in the community format, or a
    path to a .yaml/.yml/.json file; None means the bundled demo community.
    Point GitHubOAuthenticator at it with ``github_url = standin.url``; the REST
    API answers under both ``/api/v3/`` and ``/``.
    """

    def __init__(
        self,
        community: Community | dict[str, Any] | str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.community = load_community(community)
        self.host = host
        self.port = port
        self.latency: float = 0.0
        self.garbage_json: bool = False
        self._outage: str | None = None
        self._rate_limit: str | None = None
        self._drop_scopes: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.count_outcomes: Counter[str] = Counter()
        self.rate_limited_requests = 0
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, _Grant] = {}
        self._timers: list[threading.Timer] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._server: HTTPServer | None = None
        self._app: Application | None = None
        self._background: set[asyncio.Task[None]] = set()

    # -- addresses --------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` with the port actually bound."""
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v3"

    # -- switches -----------------------------------------------------------------

    @property
    def outage(self) -> str | None:
        """None, "5xx" (503 page; "502"/"503" pick the status) or "refuse" (not listening)."""
        return self._outage

    @outage.setter
    def outage(self, value: str | None) -> None:
        self._outage = _check_outage(value)
        self._call_in_loop(self._sync_listening)

    @property
    def rate_limit(self) -> str | None:
        """None, "403" (primary limit exhausted) or "429" (secondary limit, retry-after: 60)."""
        return self._rate_limit

    @rate_limit.setter
    def rate_limit(self, value: str | int | None) -> None:
        value = None if value is None else str(value)
        if value not in (None, *RATE_LIMITS):
            raise ValueError(f"rate_limit must be None, '403' or '429', not {value!r}")
        self._rate_limit = value

    @property
    def drop_scopes(self) -> set[str]:
        """Scopes never granted, even when requested."""
        return self._drop_scopes

    @drop_scopes.setter
    def drop_scopes(self, value: set[str] | list[str] | str | None) -> None:
        if isinstance(value, str):
            value = _split_scopes(value)
        self._drop_scopes = set(value or ())

    def switches(self) -> dict[str, Any]:
        """The current switch values, JSON-ready."""
        return {
            "latency": self.latency,
            "outage": self.outage,
            "rate_limit": self.rate_limit,
            "garbage_json": self.garbage_json,
            "drop_scopes": sorted(self.drop_scopes),
        }

    def set_switches(self, revert_after: float | None = None, **switches: Any) -> None:
        """Set switches by name; with ``revert_after`` seconds, put them back afterwards."""
        unknown = set(switches) - set(SWITCHES)
        if unknown:
            raise TypeError(f"Unknown switch(es) {', '.join(sorted(unknown))}; known: {', '.join(SWITCHES)}")
        if "latency" in switches:
            latency = float(switches["latency"] or 0)
            if latency < 0:
                raise ValueError("latency must be zero or more seconds")
            switches["latency"] = latency
        if "garbage_json" in switches:
            switches["garbage_json"] = bool(switches["garbage_json"])
        before = {name: getattr(self, name) for name in switches}
        if "outage" in switches:
            _check_outage(switches["outage"])
        for name, value in switches.items():
            setattr(self, name, value)
        if revert_after:
            timer = threading.Timer(float(revert_after), lambda: self.set_switches(**before))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()

    def reset_switches(self) -> None:
        """Back to a well-behaved GitHub."""
        self.set_switches(latency=0, outage=None, rate_limit=None, garbage_json=False, drop_scopes=set())

    @property
    def hub_requests(self) -> int:
        """Requests a hub made (token exchange and REST API), not the person's authorize page."""
        return sum(n for key, n in self.counts.items() if key in HUB_MADE_ENDPOINTS)

    def reset_counts(self) -> None:
        self.counts.clear()
        self.count_outcomes.clear()
        with self._lock:
            self.rate_limited_requests = 0

    # -- community changes ------------------------------------------------------

    def add_member(self, org: str, team: str, user: str, state: str = "active", role: str = "member") -> None:
        self.community.add_member(org, team, user, state, role)

    def remove_member(self, org: str, team: str, user: str) -> None:
        self.community.remove_member(org, team, user)

    def add_user(self, login: str, name: str | None = None, email: str | None = None) -> None:
        self.community.add_user(login, name, email)

    # -- codes, tokens, rate limit ---------------------------------------------

    def _issue_code(self, grant: _Grant) -> str:
        code = secrets.token_hex(10)
        with self._lock:
            self._codes[code] = grant
        return code

    def _take_code(self, code: str) -> _Grant | None:
        with self._lock:
            return self._codes.pop(code, None)

    def _issue_token(self, grant: _Grant) -> str:
        token = "gho_" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(36))
        with self._lock:
            self._tokens[token] = grant
        return token

    def _grant_for(self, authorization: str) -> _Grant | None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return None
        return self._tokens.get(token.strip())

    def _count_rate_limited(self) -> None:
        with self._lock:
            self.rate_limited_requests += 1

    @staticmethod
    def _rate_limit_reset() -> int:
        return (int(time.time()) // 3600 + 1) * 3600

    # -- running ------------------------------------------------------------------

    def _make_app(self) -> Application:
        kwargs = {"standin": self}
        routes: list[Any] = [
            (r"/login/oauth/authorize", AuthorizeHandler, kwargs),
            (r"/login/oauth/access_token", AccessTokenHandler, kwargs),
            (r"/_standin/counts", CountsControl, kwargs),
            (r"/_standin/switches", SwitchesControl, kwargs),
            (r"/_standin/reset", ResetControl, kwargs),
            (r"/_standin/members", MembersControl, kwargs),
        ]
        for prefix in ("/api/v3", ""):
            routes += [(prefix + path, handler, kwargs) for path, handler in API_ROUTES]
        return Application(routes, default_handler_class=NotFoundHandler, log_function=_log_request)

    def start(self) -> GitHubStandIn:
        """Start serving in a daemon thread; returns once listening."""
        if self._thread is not None:
            raise RuntimeError("This GitHub stand-in is already running.")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(ready, failure)),
            name=f"github-standin-{self.port}",
            daemon=True,
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop serving; codes and tokens are forgotten."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if thread is None or loop is None or stop_event is None:
            return
        loop.call_soon_threadsafe(stop_event.set)
        thread.join(timeout=10)
        self._thread = self._loop = self._stop_event = None
        with self._lock:
            self._codes.clear()
            self._tokens.clear()

    def __enter__(self) -> GitHubStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            self._stop_event = asyncio.Event()
            self._app = self._make_app()
            self._listen()
            self._sync_listening()
        except BaseException as e:
            failure.append(e)
            ready.set()
            return
        ready.set()
        await self._stop_event.wait()
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            try:
                await asyncio.wait_for(server.close_all_connections(), timeout=2)
            except asyncio.TimeoutError:
                log.warning("GitHub stand-in: some connections did not close in time")

    def _listen(self) -> None:
        sockets = bind_sockets(self.port, self.host)
        self.port = sockets[0].getsockname()[1]
        server = HTTPServer(self._app)
        server.add_sockets(sockets)
        self._server = server

    def _sync_listening(self) -> None:
        """Listen unless the outage is "refuse"; runs in the server's thread."""
        if self._loop is None:
            return
        if self.outage != "refuse" and self._server is None:
            self._listen()
        elif self.outage == "refuse" and self._server is not None:
            server, self._server = self._server, None
            server.stop()
            task = asyncio.ensure_future(server.close_all_connections())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _call_in_loop(self, function: Any) -> None:
        """Run ``function`` in the server's thread and wait for it (now, if not running)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        if threading.get_ident() == thread.ident:
            return function()
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(function())
            except BaseException as e:
                done.set_exception(e)

        loop.call_soon_threadsafe(run)
        done.result(timeout=10)


# ---------------------------------------------------------------------------
# python -m hubextras.testing.github
# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Serve a stand-in until Ctrl-C; prints its URL first on stdout."""
    parser = argparse.ArgumentParser(
        prog="python -m hubextras.testing.github",
        description="Serve a stand-in for GitHub's OAuth and REST API on this machine.",
    )
    parser.add_argument(
        "--community",
        default=str(DEMO_COMMUNITY),
        help="YAML or JSON file describing orgs, teams and users (default: the bundled demo)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=9000, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="[github-standin %(asctime)s] %(message)s",
        datefmt="%H:%M:%S",
    )
    # Ctrl-C and SIGTERM stop it cleanly at any moment, even before the URL is printed
    stopped = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopped.set())
    try:
        standin = GitHubStandIn(args.community, args.host, args.port).start()
    except (OSError, CommunityError) as e:
        print(f"Cannot start the GitHub stand-in: {e}", file=sys.stderr)
        return 2
    print(standin.url, flush=True)
    print(
        f"GitHub stand-in serving {args.community}\n"
        f"  set GitHubOAuthenticator.github_url = {standin.url!r}\n"
        f"  controls: {standin.url}/_standin/counts, /_standin/switches; Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    try:
        stopped.wait()
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
