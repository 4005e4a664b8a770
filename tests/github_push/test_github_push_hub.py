"""Pushing to GitHub from a real server, and private pulls into shared data, through a real hub.

A kernel of alice's server (her own account, the user environment) runs `gh-scoped-creds`, which talks
to https://github.com: here the stand-in over TLS, reached through a CONNECT proxy (the test's network,
given to the kernel as HTTPS_PROXY and a CA bundle). Alice enters the code on the stand-in's device page;
the token lets her `git push` to a repository the stand-in serves with `git http-backend`, until it expires.
A champion pulls a private repository into the shared folder with the GitHub App's installation token.
"""

import re
import time

import pytest
import requests
from harness.github_tls import GitHubOverTLS
from harness.kernel import Kernel

from hubextras.testing.github import GitHubStandIn
from hubextras.testing.github.apps import apps_of

APP_ID, CLIENT_ID, INSTALLATION = 4242, "Iv1.hubextras-push", 77
TOKEN_SECONDS = 60  # the stand-in's user tokens, short enough to see one expire

CONFIG = """
c.ProfilesSpawner.profile_list = [{{"display_name": "Small", "slug": "small", "default": True}}]
c.ProfilesLocalSpawner.default_environment = {env!r}
c.ProfilesLocalSpawner.cgroup_parent = "hubextras-scaleout"  # not the cgroups other hubs on this machine remove
c.Spawner.http_timeout = 90
c.Spawner.start_timeout = 120
c.GitHubApp.client_id = {client_id!r}
c.GitHubApp.app_url = "https://github.com/apps/hub-push"
c.GitHubApp.app_id = {app_id}
c.GitHubApp.private_key_file = {key_file!r}
c.GitHubApp.github_url = {github!r}
c.SharedDataService.pull_allow_private_addresses = True  # the stand-in is on 127.0.0.1
"""

GET_CREDENTIALS = """
import os, subprocess
os.environ.update({network!r})  # the test's network: https://github.com is the stand-in
creds = subprocess.Popen(["gh-scoped-creds"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
print(creds.stdout.readline())
"""

PUSH = """
import os, subprocess, tempfile
def git(*args, cwd=None):
    done = subprocess.run(["git", "-c", "user.name=Alice", "-c", "user.email=alice@example.org", *args], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    return done.returncode, done.stderr
checkout = tempfile.mkdtemp(prefix="notebooks-", dir=os.path.expanduser("~"))
code, err = git("clone", "-q", "https://github.com/demo-org/notebooks.git", checkout)
assert code == 0, err
open(os.path.join(checkout, "analysis.md"), "w").write("pushed from my server")
git("add", "-A", cwd=checkout)
git("commit", "-qm", "Analysis from the hub", cwd=checkout)
print(git("push", "origin", "main", cwd=checkout))
"""


PUSH_AGAIN = """
open(os.path.join(checkout, "late.md"), "w").write("after the token expired")
git("add", "-A", cwd=checkout)
git("commit", "-qm", "Too late", cwd=checkout)
print(repr(git("push", "origin", "main", cwd=checkout)))
"""


@pytest.fixture(scope="module")
def app_key(tmp_path_factory):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path_factory.mktemp("app") / "hub-push.private-key.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key_file, public.decode()


@pytest.fixture(scope="module")
def standin(tmp_path_factory, app_key):
    standin = GitHubStandIn().start()
    apps = apps_of(standin)
    apps.git_root, apps.device_interval, apps.user_token_seconds = tmp_path_factory.mktemp("git"), 1, TOKEN_SECONDS
    apps.register_app(APP_ID, CLIENT_ID, app_key[1])
    apps.add_repository("demo-org/notebooks", private=True, collaborators={"alice"})
    apps.add_repository("demo-org/course-private", private=True, files={"week1/lesson.md": "# Week 1\n"})
    apps.install(APP_ID, INSTALLATION, "demo-org", ["demo-org/course-private"])
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def github_tls(standin):
    over_tls = GitHubOverTLS(standin)
    yield over_tls
    over_tls.stop()


@pytest.fixture(scope="module")
def hub(hub_factory, standin, app_key):
    from harness.scaleout_env import ensure

    config = CONFIG.format(env=str(ensure()), client_id=CLIENT_ID, app_id=APP_ID, key_file=str(app_key[0]),
                           github=standin.url)
    hub = hub_factory(pre_config=config, standin=standin)
    for name in ("alice", "champ"):
        hub.login(name)
    return hub


@pytest.fixture(scope="module")
def alice_kernel(hub):
    hub.api("POST", "/users/alice/server", json={"profile": "small"})
    hub.wait_for_server("alice", timeout=150)
    with Kernel(hub, "alice") as kernel:
        yield kernel


@pytest.fixture(scope="module")
def alice_signed_in_to_github(alice_kernel, standin, github_tls):
    """gh-scoped-creds in alice's kernel: she enters its code on the device page; returns when it has a token."""
    prompt = alice_kernel.run(GET_CREDENTIALS.format(network=github_tls.network_env()))
    code = re.search(r"enter the code: ([A-Z0-9]{4}-[A-Z0-9]{4})", prompt)
    assert code and "https://github.com/login/device" in prompt, prompt
    approved = requests.post(f"{standin.url}/login/device", data={"user_code": code[1], "login": "alice"}, timeout=10)
    assert "all set" in approved.text
    obtained = time.monotonic()
    return obtained, alice_kernel.run("print(creds.communicate(timeout=60)[0])")


def test_servers_get_the_apps_client_id_and_page(alice_kernel):
    out = alice_kernel.run("import os; print(os.environ['GH_SCOPED_CREDS_CLIENT_ID'], "
                           "os.environ['GH_SCOPED_CREDS_APP_URL'])")
    assert out.split() == [CLIENT_ID, "https://github.com/apps/hub-push"]


def test_gh_scoped_creds_gets_an_expiring_token_through_the_device_flow(alice_signed_in_to_github):
    _, said = alice_signed_in_to_github
    assert "Success! Authentication will expire in 0.0 hours." in said


def test_git_push_with_it_reaches_the_repository(alice_kernel, alice_signed_in_to_github, standin):
    assert alice_kernel.run(PUSH).startswith("(0, ")
    bare = apps_of(standin).repositories["demo-org/notebooks"].path
    import subprocess

    log = subprocess.run(["git", "--git-dir", str(bare), "log", "--format=%an: %s", "-1", "main"],
                         capture_output=True, text=True, check=True).stdout
    assert log.strip() == "Alice: Analysis from the hub"


def test_once_the_token_expired_git_push_is_refused(alice_kernel, alice_signed_in_to_github):
    obtained, _ = alice_signed_in_to_github
    time.sleep(max(0.0, obtained + TOKEN_SECONDS + 1 - time.monotonic()))
    code, err = eval(alice_kernel.run(PUSH_AGAIN))
    assert code != 0 and "Authentication failed" in err, err


def pull(hub, body: dict, timeout: float = 90) -> dict:
    base, headers = f"{hub.url}/services/shared-data/api/pulls", {"Authorization": f"token {hub.user_token('champ')}"}
    started = requests.post(base, json=body, headers=headers, timeout=60)
    assert started.status_code == 202, started.text
    job, deadline = started.json(), time.monotonic() + timeout
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.3)
        job = requests.get(f"{base}/{job['id']}", headers=headers, timeout=30).json()
    return job


def test_a_private_repository_pulls_into_shared_data_with_the_apps_installation_token(hub, standin):
    job = pull(hub, {"kind": "git", "url": f"{standin.url}/demo-org/course-private.git", "ref": "main"})
    assert job["state"] == "done", job["error"]
    assert (hub.workdir / "shared" / "course-private" / "week1" / "lesson.md").read_text() == "# Week 1\n"
    assert "ghs_" not in str(job) and job["source"] == f"{standin.url}/demo-org/course-private.git"


def test_a_private_repository_the_app_is_not_installed_on_does_not_pull(hub, standin):
    job = pull(hub, {"kind": "git", "url": f"{standin.url}/demo-org/notebooks.git", "name": "not-ours"})
    assert job["state"] == "failed" and "git could not clone" in job["error"]
    assert not (hub.workdir / "shared" / "not-ours").exists()
