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
import copy
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


# --- the emulator as a hub pod meets it: HTTPS, in-cluster service account, its own thread -------------

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def make_tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A CA (`ca.crt`) and a server certificate it signed for 127.0.0.1 (`tls.crt`, `tls.key`)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(tz=datetime.timezone.utc)

    def certificate(subject, issuer, public_key, signing_key, *, ca: bool):
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            import ipaddress

            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                             x509.DNSName("kubernetes.default.svc")]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "emulator CA")])
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    ca_cert = certificate(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True)
    server_cert = certificate(server_name, ca_name, server_key.public_key(), ca_key, ca=False)
    paths = folder / "ca.crt", folder / "tls.crt", folder / "tls.key"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


def service_account_layout(folder: Path, ca_path: Path, namespace: str = "hub") -> Path:
    """What Kubernetes mounts in a pod at SERVICE_ACCOUNT_DIR: `token`, `ca.crt`, `namespace`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "token").write_text("emulator-service-account-token")
    (folder / "ca.crt").write_bytes(Path(ca_path).read_bytes())
    (folder / "namespace").write_text(namespace)
    return folder


def in_cluster_config_lines(layout: Path) -> str:
    """Hub config lines that make kubernetes_asyncio read its in-cluster service account from `layout`
    (a pod has it at SERVICE_ACCOUNT_DIR; a test cannot write there)."""
    return (
        "import kubernetes_asyncio.config.incluster_config as _incluster\n"
        f"_incluster.SERVICE_TOKEN_FILENAME = {str(Path(layout) / 'token')!r}\n"
        f"_incluster.SERVICE_CERT_FILENAME = {str(Path(layout) / 'ca.crt')!r}\n"
    )


class ThreadedKubeAPI:
    """A KubeEmulator serving HTTPS on 127.0.0.1 from a thread of its own (for a hub in another process).

    `env` holds what a pod gets (KUBERNETES_SERVICE_HOST/PORT); `pods()` reads the emulator's pods.
    """

    def __init__(self, folder: Path, *, kubelet_delay: float = 0.05, list_delays: dict | None = None):
        import threading

        self.folder = Path(folder)
        self.ca, self.cert, self.key = make_tls_files(self.folder / "tls")
        self.kubelet_delay = kubelet_delay
        self.list_delays = list_delays or {}
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="kube-emulator", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.api: KubeEmulator | None = None
        self.port: int | None = None
        self._error: BaseException | None = None

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as e:  # reported by start()
            self._error = e
            self._ready.set()

    async def _main(self) -> None:
        import ssl

        import aiohttp.web

        self._stop = asyncio.Event()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        emulator = ProcessKubeEmulator(kubelet_delay=self.kubelet_delay, list_delays=self.list_delays)
        async with emulator as api, kmock.Server(api):
            runner = aiohttp.web.ServerRunner(aiohttp.web.Server(api))
            await runner.setup()
            site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
            await site.start()
            self.api, self.port = api, site._server.sockets[0].getsockname()[1]
            self._ready.set()
            try:
                await self._stop.wait()
            finally:
                api.stop_processes()
                await runner.cleanup()

    def start(self) -> ThreadedKubeAPI:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None or self.port is None:
            raise RuntimeError(f"the Kubernetes emulator did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        if self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(30)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict:
        return {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.port)}

    def _in_loop(self, function):
        async def call():
            return function()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(30)

    def pods(self) -> list[dict]:
        return self._in_loop(lambda: copy.deepcopy(self.api.pods()))

    def pvcs(self) -> list[dict]:
        return self._in_loop(lambda: copy.deepcopy(self.api.pvcs()))

    def requests_seen(self) -> int:
        return self._in_loop(lambda: len(self.api))


@attrs.define(kw_only=True)
class ProcessKubeEmulator(KubeEmulator):
    """A KubeEmulator whose kubelet runs each pod's notebook container as a local tiny server.

    Each pod gets an address of its own on the loopback network (127.77.x.y), where the tiny server
    (harness/tiny_singleuser.py) listens with the container's environment, so a hub in another
    process reaches the "pod" as it would in a cluster. Deleting the pod stops its process.
    """

    # seconds a first LIST of a resource plural takes (a slow API server), e.g. {"events": 3}
    list_delays: dict = attrs.field(factory=dict)
    _processes: dict = attrs.field(factory=dict, init=False)
    _addresses: itertools.count = attrs.field(factory=lambda: itertools.count(2), init=False)

    async def _handle(self, request):
        if request.resource is not None and request.resource.plural == "pods" and request.action == kmock.action.DELETE:
            process = self._processes.pop((request.namespace, request.name), None)
            if process is not None:
                process.terminate()
        if request.resource is not None and request.action == kmock.action.LIST:
            await asyncio.sleep(self.list_delays.get(request.resource.plural, 0))
        return await super()._handle(request)

    async def _run_pod(self, namespace: str, name: str) -> None:
        import subprocess
        import sys

        try:
            pod = self.objects["v1/pods", namespace, name]
        except KeyError:
            return
        number = next(self._addresses)
        ip = f"127.77.{number // 250}.{number % 250 + 1}"
        container = next(iter(pod.get("spec", {}).get("containers", [])), {})
        env = {e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e}
        prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "/")
        env["JUPYTERHUB_SERVICE_URL"] = f"http://{ip}:8888{prefix}"
        self._processes[namespace, name] = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("tiny_singleuser.py"))],
            env={"PATH": "/usr/bin:/bin", **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.pod_ip = ip
        await super()._run_pod(namespace, name)

    def stop_processes(self) -> None:
        for process in self._processes.values():
            process.terminate()
        self._processes.clear()
