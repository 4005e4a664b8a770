"""One machine, many people, through a real hub as root: own accounts, own cgroups, shared data by permissions.

One hub for the module. Servers are `workload_server.py` run by Debian's Python as each person's
account: it answers the hub and, on request, does what a person's code would (read a path,
allocate memory, keep CPUs busy), so every check below is made by the server's own processes.
Accounts, homes and cgroups are removed at the end (`IsolatedPlace.cleanup`).
"""

import os
import pwd
import stat
import time

import pytest
import requests
from harness import ON_JUPYTERHUB_5
from harness.isolation import IsolatedPlace, needs_root

pytestmark = pytest.mark.skipif(needs_root, reason="isolated servers need root, Linux and /usr/bin/python3")

MIB = 1024**2
PROFILES = """
c.ProfilesSpawner.profile_list = [
    {"display_name": "Small: 1 CPU, 200 MB", "slug": "small", "default": True,
     "kubespawner_override": {"cpu_limit": 1, "mem_limit": "200M"}},
    {"display_name": "Hub's own Python", "slug": "closed-env",
     "kubespawner_override": {"cmd": [sys.executable, "-c", "pass"]}},
]
c.HubExtras.idle_culler_enabled = False
c.ProfilesLocalSpawner.shared_writers_group = c.ProfilesLocalSpawner.account_template.replace("{username}", "writers")
"""


@pytest.fixture(scope="module")
def place():
    place = IsolatedPlace.make()
    yield place
    place.cleanup()
    assert place.accounts() == [] and not any(p.exists() for p in place.cgroup_folders())


@pytest.fixture(scope="module")
def hub(hub_factory, place):
    return hub_factory(pre_config=place.config() + PROFILES)


def start(hub, name, profile="small"):
    hub.api("POST", f"/users/{name}")
    r = hub.api("POST", f"/users/{name}/server", json={"profile": profile})
    assert r.status_code in (201, 202), r.text
    hub.wait_for_server(name, timeout=60)


def stop(hub, name):
    hub.api("DELETE", f"/users/{name}/server")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and hub.api("GET", f"/users/{name}").json()["servers"]:
        time.sleep(0.2)


def server(hub, name, action, **params):
    r = requests.get(f"{hub.url}/user/{name}/{action}", params=params, timeout=30)
    r.raise_for_status()
    return r.json()


@pytest.fixture(scope="module")
def running(hub, place):
    """alice and carol with servers running, and a file only carol should read."""
    for name in ("alice", "carol"):
        start(hub, name)
    secret = place.home("carol") / "diary.txt"
    secret.write_text("carol's own notes")
    carol = pwd.getpwnam(place.account("carol"))
    os.chown(secret, carol.pw_uid, carol.pw_gid)
    yield hub
    for name in ("alice", "carol"):
        stop(hub, name)


def test_two_peoples_servers_run_as_two_different_non_root_accounts(running, place):
    alice, carol = server(running, "alice", "whoami"), server(running, "carol", "whoami")
    assert alice["uid"] != carol["uid"] and 0 not in (alice["uid"], carol["uid"])
    assert alice["uid"] == pwd.getpwnam(place.account("alice")).pw_uid
    assert 0 not in alice["groups"] + [alice["gid"]]


def test_homes_belong_to_their_person_with_mode_0700(running, place):
    info = os.stat(place.home("alice"))
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (pwd.getpwnam(place.account("alice")).pw_uid, 0o700)


def test_a_person_cannot_list_or_read_another_persons_home(running, place):
    assert server(running, "alice", "try", op="list", path=str(place.home("carol"))) == {
        "ok": False, "error": "PermissionError"}
    assert server(running, "alice", "try", op="read", path=str(place.home("carol") / "diary.txt"))["ok"] is False
    assert server(running, "carol", "try", op="read", path=str(place.home("carol") / "diary.txt"))["ok"] is True


def test_a_person_cannot_read_the_hubs_database_or_cookie_secret(running):
    for name in ("jupyterhub.sqlite", "jupyterhub_cookie_secret"):
        path = running.workdir / name
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, f"{name} is open to others"
        assert server(running, "alice", "try", op="read", path=str(path))["ok"] is False


def test_a_person_cannot_write_the_shared_folder_through_the_link_or_its_real_path(running, place):
    assert os.readlink(place.home("alice") / "shared") == str(place.shared)
    for path in (place.home("alice") / "shared" / "mine.txt", place.shared / "mine.txt"):
        assert server(running, "alice", "try", op="write", path=str(path)) == {"ok": False, "error": "PermissionError"}
    assert not (place.shared / "mine.txt").exists()


def test_what_a_champion_just_put_in_the_shared_folder_is_readable_by_everyone_at_once(running, place):
    (place.shared / "syllabus.txt").write_text("week 1: cgroups")  # as the shared-data service writes: as root
    for name in ("alice", "carol"):
        assert server(running, name, "try", op="read", path=str(place.home(name) / "shared" / "syllabus.txt"))["ok"]
    assert server(running, "alice", "try", op="write", path=str(place.shared / "syllabus.txt"))["ok"] is False


def test_a_server_runs_in_its_own_cgroup_with_the_profiles_memory_limit(running, place):
    pid = server(running, "alice", "whoami")["pid"]
    memory_line = next(line for line in open(f"/proc/{pid}/cgroup") if ":memory:" in line)
    assert memory_line.strip().endswith(f"/{place.cgroup_parent}/alice")
    folder = place.cgroup_folders()[0] / "alice"
    assert int((folder / "memory.limit_in_bytes").read_text()) == 200 * MIB


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def test_a_server_with_cpu_limit_1_gets_at_most_about_one_cpu_however_many_processes_burn(running):
    pids = server(running, "alice", "burn", n=2, seconds=4)["pids"]
    time.sleep(0.5)
    before, started = cpu_seconds(pids), time.monotonic()
    time.sleep(2.5)
    used = (cpu_seconds(pids) - before) / (time.monotonic() - started)
    # a machine busy with other work may give them less; never more than the limit
    assert 0 < used <= 1.15, f"two busy processes used {used:.2f} CPUs under cpu_limit 1"


def test_cgroup_is_removed_when_the_server_stops(hub, place):
    start(hub, "ada")
    folders = [parent / "ada" for parent in place.cgroup_folders()]
    assert all(f.is_dir() for f in folders)
    stop(hub, "ada")
    assert not any(f.exists() for f in folders), hub.log_tail(30)


def test_a_server_whose_process_runs_out_of_memory_is_stopped_and_the_other_keeps_answering(hub, place):
    start(hub, "sam")
    start(hub, "eve")
    server(hub, "sam", "hog", mb=400)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and hub.api("GET", "/users/sam").json()["servers"]:
        time.sleep(0.3)
    assert hub.api("GET", "/users/sam").json()["servers"] == {}, "sam's server outlived its memory"
    assert requests.get(f"{hub.url}/user/eve/api", timeout=10).status_code == 200
    assert not (place.cgroup_folders()[0] / "sam").exists()
    stop(hub, "eve")


def test_a_champion_in_the_writers_group_writes_through_shared_readwrite_and_others_read_it(running, place):
    running.login("champ")  # the hub learns champ's teams
    start(running, "champ")
    champ_home = place.home("champ")
    assert os.readlink(champ_home / "shared-readwrite") == str(place.shared)
    assert not (place.home("alice") / "shared-readwrite").exists()
    assert server(running, "champ", "try", op="write", path=str(champ_home / "shared-readwrite" / "notes.txt"))["ok"]
    assert server(running, "alice", "try", op="read", path=str(place.shared / "notes.txt"))["ok"]
    assert server(running, "alice", "try", op="write", path=str(place.shared / "notes.txt"))["ok"] is False
    stop(running, "champ")


@pytest.mark.browser
def test_home_page_says_the_server_used_its_memory_and_was_stopped(hub, place, page):
    from harness.browser import save_screenshot, serious_accessibility_violations, sign_in

    sign_in(page, hub, "champ")
    start(hub, "champ")
    server(hub, "champ", "hog", mb=400)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and hub.api("GET", "/users/champ").json()["servers"]:
        time.sleep(0.3)
    page.goto(f"{hub.url}/hub/home")
    notes = page.locator("#server-notes").inner_text()
    assert "Your server used its 200 MB of memory and was stopped. Choose a larger size or use less memory." in notes
    save_screenshot(page, "home-out-of-memory")
    assert serious_accessibility_violations(page) == []


@pytest.mark.xfail(
    ON_JUPYTERHUB_5,
    reason="known gap on JupyterHub 5:"
    " a token of a user who never signed in is refused at start (auth expired)",
    strict=False,
)
def test_an_environment_the_account_cannot_run_is_refused_naming_it_and_the_account(hub, place):
    hub.api("POST", "/users/dora")
    # dora's own token: options chosen by anyone else are refused before the environment is looked at
    r = hub.api("POST", "/users/dora/server", json={"profile": "closed-env"}, token=hub.user_token("dora"))
    deadline = time.monotonic() + 20
    while r.status_code in (201, 202) and time.monotonic() < deadline:
        if "is not readable by account" in hub.log_path.read_text(errors="replace"):
            break
        time.sleep(0.3)
    message = r.text + hub.log_path.read_text(errors="replace")
    assert f"is not readable by account {place.account('dora')}" in message
    assert "/root" in message  # what is closed to it: the pyenv build behind the hub's venv
    assert hub.api("GET", "/users/dora").json()["servers"] == {}
