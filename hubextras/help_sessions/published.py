"""The help requests' one file, written whole by the service, and what the hub's home page reads of it."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from .sessions import HelpRequest, current

REQUESTS_FILE = "requests.json"


def read_requests(path: Path) -> list[HelpRequest]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return []
    return [HelpRequest.from_json(item) for item in data.get("requests", [])]


def write_requests(path: Path, requests: list[HelpRequest]) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"version": 1, "requests": [r.to_json() for r in requests]}, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


def window_text(seconds: float) -> str:
    """"1 hour", "2 hours", "30 minutes"."""
    minutes = round(seconds / 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


class HomeHelpSession:
    """`template_vars` provider: `provider(user)` is the person's help session on their home page:
    `{"open": bool, "until": unix time, "openings": [{"champion", "when"}], "page": service URL}` or None."""

    def __init__(self, path: str | Path, page_url: str, clock: Callable[[], float] = time.time,
                 window_seconds: float = 3600):
        self.path, self.page_url, self.clock = Path(path), page_url, clock
        self.window_text = window_text(window_seconds)
        self._seen, self._requests = None, []

    def __eq__(self, other):
        return isinstance(other, HomeHelpSession) and (self.path, self.page_url, self.clock, self.window_text) == (
            other.path, other.page_url, other.clock, other.window_text)

    def __call__(self, user=None) -> dict | None:
        if user is None:
            return None
        try:
            stat = os.stat(self.path)
            seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            try:
                self._requests = read_requests(self.path) if seen else []
            except (OSError, ValueError, TypeError, KeyError):
                pass  # keep the last requests read: the home page must render
            self._seen = seen
        request = current(self._requests, user.name)
        now = self.clock()
        return {
            "page": self.page_url,
            "window": self.window_text,
            "open": bool(request and request.is_open(now)),
            "until": request.until if request else None,
            "until_text": time.strftime("%H:%M UTC", time.gmtime(request.until)) if request else "",
            "openings": [{"champion": o.champion,
                          "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(o.when))}
                         for o in (request.openings if request else ())],
        }
