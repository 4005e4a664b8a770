"""A real S3-compatible server (moto, server mode, IAM enforced) on 127.0.0.1 for the storage tests."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

TESTS = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"  # moto's default account


@dataclass
class S3Server:
    url: str
    hub_key: tuple[str, str]  # the hub's IAM user: may only assume the storage role
    role_arn: str  # reaches the whole bucket; the hub narrows it per person with a session policy
    bucket: str = "scratch"

    def client(self, service: str, key=None, token=None):
        import boto3

        key = key or self.hub_key
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id=key[0], aws_secret_access_key=key[1], aws_session_token=token)

    def role_client(self):
        """S3 with the storage role's own credentials (no session policy): what the test writes as someone else."""
        given = self.client("sts").assume_role(RoleArn=self.role_arn, RoleSessionName="tests")["Credentials"]
        return self.client("s3", (given["AccessKeyId"], given["SecretAccessKey"]), given["SessionToken"])


def _setup(url: str) -> S3Server:
    import boto3

    def client(service):
        return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                            aws_access_key_id="setup", aws_secret_access_key="setup")

    client("s3").create_bucket(Bucket="scratch")
    iam = client("iam")
    iam.create_user(UserName="hub")
    key = iam.create_access_key(UserName="hub")["AccessKey"]
    role = iam.create_role(
        RoleName="hubextras-storage",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/hub"}, "Action": "sts:AssumeRole"}]}),
    )["Role"]
    iam.put_role_policy(RoleName="hubextras-storage", PolicyName="bucket", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                "Resource": ["arn:aws:s3:::scratch", "arn:aws:s3:::scratch/*"]}]}))
    iam.put_user_policy(UserName="hub", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Resource": role["Arn"]},
                                               # what the shared-data service reads for pulls, signed with its keys
                                               {"Effect": "Allow", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::scratch/community/*"}]}))
    requests.post(f"{url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()  # IAM is enforced now
    return S3Server(url, (key["AccessKeyId"], key["SecretAccessKey"]), role["Arn"])


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    from harness.hub import free_port

    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "harness.s3_server", str(port)], cwd=TESTS,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(f"{url}/moto-api/", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield _setup(url)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
