"""Handler bases: every handler of our services inherits `ServiceHandler` (pages) or `JSONAPIHandler` (API).

Sign-in, PKCE, XSRF and the service's access scope are JupyterHub's own `HubOAuthenticated`; this module only
adds what every handler of ours must do the same way:

- `prepare()` identifies the person without blocking the loop, then refuses, before any request body is read:
  a signed-in person without the service's access scope (a friendly 403), a cookie request that lost its XSRF
  token (403 saying so; the mixin already refuses the cookie), nobody signed in (pages: the hub's sign-in;
  APIs: 403), and a person without one of the handler's `required_scopes` (403 with `missing_scope_message`).
- Scopes are decided with `jupyterhub.scopes.has_scope` on the token's own scopes (`self.has_scope`), never on
  the admin flag: an admin's token narrowed to `access:services` is refused what it does not carry.
- Errors reach people as words: raise `Refused(status, "what happened and what to do")`; a page answers
  with the hub-styled `error.html`, an API with the hub's own shape `{"status": 403, "message": "..."}`.
- Request bodies are bounded per handler (`max_body_bytes`, default 0: no body) and streamed, so a body over
  the limit is refused (413) from its Content-Length, and an anonymous client's body is never read at all.
- The request log and every warning scrub `?token=...` and friends, as JupyterHub scrubs its own.

A page:

    class Panel(ServiceHandler):
        async def get(self):
            await self.render_page("panel.html", page_title="Servers", refresh_seconds=3)

An API with a body (see `bodies.py` for models):

    class Action(BodyModel):
        action: Literal["stop", "start", "restart"]

    class ActionsAPI(JSONAPIHandler):
        required_scopes = ("servers",)          # checked unfiltered-or-filtered with has_scope(post_filter)
        max_body_bytes = 64 * 1024
        async def post(self):
            action = self.body(Action)          # 400 with a readable message if the body is wrong
            self.send_json({"id": ...}, status=202)
"""

from __future__ import annotations

import json
import os
from http.client import responses
from typing import TypeVar

from jupyterhub.log import _scrub_uri
from jupyterhub.scopes import has_scope, parse_scopes
from jupyterhub.services.auth import HubOAuthenticated
from jupyterhub.utils import url_path_join
from pydantic import BaseModel
from tornado import web
from tornado.log import access_log, app_log

from .bodies import BodyError, parse_body
from .navigation import TemplateUser, menu_for

Model = TypeVar("Model", bound=BaseModel)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class Refused(web.HTTPError):
    """A refusal a person reads: `message` says what happened and what to do (it is never %-formatted)."""

    def __init__(self, status: int, message: str):
        super().__init__(status, "%s", message)
        self.message = message


def message_of(error: BaseException | None, status: int) -> str:
    """The words for a person of an error raised while handling a request."""
    if isinstance(error, Refused):
        return error.message
    if isinstance(error, web.HTTPError) and error.log_message and status < 500:
        return error.log_message % error.args if error.args else error.log_message
    if status >= 500:
        return "The service failed on this request. Try again; if it keeps failing, tell a hub admin."
    return responses.get(status, "Refused.")


def log_request(handler: web.RequestHandler) -> None:
    """The access log line, with `?token=` and other secrets of the URL scrubbed (JupyterHub's own scrubbing)."""
    status = handler.get_status()
    log = access_log.info if status < 400 else access_log.warning if status < 500 else access_log.error
    user = getattr(handler, "_hub_auth_user_cache", None)
    log("%d %s %s (%s@%s) %.1fms", status, handler.request.method, _scrub_uri(handler.request.uri),
        user["name"] if user else "", handler.request.remote_ip, 1000.0 * handler.request.request_time())


@web.stream_request_body
class ServiceHandler(HubOAuthenticated, web.RequestHandler):
    """Base of every handler of our services (see the module's docstring)."""

    required_scopes: tuple[str, ...] = ()
    missing_scope_message = "You may not do this here. Ask a hub champion or a hub admin if you need to."
    max_body_bytes = 0

    @property
    def service(self):
        """The running `ServiceApplication` (its traits are the service's settings)."""
        return self.settings["service"]

    async def prepare(self):
        self._body = bytearray()
        await self.hub_auth.get_user(self, sync=False)
        self.check_access()
        if self.request.method in UNSAFE_METHODS:
            self.bound_body()

    # --- who is asking --------------------------------------------------------------------

    def check_access(self) -> None:
        user = self.current_user
        if user is None:
            identified = getattr(self, "_cached_hub_user", None)
            if identified:
                raise Refused(403, self.service.not_allowed_message(identified.get("name", "")))
            if self.request.method in UNSAFE_METHODS and self.hub_auth.cookie_name in self.request.cookies:
                try:
                    self.check_xsrf_cookie()
                except web.HTTPError:
                    raise Refused(403, "This request did not carry this page's XSRF token, so it was refused "
                                  "(it may have come from another site). Reload the page and try again.") from None
            self.refuse_anonymous()
            return
        if not all(self.has_scope(scope) for scope in self.required_scopes):
            raise Refused(403, self.missing_scope_message)

    def refuse_anonymous(self) -> None:
        """Nobody signed in: a page sends the browser to the hub's sign-in; an API refuses (see JSONAPIHandler)."""
        if self.request.method in ("GET", "HEAD"):
            self.redirect(self.get_login_url())
            raise web.Finish()
        raise Refused(403, "Sign in to the hub first, then reload this page.")

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes of the token this request came with (a cookie's OAuth token, or an API token)."""
        return frozenset(self.current_user.get("scopes", ()) if self.current_user else ())

    def has_scope(self, scope: str) -> bool:
        """Whether the token holds `scope`: unfiltered names (`servers`) also count when held only filtered
        (the hub then decides each resource); filtered ones (`servers!user=ada`) as the hub decides them."""
        return has_scope(scope, self.scopes, post_filter="!" not in scope)

    @property
    def username(self) -> str:
        return self.current_user["name"]

    def _request_summary(self) -> str:
        return f"{self.request.method} {_scrub_uri(self.request.uri)} ({self.request.remote_ip})"

    # --- bodies ---------------------------------------------------------------------------

    def body_limit(self) -> int:
        """Most bytes this request's body may have (override to depend on the service's settings)."""
        return self.max_body_bytes

    def bound_body(self) -> None:
        limit = self.body_limit()
        declared = self.request.headers.get("Content-Length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                raise Refused(400, "The Content-Length header is not a number.") from None
            if size > limit:
                raise Refused(413, f"The request body has {size} bytes; this request takes at most {limit}.")
        # chunked bodies, and any that outgrow what they declared, are cut off at the limit too
        self.request.connection.set_max_body_size(max(limit, 0))

    def data_received(self, chunk: bytes) -> None:
        self._body += chunk

    def body_bytes(self) -> bytes:
        return bytes(self._body)

    def body_max_values(self) -> int | None:
        """Most values (separated by commas) this request's JSON body may hold; None: only the byte limit."""
        return None

    def body(self, model: type[Model]) -> Model:
        """The request body as `model`, or a 400 that says what is wrong."""
        try:
            return parse_body(self.body_bytes(), model, max_values=self.body_max_values())
        except BodyError as e:
            raise Refused(400, str(e)) from None

    # --- answers --------------------------------------------------------------------------

    def page_context(self) -> dict:
        """What the hub's `page.html` and our `service_page.html` read, besides the page's own values."""
        app = self.service
        hub_prefix = app.hub_prefix
        user = self.current_user
        token = self.xsrf_token
        return {
            "base_url": hub_prefix,
            "prefix": app.base_url,
            "user": TemplateUser(user["name"]) if user else None,
            "parsed_scopes": parse_scopes(self.scopes),
            "static_url": lambda path, include_version=True: url_path_join(hub_prefix, "static", path),
            "logout_url": url_path_join(hub_prefix, "logout"),
            "login_url": url_path_join(hub_prefix, "login"),
            "logo_url": url_path_join(hub_prefix, "home"),
            "xsrf_token": token.decode() if isinstance(token, bytes) else token,
            "no_spawner_check": True,
            "admin_access": "admin-ui" in self.scopes,
            "version_hash": "",
            "announcement": None,
            "services": [],
            "hubextras": {"community_name": app.community_name},
            "service_name": app.service_name,
            "service_prefix": app.prefix,
            "service_static": app.service_static_url,
            "base_static": app.base_static_url,
        }

    async def render_page(self, template: str, **values) -> None:
        """Render `template` (extending `service_page.html`) with the hub's navigation filled in."""
        context = self.page_context()
        if self.current_user:
            context["services"] = menu_for(await self.service.hub_services.services(), self.scopes)
        context.update(values)
        self.set_header("Cache-Control", "no-store")
        self.finish(self.service.jinja.get_template(template).render(**context))

    def write_error(self, status_code: int, **kwargs) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = message_of(error, status_code)
        try:
            html = self.service.jinja.get_template("error.html").render(
                **self.page_context(), page_title=responses.get(status_code, "Error"), status=status_code,
                message=message,
            )
        except Exception:  # an error page must never fail: fall back to plain text
            app_log.exception("error page failed")
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(f"{status_code}: {message}\n")
            return
        self.finish(html)

    def log_exception(self, typ, value, tb):
        if isinstance(value, web.HTTPError) and value.status_code < 500:
            access_log.warning("%d %s: %s", value.status_code, self._request_summary(), message_of(value, 400))
            return
        super().log_exception(typ, value, tb)


class JSONAPIHandler(ServiceHandler):
    """Base of every JSON API handler: JSON answers and errors, `Cache-Control: no-store`, no redirects."""

    max_body_bytes = 64 * 1024

    async def prepare(self):
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        await super().prepare()

    def refuse_anonymous(self) -> None:
        raise Refused(403, "Sign in to the hub first, or send a token that may use this service.")

    def get_login_url(self):
        raise Refused(403, "Sign in to the hub first, or send a token that may use this service.")

    def send_json(self, model, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(model, ensure_ascii=False))

    def write_error(self, status_code: int, **kwargs) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        self.clear_header("Content-Disposition")
        self.set_header("Cache-Control", "no-store")
        self.send_json({"status": status_code, "message": message_of(error, status_code)}, status_code)


def hub_base_url() -> str:
    """The hub's public base URL path (`c.JupyterHub.base_url`, "/" by default)."""
    return os.environ.get("JUPYTERHUB_BASE_URL", "/")
