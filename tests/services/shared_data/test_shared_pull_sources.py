"""A real hub with the default pull settings: champions pull from public servers only, never from the hub's own
API, a cloud's metadata service or private networks — not even through a redirect.

The hub allows one private host, `localhost`, so that a redirect can start somewhere allowed (the tests have no
public server) and lead to 127.0.0.1, which stays refused.
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from shared_data_helpers import ServiceClient

REFUSED = "points to a private or local address; only public sources can be pulled"


@pytest.fixture(scope="module")
def hub(hub_factory):
    return hub_factory(pre_config='c.SharedDataService.pull_allowed_private_hosts = ["localhost"]')


@pytest.fixture(scope="module")
def champ(hub):
    hub.login("champ")
    return ServiceClient(hub, hub.user_token("champ"))


@pytest.fixture(scope="module")
def redirector():
    """An http server on 127.0.0.1 answering `/to/<anything>` with a redirect to `targets[<anything>]`."""
    targets: dict[str, str] = {}

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", targets[self.path.removeprefix("/to/")])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}/to/", targets
    finally:
        server.shutdown()
        server.server_close()


def everything_in(hub) -> list[str]:
    """Every file and folder in the shared folder, hidden temporaries included."""
    root = hub.workdir / "shared"
    return sorted(
        os.path.relpath(os.path.join(top, name), root) for top, dirs, files in os.walk(root) for name in dirs + files
    )


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        pytest.param("url", "http://127.0.0.1:{hub_port}/hub/api/users", id="the hub's own API"),
        pytest.param("url", "{file_server}/public.txt", id="a file server on 127.0.0.1"),
        pytest.param("url", "http://2130706433:{hub_port}/hub/api/", id="127.0.0.1 written as one number"),
        pytest.param("url", "http://169.254.169.254/latest/meta-data/iam", id="the cloud metadata service"),
        pytest.param("url", "http://10.0.0.1/data.zip", id="a private network"),
        pytest.param("url", "http://[::1]:{hub_port}/hub/api/", id="IPv6 loopback"),
        pytest.param("git", "{git_server}", id="a git server on 127.0.0.1"),
        pytest.param("git", "http://192.168.1.10/org/course.git", id="a git server on a private network"),
    ],
)
def test_a_pull_from_a_private_or_local_address_is_refused_at_once(champ, hub, file_server, git_server, kind, url):
    public = file_server[1] / "public.txt"
    public.write_bytes(b"anyone may read this")
    url = url.format(hub_port=hub.hub_port, file_server=file_server[0], git_server=git_server)
    before = everything_in(hub)
    answer = champ.request("POST", "api/pulls", json={"kind": kind, "url": url, "name": "pulled"})
    assert answer.status_code == 403, answer.text
    assert REFUSED in answer.json()["message"]
    assert everything_in(hub) == before


def test_a_redirect_to_a_private_address_is_refused_and_leaves_nothing(champ, hub, file_server, redirector):
    base, folder = file_server
    (folder / "secret.txt").write_bytes(b"internal only")
    start, targets = redirector
    targets["secret"] = f"{base}/secret.txt"
    before = everything_in(hub)
    job = champ.request("POST", "api/pulls", json={"kind": "url", "url": f"{start}secret", "name": "got.txt"})
    assert job.status_code == 202, job.text
    failed = champ.wait_for_pull(job.json()["id"])
    assert failed["state"] == "failed"
    assert failed["error"].startswith(f"`127.0.0.1` {REFUSED}")
    assert failed["lines"][-1].endswith("Nothing was changed.")
    assert everything_in(hub) == before


def test_a_redirect_to_an_allowed_host_is_followed(champ, hub, file_server, redirector):
    base, folder = file_server
    (folder / "public.txt").write_bytes(b"anyone may read this")
    start, targets = redirector
    targets["public"] = f"{base.replace('127.0.0.1', 'localhost')}/public.txt"
    job = champ.request("POST", "api/pulls", json={"kind": "url", "url": f"{start}public", "name": "public.txt"})
    done = champ.wait_for_pull(job.json()["id"])
    assert done["state"] == "done", done["error"]
    assert (hub.workdir / "shared" / "public.txt").read_bytes() == b"anyone may read this"


def test_a_chain_of_redirects_is_cut_short(champ, hub, redirector):
    start, targets = redirector
    targets["loop"] = f"{start}loop"
    job = champ.request("POST", "api/pulls", json={"kind": "url", "url": f"{start}loop", "name": "loop.txt"})
    failed = champ.wait_for_pull(job.json()["id"])
    assert failed["state"] == "failed"
    assert failed["error"] == "The link redirected more than 5 times. Link to the file itself."
    assert not (hub.workdir / "shared" / "loop.txt").exists()
