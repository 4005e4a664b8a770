"""Every pod and PVC ProfilesKubeSpawner can make validates against the Kubernetes schema (strict mode)."""

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor

import kubernetes_validate
import pytest
from harness.kube_emulator import kubeconfig_for
from harness.profile_fakes import fake_user, kube_spawner
from kubernetes_asyncio.client import ApiClient

from hubextras.profiles.engine import normalize_profile_list
from hubextras.profiles.examples import example_profile_list

KUBERNETES_VERSIONS = ["1.25", "1.31", "1.37"]
CUSTOM_IMAGE = "quay.io/jupyter/scipy-notebook:2024-05-27"


def every_combination():
    """user_options for every profile × every choice of each option (custom values included)."""
    for profile in normalize_profile_list(example_profile_list()):
        options = profile.get("profile_options", {})
        per_option = []
        for name, option in options.items():
            picks = [{name: key} for key in option["choices"]]
            if option["unlisted_choice"]["enabled"]:
                picks.append({name: "unlisted-choice", f"{name}--unlisted-choice": CUSTOM_IMAGE})
            per_option.append(picks)
        for picks in itertools.product(*per_option):
            yield {"profile": profile["slug"], **{k: v for pick in picks for k, v in pick.items()}}


COMBINATIONS = list(every_combination())


def test_the_example_has_the_expected_number_of_combinations():
    assert len(COMBINATIONS) == 4 * 4 * 3


def build_manifests(make_spawner, combinations, tmp_path) -> list[tuple[dict, dict, dict]]:
    """(user_options, pod, pvc) for each of `combinations` with the spawner `make_spawner()` makes,
    as plain API dicts. Building manifests needs a kubeconfig but no API server.
    """

    async def build():
        api_client = ApiClient()
        spawner = make_spawner()
        built = []
        for options in combinations:
            spawner.clear_state()
            await spawner.apply_profile_options(options)
            pod = api_client.sanitize_for_serialization(await spawner.get_pod_manifest())
            pvc = api_client.sanitize_for_serialization(spawner.get_pvc_manifest())
            built.append((options, pod, pvc))
        await api_client.close()
        return built

    # in a thread of its own: a session's Playwright browser may hold this thread's event loop
    with kubeconfig_for("http://127.0.0.1:1", tmp_path), ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, build()).result()


CHAMPION = fake_user("carol", groups=["demo-org:hub-users", "demo-org:researchers", "demo-org:hub-champions"])


@pytest.fixture(scope="module")
def manifests(tmp_path_factory):
    """(user_options, pod, pvc) for every combination, built by a researcher champion."""
    return build_manifests(lambda: kube_spawner(None, CHAMPION), COMBINATIONS, tmp_path_factory.mktemp("kube"))


def assert_valid(manifest, version, options):
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as e:
        pytest.fail(f"{manifest['kind']} for {options} is invalid on Kubernetes {version}: {e}")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_pod_and_pvc_manifests_validate_strictly(manifests, version):
    checked = 0
    for options, pod, pvc in manifests:
        for manifest in (pod, pvc):
            assert_valid(manifest, version, options)
            checked += 1
    assert checked == 2 * len(COMBINATIONS)


def test_manifests_differ_as_the_choices_do(manifests):
    images = {pod["spec"]["containers"][0]["image"] for _, pod, _ in manifests}
    selectors = {tuple(pod["spec"]["nodeSelector"].values()) for _, pod, _ in manifests}
    assert CUSTOM_IMAGE in images and len(images) == 4
    assert selectors == {("n2-highmem-4",), ("n2-highmem-16",), ("n2-highmem-64",)}


# KubeSpawner's dict form of volumes and volume_mounts (keyed by any name, ordered by key)
DICT_VOLUMES = {"home": {"name": "home", "persistentVolumeClaim": {"claimName": "claim-{username}"}},
                "scratch": {"name": "scratch", "emptyDir": {}}}
DICT_MOUNTS = {"home": {"name": "home", "mountPath": "/home/jovyan"},
               "scratch": {"name": "scratch", "mountPath": "/scratch"}}


@pytest.fixture(scope="module")
def dict_form_pods(tmp_path_factory):
    """Pods of a champion and of a user whose hub configures volumes and volume_mounts as dicts."""
    pods = {}
    for who, user in [("champion", CHAMPION), ("user", fake_user("alice", groups=["demo-org:hub-users"]))]:
        def make_spawner(user=user):
            return kube_spawner(None, user, volumes=DICT_VOLUMES, volume_mounts=DICT_MOUNTS)

        [(_, pod, _)] = build_manifests(make_spawner, [{"profile": "small"}], tmp_path_factory.mktemp("kube"))
        pods[who] = pod
    return pods


def test_dict_form_volumes_keep_the_configured_ones_and_add_the_shared_volume(dict_form_pods):
    for who, pod in dict_form_pods.items():
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        assert volumes["home"]["persistentVolumeClaim"] == {"claimName": "claim-carol" if who == "champion"
                                                            else "claim-alice"}, who
        assert volumes["scratch"] == {"name": "scratch", "emptyDir": {}}, who
        assert volumes["hubextras-shared"]["persistentVolumeClaim"] == {"claimName": "hubextras-shared"}, who


def test_dict_form_mounts_keep_the_configured_ones_and_add_the_shared_mounts(dict_form_pods):
    def mounts(pod):
        [notebook] = [c for c in pod["spec"]["containers"] if c["name"] == "notebook"]
        return {m["mountPath"]: (m["name"], m.get("readOnly", False)) for m in notebook["volumeMounts"]}

    expected_user = {"/home/jovyan": ("home", False), "/scratch": ("scratch", False),
                     "/home/jovyan/shared": ("hubextras-shared", True)}
    assert mounts(dict_form_pods["user"]) == expected_user
    assert mounts(dict_form_pods["champion"]) == {
        **expected_user, "/home/jovyan/shared-readwrite": ("hubextras-shared", False)}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_dict_form_pods_validate_strictly(dict_form_pods, version):
    for who, pod in dict_form_pods.items():
        assert_valid(pod, version, f"a {who} with dict-shaped volumes")
