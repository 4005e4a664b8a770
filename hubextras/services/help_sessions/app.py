"""The help sessions service: settings (traits), routes, the requests it keeps, and the JupyterHub shares it makes.

It alone makes the shares of help sessions, with its own token (role scopes `shares`, `read:users:name`): one
share per champion, when that champion opens the person's server from this service, so every opening is
recorded; it revokes them when the person ends the session or the window closes (checked every `sweep_seconds`).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import quote

from traitlets import Float, Integer, Unicode, default

from ...announcements.published import clock_from_file
from ...help_sessions import sessions
from ...help_sessions.published import REQUESTS_FILE, read_requests, write_requests
from ...scopes import HELP_SESSIONS_SERVICE
from ..base import AuditLog, ServiceApplication
from ..servers_panel.hub_client import HubClient, HubRefused, HubUnavailable
from . import handlers


class HelpSessionsService(ServiceApplication):
    """People share their server with the champions for a while; champions open it from here."""

    name = "hubextras-help-sessions"
    description = __doc__
    service_name = HELP_SESSIONS_SERVICE
    package_dir = Path(__file__).resolve().parent

    @default("data_dir")
    def _default_data_dir(self):
        return os.path.abspath(HELP_SESSIONS_SERVICE)

    window_seconds = Float(
        3600, config=True, help="How long a person's server stays shared with the champions after they share it."
    )
    sweep_seconds = Float(
        10, config=True, help="How often ended and timed-out help sessions are checked for shares to revoke."
    )
    server_auth_cache_seconds = Integer(
        30,
        min=1,  # JupyterHub reads 0 as "cache forever"
        config=True,
        help="""Longest a user's server trusts what the hub said about a visitor, in seconds: the config adds
        `--HubOAuth.cache_max_age=<this>` to `c.Spawner.args` (unless that is set already), so a champion's open tab
        loses a revoked help session within this time (at least 1; JupyterHub's own default is 300).""",
    )
    clock_file = Unicode(
        "", config=True,
        help="""A file holding a Unix time used as "now" while it exists (tests and demos). Empty: the real clock.""",
    )

    def initialize(self, argv=None):
        super().initialize(argv)
        self.requests_path = Path(self.data_dir) / REQUESTS_FILE
        self.requests: list[sessions.HelpRequest] = read_requests(self.requests_path)
        self.audit = AuditLog(Path(self.data_dir) / "audit.jsonl")
        self.now = clock_from_file(self.clock_file)
        self.client = HubClient(os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api"))
        self.token = os.environ.get("JUPYTERHUB_API_TOKEN", "")

    def routes(self):
        return [
            ("", handlers.HelpPage),
            ("api/mine", handlers.MineAPI),
            ("api/mine/share", handlers.ShareAPI),
            ("api/mine/end", handlers.EndAPI),
            ("api/requests", handlers.RequestsAPI),
            (r"api/requests/([^/]+)/open", handlers.OpenAPI),
        ]

    def keep(self, request: sessions.HelpRequest) -> None:
        self.requests = sessions.replaced(self.requests, request)
        write_requests(self.requests_path, self.requests)

    def share_path(self, request: sessions.HelpRequest) -> str:
        return f"/shares/{quote(request.user, safe='')}/{quote(request.server, safe='')}"

    async def share(self, request: sessions.HelpRequest, champion: str) -> None:
        await self.client.request("POST", self.share_path(request), self.token, body={"user": champion})

    async def revoke_all(self, request: sessions.HelpRequest) -> sessions.HelpRequest:
        """Revoke every share held for `request`; what could not be revoked stays listed for the next sweep."""
        for champion in request.shared_with:
            try:
                await self.client.request("PATCH", self.share_path(request), self.token, body={"user": champion})
            except HubRefused as e:
                if e.status != 404:  # 404: the server or user is gone, and its shares with it
                    self.log.warning("help sessions: could not revoke %s's share of %s: %s", champion,
                                     request.key, e.message)
                    continue
            except HubUnavailable as e:
                self.log.warning("help sessions: the hub is unreachable, revoking later: %s", e)
                continue
            request = sessions.revoked(request, champion)
            self.audit.record("help-sessions", "revoke", user=request.user, server=request.server,
                              champion=champion)
        return request

    async def sweep(self) -> None:
        for request in sessions.to_revoke(self.requests, self.now()):
            self.keep(await self.revoke_all(request))

    async def started(self) -> None:
        async def sweeping():
            while True:
                try:
                    await self.sweep()
                except Exception:
                    self.log.exception("help sessions: sweep failed")
                await asyncio.sleep(self.sweep_seconds)

        self._sweeper = asyncio.ensure_future(sweeping())

    async def stopping(self) -> None:
        self._sweeper.cancel()


main = HelpSessionsService.launch_instance
