"""jupyterhub_config.d/30-profiles.py: profiles-local and the example list by default, idempotent, never clobbering."""

from pathlib import Path

from traitlets.config import Config

from hubextras.profiles.examples import example_profile_list

SNIPPET = Path(__file__).resolve().parents[2] / "jupyterhub_config.d" / "30-profiles.py"


def run_snippet(c: Config) -> Config:
    exec(compile(SNIPPET.read_text(), str(SNIPPET), "exec"), {"c": c, "get_config": lambda: c})
    return c


def test_default_is_profiles_local_with_the_example_profiles():
    c = run_snippet(Config())
    assert c.JupyterHub.spawner_class == "profiles-local"
    assert c.ProfilesSpawner.profile_list == example_profile_list("demo-org")


def test_running_twice_gives_the_same_config():
    once = run_snippet(Config())
    twice = run_snippet(run_snippet(Config()))
    assert once == twice


def test_example_restricts_large_to_the_champions_orgs_researchers():
    c = Config()
    c.HubExtras.champions_team = "MyOrg:hub-champions"
    large = next(p for p in run_snippet(c).ProfilesSpawner.profile_list if p["slug"] == "large")
    assert large["allowed_groups"] == ["myorg:researchers"]


def test_operators_spawner_class_is_kept_and_gets_no_example_profiles():
    c = Config()
    c.JupyterHub.spawner_class = "profiles-kube"
    run_snippet(c)
    assert c.JupyterHub.spawner_class == "profiles-kube" and "profile_list" not in c.ProfilesSpawner


def test_operators_profile_list_is_kept():
    c = Config()
    c.KubeSpawner.profile_list = [{"display_name": "Mine"}]
    run_snippet(c)
    assert "profile_list" not in c.ProfilesSpawner and c.KubeSpawner.profile_list == [{"display_name": "Mine"}]
