"""Per-person storage, pure: prefixes, the session policy (judged by moto's own IAM evaluator), a server's env."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from moto.iam.access_control import IAMPolicy, PermissionResult
from traitlets import TraitError

from hubextras.storage import (
    Credentials,
    ObjectStorage,
    StorageError,
    person_prefix,
    prefix_policy,
    server_environment,
    session_name,
)


def verdict(policy, action, resource):
    import json

    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


def test_the_prefix_is_the_username():
    assert person_prefix("{username}", "alice") == "alice"


@pytest.mark.parametrize("username", ["a*", "a?b", "${aws:username}", "../bob", "Alice", "a/b", ""])
def test_a_prefix_that_could_widen_a_policy_or_leave_its_folder_is_refused(username):
    with pytest.raises(StorageError, match="may only hold lower-case letters"):
        person_prefix("{username}", username)


@given(st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True))
@example("alice")
def test_the_policy_reaches_objects_below_the_prefix(username):
    policy = prefix_policy(["scratch"], username)
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert verdict(policy, action, f"arn:aws:s3:::scratch/{username}/data.zarr/0.0") == PermissionResult.PERMITTED


@pytest.mark.parametrize("resource", [
    "arn:aws:s3:::scratch/bob/data.csv",
    "arn:aws:s3:::scratch/alice-b/data.csv",  # a longer name that starts with hers
    "arn:aws:s3:::scratch/alice",  # the prefix itself, as an object beside the others
    "arn:aws:s3:::other-bucket/alice/data.csv",
])
def test_the_policy_reaches_nothing_else(resource):
    assert verdict(prefix_policy(["scratch"], "alice"), "s3:GetObject", resource) != PermissionResult.PERMITTED


def test_the_policy_grants_no_bucket_wide_action():
    policy = prefix_policy(["scratch"], "alice")
    for action in ("s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutObjectAcl"):
        assert verdict(policy, action, "arn:aws:s3:::scratch") != PermissionResult.PERMITTED


def test_listing_is_limited_to_the_prefix_by_condition():
    listing = prefix_policy(["scratch"], "alice")["Statement"][0]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["alice/*", "alice/"]}}


def test_servers_get_bucket_urls_endpoint_and_region():
    storage = ObjectStorage(scratch_bucket="scratch", persistent_bucket="keep", endpoint_url="http://s3.local:9000")
    assert server_environment(storage, "alice") == {
        "SCRATCH_BUCKET": "s3://scratch/alice", "PERSISTENT_BUCKET": "s3://keep/alice",
        "AWS_ENDPOINT_URL_S3": "http://s3.local:9000", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
    }


def test_servers_get_their_own_credentials_in_the_credentials_mode():
    env = server_environment(ObjectStorage(scratch_bucket="scratch"), "alice",
                             Credentials("ASIA1", "secret", "token", "2026-01-01T00:00:00+00:00"))
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SESSION_TOKEN"]) == ("ASIA1", "token")
    assert env["HUBEXTRAS_STORAGE_CREDENTIALS_EXPIRE"] == "2026-01-01T00:00:00+00:00"


def test_a_bucket_may_be_given_as_an_s3_url():
    assert ObjectStorage(scratch_bucket="s3://scratch/").scratch_bucket == "scratch"


@pytest.mark.parametrize("bucket", ["Scratch", "a", "scratch/alice", "s3://"+"a" * 64])
def test_a_wrong_bucket_name_is_refused(bucket):
    with pytest.raises(TraitError, match="not an S3 bucket name"):
        ObjectStorage(scratch_bucket=bucket)


@pytest.mark.parametrize("seconds", [899, 43201])
def test_credentials_last_what_sts_accepts(seconds):
    with pytest.raises(TraitError, match="between 900 and 43200"):
        ObjectStorage(credentials_seconds=seconds)


@given(st.text(max_size=80))
@example("a" * 40)
def test_session_names_are_what_sts_accepts(username):
    import re

    assert re.fullmatch(r"[\w+=,.@-]{2,32}", session_name(username))


def test_every_setting_says_what_it_is_for():
    assert [n for n, t in ObjectStorage.class_own_traits(config=True).items() if not (t.help or "").strip()] == []
