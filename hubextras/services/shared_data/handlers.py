"""Thin handlers on the service foundation: parse (the pure core's models), call the store or puller, answer.

Sign-in, XSRF, the access scope, bounded bodies, error shapes and downloads are the foundation's
(`hubextras.services.base`). What is ours: reading needs the service's access scope (every signed-in user has
it); changing needs the token to carry the write scope (`SharedDataService.write_scope`, held by champions and
admins) or `admin:users` (an admin by the admin flag, through a token that keeps the admin's powers). A token
narrowed to less may read, never write, whoever owns it. The pure core's refusals (`errors.SharedDataError`)
reach people as `{"status", "message"}` with the status they carry.
"""

from __future__ import annotations

import asyncio
import copy
import json

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from tornado import web
from tornado.iostream import StreamClosedError

from ..base import DownloadHandler, JSONAPIHandler, Refused, ServiceHandler
from ..base.handlers import UNSAFE_METHODS
from ..base.units import format_bytes
from . import bodies, metrics
from .errors import QuotaExceeded, SharedDataError
from .links import INTERFACES, nbgitpuller_link
from .openapi import openapi_document
from .paths import decode_path, relative_parts

# held unfiltered only by hub admins (and admin services): an admin by the admin flag alone carries it on a full
# token, never on one narrowed to `access:services`
ADMIN_SCOPE = "admin:users"
READ_BLOCK = 1024 * 1024
SOCKET_READ = 256 * 1024
DRAINED_PIECES = 4  # a piece up to this many times the limit is read to its end before the 413
MAY_NOT_WRITE = (
    "Only hub champions and admins may change the shared data (and this token does not carry their permission). "
    "You can browse and download; ask a hub champion to add or change files."
)


class SharedDataHandling:
    """What every handler of the service adds to the foundation's bases: its store, who may write, its refusals."""

    operation = "read"

    @property
    def store(self):
        return self.settings["store"]

    @property
    def puller(self):
        return self.settings["puller"]

    @property
    def audit(self):
        return self.settings["audit"]

    def decode_argument(self, value, name=None):
        return decode_path(value) if isinstance(value, bytes) else value

    @property
    def is_admin(self) -> bool:
        return ADMIN_SCOPE in self.scopes

    @property
    def can_write(self) -> bool:
        """Decided on the token's scopes, never on the admin flag."""
        return self.current_user is not None and (self.has_scope(self.service.write_scope) or self.is_admin)

    def require_write(self) -> None:
        if not self.can_write:
            raise Refused(403, MAY_NOT_WRITE)

    def check_access(self) -> None:
        super().check_access()
        if self.request.method in UNSAFE_METHODS:
            self.require_write()  # before any body is read

    def changed(self, action: str, path: str, **details) -> None:
        metrics.OPERATIONS.labels(action).inc()
        self.audit.record(self.username, action, path=path, **details)

    def write_error(self, status_code: int, **kwargs) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, SharedDataError):
            status_code = error.status
            self.set_status(status_code)
            kwargs["exc_info"] = (Refused, Refused(status_code, str(error)), None)
        metrics.ERRORS.labels(self.operation).inc()
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ, value, tb):
        if isinstance(value, SharedDataError):
            value = Refused(value.status, str(value))
        super().log_exception(type(value), value, tb)


class APIHandler(SharedDataHandling, JSONAPIHandler):
    """The service's JSON API handlers."""


class PageHandler(SharedDataHandling, ServiceHandler):
    """The browser page (folders, uploads, pulls, links, audit) — one page, driven by the JSON API."""

    async def get(self):
        await self.render_page(
            "shared_data.html",
            page_title="Shared data",
            can_write=self.can_write,
            chunk_bytes=self.service.upload_chunk_bytes,
            interfaces=INTERFACES,
        )


class MeHandler(APIHandler):
    def get(self):
        self.send_json({"name": self.username, "can_write": self.can_write})


class UsageHandler(APIHandler):
    def get(self):
        usage = self.store.usage()
        metrics.USED_BYTES.set(usage.used)
        self.send_json(usage.as_json())


class FilesHandler(SharedDataHandling, DownloadHandler):
    """GET a folder's listing or a file's bytes (the foundation's downloads: Range, ETag, CSP sandbox);
    PATCH to rename or move; DELETE a file or folder."""

    async def get(self, path: str = "", include_body: bool = True):
        location = self.store.existing(path)
        if location.is_dir():
            self.send_json(self.store.listing(path))
            return
        self.store.file_for_download(path)
        await super().get("/".join(relative_parts(path)), include_body)

    def compute_etag(self):
        # a listing (JSON, no-store) has no file to take an ETag from
        return super().compute_etag() if getattr(self, "absolute_path", None) else None

    def patch(self, path: str = ""):
        self.operation = "move"
        move = self.body(bodies.Move)
        source = "/".join(relative_parts(path))
        entry = self.store.entry(self.store.move(path, move.path))
        self.changed("move", source, to=entry["path"])
        self.send_json(entry)

    def delete(self, path: str = ""):
        self.operation = "delete"
        shown = "/".join(relative_parts(path))
        self.store.delete(path)
        self.changed("delete", shown)
        self.set_status(204)
        self.finish()


class FoldersHandler(APIHandler):
    def post(self):
        self.operation = "mkdir"
        entry = self.store.entry(self.store.make_folder(self.body(bodies.NewFolder).path))
        self.changed("mkdir", entry["path"])
        self.send_json(entry, 201)


class UploadsHandler(APIHandler):
    """POST `{"path", "size", "overwrite"}` starts an upload (refused at once if it would pass the quota)."""

    def post(self):
        self.operation = "upload"
        upload = self.body(bodies.NewUpload)
        session = self.store.begin_upload(upload.path, upload.size, self.username, overwrite=upload.overwrite)
        model = session.as_json() | {
            "chunk_bytes": self.service.upload_chunk_bytes,
            "max_chunk_bytes": self.service.max_chunk_bytes,
        }
        self.send_json(model, 201)


class UploadHandler(APIHandler):
    """GET where an upload stands (to resume), PUT its next bytes (`?offset=N`, body streamed to disk), DELETE it.

    Only the person who started an upload (or an admin) may reach it.
    """

    operation = "upload"
    writer = None
    failure: Exception | None = None

    def body_limit(self) -> int:
        return self.service.max_chunk_bytes if self.request.method == "PUT" else self.max_body_bytes

    def bound_body(self) -> None:
        limit, declared = self.body_limit(), self.request.headers.get("Content-Length", "")
        if self.request.method == "PUT" and declared.isdigit() and int(declared) > limit:
            too_big = QuotaExceeded(
                f"One request may carry at most {format_bytes(limit)}: send the upload in pieces "
                f"(`chunk_bytes` from the start of the upload), each starting at the `offset` the last answered."
            )
            if int(declared) > DRAINED_PIECES * limit:
                raise too_big
            # a piece a little too big (a script's own piece size) is read and dropped, so the refusal reaches the
            # client: a proxy still sending a body it was answered in the middle of answers 503 with no reason
            self.failure = too_big
            self.request.connection.set_max_body_size(int(declared))
            return
        super().bound_body()

    async def prepare(self):
        await super().prepare()  # who is asking and how big the body is: refused before any of it is read
        if self.request.method == "PUT":
            self.read_in_big_blocks()
        if self.request.method == "PUT" and self.failure is None:
            try:
                self.open_writer()
            except (SharedDataError, web.HTTPError) as refusal:
                # the body (within the piece limit) is read and dropped: a proxy told nothing mid-body answers 502
                self.failure = refusal

    def read_in_big_blocks(self) -> None:
        """Read this connection's bodies in blocks of READ_BLOCK instead of tornado's 64 KiB: a 1 GiB upload
        then costs 1,024 reads, loop turns and writes instead of 16,384 (most of the service's CPU per byte)."""
        connection = self.request.connection
        connection.params = copy.copy(connection.params)  # the server's parameters are shared by every connection
        connection.params.chunk_size = READ_BLOCK
        connection.stream.read_chunk_size = SOCKET_READ

    def session(self, session_id: str):
        return self.store.upload(session_id, self.username, anyones=self.is_admin)

    def open_writer(self) -> None:
        try:
            offset = int(self.get_query_argument("offset"))
        except (ValueError, web.MissingArgumentError):
            raise SharedDataError("Say where these bytes start: `?offset=N` (GET the upload to learn N).") from None
        self.writer = self.store.open_chunk(self.session(self.path_args[0]).id, offset)

    def data_received(self, chunk: bytes) -> None:
        if self.request.method != "PUT":
            super().data_received(chunk)
            return
        if self.writer is None or self.failure is not None:
            return
        try:
            self.writer.write(chunk)
            metrics.BYTES_WRITTEN.inc(len(chunk))
        except SharedDataError as refusal:
            self.failure = refusal

    def get(self, session_id: str):
        self.require_write()
        self.send_json(self.session(session_id).as_json())

    async def put(self, session_id: str):
        writer, self.writer = self.writer, None
        if writer is not None:
            writer.close()
        if self.failure is not None:
            raise self.failure
        session = self.session(session_id)
        if session.received < session.size:
            self.send_json(session.as_json())
            return
        # the bytes reach the disk in a thread: the finish's fsync (seconds for a big file) never stalls the loop
        await asyncio.to_thread(self.store.upload_flusher(session))
        target = self.store.finish_upload(session_id)
        self.changed("upload", session.path, size=session.size)
        self.send_json(session.as_json() | {"offset": session.size, "done": True, "entry": self.store.entry(target)})

    def delete(self, session_id: str):
        session = self.session(session_id)
        self.store.cancel_upload(session.id)
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
        self.send_json([job.as_json() for job in self.puller.jobs.values()][-20:])

    async def post(self):
        self.operation = "pull"
        request = self.body(bodies.NewPull)
        user, audit = self.username, self.audit

        def on_done(job):
            if job.state == "done":
                metrics.OPERATIONS.labels("pull").inc()
                audit.record(user, "pull", path=job.result, source=job.source)
            else:
                metrics.ERRORS.labels("pull").inc()

        job = await self.puller.start(user, request.model_dump(), on_done)
        self.send_json(job.as_json(), 202)


class PullHandler(APIHandler):
    def get(self, job_id: str):
        self.require_write()
        self.send_json(self.job(job_id).as_json())

    def job(self, job_id: str):
        job = self.puller.jobs.get(job_id)
        if job is None:
            raise Refused(404, "This pull is unknown (the service may have restarted). Start it again.")
        return job


class PullEventsHandler(PullHandler):
    """Server-sent events: each progress line as it comes, then `event: end` with the pull's outcome."""

    async def get(self, job_id: str):
        self.require_write()
        job = self.job(job_id)
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
            raise Refused(400, "`limit` must be a whole number.") from None
        self.send_json(self.audit.recent(limit))


class LinkHandler(APIHandler):
    """GET `?repo=&branch=&interface=lab|notebook|rstudio&open=path` → an nbgitpuller link."""

    def get(self):
        hub_url = self.service.hub_public_url or f"{self.request.protocol}://{self.request.host}"
        link = nbgitpuller_link(
            hub_url,
            self.get_argument("repo", ""),
            branch=self.get_argument("branch", ""),
            interface=self.get_argument("interface", "lab"),
            open_path=self.get_argument("open", ""),
        )
        self.send_json({"link": link})


class NotFoundHandler(APIHandler):
    """Any other address below the service."""

    def prepare(self):
        raise Refused(404, "There is nothing at this address of the shared-data service.")


class OpenAPIHandler(web.RequestHandler):
    """The API's OpenAPI document (public: it describes, it does not give access)."""

    def get(self):
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(openapi_document(self.settings["service"].prefix)))


class MetricsHandler(web.RequestHandler):
    """Prometheus metrics: counts and sizes only, no names or paths (public, like the hub's own)."""

    def get(self):
        metrics.USED_BYTES.set(self.settings["store"].used_bytes())
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(metrics.REGISTRY))
