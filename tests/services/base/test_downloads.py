"""The download handler base, served by tornado in this process (the hub's sign-in replaced by a stand-in that
accepts everyone): Range, ETag and If-Modified-Since from tornado, and what content people upload needs."""

from __future__ import annotations

import asyncio
import os

import pytest
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from hubextras.services.base.downloads import DownloadHandler, content_disposition, is_active


class EveryoneSignedIn:
    """A HubOAuth stand-in: every request comes from `ada`, with the service's access."""

    access_scopes = None
    cookie_name = "test"

    def get_user(self, handler, sync=True):
        handler._cached_hub_user = user = {"name": "ada", "kind": "user", "scopes": ["access:services"]}
        if sync:
            return user
        future = asyncio.get_running_loop().create_future()
        future.set_result(user)
        return future

    def _persist_url_token_if_set(self, handler):
        pass


class Files(DownloadHandler):
    hub_auth = EveryoneSignedIn()


def fetch_all(root, requests):
    """Serve `root` and fetch each (path, headers); [(status, headers, body)]."""

    async def run():
        sockets = bind_sockets(0, "127.0.0.1")
        port = sockets[0].getsockname()[1]
        app = web.Application([(r"/files/(.*)", Files, {"path": str(root)})], service=None)
        server = HTTPServer(app)
        server.add_sockets(sockets)
        client = AsyncHTTPClient(force_instance=True)
        answers = []
        try:
            for path, headers in requests:
                try:
                    r = await client.fetch(f"http://127.0.0.1:{port}/files/{path}", headers=headers)
                except HTTPClientError as e:
                    r = e.response
                answers.append((r.code, r.headers, r.body))
        finally:
            client.close()
            server.stop()
        return answers

    return asyncio.run(run())


@pytest.fixture
def root(tmp_path):
    (tmp_path / "data.csv").write_bytes(b"0123456789" * 100)
    (tmp_path / "page.html").write_text("<script>alert(1)</script>")
    (tmp_path / "drawing.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    os.symlink("/etc/hostname", tmp_path / "out")
    (tmp_path / "folder").mkdir()
    return tmp_path


def test_every_answer_is_sandboxed_and_not_sniffed(root):
    for status, headers, _ in fetch_all(root, [("data.csv", {}), ("page.html", {}), ("missing", {})]):
        assert headers["Content-Security-Policy"] == "sandbox", status
        assert headers["X-Content-Type-Options"] == "nosniff", status


@pytest.mark.parametrize("name", ["page.html", "drawing.svg"])
def test_active_types_are_attachments_even_when_asked_inline(root, name):
    ((status, headers, _),) = fetch_all(root, [(f"{name}?inline=1", {})])
    assert status == 200 and headers["Content-Disposition"].startswith("attachment;")


def test_passive_types_are_inline_when_asked(root):
    ((status, headers, _), (_, plain, _)) = fetch_all(root, [("photo.png?inline=1", {}), ("photo.png", {})])
    assert headers["Content-Disposition"].startswith("inline;") and headers["Content-Type"] == "image/png"
    assert plain["Content-Disposition"].startswith("attachment;")


def test_a_range_resumes_a_download(root):
    ((status, headers, body),) = fetch_all(root, [("data.csv", {"Range": "bytes=995-"})])
    assert (status, body, headers["Content-Range"]) == (206, b"56789", "bytes 995-999/1000")


def test_an_unchanged_file_is_not_sent_again(root):
    ((_, first, _),) = fetch_all(root, [("data.csv", {})])
    answers = fetch_all(root, [("data.csv", {"If-None-Match": first["Etag"]}),
                               ("data.csv", {"If-Modified-Since": first["Last-Modified"]})])
    assert [status for status, _, _ in answers] == [304, 304]


def test_links_out_of_the_root_and_folders_are_not_found(root):
    answers = fetch_all(root, [("out", {}), ("folder", {}), ("../" * 5 + "etc/hostname", {})])
    assert [status for status, _, _ in answers][:2] == [404, 404]
    assert answers[2][0] in (403, 404)  # tornado itself refuses a path that climbs out
    assert not any(b"\n" in body and status == 200 for status, _, body in answers)


def test_names_of_any_kind_make_a_header_every_browser_reads():
    header = content_disposition('évil";\r\nx.html', inline=False)
    assert "\r" not in header and "\n" not in header and header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%C3%A9vil%22%3B%0D%0Ax.html" in header


@pytest.mark.parametrize("content_type, active", [
    ("text/html", True), ("image/svg+xml", True), ("application/xhtml+xml", True), ("text/xml", True),
    ("application/javascript", True), ("application/octet-stream", True), ("image/png", False),
    ("text/plain; charset=utf-8", False), ("application/pdf", False),
])
def test_what_counts_as_active(content_type, active):
    assert is_active(content_type) is active
