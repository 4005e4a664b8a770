"""Usage on Kubernetes: the same wrapper around ProfilesKubeSpawner, against the Kubernetes API emulator."""

import pytest
from harness.profile_fakes import as_hub_makes_it, fake_user, hub_style_start
from tornado import web
from traitlets.config import Config

from hubextras.profiles.examples import example_profile_list
from hubextras.spawners.kube import ProfilesKubeSpawner
from hubextras.usage.clock import set_clock
from hubextras.usage.recorder import UsageRecorder, recording_spawner_class

ALICE = {"groups": ["demo-org:hub-users"], "teams": ["demo-org:hub-users"]}


@pytest.fixture
def recorded_kube_spawner(kube_api, tmp_path, monkeypatch):
    """A recording ProfilesKubeSpawner as the hub makes it; the hub process's one recorder on `tmp_path`."""
    set_clock(str(tmp_path / "now"), 1_000_000.0)
    config = Config()
    config.KubeSpawner.profile_list = example_profile_list()
    config.KubeSpawner.k8s_api_host = str(kube_api.url).rstrip("/")
    config.KubeSpawner.events_enabled = False
    config.KubeSpawner.start_timeout = 20
    config.UsageRecorder.store_path = str(tmp_path / "usage.sqlite")
    config.UsageRecorder.clock_file = str(tmp_path / "now")
    config.UsageQuotas.policies = {
        "demo-org:hub-users": {
            "limits": [{"resource": "memory_gib_hours", "amount": 1000, "days": 7}],
            "max_memory_gib": 64,
        },
    }
    monkeypatch.setattr(UsageRecorder, "_instance", UsageRecorder(config=config))

    def make():
        return as_hub_makes_it(recording_spawner_class(ProfilesKubeSpawner), config, fake_user("alice", **ALICE))

    return make


async def test_a_kubernetes_server_is_recorded_with_the_requests_of_its_profile(kube_api, recorded_kube_spawner):
    spawner = recorded_kube_spawner()
    await hub_style_start(spawner, {"profile": "small", "image": "datascience", "interface": "lab"})
    [pod] = kube_api.pods()
    requests = pod["spec"]["containers"][0]["resources"]["requests"]
    record = UsageRecorder._instance.store.running_record("alice", "")
    assert record.profile == "small" and record.mem_guarantee > 0
    assert record.mem_guarantee == spawner.mem_guarantee and "memory" in requests
    await spawner.stop()
    await spawner.run_post_stop_hook()
    assert UsageRecorder._instance.store.get(record.id).ended == "stopped"


async def test_a_kubernetes_start_over_the_policys_size_is_refused_before_any_pod(kube_api, recorded_kube_spawner):
    spawner = recorded_kube_spawner()
    with pytest.raises(web.HTTPError) as refused:
        await hub_style_start(spawner, {"profile": "medium", "image": "datascience", "interface": "lab"})
    assert refused.value.status_code == 403 and "may use up to 64" in refused.value.jupyterhub_message
    assert kube_api.pods() == []
