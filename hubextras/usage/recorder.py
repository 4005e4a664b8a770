"""The hub side of usage: record every server on any spawner, refuse starts over quota, stop servers over it.

`configure_usage(c)` (the `70-usage.py` snippet) wraps the configured spawner class in
`UsageRecordingSpawner`, chains the hub's request log to see the idle culler's stops, and puts each
person's quota state on the home page. Nothing here patches the hub: the wrapper is a subclass, the log
function calls JupyterHub's own, and the stop of a server over quota goes through the REST API.

A refusal is an `HTTPError(403)` raised in `Spawner.start`: JupyterHub shows it as a clear page
(or API error) and counts it as a handled refusal, never toward `consecutive_failure_limit`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import sqlite3
from importlib.metadata import entry_points
from pathlib import Path

from jupyterhub.utils import maybe_future
from tornado import web
from traitlets import Bool, Dict, Enum, Float, Integer, List, Unicode, default, validate
from traitlets.config import Config, LoggingConfigurable

from . import metrics
from .clock import Clock
from .quota import PolicyError, QuotaPolicy, StartRequest, decide, measure, over_quota, parse_policy
from .record import CULLED, FAILED, OVER_QUOTA, RESOURCE_WORDS, STOPPED, UsageRecord
from .store import UsageStore

USAGE_SERVICE = "usage"
END_REASON_ATTRIBUTE = "usage_end_reason"  # a spawner sets it to "out_of_memory" before it reports the stop


class StoreUnavailable(Exception):
    """The usage store failed or did not answer in time."""


class UsageQuotas(LoggingConfigurable):
    """Quota policies per group (config, so they live in the hub's values); bumps live in the store."""

    policies = Dict(
        {},
        config=True,
        help="""Quota policies by JupyterHub group name, for example::

            c.UsageQuotas.policies = {
                "myorg:course-101": {
                    "limits": [
                        {"resource": "memory_gib_hours", "amount": 500, "days": 30},
                        {"resource": "server_hours", "amount": 40, "days": 7},
                    ],
                    "profiles": ["small", "medium"],
                },
            }

        `resource` is `server_hours`, `memory_gib_hours` or `cpu_hours` (of requested memory and CPU:
        the guarantee, else the limit); each limit is a sliding window of `days`. Optional keys:
        `profiles` (the profile slugs members may start), `max_memory_gib` and `max_cpu` (largest
        server), `shared` (true: the group's members share one budget; default: each person has it).
        Someone in several groups may start if any one of their groups' policies allows it.""",
    )

    default_policy = Dict(
        {},
        config=True,
        help="""The policy for people in none of the `policies` groups (same keys as one policy).
        Empty: no limits for them.""",
    )

    @validate("policies")
    def _valid_policies(self, proposal):
        for group, spec in proposal["value"].items():
            try:
                parse_policy(group, spec)
            except PolicyError as e:
                raise ValueError(f"c.UsageQuotas.policies: {e}") from None
        return proposal["value"]

    @validate("default_policy")
    def _valid_default(self, proposal):
        if proposal["value"]:
            try:
                parse_policy("", proposal["value"])
            except PolicyError as e:
                raise ValueError(f"c.UsageQuotas.default_policy: {e}") from None
        return proposal["value"]

    headroom_hours = Float(
        1.0,
        config=True,
        help="""A start needs room for this many hours of the chosen profile within every limit
        (so a limit with a few minutes left does not admit a large server). 0: any room left admits.""",
    )

    grace_seconds = Float(
        3600.0,
        config=True,
        help="""Running servers of a person over quota get a warning on their home page and are
        stopped this many seconds later. 0: stopped at the next check. Negative: never stopped.""",
    )

    check_seconds = Float(
        60.0,
        config=True,
        help="How often the hub measures running servers against the quotas (and counts their usage in the metrics).",
    )

    def parsed(self) -> tuple[dict[str, QuotaPolicy], QuotaPolicy | None]:
        policies = {group: parse_policy(group, spec) for group, spec in self.policies.items()}
        return policies, (parse_policy("", self.default_policy) if self.default_policy else None)


class UsagePrices(LoggingConfigurable):
    """Prices for the estimated cost on the usage pages."""

    per_gib_hour = Float(0.0, config=True, help="Price of one GiB-hour of requested memory.")
    per_cpu_hour = Float(0.0, config=True, help="Price of one CPU-hour of requested CPU.")
    per_gb_month = Float(0.0, config=True, help="Price of one GB of home storage kept for a month (30 days).")
    currency = Unicode("USD", config=True, help="Currency shown next to the prices (a code or a symbol).")


def default_store_path(config: Config) -> str:
    """Next to the hub's sqlite database when it has one, else in the hub's working folder."""
    db_url = config.JupyterHub.get("db_url", "sqlite:///jupyterhub.sqlite") if "JupyterHub" in config else ""
    match = re.match(r"sqlite:///(.+)", str(db_url or "sqlite:///jupyterhub.sqlite"))
    folder = Path(match.group(1)).resolve().parent if match and match.group(1) != ":memory:" else Path.cwd()
    return str(folder / "hubextras-usage.sqlite")


class UsageRecorder(LoggingConfigurable):
    """Where the record lives and how the hub treats it (one per hub process)."""

    store_path = Unicode(
        config=True,
        help="""The usage store's sqlite file. Default: `hubextras-usage.sqlite` next to the hub's
        sqlite database (its own file; the hub's database is never touched).""",
    )

    @default("store_path")
    def _store_path_default(self):
        return default_store_path(self.config)

    clock_file = Unicode(
        config=True,
        help="""A file holding a Unix time that replaces "now" for usage records (tests and demos
        compress a week into seconds with it). Default: `$HUBEXTRAS_USAGE_CLOCK`; empty: the real clock.""",
    )

    @default("clock_file")
    def _clock_file_default(self):
        return os.environ.get("HUBEXTRAS_USAGE_CLOCK", "")

    store_timeout = Float(
        2.0,
        config=True,
        help="Most seconds a start waits for the usage store (the quota check and the start record).",
    )

    on_store_failure = Enum(
        ["open", "closed"],
        "open",
        config=True,
        help="""When the usage store fails or is too slow at a start: `open` lets the server start
        (unrecorded, quota unchecked), `closed` refuses the start with a "try again" message.
        Either way `hubextras_usage_store_failures_total` counts it.""",
    )

    culler_services = List(
        Unicode(),
        ["idle-culler", "jupyterhub-idle-culler", "cull-idle", "jupyterhub-idle-culler-service"],
        config=True,
        help="Names of the services whose server stops count as `culled` (the idle culler).",
    )

    api_token = Unicode(
        config=True,
        help="""Token the hub side uses to stop servers over quota through the REST API (the snippet
        registers the `usage` service with it). Default: `$HUBEXTRAS_USAGE_API_TOKEN`.""",
    )

    @default("api_token")
    def _api_token_default(self):
        return os.environ.get("HUBEXTRAS_USAGE_API_TOKEN", "")

    usage_page_url = Unicode(
        "",
        config=True,
        help="Where a person's own usage page is (linked from refusals and the home page). Empty: no link.",
    )

    namespace = Unicode(
        config=True,
        help="The `namespace` label of `jupyterhub_user_group_info` (default: `$POD_NAMESPACE`, else empty).",
    )

    @default("namespace")
    def _namespace_default(self):
        return os.environ.get("POD_NAMESPACE", "")

    enforce = Bool(True, config=True, help="Enforce the quotas (False: record and measure only).")

    max_pending_writes = Integer(
        1000,
        config=True,
        help="Most record writes queued for the store; past it, writes fail (counted) instead of piling up.",
    )

    _instance: UsageRecorder | None = None

    @classmethod
    def for_config(cls, config, log=None) -> UsageRecorder:
        """The one recorder of this hub process."""
        if cls._instance is None:
            cls._instance = cls(config=config, **({"log": log} if log else {}))
        return cls._instance

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.quotas = UsageQuotas(parent=self)
        self.clock = Clock(self.clock_file)
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hubextras-usage")
        self._store: UsageStore | None = None
        self._pending = 0
        self._end_reasons: dict[tuple[str, str], str] = {}
        self._over_since: dict[str, float] = {}
        self._over_messages: dict[str, str] = {}
        self._counted_until: dict[str, float] = {}
        self._loop_task: asyncio.Task | None = None

    # -- the store, off the event loop ---------------------------------------------------------

    @property
    def store(self) -> UsageStore:
        if self._store is None:
            self._store = UsageStore(self.store_path)
        return self._store

    async def _call(self, operation: str, function, *args):
        """Run a store call in the recorder's one thread, within `store_timeout`."""
        if self._pending >= self.max_pending_writes:
            metrics.STORE_FAILURES.labels(operation, "queue_full").inc()
            raise StoreUnavailable(f"{self._pending} usage store calls are waiting")
        self._pending += 1
        try:
            future = asyncio.get_running_loop().run_in_executor(self._executor, lambda: function(self.store, *args))
            return await asyncio.wait_for(asyncio.shield(future), self.store_timeout)
        except asyncio.TimeoutError:
            metrics.STORE_FAILURES.labels(operation, "timeout").inc()
            raise StoreUnavailable(
                f"the usage store did not answer {operation} within {self.store_timeout:g} s"
            ) from None
        except (sqlite3.Error, OSError) as e:
            metrics.STORE_FAILURES.labels(operation, "error").inc()
            raise StoreUnavailable(f"the usage store failed at {operation}: {e}") from None
        finally:
            self._pending -= 1

    def _unavailable(self, error: StoreUnavailable, spawner) -> None:
        """Fail open (log) or closed (refuse with a message that says to retry)."""
        self.log.error("Usage store: %s (%s's start, failing %s)", error, spawner._log_name, self.on_store_failure)
        if self.on_store_failure == "closed":
            message = (
                "Servers cannot start right now because the hub's usage records are not available. "
                "Try again in a few minutes; if it keeps happening, tell a hub champion."
            )
            http_error = web.HTTPError(429, message)
            http_error.jupyterhub_message = message
            raise http_error

    # -- starts ------------------------------------------------------------------------------

    def start_request(self, spawner) -> tuple[StartRequest, UsageRecord]:
        user = spawner.user
        groups = tuple(sorted(g.name for g in getattr(user, "groups", [])))
        selection = getattr(spawner, "profile_selection", None)
        profile = getattr(selection, "slug", None) or (spawner.user_options or {}).get("profile") or ""
        record = UsageRecord(
            user=user.name,
            server=spawner.name or "",
            groups=groups,
            profile=str(profile),
            mem_guarantee=int(spawner.mem_guarantee or 0),
            mem_limit=int(spawner.mem_limit or 0),
            cpu_guarantee=float(spawner.cpu_guarantee or 0),
            cpu_limit=float(spawner.cpu_limit or 0),
            started=self.clock.now(),
        )
        request = StartRequest(user.name, frozenset(groups), record.profile, record.memory_request, record.cpu_request)
        return request, record

    def decide(self, store: UsageStore, request: StartRequest, now: float):
        """The quota decision for a start, reading only what it needs (the person's and shared groups' records)."""
        policies, default_policy = self.quotas.parsed()
        applicable = [p for p in [default_policy, *policies.values()] if p is not None]
        if not applicable:
            return decide(request, {}, None, [], {}, [], now)
        since = now - max(p.longest_window for p in applicable)
        folded = {g.casefold() for g in request.groups}
        group_records = {
            name: store.of_group(name, since) for name, p in policies.items() if p.shared and name.casefold() in folded
        }
        return decide(
            request,
            policies,
            default_policy,
            store.of_user(request.user, since),
            group_records,
            store.bumps_of(request.user, now),
            now,
            headroom_hours=self.quotas.headroom_hours,
        )

    async def before_start(self, spawner) -> None:
        """Refuse a start over quota (HTTPError 403 with the message); record the start otherwise."""
        self.ensure_checking()
        request, record = self.start_request(spawner)
        spawner._usage_record_id = None
        if self.enforce:
            try:
                decision = await self._call("quota_check", self.decide, request, record.started)
            except StoreUnavailable as e:
                self._unavailable(e, spawner)
                decision = None
            if decision is not None and not decision.allowed:
                failing = [c for c in decision.checks if not c.fits] or [None]
                for check in failing:
                    metrics.QUOTA_REFUSALS.labels(
                        decision.policy.group or "default", check.limit.resource if check else "profile"
                    ).inc()
                self.log.info("Usage quota refused %s: %s", spawner._log_name, decision.message)
                http_error = web.HTTPError(403, decision.message)
                http_error.jupyterhub_message = decision.message
                if self.usage_page_url:
                    from markupsafe import escape

                    http_error.jupyterhub_html_message = (
                        f'{escape(decision.message)} <a href="{escape(self.usage_page_url)}">See your usage</a>.'
                    )
                raise http_error
        try:
            spawner._usage_record_id = await self._call("record_start", UsageStore.add, record)
        except StoreUnavailable as e:
            self._unavailable(e, spawner)
            return
        metrics.SERVERS_STARTED.labels(record.profile).inc()
        self._counted_until[spawner._usage_record_id] = record.started

    async def start_failed(self, spawner) -> None:
        await self._close(spawner, FAILED)

    async def after_stop(self, spawner) -> None:
        key = (spawner.user.name, spawner.name or "")
        reason = self._end_reasons.pop(key, None) or getattr(spawner, END_REASON_ATTRIBUTE, None)
        if reason is None:
            # the hub stops a server that never answered while it still waits for it: a failed start
            reason = FAILED if getattr(spawner, "_waiting_for_response", False) else STOPPED
        await self._close(spawner, reason)
        if getattr(spawner, END_REASON_ATTRIBUTE, None):
            setattr(spawner, END_REASON_ATTRIBUTE, None)

    async def _close(self, spawner, reason: str) -> None:
        record_id = getattr(spawner, "_usage_record_id", None)
        spawner._usage_record_id = None
        now = self.clock.now()
        try:
            if record_id is None:  # a spawner made after a hub restart: find its open record
                record = await self._call(
                    "find_record", UsageStore.running_record, spawner.user.name, spawner.name or ""
                )
            else:
                record = await self._call("find_record", UsageStore.get, record_id)
            if record is None or record.stopped is not None:
                return
            await self._call("record_stop", UsageStore.stop, record.id, now, reason)
        except StoreUnavailable as e:
            self.log.error("Usage store: %s (%s's stop is not recorded)", e, spawner._log_name)
            return
        self._count(record, now)
        self._counted_until.pop(record.id, None)
        metrics.SERVERS_ENDED.labels(record.profile, reason).inc()

    def _count(self, record: UsageRecord, now: float) -> None:
        """Add what the record used since it was last counted to the usage counters."""
        since = self._counted_until.get(record.id, record.started)
        hours = max(0.0, now - since) / 3600
        self._counted_until[record.id] = max(since, now)
        if hours:
            labels = (record.user, record.profile)
            metrics.SERVER_HOURS.labels(*labels).inc(hours)
            metrics.MEMORY_GIB_HOURS.labels(*labels).inc(hours * record.rate("memory_gib_hours"))
            metrics.CPU_HOURS.labels(*labels).inc(hours * record.rate("cpu_hours"))

    # -- who stopped a server ------------------------------------------------------------------

    def note_request(self, handler) -> None:
        """After each hub request: a server stop asked by the idle culler makes its record `culled`."""
        if handler.request.method != "DELETE" or type(handler).__name__ != "UserServerAPIHandler":
            return
        status = handler.get_status()
        asker = getattr(handler, "_jupyterhub_user", None) or getattr(handler, "_current_user", None)
        if status not in (202, 204) or getattr(asker, "kind", "") != "service":
            return
        if getattr(asker, "name", "") not in self.culler_services:
            return
        args = list(handler.path_args) + [""]
        key = (args[0], args[1] or "")
        if status == 202:  # still stopping: the stop hook will read it
            self._end_reasons[key] = CULLED
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.create_task(self._mark_culled(*key))

    async def _mark_culled(self, user: str, server: str) -> None:
        try:
            record = await self._call("find_record", UsageStore.last_record, user, server)
            if record is not None and record.stopped is not None and record.ended == STOPPED:
                await self._call("record_stop", UsageStore.set_ended, record.id, CULLED)
                metrics.SERVERS_ENDED.labels(record.profile, CULLED).inc()
        except StoreUnavailable as e:
            self.log.error("Usage store: %s (a culled stop is recorded as stopped)", e)

    # -- running servers over quota ----------------------------------------------------------------

    def ensure_checking(self) -> None:
        """Start the periodic check of running servers (once, on the hub's event loop)."""
        if self._loop_task is not None and not self._loop_task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._loop_task = loop.create_task(self._check_forever())

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(self.quotas.check_seconds)
            try:
                await self.check_running()
            except Exception:
                self.log.exception("Usage: the check of running servers failed; retrying at the next check")

    def _running_over_quota(self, store: UsageStore, now: float) -> tuple[list[UsageRecord], dict[str, str]]:
        running = store.running()
        policies, default_policy = self.quotas.parsed()
        applicable = [p for p in [default_policy, *policies.values()] if p is not None]
        over: dict[str, str] = {}
        if applicable and self.enforce:
            since = now - max(p.longest_window for p in applicable)
            for user in sorted({r.user for r in running}):
                groups = frozenset(next(r.groups for r in running if r.user == user))
                folded = {g.casefold() for g in groups}
                shared = {
                    n: store.of_group(n, since) for n, p in policies.items() if p.shared and n.casefold() in folded
                }
                checks = measure(
                    user,
                    groups,
                    policies,
                    default_policy,
                    store.of_user(user, since),
                    shared,
                    store.bumps_of(user, now),
                    now,
                )
                if over_quota(checks):
                    used = [c for c in checks if c.over]
                    over[user] = "; ".join(
                        f"{c.used:.1f} of {c.allowed_amount:g} {RESOURCE_WORDS[c.limit.resource]} "
                        f"in the last {c.limit.days:g} days"
                        for c in used
                    )
        return running, over

    async def check_running(self) -> None:
        """Count running servers' usage in the metrics, warn the people over quota, stop them after the grace."""
        now = self.clock.now()
        running, over = await self._call("check_running", self._running_over_quota, now)
        metrics.RUNNING_SERVERS.clear()
        for record in running:
            # a server running since before this hub process counts from now (counters restarted at 0)
            self._counted_until.setdefault(record.id, now)
            self._count(record, now)
            metrics.RUNNING_SERVERS.labels(record.profile).inc()
        for user in list(self._over_since):
            if user not in over:
                self._over_since.pop(user)
                self._over_messages.pop(user, None)
        for user, message in over.items():
            self._over_since.setdefault(user, now)
            self._over_messages[user] = message
        metrics.OVER_QUOTA_SERVERS.set(sum(1 for r in running if r.user in over))
        grace = self.quotas.grace_seconds
        if grace < 0:
            return
        for record in running:
            since = self._over_since.get(record.user)
            if since is not None and now - since >= grace:
                await self._stop_over_quota(record)

    async def _stop_over_quota(self, record: UsageRecord) -> None:
        from jupyterhub.app import JupyterHub
        from tornado.escape import url_escape
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError

        if not (self.api_token and JupyterHub.initialized()):
            self.log.warning(
                "Usage: cannot stop %s's server over quota: no API token (set c.UsageRecorder.api_token)", record.user
            )
            return
        api = JupyterHub.instance().hub.api_url.rstrip("/")
        path = f"/users/{url_escape(record.user, plus=False)}/server"
        if record.server:
            path = f"/users/{url_escape(record.user, plus=False)}/servers/{url_escape(record.server, plus=False)}"
        self._end_reasons[(record.user, record.server)] = OVER_QUOTA
        self.log.info("Usage: stopping %s's server %r, over quota past the grace", record.user, record.server)
        try:
            await AsyncHTTPClient().fetch(
                api + path, method="DELETE", headers={"Authorization": f"token {self.api_token}"}, request_timeout=60
            )
        except HTTPClientError as e:
            self._end_reasons.pop((record.user, record.server), None)
            if e.code != 404:
                self.log.error("Usage: stopping %s's server over quota failed: %s", record.user, e)

    def home_state(self, user) -> dict:
        """What the home page shows a person (no I/O: the periodic check keeps it)."""
        name = getattr(user, "name", "")
        since = self._over_since.get(name)
        state = {"usage_url": self.usage_page_url, "over_quota": since is not None}
        if since is not None:
            state["message"] = self._over_messages.get(name, "")
            if self.quotas.grace_seconds >= 0:
                from .quota import _format_utc

                state["stop_at"] = _format_utc(since + self.quotas.grace_seconds)
        return state


class UsageRecordingSpawner:
    """Mixin placed before any spawner class: records its servers and enforces the quotas."""

    _usage_record_id: str | None = None
    usage_end_reason: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the hub makes spawners for running servers at startup: checks resume without a new start
        self._usage_recorder().ensure_checking()

    def _usage_recorder(self) -> UsageRecorder:
        return UsageRecorder.for_config(self.config, self.log)

    async def start(self):
        recorder = self._usage_recorder()
        await recorder.before_start(self)
        try:
            return await maybe_future(super().start())
        except BaseException:
            await recorder.start_failed(self)
            raise

    async def run_post_stop_hook(self):
        try:
            await self._usage_recorder().after_stop(self)
        except Exception:
            self.log.exception("Usage: recording the stop of %s failed", self._log_name)
        return await maybe_future(super().run_post_stop_hook())


def spawner_class_of(configured) -> type:
    """The class `c.JupyterHub.spawner_class` names (an entry point name, a dotted path or a class)."""
    if isinstance(configured, type):
        return configured
    name = str(configured)
    found = [ep for ep in entry_points(group="jupyterhub.spawners") if ep.name == name]
    if found:
        return found[0].load()
    module, _, attribute = name.rpartition(".")
    import importlib

    return getattr(importlib.import_module(module), attribute)


_recording_classes: dict[type, type] = {}


def recording_spawner_class(base: type) -> type:
    """`base` with usage recording (the same class for the same base; a recording class is returned as is)."""
    if issubclass(base, UsageRecordingSpawner):
        return base
    if base not in _recording_classes:
        _recording_classes[base] = type(
            f"UsageRecorded{base.__name__}", (UsageRecordingSpawner, base), {"__module__": __name__}
        )
    return _recording_classes[base]


def log_usage_request(handler) -> None:
    """JupyterHub's request log, then the recorder's look at server stops."""
    from jupyterhub.log import log_request

    log_request(handler)
    recorder = UsageRecorder._instance
    if recorder is not None:
        try:
            recorder.note_request(handler)
        except Exception:
            recorder.log.exception("Usage: reading a request for culled servers failed")


def usage_template_state(user) -> dict:
    """`hubextras_usage` for the page templates: the person's quota warning."""
    recorder = UsageRecorder._instance
    return recorder.home_state(user) if recorder is not None else {}


def group_memberships():
    """(username, [group names]) for every user in the hub's database (for the groups gauge)."""
    from jupyterhub import orm
    from jupyterhub.app import JupyterHub

    if not JupyterHub.initialized() or JupyterHub.instance().db is None:
        return []
    db = JupyterHub.instance().db
    return [(user.name, [group.name for group in user.groups]) for user in db.query(orm.User)]
