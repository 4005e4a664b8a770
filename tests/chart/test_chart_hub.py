"""The guide's values.yaml deployed as the z2jh chart deploys it: a real hub, KubeSpawner over HTTPS in-cluster.

One hub for the module (harness/z2jh.py renders the chart's way: defaults, hub.config, extraFiles,
jupyterhub_config.d in sorted order, slow_spawn_timeout = 0, consecutive_failure_limit = 5, the
culler). Pods are made by the Kubernetes emulator, whose kubelet runs a tiny server per pod.
"""

import re
import time

import jsonschema
import kubernetes_validate
import pytest
import requests
import yaml
from harness.hub import REPO_DIR
from harness.kube_emulator import ThreadedKubeAPI
from harness.upstream import upstream_dir
from harness.z2jh import CULLER, ChartHub, chart_defaults, merged_values

from hubextras.testing.github import DEMO_COMMUNITY

EXAMPLE_VALUES = REPO_DIR / "docs" / "examples" / "values.yaml"
# the chart's Chart.yaml asks for Kubernetes 1.32 or newer
KUBERNETES_VERSIONS = ["1.32", "1.37"]


def example_community() -> dict:
    """The demo community, as the example's GitHub org `example-org`."""
    return yaml.safe_load(DEMO_COMMUNITY.read_text().replace("demo-org", "example-org"))


@pytest.fixture(scope="module")
def kube(tmp_path_factory):
    api = ThreadedKubeAPI(tmp_path_factory.mktemp("kube")).start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def hub(kube, tmp_path_factory):
    try:
        import jupyterhub_idle_culler  # noqa: F401
    except ImportError:
        pytest.fail("The chart runs jupyterhub-idle-culler as a service: pip install jupyterhub-idle-culler",
                    pytrace=False)
    hub = ChartHub(tmp_path_factory.mktemp("hub"), values_files=[EXAMPLE_VALUES], kube=kube,
                   community=example_community(), allowed_teams=(), admin_teams=())
    hub.start()
    yield hub
    hub.stop()


def xsrf_of(page: str) -> str:
    return (re.search(r'name="_xsrf" value="([^"]+)"', page) or re.search(r"_xsrf=([^&\"']+)", page))[1]


def form_post(hub, session, data, user=""):
    url = f"{hub.url}/hub/spawn" + (f"/{user}" if user else "")
    form = session.get(url, timeout=30)
    return session.post(url, data={**data, "_xsrf": xsrf_of(form.text)}, timeout=60, allow_redirects=False)


def wait_until_stopped(hub, name, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = hub.api("GET", f"/users/{name}").json()["servers"].get("")
        if not server:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{name}'s server did not stop:\n{hub.log_tail()}")


def wait_until_not_pending(hub, name, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = hub.api("GET", f"/users/{name}").json()["servers"].get("")
        if not server or not server.get("pending"):
            return server
        time.sleep(0.1)
    raise TimeoutError(f"{name}'s server still pending:\n{hub.log_tail()}")


def pod_of(kube, name):
    pods = [p for p in kube.pods() if p["metadata"]["labels"].get("hub.jupyter.org/username") == name]
    assert len(pods) == 1, [p["metadata"]["name"] for p in kube.pods()]
    return pods[0]


def notebook(pod):
    return next(c for c in pod["spec"]["containers"] if c["name"] == "notebook")


def assert_valid(manifest, what):
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{what} is invalid on Kubernetes {version}: {e}")


# -- the values ---------------------------------------------------------------------------------

def test_the_guides_values_validate_against_the_charts_schema():
    schema = yaml.safe_load((upstream_dir() / "chart" / "values.schema.yaml").read_text())
    example = yaml.safe_load(EXAMPLE_VALUES.read_text())
    jsonschema.validate(merged_values(chart_defaults(), example), schema)


def test_null_values_remove_chart_defaults_as_helm_does():
    merged = merged_values({"hub": {"a": 1, "b": {"c": 2}}, "x": None}, {"hub": {"a": None, "b": {"d": 3}}})
    assert merged == {"hub": {"b": {"c": 2, "d": 3}}}


# -- the hub, as the chart starts it ----------------------------------------------------------------

def test_the_snippets_load_in_sorted_order_after_the_chart_settings(hub):
    log = hub.log_path.read_text(errors="replace")
    loaded = re.findall(r"Loading \S+jupyterhub_config\.d config: (\S+)", log)
    assert loaded == ["50-hubextras.py", "60-course-champions.py"]
    assert "Starting managed service shared-data" in log


def test_the_chart_culler_runs_with_its_role_beside_the_hubextras_services(hub):
    services = hub.api("GET", "/services").json()
    assert {CULLER, "shared-data", "servers-panel"} <= set(services)
    assert services[CULLER]["roles"] == [CULLER]
    hub.login("champ")
    assert hub.api("GET", "/groups/example-org:hub-champions").json()["roles"] == ["hubextras-champions"]


def test_a_member_signs_in_picks_a_profile_and_gets_a_valid_pod_with_the_shared_folder(hub, kube):
    alice = hub.login("alice")
    r = form_post(hub, alice, {"profile": "small", "profile-option-small--image": "geospatial"})
    assert r.status_code == 302 and "/spawn-pending/" in r.headers["Location"], r.text[-1500:]
    hub.wait_for_server("alice", timeout=60)
    pod = pod_of(kube, "alice")
    assert notebook(pod)["image"] == "rocker/binder:4.4.1"
    mounts = [m["mountPath"] for m in notebook(pod)["volumeMounts"]]
    assert mounts.index("/home/jovyan") < mounts.index("/home/jovyan/shared")
    assert_valid(pod, "alice's pod")
    for pvc in kube.pvcs():
        assert_valid(pvc, f"the PVC {pvc['metadata']['name']}")
    assert hub.api("DELETE", "/users/alice/server").status_code in (202, 204)
    wait_until_stopped(hub, "alice")


def test_a_refused_form_post_shows_the_form_again_and_makes_no_pod(hub, kube):
    alice = hub.login("alice")
    r = form_post(hub, alice, {"profile": "large"})
    assert r.status_code == 400 and "example-org:researchers" in r.text
    assert hub.api("GET", "/users/alice").json()["servers"] == {}
    assert not [p for p in kube.pods() if p["metadata"]["labels"].get("hub.jupyter.org/username") == "alice"]


def test_six_refused_rest_starts_in_a_row_under_slow_spawn_timeout_0_leave_the_hub_running(hub):
    hub.login("sam")
    token = hub.user_token("sam")
    for _ in range(6):
        r = hub.api("POST", "/users/sam/server", json={"profile": "large"}, token=token)
        # under slow_spawn_timeout = 0 the answer comes before the refusal: 201 or 202, or 400 if it was quick
        assert r.status_code in (201, 202, 400), r.text
        assert not wait_until_not_pending(hub, "sam")
    time.sleep(3)  # the hub exits 2 s after reaching the limit
    log = hub.log_path.read_text(errors="replace")
    assert "consecutive spawns failed" not in log and "consecutive spawn failures" not in log
    assert hub.proc.poll() is None and hub.api("GET", "/").status_code == 200


def test_a_valid_start_right_after_a_refusal_watched_on_its_progress_stream_is_not_held_up(hub, kube):
    hub.login("carol")
    token = hub.user_token("carol")
    r = hub.api("POST", "/users/carol/server", json={"profile": "nope"}, token=token)
    assert r.status_code in (201, 202, 400)
    progress = requests.get(f"{hub.hub_api_url}/users/carol/server/progress", stream=True, timeout=30,
                            headers={"Authorization": f"token {token}"})
    progress.close()  # a browser on the progress page that goes away, as the race needs
    wait_until_not_pending(hub, "carol")
    r = hub.api("POST", "/users/carol/server", json={"profile": "small"}, token=token)
    assert r.status_code in (201, 202), r.text
    hub.wait_for_server("carol", timeout=30)  # a stalled events reflector holds a start up to start_timeout (300 s)
    hub.api("DELETE", "/users/carol/server")
    wait_until_stopped(hub, "carol")


# -- someone else starting a person's server --------------------------------------------------------

def test_a_champion_cannot_run_an_image_of_their_own_in_an_admins_server(hub, kube):
    hub.login("ada")
    ada = hub.user_token("ada")
    assert hub.api("POST", "/users/ada/server", json={"profile": "small", "image": "geospatial"},
                   token=ada).status_code in (201, 202)
    hub.wait_for_server("ada", timeout=60)
    hub.api("DELETE", "/users/ada/server", token=ada)
    wait_until_stopped(hub, "ada")

    hub.login("champ")
    champ = hub.user_token("champ")
    custom = {"profile": "small", "image": "unlisted-choice", "image--unlisted-choice": "quay.io/evil/miner:1"}
    hub.api("POST", "/users/ada/server", json=custom, token=champ)
    server = wait_until_not_pending(hub, "ada")
    assert not server, server
    assert not [p for p in kube.pods() if p["metadata"]["labels"].get("hub.jupyter.org/username") == "ada"]

    assert hub.api("POST", "/users/ada/server", token=champ).status_code in (201, 202)
    hub.wait_for_server("ada", timeout=60)
    assert notebook(pod_of(kube, "ada"))["image"] == "rocker/binder:4.4.1"
    hub.api("DELETE", "/users/ada/server")
    wait_until_stopped(hub, "ada")
