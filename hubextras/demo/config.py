"""The demo hub's jupyterhub_config.py: what an operator of a one-machine hub writes, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .people import ADMIN_TEAMS, ALLOWED_TEAMS, CHAMPIONS_TEAM

COMMUNITY_NAME = "hubextras demo"
# the hub's own files (database, secrets, log) apart from people's homes and the shared folder,
# which servers run as people's own accounts must reach
HUB_FOLDER = "hub"
DEMO_CLIENT_ID = "hubextras-demo"


@dataclass
class DemoSettings:
    state: Path
    port: int
    hub_port: int
    proxy_api_port: int
    proxy_command: list[str]
    github_url: str | None = None  # the stand-in; None: github.com (client id and secret from the environment)
    allowed_teams: tuple[str, ...] = ALLOWED_TEAMS
    admin_teams: tuple[str, ...] = ADMIN_TEAMS
    champions_team: str = CHAMPIONS_TEAM
    community_name: str = COMMUNITY_NAME
    extra: list[str] = field(default_factory=list)


def config_text(s: DemoSettings) -> str:
    """The config file: ports on 127.0.0.1, state under `s.state`, sign-in, community, the bundled snippets."""
    state = s.state
    hub = state / HUB_FOLDER
    lines = [
        "# The hubextras demo hub, written by `python -m hubextras.demo`.",
        "from hubextras.config import load_config_d",
        "",
        "c = get_config()  # noqa: F821",
        f"c.JupyterHub.bind_url = 'http://127.0.0.1:{s.port}'",
        f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{s.hub_port}'",
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{s.proxy_api_port}'",
        f"c.ConfigurableHTTPProxy.command = {s.proxy_command!r}",
        f"c.JupyterHub.db_url = {'sqlite:///' + str(hub / 'jupyterhub.sqlite')!r}",
        f"c.JupyterHub.cookie_secret_file = {str(hub / 'jupyterhub_cookie_secret')!r}",
        "",
        f"c.GitHubOAuthenticator.oauth_callback_url = 'http://127.0.0.1:{s.port}/hub/oauth_callback'",
    ]
    if s.github_url:
        lines += [
            f"c.GitHubOAuthenticator.github_url = {s.github_url!r}  # the GitHub stand-in",
            f"c.GitHubOAuthenticator.client_id = {DEMO_CLIENT_ID!r}",
            f"c.GitHubOAuthenticator.client_secret = {DEMO_CLIENT_ID + '-secret'!r}",
        ]
    lines += [
        f"c.GitHubTeamsAuthenticator.allowed_teams = {set(s.allowed_teams)!r}",
        f"c.GitHubTeamsAuthenticator.admin_teams = {set(s.admin_teams)!r}",
        f"c.HubExtras.community_name = {s.community_name!r}",
        f"c.HubExtras.champions_team = {s.champions_team!r}",
        f"c.HubExtras.shared_dir = {str(state / 'shared')!r}",
        f"c.SimpleLocalProcessSpawner.home_dir_template = {str(state / 'home' / '{username}')!r}",
        *s.extra,
        "",
        "load_config_d(c)",
        "",
    ]
    return "\n".join(lines)
