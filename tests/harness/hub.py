"""A real `jupyterhub` process with its real proxy on 127.0.0.1, signed in to through the GitHub stand-in.

Used by the tests and the benchmarks (the demo has its own launcher, `hubextras.demo`):

    hub = HubProcess(workdir, pre_config="c.HubExtras.community_name = 'X'")
    hub.start()
    session = hub.login("alice")          # the real OAuth flow against the stand-in
    hub.api("GET", "/users").json()        # the REST API with an admin service token
    hub.stop()
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from urllib.parse import urljoin

import requests

from hubextras.testing.github import DEMO_COMMUNITY, GitHubStandIn

from .isolation import IsolatedPlace, needs_root

REPO_DIR = Path(__file__).resolve().parents[2]
ADMIN_SERVICE = "hubextras-test-admin"
ADMIN_SCOPES = [
    "admin:users", "admin:servers", "admin:groups", "admin:auth_state", "tokens", "list:users",
    "read:users", "read:servers", "read:groups", "list:groups", "list:services", "read:services",
    "read:roles", "access:servers", "access:services", "read:metrics", "admin-ui", "shares", "read:shares",
]


class LoginRefused(Exception):
    """The hub refused a sign-in; `.status` and `.page` say how."""

    def __init__(self, status: int, page: str):
        super().__init__(f"sign-in refused with HTTP {status}")
        self.status, self.page = status, page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proxy_command(kind: str = "npm") -> list[str]:
    """JupyterHub's standard proxy from npm (installed in the project), else the pure-Python one."""
    npm_proxy = REPO_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
    if kind == "npm" and npm_proxy.exists() and shutil.which("node"):
        return [str(npm_proxy)]
    if kind == "npm":
        message = f"npm configurable-http-proxy missing at {npm_proxy}: run `npm install` in {REPO_DIR}"
        if os.environ.get("CI"):
            raise RuntimeError(message)
        warnings.warn(message + "; using the pure-Python proxy instead", stacklevel=2)
    python_proxy = Path(sys.executable).with_name("configurable-http-proxy")
    return [str(python_proxy) if python_proxy.exists() else "configurable-http-proxy"]


class HubProcess:
    """One hub: stand-in, proxy and hub on free ports of 127.0.0.1, state in `workdir`."""

    def __init__(
        self,
        workdir: str | Path,
        *,
        community=None,
        pre_config: str = "",
        config: str = "",
        proxy: str = "npm",
        env: dict | None = None,
        standin: GitHubStandIn | None = None,
        allowed_teams=("demo-org:hub-users", "demo-org:students"),
        admin_teams=("demo-org:hub-admins",),
        port: int | None = None,
        real_github: bool = False,
    ):
        self.workdir = Path(workdir)
        self.community = community if community is not None else DEMO_COMMUNITY
        self.pre_config, self.config = pre_config, config
        self.proxy, self.extra_env = proxy, env or {}
        self.standin, self._own_standin = standin, standin is None
        self.allowed_teams, self.admin_teams = set(allowed_teams), set(admin_teams)
        self.real_github = real_github
        self.port, self.hub_port, self.proxy_api_port = port or free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.hub_api_url = f"{self.url}/hub/api"
        self.api_token = secrets.token_hex(16)
        self.crypt_key = secrets.token_hex(32)
        self.proc: subprocess.Popen | None = None
        # as root, servers run as accounts: each hub gets its own account prefix, homes and cgroup parent, so hubs
        # running side by side never share (or remove) each other's accounts and cgroups
        self.place: IsolatedPlace | None = None
        self.log_path = self.workdir / "jupyterhub.log"

    # --- lifecycle ---------------------------------------------------------------------------

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.place is None and not needs_root:
            self.place = IsolatedPlace.make()
        shared = self.workdir / "shared"
        if self.place is not None and not shared.exists():
            shared.symlink_to(self.place.shared)  # the real folder is one every account can reach
        shared.mkdir(exist_ok=True)
        isolation = "" if self.place is None else f"""
        c.ProfilesLocalSpawner.account_template = "{self.place.prefix}{{username}}"
        c.ProfilesLocalSpawner.account_home_template = "{self.place.base}/home/{{account}}"
        c.ProfilesLocalSpawner.cgroup_parent = "{self.place.cgroup_parent}"
        """
        settings = f"""
        import os, sys
        c = get_config()  # noqa
        c.JupyterHub.ip = "127.0.0.1"
        c.JupyterHub.port = {self.port}
        c.JupyterHub.hub_ip = "127.0.0.1"
        c.JupyterHub.hub_port = {self.hub_port}
        c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.proxy_api_port}"
        c.ConfigurableHTTPProxy.command = {proxy_command(self.proxy)!r}
        c.JupyterHub.db_url = "sqlite:///{self.workdir}/jupyterhub.sqlite"
        c.JupyterHub.cookie_secret_file = "{self.workdir}/jupyterhub_cookie_secret"
        c.JupyterHub.pid_file = "{self.workdir}/jupyterhub.pid"
        c.JupyterHub.log_level = "DEBUG" if os.environ.get("HUBEXTRAS_DEBUG") else "INFO"
        c.GitHubOAuthenticator.oauth_callback_url = "{self.url}/hub/oauth_callback"
        c.GitHubTeamsAuthenticator.allowed_teams = {self.allowed_teams!r}
        c.GitHubTeamsAuthenticator.admin_teams = {self.admin_teams!r}
        c.HubExtras.community_name = "Test Community"
        c.HubExtras.champions_team = "demo-org:hub-champions"
        c.HubExtras.shared_dir = "{shared.resolve()}"
        c.SimpleLocalProcessSpawner.home_dir_template = "{self.workdir}/home/{{username}}"
        """ + isolation
        if not self.real_github:
            settings += f"""
        c.GitHubOAuthenticator.github_url = "{self.standin.url}"
        c.GitHubOAuthenticator.client_id = "hubextras-test"
        c.GitHubOAuthenticator.client_secret = "hubextras-test-secret"
        """
        admin_service = f"""
        from hubextras.config import add_role, add_service
        add_service(c, {{"name": "{ADMIN_SERVICE}", "api_token": "{self.api_token}"}})
        add_role(c, "{ADMIN_SERVICE}", scopes={ADMIN_SCOPES!r}, services=["{ADMIN_SERVICE}"])
        if "spawner_class" not in c.JupyterHub:
            c.JupyterHub.spawner_class = "simple"
            if os.geteuid() == 0:
                c.Spawner.args = ["--allow-root"]
        """
        text = "\n".join(
            [
                textwrap.dedent(settings),
                "# --- pre_config",
                textwrap.dedent(self.pre_config),
                "from hubextras.config import load_config_d",
                "load_config_d(c)",
                textwrap.dedent(admin_service),
                "# --- config",
                textwrap.dedent(self.config),
            ]
        )
        path = self.workdir / "jupyterhub_config.py"
        path.write_text(text)
        return path

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            JUPYTERHUB_CRYPT_KEY=self.crypt_key,
            CONFIGPROXY_AUTH_TOKEN=self.crypt_key[:32],
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 90) -> HubProcess:
        if self.standin is None and not self.real_github:
            self.standin = GitHubStandIn(self.community)
            self.standin.start()
        config_path = self.write_config()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config_path)],
            cwd=self.workdir,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.hub_api_url}/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"jupyterhub did not answer within {timeout}s:\n{self.log_tail()}")

    def stop(self, *, keep_standin: bool = False, keep_place: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None
        if self.standin is not None and self._own_standin and not keep_standin:
            self.standin.stop()
            self.standin = None
        if self.place is not None and not keep_place:
            self.place.cleanup()
            self.place = None

    def restart(self, timeout: float = 90) -> None:
        """Stop and start the hub (same ports, database and stand-in)."""
        self.stop(keep_standin=True, keep_place=True)
        self.start(timeout)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- talking to it ---------------------------------------------------------------------

    def api(self, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        """A REST API request (`path` below /hub/api), with the admin service's token by default."""
        headers = {"Authorization": f"token {token or self.api_token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.hub_api_url}{path}", headers=headers, timeout=60, **kwargs)

    def login(self, username: str, *, next_url: str = "", before_callback=None) -> requests.Session:
        """Sign in through the real OAuth flow (hub -> stand-in authorize -> hub callback).

        `before_callback()` runs after GitHub authorized and before the hub's callback (to break GitHub there).
        """
        session = requests.Session()
        r = session.get(f"{self.url}/hub/oauth_login", params={"next": next_url}, allow_redirects=False, timeout=30)
        if r.status_code != 302:
            raise LoginRefused(r.status_code, r.text)
        authorize = r.headers["Location"]
        r = session.get(authorize, params={"login": username}, allow_redirects=False, timeout=30)
        if r.status_code != 302:
            raise LoginRefused(r.status_code, r.text)
        if before_callback is not None:
            before_callback()
        r = session.get(urljoin(self.url, r.headers["Location"]), allow_redirects=False, timeout=60)
        if r.status_code != 302:
            raise LoginRefused(r.status_code, r.text)
        return session

    def user_token(self, username: str, scopes: list[str] | None = None) -> str:
        """An API token of `username` (all their own permissions unless `scopes` narrows it)."""
        body = {"note": "hubextras tests"} | ({"scopes": scopes} if scopes else {})
        r = self.api("POST", f"/users/{username}/tokens", json=body)
        r.raise_for_status()
        return r.json()["token"]

    def wait_for_server(self, username: str, name: str = "", timeout: float = 90) -> dict:
        """Wait until the user's server is ready; returns the server model."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"/users/{username}").json().get("servers", {}).get(name)
            if server and server.get("ready"):
                return server
            time.sleep(0.3)
        raise TimeoutError(f"{username}'s server was not ready within {timeout}s:\n{self.log_tail()}")
