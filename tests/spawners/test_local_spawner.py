"""ProfilesLocalSpawner without a hub: sizes, images as local environments, what the form says, the shared link.

Servers as accounts in cgroups, through a real hub: test_isolation_hub.py.
"""

import logging
import os
import subprocess
import sys

import pytest
from harness.profile_fakes import fake_user, local_spawner
from tornado.web import HTTPError

from hubextras.spawners.local import ProfilesLocalSpawner, cpu_set, memory_limit

ALICE = dict(groups=["demo-org:hub-users"])
GIB = 1024**3
TWO_SIZES = [
    {"display_name": "One CPU", "slug": "one", "kubespawner_override": {
        "cpu_limit": 1, "mem_limit": "3G", "image": "env/one:1", "default_url": "/tree",
        "node_selector": {"pool": "x"}, "tolerations": [{"key": "gpu"}]}},
    {"display_name": "Unlimited", "slug": "free", "kubespawner_override": {"environment": {"FREE": "1"}}},
]


def test_cpu_set_takes_ceil_of_the_limit_within_the_machine():
    assert len(cpu_set(1.5, [0, 1, 2, 3], "alice")) == 2
    assert cpu_set(64, [0, 1], "alice") == {0, 1}
    assert cpu_set(None, [0, 1], "alice") is None


def test_cpu_sets_of_different_users_spread_over_the_machine():
    starts = {min(cpu_set(1, list(range(8)), name)) for name in ["alice", "carol", "sam", "champ", "dora", "ada"]}
    assert len(starts) > 1


def test_memory_limit_is_capped_for_one_machine():
    assert memory_limit(512 * GIB, 8 * GIB) == 8 * GIB
    assert memory_limit(2 * GIB, 8 * GIB) == 2 * GIB
    assert memory_limit(None, 8 * GIB) is None


def test_kubernetes_only_keys_are_ignored_with_one_warning_naming_them(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(ProfilesLocalSpawner, "_warned_override_keys", set())
    with caplog.at_level(logging.WARNING):
        local_spawner(fake_user("alice", **ALICE), tmp_path, profile_list=TWO_SIZES)
        local_spawner(fake_user("carol", **ALICE), tmp_path, profile_list=TWO_SIZES)
    warnings = [r.getMessage() for r in caplog.records if "ignores these profile override keys" in r.getMessage()]
    assert warnings == [
        "profiles-local ignores these profile override keys, which only mean something on Kubernetes: "
        "node_selector, tolerations"
    ]


async def test_profile_sets_the_limits_image_and_default_url(tmp_path):
    spawner = local_spawner(fake_user("alice", **ALICE), tmp_path, profile_list=TWO_SIZES)
    await spawner.apply_profile_options({"profile": "one"})
    chosen = (spawner.cpu_limit, spawner.mem_limit, spawner.image, spawner.default_url)
    assert chosen == (1, 3 * GIB, "env/one:1", "/tree")
    assert len(spawner.server_cpus()) == 1 and spawner.server_memory() == 3 * GIB


async def test_overrides_of_one_start_do_not_leak_into_the_next(tmp_path):
    spawner = local_spawner(fake_user("alice", **ALICE), tmp_path, profile_list=TWO_SIZES)
    await spawner.apply_profile_options({"profile": "one"})
    spawner.clear_state()
    await spawner.apply_profile_options({"profile": "free"})
    assert (spawner.cpu_limit, spawner.mem_limit, spawner.image, spawner.default_url) == (None, None, "", "")
    assert spawner.server_cpus() is None and spawner.server_memory() is None


async def test_image_without_local_environment_is_refused_when_there_is_no_default(tmp_path):
    spawner = local_spawner(fake_user("alice", **ALICE), tmp_path, profile_list=TWO_SIZES, default_environment="")
    with pytest.raises(HTTPError) as info:
        await spawner._run_apply_user_options({"profile": "one"})
    assert info.value.status_code == 400 and "'env/one:1' is not available on this machine" in info.value.log_message


async def test_images_map_to_their_local_environment(tmp_path):
    spawner = local_spawner(fake_user("alice", **ALICE), tmp_path, profile_list=TWO_SIZES,
                            environments={"env/one:1": sys.prefix}, default_environment="")
    await spawner.apply_profile_options({"profile": "one"})
    assert spawner.environment_prefix() == sys.prefix
    assert spawner.get_env()["PATH"].startswith(os.path.join(sys.prefix, "bin") + os.pathsep)


def test_allow_root_is_never_passed_even_when_configured(tmp_path):
    spawner = local_spawner(fake_user("alice", **ALICE), tmp_path, args=["--allow-root", "--debug"])
    assert spawner.get_args()[-1] == "--debug" and "--allow-root" not in spawner.get_args()


async def test_without_writable_cgroups_the_server_gets_the_cpu_affinity_and_memory_rlimit(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    spawner = local_spawner(fake_user("alice", **ALICE), tmp_path, profile_list=TWO_SIZES,
                            cgroup_root=str(tmp_path / "no-cgroups"))
    await spawner.apply_profile_options({"profile": "one"})
    assert spawner.cgroup_hierarchy() is None
    (tmp_path / "home" / "alice").mkdir(parents=True)
    report = subprocess.run(
        [sys.executable, "-c", "import os, resource; print(len(os.sched_getaffinity(0)), "
         "resource.getrlimit(resource.RLIMIT_AS)[0], os.getcwd())"],
        preexec_fn=spawner.make_preexec_fn("alice"), capture_output=True, text=True, check=True,
    ).stdout.split()
    assert report == ["1", str(3 * GIB), str(tmp_path / "home" / "alice")]


def test_without_writable_cgroups_the_form_says_sizes_can_be_escaped(tmp_path):
    spawner = local_spawner(fake_user("alice", **ALICE), tmp_path, cgroup_root=str(tmp_path / "none"))
    notes = spawner.profile_form_notes()
    assert "No cgroup hierarchy is writable" in notes and "escape" in notes


def test_without_root_the_form_says_nothing_is_isolated(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    notes = local_spawner(fake_user("alice", **ALICE), tmp_path).profile_form_notes()
    assert "does not run as root" in notes and "nothing is isolated" in notes


def test_as_root_homes_follow_the_account_template(tmp_path):
    spawner = local_spawner(fake_user("Alice.B", **ALICE), tmp_path, account_home_template="/srv/homes/{account}")
    assert spawner.account_name.startswith("jupyter-alice-b-")
    assert spawner.home_dir == f"/srv/homes/{spawner.account_name}"


async def test_without_root_shared_folder_is_a_symlink(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    spawner = local_spawner(fake_user("champ", groups=["demo-org:hub-champions"]), tmp_path)
    await spawner.apply_profile_options({})
    await spawner.prepare_shared_dir()
    home = tmp_path / "home" / "champ"
    assert os.readlink(home / "shared") == str(tmp_path / "shared")
    assert os.readlink(home / "shared-readwrite") == str(tmp_path / "shared")


async def test_champion_link_goes_away_when_no_longer_a_champion(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    champ = fake_user("champ", groups=["demo-org:hub-champions"])
    spawner = local_spawner(champ, tmp_path)
    await spawner.apply_profile_options({})
    await spawner.prepare_shared_dir()
    champ.groups = []
    spawner.clear_state()
    await spawner.apply_profile_options({})
    await spawner.prepare_shared_dir()
    assert not (tmp_path / "home" / "champ" / "shared-readwrite").exists()


def test_form_notes_say_how_this_machine_caps_sizes(tmp_path):
    notes = local_spawner(fake_user("alice", **ALICE), tmp_path).profile_form_notes()
    assert "one machine" in notes and "CPUs" in notes and "memory" in notes


async def test_singleuser_comes_from_the_chosen_environment(tmp_path):
    spawner = local_spawner(fake_user("alice", **ALICE), tmp_path, profile_list=TWO_SIZES,
                            environments={"env/one:1": sys.prefix})
    await spawner.apply_profile_options({"profile": "one"})
    assert spawner.environment_command(list(spawner.cmd)) == [os.path.join(sys.prefix, "bin", "jupyterhub-singleuser")]


def test_an_operators_own_command_is_kept(tmp_path):
    spawner = local_spawner(fake_user("alice", **ALICE), tmp_path)
    assert spawner.environment_command(["/opt/tiny-server", "--fast"]) == ["/opt/tiny-server", "--fast"]


def test_startup_log_says_nothing_is_isolated_without_root_and_sizes_escape_without_cgroups(tmp_path, monkeypatch):
    from traitlets.config import Config

    from hubextras.spawners.local import log_enforcement

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr("pwd.getpwuid", lambda uid: type("Entry", (), {"pw_name": "hubuser"}))
    c = Config()
    c.JupyterHub.spawner_class = "profiles-local"
    c.ProfilesLocalSpawner.cgroup_root = str(tmp_path / "none")
    lines = log_enforcement(c)
    assert "does not run as root: every server runs as the hub's own account (hubuser)" in lines[0]
    assert lines[1].startswith("No cgroup hierarchy is writable")


def test_startup_log_is_silent_for_other_spawners():
    from traitlets.config import Config

    from hubextras.spawners.local import log_enforcement

    c = Config()
    c.JupyterHub.spawner_class = "profiles-kube"
    assert log_enforcement(c) == []
