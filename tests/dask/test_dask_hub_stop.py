"""A hub stopped while a person's cluster runs leaves none of the cluster's processes behind."""

import subprocess
import time

from harness.kernel import Kernel
from test_dask_hub import CONFIG, user_env  # noqa: F401 - the same hub settings and user environment


def processes_of(account: str) -> list[str]:
    found = subprocess.run(["pgrep", "-a", "-u", account, "-f", "dask"], capture_output=True, text=True)
    return found.stdout.splitlines()


def test_stopping_the_hub_stops_running_clusters(hub_factory, user_env):  # noqa: F811
    hub = hub_factory(pre_config=CONFIG.format(env=user_env))
    hub.login("alice")
    hub.api("POST", "/users/alice/server", json={"profile": "small"})
    hub.wait_for_server("alice", timeout=150)
    with Kernel(hub, "alice", timeout=300) as kernel:
        kernel.run("from dask_gateway import Gateway; cluster = Gateway().new_cluster(shutdown_on_close=False); "
                   "cluster.scale(1); cluster.get_client().wait_for_workers(1, timeout=240)")
        assert processes_of("jupyter-alice"), "the cluster should be running before the hub stops"
    hub.stop()
    deadline = time.monotonic() + 30
    while processes_of("jupyter-alice") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_of("jupyter-alice") == []
