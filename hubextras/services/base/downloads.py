"""File downloads on the hub's origin, safely: tornado's StaticFileHandler (Range, ETag, If-Modified-Since, so a
10 GB download resumes) with what content people upload needs when served next to `/hub/`.

Every answer carries `Content-Security-Policy: sandbox` (a page that slips through runs as no origin at all) and
`X-Content-Type-Options: nosniff`; active types (HTML, SVG, XHTML, XML, JavaScript ...) only ever as attachments;
passive ones (images, PDF, text) inline when asked with `?inline=1`. Files are judged where they really are:
a path whose real location leaves the root, or that is not a regular file, is a 404.

    class SharedFiles(DownloadHandler):
        pass

    routes = [(r"api/files/(.*)", SharedFiles, {"path": "/srv/shared"})]

The handler is a `JSONAPIHandler` too (errors as JSON): the person must be signed in with the service's access
scope; add `required_scopes` to ask for more. ETags come from size and modification time, so nothing hashes a big file.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from urllib.parse import quote

from tornado import web

from .handlers import JSONAPIHandler

# types a browser runs or renders as a document when shown inline; these download as attachments, never render
ACTIVE_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/javascript",
    "application/javascript", "application/x-javascript", "text/ecmascript", "application/ecmascript",
    "application/xslt+xml", "application/rdf+xml", "application/mathml+xml", "text/xsl", "application/pdf+html",
    "multipart/x-mixed-replace", "application/wasm", "text/vtt", "text/cache-manifest",
})
# anything else with these prefixes is passive enough to show inline on request (the CSP sandbox still applies)
PASSIVE_PREFIXES = ("image/", "audio/", "video/", "text/plain", "text/csv", "application/pdf", "application/json")


def is_active(content_type: str) -> bool:
    """Whether a browser could run content of `content_type` (anything unknown counts as active)."""
    base = content_type.split(";")[0].strip().lower()
    if base in ACTIVE_TYPES or base.endswith("+xml"):
        return True
    return not base.startswith(PASSIVE_PREFIXES)


def content_disposition(filename: str, inline: bool) -> str:
    """A Content-Disposition header value that every browser reads right, whatever the name holds."""
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class DownloadHandler(JSONAPIHandler, web.StaticFileHandler):
    """Serve the files below `path` (the route's argument) for download (see the module's docstring)."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Security-Policy", "sandbox")
        self.set_header("X-Content-Type-Options", "nosniff")

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        real_root = os.path.realpath(root)
        real = os.path.realpath(absolute_path)
        if os.path.commonpath([real_root, real]) != real_root or real == real_root:
            raise web.HTTPError(404)
        try:
            info = os.stat(real, follow_symlinks=False)
        except OSError:
            raise web.HTTPError(404) from None
        if not stat.S_ISREG(info.st_mode):
            raise web.HTTPError(404)
        return real

    @classmethod
    def get_content_version(cls, abspath: str) -> str:
        info = os.stat(abspath)
        return f"{info.st_size:x}-{info.st_mtime_ns:x}"

    @classmethod
    def get_content(cls, abspath: str, start: int | None = None, end: int | None = None):
        # re-checked at open: a file swapped for a link after validation is not followed
        fd = os.open(abspath, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise web.HTTPError(404)
            if start is not None:
                file.seek(start)
            remaining = (end if end is not None else os.fstat(file.fileno()).st_size) - (start or 0)
            while remaining > 0:
                chunk = file.read(min(1024 * 1024, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    def get_content_type(self) -> str:
        guessed, encoding = mimetypes.guess_type(self.absolute_path)
        if encoding or not guessed:
            return "application/octet-stream"
        return guessed

    def set_extra_headers(self, path: str) -> None:
        wants_inline = self.get_argument("inline", "") in ("1", "true")
        inline = wants_inline and not is_active(self.get_content_type())
        self.set_header("Content-Disposition", content_disposition(os.path.basename(path), inline))
        self.set_header("Cache-Control", "private, no-cache")
