"""GitHub sign-in where access comes from membership of GitHub teams.

Says only what differs from oauthenticator's GitHubOAuthenticator:
teams listed once (all pages) and child teams resolved in parallel; teams become
JupyterHub groups; refresh re-checks access with conditional requests and rides
out GitHub outages for a grace period; granted scopes parsed GitHub's way (commas).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict
from typing import NamedTuple
from urllib.parse import urlparse

from jupyterhub.handlers import BaseHandler
from jupyterhub.utils import url_path_join
from oauthenticator.github import GitHubOAuthenticator
from oauthenticator.oauth2 import OAuthenticator
from requests.utils import parse_header_links
from tornado import web
from tornado.httpclient import HTTPClientError
from tornado.iostream import StreamClosedError
from traitlets import Bool, Dict, Instance, Integer, Set, Unicode, default, validate

from ..config import HubExtras
from .metrics import GITHUB_LATENCY, GITHUB_REQUESTS, LOGINS, REFRESHES, endpoint_label, outcome_label
from .teams import (
    AccessDecision,
    TeamMembership,
    TeamRef,
    TeamSpecError,
    decide_access,
    parse_team,
    parse_teams,
    team_from_github,
    teams_to_check,
)

STATE_KEY = "hubextras_github"
# our own `org:slug` groups (configured orgs only); "teams" keeps oauthenticator's GitHub team objects
GROUPS_KEY = "hubextras_groups"
# scopes that let a token read private org and team membership
ORG_READ_SCOPES = {"read:org", "write:org", "admin:org"}
# seconds a sign-in's early /user/teams listing waits to be taken by update_auth_model
PREFETCH_TTL = 120


class GitHubUnavailable(Exception):
    """GitHub gave no usable answer: 5xx, timeout, refused connection or unreadable body."""


class GitHubRateLimited(GitHubUnavailable):
    """GitHub refused for rate limiting (403 with no requests left, or 429)."""


class GitHubTokenInvalid(Exception):
    """GitHub no longer accepts the user's token (401): a fresh sign-in is needed."""


class GitHubAnswer(NamedTuple):
    code: int
    data: object
    headers: dict


def parse_granted_scopes(scope) -> list[str]:
    """GitHub grants scopes comma-separated (`read:org,user:email`); accept spaces too."""
    if isinstance(scope, (list, tuple)):
        scope = ",".join(scope)
    return sorted({s for s in (scope or "").replace(" ", ",").split(",") if s})


def next_link(headers) -> str | None:
    for link in parse_header_links(headers.get("Link", "")):
        if link.get("rel") == "next":
            return link["url"]
    return None


def _checked_team(team: dict) -> dict:
    """A team object of `/user/teams`, kept as GitHub sent it once it has what access needs."""
    team_from_github(team)
    if team.get("parent") is not None:
        team_from_github({"organization": team["organization"], "slug": team["parent"]["slug"]})
    return team


def teams_in_auth_state(pages: list[dict]) -> list[dict]:
    """`auth_state["teams"]` as oauthenticator's `populate_teams_in_auth_state` fills it: GitHub's team objects."""
    return [team for page in pages for team in page["teams"]]


class AccessRefused(web.HTTPError):
    """A 403 whose page (share/templates/403.html) explains the refusal and whom to ask."""

    hubextras_refusal = True

    def __init__(self, message: str):
        super().__init__(403, message)


class AccessEndedHandler(BaseHandler):
    """Where a person lands when a refresh found they are no longer admitted."""

    def get(self):
        raise AccessRefused(self.authenticator.access_ended_message())


class GitHubTeamsAuthenticator(GitHubOAuthenticator):
    """Sign in with GitHub; get in by being an active member of a GitHub team."""

    allowed_teams = Set(
        Unicode(),
        config=True,
        help="""GitHub teams whose active members may sign in, as `org:team-slug` (any letter case).

        Members of child teams count, as on GitHub; pending invitations do not.
        """,
    ).tag(allow_config=True)

    admin_teams = Set(
        Unicode(),
        config=True,
        help="""GitHub teams whose active members are hub admins (and may sign in), as `org:team-slug`.

        When set, admin status follows these teams at every sign-in and refresh
        (users in `admin_users` stay admins).
        """,
    )

    refresh_grace_seconds = Integer(
        24 * 3600,
        config=True,
        help="""How long the last good team check holds when GitHub fails during a refresh
        (5xx, timeout, rate limit). Within it nobody is logged out; past it access fails closed
        until GitHub answers again.""",
    )

    github_concurrency = Integer(
        5,
        config=True,
        help="Most GitHub requests one sign-in or refresh makes at once (child-team checks).",
    )

    populate_teams_in_auth_state = Bool(
        False,
        config=True,
        help="""Always on, whatever it is set to: `auth_state["teams"]` holds the GitHub team objects
        of `/user/teams`, as oauthenticator keeps them, filled from the same listing that decides access
        (so no second listing). hubextras' own `org:team` groups are in `auth_state["hubextras_groups"]`.""",
    )

    @validate("populate_teams_in_auth_state")
    def _teams_always_populated(self, proposal):
        # False keeps GitHubOAuthenticator from listing the teams a second time: we fill them ourselves
        return False

    # the shared settings (champions team, contact), read once: every sign-in and refresh consults them
    _hub_extras = Instance(HubExtras)

    @default("_hub_extras")
    def _default_hub_extras(self):
        return HubExtras(parent=self)

    # /user/teams listings started alongside /user, by access token, until update_auth_model takes them
    _teams_prefetch = Dict()

    @default("scope")
    def _default_scope(self):
        return ["read:org"]

    @validate("scope")
    def _scope_reads_teams(self, proposal):
        scopes = set(proposal["value"])
        if not scopes & ORG_READ_SCOPES:
            raise ValueError(
                f"GitHubTeamsAuthenticator.scope is {sorted(scopes)}, but access comes from team "
                "membership, which GitHub only shows with the 'read:org' scope. "
                "Add 'read:org' to c.GitHubTeamsAuthenticator.scope."
            )
        return proposal["value"]

    @validate("allowed_teams", "admin_teams")
    def _valid_teams(self, proposal):
        try:
            return {str(t) for t in parse_teams(proposal["value"])}
        except TeamSpecError as e:
            raise TeamSpecError(f"GitHubTeamsAuthenticator.{proposal['trait'].name}: {e}") from None

    @validate("allowed_organizations")
    def _valid_orgs(self, proposal):
        orgs = set()
        for entry in proposal["value"]:
            try:
                orgs.add(str(parse_team(entry)) if ":" in entry else parse_team(f"{entry}:x").org)
            except TeamSpecError as e:
                raise TeamSpecError(
                    f"GitHubTeamsAuthenticator.allowed_organizations: {entry!r} is neither an org "
                    f"nor 'org:team-slug'. {e}"
                ) from None
        return orgs

    @default("manage_groups")
    def _default_manage_groups(self):
        return True

    @default("enable_auth_state")
    def _default_enable_auth_state(self):
        return True

    # --- what the configuration means, as plain data -------------------------------------

    @property
    def _allowed_teams(self) -> frozenset[TeamRef]:
        from_orgs = {parse_team(e) for e in self.allowed_organizations if ":" in e}
        return parse_teams(self.allowed_teams) | from_orgs

    @property
    def _admin_teams(self) -> frozenset[TeamRef]:
        return parse_teams(self.admin_teams)

    @property
    def _allowed_orgs(self) -> frozenset[str]:
        return frozenset(e for e in self.allowed_organizations if ":" not in e)

    @property
    def _champions_team(self) -> set[TeamRef]:
        team = self._hub_extras.champions_team
        return {parse_team(team)} if ":" in team else set()

    @property
    def _configured_teams(self) -> frozenset[TeamRef]:
        return self._allowed_teams | self._admin_teams | self._champions_team

    @property
    def _group_orgs(self) -> frozenset[str]:
        return frozenset({t.org for t in self._configured_teams} | self._allowed_orgs)

    def _decide(self, membership: TeamMembership, member_orgs) -> AccessDecision:
        return decide_access(
            membership,
            allowed_teams=self._allowed_teams,
            admin_teams=self._admin_teams,
            allowed_orgs=self._allowed_orgs,
            member_orgs=frozenset(member_orgs),
            group_orgs=self._group_orgs,
        )

    def admitted_teams_text(self) -> str:
        teams = sorted(str(t) for t in self._allowed_teams | self._admin_teams)
        return ", ".join(teams + sorted(self._allowed_orgs)) or "none configured"

    def refusal_message(self, username: str, reason: str) -> str:
        contact = self._hub_extras.contact_text
        return (
            f"You signed in to GitHub as {username}, but {reason}. "
            f"This hub admits members of: {self.admitted_teams_text()}. "
            f"Ask {contact} to add you to one of these teams, or sign in with a different GitHub account."
        )

    def access_ended_message(self) -> str:
        contact = self._hub_extras.contact_text
        return (
            "Your access to this hub has ended: you are no longer in a GitHub team it admits "
            f"({self.admitted_teams_text()}). Your files are kept. "
            f"Ask {contact} if you think this is a mistake, then sign in again."
        )

    def get_handlers(self, app):
        return super().get_handlers(app) + [(r"/access-ended", AccessEndedHandler)]

    # --- talking to GitHub ------------------------------------------------------------------

    async def fetch(self, req, label="fetching", parse_json=True, **kwargs):
        """Count and time every GitHub request (all of oauthenticator's go through here too)."""
        endpoint = endpoint_label(urlparse(req.url).path)
        outcome = "error"
        start = time.perf_counter()
        try:
            result = await super().fetch(req, label=label, parse_json=parse_json, **kwargs)
            outcome = "2xx" if parse_json else outcome_label(result.code)
            return result
        except HTTPClientError as e:
            outcome = outcome_label(e.code)
            raise
        finally:
            GITHUB_REQUESTS.labels(endpoint, outcome).inc()
            GITHUB_LATENCY.labels(endpoint).observe(time.perf_counter() - start)

    async def _github_get(self, url: str, token: str, etag: str | None = None) -> GitHubAnswer:
        """One GET to GitHub's API, conditional when we hold an ETag; errors as our exceptions."""
        headers = self.build_userdata_request_headers(token, "bearer")
        if etag:
            headers["If-None-Match"] = etag
        try:
            resp = await self.httpfetch(
                url,
                "asking GitHub about teams",
                parse_json=False,
                raise_error=False,
                method="GET",
                headers=headers,
                validate_cert=self.validate_server_cert,
            )
        except (HTTPClientError, OSError, StreamClosedError, asyncio.TimeoutError) as e:
            raise GitHubUnavailable(f"GitHub did not answer: {e}") from e
        code, body = resp.code, (resp.body or b"")
        if code == 304:
            return GitHubAnswer(304, None, resp.headers)
        if code == 401:
            raise GitHubTokenInvalid("GitHub no longer accepts this sign-in (401)")
        if code == 429 or (
            code == 403
            and (resp.headers.get("x-ratelimit-remaining") == "0" or b"rate limit" in body.lower())
        ):
            raise GitHubRateLimited(f"GitHub is rate limiting this hub ({code})")
        if code >= 500 or code == 599:
            raise GitHubUnavailable(f"GitHub answered {code}")
        if code != 200:
            return GitHubAnswer(code, None, resp.headers)
        try:
            return GitHubAnswer(200, json.loads(body), resp.headers)
        except ValueError as e:
            raise GitHubUnavailable("GitHub sent an answer that is not JSON") from e

    async def _list_teams(self, token: str, cached_pages: list[dict]) -> tuple[list[dict], bool]:
        """All pages of /user/teams, each kept with its ETag so an unchanged refresh costs nothing."""
        old = {p["url"]: p for p in cached_pages}
        pages, changed = [], False
        url = f"{self.github_api}/user/teams?per_page=100"
        while url:
            cached = old.get(url)
            answer = await self._github_get(url, token, cached and cached.get("etag"))
            if answer.code == 304 and cached:
                page = cached
            elif answer.code == 200 and isinstance(answer.data, list):
                teams = [_checked_team(t) for t in answer.data]
                etag, next_url = answer.headers.get("ETag"), next_link(answer.headers)
                page = {"url": url, "etag": etag, "teams": teams, "next": next_url}
                changed = changed or cached is None or cached["teams"] != teams
            else:
                raise GitHubUnavailable(f"GitHub answered {answer.code} when listing teams")
            pages.append(page)
            url = page["next"]
        return pages, changed or len(pages) != len(cached_pages)

    async def _check_team(self, limit, token: str, username: str, team: TeamRef, cached: dict | None) -> dict:
        """Active, pending or absent in `team` (child teams included) via the memberships endpoint."""
        url = f"{self.github_api}/orgs/{team.org}/teams/{team.slug}/memberships/{username}"
        async with limit:
            answer = await self._github_get(url, token, cached and cached.get("etag"))
        if answer.code == 304 and cached:
            return cached
        state = answer.data.get("state") if answer.code == 200 and isinstance(answer.data, dict) else None
        return {"state": state, "etag": answer.headers.get("ETag")}

    async def _check_org(self, limit, token: str, username: str, org: str) -> bool:
        async with limit:
            answer = await self._github_get(f"{self.github_api}/orgs/{org}/members/{username}", token)
        return answer.code == 204

    async def _resolve(
        self, username: str, token: str, cache: dict, listing=None
    ) -> tuple[TeamMembership, dict, bool]:
        """The user's teams: listed once, then child-team checks only where still needed, in parallel.

        `listing`: a /user/teams listing already under way (started alongside /user at sign-in).
        """
        pages, changed = await (listing or self._list_teams(token, cache.get("pages", [])))
        membership = TeamMembership.from_github([t for p in pages for t in p["teams"]])
        to_check = teams_to_check(
            membership,
            allowed_teams=self._allowed_teams,
            admin_teams=self._admin_teams,
            role_teams=frozenset(self._champions_team),
        )
        to_check_orgs = sorted(self._allowed_orgs - membership.orgs)
        old_checks, old_orgs = cache.get("memberships", {}), cache.get("orgs", {})
        # With the same direct teams as last time a "no" still holds (missing a new membership is safe:
        # the next sign-in sees it), but every "yes" is asked again so that removals end access; a "yes"
        # from the memberships endpoint carries an ETag, so while unchanged it costs nothing (304).
        reused = {} if changed else {
            str(t): old_checks[str(t)]
            for t in to_check
            if str(t) in old_checks and old_checks[str(t)]["state"] != "active"
        }
        team_calls = [t for t in to_check if str(t) not in reused]
        org_calls = [org for org in to_check_orgs if changed or old_orgs.get(org) is not False]
        limit = asyncio.Semaphore(self.github_concurrency)
        results = await asyncio.gather(
            *(self._check_team(limit, token, username, t, old_checks.get(str(t))) for t in team_calls),
            *(self._check_org(limit, token, username, org) for org in org_calls),
        )
        checks = {**reused, **dict(zip(map(str, team_calls), results[: len(team_calls)]))}
        orgs = {org: old_orgs.get(org, False) for org in to_check_orgs}
        orgs.update(zip(org_calls, results[len(team_calls) :]))
        member_orgs = sorted(org for org, member in orgs.items() if member)
        for team in to_check:
            (membership.confirmed if checks[str(team)]["state"] == "active" else membership.refused).add(team)
        changed = changed or checks != old_checks or orgs != old_orgs
        new_cache = {
            "pages": pages,
            "memberships": checks,
            "orgs": orgs,
            "member_orgs": member_orgs,
            "checked_at": time.time(),
        }
        return membership, new_cache, changed

    # --- sign-in ------------------------------------------------------------------------------

    async def token_to_user(self, token_info):
        """Ask for /user and the user's teams at once: both need only the token."""
        token = token_info.get("access_token")
        if token and set(parse_granted_scopes(token_info.get("scope", ""))) & ORG_READ_SCOPES:
            self._teams_prefetch[token] = asyncio.ensure_future(self._list_teams(token, []))
            # dropped if no update_auth_model takes it (a hook failed in between): no token kept around
            asyncio.get_running_loop().call_later(PREFETCH_TTL, self._drop_prefetch, token)
        try:
            return await super().token_to_user(token_info)
        except BaseException:
            self._drop_prefetch(token)
            raise

    def _drop_prefetch(self, token: str) -> None:
        listing = self._teams_prefetch.pop(token, None)
        if listing is not None:
            listing.cancel()

    async def build_auth_state_dict(self, token_info, user_info):
        auth_state = super().build_auth_state_dict(token_info, user_info)
        auth_state["scope"] = parse_granted_scopes(token_info.get("scope", ""))
        return auth_state

    async def authenticate(self, handler, data=None, **kwargs):
        """oauthenticator's sign-in, with GitHub failures turned into a page that says what to do."""
        try:
            return await super().authenticate(handler, data, **kwargs)
        except GitHubRateLimited:
            LOGINS.labels("github_error").inc()
            raise web.HTTPError(
                503, "GitHub is limiting requests from this hub right now. Wait a minute, then sign in again."
            ) from None
        except (GitHubUnavailable, GitHubTokenInvalid, HTTPClientError, OSError, StreamClosedError) as e:
            LOGINS.labels("github_error").inc()
            self.log.warning("Sign-in failed, GitHub unavailable: %s", e)
            raise web.HTTPError(
                503, "GitHub could not be reached to sign you in. Nothing was changed; try again in a few minutes."
            ) from None
        except (ValueError, KeyError, TypeError) as e:
            LOGINS.labels("github_error").inc()
            self.log.warning("Sign-in failed, unreadable answer from GitHub: %r", e)
            raise web.HTTPError(
                502,
                "GitHub sent an answer this hub could not read, so you were not signed in. "
                "Try again in a few minutes.",
            ) from None

    async def update_auth_model(self, auth_model):
        auth_model = await super().update_auth_model(auth_model)
        auth_state = auth_model["auth_state"]
        listing = self._teams_prefetch.pop(auth_state["access_token"], None)
        if set(auth_state["scope"]) & ORG_READ_SCOPES:
            membership, cache, _ = await self._resolve(auth_model["name"], auth_state["access_token"], {}, listing)
            decision = self._decide(membership, cache["member_orgs"])
        else:
            cache, decision = {"checked_at": time.time()}, AccessDecision(
                False, False, (), "GitHub did not let this hub see your teams (the read:org permission was not granted)"
            )
        cache["decision"] = asdict(decision)
        auth_state[STATE_KEY] = cache
        auth_state["teams"] = teams_in_auth_state(cache.get("pages", []))
        auth_state[GROUPS_KEY] = list(decision.groups)
        if self.admin_teams and not auth_model["admin"]:
            auth_model["admin"] = decision.admin
        return auth_model

    async def get_user_groups(self, auth_state):
        if self.auth_state_groups_key:
            return await super().get_user_groups(auth_state)
        return set(auth_state.get(GROUPS_KEY, []))

    async def _base_allows(self, username, auth_model) -> bool:
        # OAuthenticator's own rules (allow_all, allowed_users, admins, allowed_groups), skipping
        # GitHubOAuthenticator's one-request-per-team allowed_organizations loop that we replace.
        return await OAuthenticator.check_allowed(self, username, auth_model)

    async def check_allowed(self, username, auth_model):
        if auth_model is None:
            return True
        decision = auth_model["auth_state"][STATE_KEY]["decision"]
        if decision["allowed"] or await self._base_allows(username, auth_model):
            LOGINS.labels("allowed").inc()
            return True
        LOGINS.labels("refused").inc()
        self.log.warning("Refusing %s: %s", username, decision["reason"])
        raise AccessRefused(self.refusal_message(username, decision["reason"]))

    # --- refresh --------------------------------------------------------------------------------

    async def refresh_user(self, user, handler=None, **kwargs):
        """Re-check teams with conditional requests; keep the last good state through GitHub outages."""
        if not self.enable_auth_state:
            return True
        auth_state = await user.get_auth_state()
        if not auth_state or STATE_KEY not in auth_state:
            REFRESHES.labels("no_state").inc()
            # nothing to re-check: the person signs in again; someone else's request (an admin's or a
            # service's start of this user's server) goes on, as JupyterHub 6.1 does by default
            return not self._is_own_request(handler, user)
        cache = auth_state[STATE_KEY]
        try:
            membership, new_cache, changed = await self._resolve(user.name, auth_state["access_token"], cache)
        except GitHubTokenInvalid:
            REFRESHES.labels("token_invalid").inc()
            return False
        except GitHubUnavailable as e:
            age = time.time() - cache.get("checked_at", 0)
            if age < self.refresh_grace_seconds:
                REFRESHES.labels("grace").inc()
                self.log.warning("Keeping %s's access checked %.0fs ago: %s", user.name, age, e)
                return True
            REFRESHES.labels("expired").inc()
            self.log.warning("Access of %s not re-checked for %.0fs and GitHub fails: %s", user.name, age, e)
            return False
        decision = self._decide(membership, new_cache["member_orgs"])
        new_cache["decision"] = asdict(decision)
        auth_state = {
            **auth_state,
            STATE_KEY: new_cache,
            "teams": teams_in_auth_state(new_cache["pages"]),
            GROUPS_KEY: list(decision.groups),
        }
        auth_model = {"name": user.name, "admin": user.name in self.admin_users or None, "auth_state": auth_state}
        if self.admin_teams and not auth_model["admin"]:
            auth_model["admin"] = decision.admin
        if user.name in self.blocked_users or not (
            decision.allowed or await self._base_allows(user.name, auth_model)
        ):
            REFRESHES.labels("revoked").inc()
            self.log.warning("Access of %s ended at refresh: %s", user.name, decision.reason)
            self._show_access_ended(handler, user)
            return False
        REFRESHES.labels("updated" if changed else "unchanged").inc()
        if self.manage_groups:
            auth_model["groups"] = sorted(await self.get_user_groups(auth_state))
        return auth_model

    @staticmethod
    def _is_own_request(handler, user) -> bool:
        """Whether `handler` serves `user`'s own request (JupyterHub 5 refreshes before it records whose)."""
        return handler is not None and getattr(handler, "_jupyterhub_user", user) is user

    def _show_access_ended(self, handler, user):
        """Send the person's own browser to a page that says why, instead of a bare login page."""
        if (
            handler is not None
            and self._is_own_request(handler, user)
            and not getattr(handler, "_token_authenticated", False)
            and handler.request.method in ("GET", "HEAD")
        ):
            handler.clear_login_cookie()
            handler.redirect(url_path_join(handler.hub.base_url, "access-ended"))
