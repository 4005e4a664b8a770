"""The stand-in's GitHub Apps: device flow, app JWTs and installation tokens, git over smart HTTP."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
import requests

from hubextras.github_push import app_jwt, with_token
from hubextras.testing.github import GitHubStandIn
from hubextras.testing.github.apps import apps_of

APP_ID, CLIENT_ID, INSTALLATION = 4242, "Iv1.hubextras-push", 77


def rsa_key_pair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture(scope="module")
def app_key():
    return rsa_key_pair()


@pytest.fixture(scope="module")
def standin(tmp_path_factory, app_key):
    standin = GitHubStandIn().start()
    apps = apps_of(standin)
    apps.git_root, apps.device_interval = tmp_path_factory.mktemp("git"), 1
    apps.register_app(APP_ID, CLIENT_ID, app_key[1])
    apps.add_repository("demo-org/public-notes")
    apps.add_repository("demo-org/private-notes", private=True, collaborators={"alice"})
    apps.add_repository("demo-org/other-private", private=True)
    apps.install(APP_ID, INSTALLATION, "demo-org", ["demo-org/private-notes", "demo-org/other-private"])
    yield standin
    standin.stop()


def device_code(standin) -> dict:
    return requests.post(f"{standin.url}/login/device/code", data={"client_id": CLIENT_ID, "scope": "repo"},
                         headers={"Accept": "application/json"}, timeout=10).json()


def poll(standin, device: dict, client_id: str = CLIENT_ID) -> dict:
    return requests.post(f"{standin.url}/login/oauth/access_token", headers={"Accept": "application/json"},
                         data={"client_id": client_id, "device_code": device["device_code"],
                               "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, timeout=10).json()


def approve(standin, user_code: str, login: str = "alice") -> requests.Response:
    return requests.post(f"{standin.url}/login/device", data={"user_code": user_code, "login": login}, timeout=10)


def user_token(standin, login: str = "alice") -> str:
    device = device_code(standin)
    approve(standin, device["user_code"], login).raise_for_status()
    return poll(standin, device)["access_token"]


def git(*args, cwd=None, check=True):
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check)


# --- device flow ------------------------------------------------------------------------------


def test_a_device_code_names_the_page_where_people_enter_it(standin):
    device = device_code(standin)
    assert device["verification_uri"] == f"{standin.url}/login/device"
    assert len(device["user_code"]) == 9 and device["user_code"][4] == "-"
    assert (device["expires_in"], device["interval"]) == (900, 1)


def test_an_unknown_client_id_gets_no_device_code(standin):
    answer = requests.post(f"{standin.url}/login/device/code", data={"client_id": "nope"}, timeout=10)
    assert answer.status_code == 404


def test_polling_before_approval_is_pending_and_too_fast_is_slowed_down(standin):
    device = device_code(standin)
    assert poll(standin, device)["error"] == "authorization_pending"
    slowed = poll(standin, device)
    assert (slowed["error"], slowed["interval"]) == ("slow_down", 6)


def test_an_approved_device_gets_an_expiring_user_token(standin):
    device = device_code(standin)
    assert "all set" in approve(standin, device["user_code"]).text
    token = poll(standin, device)
    assert token["access_token"].startswith("ghu_") and token["expires_in"] == 28800


def test_a_device_code_is_used_once(standin):
    device = device_code(standin)
    approve(standin, device["user_code"])
    poll(standin, device)
    assert poll(standin, device)["error"] == "incorrect_device_code"


def test_another_apps_client_cannot_take_the_token(standin):
    device = device_code(standin)
    approve(standin, device["user_code"])
    assert poll(standin, device, client_id="Iv1.someone-else")["error"] == "incorrect_device_code"


def test_a_cancelled_device_is_denied(standin):
    device = device_code(standin)
    requests.post(f"{standin.url}/login/device", data={"user_code": device["user_code"], "deny": "1"}, timeout=10)
    assert poll(standin, device)["error"] == "access_denied"


def test_a_wrong_user_code_is_refused_on_the_page(standin):
    answer = approve(standin, "ZZZZ-0000")
    assert answer.status_code == 400 and "not valid or has expired" in answer.text


# --- installation tokens --------------------------------------------------------------------


def mint(standin, jwt_token: str, body=None) -> requests.Response:
    return requests.post(f"{standin.url}/app/installations/{INSTALLATION}/access_tokens", json=body or {},
                         headers={"Authorization": f"Bearer {jwt_token}"}, timeout=10)


def test_an_app_jwt_gets_an_installation_token_narrowed_to_one_repository(standin, app_key):
    answer = mint(standin, app_jwt(APP_ID, app_key[0]), {"repositories": ["private-notes"]})
    assert answer.status_code == 201
    token = answer.json()
    assert token["token"].startswith("ghs_") and token["expires_at"].endswith("Z")
    assert [r["full_name"] for r in token["repositories"]] == ["demo-org/private-notes"]


def test_a_jwt_signed_by_another_key_is_refused(standin):
    answer = mint(standin, app_jwt(APP_ID, rsa_key_pair()[0]))
    assert answer.status_code == 401 and answer.json()["message"] == "A JSON web token could not be decoded"


def test_a_jwt_longer_than_ten_minutes_is_refused(standin, app_key):
    import jwt

    now = int(time.time())
    long_lived = jwt.encode({"iat": now, "exp": now + 3600, "iss": str(APP_ID)}, app_key[0], algorithm="RS256")
    assert "too far in the future" in mint(standin, long_lived).json()["message"]


def test_the_installation_of_a_repository_is_found_with_the_app_jwt(standin, app_key):
    headers = {"Authorization": f"Bearer {app_jwt(APP_ID, app_key[0])}"}
    found = requests.get(f"{standin.url}/repos/demo-org/private-notes/installation", headers=headers, timeout=10)
    assert found.json()["id"] == INSTALLATION
    assert requests.get(f"{standin.url}/repos/demo-org/public-notes/installation", headers=headers,
                        timeout=10).status_code == 404


# --- git over smart HTTP ----------------------------------------------------------------------


def test_a_public_repository_clones_without_a_token(standin, tmp_path):
    git("clone", "-q", f"{standin.url}/demo-org/public-notes.git", str(tmp_path / "c"))
    assert (tmp_path / "c" / "README.md").read_text() == "# demo-org/public-notes\n"


def test_a_private_repository_does_not_clone_without_a_token(standin, tmp_path):
    failed = git("clone", "-q", f"{standin.url}/demo-org/private-notes.git", str(tmp_path / "c"), check=False)
    assert failed.returncode != 0


def test_an_installation_token_reads_only_its_repositories_and_never_pushes(standin, app_key, tmp_path):
    token = mint(standin, app_jwt(APP_ID, app_key[0]), {"repositories": ["private-notes"]}).json()["token"]
    checkout = tmp_path / "c"
    git("clone", "-q", with_token(f"{standin.url}/demo-org/private-notes.git", token), str(checkout))
    other = git("clone", "-q", with_token(f"{standin.url}/demo-org/other-private.git", token), str(tmp_path / "o"),
                check=False)
    assert other.returncode != 0
    (checkout / "x.txt").write_text("x")
    git("add", "x.txt", cwd=checkout)
    git("commit", "-qm", "x", cwd=checkout)
    assert git("push", "-q", "origin", "main", cwd=checkout, check=False).returncode != 0


def test_a_collaborators_user_token_pushes_until_it_expires(standin, tmp_path):
    apps = apps_of(standin)
    apps.user_token_seconds = 3
    try:
        token = user_token(standin)
    finally:
        apps.user_token_seconds = 28800
    checkout = tmp_path / "c"
    git("clone", "-q", with_token(f"{standin.url}/demo-org/private-notes.git", token), str(checkout))
    (checkout / "pushed.txt").write_text("from alice")
    git("add", "pushed.txt", cwd=checkout)
    git("commit", "-qm", "Alice's change", cwd=checkout)
    git("push", "-q", "origin", "main", cwd=checkout)
    log = git("--git-dir", str(apps.repositories["demo-org/private-notes"].path), "log", "--format=%s", "main").stdout
    assert log.splitlines()[0] == "Alice's change"
    time.sleep(3.5)
    (checkout / "late.txt").write_text("too late")
    git("add", "late.txt", cwd=checkout)
    git("commit", "-qm", "late", cwd=checkout)
    refused = git("push", "-q", "origin", "main", cwd=checkout, check=False)
    assert refused.returncode != 0 and "Authentication failed" in refused.stderr


def test_someone_not_a_collaborator_cannot_push(standin, tmp_path):
    token = user_token(standin, "carol")
    git("clone", "-q", f"{standin.url}/demo-org/public-notes.git", str(tmp_path / "c"))
    git("remote", "set-url", "origin", with_token(f"{standin.url}/demo-org/public-notes.git", token),
        cwd=tmp_path / "c")
    (tmp_path / "c" / "y.txt").write_text("y")
    git("add", "y.txt", cwd=tmp_path / "c")
    git("commit", "-qm", "y", cwd=tmp_path / "c")
    refused = git("push", "origin", "main", cwd=tmp_path / "c", check=False)
    assert refused.returncode != 0 and "403" in refused.stderr
