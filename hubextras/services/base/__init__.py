"""The one foundation of hubextras' services: a service is its routes, its handlers and its pure core.

- `app.ServiceApplication`: the traitlets Application the hub runs (URL, prefix, data folder, cookie secret,
  Jinja environment, routes, signals and a prompt stop, exit when the hub is gone).
- `handlers.ServiceHandler` / `handlers.JSONAPIHandler`: sign-in, XSRF and scopes as JupyterHub's
  `HubOAuthenticated` does them, bounded and validated bodies, errors as `{"status", "message"}`, scrubbed logs.
- `bodies`: request bodies parsed within bounds and validated by pydantic models (pure).
- `downloads.DownloadHandler`: tornado's StaticFileHandler, safe for content people upload.
- `audit.AuditLog`: the one audit log (JSON lines, ISO times, 0600, rotated by size, read newest first).
- `units.format_bytes`: bytes as JupyterHub counts them (powers of 1024); `static/hubextras.js` matches.
- `templates/service_page.html`: the page frame (the hub's `page.html` with its real navigation).

Read each module's docstring for how to use it; `hubextras.services.servers_panel` is a complete example.
"""

from .app import ServiceApplication
from .audit import AuditLog
from .bodies import BodyError, BodyModel, parse_body
from .downloads import DownloadHandler
from .handlers import JSONAPIHandler, Refused, ServiceHandler
from .units import format_bytes

__all__ = [
    "AuditLog", "BodyError", "BodyModel", "DownloadHandler", "JSONAPIHandler", "Refused", "ServiceApplication",
    "ServiceHandler", "format_bytes", "parse_body",
]
