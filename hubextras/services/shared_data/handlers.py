"""Thin tornado handlers: parse the request, call the store or puller, answer. Auth is JupyterHub's HubOAuthenticated.

Reading needs the service's access scope (every signed-in user has it); changing needs the write scope
(`SharedDataService.write_scope`, held by champions and admins). Refusals answer with JSON
`{"status": ..., "message": ...}` whose message a person can act on.
"""

from __future__ import annotations

import json
import mimetypes
from http.client import responses
from pathlib import Path
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from jupyterhub.services.auth import HubOAuthenticated
from jupyterhub.utils import url_path_join
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.log import access_log

from . import metrics
from .errors import QuotaExceeded, SharedDataError
from .links import INTERFACES, nbgitpuller_link
from .openapi import openapi_document
from .paths import decode_path, relative_parts
from .quota import human_bytes

DOWNLOAD_BLOCK = 1024 * 1024


def jinja_environment(folders: list[Path]) -> Environment:
    """Our templates first, then JupyterHub's own (ours extend its `page.html`, so the service looks like the hub)."""
    return Environment(loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]), autoescape=True)


def log_request(handler: web.RequestHandler) -> None:
    status = handler.get_status()
    log = access_log.info if status < 400 else access_log.warning
    log("%d %s %.1fms", status, handler._request_summary(), 1000.0 * handler.request.request_time())


class SharedDataHandler(HubOAuthenticated, web.RequestHandler):
    """What every handler shares: the signed-in person, their permission to write, and clear errors."""

    operation = "read"

    @property
    def store(self):
        return self.settings["store"]

    @property
    def audit(self):
        return self.settings["audit"]

    async def prepare(self):
        # resolve the person without blocking the event loop; get_current_user then reads the cached model
        await self.hub_auth.get_user(self, sync=False)

    def decode_argument(self, value, name=None):
        return decode_path(value) if isinstance(value, bytes) else value

    @property
    def can_write(self) -> bool:
        """Champions and admins: the write scope, or JupyterHub's admin flag (set in the admin panel, or by
        `admin_users` the config snippets never saw), which no role of ours carries."""
        user = self.current_user
        return bool(user) and (user.get("admin") is True or self.settings["write_scope"] in set(user.get("scopes", ())))

    @property
    def username(self) -> str:
        return self.current_user["name"]

    def require_user(self) -> dict:
        if self.current_user is None:
            raise web.HTTPError(403, "Sign in to the hub first, or send a token that may use the shared-data service.")
        return self.current_user

    def require_write(self) -> None:
        self.require_user()
        if not self.can_write:
            raise web.HTTPError(
                403,
                "Only hub champions and admins may change the shared data. "
                "You can browse and download; ask a hub champion to add or change files.",
            )

    def json_body(self) -> dict:
        try:
            body = json.loads(self.request.body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SharedDataError("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise SharedDataError("The request body must be a JSON object.")
        return body

    def send_json(self, model, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(model, ensure_ascii=False))

    def log_exception(self, typ, value, tb):
        if isinstance(value, SharedDataError):
            self.log_refusal(str(value))
            return
        super().log_exception(typ, value, tb)

    def log_refusal(self, message: str) -> None:
        metrics.ERRORS.labels(self.operation).inc()
        user = self.current_user["name"] if getattr(self, "_hub_auth_user_cache", None) else "-"
        access_log.warning("refused %s for %s: %s", self._request_summary(), user, message)

    def write_error(self, status_code: int, **kwargs):
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, SharedDataError):
            status_code, message = error.status, str(error)
            self.set_status(status_code)
        elif isinstance(error, web.HTTPError) and error.log_message:
            message = error.log_message % error.args if error.args else error.log_message
            metrics.ERRORS.labels(self.operation).inc()
        else:
            message = (
                "Something went wrong in the shared-data service. Try again; if it keeps failing, tell a hub admin."
            )
            metrics.ERRORS.labels(self.operation).inc()
        self.send_json(
            {"status": status_code, "reason": responses.get(status_code, ""), "message": message}, status_code
        )

    def changed(self, action: str, path: str, **details) -> None:
        metrics.OPERATIONS.labels(action).inc()
        self.audit.record(self.username, action, path, **details)


class PageHandler(SharedDataHandler):
    """The browser page (folders, uploads, pulls, links, audit) — one page, driven by the JSON API."""

    @web.authenticated
    def get(self):
        user = self.current_user
        hub_prefix = self.hub_auth.hub_prefix
        template = self.settings["jinja_env"].get_template("shared_data.html")
        html = template.render(
            # what JupyterHub's page.html expects, pointing at the hub's own static files
            static_url=lambda path, include_version=True: url_path_join(hub_prefix, "static", path),
            base_url=hub_prefix,
            prefix=self.hub_auth.base_url,
            logo_url="",
            user={"name": user["name"], "json_escaped_name": json.dumps(user["name"])[1:-1]},
            parsed_scopes=set(user.get("scopes", ())),
            services=[],
            admin_access=False,
            no_spawner_check=True,
            logout_url=url_path_join(hub_prefix, "logout"),
            xsrf_token=self.xsrf_token.decode("ascii"),
            service_prefix=self.settings["prefix"],
            service_static=lambda path: self.static_url(path),
            can_write=self.can_write,
            chunk_bytes=self.settings["service"].upload_chunk_bytes,
            interfaces=INTERFACES,
        )
        self.finish(html)


class APIHandler(SharedDataHandler):
    """JSON API: never redirects to sign-in, answers 403 with a message instead."""

    async def prepare(self):
        await super().prepare()
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and not getattr(self, "_token_authenticated", False):
            self.hub_auth.check_xsrf_cookie(self)
        self.require_user()
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self):
        # tornado calls this before prepare, when we do not know yet whether a token (no XSRF risk) signed
        # the request: prepare checks cookie-signed requests instead
        return


class MeHandler(APIHandler):
    def get(self):
        self.send_json({"name": self.username, "can_write": self.can_write})


class UsageHandler(APIHandler):
    def get(self):
        usage = self.store.usage()
        metrics.USED_BYTES.set(usage.used)
        self.send_json(usage.as_json())


class FilesHandler(APIHandler):
    """GET a folder's listing or a file's bytes; PATCH to rename or move; DELETE a file or folder."""

    async def get(self, path: str = ""):
        location = self.store.existing(path)
        if location.is_dir():
            self.send_json(self.store.listing(path))
            return
        location = self.store.file_for_download(path)
        mime, encoding = mimetypes.guess_type(location.name)
        self.set_header("Content-Type", "application/octet-stream" if encoding else mime or "application/octet-stream")
        disposition = "inline" if self.get_argument("inline", "") else "attachment"
        self.set_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{quote(location.name)}")
        self.set_header("Content-Length", str(location.stat().st_size))
        with open(location, "rb") as f:
            while block := f.read(DOWNLOAD_BLOCK):
                self.write(block)
                try:
                    await self.flush()
                except StreamClosedError:
                    return
        self.finish()

    def patch(self, path: str = ""):
        self.operation = "move"
        self.require_write()
        destination = self.json_body().get("path")
        if not isinstance(destination, str):
            raise SharedDataError('Say where to move it: {"path": "new/folder/name"}.')
        source = "/".join(relative_parts(path))
        target = self.store.move(path, destination)
        entry = self.store.entry(target)
        self.changed("move", source, to=entry["path"])
        self.send_json(entry)

    def delete(self, path: str = ""):
        self.operation = "delete"
        self.require_write()
        shown = "/".join(relative_parts(path))
        self.store.delete(path)
        self.changed("delete", shown)
        self.set_status(204)
        self.finish()


class FoldersHandler(APIHandler):
    def post(self):
        self.operation = "mkdir"
        self.require_write()
        path = self.json_body().get("path")
        if not isinstance(path, str):
            raise SharedDataError('Name the new folder: {"path": "course/week-1"}.')
        entry = self.store.entry(self.store.make_folder(path))
        self.changed("mkdir", entry["path"])
        self.send_json(entry, 201)


class UploadsHandler(APIHandler):
    """POST `{"path", "size", "overwrite"}` starts an upload (refused at once if it would pass the quota)."""

    def post(self):
        self.operation = "upload"
        self.require_write()
        body = self.json_body()
        path, size = body.get("path"), body.get("size")
        if not isinstance(path, str):
            raise SharedDataError('Say where the file goes: {"path": "folder/file.csv", "size": 1234}.')
        session = self.store.begin_upload(path, size, self.username, overwrite=bool(body.get("overwrite")))
        model = session.as_json() | {
            "chunk_bytes": self.settings["service"].upload_chunk_bytes,
            "max_chunk_bytes": self.settings["service"].max_chunk_bytes,
        }
        self.send_json(model, 201)


@web.stream_request_body
class UploadHandler(APIHandler):
    """GET where an upload stands (to resume), PUT its next bytes (`?offset=N`, body streamed to disk), DELETE it."""

    writer = None
    failure: Exception | None = None

    async def prepare(self):
        if self.request.method != "PUT":
            await super().prepare()
            return
        self.operation = "upload"
        declared = int(self.request.headers.get("Content-Length", "0") or 0)
        try:
            await super().prepare()
            self.open_writer(declared)
        except (SharedDataError, web.HTTPError) as refusal:
            # raising here would drop the connection mid-body (a proxy then answers 502/503 with no reason):
            # read and discard the body instead, and answer the refusal when it ends
            self.failure = refusal
            self.request.connection.set_max_body_size(max(declared, self.settings["service"].max_chunk_bytes))

    def open_writer(self, declared: int) -> None:
        self.require_write()
        try:
            offset = int(self.get_query_argument("offset"))
        except (ValueError, web.MissingArgumentError):
            raise SharedDataError("Say where these bytes start: `?offset=N` (GET the upload to learn N).") from None
        limit = self.settings["service"].max_chunk_bytes
        if declared > limit:
            raise QuotaExceeded(
                f"One request may carry at most {human_bytes(limit)}: send the upload in pieces "
                f"(`chunk_bytes` from the start of the upload), each starting at the `offset` the last answered."
            )
        session = self.store.upload(self.path_args[0])
        if session.owner != self.username:
            raise web.HTTPError(403, f"This upload belongs to {session.owner}; start your own upload instead.")
        self.writer = self.store.open_chunk(session.id, offset)

    def data_received(self, chunk: bytes):
        if self.writer is None or self.failure is not None:
            return
        try:
            self.writer.write(chunk)
            metrics.BYTES_WRITTEN.inc(len(chunk))
        except SharedDataError as refusal:
            self.failure = refusal

    def get(self, session_id: str):
        self.operation = "upload"
        self.require_write()
        self.send_json(self.store.upload(session_id).as_json())

    def put(self, session_id: str):
        writer, self.writer = self.writer, None
        if writer is not None:
            writer.close()
        if self.failure is not None:
            raise self.failure
        session = self.store.upload(session_id)
        if session.received < session.size:
            self.send_json(session.as_json())
            return
        target = self.store.finish_upload(session_id)
        self.changed("upload", session.path, size=session.size)
        self.send_json(session.as_json() | {"offset": session.size, "done": True, "entry": self.store.entry(target)})

    def delete(self, session_id: str):
        self.operation = "upload"
        self.require_write()
        session = self.store.upload(session_id)
        self.store.cancel_upload(session_id)
        self.changed("cancel-upload", session.path)
        self.set_status(204)
        self.finish()

    def on_connection_close(self):
        # bytes already written stay: the upload resumes from `received`
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def on_finish(self):
        self.on_connection_close()


class PullsHandler(APIHandler):
    """POST `{"kind": "git"|"url", "url", "ref", "into", "name", "replace"}` starts a pull; GET lists recent ones."""

    def get(self):
        self.require_write()
        self.send_json([job.as_json() for job in self.settings["puller"].jobs.values()][-20:])

    async def post(self):
        self.operation = "pull"
        self.require_write()
        user = self.username

        def on_done(job):
            if job.state == "done":
                metrics.OPERATIONS.labels("pull").inc()
                self.audit.record(user, "pull", job.result, source=job.source)
            else:
                metrics.ERRORS.labels("pull").inc()

        job = await self.settings["puller"].start(user, self.json_body(), on_done)
        self.send_json(job.as_json(), 202)


class PullHandler(APIHandler):
    def get(self, job_id: str):
        self.require_write()
        self.send_json(self._job(job_id).as_json())

    def _job(self, job_id: str):
        job = self.settings["puller"].jobs.get(job_id)
        if job is None:
            raise web.HTTPError(404, "This pull is unknown (the service may have restarted). Start it again.")
        return job


class PullEventsHandler(PullHandler):
    """Server-sent events: each progress line as it comes, then `event: end` with the pull's outcome."""

    async def get(self, job_id: str):
        self.require_write()
        job = self._job(job_id)
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("X-Accel-Buffering", "no")
        sent = 0
        try:
            while True:
                changed = job.changed
                for line in job.lines[sent:]:
                    self.write(f"data: {json.dumps(line)}\n\n")
                sent = len(job.lines)
                if job.state != "running":
                    self.write(f"event: end\ndata: {json.dumps(job.as_json())}\n\n")
                    await self.flush()
                    break
                await self.flush()
                await changed.wait()
        except StreamClosedError:
            return
        self.finish()


class AuditHandler(APIHandler):
    def get(self):
        self.require_write()
        try:
            limit = max(1, min(5000, int(self.get_argument("limit", "200"))))
        except ValueError:
            raise SharedDataError("`limit` must be a whole number.") from None
        self.send_json(self.audit.recent(limit))


class LinkHandler(APIHandler):
    """GET `?repo=&branch=&interface=lab|notebook|rstudio&open=path` → an nbgitpuller link."""

    def get(self):
        hub_url = self.settings["service"].hub_public_url or f"{self.request.protocol}://{self.request.host}"
        link = nbgitpuller_link(
            hub_url,
            self.get_argument("repo", ""),
            branch=self.get_argument("branch", ""),
            interface=self.get_argument("interface", "lab"),
            open_path=self.get_argument("open", ""),
        )
        self.send_json({"link": link})


class NotFoundHandler(SharedDataHandler):
    """Any other address below the service."""

    def prepare(self):
        raise web.HTTPError(404, "There is nothing at this address of the shared-data service.")


class OpenAPIHandler(web.RequestHandler):
    """The API's OpenAPI document (public: it describes, it does not give access)."""

    def get(self):
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(openapi_document(self.settings["prefix"])))


class MetricsHandler(web.RequestHandler):
    """Prometheus metrics: counts and sizes only, no names or paths."""

    def get(self):
        metrics.USED_BYTES.set(self.settings["store"].used_bytes())
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(metrics.REGISTRY))
