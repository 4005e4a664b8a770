"""Config: the help sessions service, who may use it, and the home page's provider."""

from __future__ import annotations

import os
from pathlib import Path

from jupyterhub.utils import url_path_join
from traitlets.config import Config

from ..announcements.published import clock_from_file
from ..config import (
    HubExtras,
    add_custom_scopes,
    add_managed_service,
    add_role,
    configured,
    grant_every_user,
    service_settings,
)
from .published import REQUESTS_FILE, HomeHelpSession

TEMPLATE_VAR = "hubextras_help_session"


def add_help_sessions(c: Config) -> dict:
    """Run the help sessions service (c.HelpSessionsService.* are its settings): every user may share their
    server through it; champions see the requests and open the servers shared with them."""
    from ..scopes import (
        CHAMPIONS_ROLE,
        HELP_SESSIONS_HELP,
        HELP_SESSIONS_SERVICE,
        HELP_SESSIONS_SERVICE_SCOPES,
        access_scope,
    )
    from ..services.help_sessions.app import HelpSessionsService

    settings = {"data_dir": os.path.abspath(HELP_SESSIONS_SERVICE),
                **service_settings(c, "HelpSessionsService", HelpSessionsService, HELP_SESSIONS_SERVICE)}
    add_custom_scopes(c, {HELP_SESSIONS_HELP: {
        "description": "See help requests and open the servers people shared with the champions."}})
    service = add_managed_service(
        c, HelpSessionsService, module="hubextras.services.help_sessions", settings=settings,
        oauth_scopes=[HELP_SESSIONS_HELP],
        environment={"HUBEXTRAS_COMMUNITY_NAME": HubExtras.from_config(c).community_name},
        info={"description": "Share your server with the hub champions for a while, to get help"},
    )
    add_role(c, f"{HELP_SESSIONS_SERVICE}-service", scopes=list(HELP_SESSIONS_SERVICE_SCOPES),
             services=[HELP_SESSIONS_SERVICE],
             description="The help sessions service: make and revoke the shares people consent to")
    add_role(c, CHAMPIONS_ROLE, scopes=[HELP_SESSIONS_HELP])
    grant_every_user(c, [access_scope(HELP_SESSIONS_SERVICE)])
    base_url = configured(c.JupyterHub, "base_url", "/")
    window = settings.get("window_seconds", HelpSessionsService.window_seconds.default_value)
    provider = HomeHelpSession(Path(settings["data_dir"]) / REQUESTS_FILE,
                               url_path_join(base_url, "services", HELP_SESSIONS_SERVICE) + "/",
                               clock=clock_from_file(settings.get("clock_file", "")),
                               window_seconds=window)
    cache = settings.get("server_auth_cache_seconds", HelpSessionsService.server_auth_cache_seconds.default_value)
    if int(cache) < 1:
        raise SystemExit("hubextras: c.HelpSessionsService.server_auth_cache_seconds must be at least 1 "
                         "(JupyterHub reads 0 as \"cache forever\", which would keep revoked help sessions open).")
    args = list(configured(c.Spawner, "args", []))
    if not any(str(a).startswith("--HubOAuth.cache_max_age") for a in args):
        # a server caches the hub's word on a visitor: bound it, so a revoked share ends in open tabs too
        c.Spawner.args = [*args, f"--HubOAuth.cache_max_age={int(cache)}"]
    c.JupyterHub.template_vars = {**configured(c.JupyterHub, "template_vars", {}), TEMPLATE_VAR: provider}
    return service
