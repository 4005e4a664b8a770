"""What the shared-data API's request bodies may hold (pure): pydantic models on the foundation's `BodyModel`.

Unknown keys, wrong types (`{"path": {}}`, `{"size": "12"}`), huge numbers and deep nesting are refused with a
400 that names the key (`hubextras.services.base.bodies`); what a path may be is `paths.relative_parts`' to say.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..base.bodies import BodyModel, parse_body
from .paths import MAX_PATH_BYTES

# a URL longer than this is no repository or file link a champion types or pastes
MAX_URL_CHARACTERS = 2048
Path = Field(max_length=MAX_PATH_BYTES)


class Move(BodyModel):
    """PATCH api/files/{path}: where the file or folder goes."""

    path: str = Path


class NewFolder(BodyModel):
    """POST api/folders."""

    path: str = Path


class NewUpload(BodyModel):
    """POST api/uploads: where the file goes, its size in bytes, and whether it may replace an existing file."""

    path: str = Path
    size: int = Field(ge=0, le=2**63 - 1)
    overwrite: bool = False


class NewPull(BodyModel):
    """POST api/pulls: a git repository (at a branch or tag), a file or archive at an http(s) URL, or an object
    in a bucket (`s3`, s3_sources.py)."""

    kind: Literal["git", "url", "s3"]
    url: str = Field(min_length=1, max_length=MAX_URL_CHARACTERS)
    ref: str = Field("", max_length=200)
    into: str = Field("", max_length=MAX_PATH_BYTES)
    name: str = Field("", max_length=MAX_PATH_BYTES)
    replace: bool = False


__all__ = ["Move", "NewFolder", "NewPull", "NewUpload", "parse_body"]
