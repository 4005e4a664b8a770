"""The shared folder on disk: browse, folders, move, delete, and atomic resumable uploads. Knows files, not HTTP.

Every change lands atomically: new content is written to a temporary (named `.hubextras-…`, hidden from
listings) in the same folder and renamed into place, so readers see the old file or the whole new one, never
a part. Temporaries left by a killed service are removed when the store opens.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import quota
from .errors import AlreadyExists, Busy, NotFound, SharedDataError, UnsafePath
from .paths import TEMPORARY_PREFIX, relative_parts, resolve_inside, shared_relative

UPLOAD_PREFIX = f"{TEMPORARY_PREFIX}upload-"
STAGING_PREFIX = f"{TEMPORARY_PREFIX}staging-"
TRASH_PREFIX = f"{TEMPORARY_PREFIX}trash-"


@dataclass
class UploadSession:
    """An upload in progress: bytes go to `temporary` until all `size` bytes arrived, then it becomes `target`."""

    id: str
    path: str
    target: Path
    temporary: Path
    size: int
    owner: str
    replacing: int = 0
    received: int = 0
    writing: bool = False
    touched: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "path": self.path,
            "size": self.size,
            "offset": self.received,
            "done": False,
            "owner": self.owner,
        }


class ChunkWriter:
    """Appends one request's bytes to an upload; `received` always equals the bytes safely in the file."""

    def __init__(self, store: SharedStore, session: UploadSession):
        self.store, self.session = store, session
        self.fd = os.open(session.temporary, os.O_WRONLY | os.O_APPEND)
        self.written = 0

    def write(self, data: bytes) -> None:
        session = self.session
        try:
            quota.check_received(session.size, session.received + len(data))
        except SharedDataError:
            self.close()
            self.store.cancel_upload(session.id)
            raise
        view = memoryview(data)
        while view:
            count = os.write(self.fd, view)
            view = view[count:]
            session.received += count
            self.written += count
        session.touched = time.monotonic()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            self.session.writing = False


class SharedStore:
    """The shared folder at `root` with its `quota_bytes`."""

    def __init__(self, root: str | Path, quota_bytes: int, *, abandoned_after: float = 24 * 3600):
        self.root = Path(os.path.realpath(root))
        self.root.mkdir(parents=True, exist_ok=True)
        self.quota_bytes = quota_bytes
        self.abandoned_after = abandoned_after
        self.uploads: dict[str, UploadSession] = {}
        self._targets: dict[Path, str] = {}

    # --- paths and reading -----------------------------------------------------------------

    def locate(self, path: str | bytes) -> Path:
        return resolve_inside(self.root, path)

    def existing(self, path: str | bytes) -> Path:
        location = self.locate(path)
        if not os.path.lexists(location):
            raise NotFound(f"`{'/'.join(relative_parts(path))}` does not exist (any more). Reload the folder.")
        return location

    def remove_temporaries(self) -> int:
        """Remove what a killed service left behind (partial uploads, unfinished pulls); returns how many."""
        removed = 0
        for folder, dirs, files in os.walk(self.root):
            for name in [*files, *dirs]:
                if name.startswith(TEMPORARY_PREFIX):
                    path = Path(folder) / name
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)
                    removed += 1
            dirs[:] = [d for d in dirs if not d.startswith(TEMPORARY_PREFIX)]
        return removed

    def used_bytes(self) -> int:
        total = 0
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if not d.startswith(TEMPORARY_PREFIX)]
            for name in files:
                try:
                    info = os.lstat(os.path.join(folder, name))
                except OSError:
                    continue  # removed while we walked
                if stat.S_ISREG(info.st_mode):
                    total += info.st_size
        return total

    def usage(self) -> quota.Usage:
        self.expire_abandoned_uploads()
        reserved = sum(s.size - s.replacing for s in self.uploads.values())
        return quota.Usage(used=self.used_bytes(), reserved=max(0, reserved), quota=self.quota_bytes)

    def entry(self, location: Path) -> dict:
        info = os.lstat(location)
        kind = "link" if stat.S_ISLNK(info.st_mode) else "folder" if stat.S_ISDIR(info.st_mode) else "file"
        if kind == "link" and location.is_dir():
            kind = "folder"
        return {
            "name": location.name,
            "path": shared_relative(self.root, location),
            "type": kind,
            "size": info.st_size if kind == "file" else None,
            "modified": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(info.st_mtime)),
        }

    def listing(self, path: str | bytes) -> dict:
        location = self.existing(path)
        if not location.is_dir():
            raise SharedDataError(f"`{shared_relative(self.root, location)}` is a file, not a folder.")
        entries = [
            self.entry(location / name)
            for name in sorted(os.listdir(location), key=str.casefold)
            if not name.startswith(TEMPORARY_PREFIX)
        ]
        entries.sort(key=lambda e: e["type"] != "folder")
        return {"path": shared_relative(self.root, location), "entries": entries}

    def file_for_download(self, path: str | bytes) -> Path:
        location = self.existing(path)
        if not location.is_file():
            raise SharedDataError(f"`{shared_relative(self.root, location)}` is a folder: open it to see its files.")
        return location

    # --- changes -----------------------------------------------------------------------------

    def make_folder(self, path: str | bytes) -> Path:
        if not relative_parts(path):
            raise AlreadyExists("The shared folder itself already exists: give the new folder a name.")
        location = self.locate(path)
        if os.path.lexists(location):
            raise AlreadyExists(f"`{shared_relative(self.root, location)}` already exists. Pick another name.")
        self._make_parents(location)
        location.mkdir()
        return location

    def _make_parents(self, location: Path) -> None:
        parent = location.parent
        for step in [*reversed(parent.relative_to(self.root).parents), parent.relative_to(self.root)]:
            folder = self.root / step
            if os.path.lexists(folder) and not folder.is_dir():
                raise AlreadyExists(f"`{step.as_posix()}` is a file, so it cannot hold other files.")
        parent.mkdir(parents=True, exist_ok=True)

    def move(self, source: str | bytes, destination: str | bytes) -> Path:
        """Rename or move `source` to `destination` (never over something existing)."""
        if not relative_parts(source):
            raise UnsafePath("The shared folder itself cannot be moved.")
        origin, target = self.existing(source), self.locate(destination)
        if not relative_parts(destination):
            raise AlreadyExists("The shared folder itself already exists: give the new name.")
        if os.path.lexists(target):
            raise AlreadyExists(f"`{shared_relative(self.root, target)}` already exists. Pick another name.")
        if origin.is_dir() and not origin.is_symlink() and (target == origin or origin in target.parents):
            raise UnsafePath("A folder cannot be moved into itself.")
        self._refuse_if_uploading(origin)
        self._make_parents(target)
        os.rename(origin, target)
        return target

    def delete(self, path: str | bytes) -> Path:
        """Delete a file or a whole folder; it disappears at once (renamed away, then removed)."""
        if not relative_parts(path):
            raise UnsafePath("The shared folder itself cannot be deleted; delete the files in it instead.")
        location = self.existing(path)
        self._refuse_if_uploading(location)
        if location.is_dir() and not location.is_symlink():
            trash = location.with_name(f"{TRASH_PREFIX}{secrets.token_hex(6)}")
            os.rename(location, trash)
            shutil.rmtree(trash)
        else:
            location.unlink()
        return location

    def _refuse_if_uploading(self, location: Path) -> None:
        for target in self._targets:
            if target == location or location in target.parents:
                raise Busy(
                    f"`{shared_relative(self.root, target)}` is being uploaded right now. Try again after it ends."
                )

    # --- uploads -----------------------------------------------------------------------------

    def expire_abandoned_uploads(self) -> list[str]:
        """Cancel uploads nobody sent bytes to for `abandoned_after` seconds (they hold quota and names)."""
        now = time.monotonic()
        abandoned = [s for s in self.uploads.values() if not s.writing and now - s.touched > self.abandoned_after]
        for session in abandoned:
            self.cancel_upload(session.id)
        return [session.path for session in abandoned]

    def begin_upload(self, path: str | bytes, size: int, owner: str, *, overwrite: bool = False) -> UploadSession:
        """Reserve room for `size` bytes at `path` (refused at once if it would pass the quota)."""
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise SharedDataError("The upload must say its size in bytes (a whole number, 0 or more).")
        if not relative_parts(path):
            raise UnsafePath("Give the uploaded file a name inside the shared folder.")
        target = self.locate(path)
        self.expire_abandoned_uploads()
        if target in self._targets:
            raise Busy(
                f"`{shared_relative(self.root, target)}` is already being uploaded (by "
                f"{self.uploads[self._targets[target]].owner}). Wait for it to finish, or cancel it."
            )
        replacing = 0
        if os.path.lexists(target):
            if target.is_dir() and not target.is_symlink():
                raise AlreadyExists(f"`{shared_relative(self.root, target)}` is a folder. Pick another name.")
            if not overwrite:
                raise AlreadyExists(
                    f"`{shared_relative(self.root, target)}` already exists. "
                    "Delete it first, or upload again choosing to replace existing files."
                )
            replacing = os.lstat(target).st_size
        quota.check_fits(self.usage(), size, replacing)
        self._make_parents(target)
        session_id = secrets.token_urlsafe(18)
        temporary = target.with_name(f"{UPLOAD_PREFIX}{session_id}")
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        session = UploadSession(
            session_id, shared_relative(self.root, target), target, temporary, size, owner, replacing
        )
        self.uploads[session_id] = session
        self._targets[target] = session_id
        return session

    def upload(self, session_id: str) -> UploadSession:
        session = self.uploads.get(session_id)
        if session is None:
            raise NotFound(
                "This upload is unknown: it finished, was cancelled, or the service restarted. Start the upload again."
            )
        return session

    def open_chunk(self, session_id: str, offset: int) -> ChunkWriter:
        """A writer for bytes starting at `offset`, which must be where the upload stands."""
        session = self.upload(session_id)
        if session.writing:
            raise Busy("Another request is sending bytes to this upload right now. Wait for it, then resume.")
        if offset != session.received:
            raise Busy(f"This upload stands at byte {session.received}, not {offset}: resume from there.")
        session.writing = True
        session.touched = time.monotonic()
        return ChunkWriter(self, session)

    def finish_upload(self, session_id: str) -> Path:
        """Move a complete upload into place (atomic rename in the same folder)."""
        session = self.upload(session_id)
        if session.received != session.size:
            raise SharedDataError(f"The upload has {session.received} of {session.size} bytes: send the rest first.")
        fd = os.open(session.temporary, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(session.temporary, session.target)
        self._forget(session)
        return session.target

    def cancel_upload(self, session_id: str) -> None:
        session = self.upload(session_id)
        session.temporary.unlink(missing_ok=True)
        self._forget(session)

    def _forget(self, session: UploadSession) -> None:
        self.uploads.pop(session.id, None)
        self._targets.pop(session.target, None)

    # --- staged content (pulls) ----------------------------------------------------------------

    def staging_area(self, into: str | bytes) -> Path:
        """A fresh temporary folder inside `into` (same disk, so placing it is one rename)."""
        folder = self.locate(into)
        if os.path.lexists(folder) and not folder.is_dir():
            raise AlreadyExists(f"`{shared_relative(self.root, folder)}` is a file, not a folder.")
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
        staging.mkdir()
        return staging

    def place(self, staged: Path, path: str | bytes, *, replace: bool = False) -> Path:
        """Put staged content at `path`; with `replace`, whatever was there goes away in the same step."""
        target = self.locate(path)
        self._refuse_if_uploading(target)
        if os.path.lexists(target) and not replace:
            raise AlreadyExists(
                f"`{shared_relative(self.root, target)}` already exists. Pick another name, or choose to replace it."
            )
        if os.path.lexists(target):
            trash = target.with_name(f"{TRASH_PREFIX}{secrets.token_hex(6)}")
            os.rename(target, trash)
            os.rename(staged, target)
            if trash.is_dir() and not trash.is_symlink():
                shutil.rmtree(trash)
            else:
                trash.unlink()
        else:
            os.rename(staged, target)
        return target
