"""The shared folder on disk: browse, folders, move, delete, and atomic resumable uploads. Knows files, not HTTP.

Every change lands atomically: new content is written to a temporary (named `.hubextras-…`, hidden from
listings) in the same folder and renamed into place, so readers see the old file or the whole new one, never
a part. Temporaries left by a killed service are removed when the store opens.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import quota
from .errors import AlreadyExists, Busy, NotFound, NotYours, SharedDataError, UnsafePath
from .paths import (
    TEMPORARY_PREFIX,
    check_link_target,
    check_name,
    decode_path,
    relative_parts,
    resolve_inside,
    shared_relative,
)

UPLOAD_PREFIX = f"{TEMPORARY_PREFIX}upload-"
STAGING_PREFIX = f"{TEMPORARY_PREFIX}staging-"
TRASH_PREFIX = f"{TEMPORARY_PREFIX}trash-"


@dataclass
class UploadSession:
    """An upload in progress: bytes go to `temporary` until all `size` bytes arrived, then it becomes `target`.

    The target's folder (`folder_fd`) and the temporary (`file_fd`) stay open from start to finish: bytes are
    written to the file the upload made, wherever links or renames point its name meanwhile; every piece checks
    that the name still is that file, and the finish links that very file into its folder (`SharedStore.finish_upload`).
    """

    id: str
    path: str
    target: Path
    temporary: Path
    size: int
    owner: str
    folder_fd: int
    file_fd: int
    overwrite: bool = False
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
        store._check_temporary(session)
        self.fd = session.file_fd
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

    def _open_folder(self, location: Path) -> int:
        """A descriptor of the folder `location` (below the root), opened step by step, following no link."""
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for step in location.relative_to(self.root).parts:
                inner = os.open(step, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = inner
        except OSError:
            os.close(fd)
            raise Busy(
                f"`{shared_relative(self.root, location)}` was moved, removed or replaced by a link while the "
                "service was using it. Reload the folder and try again."
            ) from None
        return fd

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
            "name": readable(location.name),
            "path": readable(shared_relative(self.root, location)),
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
        self._refuse_if_uploading(location)
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
        self._refuse_if_uploading(target)
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
        folder_fd = self._open_folder(target.parent)
        try:
            file_fd = os.open(
                temporary.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=folder_fd
            )
        except OSError:
            os.close(folder_fd)
            raise
        session = UploadSession(
            session_id,
            shared_relative(self.root, target),
            target,
            temporary,
            size,
            owner,
            folder_fd,
            file_fd,
            overwrite,
            replacing,
        )
        self.uploads[session_id] = session
        self._targets[target] = session_id
        return session

    def upload(self, session_id: str, user: str | None = None, *, anyones: bool = False) -> UploadSession:
        """The upload `session_id`; given `user`, only theirs unless `anyones` (an admin may act on any upload)."""
        session = self.uploads.get(session_id)
        if session is None:
            raise NotFound(
                "This upload is unknown: it finished, was cancelled, or the service restarted. Start the upload again."
            )
        if user is not None and session.owner != user and not anyones:
            raise NotYours(f"This upload belongs to {session.owner}; only they (or a hub admin) may see or change it.")
        return session

    @staticmethod
    def _is_ours(session: UploadSession, name: str) -> bool:
        """Whether `name` in the upload's folder is (still) the upload's own file, not a link or another file."""
        try:
            info = os.stat(name, dir_fd=session.folder_fd, follow_symlinks=False)
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode) and os.path.samestat(info, os.fstat(session.file_fd))

    def _check_temporary(self, session: UploadSession) -> None:
        """The temporary's name must still be the upload's file holding what it received; else 409, and the
        upload is cancelled (something other than this service changed it)."""
        if self._is_ours(session, session.temporary.name) and os.fstat(session.file_fd).st_size == session.received:
            return
        session.writing = False
        self.cancel_upload(session.id)
        raise Busy(
            f"The partial upload of `{session.path}` was changed or replaced by something other than this "
            "service, so the upload was stopped and removed. Start the upload again."
        )

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

    @staticmethod
    def upload_flusher(session: UploadSession):
        """A function writing the upload's bytes to the disk, safe to run in a thread: it holds a copy of the upload's
        descriptor (made now), which a cancel meanwhile cannot close. `finish_upload` then has little left to sync."""
        fd = os.dup(session.file_fd)

        def flush() -> None:
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

        return flush

    def finish_upload(self, session_id: str) -> Path:
        """Move a complete upload into place, in its folder as it was at the start (one rename or link there).

        Without `overwrite`, whatever appeared at the target meanwhile is never replaced: 409, and the upload
        waits (delete or rename what is in the way, then finish again) or is cancelled.
        """
        session = self.upload(session_id)
        if session.received != session.size:
            raise SharedDataError(f"The upload has {session.received} of {session.size} bytes: send the rest first.")
        moved = None
        try:
            current = self._open_folder(session.target.parent)
        except Busy as gone:
            moved = gone
        else:
            same = os.path.samestat(os.fstat(current), os.fstat(session.folder_fd))
            os.close(current)
            if not same:
                moved = Busy(f"`{shared_relative(self.root, session.target.parent)}` was replaced while uploading.")
        if moved is not None:
            self.cancel_upload(session_id)
            raise Busy(f"{moved} The upload of `{session.path}` was stopped and removed: start it again.")
        self._check_temporary(session)
        os.fsync(session.file_fd)
        in_the_way = AlreadyExists(
            f"`{session.path}` appeared while the upload was running. Delete or rename it, then finish the upload "
            f"again (send no bytes at offset {session.size}), or cancel the upload."
        )
        try:
            self._link_into_place(session)
        except (FileExistsError, IsADirectoryError, NotADirectoryError):
            raise in_the_way from None
        except OSError as failure:
            if failure.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise in_the_way from None
            raise
        if self._is_ours(session, session.temporary.name):
            os.unlink(session.temporary.name, dir_fd=session.folder_fd)
        self._forget(session)
        return session.target

    def _link_into_place(self, session: UploadSession) -> None:
        """Give the upload's own file (its open descriptor, not a name that could have been swapped) the target's
        name: a new hard link, which fails if the name exists; with `overwrite`, a link under a fresh name renamed
        over the target, then checked."""
        folder, name = session.folder_fd, session.target.name
        if not session.overwrite:
            self._link_descriptor(session, name)
            return
        final = f"{session.temporary.name}-final"
        self._link_descriptor(session, final)
        os.replace(final, name, src_dir_fd=folder, dst_dir_fd=folder)
        if not self._is_ours(session, name):  # `final` was swapped in the instant between: undo what landed
            os.unlink(name, dir_fd=folder)
            raise Busy(f"`{session.path}` was changed by something other than this service while finishing.")

    def _link_descriptor(self, session: UploadSession, name: str) -> None:
        try:
            os.link(f"/proc/self/fd/{session.file_fd}", name, dst_dir_fd=session.folder_fd, follow_symlinks=True)
        except OSError as failure:
            if failure.errno not in (errno.ENOENT, errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            # no /proc, or a file system without hard links: by name, checked first
            if os.path.lexists(f"/proc/self/fd/{session.folder_fd}/{name}") or not self._is_ours(
                session, session.temporary.name
            ):
                raise FileExistsError(name) from None
            os.rename(session.temporary.name, name, src_dir_fd=session.folder_fd, dst_dir_fd=session.folder_fd)

    def cancel_upload(self, session_id: str) -> None:
        session = self.upload(session_id)
        if self._is_ours(session, session.temporary.name):
            os.unlink(session.temporary.name, dir_fd=session.folder_fd)
        self._forget(session)

    def _forget(self, session: UploadSession) -> None:
        if self.uploads.pop(session.id, None) is not None:
            os.close(session.file_fd)
            os.close(session.folder_fd)
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
        """Put staged content at `path`; with `replace`, whatever was there goes away in the same step.

        The content is held to the rules of everything else in the shared folder first (`check_staged`).
        """
        target = self.locate(path)
        check_staged(staged, "/".join(relative_parts(path)))
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


def readable(name: str) -> str:
    """A name as text a page can show, even if something other than the service gave it bytes that are not UTF-8
    (those show as `�`; the service refuses to make such names)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def check_staged(staged: Path, shown_as: str) -> None:
    """Refuse staged content (a clone, an unpacked archive, a download) holding what an upload could not make:
    names the store refuses or that are not UTF-8, links that do not point down into their own folder
    (`paths.check_link_target`), devices, pipes and sockets. `shown_as` is where it would be placed."""

    def refuse(relative: bytes, why: str) -> UnsafePath:
        where = "/".join(filter(None, [shown_as, relative.decode("utf-8", "backslashreplace")]))
        return UnsafePath(f"`{where[:200]}` {why} Nothing was placed.")

    def judge(folder: bytes, name: bytes) -> None:
        location = os.path.join(folder, name)
        relative = os.path.relpath(location, bytes(staged))
        try:
            check_name(decode_path(name))
        except UnsafePath as refusal:
            raise refuse(relative, f"has a name the shared folder refuses: {refusal}") from None
        info = os.lstat(location)
        if stat.S_ISLNK(info.st_mode):
            try:
                check_link_target(relative.decode("utf-8"), os.readlink(location))
            except UnsafePath as refusal:
                raise refuse(relative, f"is refused: {refusal}") from None
        elif not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            raise refuse(relative, "is a device, pipe or socket, not a file or folder.")

    top = os.lstat(staged).st_mode
    if not (stat.S_ISREG(top) or stat.S_ISDIR(top)):
        raise refuse(b"", "is not a file or folder.")
    if not stat.S_ISDIR(top):
        return
    for folder, dirs, files in os.walk(bytes(staged)):
        for name in [*dirs, *files]:
            judge(folder, name)
