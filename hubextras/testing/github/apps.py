"""GitHub Apps in the stand-in: the device flow, installation tokens, and repositories over git's smart HTTP.

What GitHub documents, kept small:

- ``POST /login/device/code`` (``client_id`` of a registered app) gives a ``device_code``, a ``user_code``,
  ``verification_uri`` (``/login/device`` here: a page where a person enters the code and picks who they
  are) and ``interval``; ``POST /login/oauth/access_token`` with ``grant_type=urn:ietf:params:oauth:grant-
  type:device_code`` answers ``authorization_pending``, ``slow_down`` (polled faster than ``interval``),
  ``expired_token``, ``access_denied``, ``incorrect_device_code``, or an expiring user token (``ghu_``,
  ``expires_in``: ``user_token_seconds``).
- ``GET /repos/{owner}/{repo}/installation`` and ``POST /app/installations/{id}/access_tokens`` take a JWT
  (RS256, ``iss`` = the app id, at most ten minutes long) signed with the app's private key; the token
  (``ghs_``, one hour) reads the installation's repositories, or only those the body's ``repositories`` names.
- ``/{owner}/{repo}.git/...`` is served by ``git http-backend``: public repositories read without a token;
  private ones with a collaborator's user token or an installation token that covers them; pushes need a
  collaborator's user token. Tokens go in as the Basic password (``x-access-token:<token>``), as on GitHub.

Set it up with ``apps_of(standin)``: ``register_app``, ``add_repository``; ``listen_tls`` also serves the
stand-in over https (for clients that only know https://github.com, reached through a proxy).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from .handlers import _StandInHandler
from .representations import JSON_TYPE, TOKEN_ALPHABET

if TYPE_CHECKING:
    from .server import GitHubStandIn

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CODE_SECONDS = 900
INSTALLATION_TOKEN_SECONDS = 3600
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ0123456789"
DOCS_APPS = "https://docs.github.com/rest/apps/apps"


@dataclass
class Installation:
    id: int
    account: str
    repositories: list[str]  # full names (owner/repo)


@dataclass
class App:
    app_id: int
    client_id: str
    public_key_pem: str
    slug: str
    installations: dict[int, Installation] = field(default_factory=dict)


@dataclass
class Repository:
    full_name: str
    path: Path
    private: bool
    collaborators: set[str]


@dataclass
class DeviceAuthorization:
    device_code: str
    user_code: str
    client_id: str
    expires_at: float
    interval: int
    login: str = ""
    denied: bool = False
    last_poll: float = 0.0


@dataclass(frozen=True)
class IssuedToken:
    expires_at: float
    login: str = ""  # a user token (device flow)
    installation: int = 0  # an installation token
    repositories: tuple[str, ...] = ()


def _token(prefix: str) -> str:
    return prefix + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(36))


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Apps:
    """The stand-in's GitHub Apps, their installations, repositories and the tokens issued for them."""

    def __init__(self) -> None:
        self.user_token_seconds = 28800  # GitHub's expiring user tokens: eight hours
        self.device_interval = 5
        self.git_root: Path | None = None
        self.apps: dict[int, App] = {}
        self.repositories: dict[str, Repository] = {}
        self.devices: dict[str, DeviceAuthorization] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.lock = threading.Lock()

    # -- setting it up ----------------------------------------------------------

    def register_app(self, app_id: int, client_id: str, public_key_pem: str, slug: str = "hub-push") -> App:
        app = App(app_id, client_id, public_key_pem, slug)
        self.apps[app_id] = app
        return app

    def install(self, app_id: int, installation_id: int, account: str, repositories: list[str]) -> Installation:
        installation = Installation(installation_id, account, list(repositories))
        self.apps[app_id].installations[installation_id] = installation
        return installation

    def add_repository(self, full_name: str, *, private: bool = False, collaborators=(), files=None) -> Repository:
        """A bare repository under ``git_root`` with one commit on ``main`` holding ``files`` ({path: text})."""
        if self.git_root is None:
            raise RuntimeError("Set apps.git_root (a folder for the repositories) first.")
        path = self.git_root / f"{full_name}.git"
        work = self.git_root / ".work" / full_name
        work.mkdir(parents=True)
        for name, text in (files or {"README.md": f"# {full_name}\n"}).items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_text(text)
        env = {**os.environ, "GIT_AUTHOR_NAME": "stand-in", "GIT_AUTHOR_EMAIL": "standin@example.org",
               "GIT_COMMITTER_NAME": "stand-in", "GIT_COMMITTER_EMAIL": "standin@example.org"}
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "First"]):
            subprocess.run(["git", *args], cwd=work, env=env, check=True)
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(path)], env=env, check=True)
        repository = Repository(full_name, path, private, set(collaborators))
        self.repositories[full_name] = repository
        return repository

    # -- the device flow ----------------------------------------------------------

    def app_by_client_id(self, client_id: str) -> App | None:
        return next((app for app in self.apps.values() if app.client_id == client_id), None)

    def start_device(self, client_id: str) -> DeviceAuthorization:
        code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
        device = DeviceAuthorization(secrets.token_hex(20), f"{code[:4]}-{code[4:]}", client_id,
                                     time.time() + DEVICE_CODE_SECONDS, self.device_interval)
        with self.lock:
            self.devices[device.device_code] = device
        return device

    def device_by_user_code(self, user_code: str) -> DeviceAuthorization | None:
        wanted = user_code.strip().upper().replace(" ", "")
        if len(wanted) == 8:
            wanted = f"{wanted[:4]}-{wanted[4:]}"
        return next((d for d in self.devices.values() if d.user_code == wanted and d.expires_at > time.time()), None)

    def device_grant(self, params: dict[str, str]) -> dict[str, Any]:
        """The token endpoint's answer to a device-code poll."""
        device = self.devices.get(params.get("device_code", ""))
        if device is None or device.client_id != params.get("client_id"):
            return _error("incorrect_device_code", "The device_code provided is not valid.")
        now = time.time()
        if device.expires_at <= now:
            return _error("expired_token", "The device code has expired.")
        if device.denied:
            return _error("access_denied", "The authorization request was denied.")
        if not device.login:
            too_fast = now - device.last_poll < device.interval
            device.last_poll = now
            if too_fast:
                device.interval += 5
                return {**_error("slow_down", "Too many requests have been made in the same timeframe."),
                        "interval": device.interval}
            return _error("authorization_pending", "The authorization request is still pending.")
        with self.lock:
            self.devices.pop(device.device_code, None)
        token = _token("ghu_")
        self.tokens[token] = IssuedToken(now + self.user_token_seconds, login=device.login)
        return {"access_token": token, "expires_in": self.user_token_seconds, "refresh_token": _token("ghr_"),
                "refresh_token_expires_in": 15897600, "token_type": "bearer", "scope": ""}

    # -- app JWTs and installation tokens -------------------------------------------

    def app_for_jwt(self, authorization: str) -> tuple[App | None, str]:
        """The app a JWT was signed by, or None and GitHub's message."""
        import jwt

        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None, "A JSON web token could not be decoded"
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            app = self.apps.get(int(claims.get("iss", 0)))
        except (jwt.PyJWTError, ValueError, TypeError):
            return None, "A JSON web token could not be decoded"
        if app is None:
            return None, "Integration not found"
        try:
            claims = jwt.decode(token, app.public_key_pem, algorithms=["RS256"], options={"require": ["iat", "exp"]})
        except jwt.ExpiredSignatureError:
            return None, "'Expiration time' claim ('exp') must be a numeric value representing the future time"
        except jwt.PyJWTError:
            return None, "A JSON web token could not be decoded"
        if claims["exp"] - claims["iat"] > 600 + 60:
            return None, "'Expiration time' claim ('exp') is too far in the future"
        return app, ""

    def issue_installation_token(self, installation: Installation, repositories: list[str] | None) -> dict:
        covered = installation.repositories
        if repositories is not None:
            names = [f"{installation.account}/{name}" if "/" not in name else name for name in repositories]
            covered = [name for name in names if name in installation.repositories]
        token, expires = _token("ghs_"), time.time() + INSTALLATION_TOKEN_SECONDS
        self.tokens[token] = IssuedToken(expires, installation=installation.id, repositories=tuple(covered))
        return {
            "token": token, "expires_at": _iso(expires), "permissions": {"contents": "read", "metadata": "read"},
            "repository_selection": "selected",
            "repositories": [{"name": name.split("/", 1)[1], "full_name": name, "private": self._private(name)}
                             for name in covered],
        }

    def _private(self, full_name: str) -> bool:
        repository = self.repositories.get(full_name)
        return bool(repository and repository.private)

    # -- git access -----------------------------------------------------------------

    def valid(self, token: str) -> bool:
        issued = self.tokens.get(token)
        return issued is not None and issued.expires_at > time.time()

    def may(self, repository: Repository, token: str, push: bool) -> bool:
        issued = self.tokens.get(token)
        if issued is not None and issued.expires_at <= time.time():
            issued = None
        if push:
            return issued is not None and issued.login in repository.collaborators
        if not repository.private:
            return True
        if issued is None:
            return False
        return issued.login in repository.collaborators or repository.full_name in issued.repositories


def _error(code: str, description: str) -> dict[str, str]:
    return {"error": code, "error_description": description,
            "error_uri": "https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow"}


def apps_of(standin: GitHubStandIn) -> Apps:
    """The stand-in's apps (made on first use)."""
    apps = getattr(standin, "apps", None)
    if apps is None:
        apps = standin.apps = Apps()
    return apps


def listen_tls(standin: GitHubStandIn, certfile: str, keyfile: str) -> int:
    """Also serve the running stand-in over https on a free port of its host; returns the port."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    ports: list[int] = []

    def listen() -> None:
        sockets = bind_sockets(0, standin.host)
        server = HTTPServer(standin._app, ssl_options=context)
        server.add_sockets(sockets)
        ports.append(sockets[0].getsockname()[1])

    standin._call_in_loop(listen)
    return ports[0]


class _AppsHandler(_StandInHandler):
    @property
    def apps(self) -> Apps:
        return apps_of(self.standin)

    def send_json(self, status: int, data: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", JSON_TYPE)
        self.finish(json.dumps(data, separators=(",", ":")))

    def params(self) -> dict[str, str]:
        params = {k: self.get_argument(k) for k in self.request.arguments}
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            try:
                body = json.loads(self.request.body or b"{}")
            except ValueError:
                body = {}
            if isinstance(body, dict):
                params.update({k: str(v) for k, v in body.items()})
        return params


class DeviceCodeHandler(_AppsHandler):
    """POST /login/device/code: a device code and a user code for a registered app's client id."""

    endpoint = "/login/device/code"

    def post(self) -> None:
        client_id = self.params().get("client_id", "")
        if self.apps.app_by_client_id(client_id) is None:
            return self.send_json(404, {"error": "Not Found"})
        device = self.apps.start_device(client_id)
        self.send_json(200, {
            "device_code": device.device_code, "user_code": device.user_code,
            "verification_uri": f"{self.web_base}/login/device", "expires_in": DEVICE_CODE_SECONDS,
            "interval": device.interval,
        })


class DevicePageHandler(_AppsHandler):
    """GET /login/device: enter the code and pick who you are; POST: authorize (or cancel) that device."""

    endpoint = "/login/device"

    def get(self) -> None:
        self.page(200, "Device activation", self._form())

    def post(self) -> None:
        import html

        device = self.apps.device_by_user_code(self.get_argument("user_code", ""))
        if device is None:
            return self.page(400, "Device activation", "<h1>Unknown code</h1><p>That code is not valid or has "
                             "expired. Check it, or ask the application for a new one.</p>" + self._form())
        if self.get_argument("deny", ""):
            device.denied = True
            return self.page(200, "Device activation", "<h1>Cancelled</h1><p>The device was not authorized.</p>")
        login = self.get_argument("login", "")
        if self.standin.community.user(login) is None:
            return self.page(400, "Device activation", f"<h1>Unknown user</h1><p>No user <code>"
                             f"{html.escape(login)}</code> here.</p>" + self._form())
        device.login = login
        self.page(200, "Device activation", f"<h1>Congratulations, you're all set!</h1><p>{html.escape(login)}, "
                  "your device is now connected.</p>")

    def _form(self) -> str:
        import html

        with self.standin.community.lock:
            logins = list(self.standin.community.users)
        options = "".join(f'<option value="{html.escape(login)}">{html.escape(login)}</option>' for login in logins)
        return ("<h1>Device activation</h1><p class=note>This is a stand-in for GitHub on this machine.</p>"
                '<form method="post" action="/login/device">'
                '<p><label for="user_code">Code shown by the device</label> '
                '<input id="user_code" name="user_code" autocomplete="off" required></p>'
                f'<p><label for="login">Who you are</label> <select id="login" name="login">{options}</select></p>'
                '<button type="submit">Continue</button> '
                '<button type="submit" name="deny" value="1" class="deny">Cancel</button></form>')


class RepositoryInstallationHandler(_AppsHandler):
    """GET /repos/{owner}/{repo}/installation (app JWT): the installation of the app that covers the repository."""

    endpoint = "/repos/{owner}/{repo}/installation"

    def get(self, owner: str, repo: str) -> None:
        app, message = self.apps.app_for_jwt(self.request.headers.get("Authorization", ""))
        if app is None:
            return self.send_json(401, {"message": message, "documentation_url": DOCS_APPS, "status": "401"})
        for installation in app.installations.values():
            if f"{owner}/{repo}" in installation.repositories:
                return self.send_json(200, {"id": installation.id, "app_id": app.app_id, "app_slug": app.slug,
                                            "account": {"login": installation.account},
                                            "repository_selection": "selected"})
        self.send_json(404, {"message": "Not Found", "documentation_url": DOCS_APPS, "status": "404"})


class InstallationTokenHandler(_AppsHandler):
    """POST /app/installations/{id}/access_tokens (app JWT): an installation token, one hour long."""

    endpoint = "/app/installations/{installation_id}/access_tokens"

    def post(self, installation_id: str) -> None:
        app, message = self.apps.app_for_jwt(self.request.headers.get("Authorization", ""))
        if app is None:
            return self.send_json(401, {"message": message, "documentation_url": DOCS_APPS, "status": "401"})
        installation = app.installations.get(int(installation_id))
        if installation is None:
            return self.send_json(404, {"message": "Not Found", "documentation_url": DOCS_APPS, "status": "404"})
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            return self.send_json(400, {"message": "Problems parsing JSON", "status": "400"})
        repositories = body.get("repositories") if isinstance(body, dict) else None
        if repositories is not None and not (isinstance(repositories, list)
                                             and all(isinstance(r, str) for r in repositories)):
            return self.send_json(422, {"message": "Invalid request: repositories must be a list of names",
                                        "status": "422"})
        self.send_json(201, self.apps.issue_installation_token(installation, repositories))


class GitHandler(_AppsHandler):
    """/{owner}/{repo}.git/...: git's smart HTTP through ``git http-backend``, with GitHub's token rules."""

    endpoint = "/{owner}/{repo}.git"

    def check_xsrf_cookie(self) -> None:
        return None

    async def get(self, owner: str, repo: str, rest: str) -> None:
        await self._serve(owner, repo, rest)

    async def post(self, owner: str, repo: str, rest: str) -> None:
        await self._serve(owner, repo, rest)

    def _token(self) -> str:
        scheme, _, encoded = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return ""
        try:
            return base64.b64decode(encoded).decode().partition(":")[2]
        except ValueError:
            return ""

    async def _serve(self, owner: str, repo: str, rest: str) -> None:
        apps = self.apps
        repository = apps.repositories.get(f"{owner}/{repo}")
        push = self.get_argument("service", "") == "git-receive-pack" or rest == "git-receive-pack"
        token = self._token()
        if repository is None or not apps.may(repository, token, push):
            if not token or not apps.valid(token):  # none, unknown or expired: git asks for credentials again
                if token:
                    self.write("remote: Invalid username or token. Password authentication is not supported.\n")
                self.set_header("WWW-Authenticate", 'Basic realm="GitHub"')
                self.set_status(401)
                return self.finish()
            self.set_status(403 if repository is not None and push and apps.may(repository, token, False) else 404)
            return self.finish("Permission denied\n" if self.get_status() == 403 else "Repository not found.\n")
        issued = apps.tokens.get(token)
        env = {
            "PATH": os.environ.get("PATH", os.defpath), "GIT_PROJECT_ROOT": str(apps.git_root),
            "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": f"/{owner}/{repo}.git/{rest}",
            "REQUEST_METHOD": self.request.method, "QUERY_STRING": self.request.query,
            "CONTENT_TYPE": self.request.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(self.request.body)),
            "REMOTE_USER": (issued.login if issued and issued.login else "") if push else "",
            "REMOTE_ADDR": self.request.remote_ip or "",
        }
        if self.request.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.request.headers["Content-Encoding"]
        if self.request.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.request.headers["Git-Protocol"]
        process = await asyncio.create_subprocess_exec(
            "git", "http-backend", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
        )
        out, _ = await process.communicate(self.request.body)
        head, _, body = out.partition(b"\r\n\r\n")
        if not _ and b"\n\n" in out:
            head, _, body = out.partition(b"\n\n")
        status = 200
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                self.set_header(name.strip(), value.strip())
        self.set_status(status)
        self.finish(body)


OAUTH_ROUTES = [
    (r"/login/device/code", DeviceCodeHandler),
    (r"/login/device", DevicePageHandler),
    (r"/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)\.git/(.*)", GitHandler),
]
API_ROUTES = [
    (r"/repos/([^/]+)/([^/]+)/installation", RepositoryInstallationHandler),
    (r"/app/installations/(\d+)/access_tokens", InstallationTokenHandler),
]

