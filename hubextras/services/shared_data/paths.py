"""Path safety: every path a person or an archive names resolves inside the shared folder, or is refused.

`relative_parts` is pure (no I/O); `resolve_inside` adds the one filesystem question (where symbolic links point).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import UnsafePath

MAX_NAME_BYTES = 255  # NAME_MAX on Linux file systems
MAX_PATH_BYTES = 4096  # PATH_MAX on Linux, root included
# our own temporaries (uploads in progress, pulls being unpacked) start with this; people may not use it
TEMPORARY_PREFIX = ".hubextras-"
# names Windows refuses: champions' files are downloaded to every kind of computer
WINDOWS_DEVICE_NAMES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def decode_path(raw: bytes | str) -> str:
    """`raw` as text; invalid UTF-8 (or text smuggling undecodable bytes) is refused."""
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafePath(
                "The path is not valid UTF-8 text. Rename the file on your computer and try again."
            ) from None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafePath("The path is not valid UTF-8 text. Rename the file on your computer and try again.") from None
    return raw


def check_name(name: str) -> str:
    """One file or folder name, refused with a message saying why if it is not allowed."""
    shown = name.encode("utf-8", "backslashreplace").decode("utf-8")[:80]
    if "\x00" in name:
        raise UnsafePath("A name contains a NUL byte, which no file may have. Rename it and try again.")
    if name in ("", ".", ".."):
        raise UnsafePath(f"`{shown}` is not a file or folder name: paths may not contain `.` or `..` steps.")
    if CONTROL_CHARACTERS.search(name):
        raise UnsafePath(f"The name `{shown!r}` contains control characters. Rename it and try again.")
    if "\\" in name:
        raise UnsafePath(f"The name `{shown}` contains a backslash. Use `/` between folders, and rename the file.")
    if name.startswith(TEMPORARY_PREFIX):
        raise UnsafePath(
            f"Names starting with `{TEMPORARY_PREFIX}` are reserved for uploads in progress. Pick another."
        )
    if WINDOWS_DEVICE_NAMES.match(name) or name.endswith((" ", ".")):
        raise UnsafePath(
            f"`{shown}` is a reserved name (Windows cannot open it, or it ends with a space or dot). Pick another."
        )
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise UnsafePath(f"The name `{shown}…` is longer than {MAX_NAME_BYTES} bytes. Shorten it and try again.")
    return name


def relative_parts(path: str | bytes) -> tuple[str, ...]:
    """The folder steps of a path inside the shared folder (`""` or `"/"` is the shared folder itself).

    Refuses absolute paths, `.` and `..` steps, NUL bytes, reserved and overlong names, invalid UTF-8.
    """
    text = decode_path(path)
    if "\x00" in text:
        raise UnsafePath("The path contains a NUL byte, which no file may have. Rename it and try again.")
    if len(text.encode("utf-8")) > MAX_PATH_BYTES:
        raise UnsafePath(f"The path is longer than {MAX_PATH_BYTES} bytes. Use shorter folder or file names.")
    stripped = text.strip("/")
    if not stripped:
        return ()
    if text.startswith("/") or (len(text) > 2 and text[1] == ":" and text[2] in "/\\"):
        raise UnsafePath(
            "Absolute paths are not allowed: give a path inside the shared folder, like `course/data.csv`."
        )
    return tuple(check_name(part) for part in stripped.split("/"))


def check_link_target(link: str, target: str | bytes) -> tuple[str, ...]:
    """The steps of a symbolic link's `target` if the link may be in the shared folder; refused otherwise.

    A link may only lead down from its own folder: relative, with no `..` (nor `.`) steps. Followed as the
    system does, through any chain of such links, it then always ends inside the shared folder, wherever it
    or the links it passes through are moved later; a `..` step could not promise that (`L -> ../..` is
    inside where it was made, and outside after a move one folder up).
    """
    try:
        text = decode_path(target)
        parts = relative_parts(text) if not text.startswith("/") else None
    except UnsafePath:
        parts = None
    if not parts:
        shown = target.decode("utf-8", "backslashreplace") if isinstance(target, bytes) else target
        raise UnsafePath(
            f"`{link[:120]}` is a link to `{shown[:120]}`: links may only point down into their own folder "
            "(like `data/latest.csv`), never up (`..`), to an absolute path or outside the shared folder."
        )
    return parts


def resolve_inside(root: str | Path, path: str | bytes) -> Path:
    """The real location of `path` below `root`; refused if it, or a symbolic link on the way, leads outside."""
    parts = relative_parts(path)
    real_root = Path(os.path.realpath(root))
    joined = real_root.joinpath(*parts)
    if len(str(joined).encode("utf-8")) > MAX_PATH_BYTES:
        raise UnsafePath(f"The path is longer than {MAX_PATH_BYTES} bytes. Use shorter folder or file names.")
    resolved = Path(os.path.realpath(joined))
    if resolved != real_root and real_root not in resolved.parents:
        raise UnsafePath(
            f"`{'/'.join(parts)}` leads outside the shared folder (a symbolic link points elsewhere). "
            "The service only works inside the shared folder."
        )
    # the last step itself is kept (a link inside pointing inside is used as the link, not its target)
    return joined if joined.is_symlink() else resolved


def shared_relative(root: str | Path, location: Path) -> str:
    """`location` as the `a/b/c` path people see (relative to the shared folder)."""
    relative = location.relative_to(Path(os.path.realpath(root))).as_posix()
    return "" if relative == "." else relative
