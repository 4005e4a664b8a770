"""Idle culling on both spawners: jupyterhub-idle-culler 2.x as a managed service, from `HubExtras` traits."""

from __future__ import annotations

import importlib.util
import sys

from traitlets.config import Config
from traitlets.log import get_logger

from .config import HubExtras, add_role, add_service, configured

IDLE_CULLER = "idle-culler"
# what jupyterhub-idle-culler 2.x needs: find idle servers and stop them (and delete users when asked)
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
CULL_USERS_SCOPES = ["admin:users"]


def idle_culler_command(extras: HubExtras) -> list[str]:
    """The culler's command line for these settings."""
    command = [
        sys.executable, "-m", "jupyterhub_idle_culler",
        f"--timeout={extras.idle_timeout}",
        f"--cull-every={extras.idle_cull_every or max(1, extras.idle_timeout // 2)}",
        f"--concurrency={extras.idle_concurrency}",
    ]
    if extras.idle_max_age:
        command.append(f"--max-age={extras.idle_max_age}")
    if extras.idle_cull_users:
        command.append("--cull-users")
    return command


def add_idle_culler(c: Config) -> bool:
    """Register the culler service and its role (unless `HubExtras.idle_culler_enabled` is false, or the
    operator runs their own service of that name); True when it is registered. Running it twice changes nothing."""
    extras = HubExtras.from_config(c)
    services = configured(c.JupyterHub, "services", [])
    existing = next((s for s in services if s.get("name") == IDLE_CULLER), None)
    if existing is not None and "hubextras" not in existing.get("info", {}):
        return False
    if not extras.idle_culler_enabled:
        c.JupyterHub.services = [s for s in services if s is not existing]
        return False
    if importlib.util.find_spec("jupyterhub_idle_culler") is None:
        get_logger().warning(
            "hubextras: idle servers are NOT stopped: jupyterhub-idle-culler is not installed in the hub's "
            "environment (pip install 'jupyterhub-idle-culler>=2'), or set c.HubExtras.idle_culler_enabled = False."
        )
        return False
    add_service(c, {
        "name": IDLE_CULLER,
        "command": idle_culler_command(extras),
        "info": {"hubextras": "idle culling (HubExtras.idle_*)"},
    })
    scopes = CULLER_SCOPES + (CULL_USERS_SCOPES if extras.idle_cull_users else [])
    add_role(c, "hubextras-idle-culler", description="Stop idle servers", scopes=scopes, services=[IDLE_CULLER])
    return True
