"""The shared-data service application: its settings (traits) and the tornado app the hub runs.

The hub starts it with `python -m hubextras.services.shared_data --SharedDataService.<trait>=<value> ...`
(see `jupyterhub_config.d/40-shared-data.py`), and gives it its URL, prefix and OAuth client in the
`JUPYTERHUB_*` environment variables.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import urlsplit

from jupyterhub._data import DATA_FILES_PATH
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpserver import HTTPServer
from traitlets import Bool, Float, Integer, List, Unicode, default
from traitlets.config import Application

from . import handlers, metrics
from .archives import ArchiveLimits
from .audit import AuditLog
from .pulls import Puller
from .store import SharedStore

PACKAGE = Path(__file__).resolve().parent
WRITE_SCOPE = "custom:shared-data:write"
MiB = 1024 * 1024


class SharedDataService(Application):
    """Browse, upload, pull and hand out the community's shared data (a JupyterHub-managed service)."""

    name = "hubextras-shared-data"
    description = __doc__

    shared_dir = Unicode(
        "/srv/shared",
        config=True,
        help="""Folder holding the shared data. The config snippet passes `HubExtras.shared_dir`,
        the folder users see read-only at `~/shared`.""",
    )

    quota_bytes = Integer(
        100 * 1024**3,
        config=True,
        help="""Most bytes the shared folder may hold. The config snippet passes
        `HubExtras.shared_quota_bytes` (default 100 GB). Uploads and pulls that would pass it are refused.""",
    )

    upload_chunk_bytes = Integer(
        64 * MiB,
        config=True,
        help="""Size of the pieces the browser uploads in. Stay below every proxy's body limit
        (the pure-Python configurable-http-proxy refuses bodies over 100 MiB); bigger pieces go faster.""",
    )

    max_chunk_bytes = Integer(
        96 * MiB,
        config=True,
        help="Largest piece of an upload one request may carry (scripts may pick their piece size up to this).",
    )

    abandoned_upload_seconds = Float(
        24 * 3600.0,
        config=True,
        help="""An upload nobody sent bytes to for this long is cancelled (its temporary removed), freeing the
        quota it reserved and its file name. Until then an interrupted upload can be resumed.""",
    )

    write_scope = Unicode(
        WRITE_SCOPE,
        config=True,
        help="""JupyterHub scope that lets a person change the shared data (upload, folders, rename, move,
        delete, pull) and read the audit log. The config snippet grants it to the champions' role and to admins.""",
    )

    audit_log = Unicode(
        "shared-data-audit.jsonl",
        config=True,
        help="""File the audit log (who changed what, when) is appended to; relative paths are relative
        to the hub's working folder. Keep it outside the shared folder: users should not read it.""",
    )

    max_unpacked_bytes = Integer(
        10 * 1000**3,
        config=True,
        help="Most bytes one pulled archive (.zip, .tar.gz) may unpack to; bigger archives are refused.",
    )

    max_unpack_ratio = Float(
        200.0,
        config=True,
        help="Most unpacked bytes per compressed byte of an archive; above it the archive is refused as a bomb.",
    )

    max_archive_members = Integer(
        100_000, config=True, help="Most entries (files, folders, links) one archive may hold."
    )

    max_download_bytes = Integer(
        10 * 1000**3,
        config=True,
        help="Most bytes one pull from an http(s) URL may download (the shared folder's free space also limits it).",
    )

    pull_timeout_seconds = Float(
        1800.0,
        config=True,
        help="Longest a git or URL pull may run before it is stopped (nothing is changed then).",
    )

    git = Unicode("git", config=True, help="The git command used for pulls from repositories.")

    pull_allow_private_addresses = Bool(
        False,
        config=True,
        help="""Let pulls reach any address, including the hub's own API (127.0.0.1), a cloud's metadata
        service (169.254.169.254) and private networks. By default pulls reach public servers only: a source
        (or any redirect it leads to) on a loopback, private, link-local, multicast, reserved or unspecified
        address is refused. Turn on only where every champion may reach everything the hub can.""",
    )

    pull_allowed_private_hosts = List(
        Unicode(),
        config=True,
        help="""Host names (or addresses) pulls may reach although they resolve to private addresses, for
        example an internal GitLab `gitlab.internal.example.org`. Redirects to other private hosts stay refused.""",
    )

    hub_public_url = Unicode(
        "",
        config=True,
        help="""Public URL of the hub (for example `https://hub.example.org`), used in nbgitpuller links.
        Empty: the address the champion's browser used.""",
    )

    service_url = Unicode(config=True, help="Where the service listens (the hub sets `JUPYTERHUB_SERVICE_URL`).")

    @default("service_url")
    def _service_url_from_hub(self):
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")

    prefix = Unicode(config=True, help="URL prefix of the service (the hub sets `JUPYTERHUB_SERVICE_PREFIX`).")

    @default("prefix")
    def _prefix_from_hub(self):
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/shared-data/")

    def make_app(self) -> web.Application:
        store = SharedStore(self.shared_dir, self.quota_bytes, abandoned_after=self.abandoned_upload_seconds)
        removed = store.remove_temporaries()
        if removed:
            self.log.info("Removed %d temporaries left by an earlier run", removed)
        limits = ArchiveLimits(self.max_unpacked_bytes, self.max_unpack_ratio, self.max_archive_members)
        puller = Puller(
            store,
            limits=limits,
            max_download_bytes=self.max_download_bytes,
            timeout_seconds=self.pull_timeout_seconds,
            git=self.git,
            allow_private_addresses=self.pull_allow_private_addresses,
            allowed_private_hosts=tuple(self.pull_allowed_private_hosts),
        )
        metrics.QUOTA_BYTES.set(self.quota_bytes)
        prefix = self.prefix
        # the singleton every HubOAuthenticated handler (ours and the OAuth callback) uses
        hub_auth = HubOAuth.instance(parent=self, cache_max_age=60)
        settings = {
            "service": self,
            "store": store,
            "puller": puller,
            "audit": AuditLog(self.audit_log),
            "hub_auth": hub_auth,
            "write_scope": self.write_scope,
            "prefix": prefix,
            "cookie_secret": os.urandom(32),
            "xsrf_cookies": True,
            "static_path": str(PACKAGE / "static"),
            "static_url_prefix": url_path_join(prefix, "static/"),
            "jinja_env": handlers.jinja_environment([PACKAGE / "templates", Path(DATA_FILES_PATH) / "templates"]),
            "log_function": handlers.log_request,
            "default_handler_class": handlers.NotFoundHandler,
        }
        routes = [
            (prefix, handlers.PageHandler),
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
            (url_path_join(prefix, "metrics"), handlers.MetricsHandler),
            (url_path_join(prefix, "api/openapi.json"), handlers.OpenAPIHandler),
            (url_path_join(prefix, "api/me"), handlers.MeHandler),
            (url_path_join(prefix, "api/usage"), handlers.UsageHandler),
            (url_path_join(prefix, "api/files"), handlers.FilesHandler),
            (url_path_join(prefix, "api/files/(.*)"), handlers.FilesHandler),
            (url_path_join(prefix, "api/folders"), handlers.FoldersHandler),
            (url_path_join(prefix, "api/uploads"), handlers.UploadsHandler),
            (url_path_join(prefix, "api/uploads/([^/]+)"), handlers.UploadHandler),
            (url_path_join(prefix, "api/pulls"), handlers.PullsHandler),
            (url_path_join(prefix, "api/pulls/([^/]+)"), handlers.PullHandler),
            (url_path_join(prefix, "api/pulls/([^/]+)/events"), handlers.PullEventsHandler),
            (url_path_join(prefix, "api/audit"), handlers.AuditHandler),
            (url_path_join(prefix, "api/links/nbgitpuller"), handlers.LinkHandler),
        ]
        return web.Application(routes, **settings)

    def start(self) -> None:
        asyncio.run(self.serve())

    async def serve(self) -> None:
        app = self.make_app()
        where = urlsplit(self.service_url)
        server = HTTPServer(app, max_body_size=self.max_chunk_bytes, xheaders=True)
        server.listen(where.port or 80, where.hostname or "127.0.0.1")
        self.log.info("Shared data of %s served at %s%s", self.shared_dir, self.service_url, self.prefix)
        await asyncio.Event().wait()


main = SharedDataService.launch_instance
