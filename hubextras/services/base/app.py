"""The application base of our services: `ServiceApplication`, a traitlets Application the hub runs.

A service subclasses it and says only what is its own:

    class ServersPanel(ServiceApplication):
        name = "hubextras-servers-panel"              # traitlets' name (log lines, config section is the class)
        service_name = "servers-panel"                # its name in c.JupyterHub.services
        package_dir = Path(__file__).parent           # its templates/ and static/ folders
        refresh_seconds = Float(3, config=True, help="...")      # its own settings, as traits

        def routes(self):                             # paths below the service's prefix
            return [("", PanelPage), ("api/servers", ServersAPI), (r"api/jobs/([^/]+)", JobAPI)]

        async def started(self): ...                  # on the running loop, before the first request
        async def stopping(self): ...                 # on SIGTERM/SIGINT or when the hub is gone

    main = ServersPanel.launch_instance

What the base does, the same for every service:

- `service_url` and `prefix` from JupyterHub's `JUPYTERHUB_SERVICE_URL` / `JUPYTERHUB_SERVICE_PREFIX`;
  `data_dir` for what the service keeps (created 0700), with the cookie secret in `data_dir/cookie_secret`
  (0600, made once: sign-ins survive a restart).
- One Jinja environment: the service's `templates/`, then ours (`service_page.html`, `error.html`), then
  hubextras' hub templates, then JupyterHub's own; pages extend `service_page.html`.
- Routes: the OAuth callback, `static/base/` (our `hubextras.js`, `hubextras.css`) and `static/` (the
  service's own), then `routes()`; handlers see the application as `self.service`.
- Stopping: SIGTERM or SIGINT, or the hub that started it going away (the parent process changes, or
  `$HUBEXTRAS_HUB_PID` is gone) stops listening at once, runs `stopping()` (bounded by `stop_seconds`)
  and exits; nothing waits on a hung connection or task.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import threading
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from jupyterhub._data import DATA_FILES_PATH
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpserver import HTTPServer
from traitlets import Float, Integer, Unicode, default
from traitlets.config import Application

from ...config import templates_path
from .handlers import hub_base_url, log_request
from .navigation import ServiceDirectory

BASE_DIR = Path(__file__).resolve().parent
HUB_TEMPLATES = Path(DATA_FILES_PATH) / "templates"


def jinja_environment(service_templates: Path | None) -> Environment:
    """The service's templates, ours, hubextras' hub templates, then JupyterHub's (also as `templates/...`)."""
    folders = ([service_templates] if service_templates else []) + [BASE_DIR / "templates", templates_path()]
    loader = ChoiceLoader(
        [FileSystemLoader([str(f) for f in folders if f.is_dir()]),
         PrefixLoader({"templates": FileSystemLoader(str(HUB_TEMPLATES))}),
         FileSystemLoader(str(HUB_TEMPLATES))]
    )
    return Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True))


def persisted_secret(path: Path) -> bytes:
    """The secret kept in `path` (made once, mode 0600; a wider mode is narrowed)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd) as f:
        if os.fstat(f.fileno()).st_mode & 0o077:
            os.fchmod(f.fileno(), 0o600)
        secret = f.read().strip()
    if len(secret) < 32:
        raise SystemExit(f"The cookie secret in {path} is too short: delete the file and restart the service.")
    return secret.encode()


class ServiceApplication(Application):
    """Base of our JupyterHub-managed services (see the module's docstring)."""

    service_name = "service"
    package_dir: Path | None = None

    service_url = Unicode(
        config=True,
        help="""Where the service listens, for example `http://0.0.0.0:10101` in a Kubernetes hub pod.
        Default: `$JUPYTERHUB_SERVICE_URL`, which the hub sets from the service's `url`.""",
    )

    @default("service_url")
    def _service_url_from_hub(self):
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")

    prefix = Unicode(
        config=True,
        help="URL path of the service. Default: `$JUPYTERHUB_SERVICE_PREFIX`, which the hub sets.",
    )

    @default("prefix")
    def _prefix_from_hub(self):
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{self.service_name}/")

    data_dir = Unicode(
        config=True,
        help="""Folder for what the service keeps between runs (its cookie secret, audit log, progress).
        Created with mode 0700 if missing. Default: a folder named after the service in the working directory.""",
    )

    @default("data_dir")
    def _default_data_dir(self):
        return os.path.abspath(self.service_name)

    community_name = Unicode(
        config=True, help="Community name in page titles. Default: $HUBEXTRAS_COMMUNITY_NAME, else Community Hub."
    )

    @default("community_name")
    def _default_community_name(self):
        return os.environ.get("HUBEXTRAS_COMMUNITY_NAME", "Community Hub")

    max_body_bytes = Integer(
        64 * 1024,
        config=True,
        help="""Largest request body any handler without its own limit accepts (the OAuth callback, for one).
        Handlers of ours set their own limit, refused before the body is read.""",
    )

    hub_check_seconds = Float(
        1.0, config=True, help="How often the service checks that the hub which started it still runs."
    )

    stop_seconds = Float(
        5.0, config=True, help="Longest the service spends finishing its work when told to stop; then it exits."
    )

    # --- what a service says ----------------------------------------------------------------

    def routes(self) -> list[tuple]:
        """(path below the prefix, handler class[, initialize kwargs]) of the service's own handlers."""
        raise NotImplementedError

    def tornado_settings(self) -> dict:
        """Extra tornado settings of the service (its handlers read them as `self.settings[...]`)."""
        return {}

    async def started(self) -> None:
        """Run on the event loop once, before the service listens."""

    async def stopping(self) -> None:
        """Run once when the service is told to stop, before it exits (keep it short: `stop_seconds`)."""

    def not_allowed_message(self, name: str) -> str:
        """What a signed-in person without the service's access scope reads."""
        return (f"You are signed in as {name}, but this page is for the people the hub lets use the "
                f"{self.service_name} service. Ask a hub champion or admin if you need it.")

    # --- what the base does -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return hub_base_url()

    @property
    def hub_prefix(self) -> str:
        return url_path_join(self.base_url, "hub/")

    def initialize(self, argv=None):
        super().initialize(argv)
        Path(self.data_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
        self.jinja = jinja_environment(self.package_dir / "templates" if self.package_dir else None)
        self.hub_services = ServiceDirectory(
            os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api"),
            os.environ.get("JUPYTERHUB_API_TOKEN", ""),
        )
        self._static = {
            "base": {"static_path": str(BASE_DIR / "static"),
                     "static_url_prefix": url_path_join(self.prefix, "static/base/")},
            "service": {"static_path": str(self.package_dir / "static") if self.package_dir else str(BASE_DIR),
                        "static_url_prefix": url_path_join(self.prefix, "static/")},
        }

    def base_static_url(self, path: str) -> str:
        return web.StaticFileHandler.make_static_url(self._static["base"], path)

    def service_static_url(self, path: str) -> str:
        return web.StaticFileHandler.make_static_url(self._static["service"], path)

    def cookie_secret(self) -> bytes:
        return persisted_secret(Path(self.data_dir) / "cookie_secret")

    def make_app(self) -> web.Application:
        prefix = self.prefix
        hub_auth = HubOAuth.instance(parent=self, cache_max_age=60)
        routes = [
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
            (url_path_join(prefix, "static/base/(.*)"), web.StaticFileHandler,
             {"path": self._static["base"]["static_path"]}),
            (url_path_join(prefix, "static/(.*)"), web.StaticFileHandler,
             {"path": self._static["service"]["static_path"]}),
        ]
        for path, *rest in self.routes():
            routes.append((url_path_join(prefix, path) if path else prefix, *rest))
        settings = {
            "service": self,
            "hub_auth": hub_auth,
            "cookie_secret": self.cookie_secret(),
            "log_function": log_request,
            "static_hash_cache": True,
            **self.tornado_settings(),
        }
        return web.Application(routes, **settings)

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.serve())
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=1))
        finally:
            loop.close()  # does not wait for executor threads
        stuck = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
        if stuck:
            # a thread blocked in I/O would hold the exit (and the hub's shutdown) for as long as it blocks
            self.log.warning("%s: exiting without waiting for %d busy threads", self.service_name, len(stuck))
            logging.shutdown()
            os._exit(0)

    def hub_is_gone(self, parent: int) -> bool:
        """Whether the hub that started us is gone: we were handed to another parent, or its pid is free."""
        if os.getppid() != parent:
            return True
        hub_pid = os.environ.get("HUBEXTRAS_HUB_PID", "")
        if hub_pid.isdigit():
            try:
                os.kill(int(hub_pid), 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                pass
        return False

    async def serve(self) -> None:
        parent = os.getppid()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.started()
        where = urlsplit(self.service_url)
        server = HTTPServer(self.make_app(), xheaders=True, max_body_size=self.max_body_bytes)
        server.listen(where.port or 80, where.hostname or "127.0.0.1")
        self.log.info("%s listening on %s%s", self.service_name, self.service_url, self.prefix)

        async def watch_hub():
            while not self.hub_is_gone(parent):
                await asyncio.sleep(self.hub_check_seconds)
            self.log.warning("%s: the hub that started this service is gone; stopping.", self.service_name)
            stop.set()

        watcher = asyncio.ensure_future(watch_hub())
        await stop.wait()
        watcher.cancel()
        server.stop()
        try:
            await asyncio.wait_for(self.stopping(), self.stop_seconds)
        except (TimeoutError, asyncio.TimeoutError):
            self.log.warning("%s: stopping took longer than %.0f s; exiting anyway.", self.service_name,
                             self.stop_seconds)
        except Exception:
            self.log.exception("%s: error while stopping", self.service_name)
        try:
            await asyncio.wait_for(server.close_all_connections(), 1)
        except (TimeoutError, asyncio.TimeoutError):
            pass
        self.log.info("%s stopped.", self.service_name)
