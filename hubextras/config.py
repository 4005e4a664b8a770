"""What several hubextras pieces share, and the loader for the `jupyterhub_config.d/` snippets.

Operators set `c.HubExtras.*` before the snippets run; each snippet reads the
settings with `HubExtras.from_config(c)` so the snippets stay declarative.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from glob import glob
from pathlib import Path

from traitlets import Bool, Dict, Integer, List, TraitError, Unicode, validate
from traitlets.config import Config, LoggingConfigurable

PACKAGE_DIR = Path(__file__).resolve().parent
# a path below the user's server, as the login page's interface selector puts it after /hub/user-redirect/
INTERFACE_PATH = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*(/[A-Za-z0-9._~-]+)*/?")


def data_dir(name: str) -> Path:
    """Where a data folder of ours lives: a source checkout first, then the installed copy.

    `name` is `jupyterhub_config.d` or `templates`.
    """
    checkout = PACKAGE_DIR.parent / ("share/templates" if name == "templates" else name)
    if checkout.is_dir():
        return checkout
    installed = Path(sys.prefix) / "share" / "hubextras" / name
    if installed.is_dir():
        return installed
    raise FileNotFoundError(
        f"hubextras' {name} folder is missing: looked in {checkout} and {installed}. "
        "Reinstall hubextras with `pip install hubextras`."
    )


def config_d_path() -> Path:
    """The bundled `jupyterhub_config.d` folder."""
    return data_dir("jupyterhub_config.d")


def templates_path() -> Path:
    """The bundled templates folder (extends JupyterHub's own templates)."""
    return data_dir("templates")


def load_config_d(c: Config, path: str | Path | None = None) -> list[str]:
    """Run every `*.py` snippet of `path` in sorted order in the config namespace, as z2jh does.

    Returns the snippet paths run, in order. With no `path`, the bundled snippets run.
    """
    folder = Path(path) if path is not None else config_d_path()
    ran = []
    for snippet in sorted(glob(str(folder / "*.py"))):
        namespace = {"c": c, "get_config": lambda: c, "__file__": snippet, "__name__": "__config__"}
        with open(snippet, encoding="utf-8") as f:
            code = compile(f.read(), snippet, "exec")
        exec(code, namespace)
        ran.append(snippet)
    return ran


class HubExtras(LoggingConfigurable):
    """Settings that several hubextras pieces share (sign-in pages, services, spawners)."""

    community_name = Unicode(
        "Community Hub",
        config=True,
        help="Name of the community, shown on the login page and in page titles.",
    )

    champions_team = Unicode(
        "",
        config=True,
        help="""GitHub team of the hub champions, as `org:team-slug` (for example `myorg:hub-champions`),
        or, with another authenticator (Google), the name of the JupyterHub group of the champions.

        Its JupyterHub group (named the same, case-folded) is granted the champions' role,
        which lets its members use the shared-data and servers panels.
        Empty: no champions; only admins can use the panels.
        """,
    )

    @validate("champions_team")
    def _valid_champions_team(self, proposal):
        from .auth.teams import parse_team  # here: hubextras.auth imports this module

        value = proposal["value"]
        # a GitHub team is `org:team`; with another authenticator it is a plain group name
        return str(parse_team(value)) if ":" in value else value.strip()

    contact = Unicode(
        "",
        config=True,
        help="""Whom people should ask for access or help, shown on refusal pages
        (for example `the hub champions at hub-help@example.org`). Empty: "a hub champion".""",
    )

    shared_dir = Unicode(
        "/srv/shared",
        config=True,
        help="""Folder holding the community's shared data on the hub machine
        (read-only for users at `~/shared`, read-write for champions at `~/shared-readwrite`).""",
    )

    shared_quota_bytes = Integer(
        100 * 1024**3,
        config=True,
        help="Most bytes the shared folder may hold (default 100 GB); uploads past it are refused.",
    )

    logo_url = Unicode("", config=True, help="URL of the community logo on the login page; empty: no logo.")

    operated_by = Unicode(
        "", config=True, help='"Operated by" line on the login page (HTML allowed); empty: not shown.'
    )
    funded_by = Unicode("", config=True, help='"Funded by" line on the login page (HTML allowed); empty: not shown.')
    designed_by = Unicode(
        "", config=True, help='"Designed by" line on the login page (HTML allowed); empty: not shown.'
    )

    announcements = List(
        Unicode(),
        config=True,
        help="Announcements shown on the login and home pages, newest first (HTML allowed).",
    )

    faq = List(
        Dict(),
        config=True,
        help="""Short FAQ on the login page: a list of `{"question": ..., "answer": ...}` (answer HTML allowed).""",
    )

    login_interfaces = Dict(
        {},
        config=True,
        help="""Interface selector on the login page: label -> path after sign-in,
        for example `{"JupyterLab": "lab", "Notebook": "tree", "RStudio": "rstudio"}`.
        Empty: no selector; people land on the hub's home page.""",
    )

    @validate("faq")
    def _valid_faq(self, proposal):
        for number, entry in enumerate(proposal["value"], start=1):
            question, answer = entry.get("question"), entry.get("answer")
            if not (isinstance(question, str) and question.strip() and isinstance(answer, str) and answer.strip()):
                raise TraitError(
                    f"HubExtras.faq entry {number} is {entry!r}: each entry needs a non-empty "
                    '"question" and "answer" text, for example {"question": "Who can log in?", '
                    '"answer": "Members of our GitHub team."}.'
                )
        return proposal["value"]

    @validate("login_interfaces")
    def _valid_login_interfaces(self, proposal):
        for label, path in proposal["value"].items():
            if not (isinstance(label, str) and label.strip()):
                raise TraitError(f"HubExtras.login_interfaces has an empty label for {path!r}: name each interface.")
            if not (isinstance(path, str) and INTERFACE_PATH.fullmatch(path) and ".." not in path.split("/")):
                raise TraitError(
                    f"HubExtras.login_interfaces[{label!r}] is {path!r}: give the path inside the user's "
                    'server without a leading slash, for example "lab", "tree" or "rstudio".'
                )
        return proposal["value"]

    @property
    def contact_text(self) -> str:
        return self.contact or "a hub champion"

    @classmethod
    def from_config(cls, c: Config) -> HubExtras:
        """The settings as configured so far in `c` (used by the snippets)."""
        return cls(config=c)

    def template_vars(self) -> dict:
        """What the pages need, as `c.JupyterHub.template_vars` entries."""
        return {
            "hubextras": {
                "community_name": self.community_name,
                "champions_team": self.champions_team,
                "contact": self.contact_text,
                "logo_url": self.logo_url,
                "operated_by": self.operated_by,
                "funded_by": self.funded_by,
                "designed_by": self.designed_by,
                "announcements": list(self.announcements),
                "faq": list(self.faq),
                "login_interfaces": dict(self.login_interfaces),
            }
        }

    # -- one machine: home size and idle culling (docs/deploy-one-machine.md) ----------------------

    home_quota_bytes = Integer(
        0,
        config=True,
        help="""Soft limit on a person's home folder with the one-machine spawner, in bytes (for example
        `10 * 1024**3`). The home page and the spawn form show the usage against it; past it a start is
        refused with a message saying how much to delete. 0: no limit (the usage is still shown).
        Hard limits come from filesystem quotas (see docs/deploy-one-machine.md).""",
    )

    idle_culler_enabled = Bool(
        True,
        config=True,
        help="""Run jupyterhub-idle-culler as a managed service (named `idle-culler`), which stops servers
        idle for `idle_timeout` seconds. False: no culler.""",
    )

    idle_timeout = Integer(
        3600, config=True, help="Seconds without activity after which the idle culler stops a server."
    )

    idle_max_age = Integer(
        0, config=True, help="Seconds after which the idle culler stops a server even if it is active; 0: no limit."
    )

    idle_cull_every = Integer(
        0, config=True, help="Seconds between the idle culler's checks; 0: half of `idle_timeout`."
    )

    idle_concurrency = Integer(
        10, config=True, help="Most hub API requests the idle culler makes at once (kind to a busy hub)."
    )

    idle_cull_users = Bool(
        False,
        config=True,
        help="""Also delete users who have been idle for `idle_timeout` (for hubs of temporary users).
        False: only servers are stopped; people and their homes stay.""",
    )


def configured(section, name: str, default=None):
    """A config value if the operator set it, else `default` (unset traitlets config is lazy)."""
    return section[name] if name in section else default


def add_role(c: Config, name: str, *, scopes=(), groups=(), users=(), services=(), description: str = "") -> dict:
    """Add or extend the `load_roles` entry `name`; running it twice changes nothing."""
    roles = list(configured(c.JupyterHub, "load_roles", []))
    role = next((r for r in roles if r.get("name") == name), None)
    if role is None:
        role = {"name": name, "description": description}
        roles.append(role)
    for key, values in (("scopes", scopes), ("groups", groups), ("users", users), ("services", services)):
        merged = list(role.get(key, []))
        merged += [v for v in values if v and v not in merged]
        if merged:
            role[key] = merged
    c.JupyterHub.load_roles = roles
    return role


def add_service(c: Config, service: dict) -> None:
    """Add or replace the service named `service["name"]` in `c.JupyterHub.services`."""
    services = [s for s in configured(c.JupyterHub, "services", []) if s.get("name") != service["name"]]
    c.JupyterHub.services = services + [service]


def add_custom_scopes(c: Config, scopes: dict) -> None:
    """Declare custom scopes (`custom:...`) once, keeping any the operator declared."""
    c.JupyterHub.custom_scopes = {**configured(c.JupyterHub, "custom_scopes", {}), **scopes}


def service_url(c: Config, name: str, url: str | None = None) -> str:
    """Where a managed service listens: `url` if the operator gave one, else the URL it was already
    registered with (so a snippet run twice changes nothing), else a free port on 127.0.0.1."""
    if url:
        return url
    for service in configured(c.JupyterHub, "services", []):
        if service.get("name") == name and service.get("url"):
            return service["url"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# --- the champions' services --------------------------------------------------------------------------------


def service_settings(c: Config, section: str, service_class, name: str = "") -> dict:
    """The operator's `c.<section>.*` settings, refused at config time (SystemExit: the hub does not start)
    when one is not a setting of `service_class`, naming it and the valid ones."""
    valid = sorted(service_class.class_trait_names(config=True))
    given = dict(c[section].items()) if section in c else {}
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise SystemExit(
            f"hubextras: c.{section}.{unknown[0]} is not a setting of the {name or section} service. "
            f"Its settings are: {', '.join(valid)}. Fix or remove the line that sets it."
        )
    return given


def _command_value(value) -> str:
    # traitlets reads `--Class.trait=value` literally for strings and as a Python literal for the rest
    return value if isinstance(value, str) else repr(value)


def add_managed_service(
    c: Config,
    service_class,
    *,
    module: str,
    settings: dict,
    oauth_scopes=(),
    environment: dict | None = None,
    info: dict | None = None,
    name: str = "",
) -> dict:
    """Register `service_class` (a `ServiceApplication`) as a hub-managed service running `python -m module`
    with `settings` as its traits: where it listens (`service_url`, else a kept free port), its OAuth scopes
    plus the navigation ones, the role that lets it read the hub's services (for the Services menu), and the
    hub's pid (it stops when the hub is gone)."""
    from .scopes import NAVIGATION_SCOPES, SERVICES_ROLE, SERVICES_ROLE_SCOPES

    name = name or service_class.service_name
    section = service_class.__name__
    settings = dict(settings)
    url = service_url(c, name, settings.pop("service_url", None))
    service = {
        "name": name,
        "url": url,
        "command": [sys.executable, "-m", module]
        + [f"--{section}.{key}={_command_value(value)}" for key, value in sorted(settings.items())],
        "oauth_client_allowed_scopes": list(dict.fromkeys([*oauth_scopes, *NAVIGATION_SCOPES])),
        "oauth_no_confirm": True,  # the hub's own services: no "authorize this app" page
        "display": True,
        "environment": {"HUBEXTRAS_HUB_PID": str(os.getpid()), **(environment or {})},
    }
    if info:
        service["info"] = info
    add_service(c, service)
    add_role(c, SERVICES_ROLE, scopes=SERVICES_ROLE_SCOPES, services=[name],
             description="hubextras' services: read the hub's services, to draw its Services menu")
    return service


def hub_has_extra_user_scopes(hub_class=None) -> bool:
    """Whether the installed JupyterHub has `JupyterHub.extra_user_scopes` (JupyterHub 6 on)."""
    if hub_class is None:
        from jupyterhub.app import JupyterHub as hub_class
    return "extra_user_scopes" in hub_class.class_trait_names()


def grant_every_user(c: Config, scopes, hub_class=None) -> None:
    """Give every user `scopes` on any JupyterHub: `extra_user_scopes` where the hub has it and no `user` role
    is configured; else the `user` role (with `self`, which a configured `user` role otherwise replaces)."""
    from .scopes import USER_ROLE

    scopes = list(scopes)
    has_user_role = any(role.get("name") == USER_ROLE for role in configured(c.JupyterHub, "load_roles", []))
    if hub_has_extra_user_scopes(hub_class) and not has_user_role:
        kept = [s for s in configured(c.JupyterHub, "extra_user_scopes", []) if s not in scopes]
        c.JupyterHub.extra_user_scopes = kept + scopes
        return
    add_role(c, USER_ROLE, scopes=["self", *scopes] if not has_user_role else scopes,
             description="Every user: their own things, and what hubextras' services let everyone do")


def admin_names(c: Config) -> list[str]:
    """The hub's admin users as configured in any authenticator section."""
    sections = ("Authenticator", "OAuthenticator", "GitHubOAuthenticator", "GitHubTeamsAuthenticator")
    return sorted(set().union(*(configured(c[section], "admin_users", set()) for section in sections)))


def admin_groups(c: Config) -> list[str]:
    """The JupyterHub groups of the configured GitHub `admin_teams`."""
    from .auth.teams import parse_team

    return sorted(str(parse_team(team)) for team in configured(c.GitHubTeamsAuthenticator, "admin_teams", set()))


def add_champions_role(c: Config) -> dict:
    """The champions' role, granted to the champions team's group; the services add their scopes to it."""
    from .scopes import CHAMPIONS_ROLE

    champions = HubExtras.from_config(c).champions_team
    return add_role(c, CHAMPIONS_ROLE, description="Hub champions: run the community's shared data and servers panels",
                    groups=[champions] if champions else [])


def add_shared_data(c: Config) -> dict:
    """The shared-data service (docs/shared-data-operators.md): champions and admins write, every user reads."""
    from .scopes import CHAMPIONS_ROLE, SHARED_DATA_ADMINS_ROLE, SHARED_DATA_SERVICE, SHARED_DATA_WRITE, access_scope
    from .services.shared_data.app import SharedDataService

    extras = HubExtras.from_config(c)
    settings = {"shared_dir": extras.shared_dir, "quota_bytes": extras.shared_quota_bytes,
                **service_settings(c, "SharedDataService", SharedDataService, SHARED_DATA_SERVICE)}
    write = settings.get("write_scope", SHARED_DATA_WRITE)
    read = access_scope(SHARED_DATA_SERVICE)
    add_custom_scopes(
        c, {write: {"description": "Change the community's shared data: upload, folders, move, delete, pull."}}
    )
    service = add_managed_service(
        c, SharedDataService, module="hubextras.services.shared_data", settings=settings, oauth_scopes=[write],
        info={"description": "The community's shared data, read-only at ~/shared in every server"},
        name=SHARED_DATA_SERVICE,
    )
    add_role(c, CHAMPIONS_ROLE, scopes=[read, write])
    # the built-in admin role cannot be extended: a role of ours carries the write scope to the hub's admins
    add_role(c, SHARED_DATA_ADMINS_ROLE, description="Hub admins: change the shared data, as champions do",
             scopes=[read, write], groups=admin_groups(c), users=admin_names(c))
    grant_every_user(c, [read])
    return service


def add_servers_panel(c: Config) -> dict:
    """The servers panel (docs/servers-panel-operators.md), acting with each champion's own token."""
    from .scopes import CHAMPIONS_ROLE, SERVERS_PANEL_SCOPES, access_scope
    from .services.servers_panel.app import ServersPanel

    settings = {"data_dir": os.path.abspath("servers-panel"),
                **service_settings(c, "ServersPanel", ServersPanel, ServersPanel.service_name)}
    service = add_managed_service(
        c, ServersPanel, module="hubextras.services.servers_panel", settings=settings,
        oauth_scopes=SERVERS_PANEL_SCOPES,
        environment={"HUBEXTRAS_COMMUNITY_NAME": HubExtras.from_config(c).community_name},
        info={"description": "Every user's servers: stop, restart or start them"},
    )
    add_role(c, CHAMPIONS_ROLE, scopes=[*SERVERS_PANEL_SCOPES, access_scope(ServersPanel.service_name)])
    return service
