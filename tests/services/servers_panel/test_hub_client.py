"""The panel's hub client against a small in-process stand-in of the hub's REST API on 127.0.0.1."""

import asyncio
import json
import socket

import pytest
from tornado import web
from tornado.httpserver import HTTPServer

from hubextras.services.servers_panel.hub_client import HubClient, HubRefused, HubUnavailable, describe_failure


class FakeHub:
    """Just enough of the hub's API: paginated users, 202 stops, 429 once, and a count of calls in flight."""

    def __init__(self, users=5):
        self.users = {f"u{n}": {"name": f"u{n}", "servers": {"": {"ready": True, "stopped": False}}}
                      for n in range(users)}
        self.stop_polls_left = {}
        self.rate_limit_next = 0
        self.in_flight = self.most_in_flight = 0
        self.requests = []
        self.tokens = set()


def make_app(hub: FakeHub) -> web.Application:
    class Base(web.RequestHandler):
        async def prepare(self):
            hub.requests.append((self.request.method, self.request.path))
            hub.tokens.add(self.request.headers.get("Authorization"))
            hub.in_flight += 1
            hub.most_in_flight = max(hub.most_in_flight, hub.in_flight)
            await asyncio.sleep(0.01)
            if hub.rate_limit_next:
                hub.rate_limit_next -= 1
                self.set_header("Retry-After", "0.05")
                self.send_error(429)

        def on_finish(self):
            hub.in_flight -= 1

    class Users(Base):
        def get(self):
            offset, limit = int(self.get_argument("offset", 0)), int(self.get_argument("limit", 2))
            names = sorted(hub.users)
            following = {"offset": offset + limit, "limit": limit} if offset + limit < len(names) else None
            self.set_header("Content-Type", "application/json")
            self.write(json.dumps({"items": [hub.users[n] for n in names[offset: offset + limit]],
                                   "_pagination": {"offset": offset, "limit": limit, "total": len(names),
                                                   "next": following}}))

    class User(Base):
        def get(self, name):
            user = hub.users[name]
            if hub.stop_polls_left.get(name):
                hub.stop_polls_left[name] -= 1
                if not hub.stop_polls_left[name]:
                    user["servers"] = {}
            self.set_header("Content-Type", "application/json")
            self.write(json.dumps(user))

    class Server(Base):
        def delete(self, name):
            if name == "forbidden":
                self.set_status(404)
                self.set_header("Content-Type", "application/json")
                self.write({"status": 404, "message": "No access to resources or resources not found"})
                return
            hub.users[name]["servers"][""] = {"pending": "stop", "ready": False, "stopped": False}
            hub.stop_polls_left[name] = 2
            self.set_status(202)

    return web.Application([(r"/hub/api/users", Users), (r"/hub/api/users/([^/]+)", User),
                            (r"/hub/api/users/([^/]+)/server", Server)])


@pytest.fixture
async def fake_hub():
    hub = FakeHub()
    server = HTTPServer(make_app(hub))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    server.add_sockets([sock])
    hub.api_url = f"http://127.0.0.1:{sock.getsockname()[1]}/hub/api"
    yield hub
    server.stop()


async def test_walk_follows_pagination_next_to_the_last_page(fake_hub):
    client = HubClient(fake_hub.api_url)
    names = [u["name"] async for u in client.walk("/users", "t0", {"limit": 2})]
    assert names == sorted(fake_hub.users)
    assert sum(1 for method, path in fake_hub.requests if path == "/hub/api/users") == 3


async def test_a_202_stop_is_polled_until_the_server_has_stopped(fake_hub):
    client = HubClient(fake_hub.api_url, poll_interval=0.01)
    assert await client.stop("t0", "u1", "") == "Stopped."
    assert fake_hub.users["u1"]["servers"] == {}
    assert fake_hub.requests.count(("GET", "/hub/api/users/u1")) == 2


async def test_429_waits_for_retry_after_and_then_succeeds(fake_hub):
    fake_hub.rate_limit_next = 2
    client = HubClient(fake_hub.api_url)
    items, total = await client.users_page("t0", {"limit": 2})
    assert (len(items), total) == (2, 5)
    assert fake_hub.requests.count(("GET", "/hub/api/users")) == 3


async def test_requests_in_flight_never_exceed_the_concurrency_bound(fake_hub):
    client = HubClient(fake_hub.api_url, concurrency=3)
    await asyncio.gather(*(client.user("t0", f"u{n % 5}") for n in range(30)))
    assert fake_hub.most_in_flight <= 3
    assert len(fake_hub.requests) == 30


async def test_each_call_carries_the_token_of_whoever_asked(fake_hub):
    client = HubClient(fake_hub.api_url)
    await asyncio.gather(client.user("champ-token", "u0"), client.user("other-token", "u1"))
    assert fake_hub.tokens == {"token champ-token", "token other-token"}


async def test_a_refusal_carries_the_hubs_status_and_reads_as_a_refusal(fake_hub):
    fake_hub.users["forbidden"] = {"name": "forbidden", "servers": {}}
    client = HubClient(fake_hub.api_url)
    with pytest.raises(HubRefused) as refused:
        await client.stop("t0", "forbidden", "")
    assert refused.value.status == 404
    assert describe_failure(refused.value, "stop", "forbidden/").startswith("The hub refused: you may not stop")


async def test_an_unreachable_hub_gives_up_after_a_few_retries_with_a_clear_message():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = HubClient(f"http://127.0.0.1:{port}/hub/api", connect_retries=1)
    with pytest.raises(HubUnavailable, match="may be restarting"):
        await client.user("t0", "u0")
