"""Benchmark: a Dask cluster from a person's server, through our configuration and without it.

From one kernel of alice's server (her own account, the user environment), three times each, in turn:

- ours: `Gateway()` with no arguments (the hub-managed `dask-gateway` service of
  jupyterhub_config.d/90-dask-gateway.py, JupyterHub auth and the role check);
- anchor: `dask-gateway-server` started by hand by this script with the same backend (the local backend
  as the person's account) and the same environment, simple password auth, no hub;
- reported: `distributed.LocalCluster(n_workers=2)` in the kernel.

Each measures cluster start -> 2 workers ready (`start_s`), then the sum of a 1e8-element dask array
(`sum_s`); `ours`/`anchor` are the medians of their sum. Target (issue 11): ratio <= 1.1.

    PYTHONPATH=. .venv/bin/python bench/dask.py [--runs 3]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# this file is named dask.py: its own folder on sys.path would make it `import dask`
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(REPO / "tests"))

from harness.hub import HubProcess, free_port  # noqa: E402
from harness.kernel import Kernel  # noqa: E402
from harness.scaleout_env import ensure  # noqa: E402

HUB_CONFIG = """
c.ProfilesSpawner.profile_list = [{{"display_name": "Small", "slug": "small", "default": True}}]
c.ProfilesLocalSpawner.default_environment = {env!r}
c.ProfilesLocalSpawner.cgroup_parent = "hubextras-scaleout"  # not the cgroups other hubs on this machine remove
c.Spawner.http_timeout = 90
c.Spawner.start_timeout = 120
c.DaskClusters.enabled = True
c.DaskClusters.groups = ["demo-org:hub-users"]
c.DaskClusters.environment = {env!r}
c.DaskClusters.worker_memory_max = 2 * 1024**3
"""

BY_HAND = """
c.DaskGateway.address = "127.0.0.1:{api}"
c.Proxy.address = "127.0.0.1:{http}"
c.Proxy.tcp_address = "127.0.0.1:{tcp}"
c.DaskGateway.authenticator_class = "dask_gateway_server.auth.SimpleAuthenticator"
c.SimpleAuthenticator.password = "bench"
c.DaskGateway.backend_class = "hubextras.dask_gateway.backend.PersonAccountLocalBackend"
c.LocalBackend.inherited_environment = ["LANG", "LC_ALL"]
c.ClusterConfig.scheduler_cmd = ["{env}/bin/dask", "scheduler"]
c.ClusterConfig.worker_cmd = ["{env}/bin/dask", "worker"]
c.ClusterConfig.environment = {{"PATH": "{env}/bin:/usr/bin:/bin"}}
c.ClusterConfig.worker_memory = 2 * 1024**3
"""

MEASURE = """
import tempfile, time, dask.array as da
def measure(make, close):
    t0 = time.perf_counter()
    cluster, client = make()
    client.wait_for_workers(2, timeout=300)
    started = time.perf_counter() - t0
    t1 = time.perf_counter()
    assert int(da.ones(int(1e8), chunks=int(1e7)).sum().compute()) == int(1e8)
    summed = time.perf_counter() - t1
    close(cluster, client)
    return started, summed

def via_gateway(gateway):
    def make():
        cluster = gateway.new_cluster()  # 1 core and 2 GiB workers in both set-ups
        cluster.scale(2)
        return cluster, cluster.get_client()
    return make

def gateway_close(cluster, client):
    client.close()
    cluster.shutdown()

def local_make():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           local_directory=tempfile.mkdtemp())  # not /tmp/dask-scratch-space, shared by everyone
    return cluster, Client(cluster)

def local_close(cluster, client):
    client.close()
    cluster.close()

from dask_gateway import Gateway, BasicAuth
ours = Gateway()
by_hand = Gateway(address="http://127.0.0.1:{http}", proxy_address="gateway://127.0.0.1:{tcp}",
                  auth=BasicAuth("alice", "bench"))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = str(ensure())
    ports = {"api": free_port(), "http": free_port(), "tcp": free_port()}
    work = Path(tempfile.mkdtemp(prefix="hubextras-bench-dask-"))
    config = work / "by_hand_config.py"
    config.write_text(textwrap.dedent(BY_HAND.format(env=env, **ports)))
    log_file = open(work / "by-hand-gateway.log", "wb")
    gateway = subprocess.Popen([sys.executable, "-m", "dask_gateway_server", "-f", str(config)],
                               stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    hub = HubProcess(work / "hub", pre_config=HUB_CONFIG.format(env=env))
    results: dict[str, list[tuple[float, float]]] = {"ours": [], "anchor": [], "local_cluster": []}
    try:
        hub.start()
        hub.login("alice")
        hub.api("POST", "/users/alice/server", json={"profile": "small"})
        hub.wait_for_server("alice", timeout=150)
        with Kernel(hub, "alice", timeout=900) as kernel:
            kernel.run(MEASURE.format(**ports))
            calls = {"ours": "measure(via_gateway(ours), gateway_close)",
                     "anchor": "measure(via_gateway(by_hand), gateway_close)",
                     "local_cluster": "measure(local_make, local_close)"}
            kernel.run(calls["ours"])  # warm-up: imports and first-cluster costs out of the measurement
            for run in range(args.runs):
                for name, call in calls.items():
                    started, summed = json.loads(kernel.run(f"import json; print(json.dumps({call}))"))
                    results[name].append((started, summed))
                    log(f"run {run + 1} {name}: start -> 2 workers {started:.2f} s, sum {summed:.2f} s")
    finally:
        hub.stop()
        gateway.terminate()
        gateway.wait(30)
        log_file.close()
        shutil.rmtree(work, ignore_errors=True)

    def medians(name):
        starts, sums = zip(*results[name])
        return round(statistics.median(starts), 3), round(statistics.median(sums), 3)

    (ours_start, ours_sum), (anchor_start, anchor_sum) = medians("ours"), medians("anchor")
    local_start, local_sum = medians("local_cluster")
    ours, anchor = round(ours_start + ours_sum, 3), round(anchor_start + anchor_sum, 3)
    print(json.dumps({
        "name": "dask_gateway_start_2_workers_and_sum_1e8", "unit": "s", "ours": ours, "anchor": anchor,
        "ratio": round(ours / anchor, 3), "start_s": {"ours": ours_start, "anchor": anchor_start,
                                                      "local_cluster": local_start},
        "sum_s": {"ours": ours_sum, "anchor": anchor_sum, "local_cluster": local_sum},
        "local_cluster_total_s": round(local_start + local_sum, 3), "runs": args.runs,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
