"""Per-person object storage: every server gets `SCRATCH_BUCKET` (and `PERSISTENT_BUCKET`) = `s3://<bucket>/<prefix>`.

The prefix is the person's (`{username}` by default). Without a credentials mode the prefix is a
convention only (as on 2i2c hubs): servers use whatever credentials their machine gives them. With
`credentials = "sts-assume-role"` (or `"sts-federation-token"`) the hub asks AWS STS, with its own
credentials, for short-lived credentials whose session policy only reaches that person's prefix, and
hands those to the server; the hub's own keys never reach a server. See docs/object-storage-operators.md.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

from traitlets import Enum, Integer, List, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

# a prefix becomes part of IAM resource patterns: `*`, `?` and `$` would widen them, so only these may appear
SAFE_PREFIX = re.compile(r"^[a-z0-9][a-z0-9._@+=-]{0,127}$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
STS_MODES = ("sts-assume-role", "sts-federation-token")
# variables a server must never inherit from the hub: they would carry the operator's keys
OPERATOR_KEY_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


class StorageError(ValueError):
    """A person's storage cannot be set up; the message says why and what to do."""


class ObjectStorage(LoggingConfigurable):
    """Object storage buckets for every server (snippet `91-object-storage.py`)."""

    scratch_bucket = Unicode(
        "",
        config=True,
        help="""Bucket for scratch data: servers get `SCRATCH_BUCKET=s3://<bucket>/<prefix>`. Give the bucket
        a lifecycle rule that deletes old objects (scratch is not kept). Empty: no object storage.""",
    )
    persistent_bucket = Unicode(
        "", config=True, help="Bucket for data people keep: `PERSISTENT_BUCKET=s3://<bucket>/<prefix>`. Empty: none."
    )
    prefix_template = Unicode(
        "{username}",
        config=True,
        help="""Each person's prefix inside the buckets; `{username}` is the hub username. It may hold lower-case
        letters, digits and `._@+=-` only (other characters would widen the IAM policies of the credentials mode).""",
    )
    endpoint_url = Unicode(
        "",
        config=True,
        help="""S3 endpoint servers talk to (`AWS_ENDPOINT_URL_S3`), for S3-compatible stores (MinIO, Ceph, GCS's
        XML API at https://storage.googleapis.com). Empty: AWS S3 itself.""",
    )
    region = Unicode("us-east-1", config=True, help="Region of the buckets (`AWS_REGION`, `AWS_DEFAULT_REGION`).")
    credentials = Enum(
        ["none", *STS_MODES],
        "none",
        config=True,
        help="""What credentials servers get. `none`: none from the hub (the machine's or pod's own, for example
        an IAM role for the service account; the prefix is then a convention, not a boundary).
        `sts-assume-role`: the hub assumes `role_arn` for each server start with a session policy that only
        reaches the person's prefix, and gives the server those temporary credentials.
        `sts-federation-token`: the same with GetFederationToken (the hub's IAM user, no role).""",
    )
    role_arn = Unicode(
        "", config=True, help="Role the hub assumes in `sts-assume-role` mode (it must reach the buckets)."
    )
    credentials_seconds = Integer(
        3600,
        config=True,
        help="""How long a server's credentials last, in seconds (STS allows 900 to the role's maximum, 43200 at
        most). A server running longer must be restarted for fresh ones.""",
    )
    sts_endpoint_url = Unicode("", config=True, help="STS endpoint the hub calls; empty: AWS's own.")
    shared_pull_prefixes = List(
        Unicode(),
        config=True,
        help="""`s3://bucket/prefix/` locations champions may pull from into the shared folder (shared-data's `s3`
        pulls). The shared-data service signs its reads with the hub's own AWS credentials (its `AWS_*`
        variables or the machine's role): give those read access there. Never list people's scratch prefixes:
        what is pulled becomes readable by everyone. Empty: no pulls from buckets.""",
    )

    @validate("shared_pull_prefixes")
    def _valid_pull_prefixes(self, proposal):
        for prefix in proposal["value"]:
            if not prefix.startswith("s3://") or not BUCKET_NAME.match(prefix[5:].split("/")[0]):
                raise TraitError(f"`{prefix}` is not an s3://bucket/prefix/ location.")
        return [prefix.rstrip("/") + "/" for prefix in proposal["value"]]

    @validate("scratch_bucket", "persistent_bucket")
    def _valid_bucket(self, proposal):
        value = proposal["value"].strip()
        if value.startswith("s3://"):
            value = value[len("s3://"):].rstrip("/")
        if value and not BUCKET_NAME.match(value):
            raise TraitError(f"`{value}` is not an S3 bucket name (3-63 lower-case letters, digits, `.` and `-`).")
        return value

    @validate("credentials_seconds")
    def _valid_seconds(self, proposal):
        if not 900 <= proposal["value"] <= 43200:
            raise TraitError("credentials_seconds must be between 900 and 43200 (what STS accepts).")
        return proposal["value"]

    @property
    def enabled(self) -> bool:
        return bool(self.scratch_bucket or self.persistent_bucket)

    @property
    def buckets(self) -> list[str]:
        return [b for b in (self.scratch_bucket, self.persistent_bucket) if b]


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: str  # ISO 8601, as STS says


def person_prefix(template: str, username: str) -> str:
    """The person's prefix in the buckets; refused when it could widen a policy or leave the prefix."""
    prefix = template.format(username=username)
    if not SAFE_PREFIX.match(prefix) or ".." in prefix:
        raise StorageError(
            f"The storage prefix `{prefix[:80]}` for {username} may only hold lower-case letters, digits and `._@+=-`. "
            "Ask the hub's operator to change ObjectStorage.prefix_template."
        )
    return prefix


def prefix_policy(buckets: list[str], prefix: str) -> dict:
    """An IAM policy that reaches only `prefix/` in `buckets`: list it, read, write and delete below it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}" for bucket in buckets],
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}/*", f"{prefix}/"]}},
            },
            {
                "Sid": "ObjectsBelowOwnPrefix",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                    "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
                ],
                "Resource": [f"arn:aws:s3:::{bucket}/{prefix}/*" for bucket in buckets],
            },
        ],
    }


def server_environment(storage: ObjectStorage, username: str, credentials: Credentials | None = None) -> dict:
    """The variables a server gets: bucket URLs, endpoint and region, and its own credentials if any."""
    prefix = person_prefix(storage.prefix_template, username)
    env = {"AWS_REGION": storage.region, "AWS_DEFAULT_REGION": storage.region}
    if storage.scratch_bucket:
        env["SCRATCH_BUCKET"] = f"s3://{storage.scratch_bucket}/{prefix}"
    if storage.persistent_bucket:
        env["PERSISTENT_BUCKET"] = f"s3://{storage.persistent_bucket}/{prefix}"
    if storage.endpoint_url:
        env["AWS_ENDPOINT_URL_S3"] = storage.endpoint_url
    if credentials is not None:
        env.update(
            AWS_ACCESS_KEY_ID=credentials.access_key_id,
            AWS_SECRET_ACCESS_KEY=credentials.secret_access_key,
            AWS_SESSION_TOKEN=credentials.session_token,
            HUBEXTRAS_STORAGE_CREDENTIALS_EXPIRE=credentials.expiration,
        )
    return env


def session_name(username: str) -> str:
    """An STS session name for the person (2-32 characters of `[\\w+=,.@-]`; the role session shows who it was)."""
    cleaned = re.sub(r"[^\w+=,.@-]", "-", username)
    return f"hub-{cleaned}"[:32]


def issue_credentials(storage: ObjectStorage, username: str) -> Credentials:
    """Ask STS, with the hub's own credentials, for credentials that only reach the person's prefix."""
    import boto3

    prefix = person_prefix(storage.prefix_template, username)
    policy = json.dumps(prefix_policy(storage.buckets, prefix))
    sts = boto3.client("sts", region_name=storage.region, endpoint_url=storage.sts_endpoint_url or None)
    if storage.credentials == "sts-assume-role":
        if not storage.role_arn:
            raise StorageError("ObjectStorage.credentials is sts-assume-role but ObjectStorage.role_arn is empty.")
        answer = sts.assume_role(
            RoleArn=storage.role_arn, RoleSessionName=session_name(username), Policy=policy,
            DurationSeconds=storage.credentials_seconds,
        )
    else:
        answer = sts.get_federation_token(
            Name=session_name(username), Policy=policy, DurationSeconds=storage.credentials_seconds
        )
    given = answer["Credentials"]
    return Credentials(
        given["AccessKeyId"], given["SecretAccessKey"], given["SessionToken"], given["Expiration"].isoformat()
    )


async def add_storage_environment(spawner) -> None:
    """Pre-spawn step: put the person's bucket settings (and credentials, in a credentials mode) in the server's env."""
    storage = ObjectStorage(config=spawner.config, log=spawner.log)
    if not storage.enabled:
        return
    from tornado import web

    try:
        credentials = None
        if storage.credentials != "none":
            credentials = await asyncio.to_thread(issue_credentials, storage, spawner.user.name)
    except StorageError as e:
        raise web.HTTPError(500, str(e)) from None
    except Exception as e:  # botocore's errors: the store or STS refused, or could not be reached
        spawner.log.error("Object storage credentials for %s failed: %s", spawner.user.name, e)
        raise web.HTTPError(
            503, "Your server's storage credentials could not be made (the storage service did not answer as "
            "expected). Try again in a few minutes; if it keeps failing, tell the hub's operator."
        ) from None
    try:
        env = server_environment(storage, spawner.user.name, credentials)
    except StorageError as e:
        raise web.HTTPError(500, str(e)) from None
    spawner.environment = {**spawner.environment, **env}


def chain_pre_spawn_hook(c, step) -> None:
    """Run `step(spawner)` before spawning, after any pre_spawn_hook the operator (or another snippet) set."""
    from .config import configured

    earlier = configured(c.Spawner, "pre_spawn_hook", None)
    if getattr(earlier, "hubextras_steps", None) is not None:
        if step not in earlier.hubextras_steps:
            earlier.hubextras_steps.append(step)
        return
    steps = [step]

    async def pre_spawn_hook(spawner):
        if earlier is not None:
            result = earlier(spawner)
            if asyncio.iscoroutine(result):
                await result
        for each in steps:
            await each(spawner)

    pre_spawn_hook.hubextras_steps = steps
    c.Spawner.pre_spawn_hook = pre_spawn_hook


def configure_object_storage(c) -> ObjectStorage:
    """Snippet body: check the settings, keep the hub's keys out of servers, add the pre-spawn step."""
    from .config import configured

    storage = ObjectStorage(config=c)
    if storage.shared_pull_prefixes:
        open_buckets_to_pulls(c, storage)
    if not storage.enabled:
        return storage
    if storage.credentials == "sts-assume-role" and not storage.role_arn:
        raise SystemExit("hubextras: ObjectStorage.credentials is sts-assume-role: set ObjectStorage.role_arn.")
    kept = [name for name in configured(c.Spawner, "env_keep", []) if name in OPERATOR_KEY_VARIABLES]
    if kept:
        raise SystemExit(
            f"hubextras: Spawner.env_keep passes {', '.join(kept)} to every server: that gives everyone the hub's "
            "storage keys. Remove them; ObjectStorage.credentials gives each server its own."
        )
    chain_pre_spawn_hook(c, add_storage_environment)
    return storage


def open_buckets_to_pulls(c, storage: ObjectStorage, service_name: str = "shared-data") -> None:
    """Give the shared-data service the pull prefixes, the endpoint, and the hub's own AWS settings."""
    import os

    from .config import configured

    for service in configured(c.JupyterHub, "services", []):
        if service.get("name") == service_name:
            settings = {"prefixes": storage.shared_pull_prefixes, "endpoint_url": storage.endpoint_url,
                        "region": storage.region}
            hub_aws = {k: v for k, v in os.environ.items() if k in OPERATOR_KEY_VARIABLES}
            service["environment"] = {**service.get("environment", {}), **hub_aws,
                                      "HUBEXTRAS_S3_PULLS": json.dumps(settings)}
            return
    raise SystemExit(
        "hubextras: ObjectStorage.shared_pull_prefixes is set but the shared-data service is not configured "
        "(jupyterhub_config.d/40-shared-data.py)."
    )
