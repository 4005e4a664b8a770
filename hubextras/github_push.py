"""Pushing to GitHub without a personal token, and pulling private repositories with the community's GitHub App.

People push with [gh-scoped-creds](https://github.com/jupyterhub/gh-scoped-creds): in their server they run
`gh-scoped-creds`, enter a code on GitHub (the device flow of the community's GitHub App) and get a token
that lasts eight hours and reaches only the repositories they installed the app on. Servers get the app's
public client id (`GH_SCOPED_CREDS_CLIENT_ID`) and its installation page (`GH_SCOPED_CREDS_APP_URL`).

Champions pull private repositories into the shared folder with an installation token of the same (or
another) app, minted by the shared-data service from the app id and private key the operator gives: one
hour long, read-only, narrowed to the one repository pulled. Never a person's token.
See docs/github-push-operators.md.
"""

from __future__ import annotations

import json
import os
import time
from urllib.parse import quote, urlsplit, urlunsplit

from traitlets import Integer, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

SETTINGS_VARIABLE = "HUBEXTRAS_GITHUB_APP"  # the shared-data service's settings: JSON of pull_settings()
JWT_SECONDS = 540  # GitHub accepts at most ten minutes; a little less leaves room for clock drift


class GitHubApp(LoggingConfigurable):
    """The community's GitHub App (snippet `92-github-push.py`)."""

    client_id = Unicode(
        "",
        config=True,
        help="""Client id of the GitHub App people push with (its "Client ID", public; the app needs
        "Enable Device Flow" and Contents: read and write). Servers get it as `GH_SCOPED_CREDS_CLIENT_ID`.
        Empty: gh-scoped-creds is not set up.""",
    )
    app_url = Unicode(
        "",
        config=True,
        help="""The app's public page, where people choose the repositories it may push to
        (`https://github.com/apps/<app-slug>`). Servers get it as `GH_SCOPED_CREDS_APP_URL`.""",
    )
    app_id = Integer(
        0,
        config=True,
        help="""App id of the GitHub App the shared-data service pulls private repositories with (install it on
        those repositories, Contents: read). 0: pulls reach public repositories only.""",
    )
    private_key_file = Unicode(
        "",
        config=True,
        help="""The app's private key (the .pem GitHub gives), readable by the hub's account only. The
        shared-data service reads it to sign the app's JWTs; it never reaches a server.""",
    )
    github_url = Unicode(
        "https://github.com",
        config=True,
        help="Where the repositories are (GitHub Enterprise: its address). Only pulls from here get a token.",
    )
    api_url = Unicode(
        "",
        config=True,
        help="GitHub's REST API (empty: https://api.github.com for github.com, else `<github_url>/api/v3`).",
    )

    @validate("github_url", "api_url")
    def _valid_url(self, proposal):
        value = proposal["value"].rstrip("/")
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise TraitError(f"`{value}` is not an http(s) URL.")
        return value

    def server_environment(self) -> dict[str, str]:
        """What every server gets for gh-scoped-creds."""
        env = {"GH_SCOPED_CREDS_CLIENT_ID": self.client_id} if self.client_id else {}
        if self.client_id and self.app_url:
            env["GH_SCOPED_CREDS_APP_URL"] = self.app_url
        return env

    def pull_settings(self) -> dict:
        api = self.api_url or ("https://api.github.com" if self.github_url == "https://github.com"
                               else f"{self.github_url}/api/v3")
        return {"app_id": self.app_id, "private_key_file": self.private_key_file, "github_url": self.github_url,
                "api_url": api}


def app_jwt(app_id: int, private_key: str, now: float | None = None) -> str:
    """The JWT GitHub wants from an app: RS256, issued a minute ago (clock drift), nine minutes long."""
    import jwt

    now = int(now if now is not None else time.time())
    return jwt.encode({"iat": now - 60, "exp": now + JWT_SECONDS, "iss": str(app_id)}, private_key, algorithm="RS256")


def repository_of(url: str, github_url: str) -> tuple[str, str] | None:
    """(owner, repo) when `url` is a repository on `github_url`; None for any other place."""
    parts, home = urlsplit(url), urlsplit(github_url)
    if (parts.scheme, parts.netloc.lower()) != (home.scheme, home.netloc.lower()) or "@" in parts.netloc:
        return None
    path = parts.path.strip("/").removesuffix(".git").split("/")
    if len(path) != 2 or not all(path):
        return None
    return path[0], path[1]


def with_token(url: str, token: str) -> str:
    """`url` carrying `token` as GitHub wants it for git: user `x-access-token`, the token as password."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"x-access-token:{quote(token, safe='')}@{parts.netloc}"))


async def installation_token_url(url: str) -> str:
    """For the shared-data service: `url` with a read-only installation token for that one repository, when the
    operator configured an app and it is installed there; else `url` unchanged (a public repository)."""
    settings = json.loads(os.environ.get(SETTINGS_VARIABLE) or "{}")
    if not settings.get("app_id"):
        return url
    repository = repository_of(url, settings["github_url"])
    if repository is None:
        return url
    from tornado.httpclient import AsyncHTTPClient, HTTPClientError

    with open(settings["private_key_file"], encoding="utf-8") as f:
        signed = app_jwt(settings["app_id"], f.read())
    headers = {"Authorization": f"Bearer {signed}", "Accept": "application/vnd.github+json",
               "User-Agent": "hubextras-shared-data"}
    client, (owner, repo) = AsyncHTTPClient(), repository
    try:
        found = await client.fetch(f"{settings['api_url']}/repos/{owner}/{repo}/installation", headers=headers)
        installation = json.loads(found.body)["id"]
        minted = await client.fetch(
            f"{settings['api_url']}/app/installations/{installation}/access_tokens", method="POST", headers=headers,
            body=json.dumps({"repositories": [repo], "permissions": {"contents": "read"}}),
        )
    except OSError as e:
        from .services.shared_data.errors import PullFailed

        raise PullFailed(
            f"GitHub's API at {settings['api_url']} could not be reached ({e}). Try again later."
        ) from None
    except HTTPClientError as e:
        if e.code == 404:
            return url  # the app is not installed there: only a public repository can be pulled
        from .services.shared_data.errors import PullFailed

        raise PullFailed(
            f"GitHub refused the hub's app a token for {owner}/{repo} (HTTP {e.code}). Ask the hub's operator to "
            "check the app id and key (GitHubApp.app_id, GitHubApp.private_key_file)."
        ) from None
    return with_token(url, json.loads(minted.body)["token"])


def configure_github_push(c) -> GitHubApp:
    """Snippet body: gh-scoped-creds settings for every server; the app for private pulls to shared data."""
    from .config import configured

    app = GitHubApp(config=c)
    env = app.server_environment()
    if env:
        c.Spawner.environment = {**configured(c.Spawner, "environment", {}), **env}
    if app.app_id:
        if not app.private_key_file or not os.access(app.private_key_file, os.R_OK):
            raise SystemExit(
                f"hubextras: GitHubApp.app_id is set but its private key `{app.private_key_file}` cannot be read: "
                "set GitHubApp.private_key_file to the app's .pem."
            )
        for service in configured(c.JupyterHub, "services", []):
            if service.get("name") == "shared-data":
                service["environment"] = {**service.get("environment", {}),
                                          SETTINGS_VARIABLE: json.dumps(app.pull_settings())}
    return app
