"""The hub's navigation on our pages: which services go in the Services menu, and whether the Admin link shows,
decided as the hub decides them for its own pages (`BaseHandler.get_accessible_services`, `"admin-ui"`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass

from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.log import app_log


@dataclass(frozen=True)
class MenuService:
    """One entry of the Services menu (the hub's template reads `.name` and `.href`)."""

    name: str
    href: str


@dataclass(frozen=True)
class TemplateUser:
    """What the hub's `page.html` reads of `user`."""

    name: str

    @property
    def json_escaped_name(self) -> str:
        # the template puts it inside a JS string with `| safe`: escape for JSON and for HTML
        return json.dumps(self.name)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def menu_for(services: Iterable[dict], scopes: Iterable[str]) -> list[MenuService]:
    """The hub's rule: services with a URL and `display`, that the person may access."""
    held = set(scopes)
    menu = []
    for service in services:
        name = service.get("name", "")
        if not (service.get("url") and service.get("display") and service.get("prefix")):
            continue
        if {"access:services", f"access:services!service={name}"} & held:
            menu.append(MenuService(name, service["prefix"]))
    return sorted(menu, key=lambda s: s.name)


class ServiceDirectory:
    """The hub's services, read with the service's own token (`list:services`, `read:services`), kept a minute."""

    def __init__(self, api_url: str, token: str, *, keep_seconds: float = 60.0):
        self.api_url, self.token, self.keep_seconds = api_url.rstrip("/"), token, keep_seconds
        self._services: list[dict] = []
        self._read_at = float("-inf")
        self._warned = False

    async def services(self) -> list[dict]:
        if time.monotonic() - self._read_at < self.keep_seconds:
            return self._services
        try:
            response = await AsyncHTTPClient().fetch(
                f"{self.api_url}/services", headers={"Authorization": f"token {self.token}"}, request_timeout=5
            )
            models = json.loads(response.body)
            self._services = list(models.values()) if isinstance(models, dict) else list(models)
        except (HTTPClientError, OSError, ValueError) as e:
            if not self._warned:
                app_log.warning("Cannot read the hub's services for the Services menu (%s): the menu stays empty "
                                "until the hub answers. The config snippets grant the needed role.", e)
                self._warned = True
        self._read_at = time.monotonic()
        return self._services
