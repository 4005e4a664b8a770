"""The test S3 server itself: IAM is enforced, and so is the session policy moto alone would ignore."""

import json

import pytest
from botocore.exceptions import ClientError

from hubextras.storage import prefix_policy


def test_unknown_keys_are_refused(s3_server):
    with pytest.raises(ClientError, match="InvalidAccessKeyId"):
        s3_server.client("s3", ("nobody", "nothing")).list_objects_v2(Bucket="scratch")


def test_a_session_policy_narrows_the_role(s3_server):
    policy = json.dumps(prefix_policy(["scratch"], "alice"))
    given = s3_server.client("sts").assume_role(RoleArn=s3_server.role_arn, RoleSessionName="alice",
                                                Policy=policy)["Credentials"]
    alice = s3_server.client("s3", (given["AccessKeyId"], given["SecretAccessKey"]), given["SessionToken"])
    alice.put_object(Bucket="scratch", Key="alice/notes.txt", Body=b"mine")
    with pytest.raises(ClientError, match="AccessDenied"):
        alice.put_object(Bucket="scratch", Key="bob/notes.txt", Body=b"not mine")


def test_a_presigned_link_is_checked(s3_server):
    import requests

    s3_server.role_client().put_object(Bucket="scratch", Key="community/presigned.txt", Body=b"shared")
    import boto3
    from botocore.config import Config

    key = s3_server.hub_key
    s3 = boto3.client("s3", endpoint_url=s3_server.url, region_name="us-east-1", aws_access_key_id=key[0],
                      aws_secret_access_key=key[1], config=Config(signature_version="s3v4"))
    signed = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "scratch", "Key": "community/presigned.txt"})
    assert requests.get(signed, timeout=10).content == b"shared"
    assert requests.get(signed.replace("X-Amz-Signature=", "X-Amz-Signature=0"), timeout=10).status_code == 403
