"""Through the pure-Python configurable-http-proxy (refuses bodies over 100 MiB, buffers each body whole),
an upload bigger than that limit still lands: the page and scripts send it in pieces below the limit."""

import os

import pytest
import requests
from shared_data_helpers import ServiceClient, sha256

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def hub(hub_factory):
    return hub_factory(proxy="python")


def test_the_python_proxy_is_the_one_serving(hub):
    assert "configurable-http-proxy" in (hub.workdir / "jupyterhub_config.py").read_text()
    assert "node_modules" not in (hub.workdir / "jupyterhub_config.py").read_text()


def test_an_upload_over_the_proxy_body_limit_lands_in_pieces(hub):
    hub.login("champ")
    champ = ServiceClient(hub, hub.user_token("champ"))
    data = os.urandom(150 * MiB)
    started = champ.request("POST", "api/uploads", json={"path": "big/150mib.bin", "size": len(data)}).json()
    assert started["chunk_bytes"] < 100 * MiB, "the page's pieces must fit through the Python proxy"
    offset, pieces = 0, 0
    while offset < len(data):
        answer = champ.request(
            "PUT", f"api/uploads/{started['id']}?offset={offset}", data=data[offset : offset + started["chunk_bytes"]]
        )
        assert answer.status_code == 200, answer.text
        offset, pieces = answer.json()["offset"], pieces + 1
    assert pieces == 3 and answer.json()["done"] is True
    assert sha256((hub.workdir / "shared" / "big" / "150mib.bin").read_bytes()) == sha256(data)


def test_one_body_over_the_limit_is_what_the_python_proxy_refuses(hub):
    # why the pieces: the same bytes in one request never reach the service
    champ = ServiceClient(hub, hub.user_token("champ"))
    started = champ.request("POST", "api/uploads", json={"path": "big/one-piece.bin", "size": 101 * MiB}).json()
    try:
        answer = champ.request("PUT", f"api/uploads/{started['id']}?offset=0", data=b"\0" * (101 * MiB))
        refused = answer.status_code >= 400
    except requests.ConnectionError:
        refused = True
    assert refused
    assert champ.request("GET", f"api/uploads/{started['id']}").json()["offset"] == 0
    assert champ.request("DELETE", f"api/uploads/{started['id']}").status_code == 204
