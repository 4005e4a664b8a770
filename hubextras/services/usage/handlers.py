"""The usage pages and API: parse, read the store off the loop, build the figures (report.py), answer."""

from __future__ import annotations

import asyncio
import datetime
import json
import math

from pydantic import Field
from tornado.escape import url_escape
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from ...scopes import USAGE_BUMP, allows
from ...usage.quota import Bump, _format_utc
from ...usage.record import DAY, RESOURCE_WORDS, RESOURCES
from ..base.bodies import BodyModel
from ..base.handlers import JSONAPIHandler, Refused, ServiceHandler
from .plot import svg_bars
from .report import Visibility, WindowError, build_report, csv_text, my_usage, report_step, window_from


class UsageHandler(ServiceHandler):
    def window(self):
        try:
            return window_from(
                self.get_argument("window", "week")[:16],
                self.service.clock.now(),
                self.get_argument("from", "")[:10],
                self.get_argument("to", "")[:10],
            )
        except WindowError as e:
            raise Refused(400, str(e)) from None

    @property
    def visibility(self) -> Visibility:
        return Visibility.from_scopes(self.scopes)

    async def read(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.service.reader, function, *args)

    async def report(self):
        visibility = self.visibility
        if not visibility.champion:
            raise Refused(403, "This page is for hub champions. Your own usage is on the My usage page.")
        window = self.window()
        app = self.service
        limits = {} if visibility.everything else {"groups": visibility.groups, "users": visibility.users}
        summary = await self.read(
            lambda: app.store.summarize(window.begin, window.end, app.clock.now(), report_step(window), **limits)
        )
        return window, build_report(
            summary, window, visibility, app.prices, top_count=app.top_count, home_sizes=app.home_sizes()
        )


class ChampionsPage(UsageHandler):
    async def get(self):
        if not self.visibility.champion:
            self.redirect(self.service.prefix + "me")
            return
        window, report = await self.report()
        may_bump = self.has_scope(USAGE_BUMP)
        bumps = await self.read(self.service.store.bump_history, 100) if may_bump else []
        await self.render_page(
            "usage.html",
            page_title="Usage",
            report=report,
            window=window,
            query=self.window_query(window),
            plot=svg_bars(report.plot),
            currency=self.service.currency,
            may_bump=may_bump,
            bumps=[b for b in bumps if self.visibility.everything or b["granted_by"] == self.username],
            resources=[(r, RESOURCE_WORDS[r]) for r in RESOURCES],
            limited=not self.visibility.everything,
            visible_groups=sorted(self.visibility.groups),
            format_time=_format_utc,
            now=self.service.clock.now(),
            resource_words=RESOURCE_WORDS,
        )

    def window_query(self, window) -> str:
        if window.name != "custom":
            return f"window={window.name}"
        first = datetime.datetime.fromtimestamp(window.begin, datetime.timezone.utc).strftime("%Y-%m-%d")
        last = datetime.datetime.fromtimestamp(window.end - 1, datetime.timezone.utc).strftime("%Y-%m-%d")
        return f"window=custom&from={first}&to={last}"


class TableCSV(UsageHandler):
    async def get(self, name):
        window, report = await self.report()
        table = report.tables.get(name)
        if table is None:
            raise Refused(404, f"No table {name!r}: the tables are {', '.join(report.tables)}.")
        self.set_header("Content-Type", "text/csv; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        day = datetime.datetime.fromtimestamp(window.begin, datetime.timezone.utc).strftime("%Y%m%d")
        self.set_header("Content-Disposition", f'attachment; filename="usage-{name}-{window.name}-{day}.csv"')
        self.finish(csv_text(table))


class MyUsagePage(UsageHandler):
    async def get(self):
        app = self.service
        window = self.window()
        now = app.clock.now()
        policies, default_policy = app.parsed_policies()
        longest = max(
            [p.longest_window for p in policies.values()] + ([default_policy.longest_window] if default_policy else []),
            default=0.0,
        )
        since = min(window.begin, now - longest)
        records = await self.read(app.store.of_user, self.username, since)
        groups = self.current_user.get("groups")
        if groups is None:  # the token carries no groups: those of the last start
            last = max(records, key=lambda r: r.started, default=None)
            groups = list(last.groups) if last else []
        groups = frozenset(groups)
        folded = {g.casefold() for g in groups}
        shared = {}
        for name, policy in policies.items():
            if policy.shared and name.casefold() in folded:
                shared[name] = await self.read(app.store.of_group, name, now - policy.longest_window)
        bumps = await self.read(app.store.bumps_of, self.username, now)
        mine = my_usage(
            records,
            window,
            now,
            app.prices,
            user=self.username,
            groups=groups,
            policies=policies,
            default_policy=default_policy,
            group_records=shared,
            bumps=bumps,
            headroom_hours=app.headroom_hours,
            format_time=_format_utc,
        )
        size = app.home_sizes().get(self.username)
        await self.render_page(
            "me.html",
            page_title="My usage",
            mine=mine,
            window=window,
            query=ChampionsPage.window_query(self, window),
            home_size=size,
            champion=self.visibility.champion,
            format_time=_format_utc,
            resource_words=RESOURCE_WORDS,
        )


class ReportAPI(JSONAPIHandler, UsageHandler):
    async def get(self):
        window, report = await self.report()
        self.send_json(
            {
                "window": {"begin": window.begin, "end": window.end, "name": window.name},
                "totals": vars(report.totals),
                "cost": report.cost_total,
                "tables": {name: {"headers": t.headers, "rows": t.rows} for name, t in report.tables.items()},
            }
        )


class BumpRequest(BodyModel):
    user: str = Field(min_length=1, max_length=255)
    resource: str = Field(pattern="^(server_hours|memory_gib_hours|cpu_hours)$")
    amount: float = Field(gt=0, le=1_000_000)
    days: float = Field(gt=0)
    reason: str = Field(default="", max_length=500)


class BumpsAPI(JSONAPIHandler, UsageHandler):
    max_body_bytes = 4096

    async def get(self):
        if not self.has_scope(USAGE_BUMP):
            raise Refused(403, "Only hub champions who may grant bumps see them.")
        history = await self.read(self.service.store.bump_history, 500)
        if not self.visibility.everything:
            history = [b for b in history if b["granted_by"] == self.username]
        self.send_json({"bumps": history})

    async def post(self):
        request = self.body(BumpRequest)
        if not math.isfinite(request.amount):
            raise Refused(400, "amount must be a number.")
        app = self.service
        if request.days > app.max_bump_days:
            raise Refused(400, f"A bump may last at most {app.max_bump_days:g} days; ask for {request.days:g}.")
        groups = await self.groups_of(request.user)
        if not allows(self.scopes, [USAGE_BUMP], user=request.user, groups=groups):
            raise Refused(403, f"You may not grant {request.user} a bump: they are not in a group you look after.")
        now = app.clock.now()
        bump = Bump(
            request.user, request.resource, request.amount, now + request.days * DAY, self.username, now, request.reason
        )
        bump_id = await self.read(app.store.add_bump, bump)
        app.audit.record(
            self.username,
            "bump",
            user=request.user,
            resource=request.resource,
            amount=request.amount,
            days=request.days,
            reason=request.reason,
            id=bump_id,
        )
        self.send_json(
            {"id": bump_id, "user": request.user, "expires": bump.expires, "expires_text": _format_utc(bump.expires)},
            status=201,
        )

    async def groups_of(self, name: str) -> list[str]:
        """The person's JupyterHub groups, asked with the service's own token (404: no such person)."""
        import os

        url = os.environ["JUPYTERHUB_API_URL"].rstrip("/") + "/users/" + url_escape(name, plus=False)
        try:
            response = await AsyncHTTPClient().fetch(
                url, headers={"Authorization": f"token {os.environ['JUPYTERHUB_API_TOKEN']}"}, request_timeout=20
            )
        except HTTPClientError as e:
            if e.code == 404:
                raise Refused(404, f"There is no user {name!r} on this hub.") from None
            raise Refused(502, "The hub did not say which groups this person is in; try again.") from None
        return list(json.loads(response.body).get("groups") or [])


class BumpAPI(BumpsAPI):
    async def delete(self, bump_id):
        app = self.service
        history = {b["id"]: b for b in await self.read(app.store.bump_history, 100_000)}
        bump = history.get(int(bump_id))
        if bump is None:
            raise Refused(404, f"No bump {bump_id}.")
        groups = await self.groups_of(bump["user"])
        if not allows(self.scopes, [USAGE_BUMP], user=bump["user"], groups=groups):
            raise Refused(403, "You may not revoke this bump: its person is not in a group you look after.")
        if not await self.read(app.store.revoke_bump, int(bump_id), self.username, app.clock.now()):
            raise Refused(409, f"Bump {bump_id} was already revoked.")
        app.audit.record(self.username, "revoke-bump", user=bump["user"], id=int(bump_id))
        self.send_json({"id": int(bump_id), "revoked": True})
