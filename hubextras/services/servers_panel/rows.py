"""The servers panel's pure core: server rows from hub user models, search/filter/sort/pages,
what a champion's scopes let them do, and bulk-action plans and progress. No I/O here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ...scopes import allows

STATUSES = ("running", "starting", "stopping", "stopped")
ACTIONS = ("stop", "start", "restart")
SORT_KEYS = ("user", "-user", "last_activity", "-last_activity", "started", "-started", "status", "-status")
MAX_PAGE_SIZE = 200


class PanelRequestError(ValueError):
    """A request the panel cannot act on; the message says what to change, in a champion's words."""


@dataclass(frozen=True)
class ServerRow:
    """One server of one user (the default server is named "")."""

    user: str
    server: str
    status: str
    groups: tuple[str, ...] = ()
    user_options: Mapping = field(default_factory=dict)
    started: str | None = None
    last_activity: str | None = None
    url: str | None = None

    @property
    def key(self) -> str:
        return f"{self.user}/{self.server}"

    @property
    def profile(self) -> str:
        return str(self.user_options.get("profile", "")) if isinstance(self.user_options, Mapping) else ""

    @property
    def choices(self) -> dict[str, str]:
        """The profile's option choices (custom values shown in place of the "unlisted" marker)."""
        if not isinstance(self.user_options, Mapping):
            return {}
        chosen = {}
        for name, value in self.user_options.items():
            if name == "profile" or name.endswith("--unlisted-choice"):
                continue
            custom = self.user_options.get(f"{name}--unlisted-choice")
            chosen[str(name)] = str(custom if custom else value)
        return chosen

    @property
    def image(self) -> str:
        return self.choices.get("image", "")

    def to_json(self) -> dict:
        return {
            "user": self.user,
            "server": self.server,
            "key": self.key,
            "status": self.status,
            "groups": list(self.groups),
            "profile": self.profile,
            "choices": self.choices,
            "image": self.image,
            "started": self.started,
            "last_activity": self.last_activity,
            "url": self.url,
        }


def server_status(server: Mapping) -> str:
    """running / starting / stopping / stopped, from a hub server model."""
    pending = server.get("pending")
    if pending == "stop":
        return "stopping"
    if pending:
        return "starting"
    if server.get("ready"):
        return "running"
    if server.get("stopped", True):
        return "stopped"
    return "starting"


def rows_from_user(user: Mapping) -> list[ServerRow]:
    """The rows of one hub user model: each server it lists, and always the default server."""
    groups = tuple(sorted(user.get("groups") or ()))
    servers = dict(user.get("servers") or {})
    servers.setdefault("", {"stopped": True})
    rows = []
    for name in sorted(servers):
        model = servers[name] or {}
        rows.append(
            ServerRow(
                user=user["name"],
                server=name,
                status=server_status(model),
                groups=groups,
                user_options=model.get("user_options") or {},
                started=model.get("started"),
                last_activity=model.get("last_activity") or user.get("last_activity"),
                url=model.get("url"),
            )
        )
    return rows


@dataclass(frozen=True)
class RowQuery:
    """What a champion asked to see: a search text, a status, a group, an order and a page."""

    search: str = ""
    status: str = ""
    group: str = ""
    sort: str = "user"
    offset: int = 0
    limit: int = 50

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> RowQuery:
        """From query arguments; a bad value raises PanelRequestError naming the allowed ones."""
        status = args.get("status", "") or ""
        if status and status not in STATUSES:
            raise PanelRequestError(f"Unknown status '{status}': use one of {', '.join(STATUSES)}, or none for all.")
        sort = args.get("sort", "") or "user"
        if sort not in SORT_KEYS:
            raise PanelRequestError(f"Cannot sort by '{sort}': use one of {', '.join(SORT_KEYS)}.")
        try:
            offset = int(args.get("offset", 0) or 0)
            limit = int(args.get("limit", 50) or 50)
        except ValueError:
            raise PanelRequestError("offset and limit must be whole numbers, such as offset=0&limit=50.") from None
        if offset < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
            raise PanelRequestError(f"offset must be 0 or more and limit between 1 and {MAX_PAGE_SIZE}.")
        search = (args.get("search", "") or "").strip()
        if len(search) > 100:
            raise PanelRequestError("The search text is too long: use at most 100 characters of a user name.")
        return cls(search, status, (args.get("group", "") or "").strip(), sort, offset, limit)

    @property
    def hub_can_page(self) -> bool:
        """Whether the hub's own user list can page this query (fast with many users)."""
        return (
            not self.group
            and self.status in ("", "stopped")
            and self.sort in ("user", "-user", "last_activity", "-last_activity")
        )

    def hub_params(self) -> dict:
        """`GET /users` arguments for the hub-paged case."""
        params = {"offset": self.offset, "limit": self.limit, "include_stopped_servers": "1"}
        params["sort"] = {"user": "name", "-user": "-name"}.get(self.sort, self.sort)
        if self.search:
            params["name_filter"] = self.search
        if self.status == "stopped":
            params["state"] = "inactive"
        return params

    def hub_state_for_scan(self) -> str | None:
        """The hub's `state` filter that finds every candidate when the panel filters itself."""
        return "active" if self.status in ("running", "starting", "stopping") else None

    def matches(self, row: ServerRow) -> bool:
        if self.search and self.search.casefold() not in row.user.casefold():
            return False
        if self.status and row.status != self.status:
            return False
        if self.group and self.group.casefold() not in (g.casefold() for g in row.groups):
            return False
        return True


def _sort_value(row: ServerRow, key: str):
    if key == "user":
        return (row.user.casefold(), row.server)
    if key == "status":
        return (STATUSES.index(row.status), row.user.casefold(), row.server)
    value = getattr(row, key) or ""
    return (value, row.user.casefold(), row.server)


def select_rows(rows: Iterable[ServerRow], query: RowQuery) -> tuple[list[ServerRow], int]:
    """Filter, sort and page `rows` for `query`: (the page, how many rows matched)."""
    matching = [row for row in rows if query.matches(row)]
    key = query.sort.lstrip("-")
    matching.sort(key=lambda row: _sort_value(row, key), reverse=query.sort.startswith("-"))
    return matching[query.offset : query.offset + query.limit], len(matching)


def may_act(scopes: Iterable[str], row: ServerRow, action: str) -> bool:
    """Whether a token with `scopes` may do `action` on `row`'s server, as the hub would decide it."""
    if action == "restart":
        return may_act(scopes, row, "stop") and may_act(scopes, row, "start")
    needed = ("servers", "admin:servers") + (("delete:servers",) if action == "stop" else ("start:servers",))
    return allows(scopes, needed, user=row.user, server=row.server, groups=row.groups)


# --- bulk actions -----------------------------------------------------------------------------

WHEN_APPLICABLE = {
    "stop": ("running", "starting"),
    "start": ("stopped",),
    "restart": ("running",),
}
NOT_APPLICABLE = {
    "stop": "Already stopped or stopping.",
    "start": "Already running, starting or stopping.",
    "restart": "Not running: use Start.",
}


@dataclass(frozen=True)
class BulkPlan:
    """Which rows an action will touch, and which it skips (with why)."""

    action: str
    targets: tuple[ServerRow, ...]
    skipped: tuple[tuple[ServerRow, str], ...]


def plan_bulk(action: str, rows: Iterable[ServerRow]) -> BulkPlan:
    """Plan `action` over `rows`: each server once, and only where the action makes sense."""
    if action not in ACTIONS:
        raise PanelRequestError(f"Unknown action '{action}': use one of {', '.join(ACTIONS)}.")
    seen, targets, skipped = set(), [], []
    for row in rows:
        if row.key in seen:
            continue
        seen.add(row.key)
        if row.status in WHEN_APPLICABLE[action]:
            targets.append(row)
        else:
            skipped.append((row, NOT_APPLICABLE[action]))
    return BulkPlan(action, tuple(targets), tuple(skipped))


ROW_STATES = ("queued", "working", "done", "failed", "skipped")
FINAL_STATES = ("done", "failed", "skipped")


@dataclass
class RowProgress:
    user: str
    server: str
    state: str = "queued"
    message: str = ""
    updated: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.user}/{self.server}"


@dataclass
class BulkJob:
    """Progress of one action over many servers, row by row."""

    id: str
    action: str
    who: str
    created: float
    rows: dict[str, RowProgress]
    finished: float | None = None

    @classmethod
    def from_plan(cls, job_id: str, plan: BulkPlan, who: str, now: float | None = None) -> BulkJob:
        now = time.time() if now is None else now
        rows = {row.key: RowProgress(row.user, row.server, updated=now) for row in plan.targets}
        for row, why in plan.skipped:
            rows[row.key] = RowProgress(row.user, row.server, "skipped", why, now)
        job = cls(job_id, plan.action, who, now, rows)
        job.finish_if_done(now)
        return job

    def mark(self, key: str, state: str, message: str = "", now: float | None = None) -> None:
        if state not in ROW_STATES:
            raise ValueError(f"unknown row state {state!r}")
        row = self.rows[key]
        if row.state in FINAL_STATES:
            return  # a final answer stays: a late echo must not undo it
        row.state, row.message = state, message
        row.updated = time.time() if now is None else now
        self.finish_if_done(row.updated)

    def finish_if_done(self, now: float) -> None:
        if self.finished is None and all(r.state in FINAL_STATES for r in self.rows.values()):
            self.finished = now

    def interrupt(self, reason: str, now: float | None = None) -> int:
        """Fail every unfinished row with `reason` (the panel stopped); returns how many."""
        open_rows = [key for key, r in self.rows.items() if r.state not in FINAL_STATES]
        for key in open_rows:
            self.mark(key, "failed", reason, now)
        return len(open_rows)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ROW_STATES, 0)
        for row in self.rows.values():
            counts[row.state] += 1
        return counts

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "action": self.action,
            "who": self.who,
            "created": self.created,
            "finished": self.finished,
            "counts": self.counts(),
            "rows": [
                {
                    "user": r.user,
                    "server": r.server,
                    "key": r.key,
                    "state": r.state,
                    "message": r.message,
                    "updated": r.updated,
                }
                for r in self.rows.values()
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping) -> BulkJob:
        rows = {
            f"{r['user']}/{r['server']}": RowProgress(r["user"], r["server"], r["state"], r["message"], r["updated"])
            for r in data["rows"]
        }
        return cls(data["id"], data["action"], data["who"], data["created"], rows, data.get("finished"))


def refusal_message(status: int, action: str, row_key: str, hub_message: str = "") -> str:
    """What to tell a champion when the hub answered `status` to `action` on a server."""
    user, _, server = row_key.partition("/")
    what = f"{user}'s server" + (f" '{server}'" if server else "")
    # the hub answers 404 "No access to resources or resources not found" so as not to reveal who exists
    if status == 403 or (status == 404 and "no access" in hub_message.lower()):
        return f"The hub refused: you may not {action} {what}. Ask a hub admin if you need to."
    if status == 404:
        return f"The hub does not know {what} (the user or server may have been deleted)."
    if status == 400 and hub_message:
        return f"The hub could not {action} {what}: {hub_message}"
    return f"The hub answered {status} when asked to {action} {what}" + (f": {hub_message}" if hub_message else ".")
