"""A refused start watched on its progress stream must not hold up the next start (KubeSpawner 7.0/7.1).

KubeSpawner's `progress()` starts the shared events reflector; when the spawn ends while that
reflector's first list is still running (a refusal ends it quickly), JupyterHub cancels the progress
generator, the list is cancelled with it, and the reflector stays registered with a first load that
never comes: every later start waits on it until `start_timeout`. Made deterministic here: the
emulator's events list takes 3 s, and an auth_state hook keeps the refused spawn pending for 1 s.
A fresh hub, because only the first events reflector of a hub can be caught this way.
"""

import time

import pytest
import requests
from harness.kube_emulator import ThreadedKubeAPI
from harness.z2jh import ChartHub
from test_chart_hub import EXAMPLE_VALUES, example_community, wait_until_not_pending, wait_until_stopped

SLOW_TO_REFUSE = """
import asyncio

async def _pending_for_a_moment(spawner, auth_state):
    await asyncio.sleep(1)

c.Spawner.auth_state_hook = _pending_for_a_moment
"""


@pytest.fixture(scope="module")
def kube(tmp_path_factory):
    api = ThreadedKubeAPI(tmp_path_factory.mktemp("kube"), list_delays={"events": 3}).start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def hub(kube, tmp_path_factory):
    hub = ChartHub(tmp_path_factory.mktemp("hub"), values_files=[EXAMPLE_VALUES], kube=kube,
                   community=example_community(), config=SLOW_TO_REFUSE,
                   extra_values={"singleuser": {"startTimeout": 20}})
    hub.start()
    yield hub
    hub.stop()


def test_a_valid_start_after_a_refusal_watched_on_its_progress_stream_starts(hub):
    hub.login("alice")
    token = hub.user_token("alice")
    headers = {"Authorization": f"token {token}"}
    r = hub.api("POST", "/users/alice/server", json={"profile": "large"}, token=token)
    assert r.status_code in (201, 202), r.text  # pending for a second before the refusal
    events = requests.get(f"{hub.hub_api_url}/users/alice/server/progress", headers=headers, timeout=30).text
    assert "only for members of the GitHub teams" in events  # the stream ends with the refusal
    assert not wait_until_not_pending(hub, "alice")

    started = time.monotonic()
    r = hub.api("POST", "/users/alice/server", json={"profile": "small"}, token=token)
    assert r.status_code in (201, 202), r.text
    # without the fix the start waits on the cancelled reflector until start_timeout (20 s) and fails
    hub.wait_for_server("alice", timeout=40)
    assert time.monotonic() - started < 15, hub.log_tail()
    hub.api("DELETE", "/users/alice/server")
    wait_until_stopped(hub, "alice")
