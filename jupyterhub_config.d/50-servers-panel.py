# Servers panel (docs/servers-panel-operators.md): a managed service acting with each champion's own token.
# Operators may set c.ServersPanel.service_url (where it listens) and any other c.ServersPanel.* setting.
import os
import sys

from hubextras.config import HubExtras, add_role, add_service, configured, service_url

SERVERS_PANEL = "servers-panel"
# what the panel may do with a champion's token; the hub narrows it to what that champion may do
SERVERS_PANEL_SCOPES = ["list:users", "read:users", "read:servers", "servers", "list:groups", "read:groups"]


_panel_settings = {key: value for key, value in c.ServersPanel.items() if key != "service_url"}
_panel_settings.setdefault("data_dir", os.path.abspath("servers-panel"))
add_service(
    c,
    {
        "name": SERVERS_PANEL,
        "url": service_url(c, SERVERS_PANEL, configured(c.ServersPanel, "service_url")),
        "command": [sys.executable, "-m", "hubextras.services.servers_panel"]
        + [f"--ServersPanel.{key}={value}" for key, value in sorted(_panel_settings.items())],
        "oauth_client_allowed_scopes": SERVERS_PANEL_SCOPES,
        "oauth_no_confirm": True,  # the hub's own panel: no "authorize this app" page for champions
        "environment": {"HUBEXTRAS_COMMUNITY_NAME": HubExtras.from_config(c).community_name},
    },
)
add_role(c, "hubextras-champions", scopes=SERVERS_PANEL_SCOPES + [f"access:services!service={SERVERS_PANEL}"])
