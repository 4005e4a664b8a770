"""The guard service: its settings (traits), the scan loop, and what it does on a match.

Every `scan_seconds` it lists the running servers (its own token: `admin:server_state` gives each local server's
pid), reads each server's process tree from /proc, judges every process (`guard.rules`), and on a match kills
the process, stops the server through the hub's API, blocks the person (when `block_until_lifted`), records an
alert with the evidence and an audit entry, and counts the metric. Sustained CPU use is only reported.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from pathlib import Path
from urllib.parse import quote

from prometheus_client import CollectorRegistry, Counter
from traitlets import Bool, Float, Integer, List, Unicode, default

from ...announcements.published import clock_from_file
from ...guard import processes
from ...guard.published import STATE_FILE, Alert, Block, read_state, write_state
from ...guard.rules import (
    DEFAULT_BANNED_STRINGS,
    DEFAULT_MINER_BINARIES,
    DEFAULT_POOL_PROTOCOLS,
    CPUSample,
    Rules,
    judge,
    sustained_cpu,
)
from ...scopes import GUARD_SERVICE
from ...spawners.cgroups import ServerCgroup, find_hierarchy
from ..base import AuditLog, ServiceApplication
from ..servers_panel.hub_client import HubClient, HubRefused, HubUnavailable
from . import handlers

MAX_ALERTS = 1000


class GuardService(ServiceApplication):
    """Stops cryptocurrency miners in people's servers and tells the champions (one machine)."""

    name = "hubextras-guard"
    description = __doc__
    service_name = GUARD_SERVICE
    package_dir = Path(__file__).resolve().parent

    @default("data_dir")
    def _default_data_dir(self):
        return os.path.abspath(GUARD_SERVICE)

    enabled = Bool(
        True, config=True,
        help="""Run the guard. It sees processes on this machine only (the one-machine spawner). Default: True,
        except when the spawner is a Kubernetes one (`profiles-kube`, KubeSpawner): there run cryptnono beside
        z2jh (docs/guard-operators.md).""",
    )
    scan_seconds = Float(2.0, config=True, help="How often every running server's processes are judged.")
    banned_strings = List(
        Unicode(), list(DEFAULT_BANNED_STRINGS), config=True,
        help="Strings that stop a process when its command line contains them (case-insensitive).",
    )
    miner_binaries = List(
        Unicode(), list(DEFAULT_MINER_BINARIES), config=True,
        help="Names of mining programs: a process whose executable (or first argument) has one of them is stopped.",
    )
    pool_protocols = List(
        Unicode(), list(DEFAULT_POOL_PROTOCOLS), config=True,
        help="Mining pool URL schemes (`stratum+tcp://` ...): a command line naming one is stopped.",
    )
    stratum_ports = List(
        Integer(), [], config=True,
        help="""Remote TCP ports of mining pools (for example 3333, 4444, 5555, 14444): a process connected to
        one is stopped. Empty by default: these ports are not reserved, and a false stop costs a person's work.""",
    )
    allow = List(
        Unicode(), [], config=True,
        help="""Regular expressions searched in command lines: a process matching one is never stopped
        (for example a course's own tool that mentions `stratum+tcp://` in its arguments).""",
    )
    block_until_lifted = Bool(
        True, config=True,
        help="After a stop, refuse the person's starts until a champion lifts the block. False: stop only.",
    )
    cpu_report_fraction = Float(
        0.9, config=True, help="CPU share (1.0: one full core) a process must keep to be reported (never stopped).",
    )
    cpu_report_seconds = Float(
        1800, config=True, help="How long a process must keep `cpu_report_fraction` before it is reported.",
    )
    cgroup_root = Unicode(
        "/sys/fs/cgroup", config=True,
        help="Where cgroups are mounted: set it as `ProfilesLocalSpawner.cgroup_root` is (the same default).",
    )
    cgroup_parent = Unicode(
        "hubextras", config=True,
        help="Folder of the servers' cgroups: set it as `ProfilesLocalSpawner.cgroup_parent` is (the same default).",
    )
    clock_file = Unicode("", config=True, help="A file holding the Unix time used as now (tests); empty: real time.")

    def initialize(self, argv=None):
        super().initialize(argv)
        self.state_path = Path(self.data_dir) / STATE_FILE
        self.alerts, self.blocks = read_state(self.state_path)
        self.audit = AuditLog(Path(self.data_dir) / "audit.jsonl")
        self.now = clock_from_file(self.clock_file)
        self.rules = Rules(tuple(self.banned_strings), tuple(self.miner_binaries), tuple(self.pool_protocols),
                           tuple(self.stratum_ports), tuple(self.allow))
        self.client = HubClient(os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api"))
        self.token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
        self.registry = CollectorRegistry()
        self.matches = Counter("hubextras_guard_matches", "Processes the guard stopped, by rule kind",
                               ["kind"], registry=self.registry)
        self.reports = Counter("hubextras_guard_reports", "Processes reported for sustained CPU use",
                               registry=self.registry)
        self.cpu: dict[int, list[CPUSample]] = {}
        self.reported: set[int] = set()

    def routes(self):
        return [
            ("", handlers.GuardPage),
            ("api/alerts", handlers.AlertsAPI),
            (r"api/blocks/([^/]+)/lift", handlers.LiftAPI),
            ("metrics", handlers.MetricsHandler),
        ]

    def save(self) -> None:
        self.alerts = self.alerts[:MAX_ALERTS]
        write_state(self.state_path, self.alerts, self.blocks)

    def lift(self, user: str, champion: str) -> bool:
        if self.blocks.pop(user, None) is None:
            return False
        self.save()
        self.audit.record(champion, "lift", user=user)
        return True

    async def running_servers(self) -> list[tuple[str, str, int, str]]:
        """(user, server name, pid, cgroup name or "") of every running local server, from its spawner's state."""
        found = []
        async for user in self.client.walk("/users", self.token, {"state": "active"}):
            for name, server in (user.get("servers") or {}).items():
                state = server.get("state") or {}
                pid = state.get("pid")
                if isinstance(pid, int) and pid > 0 and server.get("ready"):
                    found.append((user["name"], name, pid, str(state.get("cgroup") or "")))
        return found

    def server_pids(self, pid: int, cgroup: str, parent_of: dict[int, int]) -> list[int]:
        """The server's process tree, and everything in its cgroup (a process that left the tree stays there)."""
        pids = processes.tree(pid, parent_of)
        if cgroup:
            hierarchy = find_hierarchy(self.cgroup_root, self.cgroup_parent, create=False)
            if hierarchy is not None:
                pids += sorted(ServerCgroup(hierarchy, cgroup).pids() - set(pids))
        return pids

    async def scan(self) -> None:
        servers = await self.running_servers()
        parent_of = processes.parents()
        now = self.now()
        alive = set()
        for user, server, pid, cgroup in servers:
            pids = self.server_pids(pid, cgroup, parent_of)
            alive.update(pids)
            for facts in processes.server_processes(pids):
                match = judge(facts, self.rules)
                if match is not None:  # one match stops the whole server: no need to judge the rest
                    await self.stop_mining(user, server, match, now)
                    break
                self.watch_cpu(user, server, facts, now)
        for gone in set(self.cpu) - alive:
            self.cpu.pop(gone, None)
            self.reported.discard(gone)

    def watch_cpu(self, user, server, facts, now) -> None:
        sample = processes.cpu_sample(facts.pid, now)
        if sample is None:
            return
        samples = self.cpu.setdefault(facts.pid, [])
        samples.append(sample)
        horizon = now - 2 * self.cpu_report_seconds
        while len(samples) > 2 and samples[0].when < horizon:
            samples.pop(0)
        if facts.pid not in self.reported and sustained_cpu(samples, fraction=self.cpu_report_fraction,
                                                            seconds=self.cpu_report_seconds):
            self.reported.add(facts.pid)
            self.reports.inc()
            minutes = round(self.cpu_report_seconds / 60)
            self.add_alert(user, server, now, "sustained-cpu", f"{self.cpu_report_fraction:.0%}",
                           f"it kept {self.cpu_report_fraction:.0%} of a CPU busy for {minutes} minutes "
                           "(reported only: ordinary work does this too)", facts.pid, facts.command, ())

    def add_alert(self, user, server, now, kind, rule, reason, pid, command, actions) -> Alert:
        alert = Alert(id=secrets.token_hex(8), user=user, server=server, when=now, kind=kind, rule=rule,
                      reason=reason, pid=pid, command=command[:4096], actions=tuple(actions))
        self.alerts.insert(0, alert)
        self.save()
        self.audit.record("guard", "alert", user=user, server=server, kind=kind, rule=rule, pid=pid,
                          command=alert.command, actions=list(actions))
        return alert

    async def stop_mining(self, user: str, server: str, match, now: float) -> None:
        actions = []
        try:
            os.kill(match.pid, signal.SIGKILL)
            actions.append("killed")
        except ProcessLookupError:
            pass
        except PermissionError:
            self.log.warning("guard: may not kill pid %d of %s", match.pid, user)
        if self.block_until_lifted:
            # blocked before the stop: a start racing the stop is refused too
            self.blocks[user] = Block(user=user, since=now, alert="", reason=match.describe())
            actions.append("blocked")
        path = f"/users/{quote(user, safe='')}/servers/{quote(server, safe='')}" if server else \
            f"/users/{quote(user, safe='')}/server"
        try:
            await self.client.request("DELETE", path, self.token)
            actions.append("stopped")
        except (HubRefused, HubUnavailable) as e:
            self.log.warning("guard: could not stop %s's server: %s", user, e)
        alert = self.add_alert(user, server, now, match.kind, match.rule, match.describe(), match.pid,
                               match.command, sorted(actions))
        if user in self.blocks:
            self.blocks[user] = Block(user=user, since=now, alert=alert.id, reason=match.describe())
            self.save()
        self.matches.labels(match.kind).inc()
        self.log.warning("guard: stopped %s's server: %s (pid %d: %s)", user, match.describe(), match.pid,
                         match.command[:200])

    async def started(self) -> None:
        async def scanning():
            while True:
                try:
                    await self.scan()
                except Exception:
                    self.log.exception("guard: scan failed")
                await asyncio.sleep(self.scan_seconds)

        self._scanner = asyncio.ensure_future(scanning())

    async def stopping(self) -> None:
        self._scanner.cancel()


main = GuardService.launch_instance
