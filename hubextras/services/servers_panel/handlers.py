"""Serving: the page and the JSON API (docs/servers-panel.md). Each handler parses, calls the directory or the
bulk runner with the champion's own token, and answers; auth, bodies and errors are the service base's."""

from __future__ import annotations

from ..base.handlers import JSONAPIHandler, Refused, ServiceHandler
from .bodies import ActionRequest, body_limit_for, query_from_arguments, values_limit_for
from .hub_client import HubRefused, HubUnavailable
from .rows import ACTIONS, PanelRequestError, may_act, plan_bulk


async def hub_call(coro):
    """Await a hub call, turning the hub's refusals into the same status with a readable message."""
    try:
        return await coro
    except HubRefused as e:
        raise Refused(e.status if e.status < 500 else 502, e.message or "The hub refused.") from None
    except HubUnavailable as e:
        raise Refused(503, str(e)) from None
    except PanelRequestError as e:
        raise Refused(400, str(e)) from None


class PanelPage(ServiceHandler):
    async def get(self):
        await self.render_page("panel.html", page_title="Servers", refresh_seconds=self.service.refresh_seconds)


class ServersAPI(JSONAPIHandler):
    async def get(self):
        try:
            query = query_from_arguments({k: self.get_argument(k) for k in self.request.arguments})
        except PanelRequestError as e:
            raise Refused(400, str(e)) from None
        panel = self.service
        rows, total, paged_by = await hub_call(panel.directory.page_rows(self.hub_token(), query))
        usage = await panel.resource_use()
        items = []
        for row in rows:
            item = row.to_json()
            item["may"] = {action: may_act(self.scopes, row, action) for action in ACTIONS}
            item["usage"] = usage.get((row.user, row.server)) if row.status != "stopped" else None
            items.append(item)
        following = query.offset + query.limit
        self.send_json({
            "items": items, "total": total, "offset": query.offset, "limit": query.limit, "paged_by": paged_by,
            "next_offset": following if following < total else None,
        })

    def hub_token(self) -> str:
        return self.hub_auth.get_token(self)


class GroupsAPI(ServersAPI):
    async def get(self):
        try:
            names = [g["name"] async for g in self.service.client.walk("/groups", self.hub_token())]
        except HubRefused:
            names = []  # a champion without list:groups simply gets no group filter
        except HubUnavailable as e:
            raise Refused(503, str(e)) from None
        self.send_json({"groups": sorted(names)})


class ActionsAPI(ServersAPI):
    def body_limit(self) -> int:
        return body_limit_for(self.service.max_bulk)

    def body_max_values(self) -> int:
        return values_limit_for(self.service.max_bulk)

    async def post(self):
        request = self.body(ActionRequest)
        panel, token = self.service, self.hub_token()
        if request.servers is not None:
            if len(request.servers) > panel.max_bulk:
                raise Refused(400, f"At most {panel.max_bulk} servers per action; this one lists "
                              f"{len(request.servers)}.")
            rows = await hub_call(panel.directory.listed_rows(token, request.listed()))
        else:
            rows = await hub_call(panel.directory.all_matching_rows(token, request.match.query()))
        job = panel.bulk.start(plan_bulk(request.action, rows), self.username, token)
        self.send_json(job.to_json(), status=202)


class RecordsAPI(JSONAPIHandler):
    def sees_everyones_actions(self) -> bool:
        """Champions who may list every user see every champion's actions; others only their own."""
        return "list:users" in self.scopes

    def visible(self, who: str) -> bool:
        return who == self.username or self.sees_everyones_actions()


class JobAPI(RecordsAPI):
    def get(self, job_id):
        job = self.service.bulk.jobs.get(job_id)
        if job is None or not self.visible(job.who):
            raise Refused(404, f"No action with id {job_id} (only the latest are kept).")
        self.send_json(job.to_json())


class JobsAPI(RecordsAPI):
    def get(self):
        jobs = [job for job in self.service.bulk.jobs.values() if self.visible(job.who)]
        jobs = sorted(jobs, key=lambda j: j.created, reverse=True)[:20]
        self.send_json({"jobs": [{k: v for k, v in job.to_json().items() if k != "rows"} for job in jobs]})


class AuditAPI(RecordsAPI):
    def get(self):
        try:
            limit = max(1, min(int(self.get_argument("limit", "100")[:6]), 1000))
        except ValueError:
            raise Refused(400, "limit must be a whole number from 1 to 1000.") from None
        audit = self.service.audit
        if self.sees_everyones_actions():
            entries = audit.recent(limit)
        else:
            entries = audit.recent(limit, matching=lambda entry: entry.get("who") == self.username)
        self.send_json({"entries": entries})
