"""A real S3-compatible server for the tests: moto in server mode on 127.0.0.1, with IAM enforced.

    python -m harness.s3_server PORT

moto 5 enforces IAM only after `/moto-api/reset-auth` (or INITIAL_NO_AUTH_ACTION_COUNT) and then only the
policies of the IAM user or role behind a key: it stores the session policy given to AssumeRole but never
evaluates it. This process adds that one evaluation, with moto's own policy evaluator, so a request made with
assumed-role credentials needs both the role's policies and the session policy (as on AWS). moto ignores
`StringLike` conditions: the `s3:prefix` condition on listing is not enforced here (reading and writing
objects is, by resource). moto also fails (500) on presigned URLs once IAM is on: this process checks their
query signature with botocore's own signer instead.
"""

from __future__ import annotations

import sys
from urllib.parse import parse_qsl, urlencode, urlsplit


def enforce_session_policies() -> None:
    from moto.iam import access_control
    from moto.sts.models import sts_backends

    checked = access_control.IAMRequestBase.check_action_permitted

    def check_action_permitted(self, resource: str) -> None:
        checked(self, resource)
        key = self._access_key
        if not isinstance(key, access_control.AssumedRoleAccessKey):
            return
        for role in sts_backends[key.account_id][key.partition].assumed_roles:
            if role.access_key_id == key._access_key_id and role.policy:
                verdict = access_control.IAMPolicy(role.policy).is_action_permitted(self._action, resource)
                if verdict != access_control.PermissionResult.PERMITTED:
                    self._raise_access_denied()

    access_control.IAMRequestBase.check_action_permitted = check_action_permitted


def accept_presigned_urls() -> None:
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from moto.iam import access_control

    started, checked = access_control.IAMRequestBase.__init__, access_control.IAMRequestBase.check_signature

    def __init__(self, account_id, method, path, data, body, headers, action):
        query = dict(parse_qsl(urlsplit(path).query))
        self._presigned = "Authorization" not in headers and "X-Amz-Signature" in query
        if self._presigned:
            headers = dict(headers)
            headers["Authorization"] = (
                f"AWS4-HMAC-SHA256 Credential={query['X-Amz-Credential']}, "
                f"SignedHeaders={query['X-Amz-SignedHeaders']}, Signature={query['X-Amz-Signature']}"
            )
            if "X-Amz-Security-Token" in query:
                headers["X-Amz-Security-Token"] = query["X-Amz-Security-Token"]
            self._presigned_query = query
        started(self, account_id, method, path, data, body, headers, action)

    def check_signature(self) -> None:
        if not self._presigned:
            return checked(self)
        query = self._presigned_query
        unsigned = {k: v for k, v in query.items() if k != "X-Amz-Signature"}
        url = f"http://{self._headers['Host']}{urlsplit(self._path).path}?{urlencode(unsigned)}"
        request = AWSRequest(method=self._method, url=url, headers={"host": self._headers["Host"]})
        request.context["timestamp"] = query["X-Amz-Date"]
        auth = S3SigV4QueryAuth(self._access_key.create_credentials(), "s3", self._region,
                                expires=int(query["X-Amz-Expires"]))
        canonical = auth.canonical_request(request)
        if auth.signature(auth.string_to_sign(request, canonical), request) != query["X-Amz-Signature"]:
            self._raise_signature_does_not_match()

    access_control.IAMRequestBase.__init__ = __init__
    access_control.IAMRequestBase.check_signature = check_signature


def main(port: int) -> None:
    enforce_session_policies()
    accept_presigned_urls()
    from moto.server import main as moto_main

    moto_main(["-H", "127.0.0.1", "-p", str(port)])


if __name__ == "__main__":
    main(int(sys.argv[1]))
