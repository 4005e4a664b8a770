"""Dask Gateway through a real hub: from a kernel of alice's server (her own account, the user environment)
`Gateway()` with no arguments starts a cluster, scales it, computes, and its dashboard answers through the
hub's proxy; the cluster runs as alice's account; someone without the role and a too-large cluster are refused."""

import pwd
import re

import pytest
import requests
from harness.kernel import Kernel

CONFIG = """
c.ProfilesSpawner.profile_list = [{{"display_name": "Small", "slug": "small", "default": True}}]
c.ProfilesLocalSpawner.default_environment = {env!r}
c.ProfilesLocalSpawner.cgroup_parent = "hubextras-scaleout"  # not the cgroups other hubs on this machine remove
c.Spawner.http_timeout = 90
c.Spawner.start_timeout = 120
c.DaskClusters.enabled = True
c.DaskClusters.groups = ["demo-org:hub-users"]
c.DaskClusters.environment = {env!r}
c.DaskClusters.cluster_max_cores = 4
c.DaskClusters.cluster_max_workers = 2
c.DaskClusters.worker_cores_max = 1
c.DaskClusters.worker_memory_max = 1024**3
c.DaskClusters.group_limits = {{"demo-org:researchers": {{"cluster_max_workers": 8, "worker_cores": 2}}}}
"""

START_AND_COMPUTE = """
import os, warnings
from dask_gateway import Gateway
import dask.array as da
gateway = Gateway()
cluster = gateway.new_cluster(worker_memory=0.5)
with warnings.catch_warnings(record=True) as capped:
    warnings.simplefilter("always")
    cluster.scale(3)
client = cluster.get_client()
client.wait_for_workers(2, timeout=240)
total = da.ones((1000, 1000), chunks=(250, 250)).sum().compute()
print(int(total))
print(len(client.scheduler_info()["workers"]))
print(cluster.dashboard_link)
print(client.run_on_scheduler(os.getuid), sorted(set(client.run(os.getuid).values())))
print([str(w.message) for w in capped])
print(client.run(lambda: __import__("dask").config.get("temporary-directory")))
"""


@pytest.fixture(scope="module")
def user_env():
    from harness.scaleout_env import ensure

    return str(ensure())


@pytest.fixture(scope="module")
def hub(hub_factory, user_env):
    hub = hub_factory(pre_config=CONFIG.format(env=user_env))
    for name in ("alice", "sam"):
        hub.login(name)
    return hub


@pytest.fixture(scope="module")
def alice_cluster(hub):
    hub.api("POST", "/users/alice/server", json={"profile": "small"})
    hub.wait_for_server("alice", timeout=150)
    with Kernel(hub, "alice", timeout=300) as kernel:
        lines = kernel.run(START_AND_COMPUTE).splitlines()
        yield kernel, lines
        kernel.run("cluster.shutdown()")


def gateway_for(hub, token):
    from dask_gateway import Gateway
    from dask_gateway.auth import JupyterHubAuth

    url = hub.api("GET", "/services/dask-gateway").json()["url"]
    return Gateway(address=f"{url}/services/dask-gateway", auth=JupyterHubAuth(api_token=token))


def test_a_cluster_from_gateway_with_no_arguments_computes_with_two_workers(alice_cluster):
    _, lines = alice_cluster
    assert lines[0] == str(1000 * 1000) and lines[1] == "2", lines


def test_the_cluster_runs_as_its_owners_account_never_root(alice_cluster):
    _, lines = alice_cluster
    alice = pwd.getpwnam("jupyter-alice").pw_uid
    assert lines[3] == f"{alice} [{alice}]"


def test_the_dashboard_answers_through_the_hubs_proxy(alice_cluster, hub):
    _, lines = alice_cluster
    link = lines[2]
    assert re.fullmatch(r"/services/dask-gateway/clusters/[\w.-]+/status", link), link
    answer = requests.get(f"{hub.url}{link}", timeout=60)
    assert answer.status_code == 200 and "Dask" in answer.text


def test_a_scale_past_the_limit_is_capped_and_says_so(alice_cluster):
    _, lines = alice_cluster
    assert "Scale request of 3 workers would exceed resource limit of 2 workers" in lines[4]


def test_someone_without_the_role_is_refused_with_a_clear_message(hub):
    with pytest.raises(ValueError, match="Dask Gateway is for members of demo-org:hub-users. Ask a hub champion"):
        gateway_for(hub, hub.user_token("sam")).list_clusters()


def test_a_cluster_larger_than_the_limits_is_refused(hub):
    with pytest.raises(ValueError, match="Workers of 4 cores are larger than this hub allows you \\(1 at most\\)"):
        gateway_for(hub, hub.user_token("alice")).new_cluster(worker_cores=4)


def test_the_gateway_gives_people_processes_none_of_the_hubs_environment(alice_cluster):
    kernel, _ = alice_cluster
    env = kernel.run("print(sorted(client.run_on_scheduler(lambda: dict(__import__('os').environ))))")
    assert "PYTHONPATH" not in env and "JUPYTERHUB_API_TOKEN" not in env and "CONFIGPROXY_AUTH_TOKEN" not in env


def test_workers_keep_their_scratch_files_in_the_clusters_own_folder(alice_cluster):
    _, lines = alice_cluster
    assert "/tmp/dask-scratch-space" not in lines[5] and "None" not in lines[5], lines[5]
