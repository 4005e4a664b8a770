"""Config: the announcements service, the champions' access to it, and the hub pages' provider."""

from __future__ import annotations

import os
from pathlib import Path

from traitlets.config import Config

from ..config import HubExtras, add_managed_service, add_role, configured, service_settings
from .published import BOARD_FILE, PageAnnouncements, clock_from_file

TEMPLATE_VAR = "hubextras_announcements"


def add_announcements(c: Config) -> dict:
    """Run the announcements service for champions (c.AnnouncementsService.* are its settings) and let the hub's
    login, home and spawn pages show what is current, with `HubExtras.announcements` where nothing is."""
    from ..scopes import ANNOUNCEMENTS_SERVICE, CHAMPIONS_ROLE, access_scope
    from ..services.announcements.app import AnnouncementsService

    settings = {"data_dir": os.path.abspath(ANNOUNCEMENTS_SERVICE),
                **service_settings(c, "AnnouncementsService", AnnouncementsService, ANNOUNCEMENTS_SERVICE)}
    extras = HubExtras.from_config(c)
    service = add_managed_service(
        c, AnnouncementsService, module="hubextras.services.announcements", settings=settings,
        environment={"HUBEXTRAS_COMMUNITY_NAME": extras.community_name},
        info={"description": "Announcements on the hub's login, home and server options pages"},
    )
    add_role(c, CHAMPIONS_ROLE, scopes=[access_scope(ANNOUNCEMENTS_SERVICE)])
    provider = PageAnnouncements(Path(settings["data_dir"]) / BOARD_FILE, fallback=extras.announcements,
                                 clock=clock_from_file(settings.get("clock_file", "")))
    c.JupyterHub.template_vars = {**configured(c.JupyterHub, "template_vars", {}), TEMPLATE_VAR: provider}
    return service
