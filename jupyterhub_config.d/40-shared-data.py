# Shared data (see docs/shared-data-operators.md): the hub runs the service; champions and admins write,
# every signed-in user reads. Operators tune it with `c.SharedDataService.<trait>`, forwarded to the service.
import sys

from hubextras.auth.teams import parse_team
from hubextras.config import HubExtras, add_custom_scopes, add_role, add_service, configured, service_url

SHARED_DATA_SERVICE = "shared-data"
SHARED_DATA_WRITE = "custom:shared-data:write"
_read = f"access:services!service={SHARED_DATA_SERVICE}"
_extras = HubExtras.from_config(c)
_settings = {"shared_dir": _extras.shared_dir, "quota_bytes": _extras.shared_quota_bytes}
_settings.update({key: value for key, value in c.SharedDataService.items()})
SHARED_DATA_WRITE = _settings.get("write_scope", SHARED_DATA_WRITE)

_settings["service_url"] = service_url(c, SHARED_DATA_SERVICE, _settings.get("service_url"))

add_custom_scopes(
    c,
    {SHARED_DATA_WRITE: {"description": "Change the community's shared data: upload, folders, move, delete, pull."}},
)
add_service(
    c,
    {
        "name": SHARED_DATA_SERVICE,
        "url": _settings["service_url"],
        "command": [sys.executable, "-m", "hubextras.services.shared_data"]
        + [f"--SharedDataService.{key}={value}" for key, value in sorted(_settings.items())],
        "oauth_client_allowed_scopes": [SHARED_DATA_WRITE],
        "oauth_no_confirm": True,
        "display": True,
        "info": {"description": "The community's shared data, read-only at ~/shared in every server"},
    },
)
add_role(c, "hubextras-champions", scopes=[_read, SHARED_DATA_WRITE])

# admins can do what champions do; the built-in admin role cannot be extended, so a role for the hub's
# admins (admin_users, and the groups of the GitHub admin_teams) carries the write scope
_admin_teams = configured(c.GitHubTeamsAuthenticator, "admin_teams", set())
_authenticators = ("Authenticator", "OAuthenticator", "GitHubOAuthenticator", "GitHubTeamsAuthenticator")
add_role(
    c,
    "hubextras-shared-data-admins",
    description="Hub admins: change the shared data, as champions do",
    scopes=[_read, SHARED_DATA_WRITE],
    groups=sorted(str(parse_team(team)) for team in _admin_teams),
    users=sorted(set().union(*(configured(c[section], "admin_users", set()) for section in _authenticators))),
)

# every signed-in user may read: through the operator's own `user` role if there is one, else extra_user_scopes
# (a `user` entry in load_roles would replace the default `self` scope and make extra_user_scopes ignored)
if any(role["name"] == "user" for role in configured(c.JupyterHub, "load_roles", [])):
    add_role(c, "user", scopes=[_read])
else:
    c.JupyterHub.extra_user_scopes = [s for s in configured(c.JupyterHub, "extra_user_scopes", []) if s != _read] + [
        _read
    ]
