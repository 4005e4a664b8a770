"""ProfilesKubeSpawner: the real KubeSpawner start/poll/stop over HTTP against the Kubernetes emulator."""

import os
import re
import sys
import types

import pytest
from harness.profile_fakes import fake_user, hub_style_start, kube_spawner
from tornado.web import HTTPError

ALICE = dict(groups=["demo-org:hub-users"])


def container(pod):
    return next(c for c in pod["spec"]["containers"] if c["name"] == "notebook")


def env_of(pod):
    return {e["name"]: e.get("value") for e in container(pod).get("env", [])}


async def test_start_makes_the_pod_of_the_chosen_profile_and_stop_removes_it(kube_api):
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE))
    url = await hub_style_start(spawner, {"profile": "medium", "image": "geospatial", "interface": "rstudio"})

    assert url == "http://10.0.0.7:8888"
    [pod] = kube_api.pods()
    notebook = container(pod)
    assert notebook["image"] == "rocker/binder:4.4"
    assert notebook["resources"]["limits"] == {"cpu": 16.0, "memory": 128 * 1024**3}
    assert notebook["resources"]["requests"] == {"cpu": 16.0, "memory": 128 * 1024**3}
    assert pod["spec"]["nodeSelector"] == {"node.kubernetes.io/instance-type": "n2-highmem-16"}
    shared = {"name": "hubextras-shared", "mountPath": "/home/jovyan/shared", "readOnly": True}
    assert shared in notebook["volumeMounts"]
    assert env_of(pod)["JUPYTERHUB_DEFAULT_URL"] == "/rstudio"
    assert [p["metadata"]["name"] for p in kube_api.pvcs()] == ["claim-alice"]

    assert await spawner.poll() is None
    await spawner.stop()
    assert kube_api.pods() == []


@pytest.mark.parametrize(
    "options, status, words",
    [
        ({"profile": "huge"}, 400, "no profile 'huge'"),
        ({"profile": "large"}, 400, "demo-org:researchers"),
        ({"profile": "small", "image": "nope"}, 400, "not a choice for 'Image'"),
        ({"profile": "small", "image--unlisted-choice": "no tag here"}, 400, "Must be a public image"),
        ({"profile": ["small"]}, 400, "must be a text value"),
        ({"profile": "small", "image": "handbook", "image--unlisted-choice": "quay.io/a/b:1"}, 400,
         "Send one or the other"),
    ],
)
async def test_refused_request_is_an_http_error_and_creates_nothing(kube_api, options, status, words):
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE))
    with pytest.raises(HTTPError) as info:
        await hub_style_start(spawner, options)
    assert info.value.status_code == status and words in info.value.log_message
    assert info.value.jupyterhub_message == info.value.log_message
    assert kube_api.pods() == [] and kube_api.pvcs() == []
    assert len(kube_api) == 0  # not a single API call: refused before start


async def test_user_allowed_no_profile_gets_403_from_the_form_saying_whom_to_ask(kube_api):
    spawner = kube_spawner(kube_api, fake_user("eve", groups=["elsewhere:team"]))
    spawner.profile_list = [{"display_name": "Members only", "allowed_groups": ["demo-org:hub-users"]}]
    with pytest.raises(HTTPError) as info:
        await spawner.get_options_form()
    assert info.value.status_code == 403 and "Ask a hub champion" in info.value.log_message


LEAKY_PROFILES = [
    {
        "display_name": "GPU box",
        "slug": "gpu",
        "kubespawner_override": {
            "image": "quay.io/org/gpu:1",
            "node_selector": {"gpu": "a100"},
            "extra_resource_limits": {"nvidia.com/gpu": "1"},
            "environment": {"GPU": "yes"},
        },
    },
    {"display_name": "Plain", "slug": "plain", "kubespawner_override": {"environment": {"PLAIN": "yes"}}},
]


async def test_overrides_of_one_start_do_not_leak_into_the_next(kube_api):
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE), profile_list=LEAKY_PROFILES,
                           image="quay.io/org/base:1", environment={"SITE": "x"})
    await hub_style_start(spawner, {"profile": "gpu"})
    first = container(kube_api.pods()[0])
    assert first["resources"]["limits"]["nvidia.com/gpu"] == "1"
    await spawner.stop()

    await hub_style_start(spawner, {"profile": "plain"})
    [pod] = kube_api.pods()
    assert container(pod)["image"] == "quay.io/org/base:1"
    assert not pod["spec"].get("nodeSelector")
    assert "nvidia.com/gpu" not in (container(pod)["resources"].get("limits") or {})
    assert {"SITE": "x", "PLAIN": "yes"}.items() <= env_of(pod).items() and "GPU" not in env_of(pod)
    await spawner.stop()


async def test_dict_overrides_never_change_the_configured_dict_other_spawners_share(kube_api):
    shared = {"SITE": "x"}
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE), profile_list=LEAKY_PROFILES, environment=shared)
    await spawner.apply_profile_options({"profile": "gpu"})
    assert shared == {"SITE": "x"} and spawner.environment == {"SITE": "x", "GPU": "yes"}


async def test_champions_get_the_shared_dir_read_write_too(kube_api):
    spawner = kube_spawner(kube_api, fake_user("champ", groups=["Demo-Org:Hub-Champions", "demo-org:hub-users"]))
    await spawner.apply_profile_options({})
    mounts = {m["mountPath"]: m["readOnly"] for m in spawner.volume_mounts}
    assert mounts == {"/home/jovyan/shared": True, "/home/jovyan/shared-readwrite": False}


async def test_admins_are_champions(kube_api):
    spawner = kube_spawner(kube_api, fake_user("root-admin", admin=True, **ALICE))
    await spawner.apply_profile_options({})
    assert "/home/jovyan/shared-readwrite" in {m["mountPath"] for m in spawner.volume_mounts}


async def test_no_profile_removes_the_shared_dir_mounts(kube_api):
    profiles = [{"display_name": "Own mounts", "kubespawner_override": {
        "volume_mounts": [{"name": "scratch", "mountPath": "/home/jovyan/shared"}],
        "volumes": [{"name": "scratch", "emptyDir": {}}]}}]
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE), profile_list=profiles)
    await spawner.apply_profile_options({})
    assert spawner.volume_mounts == [{"name": "hubextras-shared", "mountPath": "/home/jovyan/shared", "readOnly": True}]
    assert {v["name"] for v in spawner.volumes} == {"scratch", "hubextras-shared"}


async def test_dict_form_volume_settings_stay_dicts_and_the_configured_dicts_are_untouched(kube_api):
    volumes = {"scratch": {"name": "scratch", "emptyDir": {}}}
    mounts = {"scratch": {"name": "scratch", "mountPath": "/scratch"},
              "old-shared": {"name": "scratch", "mountPath": "/home/jovyan/shared"}}
    configured = repr((volumes, mounts))
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE), volumes=volumes, volume_mounts=mounts)
    await spawner.apply_profile_options({})
    assert spawner.volumes == {**volumes, "hubextras-shared": {
        "name": "hubextras-shared", "persistentVolumeClaim": {"claimName": "hubextras-shared"}}}
    assert spawner.volume_mounts == {"scratch": mounts["scratch"], "~hubextras-/home/jovyan/shared": {
        "name": "hubextras-shared", "mountPath": "/home/jovyan/shared", "readOnly": True}}
    assert repr((volumes, mounts)) == configured


async def test_start_with_dict_form_volumes_makes_a_pod_with_them_and_the_shared_dir(kube_api):
    volumes = {"scratch": {"name": "scratch", "emptyDir": {}}}
    mounts = {"scratch": {"name": "scratch", "mountPath": "/scratch"}}
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE), volumes=volumes, volume_mounts=mounts)
    await hub_style_start(spawner, {"profile": "small"})
    [pod] = kube_api.pods()
    assert {v["name"] for v in pod["spec"]["volumes"]} == {"scratch", "hubextras-shared"}
    assert {m["mountPath"] for m in container(pod)["volumeMounts"]} == {"/scratch", "/home/jovyan/shared"}


async def test_operator_apply_user_options_hook_runs_after_profile_validation(kube_api):
    seen = []
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE), apply_user_options=lambda s, o: seen.append(s.image))
    await spawner._run_apply_user_options({"profile": "small", "image": "handbook"})
    assert seen == ["quay.io/2i2c/handbook-authoring-image:2024-05-21"]


async def test_form_posts_become_kubespawner_style_user_options(kube_api):
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE))
    formdata = {
        "profile": ["small"],
        "profile-option-small--image": ["handbook"],
        "profile-option-small--image--unlisted-choice": ["typed then changed mind:1"],
        "profile-option-medium--image": ["geospatial"],
    }
    options = await spawner.run_options_from_form(formdata)
    assert options == {"profile": "small", "image": "handbook", "interface": "lab"}


async def test_a_refused_form_post_is_an_http_error_before_any_spawn(kube_api):
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE))
    with pytest.raises(HTTPError) as info:
        await spawner.run_options_from_form({"profile": ["large"]})
    assert info.value.status_code == 400 and "demo-org:researchers" in info.value.jupyterhub_message
    assert len(kube_api) == 0


@pytest.mark.skipif(not os.environ.get("KUBECONFIG"), reason="needs a real cluster: set KUBECONFIG")
async def test_real_cluster_builds_and_validates_a_pod_server_side(tmp_path):
    from kubernetes_asyncio.client import ApiClient

    spawner = kube_spawner(None, fake_user("alice", **ALICE), k8s_api_host="")
    await spawner.apply_profile_options({"profile": "small"})
    pod = await spawner.get_pod_manifest()
    body = ApiClient().sanitize_for_serialization(pod)
    created = await spawner.api.create_namespaced_pod(spawner.namespace, body, dry_run="All")
    assert created.spec.containers[0].image == body["spec"]["containers"][0]["image"]


async def test_form_after_a_refused_request_preselects_the_last_valid_choices(kube_api):
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE))
    await spawner.apply_profile_options({"profile": "medium", "image": "geospatial"})
    spawner.user_options = {"profile": "large"}  # refused, but JupyterHub saves it anyway
    form = await spawner.get_options_form()
    assert re.search(r'value="medium"\s+aria-describedby="[^"]+" checked', form)
    assert '<option value="geospatial" selected>' in form
    assert 'value="large"' not in form


async def test_shared_mounts_come_after_a_z2jh_style_home_mount_in_the_pod(kube_api):
    home = {"name": "home", "mountPath": "/home/jovyan", "subPath": "{username}"}
    spawner = kube_spawner(kube_api, fake_user("champ", groups=["demo-org:hub-champions", "demo-org:hub-users"]),
                           volumes={"home": {"name": "home", "persistentVolumeClaim": {"claimName": "home-nfs"}}},
                           volume_mounts={"volume-{username}{servername}": home})
    await hub_style_start(spawner, {"profile": "small"})
    paths = [m["mountPath"] for m in container(kube_api.pods()[0])["volumeMounts"]]
    assert paths.index("/home/jovyan") < paths.index("/home/jovyan/shared") < paths.index(
        "/home/jovyan/shared-readwrite")


async def test_home_mount_path_follows_z2jh_singleuser_storage_home_mount_path(kube_api, monkeypatch):
    z2jh = types.ModuleType("z2jh")  # the chart's hub module: get_config reads the mounted values
    values = {"singleuser.storage.homeMountPath": "/home/{username}"}
    z2jh.get_config = lambda key, default=None: values.get(key, default)
    monkeypatch.setitem(sys.modules, "z2jh", z2jh)
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE))
    assert spawner.home_mount_path == "/home/{username}"


async def test_shared_mounts_expand_a_home_mount_path_with_the_username(kube_api):
    spawner = kube_spawner(kube_api, fake_user("alice", **ALICE), home_mount_path="/home/{username}")
    await hub_style_start(spawner, {"profile": "small"})
    paths = [m["mountPath"] for m in container(kube_api.pods()[0])["volumeMounts"]]
    assert "/home/alice/shared" in paths
