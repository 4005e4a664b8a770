"""Every scope, role and service name hubextras uses, in one place (snippets, services and tests import them).

JupyterHub's own scope vocabulary is documented at https://jupyterhub.readthedocs.io/en/stable/rbac/scopes.html;
here are only the names we choose, and `allows`, which answers "may these scopes act on that user's server?"
with JupyterHub's own `jupyterhub.scopes.has_scope`.
"""

from __future__ import annotations

from collections.abc import Iterable

SHARED_DATA_SERVICE = "shared-data"
SERVERS_PANEL_SERVICE = "servers-panel"

CHAMPIONS_ROLE = "hubextras-champions"
SHARED_DATA_ADMINS_ROLE = "hubextras-shared-data-admins"
# our services read the hub's list of services, to draw the hub's Services menu on their pages
SERVICES_ROLE = "hubextras-services"
SERVICES_ROLE_SCOPES = ("list:services", "read:services")
# the default role every user has; JupyterHub names it so
USER_ROLE = "user"

SHARED_DATA_WRITE = "custom:shared-data:write"

# what a service's OAuth token may carry besides its own scopes, so its pages draw the hub's navigation as the
# hub does: the Services menu lists the services a person may access, the Admin link shows for `admin-ui`
NAVIGATION_SCOPES = ("access:services", "admin-ui")

# what the panel may do with a champion's token; the hub narrows it to what that champion may do
SERVERS_PANEL_SCOPES = ("list:users", "read:users", "read:servers", "servers", "list:groups", "read:groups")


def access_scope(service: str) -> str:
    """The scope that lets a person use the service `service`."""
    return f"access:services!service={service}"


def allows(scopes: Iterable[str], names: Iterable[str], *, user: str, server: str = "", groups=()) -> bool:
    """Whether any scope in `names` (e.g. "servers") is held in `scopes` for `user`'s server `server`:
    unfiltered, or filtered by that user, that server, or one of the user's `groups` (as the hub decides)."""
    from jupyterhub.scopes import has_scope  # here: importing it loads the hub's ORM, which pure callers skip

    held = frozenset(scopes)
    for name in names:
        wanted = [f"{name}!user={user}", f"{name}!server={user}/{server}"]
        wanted += [f"{name}!group={group}" for group in groups]
        if any(has_scope(scope, held) for scope in wanted):
            return True
    return False

USAGE_SERVICE = "usage"
# see usage figures: unfiltered, everyone's; `!group=G`, the servers of G's members; `!user=u`, u's
USAGE_READ = "custom:usage:read"
# grant people temporary quota bumps (filtered the same way)
USAGE_BUMP = "custom:usage:bump"
# --- announcements, help sessions and the guard (issue 12) ---------------------------------------------------
ANNOUNCEMENTS_SERVICE = "announcements"
HELP_SESSIONS_SERVICE = "help-sessions"
# champions: see help requests and open the servers shared with them
HELP_SESSIONS_HELP = "custom:help-sessions:help"
# what the help sessions service's own token may do: make and revoke the shares people consent to
HELP_SESSIONS_SERVICE_SCOPES = ("shares", "read:users:name", "read:groups:name")
GUARD_SERVICE = "guard"
# champions: see the guard's alerts and lift blocks
GUARD_CHAMPION = "custom:guard:alerts"
# the guard's own token: find each running server (and its pid, in the server state) and stop it
GUARD_SERVICE_SCOPES = ("list:users", "read:users", "read:servers", "admin:server_state", "servers")
