"""The servers panel as a tornado app: the page, the JSON API (docs/servers-panel.md), and the bulk runner.

Handlers only translate HTTP into calls of `rows` (pure) and `HubClient` (the hub), with the
token of the champion who asked: the hub decides what each champion may do.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemLoader, select_autoescape
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.log import app_log
from traitlets import Enum, Float, Integer, Unicode, default
from traitlets.config import Application

from .hub_client import HubClient, HubRefused, HubUnavailable, describe_failure
from .kube_usage import KubernetesUsage, cluster_namespace, in_cluster
from .records import INTERRUPTED, AuditLog, JobStore
from .rows import (
    ACTIONS,
    BulkJob,
    PanelRequestError,
    RowQuery,
    ServerRow,
    may_act,
    plan_bulk,
    rows_from_user,
    select_rows,
)
from .usage import LocalUsage

HERE = Path(__file__).resolve().parent
WORKING = {"stop": "Stopping...", "start": "Starting...", "restart": "Restarting..."}


class PanelHandler(HubOAuthenticated, web.RequestHandler):
    """Every handler: HubOAuth sign-in (PKCE, XSRF and the service's access scope come with it)."""

    @property
    def panel(self) -> ServersPanel:
        return self.settings["panel"]

    async def prepare(self):
        # identify the user without blocking the loop; get_current_user then uses the cached answer
        await self.hub_auth.get_user(self, sync=False)

    def hub_token(self) -> str:
        return self.hub_auth.get_token(self)


class PanelPage(PanelHandler):
    @web.authenticated
    def get(self):
        user = self.current_user
        base = os.environ.get("JUPYTERHUB_BASE_URL", "/")
        template = self.settings["jinja"].get_template("panel.html")
        self.write(
            template.render(
                user=user,
                prefix=self.hub_auth.base_url,
                hub_prefix=url_path_join(base, "hub/"),
                base_url=base,
                static=lambda path: self.static_url(path),
                xsrf_token=self.xsrf_token.decode() if isinstance(self.xsrf_token, bytes) else self.xsrf_token,
                community_name=self.panel.community_name,
                refresh_seconds=self.panel.refresh_seconds,
            )
        )


class APIHandler(PanelHandler):
    """JSON in, JSON out; errors as `{"error": message}` a champion can read."""

    async def prepare(self):
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        await super().prepare()
        if self.request.method not in ("GET", "HEAD"):
            # after the user is resolved: the mixin skips the check only for a token the hub accepted
            try:
                self.check_xsrf_cookie()
            except web.HTTPError:
                raise web.HTTPError(
                    403,
                    reason="Missing XSRF token",
                    log_message="This request did not carry the panel's XSRF token, so it was refused "
                    "(it may have come from another site). Reload the panel and try again.",
                ) from None
        if self.current_user is None:
            raise web.HTTPError(
                403,
                log_message="Sign in to the hub first, with an account allowed to use the servers panel "
                "(hub champions and admins).",
            )

    def get_login_url(self):
        raise web.HTTPError(403, log_message="Sign in to the hub first.")

    def write_error(self, status_code, **kwargs):
        message = self._reason
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        elif status_code >= 500:
            message = "The servers panel failed on this request; the service's log says why."
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message, "status": status_code}))

    def json_body(self) -> dict:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise web.HTTPError(400, log_message="The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise web.HTTPError(400, log_message="The request body must be a JSON object.")
        return body

    async def hub_call(self, coro):
        """Await a hub call, turning the hub's refusals into the same status with a readable message."""
        try:
            return await coro
        except HubRefused as e:
            raise web.HTTPError(e.status if e.status < 500 else 502, log_message=e.message or "The hub refused.") \
                from None
        except HubUnavailable as e:
            raise web.HTTPError(503, log_message=str(e)) from None
        except PanelRequestError as e:
            raise web.HTTPError(400, log_message=str(e)) from None


class ServersAPI(APIHandler):
    async def get(self):
        try:
            query = RowQuery.parse({k: self.get_argument(k) for k in self.request.arguments})
        except PanelRequestError as e:
            raise web.HTTPError(400, log_message=str(e)) from None
        rows, total, paged_by = await self.hub_call(self.panel.page_rows(self.hub_token(), query))
        scopes = self.current_user.get("scopes", [])
        usage = await self.panel.resource_use()
        items = []
        for row in rows:
            item = row.to_json()
            item["may"] = {action: may_act(scopes, row, action) for action in ACTIONS}
            item["usage"] = usage.get((row.user, row.server)) if row.status != "stopped" else None
            items.append(item)
        following = query.offset + query.limit
        self.write({
            "items": items, "total": total, "offset": query.offset, "limit": query.limit, "paged_by": paged_by,
            "next_offset": following if following < total else None,
        })


class GroupsAPI(APIHandler):
    async def get(self):
        try:
            names = [g["name"] async for g in self.panel.client.walk("/groups", self.hub_token())]
        except HubRefused:
            names = []  # a champion without list:groups simply gets no group filter
        except HubUnavailable as e:
            raise web.HTTPError(503, log_message=str(e)) from None
        self.write({"groups": sorted(names)})


class ActionsAPI(APIHandler):
    async def post(self):
        body = self.json_body()
        action = body.get("action")
        if action not in ACTIONS:
            raise web.HTTPError(400, log_message=f"Say which action: one of {', '.join(ACTIONS)}.")
        token = self.hub_token()
        if "servers" in body:
            listed = body["servers"]
            if not isinstance(listed, list) or not listed or not all(
                isinstance(s, dict) and isinstance(s.get("user"), str) and isinstance(s.get("server", ""), str)
                for s in listed
            ):
                raise web.HTTPError(
                    400, log_message='"servers" must be a non-empty list of {"user": name, "server": name} '
                    '(server "" or left out for the default server).'
                )
            if len(listed) > self.panel.max_bulk:
                raise web.HTTPError(400, log_message=f"At most {self.panel.max_bulk} servers per action.")
            rows = await self.hub_call(self.panel.current_rows(token, listed))
        elif isinstance(body.get("match"), dict):
            try:
                query = RowQuery.parse(body["match"])
            except PanelRequestError as e:
                raise web.HTTPError(400, log_message=str(e)) from None
            rows = await self.hub_call(self.panel.all_matching_rows(token, query))
        else:
            raise web.HTTPError(
                400, log_message='Say which servers: "servers": [{"user": ..., "server": ...}] or "match": '
                '{"search": ..., "status": ..., "group": ...} for every matching server.'
            )
        job = self.panel.start_job(plan_bulk(action, rows), self.current_user["name"], token)
        self.set_status(202)
        self.write(job.to_json())


class RecordsHandler(APIHandler):
    def sees_everyones_actions(self) -> bool:
        """Champions who may list every user see every champion's actions; others only their own."""
        return "list:users" in self.current_user.get("scopes", [])

    def visible(self, who: str) -> bool:
        return who == self.current_user["name"] or self.sees_everyones_actions()


class JobAPI(RecordsHandler):
    def get(self, job_id):
        job = self.panel.jobs.get(job_id)
        if job is None or not self.visible(job.who):
            raise web.HTTPError(404, log_message=f"No action with id {job_id} (only the latest are kept).")
        self.write(job.to_json())


class JobsAPI(RecordsHandler):
    def get(self):
        jobs = [job for job in self.panel.jobs.values() if self.visible(job.who)]
        jobs = sorted(jobs, key=lambda j: j.created, reverse=True)[:20]
        self.write({"jobs": [{k: v for k, v in job.to_json().items() if k != "rows"} for job in jobs]})


class AuditAPI(RecordsHandler):
    def get(self):
        try:
            limit = max(1, min(int(self.get_argument("limit", "100")), 1000))
        except ValueError:
            raise web.HTTPError(400, log_message="limit must be a whole number from 1 to 1000.") from None
        if self.sees_everyones_actions():
            entries = self.panel.audit.recent(limit)
        else:
            name = self.current_user["name"]
            entries = self.panel.audit.recent(limit, matching=lambda entry: entry.get("who") == name)
        self.write({"entries": entries})


class ServersPanel(Application):
    """The servers panel service: `python -m hubextras.services.servers_panel` (run by the hub)."""

    name = "hubextras-servers-panel"
    description = "Hub champions see every user's server and stop, restart or start it."

    data_dir = Unicode(
        config=True,
        help="""Folder for the audit log and the bulk actions' progress (created if missing).
        Default: $HUBEXTRAS_SERVERS_PANEL_DIR, else `servers-panel` in the working directory.""",
    )

    @default("data_dir")
    def _default_data_dir(self):
        return os.environ.get("HUBEXTRAS_SERVERS_PANEL_DIR") or os.path.abspath("servers-panel")

    concurrency = Integer(
        8,
        config=True,
        help="""Most requests (and most server actions) the panel has in flight at the hub at once.
        The hub spends about 35 ms of CPU per stop: more than a few in parallel gains nothing.""",
    )

    stop_timeout = Float(
        120, config=True, help="Seconds to wait for a server to stop before reporting it as still stopping."
    )
    start_timeout = Float(
        300, config=True, help="Seconds to wait for a server to start before reporting it as still starting."
    )
    max_bulk = Integer(10_000, config=True, help="Most servers one bulk action may touch.")
    refresh_seconds = Float(3, config=True, help="How often the page refreshes the statuses it shows.")

    community_name = Unicode(config=True, help="Community name in the page title. Default: $HUBEXTRAS_COMMUNITY_NAME.")

    @default("community_name")
    def _default_community_name(self):
        return os.environ.get("HUBEXTRAS_COMMUNITY_NAME", "Community Hub")

    usage_source = Enum(
        ["auto", "local", "kubernetes", "none"],
        "auto",
        config=True,
        help="""Where servers' resource use (memory, CPU) is read from. "local": the processes on this
        machine (/proc, for the local spawner). "kubernetes": the metrics API (metrics-server) of the
        cluster, for the server pods in `kubernetes_namespace`; the hub's service account needs get and
        list on `pods.metrics.k8s.io` and `pods`. "none": not read; the panel says "not available".
        "auto": "kubernetes" when the panel runs in a Kubernetes pod (KUBERNETES_SERVICE_HOST or a
        service account token) or $KUBECONFIG is set, else "local".""",
    )

    kubernetes_namespace = Unicode(
        config=True,
        help="""Namespace of the server pods whose resource use is read from the metrics API.
        Default: the namespace the panel runs in (its service account's), else "default".""",
    )

    @default("kubernetes_namespace")
    def _default_kubernetes_namespace(self):
        return cluster_namespace()

    aliases = {
        "data-dir": "ServersPanel.data_dir",
        "concurrency": "ServersPanel.concurrency",
        "stop-timeout": "ServersPanel.stop_timeout",
        "start-timeout": "ServersPanel.start_timeout",
    }

    def initialize(self, argv=None):
        super().initialize(argv)
        data = Path(self.data_dir)
        data.mkdir(parents=True, exist_ok=True)
        self.audit = AuditLog(data / "audit.jsonl")
        self.job_store = JobStore(data / "jobs")
        self.jobs: dict[str, BulkJob] = {}
        for job in self.job_store.recover():
            self.jobs[job.id] = job
        self.usage = self.make_usage()
        self.client: HubClient | None = None  # made in serve(), on the running loop
        self.action_slots = asyncio.Semaphore(self.concurrency)
        self._tasks: set[asyncio.Task] = set()
        self._dirty: set[str] = set()

    def make_usage(self) -> LocalUsage | KubernetesUsage | None:
        source = self.usage_source
        if source == "auto":
            source = "kubernetes" if in_cluster() or os.environ.get("KUBECONFIG") else "local"
        if source == "kubernetes":
            return KubernetesUsage(self.kubernetes_namespace)
        return LocalUsage() if source == "local" else None

    async def resource_use(self) -> dict[tuple[str, str], dict]:
        """{(user, server name): usage} from the configured source; empty when it cannot say."""
        if self.usage is None:
            return {}
        if isinstance(self.usage, KubernetesUsage):
            return await self.usage.sample()
        return self.usage.sample()

    # --- reading rows -----------------------------------------------------------------------

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

    async def current_rows(self, token: str, listed: list[dict]) -> list[ServerRow]:
        """The current rows of explicitly listed servers (their status decides what an action does)."""
        wanted = {(s["user"], s.get("server", "")) for s in listed}
        names = sorted({user for user, _ in wanted})
        answers = await asyncio.gather(*(self.client.user(token, name) for name in names), return_exceptions=True)
        unknown = [name for name, answer in zip(names, answers) if isinstance(answer, HubRefused)]
        if unknown:
            raise HubRefused(404, f"The hub does not show you {', '.join(unknown[:10])}: no such user, or you may "
                             "not see them. Nothing was done.")
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        return [row for user in answers for row in rows_from_user(user) if (row.user, row.server) in wanted]

    # --- acting -----------------------------------------------------------------------------

    def start_job(self, plan, who: str, token: str) -> BulkJob:
        job = BulkJob.from_plan(f"{int(time.time())}-{secrets.token_hex(4)}", plan, who)
        self.jobs[job.id] = job
        for progress in job.rows.values():
            if progress.state == "skipped":
                self.audit.record(who, plan.action, progress.user, progress.server, "skipped", progress.message, job.id)
        self.job_store.save(job)
        if len(self.jobs) > self.job_store.keep:
            for old in sorted(self.jobs.values(), key=lambda j: j.created)[: -self.job_store.keep]:
                if old.finished is not None:
                    self.jobs.pop(old.id, None)
        task = asyncio.ensure_future(self.run_job(job, plan.targets, token))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def run_job(self, job: BulkJob, targets, token: str) -> None:
        async def act(row: ServerRow):
            async with self.action_slots:
                job.mark(row.key, "working", WORKING[job.action])
                self._dirty.add(job.id)
                try:
                    if job.action == "stop":
                        message = await self.client.stop(token, row.user, row.server, timeout=self.stop_timeout)
                    elif job.action == "start":
                        message = await self.client.start(token, row.user, row.server, dict(row.user_options),
                                                          timeout=self.start_timeout)
                    else:
                        message = await self.client.restart(token, row.user, row.server,
                                                            stop_timeout=self.stop_timeout,
                                                            start_timeout=self.start_timeout)
                except Exception as e:
                    message = describe_failure(e, job.action, row.key)
                    if not isinstance(e, (HubRefused, HubUnavailable)):
                        app_log.exception("servers panel: %s of %s failed", job.action, row.key)
                    job.mark(row.key, "failed", message)
                    self.audit.record(job.who, job.action, row.user, row.server, "failed", message, job.id)
                else:
                    job.mark(row.key, "done", message)
                    self.audit.record(job.who, job.action, row.user, row.server, "done", message, job.id)
                self._dirty.add(job.id)

        saver = asyncio.ensure_future(self._save_dirty_jobs())
        try:
            await asyncio.gather(*(act(row) for row in targets))
        finally:
            saver.cancel()
            self.job_store.save(job)
            self._dirty.discard(job.id)

    async def _save_dirty_jobs(self, every: float = 0.5) -> None:
        while True:
            await asyncio.sleep(every)
            for job_id in list(self._dirty):
                self._dirty.discard(job_id)
                if job_id in self.jobs:
                    self.job_store.save(self.jobs[job_id])

    def interrupt_jobs(self, reason: str = INTERRUPTED) -> None:
        """Fail the unfinished rows of running jobs and save them (on shutdown)."""
        for job in self.jobs.values():
            if job.finished is None:
                for progress in list(job.rows.values()):
                    if progress.state in ("queued", "working"):
                        self.audit.record(job.who, job.action, progress.user, progress.server, "failed", reason,
                                          job.id)
                job.interrupt(reason)
                self.job_store.save(job)

    # --- serving ----------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/servers-panel/")
        hub_auth = HubOAuth.instance()
        jinja = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape())
        routes = [
            (prefix, PanelPage),
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
            (url_path_join(prefix, "api/servers"), ServersAPI),
            (url_path_join(prefix, "api/groups"), GroupsAPI),
            (url_path_join(prefix, "api/actions"), ActionsAPI),
            (url_path_join(prefix, "api/jobs"), JobsAPI),
            (url_path_join(prefix, r"api/jobs/([^/]+)"), JobAPI),
            (url_path_join(prefix, "api/audit"), AuditAPI),
        ]
        return web.Application(
            routes,
            panel=self,
            hub_auth=hub_auth,
            jinja=jinja,
            cookie_secret=self.cookie_secret(),
            static_path=str(HERE / "static"),
            static_url_prefix=url_path_join(prefix, "static/"),
        )

    def cookie_secret(self) -> bytes:
        """Kept in the data folder, so that sign-ins survive a restart of the panel."""
        path = Path(self.data_dir) / "cookie_secret"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        return path.read_text().strip().encode()

    def start(self):
        asyncio.run(self.serve())

    async def serve(self) -> None:
        url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
        self.client = HubClient(os.environ["JUPYTERHUB_API_URL"], concurrency=self.concurrency)
        server = HTTPServer(self.make_app(), xheaders=True)
        server.listen(url.port or 80, url.hostname or "127.0.0.1")
        app_log.info("servers panel listening on %s (data in %s)", url.geturl(), self.data_dir)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        server.stop()
        self.interrupt_jobs()
        for task in list(self._tasks):
            task.cancel()
        self.client.close()
        if isinstance(self.usage, KubernetesUsage):
            await self.usage.close()


def main(argv=None) -> int:
    if "JUPYTERHUB_API_URL" not in os.environ:
        print(
            "The servers panel runs as a JupyterHub service: add it with jupyterhub_config.d/50-servers-panel.py "
            "(the hub then starts it with the settings it needs).",
            file=sys.stderr,
        )
        return 2
    app = ServersPanel.instance()
    app.initialize(argv)
    app.start()
    return 0
