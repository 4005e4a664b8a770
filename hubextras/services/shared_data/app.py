"""The shared-data service: its settings (traits) and its routes, on the foundation's `ServiceApplication`.

The hub starts it with `python -m hubextras.services.shared_data --SharedDataService.<trait>=<value> ...`
(`hubextras.config.add_shared_data`), and gives it its URL, prefix and OAuth client in the `JUPYTERHUB_*`
environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets import Bool, Float, Integer, List, Unicode

from ...scopes import SHARED_DATA_SERVICE, SHARED_DATA_WRITE
from ..base import AuditLog, ServiceApplication
from . import handlers, metrics
from .archives import ArchiveLimits
from .pulls import Puller
from .store import SharedStore

MiB = 1024 * 1024


class SharedDataService(ServiceApplication):
    """Browse, upload, pull and hand out the community's shared data (a JupyterHub-managed service)."""

    name = "hubextras-shared-data"
    description = __doc__
    service_name = SHARED_DATA_SERVICE
    package_dir = Path(__file__).resolve().parent

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
        SHARED_DATA_WRITE,
        config=True,
        help="""JupyterHub scope that lets a person change the shared data (upload, folders, rename, move,
        delete, pull) and read the audit log. The config snippet grants it to the champions' role and to admins.""",
    )

    audit_log = Unicode(
        "",
        config=True,
        help="""File the audit log (who changed what, when) is appended to; relative paths are relative
        to the hub's working folder. Empty: `audit.jsonl` in the service's `data_dir`. Keep it outside the
        shared folder: users should not read it.""",
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

    def routes(self) -> list[tuple]:
        files = {"path": str(self.store.root)}
        return [
            ("", handlers.PageHandler),
            ("metrics", handlers.MetricsHandler),
            ("api/openapi.json", handlers.OpenAPIHandler),
            ("api/me", handlers.MeHandler),
            ("api/usage", handlers.UsageHandler),
            ("api/files", handlers.FilesHandler, files),
            ("api/files/(.*)", handlers.FilesHandler, files),
            ("api/folders", handlers.FoldersHandler),
            ("api/uploads", handlers.UploadsHandler),
            ("api/uploads/([^/]+)", handlers.UploadHandler),
            ("api/pulls", handlers.PullsHandler),
            ("api/pulls/([^/]+)", handlers.PullHandler),
            ("api/pulls/([^/]+)/events", handlers.PullEventsHandler),
            ("api/audit", handlers.AuditHandler),
            ("api/links/nbgitpuller", handlers.LinkHandler),
        ]

    def initialize(self, argv=None):
        super().initialize(argv)
        self.store = SharedStore(self.shared_dir, self.quota_bytes, abandoned_after=self.abandoned_upload_seconds)
        removed = self.store.remove_temporaries()
        if removed:
            self.log.info("Removed %d temporaries left by an earlier run", removed)
        self.puller = Puller(
            self.store,
            limits=ArchiveLimits(self.max_unpacked_bytes, self.max_unpack_ratio, self.max_archive_members),
            max_download_bytes=self.max_download_bytes,
            timeout_seconds=self.pull_timeout_seconds,
            git=self.git,
            allow_private_addresses=self.pull_allow_private_addresses,
            allowed_private_hosts=tuple(self.pull_allowed_private_hosts),
        )
        self.audit = AuditLog(self.audit_log or os.path.join(self.data_dir, "audit.jsonl"))
        metrics.QUOTA_BYTES.set(self.quota_bytes)

    def tornado_settings(self) -> dict:
        return {
            "store": self.store,
            "puller": self.puller,
            "audit": self.audit,
            "default_handler_class": handlers.NotFoundHandler,
        }


main = SharedDataService.launch_instance
