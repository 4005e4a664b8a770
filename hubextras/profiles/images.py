"""Container image references: is a custom image well formed, and is its registry allowed. Pure logic."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The grammar of github.com/distribution/reference, written out as Python regexes.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
# ASCII only: Python's \w also matches non-ASCII letters and digits, which Kubernetes refuses (InvalidImageName).
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_REFERENCE = re.compile(
    rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?",
    re.ASCII,
)

EXPECTED_FORM = (
    "an image reference such as registry/name:tag or registry/name@sha256:<64 hex digits> "
    "(for example quay.io/jupyter/scipy-notebook:2024-05-27), in lower case, without spaces"
)


class ImageReferenceError(ValueError):
    """An image reference is malformed or comes from a registry the hub does not allow."""


@dataclass(frozen=True)
class ImageReference:
    """A parsed image reference; `registry` is explicit or Docker Hub's `docker.io`."""

    registry: str
    path: str
    tag: str | None
    digest: str | None


def parse_image_reference(value: str) -> ImageReference:
    """Parse `value` as a full image reference (name plus a tag or a digest), or raise ImageReferenceError."""
    match = _REFERENCE.fullmatch(value) if isinstance(value, str) else None
    if match is None or len(match["path"]) > 255:
        raise ImageReferenceError(f"'{value}' is not a valid image: expected {EXPECTED_FORM}.")
    domain = match["domain"]
    # As in Docker: a first component is a registry only if it looks like a host.
    if domain and not ("." in domain or ":" in domain or domain == "localhost"):
        domain_path = f"{domain}/{match['path']}"
        if not re.fullmatch(_PATH_COMPONENT, domain, re.ASCII):
            raise ImageReferenceError(f"'{value}' is not a valid image: expected {EXPECTED_FORM}.")
        return _complete(value, ImageReference("docker.io", domain_path, match["tag"], match["digest"]))
    registry = (domain or "docker.io").lower()
    return _complete(value, ImageReference(registry, match["path"], match["tag"], match["digest"]))


def _complete(value: str, ref: ImageReference) -> ImageReference:
    if ref.tag is None and ref.digest is None:
        raise ImageReferenceError(
            f"'{value}' has no tag or digest: expected {EXPECTED_FORM}, so that the same image is used every time."
        )
    return ref


def check_image(value: str, allowed_registries=()) -> ImageReference:
    """Parse `value` and check its registry against `allowed_registries` (empty: any registry)."""
    ref = parse_image_reference(value)
    allowed = {r.strip().lower().rstrip("/") for r in allowed_registries if r.strip()}
    if allowed and ref.registry not in allowed:
        raise ImageReferenceError(
            f"Images from '{ref.registry}' are not allowed on this hub. "
            f"Use an image from {', '.join(sorted(allowed))}, written as {EXPECTED_FORM}."
        )
    return ref
