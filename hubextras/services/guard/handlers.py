"""The champions' guard page and API: alerts with their evidence, lifting blocks, the metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ...scopes import GUARD_CHAMPION
from ..base import JSONAPIHandler, Refused, ServiceHandler


class GuardPage(ServiceHandler):
    required_scopes = (GUARD_CHAMPION,)
    missing_scope_message = "Only hub champions see the guard's alerts."

    async def get(self):
        await self.render_page("guard.html", page_title="Guard", block_until_lifted=self.service.block_until_lifted)


class AlertsAPI(JSONAPIHandler):
    required_scopes = (GUARD_CHAMPION,)
    missing_scope_message = "Only hub champions see the guard's alerts."

    def get(self):
        service = self.service
        self.send_json({"alerts": [a.to_json() for a in service.alerts[:200]],
                        "blocked": sorted(service.blocks)})


class LiftAPI(AlertsAPI):
    def post(self, user: str):
        if not self.service.lift(user, self.username):
            raise Refused(404, f"{user} is not blocked.")
        self.send_json({"lifted": user})


class MetricsHandler(ServiceHandler):
    required_scopes = ("read:metrics",)

    def get(self):
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(self.service.registry))
