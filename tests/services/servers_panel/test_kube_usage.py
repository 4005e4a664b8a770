"""Resource use of servers on Kubernetes: quantities, and PodMetrics read from the in-memory Kubernetes API."""

from decimal import Decimal

import kmock  # noqa: E402
import pytest
import pytest_asyncio  # noqa: E402
from harness.kube_emulator import KubeEmulator, kubeconfig_for  # noqa: E402
from hypothesis import given
from hypothesis import strategies as st

from hubextras.services.servers_panel.app import ServersPanelApp  # noqa: E402
from hubextras.services.servers_panel.kube_usage import (  # noqa: E402
    KubernetesUsage,
    parse_quantity,
    usage_by_server,
)
from hubextras.services.servers_panel.usage import LocalUsage  # noqa: E402

NS = "hub"
METRICS = f"/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods"


@pytest.mark.parametrize(
    "quantity, value",
    [("250m", "0.25"), ("2", "2"), ("1500n", "0.0000015"), ("123Ki", "125952"), ("1Gi", "1073741824"),
     ("1G", "1000000000"), ("1e3", "1000"), ("1.5Mi", "1572864"), ("100u", "0.0001")],
)
def test_quantities_are_read_exactly(quantity, value):
    assert parse_quantity(quantity) == Decimal(value)


@pytest.mark.parametrize("quantity", ["", "Gi", "1GB", "one", "1 Gi", "NaN"])
def test_what_is_not_a_quantity_is_refused(quantity):
    with pytest.raises(ValueError):
        parse_quantity(quantity)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["Ki", "Mi", "Gi", "Ti"]))
def test_a_binary_suffix_multiplies_by_its_power_of_1024(number, suffix):
    power = ["Ki", "Mi", "Gi", "Ti"].index(suffix) + 1
    assert parse_quantity(f"{number}{suffix}") == number * 1024**power


@given(st.integers(min_value=0, max_value=10**9))
def test_millicores_and_nanocores_of_the_same_cpu_agree(millicores):
    assert parse_quantity(f"{millicores}m") == parse_quantity(f"{millicores * 10**6}n")


def test_metrics_of_pods_that_are_not_servers_are_left_out():
    metrics = [{"metadata": {"name": "hub-1"}, "containers": [{"usage": {"cpu": "1", "memory": "1Gi"}}]}]
    pods = [{"metadata": {"name": "hub-1", "labels": {"component": "hub"}}}]
    assert usage_by_server(metrics, pods) == {}


def server_pod(name: str, user: str, server: str = "") -> dict:
    return {
        "metadata": {
            "name": name,
            "labels": {"component": "singleuser-server", "hub.jupyter.org/username": user.replace("@", "-40")},
            "annotations": {"hub.jupyter.org/username": user, "hub.jupyter.org/servername": server},
        },
        "spec": {"containers": [{"name": "notebook", "image": "jupyter/base:1"}]},
    }


def pod_metrics(name: str, *usages: tuple[str, str]) -> dict:
    return {
        "kind": "PodMetrics",
        "metadata": {"name": name},
        "timestamp": "2026-01-01T00:00:00Z",
        "window": "15s",
        "containers": [{"name": f"c{i}", "usage": {"cpu": cpu, "memory": memory}} for i, (cpu, memory) in
                       enumerate(usages)],
    }


async def create(api, path: str, body: dict) -> None:
    async with api.post(path, json=body) as response:
        assert response.status == 200, await response.text()


@pytest_asyncio.fixture
async def kube_api(tmp_path):
    """The in-memory Kubernetes API (tests/kube), with kubernetes_asyncio's kubeconfig pointing at it."""
    async with KubeEmulator() as api, kmock.Server(api):
        with kubeconfig_for(str(api.url).rstrip("/"), tmp_path):
            yield api


@pytest.fixture
def metrics_api(kube_api):
    """The emulator with metrics-server's PodMetrics resource."""
    kube_api.resources["metrics.k8s.io/v1beta1/pods"] = {"namespaced": True, "verbs": ["get", "list", "create"]}
    return kube_api


async def test_pod_metrics_map_to_the_users_and_servers_of_their_pods(metrics_api):
    await create(metrics_api, f"/api/v1/namespaces/{NS}/pods", server_pod("jupyter-alice-40x-2eorg", "alice@x.org"))
    await create(metrics_api, f"/api/v1/namespaces/{NS}/pods", server_pod("jupyter-bob--gpu", "bob", "gpu"))
    await create(metrics_api, f"/api/v1/namespaces/{NS}/pods", {"metadata": {"name": "hub-0"}, "spec": {}})
    await create(metrics_api, METRICS, pod_metrics("jupyter-alice-40x-2eorg", ("250m", "100Mi"), ("1500000n", "24Ki")))
    await create(metrics_api, METRICS, pod_metrics("jupyter-bob--gpu", ("2", "1Gi")))
    await create(metrics_api, METRICS, pod_metrics("hub-0", ("1", "1Gi")))

    usage = KubernetesUsage(NS)
    try:
        sample = await usage.sample()
    finally:
        await usage.close()

    assert set(sample) == {("alice@x.org", ""), ("bob", "gpu")}
    assert sample[("alice@x.org", "")]["memory_bytes"] == 100 * 2**20 + 24 * 2**10
    assert sample[("alice@x.org", "")]["cpu_percent"] == 25.2
    assert (sample[("bob", "gpu")]["memory_bytes"], sample[("bob", "gpu")]["cpu_percent"]) == (2**30, 200.0)


async def test_a_cluster_without_a_metrics_api_gives_no_usage(kube_api):
    await create(kube_api, f"/api/v1/namespaces/{NS}/pods", server_pod("jupyter-alice", "alice"))
    usage = KubernetesUsage(NS)
    try:
        assert await usage.sample() == {}
    finally:
        await usage.close()


async def test_an_unreachable_cluster_gives_no_usage(tmp_path):
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    usage = KubernetesUsage(NS, kubeconfig=str(config))
    try:
        assert await usage.sample() == {}
    finally:
        await usage.close()


def panel_with(monkeypatch, tmp_path, **settings) -> ServersPanelApp:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    panel = ServersPanelApp(data_dir=str(tmp_path), **settings)
    return panel


def test_auto_reads_local_processes_outside_a_cluster(monkeypatch, tmp_path):
    assert isinstance(panel_with(monkeypatch, tmp_path).make_usage(), LocalUsage)


def test_auto_reads_the_metrics_api_inside_a_cluster(monkeypatch, tmp_path):
    panel = panel_with(monkeypatch, tmp_path, kubernetes_namespace="jhub")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    usage = panel.make_usage()
    assert isinstance(usage, KubernetesUsage) and usage.namespace == "jhub"


def test_none_reads_no_usage(monkeypatch, tmp_path):
    assert panel_with(monkeypatch, tmp_path, usage_source="none").make_usage() is None
