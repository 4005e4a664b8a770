"""Unpacking .zip and .tar.gz safely: no path leaves the destination, no link points out, no bombs.

`check_members` is pure (it judges the archive's table of contents); `unpack` writes into a folder the
caller made (the store's staging area) and counts real bytes, since an archive's table can lie.
"""

from __future__ import annotations

import gzip
import os
import posixpath
import shutil
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .errors import UnsafeArchive, UnsafePath
from .paths import relative_parts
from .quota import human_bytes

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
COPY_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """How much an archive may unpack to: total bytes, bytes per compressed byte, and entries."""

    max_bytes: int = 10 * 1000**3
    max_ratio: float = 200.0
    max_members: int = 100_000


@dataclass(frozen=True)
class Member:
    """One entry of an archive's table of contents."""

    name: str
    kind: str  # "file", "folder", "symlink" or "hardlink"
    size: int = 0
    link_target: str = ""


def archive_kind(name: str) -> str | None:
    lowered = name.lower()
    if lowered.endswith(".zip"):
        return "zip"
    if lowered.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    return None


def archive_stem(name: str) -> str:
    lowered = name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def check_members(members: list[Member], compressed_bytes: int, limits: ArchiveLimits) -> int:
    """Refuse an archive whose entries would leave the folder, link out, or unpack to too much; returns the total."""
    if len(members) > limits.max_members:
        raise UnsafeArchive(f"The archive has {len(members)} entries, more than the {limits.max_members} allowed.")
    total = 0
    names = set()
    for member in members:
        try:
            parts = relative_parts(member.name)
        except UnsafePath as refusal:
            raise UnsafeArchive(
                f"The archive was refused: its entry `{member.name[:120]}` is not a safe path "
                f"({refusal}). Nothing was unpacked."
            ) from None
        if not parts:
            continue
        if member.kind == "symlink":
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname("/".join(parts)), member.link_target))
            if member.link_target.startswith("/") or resolved == ".." or resolved.startswith("../"):
                raise UnsafeArchive(
                    f"The archive was refused: `{member.name}` links to `{member.link_target}`, "
                    "outside the folder it unpacks into. Nothing was unpacked."
                )
        if member.kind == "hardlink" and posixpath.normpath(member.link_target) not in names:
            raise UnsafeArchive(
                f"The archive was refused: `{member.name}` is a hard link to "
                f"`{member.link_target}`, which is not an earlier file of the archive."
            )
        names.add("/".join(parts))
        total += member.size
    if total > limits.max_bytes:
        raise UnsafeArchive(
            f"The archive unpacks to {human_bytes(total)}, more than the {human_bytes(limits.max_bytes)} "
            "allowed. Split it, or ask the hub operator to raise `SharedDataService.max_unpacked_bytes`."
        )
    if total > limits.max_ratio * max(compressed_bytes, 1):
        raise UnsafeArchive(
            f"The archive was refused as a decompression bomb: {human_bytes(compressed_bytes)} "
            f"would unpack to {human_bytes(total)}, more than {limits.max_ratio:g} times its size."
        )
    return total


def zip_members(archive: zipfile.ZipFile) -> list[Member]:
    members = []
    for info in archive.infolist():
        mode = info.external_attr >> 16
        if (mode & 0o170000) == 0o120000:
            target = archive.read(info)[:4096].decode("utf-8", "replace")
            members.append(Member(info.filename, "symlink", 0, target))
        else:
            members.append(Member(info.filename, "folder" if info.is_dir() else "file", info.file_size))
    return members


def tar_members(archive: tarfile.TarFile) -> list[Member]:
    members = []
    for info in archive.getmembers():
        if info.issym():
            members.append(Member(info.name, "symlink", 0, info.linkname))
        elif info.islnk():
            members.append(Member(info.name, "hardlink", 0, info.linkname))
        elif info.isdir():
            members.append(Member(info.name, "folder"))
        elif info.isfile():
            members.append(Member(info.name, "file", info.size))
        else:
            raise UnsafeArchive(f"The archive was refused: `{info.name}` is a device or pipe, not a file or folder.")
    return members


def _copy_counted(source, destination: Path, budget: list[int], limits: ArchiveLimits) -> None:
    with open(destination, "wb") as out:
        while block := source.read(COPY_BLOCK):
            budget[0] -= len(block)
            if budget[0] < 0:
                raise UnsafeArchive(
                    f"The archive unpacks to more than its table of contents says (over "
                    f"{human_bytes(limits.max_bytes)} or its declared size): refused as a bomb."
                )
            out.write(block)


def unpack(archive_path: Path, destination: Path, limits: ArchiveLimits) -> int:
    """Unpack the archive at `archive_path` into the existing folder `destination`; returns the bytes written.

    On refusal the caller removes `destination` (the store's staging area), so nothing partial stays.
    """
    kind = archive_kind(archive_path.name)
    compressed = archive_path.stat().st_size
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive_path) as archive:
                members = zip_members(archive)
                declared = check_members(members, compressed, limits)
                budget = [min(declared, limits.max_bytes)]
                for info, member in zip(archive.infolist(), members):
                    _write_member(member, destination, lambda info=info: archive.open(info), budget, limits)
        elif kind == "tar.gz":
            with tarfile.open(archive_path, "r:gz") as archive:
                members = tar_members(archive)
                declared = check_members(members, compressed, limits)
                budget = [min(declared, limits.max_bytes)]
                for info, member in zip(archive.getmembers(), members):
                    _write_member(member, destination, lambda info=info: archive.extractfile(info), budget, limits)
        else:
            raise UnsafeArchive(f"`{archive_path.name}` is not a .zip or .tar.gz archive.")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as broken:
        raise UnsafeArchive(f"`{archive_path.name}` is damaged or not really a {kind} archive ({broken}).") from None
    return declared - budget[0]


def _write_member(member: Member, destination: Path, open_member, budget: list[int], limits: ArchiveLimits) -> None:
    parts = relative_parts(member.name)
    if not parts:
        return
    folder = Path(os.path.realpath(destination))
    # a link unpacked earlier may redirect later entries: never write through one
    for step in parts[:-1]:
        folder = folder / step
        if folder.is_symlink() or (os.path.lexists(folder) and not folder.is_dir()):
            raise UnsafeArchive(f"The archive was refused: `{member.name}` would be written through a link or file.")
        folder.mkdir(exist_ok=True)
    path = folder / parts[-1]
    if member.kind != "folder" and os.path.lexists(path):
        raise UnsafeArchive(f"The archive was refused: it holds `{member.name}` twice.")
    if member.kind == "folder":
        path.mkdir(exist_ok=True)
    elif member.kind == "symlink":
        path.symlink_to(member.link_target)
    elif member.kind == "hardlink":
        shutil.copyfile(destination.joinpath(*relative_parts(member.link_target)), path)
    else:
        with open_member() as source:
            _copy_counted(source, path, budget, limits)
