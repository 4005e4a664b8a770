"""What the panel does with requests it must refuse, through the real hub and proxy (issue 15, holes 5, 9, 10, 12).

Bodies are bounded to what the largest legal request needs and refused unread; malformed JSON is a 400
that says what is wrong; a bulk action naming unknown people fails without asking the hub about each;
`?token=` values never reach the hub's log.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
from panel_fixtures import PANEL, create_users, panel_session, running_servers

from hubextras.services.servers_panel.bodies import body_limit_for, values_limit_for

MAX_BULK = 50  # small, so that the largest legal body is small too


@pytest.fixture(scope="module")
def hub(hub_factory):
    hub = hub_factory(pre_config=f"c.ServersPanel.max_bulk = {MAX_BULK}\n")
    create_users(hub, ["champ", "alice"])
    return hub


def post_action(hub, session, xsrf, body, **kwargs):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return session.post(hub.url + PANEL + "api/actions", data=data, timeout=60,
                        headers={"X-XSRFToken": xsrf, "Content-Type": "application/json"}, **kwargs)


def headers_only(hub, path, headers: dict, wait: float = 20) -> bytes:
    """Send a POST's headers through the proxy and a first KiB of its body (node's proxy passes headers on with
    the first body bytes), never the rest; the first bytes answered (b"" if none)."""
    where = urlsplit(hub.url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {where.netloc}"] + [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((where.hostname, where.port), timeout=wait) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b" " * 1024)
        try:
            return conn.recv(4096)
        except TimeoutError:
            return b""


@pytest.mark.parametrize("raw, says", [
    ("[" * 5000 + "]" * 5000, "nests lists or objects too deeply"),
    ('{"action": "stop", "servers": [{"user": ' + "1" * 5000 + "}]}", "has 5000 characters"),
    ('{"action": "stop", "match": {"search": ["a"]}}', "match.search: Input should be a valid string"),
    ('{"action": "stop", "match": {"group": 3}}', "match.group: Input should be a valid string"),
    ('{"action": "stop", "match": {"status": {}}}', "match.status: Input should be '', 'running'"),
    ('{"action": "stop", "match": {"status": "sleepy"}}', "match.status: Input should be"),
    ('{"action": "stop", "servers": [{"user": "alice", "server": null}]}', "servers.0.server"),
    ('{"action": "stop", "limit": NaN}', "not a JSON number"),
])
def test_a_malformed_action_is_a_400_that_says_what_is_wrong(hub, raw, says):
    session, xsrf = panel_session(hub, "champ")
    r = post_action(hub, session, xsrf, raw)
    assert r.status_code == 400 and says in r.json()["message"], r.text
    assert r.json()["status"] == 400


def test_a_match_of_every_status_must_be_said_with_an_empty_status_not_an_object(hub):
    session, xsrf = panel_session(hub, "champ")
    r = post_action(hub, session, xsrf, {"action": "stop", "match": {"status": {}}})
    assert r.status_code == 400, r.text
    assert "/jobs/" not in r.text and not session.get(hub.url + PANEL + "api/jobs", timeout=30).json()["jobs"]


def test_an_action_bigger_than_the_largest_legal_one_is_refused_before_it_is_read(hub):
    session, xsrf = panel_session(hub, "champ")
    cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies if c.path in ("/", PANEL))
    limit = body_limit_for(MAX_BULK)
    answer = headers_only(hub, PANEL + "api/actions", {
        "Cookie": cookies, "X-XSRFToken": xsrf, "Content-Type": "application/json", "Content-Length": limit + 1,
    })
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert f"at most {limit}".encode() in answer


def test_an_anonymous_client_is_refused_before_its_body_is_read(hub):
    answer = headers_only(hub, PANEL + "api/actions", {"Content-Type": "application/json",
                                                        "Content-Length": 30 * 1024 * 1024})
    assert answer.startswith(b"HTTP/1.1 403"), answer[:300]
    assert b"Sign in to the hub first" in answer


def test_the_largest_legal_action_fits_the_bounds():
    worst = "\u2028" * 255  # each character escaped as 6 bytes by json.dumps
    body = json.dumps({"action": "restart", "servers": [{"user": worst, "server": worst}] * MAX_BULK})
    assert len(body.encode()) <= body_limit_for(MAX_BULK)
    assert body.count(",") + 1 <= values_limit_for(MAX_BULK)


def test_an_action_of_many_tiny_values_within_the_byte_bound_is_refused_unparsed(hub):
    session, xsrf = panel_session(hub, "champ")
    tiny = '{"action": "stop", "match": {}, "x": [' + ",".join(["0"] * (body_limit_for(MAX_BULK) // 3)) + "]}"
    assert len(tiny) <= body_limit_for(MAX_BULK)
    r = post_action(hub, session, xsrf, tiny)
    assert r.status_code == 400 and f"at most {values_limit_for(MAX_BULK)}" in r.json()["message"], r.text


def test_more_servers_than_max_bulk_are_refused_saying_the_limit(hub):
    session, xsrf = panel_session(hub, "champ")
    servers = [{"user": f"u{n}", "server": ""} for n in range(MAX_BULK + 1)]
    r = post_action(hub, session, xsrf, {"action": "stop", "servers": servers})
    assert r.status_code in (400, 413) and str(MAX_BULK) in r.json()["message"], r.text


def test_a_bulk_action_on_many_unknown_people_fails_without_asking_the_hub_about_each(hub):
    session, xsrf = panel_session(hub, "champ")
    unknown = [{"user": f"nobody{n:04d}"} for n in range(MAX_BULK - 1)] + [{"user": "alice"}]
    r = post_action(hub, session, xsrf, {"action": "stop", "servers": unknown})
    assert r.status_code == 404, r.text
    assert "The hub does not show you nobody0000" in r.json()["message"] and "Nothing was done" in r.json()["message"]
    asked_each = [line for line in hub.log_path.read_text().splitlines() if "/hub/api/users/nobody" in line]
    assert asked_each == []
    assert running_servers(hub, ["alice"]) == 0


def test_token_values_in_urls_are_not_written_to_the_hubs_log(hub):
    token = hub.user_token("champ")
    session, _ = panel_session(hub, "champ")
    for path in ("", "api/servers", "api/no-such-thing", "api/audit?limit=x"):
        session.get(hub.url + PANEL + path, params={"token": token}, timeout=60)
    r = session.get(hub.url + PANEL + "api/servers", params={"token": "not-a-token"}, timeout=60)
    log = hub.log_path.read_text()
    assert "servers-panel" in log and token not in log and "not-a-token" not in log, r.status_code
