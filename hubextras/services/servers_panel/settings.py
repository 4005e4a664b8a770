"""The servers panel's configuration: every setting a trait (`c.ServersPanel.<name>` in the hub's config)."""

from __future__ import annotations

import os
from pathlib import Path

from traitlets import Enum, Float, Integer, Unicode, default

from ...scopes import SERVERS_PANEL_SERVICE
from ..base.app import ServiceApplication
from .kube_usage import cluster_namespace


class PanelSettings(ServiceApplication):
    """The settings of the servers panel (the application itself is `app.ServersPanel`)."""

    name = "hubextras-servers-panel"
    description = "Hub champions see every user's server and stop, restart or start it."
    service_name = SERVERS_PANEL_SERVICE
    package_dir = Path(__file__).resolve().parent

    @default("data_dir")
    def _default_data_dir(self):
        return os.environ.get("HUBEXTRAS_SERVERS_PANEL_DIR") or os.path.abspath("servers-panel")

    concurrency = Integer(
        8,
        config=True,
        help="""Most requests (and most server actions) the panel has in flight at the hub at once.
        The hub spends about 35 ms of CPU per stop: more than a few in parallel gains nothing.""",
    )

    stop_timeout = Float(
        120, config=True, help="Seconds to wait for a server to stop before reporting it as still stopping."
    )
    start_timeout = Float(
        300, config=True, help="Seconds to wait for a server to start before reporting it as still starting."
    )
    max_bulk = Integer(
        10_000,
        config=True,
        help="""Most servers one bulk action may list. The body of an action is refused, unread, when it is
        bigger than a list of that many servers can be.""",
    )
    refresh_seconds = Float(3, config=True, help="How often the page refreshes the statuses it shows.")

    usage_source = Enum(
        ["auto", "local", "kubernetes", "none"],
        "auto",
        config=True,
        help="""Where servers' resource use (memory, CPU) is read from. "local": the processes on this
        machine (/proc, for the local spawner). "kubernetes": the metrics API (metrics-server) of the
        cluster, for the server pods in `kubernetes_namespace`; the hub's service account needs get and
        list on `pods.metrics.k8s.io` and `pods`. "none": not read; the panel says "not available".
        "auto": "kubernetes" when the panel runs in a Kubernetes pod (KUBERNETES_SERVICE_HOST or a
        service account token) or $KUBECONFIG is set, else "local".""",
    )

    kubernetes_namespace = Unicode(
        config=True,
        help="""Namespace of the server pods whose resource use is read from the metrics API.
        Default: the namespace the panel runs in (its service account's), else "default".""",
    )

    @default("kubernetes_namespace")
    def _default_kubernetes_namespace(self):
        return cluster_namespace()

    aliases = {
        "data-dir": "ServersPanel.data_dir",
        "concurrency": "ServersPanel.concurrency",
        "stop-timeout": "ServersPanel.stop_timeout",
        "start-timeout": "ServersPanel.start_timeout",
    }
