"""Unpacking .zip and .tar.gz safely: no path leaves the destination, no link points out, no bombs.

Archives may hold files, folders, hard links to their own earlier files (unpacked as copies) and symbolic
links that point down into their own folder (`latest.csv -> data/2025.csv`); links with `..` steps or
absolute targets, devices and pipes refuse the whole archive.

`check_members` is pure (it judges the archive's table of contents); `unpack` writes into a folder the
caller made (the store's staging area) and counts real bytes, since an archive's table can lie.
"""

from __future__ import annotations

import gzip
import os
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..base.units import format_bytes
from .errors import UnsafeArchive, UnsafePath
from .paths import MAX_PATH_BYTES, check_link_target, relative_parts

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
COPY_BLOCK = 1024 * 1024
MAX_LINK_BYTES = MAX_PATH_BYTES  # no link target on Linux is longer


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
    """Refuse an archive whose entries would leave the folder, link out, or unpack to too much; returns the total.

    Links are judged by the rule that makes every link resolve inside the shared folder however it is chained
    or moved (`paths.check_link_target`: down into its own folder only); no entry may lie below a link; a hard
    link must name an earlier regular file of the archive (its bytes are copied from there, never through a link).
    """
    if len(members) > limits.max_members:
        raise UnsafeArchive(f"The archive has {len(members)} entries, more than the {limits.max_members} allowed.")
    total = 0
    kinds: dict[tuple[str, ...], str] = {}
    sizes: dict[tuple[str, ...], int] = {}
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
        shown = "/".join(parts)
        for depth in range(1, len(parts)):
            if kinds.setdefault(parts[:depth], "folder") != "folder":
                raise UnsafeArchive(
                    f"The archive was refused: `{shown}` would be written through a link or file "
                    f"(`{'/'.join(parts[:depth])}`). Nothing was unpacked."
                )
        if parts in kinds and not (member.kind == "folder" and kinds[parts] == "folder"):
            raise UnsafeArchive(f"The archive was refused: it holds `{shown}` twice. Nothing was unpacked.")
        if member.kind == "symlink":
            try:
                check_link_target(shown, member.link_target)
            except UnsafePath as refusal:
                raise UnsafeArchive(
                    f"The archive was refused, as a link outside the folder it unpacks into could be: {refusal} "
                    "Nothing was unpacked."
                ) from None
        if member.kind == "hardlink":
            try:
                linked = kinds.get(relative_parts(member.link_target))
            except UnsafePath:
                linked = None
            if linked not in ("file", "hardlink"):
                raise UnsafeArchive(
                    f"The archive was refused: `{shown}` is a hard link to `{member.link_target[:120]}`, "
                    "which is not an earlier regular file of the archive (hard links to links are refused). "
                    "Nothing was unpacked."
                )
            sizes[parts] = sizes[relative_parts(member.link_target)]
        else:
            sizes[parts] = member.size
        kinds[parts] = member.kind
        total += sizes[parts]
    if total > limits.max_bytes:
        raise UnsafeArchive(
            f"The archive unpacks to {format_bytes(total)}, more than the {format_bytes(limits.max_bytes)} "
            "allowed. Split it, or ask the hub operator to raise `SharedDataService.max_unpacked_bytes`."
        )
    if total > limits.max_ratio * max(compressed_bytes, 1):
        raise UnsafeArchive(
            f"The archive was refused as a decompression bomb: {format_bytes(compressed_bytes)} "
            f"would unpack to {format_bytes(total)}, more than {limits.max_ratio:g} times its size."
        )
    return total


def zip_members(archive: zipfile.ZipFile) -> list[Member]:
    members = []
    for info in archive.infolist():
        mode = info.external_attr >> 16
        if (mode & 0o170000) == 0o120000:
            members.append(Member(info.filename, "symlink", 0, _zip_link_target(archive, info)))
        else:
            members.append(Member(info.filename, "folder" if info.is_dir() else "file", info.file_size))
    return members


def _zip_link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """A zip link's target, decompressing at most MAX_LINK_BYTES (its declared size may lie)."""
    refusal = UnsafeArchive(
        f"The archive was refused: the link `{info.filename[:120]}` has a target longer than "
        f"{MAX_LINK_BYTES} bytes, which no link may have. Nothing was unpacked."
    )
    if info.file_size > MAX_LINK_BYTES:
        raise refusal
    with archive.open(info) as stream:
        target = stream.read(MAX_LINK_BYTES + 1)
    if len(target) > MAX_LINK_BYTES:
        raise refusal
    return target.decode("utf-8", "surrogateescape")


def tar_members(archive: tarfile.TarFile, limits: ArchiveLimits) -> list[tarfile.TarInfo]:
    """The archive's entries, read one by one and stopped past the entry limit (the table is not read whole)."""
    infos = []
    while (info := archive.next()) is not None:
        infos.append(info)
        if len(infos) > limits.max_members:
            raise UnsafeArchive(f"The archive has more than the {limits.max_members} entries allowed.")
    return infos


def tar_member(info: tarfile.TarInfo) -> Member:
    if info.issym():
        return Member(info.name, "symlink", 0, info.linkname)
    if info.islnk():
        return Member(info.name, "hardlink", 0, info.linkname)
    if info.isdir():
        return Member(info.name, "folder")
    if info.isfile():
        return Member(info.name, "file", info.size)
    raise UnsafeArchive(f"The archive was refused: `{info.name}` is a device or pipe, not a file or folder.")


def _copy_counted(source, destination: Path, budget: list[int], limits: ArchiveLimits) -> None:
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with open(fd, "wb") as out:
        while block := source.read(COPY_BLOCK):
            budget[0] -= len(block)
            if budget[0] < 0:
                raise UnsafeArchive(
                    f"The archive unpacks to more than its table of contents says (over "
                    f"{format_bytes(limits.max_bytes)} or its declared size): refused as a bomb."
                )
            out.write(block)


def unpack(archive_path: Path, destination: Path, limits: ArchiveLimits) -> int:
    """Unpack the archive at `archive_path` into the existing folder `destination`; returns the bytes written.

    Links are made last, once every file and folder is written, so nothing is ever written or copied through one.
    On refusal the caller removes `destination` (the store's staging area), so nothing partial stays.
    """
    kind = archive_kind(archive_path.name)
    compressed = archive_path.stat().st_size
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive_path) as archive:
                infos = archive.infolist()
                members = zip_members(archive)
                declared = check_members(members, compressed, limits)
                budget = [min(declared, limits.max_bytes)]
                _write_members(
                    members, destination, [lambda info=info: archive.open(info) for info in infos], budget, limits
                )
        elif kind == "tar.gz":
            with tarfile.open(archive_path, "r:gz") as archive:
                infos = tar_members(archive, limits)
                members = [tar_member(info) for info in infos]
                declared = check_members(members, compressed, limits)
                budget = [min(declared, limits.max_bytes)]
                _write_members(
                    members,
                    destination,
                    [lambda info=info: archive.extractfile(info) for info in infos],
                    budget,
                    limits,
                )
        else:
            raise UnsafeArchive(f"`{archive_path.name}` is not a .zip or .tar.gz archive.")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as broken:
        raise UnsafeArchive(f"`{archive_path.name}` is damaged or not really a {kind} archive ({broken}).") from None
    return declared - budget[0]


def _write_members(members: list[Member], destination: Path, openers, budget: list[int], limits: ArchiveLimits):
    root = Path(os.path.realpath(destination))
    links = []
    for member, open_member in zip(members, openers):
        parts = relative_parts(member.name)
        if not parts:
            continue
        if member.kind == "symlink":
            links.append((parts, member.link_target))
            continue
        folder = root
        for step in parts[:-1]:  # check_members refused entries below links: this only guards the disk
            folder = folder / step
            if folder.is_symlink() or (os.path.lexists(folder) and not folder.is_dir()):
                raise UnsafeArchive(
                    f"The archive was refused: `{member.name}` would be written through a link or file."
                )
            folder.mkdir(exist_ok=True)
        path = folder / parts[-1]
        if member.kind == "folder":
            if path.is_symlink():
                raise UnsafeArchive(f"The archive was refused: `{member.name}` would be written through a link.")
            path.mkdir(exist_ok=True)
        elif member.kind == "hardlink":
            # a copy of the regular file unpacked earlier, opened without following links
            with open(
                os.open(root.joinpath(*relative_parts(member.link_target)), os.O_RDONLY | os.O_NOFOLLOW), "rb"
            ) as source:
                _copy_counted(source, path, budget, limits)
        else:
            with open_member() as source:
                _copy_counted(source, path, budget, limits)
    for parts, target in links:
        root.joinpath(*parts[:-1]).mkdir(parents=True, exist_ok=True)  # no step is a link: check_members
        os.symlink(target, root.joinpath(*parts))
