"""The servers panel's wiring: its routes, and what it makes when it starts and closes when it stops.

Settings are in `settings.py`, the rows in `directory.py`, bulk actions in `bulk.py`, the handlers in
`handlers.py`, the pure core in `rows.py` and `bodies.py`; the service base (`..base`) does the rest.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..base.audit import AuditLog
from . import handlers
from .bulk import BulkRunner
from .directory import ServerDirectory
from .hub_client import HubClient
from .kube_usage import KubernetesUsage, in_cluster
from .records import JobStore
from .settings import PanelSettings
from .usage import LocalUsage


class ServersPanel(PanelSettings):
    """The servers panel service: `python -m hubextras.services.servers_panel` (run by the hub)."""

    def routes(self):
        return [
            ("", handlers.PanelPage),
            ("api/servers", handlers.ServersAPI),
            ("api/groups", handlers.GroupsAPI),
            ("api/actions", handlers.ActionsAPI),
            ("api/jobs", handlers.JobsAPI),
            (r"api/jobs/([^/]+)", handlers.JobAPI),
            ("api/audit", handlers.AuditAPI),
        ]

    def initialize(self, argv=None):
        super().initialize(argv)
        self.audit = AuditLog(Path(self.data_dir) / "audit.jsonl")
        self.usage = self.make_usage()

    async def started(self):
        # made on the running loop: tornado's HTTP client and the semaphores belong to it
        self.client = HubClient(os.environ["JUPYTERHUB_API_URL"], concurrency=self.concurrency)
        self.directory = ServerDirectory(self.client)
        self.bulk = BulkRunner(self.client, self.audit, JobStore(Path(self.data_dir) / "jobs"),
                               concurrency=self.concurrency, stop_timeout=self.stop_timeout,
                               start_timeout=self.start_timeout)

    async def stopping(self):
        self.bulk.interrupt()
        self.client.close()
        if isinstance(self.usage, KubernetesUsage):
            await self.usage.close()

    def make_usage(self) -> LocalUsage | KubernetesUsage | None:
        source = self.usage_source
        if source == "auto":
            source = "kubernetes" if in_cluster() or os.environ.get("KUBECONFIG") else "local"
        if source == "kubernetes":
            return KubernetesUsage(self.kubernetes_namespace)
        return LocalUsage() if source == "local" else None

    async def resource_use(self) -> dict[tuple[str, str], dict]:
        """{(user, server name): usage} from the configured source; empty when it cannot say."""
        if self.usage is None:
            return {}
        if isinstance(self.usage, KubernetesUsage):
            return await self.usage.sample()
        return self.usage.sample()


def main(argv=None) -> int:
    if "JUPYTERHUB_API_URL" not in os.environ:
        print(
            "The servers panel runs as a JupyterHub service: add it with jupyterhub_config.d/50-servers-panel.py "
            "(the hub then starts it with the settings it needs).",
            file=sys.stderr,
        )
        return 2
    app = ServersPanel.instance()
    app.initialize(argv)
    app.start()
    return 0
