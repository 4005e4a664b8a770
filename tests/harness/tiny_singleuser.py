"""A tiny fake single-user server: answers the hub's checks, starts in milliseconds, uses about 10 MB.

For tests and benchmarks that need many running servers (JupyterHub's own
`jupyterhub.tests.mocksu` costs about 1 CPU-second and 65 MB each)::

    c.Spawner.cmd = [sys.executable, harness.tiny_singleuser.__file__]

It listens where `JUPYTERHUB_SERVICE_URL` says, answers `{JUPYTERHUB_SERVICE_PREFIX}api` with the
JupyterHub version (header and body, as jupyterhub-singleuser does) and every other GET below the
prefix with a short page. Arguments (`--allow-root`, ...) are accepted and ignored. Stdlib only, and
no `http.server` (it pulls in `ssl` and `email`, which double the start time and memory).
"""

from __future__ import annotations

import json
import os
import signal
import socketserver
import sys
from urllib.parse import urlsplit

try:
    from jupyterhub._version import __version__ as HUB_VERSION
except ImportError:  # the hub only compares the version for a warning; any value passes
    HUB_VERSION = "0.0.0"

PREFIX = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")


def respond(method: str, target: str) -> tuple[str, str, str]:
    """(status line, content type, body) for one request."""
    path = urlsplit(target).path
    if method not in ("GET", "HEAD"):
        return "405 Method Not Allowed", "text/plain", "This fake server only answers GET."
    if path.rstrip("/") == PREFIX + "api":
        return "200 OK", "application/json", json.dumps({"version": HUB_VERSION})
    if path.startswith(PREFIX):
        user = os.environ.get("JUPYTERHUB_USER", "")
        return "200 OK", "text/html", f"<!doctype html><title>{user}</title><p>Fake server of {user}</p>"
    return "404 Not Found", "text/plain", f"Nothing here: this fake server lives below {PREFIX}"


class TinyHandler(socketserver.StreamRequestHandler):
    """One HTTP/1.0 exchange per connection: read the request head, answer, close."""

    def handle(self):
        request_line = self.rfile.readline(8192).decode("latin-1").split()
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass  # headers are not needed
        if len(request_line) < 2:
            return
        method, target = request_line[0], request_line[1]
        status, content_type, body = respond(method, target)
        data = body.encode()
        head = (
            f"HTTP/1.0 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\n"
            f"X-JupyterHub-Version: {HUB_VERSION}\r\nConnection: close\r\n\r\n"
        )
        self.wfile.write(head.encode() + (b"" if method == "HEAD" else data))


class TinyServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main() -> int:
    url = os.environ.get("JUPYTERHUB_SERVICE_URL")
    if not url:
        print("tiny_singleuser: JUPYTERHUB_SERVICE_URL is not set; the hub's spawner sets it.", file=sys.stderr)
        return 2
    bind = urlsplit(url)
    # LocalProcessSpawner stops with SIGINT, then SIGTERM; both must end us even if the parent ignored SIGINT
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with TinyServer((bind.hostname or "127.0.0.1", bind.port or 8888), TinyHandler) as server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
