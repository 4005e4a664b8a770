"""Credentials in pull URLs (pure): what they are, and text with them hidden.

A champion may pull from `https://user:token@host/repo.git` or `https://host/f.zip?access_token=…`; the
other champions see pull lists, progress lines and the audit log, so those show `***` in their place.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

HIDDEN = "***"
# query parameters that carry credentials (GitHub, GitLab, S3 and Azure presigned links, generic `?token=`)
SECRET_PARAMETER = re.compile(r"token|key|secret|sig|signature|password|passwd|auth|credential|session", re.I)


def url_secrets(url: str) -> list[str]:
    """The credential strings in `url` (user info, secret query values), raw and URL-decoded, longest first."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = set()
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        user, _, password = userinfo.partition(":")
        found.add(password if password else user)  # a user name beside a password is no secret; a token alone is
    for name, value in parse_qsl(parts.query, keep_blank_values=False):
        if SECRET_PARAMETER.search(name):
            found.add(value)
    for raw in (parts.query, parts.netloc):
        for piece in re.split(r"[&=:@]", raw):
            if unquote(piece) in found:
                found.add(piece)
    found |= {unquote(value) for value in found}
    return sorted((value for value in found if value), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every one of `secrets` replaced by `***`."""
    for value in secrets:
        text = text.replace(value, HIDDEN)
    return text


def redacted_url(url: str) -> str:
    """`url` as other people may see it: credentials replaced by `***`."""
    return redact(url, url_secrets(url))
