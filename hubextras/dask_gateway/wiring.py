"""The hub's side: the `dask-gateway` managed service, its role, and what servers get (snippet 90)."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from traitlets import Bool, Dict, Float, Integer, List, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

from . import ACCESS_SCOPE, ROLE_NAME, SERVICE_NAME, SETTINGS_VARIABLE
from .limits import LIMIT_KEYS, ClusterLimits, server_environment

PREFIX = f"/services/{SERVICE_NAME}"


class DaskClusters(LoggingConfigurable):
    """Dask Gateway clusters for the hub's people (snippet `90-dask-gateway.py`, docs/dask-operators.md)."""

    enabled = Bool(False, config=True, help="Run Dask Gateway as the hub-managed service `dask-gateway`.")
    groups = List(
        Unicode(),
        config=True,
        help="""JupyterHub groups whose members may start clusters (GitHub teams as `org:team`): they get the
        role `dask-gateway-users`, which holds `access:services!service=dask-gateway`. Others are refused
        with a message naming these groups.""",
    )
    cluster_max_cores = Float(8, config=True, help="Most cores one cluster may use (scheduler and workers).")
    cluster_max_memory = Integer(16 * 1024**3, config=True, help="Most memory one cluster may use, in bytes.")
    cluster_max_workers = Integer(4, config=True, help="Most workers one cluster may have; larger scales are capped.")
    idle_timeout = Float(
        1800, config=True, help="Seconds without a client or work after which a cluster is stopped; 0: never."
    )
    worker_cores_max = Integer(2, config=True, help="Largest worker a person may ask for, in cores.")
    worker_memory_max = Integer(4 * 1024**3, config=True, help="Largest worker a person may ask for, in bytes.")
    group_limits = Dict(
        {},
        config=True,
        help="""Larger limits for some groups: `{"org:researchers": {"cluster_max_cores": 32,
        "cluster_max_workers": 16}}`. Keys: cluster_max_cores, cluster_max_memory, cluster_max_workers,
        idle_timeout, worker_cores, worker_memory. A person in several groups gets the largest of each.""",
    )
    environment = Unicode(
        "/opt/hubextras/user-env",
        config=True,
        help="""Environment the schedulers and workers run from (its `bin/dask`: `dask scheduler`, `dask worker`);
        one every person's account can run, with the same `dask` and `distributed` versions as people's
        servers (on one machine: the user environment, with `dask-gateway` installed).""",
    )
    api_address = Unicode("", config=True, help="The gateway's private API address; empty: a free port of 127.0.0.1.")
    proxy_address = Unicode(
        "", config=True, help="The gateway's HTTP proxy (API and dashboards), host:port; empty: a free port."
    )
    tcp_address = Unicode(
        "", config=True, help="The gateway's TCP proxy for schedulers (TLS, by SNI), host:port; empty: a free port."
    )
    server_address = Unicode(
        "",
        config=True,
        help="""Where servers reach the gateway (`DASK_GATEWAY__ADDRESS`); empty: its HTTP proxy directly,
        `http://<proxy_address>/services/dask-gateway`.""",
    )
    clusters_directory = Unicode(
        "", config=True, help="Folder of the clusters' working folders (made per cluster); empty: the system's temp."
    )

    @validate("group_limits")
    def _valid_group_limits(self, proposal):
        for group, limits in proposal["value"].items():
            unknown = set(limits) - set(LIMIT_KEYS)
            if unknown:
                raise TraitError(f"DaskClusters.group_limits[{group!r}] has unknown keys {sorted(unknown)}; "
                                 f"use {', '.join(LIMIT_KEYS)}.")
        return proposal["value"]

    def limits(self) -> ClusterLimits:
        return ClusterLimits(self.cluster_max_cores, self.cluster_max_memory, self.cluster_max_workers,
                             self.idle_timeout, self.worker_cores_max, self.worker_memory_max)


def _free_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def gateway_settings(clusters: DaskClusters, account_template: str, contact: str, registered: dict) -> dict:
    """What the gateway process is told; addresses already registered are kept (a snippet run twice)."""
    return {
        "api_address": clusters.api_address or registered.get("api_address") or _free_address(),
        "proxy_address": clusters.proxy_address or registered.get("proxy_address") or _free_address(),
        "tcp_address": clusters.tcp_address or registered.get("tcp_address") or _free_address(),
        "prefix": PREFIX, "service_name": SERVICE_NAME, "groups": list(clusters.groups), "contact": contact,
        "account_template": account_template, "environment": clusters.environment,
        "clusters_directory": clusters.clusters_directory,
        "limits": clusters.limits().as_config(), "group_limits": dict(clusters.group_limits),
    }


def configure_dask_gateway(c) -> DaskClusters:
    """Snippet body: the service, the role, and the variables every server gets."""
    from ..config import HubExtras, add_role, add_service, configured

    clusters = DaskClusters(config=c)
    if not clusters.enabled:
        return clusters
    registered = next((json.loads(s.get("environment", {}).get(SETTINGS_VARIABLE, "{}"))
                       for s in configured(c.JupyterHub, "services", []) if s.get("name") == SERVICE_NAME), {})
    account_template = configured(c.ProfilesLocalSpawner, "account_template", "jupyter-{username}")
    settings = gateway_settings(clusters, account_template, HubExtras.from_config(c).contact_text, registered)
    config_file = Path(__file__).with_name("gateway_config.py")
    add_service(c, {
        "name": SERVICE_NAME,
        "url": f"http://{settings['proxy_address']}",
        "command": [sys.executable, "-m", "dask_gateway_server", "-f", str(config_file)],
        "environment": {SETTINGS_VARIABLE: json.dumps(settings)},
    })
    add_role(c, ROLE_NAME, description="Start Dask Gateway clusters", scopes=[ACCESS_SCOPE], groups=clusters.groups)
    address = clusters.server_address or f"http://{settings['proxy_address']}{PREFIX}"
    env = server_environment(address, f"gateway://{settings['tcp_address']}", f"{PREFIX}/")
    c.Spawner.environment = {**configured(c.Spawner, "environment", {}), **env}
    give_servers_the_access_scope(c)
    return clusters


def give_servers_the_access_scope(c) -> None:
    """Servers' own tokens (what `Gateway()` sends) get `access:services!service=dask-gateway`; the hub gives a
    token only the scopes its owner holds, so people without the role still do not have it."""
    from jupyterhub.roles import get_default_roles

    from ..config import configured

    scopes = configured(c.Spawner, "server_token_scopes", None)
    if callable(scopes):
        return  # the operator's own function decides; docs/dask-operators.md says to include the scope
    if scopes is None:
        scopes = next(role["scopes"] for role in get_default_roles() if role["name"] == "server")
    c.Spawner.server_token_scopes = list(dict.fromkeys([*scopes, ACCESS_SCOPE]))
