"""The stand-in's server: a tornado app in its own thread, and the switches that make it misbehave like GitHub."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import secrets
import threading
import time
from collections import Counter
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application

from . import apps
from .community import Community, load_community
from .handlers import API_ROUTES, OAUTH_ROUTES, Grant, NotFoundHandler, log_request
from .representations import OUTAGE_STATUS, RATE_LIMITS, TOKEN_ALPHABET, split_scopes

log = logging.getLogger(__name__)

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
    path to a .json (or, with PyYAML, .yaml) file; None means the bundled demo community.
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
        self.rate_limited_requests = 0
        self._lock = threading.Lock()
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, Grant] = {}
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
        """Where the REST API answers GitHub Enterprise style (``GitHubOAuthenticator.github_api``)."""
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
            value = split_scopes(value)
        self._drop_scopes = set(value or ())

    def set_switches(self, **switches: Any) -> None:
        """Set switches by name, checked before any is changed: ``set_switches(outage="5xx", latency=0.05)``."""
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
        if "outage" in switches:
            _check_outage(switches["outage"])
        for name, value in switches.items():
            setattr(self, name, value)

    def reset_switches(self) -> None:
        """Back to a well-behaved GitHub."""
        self.set_switches(latency=0, outage=None, rate_limit=None, garbage_json=False, drop_scopes=set())

    @property
    def hub_requests(self) -> int:
        """Requests a hub made (token exchange and REST API), not the person's authorize page."""
        return sum(n for key, n in self.counts.items() if key in HUB_MADE_ENDPOINTS)

    def reset_counts(self) -> None:
        self.counts.clear()
        with self._lock:
            self.rate_limited_requests = 0

    # -- community changes ------------------------------------------------------

    def add_member(self, org: str, team: str, user: str, state: str = "active", role: str = "member") -> None:
        self.community.add_member(org, team, user, state, role)

    def remove_member(self, org: str, team: str, user: str) -> None:
        self.community.remove_member(org, team, user)

    # -- codes, tokens, rate limit ---------------------------------------------

    def _issue_code(self, grant: Grant) -> str:
        code = secrets.token_hex(10)
        with self._lock:
            self._codes[code] = grant
        return code

    def _take_code(self, code: str) -> Grant | None:
        with self._lock:
            return self._codes.pop(code, None)

    def _issue_token(self, grant: Grant) -> str:
        token = "gho_" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(36))
        with self._lock:
            self._tokens[token] = grant
        return token

    def _grant_for(self, authorization: str) -> Grant | None:
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
        routes: list[Any] = [(path, handler, kwargs) for path, handler in OAUTH_ROUTES + apps.OAUTH_ROUTES]
        for prefix in ("/api/v3", ""):
            routes += [(prefix + path, handler, kwargs) for path, handler in API_ROUTES + apps.API_ROUTES]
        return Application(routes, default_handler_class=NotFoundHandler, log_function=log_request)

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


