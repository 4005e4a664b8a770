"""The announcements board as plain data (pure): post, edit, expire, and what shows on a page now.

Times are Unix seconds (UTC). An announcement shows on its `places` from `starts` until just before `ends`
(`ends` None: until a champion expires it). Expiring sets `ends` to now, so the record of it stays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

PLACES = ("login", "home", "spawn")
PLACE_NAMES = {"login": "login page", "home": "home page", "spawn": "server options page"}
MAX_MARKDOWN_CHARS = 5000
# a board this big is a mistake or an attack, not a community's news
MAX_ANNOUNCEMENTS = 500
LATEST_YEAR_SECONDS = 253402300799  # 9999-12-31T23:59:59Z: the browser's date input cannot say more


class AnnouncementError(ValueError):
    """An announcement the board cannot take; the message says what to change."""


@dataclass(frozen=True)
class Announcement:
    id: str
    markdown: str
    places: tuple[str, ...]
    starts: float
    ends: float | None
    author: str
    posted: float
    edited_by: str = ""
    edited: float | None = None

    def shows(self, place: str, now: float) -> bool:
        return place in self.places and self.starts <= now and (self.ends is None or now < self.ends)

    def state(self, now: float) -> str:
        """"scheduled", "showing" or "ended"."""
        if self.ends is not None and now >= self.ends:
            return "ended"
        return "scheduled" if now < self.starts else "showing"

    def to_json(self) -> dict:
        data = asdict(self)
        data["places"] = list(self.places)
        return data

    @classmethod
    def from_json(cls, data: dict) -> Announcement:
        return cls(**{**data, "places": tuple(data["places"])})


def checked_draft(markdown: str, places: Iterable[str], starts: float | None, ends: float | None,
                  now: float) -> tuple[str, tuple[str, ...], float, float | None]:
    """The draft's (markdown, places, starts, ends), with `starts` None meaning now, or AnnouncementError."""
    text = markdown.strip()
    if not text:
        raise AnnouncementError("The announcement is empty: write what people should know.")
    if len(text) > MAX_MARKDOWN_CHARS:
        raise AnnouncementError(f"The announcement has {len(text)} characters; keep it to {MAX_MARKDOWN_CHARS} "
                                "(link to a longer page instead).")
    chosen = tuple(dict.fromkeys(places))
    unknown = [p for p in chosen if p not in PLACES]
    if unknown:
        raise AnnouncementError(f"{unknown[0]!r} is not a place announcements show; choose from "
                                f"{', '.join(PLACES)}.")
    if not chosen:
        raise AnnouncementError("Choose where the announcement shows: the login page, the home page or the "
                                "server options page.")
    begin = now if starts is None else starts
    for name, value in (("start", begin), ("end", ends)):
        if value is not None and not (math.isfinite(value) and 0 <= value <= LATEST_YEAR_SECONDS):
            raise AnnouncementError(f"The {name} time is not a date this board can show.")
    if ends is not None and ends <= begin:
        raise AnnouncementError("The end time is not after the start time: an announcement ending before it "
                                "starts would never show.")
    return text, tuple(p for p in PLACES if p in chosen), begin, ends


def post(board: list[Announcement], id: str, markdown: str, places, starts, ends, *, author: str,
         now: float) -> Announcement:
    """A new announcement for `board` (not added: the caller stores the new board)."""
    if len(board) >= MAX_ANNOUNCEMENTS:
        raise AnnouncementError(f"The board holds {len(board)} announcements, its most; remove ended ones first.")
    text, chosen, begin, end = checked_draft(markdown, places, starts, ends, now)
    return Announcement(id=id, markdown=text, places=chosen, starts=begin, ends=end, author=author, posted=now)


def edit(old: Announcement, markdown: str, places, starts, ends, *, editor: str, now: float) -> Announcement:
    text, chosen, begin, end = checked_draft(markdown, places, old.starts if starts is None else starts, ends, now)
    return replace(old, markdown=text, places=chosen, starts=begin, ends=end, edited_by=editor, edited=now)


def expire(old: Announcement, *, editor: str, now: float) -> Announcement:
    """`old` ending now (already ended: unchanged)."""
    if old.ends is not None and old.ends <= now:
        return old
    return replace(old, ends=max(now, old.starts), edited_by=editor, edited=now)


def replaced(board: list[Announcement], new: Announcement) -> list[Announcement]:
    """`board` with `new` in place of the announcement with its id (or added first)."""
    others = [a for a in board if a.id != new.id]
    return [new, *others] if len(others) == len(board) else [new if a.id == new.id else a for a in board]


def showing(board: Iterable[Announcement], place: str, now: float) -> list[Announcement]:
    """What shows on `place` at `now`, the latest start first."""
    return sorted((a for a in board if a.shows(place, now)), key=lambda a: (-a.starts, a.id))
