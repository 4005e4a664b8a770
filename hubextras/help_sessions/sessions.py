"""Help requests as plain data (pure). Times are Unix seconds.

A person offers their server for `window` seconds: a request, open from `starts` until `until`. A champion opens
it: the opening is recorded and the champion gets a JupyterHub share (the service makes it). The person ends it,
or the window closes: every share made for it is to be revoked (`to_revoke`), and the request stays as a record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace


class HelpSessionError(Exception):
    """A request that cannot be done; `status` is the HTTP status, the message says what to do."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Opening:
    champion: str
    when: float


@dataclass(frozen=True)
class HelpRequest:
    user: str
    server: str
    starts: float
    until: float
    ended: float | None = None
    ended_by: str = ""
    openings: tuple[Opening, ...] = ()
    # the champions who hold a share made for this request and not yet revoked
    shared_with: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        return f"{self.user}/{self.server}"

    def is_open(self, now: float) -> bool:
        return self.ended is None and now < self.until

    def to_json(self, now: float | None = None) -> dict:
        data = asdict(self)
        data["openings"] = [asdict(o) for o in self.openings]
        data["shared_with"] = list(self.shared_with)
        if now is not None:
            data["open"] = self.is_open(now)
        return data

    @classmethod
    def from_json(cls, data: dict) -> HelpRequest:
        data = {k: v for k, v in data.items() if k != "open"}
        return cls(**{**data, "openings": tuple(Opening(**o) for o in data.get("openings", ())),
                      "shared_with": tuple(data.get("shared_with", ()))})


def current(requests: list[HelpRequest], user: str, server: str = "") -> HelpRequest | None:
    """The latest request for `user`'s server (open or not)."""
    return next((r for r in requests if r.user == user and r.server == server), None)


def offer(requests: list[HelpRequest], user: str, server: str, *, now: float, window: float) -> HelpRequest:
    """A request open from now for `window` seconds (an open one is extended to now + window)."""
    existing = current(requests, user, server)
    if existing is not None and existing.is_open(now):
        return replace(existing, until=now + window)
    return HelpRequest(user=user, server=server, starts=now, until=now + window)


def end(request: HelpRequest, who: str, *, now: float) -> HelpRequest:
    """`request` ended now by `who` (ended already: unchanged)."""
    if request.ended is not None:
        return request
    return replace(request, ended=min(now, request.until), ended_by=who)


def open_for(request: HelpRequest | None, champion: str, *, now: float) -> HelpRequest:
    """`request` with `champion`'s opening recorded, or HelpSessionError when it is not open to them."""
    if request is None or not request.is_open(now):
        raise HelpSessionError(403, "This server is not shared with the champions now: the person has not asked "
                               "for help, or their help session ended. Ask them to share it again from their "
                               "home page.")
    if champion == request.user:
        raise HelpSessionError(400, "This is your own server: open it from your home page.")
    shared = request.shared_with if champion in request.shared_with else (*request.shared_with, champion)
    return replace(request, openings=(*request.openings, Opening(champion, now)), shared_with=shared)


def to_revoke(requests: list[HelpRequest], now: float) -> list[HelpRequest]:
    """The requests no longer open whose shares are still held."""
    return [r for r in requests if r.shared_with and not r.is_open(now)]


def revoked(request: HelpRequest, champion: str) -> HelpRequest:
    return replace(request, shared_with=tuple(c for c in request.shared_with if c != champion))


def replaced(requests: list[HelpRequest], new: HelpRequest, *, keep: int = 1000) -> list[HelpRequest]:
    """`requests` with `new` first in place of the latest one for its server (older records kept, at most `keep`)."""
    old = current(requests, new.user, new.server)
    same = old is not None and old.starts == new.starts
    others = [r for r in requests if r is not old] if same else list(requests)
    return [new, *others][:keep]
