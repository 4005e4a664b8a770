"""Profiles in a real hub: refusals through the REST API and the form, the 403 page, and Chromium starting a server.

One hub for the module, spawner `profiles-local` (the bundled snippet's default), a profile
list where every profile needs a demo-org team, plus a tiny 1-CPU, 3 GB profile whose limits
the browser test reads from inside the started server.
"""

import os
import pwd
import re
import time

import pytest
from harness.isolation import IsolatedPlace, needs_root

PROFILES = """
from hubextras.profiles.examples import example_profile_list, interface_option
_members = ["demo-org:hub-users", "demo-org:researchers", "demo-org:hub-admins"]
_profiles = example_profile_list()
for _profile in _profiles:
    _profile.setdefault("allowed_groups", _members)
_profiles.append({
    "display_name": "Tiny: 1 CPU, 3 GB",
    "slug": "tiny",
    "description": "For trying things out.",
    "allowed_groups": _members,
    "kubespawner_override": {"cpu_limit": 1, "mem_limit": "3G", "environment": {"HUBEXTRAS_PROFILE": "tiny"}},
    "profile_options": {
        "interface": interface_option(),
        "gpu": {"display_name": "GPU", "choices": {
            "none": {"display_name": "No GPU"},
            "a100": {"display_name": "One A100", "allowed_groups": ["demo-org:researchers"],
                     "kubespawner_override": {"extra_resource_limits": {"nvidia.com/gpu": "1"}}},
        }},
    },
})
c.ProfilesSpawner.profile_list = _profiles
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 90
c.Spawner.consecutive_failure_limit = 5  # as z2jh sets it: the hub exits after five failed spawns in a row
"""


@pytest.fixture(scope="module")
def place():
    """Accounts, homes and cgroups of this module's servers (run as people's own accounts as root), removed after."""
    place = IsolatedPlace.make()
    yield place
    place.cleanup()


@pytest.fixture(scope="module")
def hub(hub_factory, place):
    hub = hub_factory(pre_config=place.config(workload_server=False) + PROFILES)
    hub.place = place
    return hub


@pytest.fixture(scope="module")
def alice(hub):
    """Alice (demo-org:hub-users) signed in; her refused starts must leave no trace."""
    return hub.login("alice")


@pytest.fixture(scope="module")
def alice_token(hub, alice):
    """Alice's own API token: a start she asks for herself."""
    return hub.user_token("alice")


def no_server_and_no_home(hub, name):
    servers = hub.api("GET", f"/users/{name}").json()["servers"]
    return servers == {} and not hub.place.home(name).exists() and hub.place.account(name) not in hub.place.accounts()


REFUSALS = {
    "unknown profile": ({"profile": "huge"}, "no profile 'huge'"),
    "profile hidden from this user": (
        {"profile": "large"}, "only for members of the GitHub teams `demo-org:researchers`"),
    "unknown choice key": ({"profile": "small", "image": "windows"}, "'windows' is not a choice for 'Image'"),
    "choice hidden by team": ({"profile": "tiny", "gpu": "a100"}, "'One A100' for 'GPU' is only for members"),
    "unlisted value when unlisted is disabled": (
        {"profile": "tiny", "interface--unlisted-choice": "/x"}, "entering your own value is not enabled"),
    "value not matching the regex in full": (
        {"profile": "small", "image--unlisted-choice": "quay.io/a/b"}, "Must be a public image with a tag"),
    "malformed image reference": (
        {"profile": "small", "image--unlisted-choice": "quay.io/a b:1"}, "expected an image reference such as"),
    "a listed choice and a custom value together": (
        {"profile": "small", "image": "handbook", "image--unlisted-choice": "quay.io/a/b:1"}, "Send one or the other"),
    "wrong JSON types": ({"profile": {"slug": "small"}}, "must be a text value (a JSON string), not dict"),
    "oversized strings": ({"profile": "small", "image--unlisted-choice": "q/" + "a" * 600 + ":1"}, "at most 512"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_rest_api_refuses_a_bad_request_with_a_400_saying_why_and_starts_nothing(hub, alice_token, case):
    options, words = REFUSALS[case]
    r = hub.api("POST", "/users/alice/server", json=options, token=alice_token)
    assert r.status_code == 400, r.text
    assert words in r.json()["message"]
    assert no_server_and_no_home(hub, "alice")


def form_post(hub, session, data):
    form = session.get(f"{hub.url}/hub/spawn", timeout=30)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text) or re.search(r"_xsrf=([^&\"']+)", form.text)
    return session.post(f"{hub.url}/hub/spawn", data={**data, "_xsrf": xsrf[1]}, timeout=60, allow_redirects=False)


def test_form_refuses_a_hidden_profile_with_a_400_page_saying_why(hub, alice):
    r = form_post(hub, alice, {"profile": "large"})
    assert r.status_code == 400
    assert "only for members of the GitHub teams `demo-org:researchers`" in r.text
    assert "Choose a server profile" in r.text  # the form is shown again
    assert no_server_and_no_home(hub, "alice")


def test_form_refuses_an_empty_custom_image_saying_what_to_enter(hub, alice):
    r = form_post(hub, alice, {"profile": "small", "profile-option-small--image": "unlisted-choice",
                               "profile-option-small--image--unlisted-choice": ""})
    assert r.status_code == 400 and "Enter a value for &#39;Image&#39;" in r.text
    assert no_server_and_no_home(hub, "alice")


def test_form_shows_only_the_profiles_of_the_users_teams(hub, alice):
    html = alice.get(f"{hub.url}/hub/spawn", timeout=30).text
    assert "Tiny: 1 CPU, 3 GB" in html and "Medium: 16 CPU, 128 GB" in html
    assert "Large: 64 CPU, 512 GB" not in html and "One A100" not in html


def test_user_allowed_no_profile_gets_a_403_page_saying_why_and_whom_to_ask(hub):
    sam = hub.login("sam")  # demo-org:students may sign in, but no profile is for students
    r = sam.get(f"{hub.url}/hub/spawn", timeout=30)
    assert r.status_code == 403
    assert "None of your GitHub teams gives you a server on this hub" in r.text and "hub champion" in r.text


def test_rest_api_start_for_a_user_allowed_no_profile_is_a_403(hub):
    hub.login("sam")
    r = hub.api("POST", "/users/sam/server", json={})
    assert r.status_code == 403 and "Ask a hub champion" in r.json()["message"]


@pytest.mark.browser
@pytest.mark.skipif(needs_root, reason="servers run as people's own accounts, in cgroups, only as root")
def test_chromium_user_picks_a_profile_and_the_server_starts_as_her_account_with_its_limits_and_interface(
        hub, place, page):
    from harness.browser import save_screenshot, sign_in

    home = place.home("carol")
    home.mkdir(parents=True, exist_ok=True)
    (home / "proc-self").symlink_to("/proc/self")  # lets the contents API read the server's own /proc entries

    sign_in(page, hub, "carol")
    page.goto(f"{hub.url}/hub/spawn")
    assert page.get_by_role("radio", name="Large: 64 CPU, 512 GB").is_visible()  # carol is a researcher
    save_screenshot(page, "spawn-form")  # for docs/profiles.md
    page.get_by_role("radio", name="Tiny: 1 CPU, 3 GB").check()
    page.get_by_label("Interface for Tiny").select_option(label="Classic Notebook")
    page.get_by_role("button", name="Start").click()

    page.wait_for_url(re.compile(r".*/user/carol/tree.*"), timeout=90_000)
    page.wait_for_selector("#main-panel, .jp-FileBrowser, #filebrowser", timeout=60_000)
    status = page.request.get(f"{hub.url}/user/carol/api/contents/proc-self/status?type=file&format=text").json()
    cgroup = page.request.get(f"{hub.url}/user/carol/api/contents/proc-self/cgroup?type=file&format=text").json()
    assert int(re.search(r"Uid:\s+(\d+)", status["content"])[1]) == pwd.getpwnam(place.account("carol")).pw_uid
    assert re.search(rf":memory:/{place.cgroup_parent}/carol$", cgroup["content"], re.MULTILINE)
    memory, cpu = place.cgroup_folders()
    assert int((memory / "carol" / "memory.limit_in_bytes").read_text()) == 3 * 1024**3
    assert int((cpu / "carol" / "cpu.cfs_quota_us").read_text()) == 100_000
    assert os.stat(home).st_uid == pwd.getpwnam(place.account("carol")).pw_uid
    assert hub.api("DELETE", "/users/carol/server").status_code in (202, 204)


def test_hub_log_has_one_warning_naming_the_kubernetes_only_keys(hub, alice):
    alice.get(f"{hub.url}/hub/spawn", timeout=30)  # makes sure a spawner exists
    warnings = [line for line in hub.log_path.read_text(errors="replace").splitlines()
                if "ignores these profile override keys" in line]
    assert len(warnings) == 1 and "extra_resource_limits, node_selector" in warnings[0]


# -- refusals are not failed spawns (z2jh: consecutive_failure_limit = 5) --------------------------

def hub_gave_up_or_warned(hub) -> bool:
    log = hub.log_path.read_text(errors="replace")
    return "consecutive spawns failed" in log or "consecutive spawn failures" in log or hub.proc.poll() is not None


def test_six_refused_rest_starts_in_a_row_leave_the_failure_count_alone_and_the_hub_running(hub, alice_token):
    for _ in range(6):
        r = hub.api("POST", "/users/alice/server", json={"profile": "huge"}, token=alice_token)
        assert r.status_code == 400, r.text
    time.sleep(3)  # the hub exits 2 s after reaching the limit
    assert not hub_gave_up_or_warned(hub), hub.log_tail()
    assert hub.api("GET", "/").status_code == 200


def test_six_refused_form_posts_in_a_row_start_no_spawn_and_leave_the_hub_running(hub, alice):
    log_before = hub.log_path.stat().st_size
    for _ in range(6):
        r = form_post(hub, alice, {"profile": "large"})
        assert r.status_code == 400 and "Choose a server profile" in r.text
    time.sleep(3)
    log = hub.log_path.read_text(errors="replace")[log_before:]
    assert "Failed to spawn single-user server with form" in log
    assert "Error starting alice's server" not in log  # refused in options_from_form: no spawn began
    assert not hub_gave_up_or_warned(hub), hub.log_tail()


# -- someone else starting a person's server (a champion's `servers` scope covers everyone) ---------

@pytest.fixture(scope="module")
def ada_started_tiny_once(hub):
    """Ada, an admin, started her server once with her own choices, then stopped it."""
    hub.login("ada")
    ada_token = hub.user_token("ada")
    r = hub.api("POST", "/users/ada/server", json={"profile": "tiny", "interface": "notebook"}, token=ada_token)
    assert r.status_code in (201, 202), r.text
    hub.wait_for_server("ada")
    assert hub.api("DELETE", "/users/ada/server", token=ada_token).status_code in (202, 204)
    wait_until_stopped(hub, "ada")
    return {"profile": "tiny", "interface": "notebook", "gpu": "none"}


@pytest.fixture(scope="module")
def champ_token(hub):
    hub.login("champ")
    return hub.user_token("champ")


def wait_until_stopped(hub, name, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not hub.api("GET", f"/users/{name}").json()["servers"]:
            return
        time.sleep(0.3)
    raise TimeoutError(f"{name}'s server did not stop:\n{hub.log_tail()}")


def test_a_champion_starting_an_admins_server_with_their_own_image_is_refused_saying_why(
        hub, ada_started_tiny_once, champ_token):
    custom = {"profile": "small", "image": "unlisted-choice", "image--unlisted-choice": "quay.io/evil/miner:1"}
    r = hub.api("POST", "/users/ada/server", json=custom, token=champ_token)
    assert r.status_code == 403, r.text
    assert "You are starting ada's server, so it can only run ada's own last choices" in r.json()["message"]
    assert hub.api("GET", "/users/ada").json()["servers"] == {}


def test_a_champion_starting_an_admins_server_without_options_runs_the_admins_own_choices(
        hub, ada_started_tiny_once, champ_token):
    custom = {"profile": "small", "image": "unlisted-choice", "image--unlisted-choice": "quay.io/evil/miner:1"}
    hub.api("POST", "/users/ada/server", json=custom, token=champ_token)  # refused; JupyterHub saved it anyway
    r = hub.api("POST", "/users/ada/server", token=champ_token)  # no body: JupyterHub reuses the saved options
    assert r.status_code in (201, 202), r.text
    server = hub.wait_for_server("ada")
    assert server["user_options"] == ada_started_tiny_once
    hub.api("DELETE", "/users/ada/server")
    wait_until_stopped(hub, "ada")
