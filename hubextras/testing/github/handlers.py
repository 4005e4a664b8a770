"""The stand-in's HTTP handlers: parse, ask the community, answer like GitHub."""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import math
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from tornado.log import access_log
from tornado.web import RequestHandler

from .representations import (
    DOCS,
    GARBAGE_BODY,
    JSON_TYPE,
    OUTAGE_PAGE,
    OUTAGE_STATUS,
    RATE_LIMIT,
    etag_matches,
    has_scope,
    not_found,
    split_scopes,
    team_json,
    user_json,
    with_query,
)

if TYPE_CHECKING:
    from .server import GitHubStandIn

@dataclass(frozen=True)
class Grant:
    """What one authorization granted: who, which scopes, to which client."""

    login: str
    scopes: tuple[str, ...]
    client_id: str = ""
    redirect_uri: str = ""


class _StandInHandler(RequestHandler):
    """Counting, latency and "refuse" for every GitHub endpoint."""

    endpoint = ""  # the counts key without the method

    def initialize(self, standin: GitHubStandIn) -> None:
        self.standin = standin
        self.grant: Grant | None = None

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
                return self.send_json(401, {**not_found(), "message": "Bad credentials", "status": "401"})
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
            if etag_matches(self.request.headers.get("If-None-Match"), etag):
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
            return self.redirect(with_query(redirect_uri, self._with_state(params)))
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
            Grant(
                user.login,
                tuple(split_scopes(self.get_argument("scope", ""))),
                self.get_argument("client_id", ""),
                self.get_argument("redirect_uri", ""),
            )
        )
        redirect_uri = self.get_argument("redirect_uri")
        self.redirect(with_query(redirect_uri, self._with_state({"code": code})))

    def _choices_html(self) -> str:
        community = self.standin.community
        scopes = split_scopes(self.get_argument("scope", ""))
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
        if params.get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code":
            from .apps import apps_of  # the device flow of GitHub Apps (apps.py)

            return self._answer(apps_of(self.standin).device_grant(params))
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
        token = self.standin._issue_token(Grant(grant.login, scopes, grant.client_id))
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
        self.send_json(200, user_json(user, self.api_base, self.web_base))


class UserEmailsHandler(_GitHubAPIHandler):
    endpoint = "/user/emails"
    requires_auth = True

    def get(self) -> None:
        if not has_scope(self.grant.scopes, "user:email"):
            docs = "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user"
            return self.send_json(404, not_found(docs))
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
        teams = community.teams_of(self.grant.login) if has_scope(self.grant.scopes, "read:org") else []
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
            body = [team_json(community, t, self.api_base, self.web_base) for t in shown]
        self.send_json(200, body)

    def _page_url(self, page: int) -> str:
        query = [(k, v) for k, v in parse_qsl(self.request.query, keep_blank_values=True) if k != "page"]
        return f"{self.web_base}{self.request.path}?{urlencode([*query, ('page', str(page))])}"


class TeamMembershipHandler(_GitHubAPIHandler):
    endpoint = "/orgs/{org}/teams/{team}/memberships/{user}"

    def get(self, org: str, slug: str, login: str) -> None:
        community = self.standin.community
        membership = None
        if self.grant and has_scope(self.grant.scopes, "read:org"):
            membership = community.team_membership(org, slug, login)
        if membership is None:
            docs = "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user"
            return self.send_json(404, not_found(docs))
        team = community.team(org, slug)
        url = f"{self.api_base}/teams/{team.id}/memberships/{membership.login}"
        self.send_json(200, {"url": url, "role": membership.role, "state": membership.state})


class TeamMemberHandler(_GitHubAPIHandler):
    endpoint = "/orgs/{org}/teams/{team}/members/{user}"

    def get(self, org: str, slug: str, login: str) -> None:
        if self.grant and has_scope(self.grant.scopes, "read:org"):
            if self.standin.community.is_team_member(org, slug, login):
                return self.send(204)
        self.send_json(404, not_found("https://docs.github.com/rest/teams/members#get-team-member-legacy"))


class OrgMemberHandler(_GitHubAPIHandler):
    endpoint = "/orgs/{org}/members/{user}"

    def get(self, org: str, login: str) -> None:
        if self.grant and has_scope(self.grant.scopes, "read:org"):
            if self.standin.community.is_org_member(org, login):
                return self.send(204)
        docs = "https://docs.github.com/rest/orgs/members#check-organization-membership-for-a-user"
        self.send_json(404, not_found(docs))


class NotFoundHandler(RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", JSON_TYPE)
        self.finish(json.dumps(not_found()))


def log_request(handler: RequestHandler) -> None:
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


OAUTH_ROUTES = [
    (r"/login/oauth/authorize", AuthorizeHandler),
    (r"/login/oauth/access_token", AccessTokenHandler),
]
API_ROUTES = [
    (r"/user", UserHandler),
    (r"/user/emails", UserEmailsHandler),
    (r"/user/teams", UserTeamsHandler),
    (r"/orgs/([^/]+)/teams/([^/]+)/memberships/([^/]+)", TeamMembershipHandler),
    (r"/orgs/([^/]+)/teams/([^/]+)/members/([^/]+)", TeamMemberHandler),
    (r"/orgs/([^/]+)/members/([^/]+)", OrgMemberHandler),
]


