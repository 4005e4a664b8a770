"""Resource use of servers on Kubernetes, read from the metrics API (metrics-server's PodMetrics).

KubeSpawner labels its pods `component=singleuser-server` and annotates them with the unescaped
`hub.jupyter.org/username` and `hub.jupyter.org/servername`; PodMetrics carry neither, so the pods
are listed too and matched by name. No metrics API (404), no permission or any other failure gives
an empty result: the panel then says "not available".
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from tornado.log import app_log

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
SERVER_PODS = "component=singleuser-server"
USERNAME = "hub.jupyter.org/username"
SERVERNAME = "hub.jupyter.org/servername"

_SUFFIXES = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": Decimal("1e3"),
             "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"), "P": Decimal("1e15"),
             "E": Decimal("1e18"), "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30),
             "Ti": Decimal(2**40), "Pi": Decimal(2**50), "Ei": Decimal(2**60)}
_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?")


def parse_quantity(quantity: str) -> Decimal:
    """A Kubernetes quantity ("250m", "2", "1500n", "123Ki", "1Gi", "1G", "1e3") as an exact number."""
    match = _QUANTITY.fullmatch(str(quantity).strip())
    if match is None:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    number, suffix, exponent = match.groups()
    if suffix:
        return Decimal(number) * _SUFFIXES[suffix]
    return Decimal(number).scaleb(int(exponent or 0))


def usage_by_server(pod_metrics: list[dict], pods: list[dict]) -> dict[tuple[str, str], dict]:
    """Sum each server pod's containers: {(user, server name): {"memory_bytes", "cpu_percent", ...}}.

    `pod_metrics` are PodMetrics items, `pods` the server pods (plain dicts as the API sends them).
    """
    servers = {}
    for pod in pods:
        meta = pod.get("metadata") or {}
        notes, labels = meta.get("annotations") or {}, meta.get("labels") or {}
        # labels hold escaped names: a fallback for pods without annotations, right for plain names
        user = notes.get(USERNAME) or labels.get(USERNAME)
        if user and meta.get("name"):
            servers[meta["name"]] = (user, notes.get(SERVERNAME) or labels.get(SERVERNAME) or "")
    usage = {}
    for item in pod_metrics:
        key = servers.get((item.get("metadata") or {}).get("name"))
        if key is None:
            continue
        try:
            containers = [c.get("usage") or {} for c in item.get("containers") or []]
            cores = sum((parse_quantity(c.get("cpu", "0")) for c in containers), Decimal(0))
            memory = sum((parse_quantity(c.get("memory", "0")) for c in containers), Decimal(0))
        except (ValueError, AttributeError):
            continue  # one odd item should not hide the others
        percent = (cores * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
        usage[key] = {"memory_bytes": int(memory), "cpu_percent": float(percent), "cpu_seconds": None,
                      "processes": None, "containers": len(containers)}
    return usage


def in_cluster() -> bool:
    """Running in a Kubernetes pod (the hub's managed services do not inherit its environment)."""
    return "KUBERNETES_SERVICE_HOST" in os.environ or (SERVICE_ACCOUNT / "token").exists()


def cluster_namespace() -> str:
    """The namespace of the pod this runs in, else "default"."""
    try:
        return (SERVICE_ACCOUNT / "namespace").read_text().strip() or "default"
    except OSError:
        return "default"


class KubernetesUsage:
    """Memory and CPU of the server pods in `namespace`, sampled at most every `max_age` seconds.

    Connects in-cluster (the pod's service account) when it can, else with `kubeconfig` (default:
    `$KUBECONFIG` or ~/.kube/config).
    """

    def __init__(self, namespace: str, max_age: float = 5.0, timeout: float = 3.0, kubeconfig: str | None = None):
        self.namespace = namespace
        self.max_age = max_age
        self.timeout = timeout
        self.kubeconfig = kubeconfig
        self._api = None
        self._sampled = float("-inf")
        self._usage: dict[tuple[str, str], dict] = {}
        self._lock = asyncio.Lock()
        self._warned = False

    async def sample(self) -> dict[tuple[str, str], dict]:
        async with self._lock:
            if time.monotonic() - self._sampled < self.max_age:
                return self._usage
            try:
                self._usage = await asyncio.wait_for(self._read(), self.timeout)
            except Exception as e:
                self._usage = {}
                self._complain(e)
            self._sampled = time.monotonic()
            return self._usage

    async def _read(self) -> dict[tuple[str, str], dict]:
        from kubernetes_asyncio.client import CoreV1Api, CustomObjectsApi

        api = await self._client()
        metrics = await CustomObjectsApi(api).list_namespaced_custom_object(
            "metrics.k8s.io", "v1beta1", self.namespace, "pods"
        )
        items = metrics.get("items") or []
        if not items:
            return {}
        # raw JSON: only names, labels and annotations are needed, not validated pod models
        response = await CoreV1Api(api).list_namespaced_pod(
            self.namespace, label_selector=SERVER_PODS, _preload_content=False
        )
        pods = json.loads(await response.read())
        return usage_by_server(items, pods.get("items") or [])

    async def _client(self):
        if self._api is None:
            from kubernetes_asyncio import client, config

            configuration = client.Configuration()
            if self.kubeconfig is None and in_cluster():
                environ = {"KUBERNETES_SERVICE_HOST": "kubernetes.default.svc", "KUBERNETES_SERVICE_PORT": "443",
                           **os.environ}
                config.incluster_config.InClusterConfigLoader(
                    token_filename=str(SERVICE_ACCOUNT / "token"), cert_filename=str(SERVICE_ACCOUNT / "ca.crt"),
                    environ=environ,
                ).load_and_set(configuration)
            else:
                await config.load_kube_config(config_file=self.kubeconfig, client_configuration=configuration)
            self._api = client.ApiClient(configuration)
        return self._api

    def _complain(self, error: Exception) -> None:
        status = getattr(error, "status", None)
        if status == 404:
            reason = "the cluster has no metrics API (metrics-server)"
        elif status == 403:
            reason = "the hub's service account may not get/list pods.metrics.k8s.io and pods"
        else:
            reason = f"{type(error).__name__}: {error}"
        log = app_log.debug if self._warned else app_log.warning
        log("servers panel: Kubernetes resource use not available in namespace %s: %s", self.namespace, reason)
        self._warned = True

    async def close(self) -> None:
        if self._api is not None:
            await self._api.close()
            self._api = None
