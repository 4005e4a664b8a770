"""The server directory: the rows a champion asked for, read from the hub with that champion's token.

Each method takes the champion's token, so the hub shows each champion only whom they may see.
"""

from __future__ import annotations

import asyncio

from .hub_client import HubClient, HubRefused
from .rows import RowQuery, ServerRow, rows_from_user, select_rows

# up to this many listed users are asked about one by one; more are found in one walk of the hub's user list
ASK_EACH_UP_TO = 20


class ServerDirectory:
    def __init__(self, client: HubClient):
        self.client = client

    async def page_rows(self, token: str, query: RowQuery) -> tuple[list[ServerRow], int, str]:
        """(rows of the page, total, "users" or "servers": what the total counts)."""
        if query.hub_can_page:
            users, total = await self.client.users_page(token, query.hub_params())
            return [row for user in users for row in rows_from_user(user) if query.matches(row)], total, "users"
        rows = await self.all_matching_rows(token, query)
        page, total = select_rows(rows, query)
        return page, total, "servers"

    async def all_matching_rows(self, token: str, query: RowQuery) -> list[ServerRow]:
        """Every row matching `query`'s search, status and group (walking the hub's pages)."""
        if query.group:
            names = await self.client.group_members(token, query.group)
            names = [n for n in names if query.search.casefold() in n.casefold()]
            users = await asyncio.gather(*(self.client.user(token, name) for name in names))
        else:
            params = {"include_stopped_servers": "1", "limit": 200}
            if query.search:
                params["name_filter"] = query.search
            state = query.hub_state_for_scan() or ("inactive" if query.status == "stopped" else None)
            if state:
                params["state"] = state
            users = [user async for user in self.client.walk("/users", token, params)]
        return [row for user in users for row in rows_from_user(user) if query.matches(row)]

    async def listed_rows(self, token: str, listed: list[tuple[str, str]]) -> list[ServerRow]:
        """The current rows of explicitly listed (user, server) pairs; HubRefused(404) naming the users the
        hub does not show this champion, before anything is done. Many names cost one walk of the user list,
        not one request each."""
        wanted = set(listed)
        names = sorted({user for user, _ in wanted})
        if len(names) <= ASK_EACH_UP_TO:
            answers = await asyncio.gather(*(self.client.user(token, n) for n in names), return_exceptions=True)
            for answer in answers:
                if isinstance(answer, Exception) and not isinstance(answer, HubRefused):
                    raise answer
            users = {name: a for name, a in zip(names, answers) if not isinstance(a, Exception)}
        else:
            users, name_set = {}, set(names)
            async for user in self.client.walk("/users", token, {"include_stopped_servers": "1", "limit": 200}):
                if user["name"] in name_set:
                    users[user["name"]] = user
        unknown = [name for name in names if name not in users]
        if unknown:
            shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
            raise HubRefused(404, f"The hub does not show you {shown}: no such user, or you may not see them. "
                             "Nothing was done.")
        return [row for user in users.values() for row in rows_from_user(user) if (row.user, row.server) in wanted]
