"""The servers panel's only way to the JupyterHub REST API, kind to the hub in one place:

- one semaphore bounds how many requests the panel has in flight, whoever asked;
- lists are walked page by page along `_pagination.next`;
- 429 waits as long as `Retry-After` says (bounded), and the hub being away is retried briefly;
- a 202 from a stop means "still stopping", and from a start "still starting": both are polled.

Every call carries the token of the champion who asked, so the hub decides what each may do.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .rows import refusal_message, server_status

PAGINATION = "application/jupyterhub-pagination+json"


class HubRefused(Exception):
    """The hub answered an error status; `.message` is for the champion."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class HubUnavailable(Exception):
    """The hub did not answer (restarting, or down) within the retries."""


class HubClient:
    """Bounded, polite REST calls to the hub (see the module docstring)."""

    def __init__(
        self,
        api_url: str,
        *,
        concurrency: int = 8,
        max_retry_after: float = 30.0,
        connect_retries: int = 4,
        poll_interval: float = 0.5,
        request_timeout: float = 60.0,
    ):
        self.api_url = api_url.rstrip("/")
        self.semaphore = asyncio.Semaphore(concurrency)
        self.max_retry_after = max_retry_after
        self.connect_retries = connect_retries
        self.poll_interval = poll_interval
        self.request_timeout = request_timeout
        self.http = AsyncHTTPClient(force_instance=True, max_clients=max(concurrency, 1) * 2)

    def close(self) -> None:
        self.http.close()

    async def request(self, method: str, path: str, token: str, *, params=None, body=None, paginated=False):
        """(status, parsed JSON or None). Raises HubRefused for 4xx/5xx, HubUnavailable if unreachable."""
        url = f"{self.api_url}{path}" + (f"?{urlencode(params)}" if params else "")
        headers = {"Authorization": f"token {token}", "Accept": PAGINATION if paginated else "application/json"}
        payload = None if body is None else json.dumps(body)
        if method in ("POST", "PUT", "PATCH") and payload is None:
            payload = ""
        failures, rate_limited = 0, 0
        while True:
            request = HTTPRequest(
                url,
                method=method,
                headers=headers,
                body=payload,
                request_timeout=self.request_timeout,
                allow_nonstandard_methods=True,
            )
            try:
                async with self.semaphore:
                    response = await self.http.fetch(request, raise_error=False)
            except (OSError, asyncio.TimeoutError) as e:
                failures += 1
                if failures > self.connect_retries:
                    raise HubUnavailable(
                        f"The hub did not answer ({e}). It may be restarting: try again shortly."
                    ) from e
                await asyncio.sleep(min(0.25 * 2**failures, 4))
                continue
            if response.code == 599:
                failures += 1
                if failures > self.connect_retries:
                    raise HubUnavailable(
                        f"The hub did not answer ({response.error}). It may be restarting: try again shortly."
                    )
                await asyncio.sleep(min(0.25 * 2**failures, 4))
                continue
            if response.code == 429 and rate_limited < 5:
                rate_limited += 1
                await asyncio.sleep(self.retry_after(response.headers.get("Retry-After")))
                continue
            text = response.body.decode("utf-8", "replace") if response.body else ""
            if response.code >= 400:
                raise HubRefused(response.code, hub_error_message(text))
            data = None
            if text and "json" in response.headers.get("Content-Type", ""):
                data = json.loads(text)
            return response.code, data

    def retry_after(self, header: str | None) -> float:
        try:
            return max(0.0, min(float(header or 1), self.max_retry_after))
        except ValueError:
            return 1.0  # an HTTP-date Retry-After: a short, fixed wait is good enough for the hub

    async def walk(self, path: str, token: str, params: dict | None = None) -> AsyncIterator[dict]:
        """Every item of a paginated list, following `_pagination.next`."""
        params = dict(params or {})
        while True:
            _, data = await self.request("GET", path, token, params=params, paginated=True)
            if isinstance(data, list):  # an old hub without pagination
                for item in data:
                    yield item
                return
            for item in data["items"]:
                yield item
            following = (data.get("_pagination") or {}).get("next")
            if not following:
                return
            params = {**params, "offset": following["offset"], "limit": following["limit"]}

    async def users_page(self, token: str, params: dict) -> tuple[list[dict], int]:
        """One page of `GET /users` and the total number matching."""
        _, data = await self.request("GET", "/users", token, params=params, paginated=True)
        if isinstance(data, list):
            return data, len(data)
        return data["items"], data["_pagination"]["total"]

    async def user(self, token: str, name: str) -> dict:
        _, data = await self.request(
            "GET", f"/users/{quote(name, safe='')}", token, params={"include_stopped_servers": "1"}
        )
        return data

    async def group_members(self, token: str, group: str) -> list[str]:
        _, data = await self.request("GET", f"/groups/{quote(group, safe='')}", token)
        return list(data.get("users") or [])

    def server_path(self, user: str, server: str) -> str:
        path = f"/users/{quote(user, safe='')}"
        return f"{path}/servers/{quote(server, safe='')}" if server else f"{path}/server"

    async def server_model(self, token: str, user: str, server: str) -> dict:
        """The server's model, or a stopped one when the hub lists no such active server."""
        model = await self.user(token, user)
        return (model.get("servers") or {}).get(server) or {"stopped": True}

    async def wait_for(self, token: str, user: str, server: str, wanted: str, timeout: float) -> str:
        """Poll until the server's status is `wanted`; returns the last status seen."""
        deadline = time.monotonic() + timeout
        status = ""
        while time.monotonic() < deadline:
            status = server_status(await self.server_model(token, user, server))
            if status == wanted or (wanted == "running" and status == "stopped"):
                return status
            await asyncio.sleep(self.poll_interval)
        return status

    async def stop(self, token: str, user: str, server: str, *, timeout: float = 120) -> str:
        """Stop a server and wait until it has stopped. Returns a result message."""
        code, _ = await self.request("DELETE", self.server_path(user, server), token)
        if code == 202:
            status = await self.wait_for(token, user, server, "stopped", timeout)
            if status != "stopped":
                raise HubRefused(504, f"Still {status} after {timeout:.0f} s; the hub goes on stopping it.")
        return "Stopped."

    async def start(
        self, token: str, user: str, server: str, options: dict | None = None, *, timeout: float = 300
    ) -> str:
        """Start a server (with `options` as its user_options) and wait until it is running."""
        code, _ = await self.request("POST", self.server_path(user, server), token, body=options or {})
        if code == 202:
            status = await self.wait_for(token, user, server, "running", timeout)
            if status == "stopped":
                raise HubRefused(500, "The server stopped while starting: see the hub's log for why.")
            if status != "running":
                raise HubRefused(504, f"Still {status} after {timeout:.0f} s; the hub goes on starting it.")
        return "Running."

    async def restart(
        self, token: str, user: str, server: str, *, stop_timeout: float = 120, start_timeout: float = 300
    ) -> str:
        """Stop, wait until stopped, and start again with the options it was started with."""
        options = (await self.server_model(token, user, server)).get("user_options") or {}
        await self.stop(token, user, server, timeout=stop_timeout)
        await self.start(token, user, server, options, timeout=start_timeout)
        return "Restarted with the same options." if options else "Restarted."


def hub_error_message(text: str) -> str:
    """The hub's own error message from its JSON error body (or the text itself, shortened)."""
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:200]
    return str(data.get("message") or data.get("reason") or "")[:300] if isinstance(data, dict) else ""


def describe_failure(error: Exception, action: str, row_key: str) -> str:
    """The row message for a failed action."""
    if isinstance(error, HubRefused):
        if error.status in (500, 504) and error.message:
            return error.message
        return refusal_message(error.status, action, row_key, error.message)
    if isinstance(error, HubUnavailable):
        return str(error)
    if isinstance(error, HTTPClientError):
        return f"The hub answered {error.code}."
    return f"Unexpected error: {error}"
