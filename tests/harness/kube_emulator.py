"""An in-memory Kubernetes API for KubeSpawner: kmock 0.8 plus the small shim it needs, and a fake kubelet.

kmock stores objects and streams watch events but sets no metadata and no pod status, and it
expects `watch=true` where kubernetes_asyncio sends `watch=True`. The shim:

- accepts `watch=True` (and `1`);
- on create, sets `metadata.namespace`, `uid`, `resourceVersion`, `creationTimestamp`,
  and `status.phase=Pending` on pods; bumps `resourceVersion` on every update;
- a fake kubelet marks each new pod Running, with a podIP and ready containers, a moment later
  (through the API itself, so watchers see a MODIFIED event as they would from a cluster).

Usage (see `kube_api` in conftest.py, and bench/profiles.py)::

    async with KubeEmulator() as api, kmock.Server(api):
        with kubeconfig_for(api.url, tmp_path):
            ...  # KubeSpawner(k8s_api_host=str(api.url).rstrip("/"), ...)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import itertools
import uuid
from pathlib import Path

import attrs
import kmock
import yaml

CORE_RESOURCES = ("v1/pods", "v1/persistentvolumeclaims", "v1/events", "v1/services", "v1/secrets", "v1/namespaces")


@attrs.define(kw_only=True)
class KubeEmulator(kmock.KubernetesEmulator):
    """kmock's Kubernetes emulator with the shim and fake kubelet described above.

    `kubelet_delay` is how long a pod stays Pending; `pod_ip` the address given to running pods.
    """

    kubelet_delay: float = 0.02
    pod_ip: str = "10.0.0.7"
    _versions: itertools.count = attrs.field(factory=lambda: itertools.count(1), init=False)
    _kubelet_tasks: set = attrs.field(factory=set, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        for resource in CORE_RESOURCES:
            self.resources[resource] = {"namespaced": True, "verbs": ["get", "list", "watch", "create", "delete"]}

    async def __call__(self, raw_request):
        if raw_request.query.get("watch") in ("True", "1"):
            raw_request = raw_request.clone(rel_url=raw_request.rel_url.update_query(watch="true"))
        return await super().__call__(raw_request)

    async def _handle(self, request):
        created_pod = None
        if request.resource is not None and isinstance(request.data, dict):
            if request.action == kmock.action.CREATE:
                meta = request.data.setdefault("metadata", {})
                meta.setdefault("namespace", request.namespace or "default")
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault("creationTimestamp", _now())
                meta["resourceVersion"] = str(next(self._versions))
                if request.resource.plural == "pods":
                    request.data.setdefault("status", {})["phase"] = "Pending"
                    created_pod = (meta["namespace"], meta["name"])
            elif request.action == kmock.action.UPDATE:
                request.data.setdefault("metadata", {})["resourceVersion"] = str(next(self._versions))
        response = await super()._handle(request)
        if created_pod and response.status < 300:
            task = asyncio.create_task(self._run_pod(*created_pod))
            self._kubelet_tasks.add(task)
            task.add_done_callback(self._kubelet_tasks.discard)
        return response

    async def _run_pod(self, namespace: str, name: str) -> None:
        """The fake kubelet: after a moment, the pod runs with an IP and ready containers."""
        await asyncio.sleep(self.kubelet_delay)
        try:
            pod = self.objects["v1/pods", namespace, name]
        except KeyError:
            return
        if pod.deleted:
            return
        containers = pod.get("spec", {}).get("containers", [])
        status = {
            "phase": "Running",
            "podIP": self.pod_ip,
            "startTime": _now(),
            "containerStatuses": [
                {"name": c["name"], "ready": True, "restartCount": 0, "image": c.get("image"), "imageID": "",
                 "state": {"running": {"startedAt": _now()}}}
                for c in containers
            ],
        }
        async with self.patch(f"/api/v1/namespaces/{namespace}/pods/{name}", json={"status": status}) as response:
            await response.read()

    def pods(self) -> list[dict]:
        """The pods that exist now (not deleted), as plain dicts."""
        return self._live("v1/pods")

    def pvcs(self) -> list[dict]:
        return self._live("v1/persistentvolumeclaims")

    def _live(self, resource: str) -> list[dict]:
        wanted = kmock.resource(resource)
        return [obj.raw for (res, _, _), obj in self.objects.items() if res == wanted and not obj.deleted]


def _now() -> str:
    return datetime.datetime.now(tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_kubeconfig(url: str, folder: Path) -> Path:
    """A kubeconfig pointing at `url` (KubeSpawner loads one even to build a manifest)."""
    path = Path(folder) / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "emulator", "cluster": {"server": url}}],
                "users": [{"name": "tester", "user": {"token": "emulator-token"}}],
                "contexts": [{"name": "emulator", "context": {"cluster": "emulator", "user": "tester"}}],
                "current-context": "emulator",
            }
        )
    )
    return path


@contextlib.contextmanager
def kubeconfig_for(url: str, folder: Path):
    """Point kubernetes_asyncio at `url` for the duration (it reads KUBECONFIG at import time)."""
    from kubernetes_asyncio.config import kube_config

    previous = kube_config.KUBE_CONFIG_DEFAULT_LOCATION
    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(write_kubeconfig(url, folder))
    try:
        yield
    finally:
        kube_config.KUBE_CONFIG_DEFAULT_LOCATION = previous
