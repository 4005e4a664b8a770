"""The board's one file, and what the hub's pages read of it.

The service writes `announcements.json` whole (a temp file, then `os.replace`): the hub never sees half a board.
The hub's `PageAnnouncements` (a `c.JupyterHub.template_vars` entry, called with the user for every page the
hub renders) reads it only when it changed, renders each markdown itself (the file is not trusted to hold safe
HTML) and keeps what shows on the login, home and spawn pages. Signed-out visitors get the login page's too:
the hub renders it, no request to the service is made from the browser.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup

from .board import PLACES, Announcement, showing
from .markup import render_markdown

BOARD_FILE = "announcements.json"
FORMAT_VERSION = 1


def clock_from_file(path: str) -> Callable[[], float]:
    """Now: the Unix time held in `path` while it exists (tests and demos move it), else the real time.
    The same callable for the same path (config that runs twice compares equal)."""
    return _clock(path).now if path else time.time


@functools.cache
def _clock(path: str):
    from ..usage.clock import Clock  # one clock-file reader for the project

    return Clock(path)


def read_board(path: Path) -> list[Announcement]:
    """The announcements in `path` ([] when there is no file yet)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return []
    return [Announcement.from_json(item) for item in data.get("announcements", [])]


def write_board(path: Path, board: list[Announcement]) -> None:
    """Replace the file with `board`, atomically (readable by the hub's account, written by the service's)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"version": FORMAT_VERSION, "announcements": [a.to_json() for a in board]}, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


class PageAnnouncements:
    """`template_vars` provider: `provider(user)` is `{"login": [...], "home": [...], "spawn": [...]}`, each the
    HTML of what shows there now, champions' first; where none show, the operator's `fallback` (trusted HTML
    from `HubExtras.announcements`) on the login and home pages."""

    def __init__(self, board_path: str | Path, fallback=(), clock: Callable[[], float] = time.time, log=None):
        self.board_path = Path(board_path)
        self.fallback = [Markup(html) for html in fallback]
        self.clock = clock
        self.log = log
        self._seen: tuple | None = None
        self._board: list[tuple[Announcement, Markup]] = []

    def __eq__(self, other):
        # config run twice makes two providers: equal when they show the same board the same way
        return isinstance(other, PageAnnouncements) and (self.board_path, self.fallback, self.clock) == (
            other.board_path, other.fallback, other.clock)

    def _load(self) -> list[tuple[Announcement, Markup]]:
        try:
            stat = os.stat(self.board_path)
            seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            try:
                board = read_board(self.board_path) if seen else []
                self._board = [(a, Markup(render_markdown(a.markdown))) for a in board]
            except (OSError, ValueError, TypeError, KeyError) as e:
                # a broken board must not break the hub's pages: keep what was shown before, and say why
                if self.log:
                    self.log.warning("hubextras: announcements in %s are unreadable (%s); showing the last ones read",
                                     self.board_path, e)
            self._seen = seen
        return self._board

    def __call__(self, user=None) -> dict[str, list[Markup]]:
        board = self._load()
        html = {id(a): markup for a, markup in board}
        now = self.clock()
        pages = {}
        for place in PLACES:
            shown = [html[id(a)] for a in showing([a for a, _ in board], place, now)]
            pages[place] = shown or (list(self.fallback) if place in ("login", "home") else [])
        return pages
