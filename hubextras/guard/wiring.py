"""Config: the guard service, its token's scopes, the champions' scope, the start check and the home page."""

from __future__ import annotations

import os
from pathlib import Path

from traitlets.config import Config

from ..config import HubExtras, add_custom_scopes, add_managed_service, add_role, configured, service_settings
from .published import STATE_FILE, GuardState, StartCheck

TEMPLATE_VAR = "hubextras_guard"


def on_kubernetes(c: Config) -> bool:
    """Whether the hub spawns on Kubernetes (where the guard sees no server processes: cryptnono's place)."""
    spawner = configured(c.JupyterHub, "spawner_class", "")
    name = spawner if isinstance(spawner, str) else f"{spawner.__module__}.{spawner.__qualname__}"
    return "kube" in name.lower()


def add_guard(c: Config) -> dict | None:
    """Run the guard (c.GuardService.* are its settings) and refuse blocked people's starts; None when
    `c.GuardService.enabled` is False."""
    from ..scopes import CHAMPIONS_ROLE, GUARD_CHAMPION, GUARD_SERVICE, GUARD_SERVICE_SCOPES, access_scope
    from ..services.guard.app import GuardService

    settings = {"data_dir": os.path.abspath(GUARD_SERVICE),
                **service_settings(c, "GuardService", GuardService, GUARD_SERVICE)}
    if not settings.pop("enabled", not on_kubernetes(c)):
        return None
    extras = HubExtras.from_config(c)
    add_custom_scopes(c, {GUARD_CHAMPION: {"description": "See the mining guard's alerts and lift its blocks."}})
    service = add_managed_service(
        c, GuardService, module="hubextras.services.guard", settings=settings, oauth_scopes=[GUARD_CHAMPION],
        environment={"HUBEXTRAS_COMMUNITY_NAME": extras.community_name},
        info={"description": "Stops cryptocurrency miners and tells the champions"},
    )
    add_role(c, f"{GUARD_SERVICE}-service", scopes=list(GUARD_SERVICE_SCOPES), services=[GUARD_SERVICE],
             description="The guard: find each running server's processes and stop a server that mines")
    add_role(c, CHAMPIONS_ROLE, scopes=[GUARD_CHAMPION, access_scope(GUARD_SERVICE)])
    show_alerts_in_servers_panel(c, Path(settings["data_dir"]) / STATE_FILE)
    state = GuardState(Path(settings["data_dir"]) / STATE_FILE, contact=extras.contact_text)
    c.Spawner.pre_spawn_hook = StartCheck(state, configured(c.Spawner, "pre_spawn_hook"))
    c.JupyterHub.template_vars = {**configured(c.JupyterHub, "template_vars", {}), TEMPLATE_VAR: state}
    return service


def show_alerts_in_servers_panel(c: Config, state_path: Path) -> None:
    """Let the servers panel (when configured) read the guard's alerts and ask champions for the guard's scope."""
    from ..scopes import GUARD_CHAMPION, SERVERS_PANEL_SERVICE
    from ..services.servers_panel.guard_alerts import GUARD_STATE_ENV

    services = list(configured(c.JupyterHub, "services", []))
    for service in services:
        if service.get("name") == SERVERS_PANEL_SERVICE:
            service["environment"] = {**service.get("environment", {}), GUARD_STATE_ENV: str(state_path)}
            scopes = list(service.get("oauth_client_allowed_scopes", []))
            service["oauth_client_allowed_scopes"] = scopes + [GUARD_CHAMPION] * (GUARD_CHAMPION not in scopes)
    c.JupyterHub.services = services
