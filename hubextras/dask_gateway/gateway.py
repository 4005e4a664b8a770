"""The gateway's configuration from the hub's settings (runs in `dask-gateway-server`'s config file)."""

from __future__ import annotations

from dask_gateway_server.options import Float, Integer, Options

from .limits import ClusterLimits, check_request, limits_for

GIB = 1024**3


def options_handler(defaults: ClusterLimits, group_limits: dict[str, dict]):
    """The gateway's `options_handler`: the person's limits from their groups, their workers checked against them."""

    def handler(options, user):
        limits = limits_for(defaults, group_limits, sorted(user.groups))
        memory = int(options.worker_memory * GIB)
        check_request(limits, options.worker_cores, memory)
        return {
            "worker_cores": options.worker_cores, "worker_memory": memory,
            "cluster_max_cores": limits.cluster_max_cores, "cluster_max_memory": limits.cluster_max_memory,
            "cluster_max_workers": limits.cluster_max_workers, "idle_timeout": limits.idle_timeout,
        }

    return handler


def configure_gateway(c, settings: dict) -> None:
    """Set `c` (dask-gateway-server's config) from `settings` (made by `wiring.gateway_settings`)."""
    defaults = ClusterLimits(**settings["limits"])
    c.DaskGateway.address = settings["api_address"]
    c.Proxy.address = settings["proxy_address"]
    c.Proxy.tcp_address = settings["tcp_address"]
    c.Proxy.prefix = settings["prefix"]
    c.DaskGateway.authenticator_class = "hubextras.dask_gateway.backend.HubRoleAuthenticator"
    c.JupyterHubAuthenticator.jupyterhub_service_name = settings["service_name"]
    c.HubRoleAuthenticator.allowed_groups = settings["groups"]
    c.HubRoleAuthenticator.contact = settings["contact"]
    c.DaskGateway.backend_class = "hubextras.dask_gateway.backend.PersonAccountLocalBackend"
    c.PersonAccountLocalBackend.account_template = settings["account_template"]
    if settings.get("clusters_directory"):
        c.LocalBackend.clusters_directory = settings["clusters_directory"]
    c.LocalBackend.inherited_environment = ["LANG", "LC_ALL"]  # the hub's PATH, venv and keys stay out
    bin_dir = f"{settings['environment']}/bin"
    c.ClusterConfig.scheduler_cmd = [f"{bin_dir}/dask", "scheduler"]  # distributed dropped `dask-scheduler`
    c.ClusterConfig.worker_cmd = [f"{bin_dir}/dask", "worker"]
    c.ClusterConfig.environment = {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"}
    for key, value in defaults.as_config().items():
        if key not in ("worker_cores", "worker_memory"):
            setattr(c.ClusterConfig, key, value)
    c.Backend.cluster_options = Options(
        Integer("worker_cores", default=1, min=1, label="Worker cores"),
        Float("worker_memory", default=min(2, defaults.worker_memory / GIB), min=0.25, label="Worker memory (GiB)"),
        handler=options_handler(defaults, settings["group_limits"]),
    )
