"""Object storage through a real hub: a kernel of a person's server (their own account, the user environment)
writes and reads $SCRATCH_BUCKET with s3fs against the test S3 server; in the credentials mode it cannot touch
another person's prefix, and the hub's own keys never reach it."""

import time

import pytest
import requests
from harness.kernel import Kernel, KernelError

CONFIG = """
c.ProfilesSpawner.profile_list = [{{"display_name": "Small", "slug": "small", "default": True}}]
c.ProfilesLocalSpawner.default_environment = {env!r}
c.ProfilesLocalSpawner.cgroup_parent = "hubextras-scaleout"  # not the cgroups other hubs on this machine remove
c.Spawner.http_timeout = 90
c.Spawner.start_timeout = 120
c.ObjectStorage.scratch_bucket = "scratch"
c.ObjectStorage.endpoint_url = {url!r}
c.ObjectStorage.credentials = "sts-assume-role"
c.ObjectStorage.role_arn = {role!r}
c.ObjectStorage.sts_endpoint_url = {url!r}
c.ObjectStorage.shared_pull_prefixes = ["s3://scratch/community/"]
c.SharedDataService.pull_allowed_private_hosts = ["127.0.0.1"]  # the test's S3 server
"""

READ_WRITE = """
import os, s3fs
fs = s3fs.S3FileSystem()
path = os.environ["SCRATCH_BUCKET"] + "/hello.txt"
with fs.open(path, "w") as f:
    f.write("written from my server")
print(os.environ["SCRATCH_BUCKET"], fs.cat(path).decode())
"""


@pytest.fixture(scope="module")
def user_env():
    from harness.scaleout_env import ensure

    return str(ensure())


@pytest.fixture(scope="module")
def hub(hub_factory, s3_server, user_env):
    config = CONFIG.format(env=user_env, url=s3_server.url, role=s3_server.role_arn)
    # the hub's own keys, from its environment as an operator would give them
    env = {"AWS_ACCESS_KEY_ID": s3_server.hub_key[0], "AWS_SECRET_ACCESS_KEY": s3_server.hub_key[1]}
    hub = hub_factory(pre_config=config, env=env)
    for name in ("alice", "champ"):
        hub.login(name)
    return hub


@pytest.fixture(scope="module")
def alice_kernel(hub):
    hub.api("POST", "/users/alice/server", json={"profile": "small"})
    hub.wait_for_server("alice", timeout=150)
    with Kernel(hub, "alice") as kernel:
        yield kernel


def test_a_kernel_writes_and_reads_its_scratch_bucket(alice_kernel, s3_server):
    assert alice_kernel.run(READ_WRITE).split(maxsplit=1) == ["s3://scratch/alice", "written from my server\n"]
    body = s3_server.role_client().get_object(Bucket="scratch", Key="alice/hello.txt")["Body"].read()
    assert body == b"written from my server"


def test_a_kernel_cannot_read_another_persons_prefix(alice_kernel, s3_server):
    s3_server.role_client().put_object(Bucket="scratch", Key="sam/private.txt", Body=b"sam's")
    with pytest.raises(KernelError, match="PermissionError|AccessDenied|Forbidden"):
        alice_kernel.run("import s3fs; print(s3fs.S3FileSystem().cat('s3://scratch/sam/private.txt'))")


def test_a_kernel_cannot_write_into_another_persons_prefix(alice_kernel, s3_server):
    with pytest.raises(KernelError, match="PermissionError|AccessDenied|Forbidden"):
        alice_kernel.run("import s3fs; s3fs.S3FileSystem().pipe('s3://scratch/sam/planted.txt', b'x')")


def test_the_server_runs_with_its_own_temporary_credentials_not_the_hubs(alice_kernel, s3_server):
    out = alice_kernel.run("import os; print(os.environ['AWS_ACCESS_KEY_ID'], 'AWS_SESSION_TOKEN' in os.environ)")
    key, has_token = out.split()
    assert key != s3_server.hub_key[0] and has_token == "True"
    assert s3_server.hub_key[1] not in alice_kernel.run("import os; print(dict(os.environ))")


def pull(hub, body: dict, timeout: float = 60) -> dict:
    """A champion's pull through the shared-data API; returns the finished job (or the refusal)."""
    base, headers = f"{hub.url}/services/shared-data/api/pulls", {"Authorization": f"token {hub.user_token('champ')}"}
    started = requests.post(base, json=body, headers=headers, timeout=60)
    if started.status_code != 202:
        return {"status": started.status_code, **started.json()}
    job, deadline = started.json(), time.monotonic() + timeout
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = requests.get(f"{base}/{job['id']}", headers=headers, timeout=30).json()
    return job


def test_a_champion_pulls_an_object_into_the_shared_folder(hub, s3_server):
    s3_server.role_client().put_object(Bucket="scratch", Key="community/survey.csv", Body=b"site,count\na,1\n")
    job = pull(hub, {"kind": "s3", "url": "s3://scratch/community/survey.csv"})
    assert (job.get("state"), job.get("source")) == ("done", "s3://scratch/community/survey.csv"), job
    assert (hub.workdir / "shared" / "survey.csv").read_bytes() == b"site,count\na,1\n"
    assert "Signature" not in str(job)


def test_a_pull_outside_the_opened_prefixes_is_refused(hub):
    refused = pull(hub, {"kind": "s3", "url": "s3://scratch/alice/hello.txt"})
    assert refused["status"] == 400 and "Pulls may read only below s3://scratch/community/" in refused["message"]
