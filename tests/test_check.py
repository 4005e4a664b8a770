"""The post-deploy smoke check against real hubs: a good one, and ones broken the ways deploys break."""

import os
import signal
import time

import pytest

from hubextras.check import main

TEAM = "demo-org:hub-champions"


def cookie_of(session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def check(hub, capsys, *args) -> tuple[int, str]:
    status = main([hub.url, "--token", hub.api_token, "--champions-team", TEAM, *args])
    return status, capsys.readouterr().out


@pytest.fixture(scope="module")
def good_hub(hub_factory):
    hub = hub_factory()
    hub.login("champ")
    hub.alice = hub.login("alice")
    return hub


def test_a_good_hub_passes_every_check(good_hub, capsys):
    status, out = check(good_hub, capsys, "--user-cookie", cookie_of(good_hub.alice))
    assert status == 0, out
    assert "PROBLEM" not in out
    for words in ["The hub answers", "The service 'shared-data' answers through the proxy",
                  "The service 'servers-panel' answers through the proxy",
                  f"The champions' team '{TEAM}' has the role 'hubextras-champions'",
                  "The spawn form renders for the test user"]:
        assert words in out, out


def test_a_token_the_hub_refuses_is_named_and_nothing_else_is_tried(good_hub, capsys):
    status = main([good_hub.url, "--token", "not-a-token"])
    out = capsys.readouterr().out
    assert status == 1 and "does not accept the token" in out and "What to do: Give an admin's API token" in out
    assert "The service" not in out


def test_a_cookie_that_is_not_signed_in_says_to_sign_in_again(good_hub, capsys):
    status, out = check(good_hub, capsys, "--user-cookie", "jupyterhub-hub-login=stale")
    assert status == 1 and "not signed in" in out and "copy its Cookie header again" in out


def test_a_hub_that_does_not_answer_says_where_to_look(capsys):
    status = main(["http://127.0.0.1:9", "--token", "x"])
    assert status == 1 and "does not answer its API" in capsys.readouterr().out


@pytest.fixture(scope="module")
def broken_hub(hub_factory):
    """Champions' role replaced by a config that assigns load_roles; a profile list that fails for everyone."""
    hub = hub_factory(config="""
c.JupyterHub.load_roles = [r for r in c.JupyterHub.load_roles if r["name"] != "hubextras-champions"]
def _broken_profiles(spawner):
    raise RuntimeError("profile list callable broke")
c.ProfilesSpawner.profile_list = _broken_profiles
""")
    hub.login("champ")
    hub.alice = hub.login("alice")
    return hub


def test_a_champions_team_without_its_role_is_a_problem_saying_why(broken_hub, capsys):
    status, out = check(broken_hub, capsys)
    assert status == 1
    assert f"The champions' team '{TEAM}' lacks the role 'hubextras-champions'" in out
    assert "add roles with hubextras.config.add_role" in out


def test_a_spawn_form_that_fails_is_a_problem_pointing_at_the_log(broken_hub, capsys):
    status, out = check(broken_hub, capsys, "--user-cookie", cookie_of(broken_hub.alice))
    assert status == 1 and "The spawn form does not render for the test user (HTTP 500)" in out
    assert "the hub's log has the traceback" in out


def test_a_service_that_died_is_a_problem_naming_it(broken_hub, capsys):
    panel = broken_hub.api("GET", "/services").json()["servers-panel"]
    os.kill(panel["pid"], signal.SIGKILL)
    time.sleep(0.5)
    status, out = check(broken_hub, capsys)
    assert status == 1 and "The service 'servers-panel' does not answer through the proxy" in out
    assert "The service 'shared-data' answers through the proxy" in out
