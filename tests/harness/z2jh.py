"""A hub started the way the zero-to-jupyterhub chart starts it, written from the chart's documentation.

Not the chart's code (that stays in its repository): what its docs and schema say it does.

- The values: the chart's `values.yaml` defaults (read from ../shared/upstream) with the operator's
  values files over them, as Helm merges them (a `null` removes a key; nulls are dropped).
- The hub pod's files: the values mounted at `/usr/local/etc/jupyterhub/secret/values.yaml`, a
  `z2jh` module whose `get_config("a.b.c", default)` reads them, and `hub.extraFiles` at their
  `mountPath` (`stringData`, `data` as YAML/JSON, or `binaryData`). Absolute paths live below a
  folder standing for the pod's root.
- The hub's config: the chart's defaults that matter here (KubeSpawner from `singleuser`, the home
  volume, `slow_spawn_timeout = 0`, `consecutive_failure_limit`, the idle culler service and its
  role, `CryptKeeper.keys`), then every `hub.config` section passed through as `c[Class].update(...)`,
  then `jupyterhub_config.d/*.py` run in sorted order in the config's namespace, then `hub.extraConfig`.
- The hub's env: what the chart gives (`POD_NAMESPACE`, ...) plus `hub.extraEnv`, with `fieldRef`s
  resolved as Kubernetes would (`status.podIP`).
- Kubernetes: KubeSpawner's in-cluster config, HTTPS with the service account's CA and token.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import textwrap
from pathlib import Path

import yaml

from harness.hub import ADMIN_SCOPES, ADMIN_SERVICE, HubProcess, proxy_command
from harness.kube_emulator import ThreadedKubeAPI, in_cluster_config_lines, service_account_layout
from harness.upstream import upstream_dir

POD_ETC = "/usr/local/etc/jupyterhub"
NAMESPACE = "hub"
CULLER = "jupyterhub-idle-culler"


def merged_values(defaults: dict, *overrides: dict) -> dict:
    """Values files merged as Helm merges them: maps merge key by key, a null removes the key."""
    result = copy.deepcopy(defaults)
    for override in overrides:
        _merge_into(result, override or {})
    return without_nulls(result)


def _merge_into(base: dict, override: dict) -> None:
    for key, value in override.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge_into(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def without_nulls(value):
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def chart_defaults() -> dict:
    return yaml.safe_load((upstream_dir() / "chart" / "values.yaml").read_text())


Z2JH_MODULE = '''\
"""get_config for hub config snippets: a dotted key of the chart values mounted in the hub pod."""
import yaml

_VALUES_PATH = {values_path!r}
_values = None


def get_config(key, default=None):
    global _values
    if _values is None:
        with open(_VALUES_PATH) as f:
            _values = yaml.safe_load(f)
    value = _values
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value
'''

# The chart's own settings from its values; `get_config` and `c` come from the config file.
CHART_DEFAULTS = '''
# --- the chart's defaults that matter here
c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}  # straight to the progress page
c.JupyterHub.concurrent_spawn_limit = get_config("hub.concurrentSpawnLimit")
c.Spawner.consecutive_failure_limit = get_config("hub.consecutiveFailureLimit")
c.JupyterHub.cleanup_servers = False
c.KubeSpawner.namespace = os.environ["POD_NAMESPACE"]
c.KubeSpawner.start_timeout = get_config("singleuser.startTimeout")
c.KubeSpawner.uid = get_config("singleuser.uid")
c.KubeSpawner.fs_gid = get_config("singleuser.fsGid")
c.KubeSpawner.mem_guarantee = get_config("singleuser.memory.guarantee")
_image = get_config("singleuser.image")
c.KubeSpawner.image = f"{_image['name']}:{_image['tag']}"
c.KubeSpawner.events_enabled = True
_storage = get_config("singleuser.storage")
if _storage["type"] == "dynamic":
    _volume = _storage["dynamic"]["volumeNameTemplate"]
    c.KubeSpawner.storage_pvc_ensure = True
    c.KubeSpawner.storage_capacity = _storage["capacity"]
    c.KubeSpawner.storage_access_modes = _storage["dynamic"]["storageAccessModes"]
    c.KubeSpawner.volumes = {_volume: {"name": _volume, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}}
    c.KubeSpawner.volume_mounts = {_volume: {"name": _volume, "mountPath": _storage["homeMountPath"]}}
if get_config("singleuser.profileList"):
    c.KubeSpawner.profile_list = get_config("singleuser.profileList")
if get_config("cull.enabled"):
    _cull = get_config("cull")
    c.JupyterHub.services.append({
        "name": "{culler}",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={_cull['timeout']}",
                    f"--cull-every={_cull['every']}", f"--concurrency={_cull['concurrency']}"],
    })
    c.JupyterHub.load_roles.append({
        "name": "{culler}",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["{culler}"],
    })

# --- hub.config, passed through
for _app, _settings in get_config("hub.config", {}).items():
    c[_app].update(_settings)

# --- jupyterhub_config.d, in sorted order, in this namespace
_config_d = os.path.join(POD_ETC, "jupyterhub_config.d")
for _path in sorted(glob.glob(os.path.join(_config_d, "*.py"))):
    print(f"Loading {_config_d} config: {os.path.basename(_path)}")
    with open(_path) as _f:
        exec(compile(_f.read(), os.path.basename(_path), "exec"))

for _key, _code in sorted(get_config("hub.extraConfig", {}).items()):
    exec(_code)
'''


class ChartHub(HubProcess):
    """A real hub (and proxy) configured by `values_files` as the chart configures its hub pod.

    `kube` is the Kubernetes API (HTTPS emulator) the hub reaches with in-cluster config. The
    services listen at the pod's address, a loopback address of their own (POD_IP).
    """

    def __init__(self, workdir, *, values_files: list[Path], kube: ThreadedKubeAPI, extra_values: dict | None = None,
                 **kwargs):
        super().__init__(workdir, **kwargs)
        self.values_files, self.kube, self.extra_values = list(values_files), kube, extra_values or {}
        self.pod_root = self.workdir / "pod"
        self.pod_ip = f"127.78.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"

    def pod_path(self, path: str) -> Path:
        return self.pod_root / path.lstrip("/")

    def test_values(self) -> dict:
        """What this machine needs instead of a cluster's (an operator's secrets.yaml, in effect)."""
        return {
            "hub": {
                "config": {
                    "CryptKeeper": {"keys": [self.crypt_key]},
                    "GitHubTeamsAuthenticator": {
                        "client_id": "hubextras-test",
                        "client_secret": "hubextras-test-secret",
                        "oauth_callback_url": f"{self.url}/hub/oauth_callback",
                        "github_url": self.standin.url,
                    },
                    "HubExtras": {"shared_dir": str(self.workdir / "shared")},
                }
            }
        }

    def values(self) -> dict:
        user_values = [yaml.safe_load(Path(p).read_text()) for p in self.values_files]
        return merged_values(chart_defaults(), *user_values, self.test_values(), self.extra_values)

    def write_pod_files(self, values: dict) -> None:
        secret = self.pod_path(f"{POD_ETC}/secret/values.yaml")
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text(yaml.safe_dump(values))
        self.pod_path(f"{POD_ETC}/z2jh.py").write_text(Z2JH_MODULE.format(values_path=str(secret)))
        for _name, spec in (values["hub"].get("extraFiles") or {}).items():
            target = self.pod_path(spec["mountPath"])
            target.parent.mkdir(parents=True, exist_ok=True)
            if "stringData" in spec:
                target.write_text(spec["stringData"])
            elif "binaryData" in spec:
                target.write_bytes(base64.b64decode(spec["binaryData"]))
            elif target.suffix == ".json":
                target.write_text(json.dumps(spec["data"]))
            else:
                target.write_text(yaml.safe_dump(spec["data"]))

    def pod_env(self, values: dict) -> dict:
        """The hub container's env: the chart's own, then hub.extraEnv with fieldRefs resolved."""
        fields = {"status.podIP": self.pod_ip, "metadata.namespace": NAMESPACE}
        env = {"POD_NAMESPACE": NAMESPACE, "PYTHONUNBUFFERED": "1", "HELM_RELEASE_NAME": "hub"}
        extra = values["hub"].get("extraEnv") or {}
        items = extra.items() if isinstance(extra, dict) else [(e["name"], e) for e in extra]
        for name, spec in items:
            if isinstance(spec, dict) and "valueFrom" in spec:
                env[name] = fields[spec["valueFrom"]["fieldRef"]["fieldPath"]]
            else:
                env[name] = str(spec["value"] if isinstance(spec, dict) else spec)
        return env

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "shared").mkdir(exist_ok=True)
        values = self.values()
        self.rendered_values = values
        self.write_pod_files(values)
        layout = service_account_layout(self.workdir / "serviceaccount", self.kube.ca, NAMESPACE)
        pod_setup = f"""
        # --- the pod around the hub, on this machine: addresses, proxy, database (the chart's pod has its own)
        import glob, os, sys
        POD_ETC = {str(self.pod_path(POD_ETC))!r}
        sys.path.insert(0, POD_ETC)
        from z2jh import get_config
        c = get_config_fn()  # noqa
        c.JupyterHub.ip = "127.0.0.1"
        c.JupyterHub.port = {self.port}
        c.JupyterHub.hub_ip = "127.0.0.1"
        c.JupyterHub.hub_port = {self.hub_port}
        c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.proxy_api_port}"
        c.ConfigurableHTTPProxy.command = {proxy_command(self.proxy)!r}
        c.JupyterHub.db_url = "sqlite:///{self.workdir}/jupyterhub.sqlite"
        c.JupyterHub.cookie_secret_file = "{self.workdir}/jupyterhub_cookie_secret"
        c.JupyterHub.pid_file = "{self.workdir}/jupyterhub.pid"
        c.JupyterHub.services = []
        c.JupyterHub.load_roles = []
        """
        test_admin = f"""
        # --- the tests' own admin service (not the chart's)
        from hubextras.config import add_role, add_service
        add_service(c, {{"name": "{ADMIN_SERVICE}", "api_token": "{self.api_token}"}})
        add_role(c, "{ADMIN_SERVICE}", scopes={ADMIN_SCOPES!r}, services=["{ADMIN_SERVICE}"])
        """
        text = "\n".join([
            "get_config_fn = get_config  # noqa: F821 (traitlets' own, before z2jh's get_config hides it)",
            textwrap.dedent(pod_setup),
            in_cluster_config_lines(layout),
            CHART_DEFAULTS.replace("{culler}", CULLER),
            textwrap.dedent(test_admin),
            textwrap.dedent(self.config),
        ])
        path = self.workdir / "jupyterhub_config.py"
        path.write_text(text)
        return path

    def env(self) -> dict:
        env = super().env()
        env.pop("JUPYTERHUB_CRYPT_KEY", None)  # the chart passes the key as hub.config.CryptKeeper.keys
        env.pop("KUBECONFIG", None)
        env.update(self.kube.env)
        env.update(self.pod_env(self.rendered_values))
        return env
