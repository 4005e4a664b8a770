"""What the panel's API accepts in a body and in a query, as pydantic models (pure; parsed by the service base).

The largest legal body is an action listing `max_bulk` servers; `body_limit_for(max_bulk)` is the byte bound
that fits exactly that (the handler refuses anything bigger before reading it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..base.bodies import BodyModel
from .rows import ACTIONS, STATUSES, PanelRequestError, RowQuery

NAME_MAX = 255  # JupyterHub keeps user and server names in 255-character columns
SEARCH_MAX = 100
# `{"user": "<255>", "server": "<255>"}, ` with every character escaped as \uXXXX (6 bytes) at worst
LISTED_SERVER_BYTES = 2 * NAME_MAX * 6 + 40
BODY_OVERHEAD_BYTES = 4096  # the action, the match, whitespace


def body_limit_for(max_bulk: int) -> int:
    """Most bytes an action body may have when it may list `max_bulk` servers."""
    return BODY_OVERHEAD_BYTES + max_bulk * LISTED_SERVER_BYTES


def values_limit_for(max_bulk: int) -> int:
    """Most comma-separated values an action body may hold: two per listed server, a few for the rest
    (a name holding commas counts them too; such names are not worth a memory bomb's room)."""
    return 3 * max_bulk + 16


class ListedServer(BodyModel):
    user: str = Field(min_length=1, max_length=NAME_MAX)
    server: str = Field("", max_length=NAME_MAX)


class Match(BodyModel):
    """Every server matching a search, a status and a group (each empty: no condition)."""

    search: str = Field("", max_length=SEARCH_MAX)
    status: Literal[("",) + STATUSES] = ""
    group: str = Field("", max_length=NAME_MAX)

    def query(self) -> RowQuery:
        return RowQuery(search=self.search.strip(), status=self.status, group=self.group.strip())


class ActionRequest(BodyModel):
    """`{"action": "stop", "servers": [{"user": "ada", "server": ""}]}` or `{"action": ..., "match": {...}}`."""

    action: Literal[ACTIONS]
    servers: list[ListedServer] | None = Field(None, min_length=1)
    match: Match | None = None

    @model_validator(mode="after")
    def _one_selection(self):
        if (self.servers is None) == (self.match is None):
            raise ValueError(
                'say which servers with exactly one of "servers": [{"user": ..., "server": ...}] or '
                '"match": {"search": ..., "status": ..., "group": ...}'
            )
        return self

    def listed(self) -> list[tuple[str, str]]:
        return [(s.user, s.server) for s in self.servers or ()]


def query_from_arguments(args: dict[str, str]) -> RowQuery:
    """A RowQuery from URL arguments; PanelRequestError names what is wrong."""
    unknown = sorted(set(args) - {"search", "status", "group", "sort", "offset", "limit"})
    if unknown:
        raise PanelRequestError(f"Unknown argument '{unknown[0]}': use search, status, group, sort, offset, limit.")
    return RowQuery.parse(args)
