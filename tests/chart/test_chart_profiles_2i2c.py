"""2i2c's production profile lists (read unchanged from ../shared/upstream): they load, filter by team, build pods."""

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor

import kubernetes_validate
import pytest
import yaml
from harness.kube_emulator import kubeconfig_for
from harness.profile_fakes import fake_user, kube_spawner
from harness.upstream import upstream_dir
from kubernetes_asyncio.client import ApiClient

from hubextras.profiles.engine import allowed_profiles_for, normalize_profile_list

LISTS = ["victor-prod", "projectpythia-common", "leap-daskhub-common"]
CUSTOM_IMAGE = "quay.io/jupyter/scipy-notebook:2024-05-27"


def profile_list(name) -> list:
    return yaml.safe_load((upstream_dir() / "profiles_2i2c" / f"{name}.yaml").read_text())


def groups_named(profiles) -> set[str]:
    """Every group an `allowed_groups` in the list names (someone in all of them sees everything)."""
    found = set()
    for profile in profiles:
        found |= set(profile.get("allowed_groups") or [])
        for option in profile.get("profile_options", {}).values():
            for entry in [*option.get("choices", {}).values(), option.get("unlisted_choice", {})]:
                found |= set(entry.get("allowed_groups") or [])
    return found


def combinations(profiles):
    """One user_options per profile × choice of each option (custom image where enabled), at most 40 a profile."""
    for profile in profiles:
        per_option = []
        for name, option in profile.get("profile_options", {}).items():
            picks = [{name: key} for key in option["choices"]]
            if option["unlisted_choice"].get("enabled"):
                picks.append({name: "unlisted-choice", f"{name}--unlisted-choice": CUSTOM_IMAGE})
            per_option.append(picks)
        for picks in itertools.islice(itertools.product(*per_option), 40):
            yield {"profile": profile["slug"], **{k: v for pick in picks for k, v in pick.items()}}


def visible_entries(profiles) -> int:
    """Profiles, choices and enabled custom values someone can pick."""
    return sum(1 + sum(len(o["choices"]) + bool(o["unlisted_choice"].get("enabled"))
                       for o in p.get("profile_options", {}).values()) for p in profiles)


@pytest.mark.parametrize("name", LISTS)
def test_the_list_loads_unchanged_and_filters_by_team(name):
    profiles = normalize_profile_list(profile_list(name))
    assert visible_entries(allowed_profiles_for(profiles, groups_named(profiles))) == visible_entries(profiles)
    outsider = visible_entries(allowed_profiles_for(profiles, ["elsewhere:nobody"]))
    assert outsider < visible_entries(profiles) if groups_named(profiles) else outsider == visible_entries(profiles)


@pytest.mark.parametrize("name", LISTS)
def test_every_choice_of_the_list_builds_a_pod_that_validates_strictly(name, tmp_path):
    raw = profile_list(name)
    profiles = normalize_profile_list(raw)
    user = fake_user("member", groups=sorted(groups_named(profiles)))
    wanted = list(combinations(profiles))

    async def build():
        api_client = ApiClient()
        spawner = kube_spawner(None, user, profile_list=raw)
        built = []
        for options in wanted:
            spawner.clear_state()
            await spawner.apply_profile_options(options)
            built.append((options, api_client.sanitize_for_serialization(await spawner.get_pod_manifest())))
        await api_client.close()
        return built

    with kubeconfig_for("http://127.0.0.1:1", tmp_path), ThreadPoolExecutor(1) as thread:
        pods = thread.submit(asyncio.run, build()).result()
    assert len(pods) == len(wanted) >= len(profiles)
    for options, pod in pods:
        try:
            kubernetes_validate.validate(pod, "1.32", strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{name}: the pod for {options} is invalid: {e}")
