"""`s3://bucket/key` pull sources: checked against the prefixes the operator opened to pulls, then read as a
presigned https URL, so an object store pull follows every rule of a URL pull (size, quota, archives, addresses).

The service signs with its own credentials (its environment's `AWS_*`, or the machine's role), given to it by
the object-storage snippet (`c.ObjectStorage.shared_pull_prefixes`, docs/object-storage-operators.md).
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from .errors import SharedDataError

SETTINGS_VARIABLE = "HUBEXTRAS_S3_PULLS"  # JSON: {"prefixes": [...], "endpoint_url": ..., "region": ...}
SIGNED_SECONDS = 900


def pull_settings() -> dict:
    return json.loads(os.environ.get(SETTINGS_VARIABLE) or '{"prefixes": []}')


def check_s3_source(url: str, prefixes: list[str]) -> tuple[str, str]:
    """(bucket, key) of an `s3://` URL below one of `prefixes`; refused otherwise."""
    parts = urlsplit(url)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    if parts.scheme != "s3" or not bucket or not key or key.endswith("/") or parts.query or parts.fragment:
        raise SharedDataError(f"`{url[:200]}` is not an object in a bucket. Give it as s3://bucket/folder/file.csv.")
    if ".." in key.split("/") or "//" in key:
        raise SharedDataError(f"`{url[:200]}` has an empty or `..` part. Give the object's own name.")
    if not prefixes:
        raise SharedDataError("This hub does not pull from buckets. Ask the hub's operator to open a bucket to pulls.")
    if not any(url.startswith(prefix.rstrip("/") + "/") for prefix in prefixes):
        raise SharedDataError(f"Pulls may read only below {', '.join(prefixes)}; `{url[:200]}` is elsewhere.")
    return bucket, key


def presigned_url(url: str) -> str:
    """An https (or the endpoint's http) URL that reads the checked `s3://` object for a few minutes."""
    import boto3
    from botocore.config import Config

    settings = pull_settings()
    bucket, key = check_s3_source(url, settings.get("prefixes", []))
    client = boto3.client("s3", endpoint_url=settings.get("endpoint_url") or None,
                          region_name=settings.get("region") or None,
                          config=Config(signature_version="s3v4"))  # SigV2 links are refused by newer stores
    return client.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=SIGNED_SECONDS
    )
