"""The help page and API: a person shares and ends; a champion lists and opens. Parse, decide (pure), act, record."""

from __future__ import annotations

from urllib.parse import quote

from jupyterhub.utils import url_path_join

from ...help_sessions import sessions
from ...help_sessions.published import window_text
from ...scopes import HELP_SESSIONS_HELP
from ..base import JSONAPIHandler, Refused, ServiceHandler
from ..servers_panel.hub_client import HubRefused, HubUnavailable


class HelpPage(ServiceHandler):
    async def get(self):
        await self.render_page("help_sessions.html", page_title="Help sessions",
                               champion=self.has_scope(HELP_SESSIONS_HELP),
                               window=window_text(self.service.window_seconds))


class HelpAPI(JSONAPIHandler):
    def mine(self) -> sessions.HelpRequest | None:
        return sessions.current(self.service.requests, self.username, "")

    def answer(self, request: sessions.HelpRequest | None) -> None:
        self.send_json({"request": request.to_json(self.service.now()) if request else None,
                        "window_seconds": self.service.window_seconds})


class MineAPI(HelpAPI):
    def get(self):
        self.answer(self.mine())


class ShareAPI(HelpAPI):
    def post(self):
        service = self.service
        request = sessions.offer(service.requests, self.username, "", now=service.now(),
                                 window=service.window_seconds)
        service.keep(request)
        service.audit.record(self.username, "share", user=self.username, server="", until=request.until)
        self.answer(request)


class EndAPI(HelpAPI):
    async def post(self):
        service = self.service
        request = self.mine()
        if request is None:
            raise Refused(404, "Your server is not shared with the champions.")
        request = sessions.end(request, self.username, now=service.now())
        service.keep(request)
        service.keep(await service.revoke_all(request))
        service.audit.record(self.username, "end", user=self.username, server="")
        self.answer(sessions.current(service.requests, self.username, ""))


class RequestsAPI(HelpAPI):
    required_scopes = (HELP_SESSIONS_HELP,)
    missing_scope_message = "Only hub champions see help requests."

    def get(self):
        now = self.service.now()
        self.send_json({"requests": [r.to_json(now) for r in self.service.requests[:200]], "now": now})


class OpenAPI(HelpAPI):
    required_scopes = (HELP_SESSIONS_HELP,)
    missing_scope_message = "Only hub champions open people's servers for help."

    async def post(self, user: str):
        service, champion = self.service, self.username
        try:
            request = sessions.open_for(sessions.current(service.requests, user, ""), champion, now=service.now())
        except sessions.HelpSessionError as e:
            raise Refused(e.status, e.message) from None
        # recorded before the share exists: an end arriving meanwhile revokes this champion's share too
        service.keep(request)
        service.audit.record(champion, "open", user=user, server="")
        try:
            await service.share(request, champion)
        except HubRefused as e:
            message = f"The hub did not share {user}'s server: {e.message}"
            raise Refused(409 if e.status == 404 else 502, message) from None
        except HubUnavailable as e:
            raise Refused(503, str(e)) from None
        latest = sessions.current(service.requests, user, "")
        if latest is None or not latest.is_open(service.now()):
            service.keep(await service.revoke_all(latest or request))
            raise Refused(403, f"{user} ended the help session just now.")
        self.send_json({"url": url_path_join(service.base_url, "user", quote(user, safe="")) + "/"})
