"""The usage service's settings and routes; the handlers are in `handlers.py`, the figures in `report.py`."""

from __future__ import annotations

import concurrent.futures
import json
import os
import sys
from pathlib import Path

from traitlets import Dict, Float, Integer, Unicode, default

from ...scopes import USAGE_SERVICE
from ...usage.clock import Clock
from ...usage.cost import Prices
from ...usage.quota import parse_policy
from ...usage.store import UsageStore
from ..base.app import ServiceApplication
from ..base.audit import AuditLog
from . import handlers


class UsageService(ServiceApplication):
    """`python -m hubextras.services.usage`, run by the hub (see `hubextras.usage.wiring`)."""

    name = "hubextras-usage"
    description = "Usage, quotas and cost of the hub, for champions and for each person."
    service_name = USAGE_SERVICE
    package_dir = Path(__file__).resolve().parent

    store_path = Unicode(
        "hubextras-usage.sqlite",
        config=True,
        help="The usage store the hub writes (the snippet passes the hub's `UsageRecorder.store_path`).",
    )
    clock_file = Unicode(config=True, help="The usage clock file, as `c.UsageRecorder.clock_file`.")

    @default("clock_file")
    def _clock_file_default(self):
        return os.environ.get("HUBEXTRAS_USAGE_CLOCK", "")

    policies = Dict({}, config=True, help="The hub's `c.UsageQuotas.policies` (passed by the snippet).")
    default_policy = Dict({}, config=True, help="The hub's `c.UsageQuotas.default_policy`.")
    headroom_hours = Float(1.0, config=True, help="The hub's `c.UsageQuotas.headroom_hours`.")
    per_gib_hour = Float(0.0, config=True, help="The hub's `c.UsagePrices.per_gib_hour`.")
    per_cpu_hour = Float(0.0, config=True, help="The hub's `c.UsagePrices.per_cpu_hour`.")
    per_gb_month = Float(0.0, config=True, help="The hub's `c.UsagePrices.per_gb_month`.")
    currency = Unicode("USD", config=True, help="The hub's `c.UsagePrices.currency`.")
    top_count = Integer(20, config=True, help="How many people the champions' page lists as top users.")
    home_sizes_file = Unicode(
        "",
        config=True,
        help="""A JSON file `{"username": bytes, ...}` of home folder sizes (written by a home-size scan),
        shown on the pages and priced per GB-month. Empty or missing: no home sizes.""",
    )
    max_bump_days = Float(90.0, config=True, help="Longest a champion's bump may last, in days.")

    def routes(self):
        return [
            ("", handlers.ChampionsPage),
            ("me", handlers.MyUsagePage),
            (r"csv/([a-z]+)\.csv", handlers.TableCSV),
            ("api/report", handlers.ReportAPI),
            ("api/bumps", handlers.BumpsAPI),
            (r"api/bumps/([0-9]+)", handlers.BumpAPI),
        ]

    def initialize(self, argv=None):
        super().initialize(argv)
        for group, spec in self.policies.items():
            parse_policy(group, spec)  # refuse to start with a policy the hub would refuse too
        self.store = UsageStore(self.store_path)
        self.clock = Clock(self.clock_file)
        self.audit = AuditLog(Path(self.data_dir) / "audit.jsonl")
        self.reader = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="usage-store")

    @property
    def prices(self) -> Prices:
        return Prices(self.per_gib_hour, self.per_cpu_hour, self.per_gb_month, self.currency)

    def parsed_policies(self):
        policies = {g: parse_policy(g, spec) for g, spec in self.policies.items()}
        return policies, (parse_policy("", self.default_policy) if self.default_policy else None)

    def home_sizes(self) -> dict[str, int]:
        if not self.home_sizes_file:
            return {}
        try:
            with open(self.home_sizes_file, encoding="utf-8") as f:
                sizes = json.load(f)
        except (OSError, ValueError):
            return {}
        return (
            {str(k): int(v) for k, v in sizes.items() if isinstance(v, int | float)} if isinstance(sizes, dict) else {}
        )

    async def stopping(self):
        self.reader.shutdown(wait=False)


def main(argv=None) -> int:
    if "JUPYTERHUB_API_URL" not in os.environ:
        print(
            "The usage service runs as a JupyterHub service: add it with jupyterhub_config.d/70-usage.py.",
            file=sys.stderr,
        )
        return 2
    app = UsageService.instance()
    app.initialize(argv)
    app.start()
    return 0
