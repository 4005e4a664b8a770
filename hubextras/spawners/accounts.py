"""One system account per person on one machine: safe names, creation with `useradd`, who may read what.

The names and the access rules are pure (`account_name`, `may_access`); `ensure_account` and
`unreadable_part` are the thin I/O around them.
"""

from __future__ import annotations

import asyncio
import grp
import hashlib
import os
import pwd
import re
import stat
from dataclasses import dataclass
from pathlib import Path

# Debian's default NAME_REGEX for useradd, and the longest name `ps`/`ls` show whole
ACCOUNT_NAME = re.compile(r"[a-z_][a-z0-9_-]*")
MAX_ACCOUNT_NAME = 32
HASH_SUFFIX = 7  # "-" and 6 hex digits


class AccountError(Exception):
    """An account that cannot be used; the message says why and what to do."""


def account_name(template: str, username: str) -> str:
    """The system account of hub user `username`: `template` with `{username}` filled in.

    A username that is not a safe account name as it is (upper case, dots, `@`, too long) is
    turned into one, with 6 hex digits of its hash appended so that two usernames never share
    an account. Raises ValueError when the template cannot give a valid name.
    """
    if "{username}" not in template:
        raise ValueError(
            f"The account template {template!r} must contain {{username}}, for example 'jupyter-{{username}}'."
        )
    safe = re.sub(r"[^a-z0-9_-]", "-", username.lower())
    name = template.format(username=safe)
    if safe == username and len(name) <= MAX_ACCOUNT_NAME and ACCOUNT_NAME.fullmatch(name):
        return name
    digest = hashlib.sha256(username.encode()).hexdigest()[:6]
    name = f"{name[: MAX_ACCOUNT_NAME - HASH_SUFFIX]}-{digest}"
    if not ACCOUNT_NAME.fullmatch(name):
        raise ValueError(
            f"The account template {template!r} gives {name!r} for {username!r}, which is not a valid account name: "
            "start it with a lower-case letter, for example 'jupyter-{username}'."
        )
    return name


@dataclass(frozen=True)
class Account:
    """A system account a server runs as."""

    name: str
    uid: int
    gid: int
    home: str
    groups: tuple[int, ...]


def lookup(name: str) -> Account | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return Account(name, entry.pw_uid, entry.pw_gid, entry.pw_dir, tuple(os.getgrouplist(name, entry.pw_gid)))


def check_usable(account: Account, min_uid: int) -> None:
    """Refuse root, the hub's own account and system accounts."""
    if account.uid == 0 or account.uid == os.geteuid() or account.uid < min_uid:
        raise AccountError(
            f"The account {account.name} (uid {account.uid}) is root, the hub's own account or a system account "
            f"(uid below {min_uid}): servers never run as those. Ask the hub's operator to change the account template."
        )


# useradd and groupadd lock /etc/passwd and /etc/group: one at a time
_accounts_lock = asyncio.Lock()


async def _run(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        raise AccountError(f"`{' '.join(command)}` failed: {err.decode(errors='replace').strip()}")


async def ensure_account(name: str, home: str, *, create: bool, comment: str, min_uid: int) -> Account:
    """The account `name`, made with `useradd` (home `home`) when missing and `create` is true."""
    account = lookup(name)
    if account is None:
        if not create:
            raise AccountError(
                f"There is no system account {name} for you on this machine, and this hub only uses existing "
                "accounts. Ask the hub's operator to create it."
            )
        async with _accounts_lock:
            if lookup(name) is None:
                # the comment (GECOS) field takes no colons, commas or control characters
                await _run("useradd", "--home-dir", home, "--no-create-home", "--shell", "/bin/bash",
                           "--user-group", "--comment", re.sub(r"[^\w .@-]", "_", comment), name)
        account = lookup(name)
        if account is None:
            raise AccountError(f"useradd reported success but the account {name} does not exist.")
    check_usable(account, min_uid)
    return account


async def ensure_group(name: str) -> int:
    """The gid of group `name`, made with `groupadd` when missing."""
    async with _accounts_lock:
        try:
            return grp.getgrnam(name).gr_gid
        except KeyError:
            await _run("groupadd", name)
    return grp.getgrnam(name).gr_gid


def prepare_home(home: str, account: Account) -> bool:
    """`home` exists, is a real folder, mode 0700, owned by the account, or (True) still owned by the
    hub's account: made by an older, root-run hubextras, to be handed over with `hand_over_home`."""
    path = Path(home)
    path.mkdir(parents=True, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise AccountError(f"The home folder {home} is not a folder. Ask the hub's operator to look at it.")
    if info.st_uid not in (account.uid, os.geteuid()):
        raise AccountError(
            f"The home folder {home} belongs to another account (uid {info.st_uid}). "
            "Ask the hub's operator to look at it."
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return info.st_uid != account.uid


def hand_over_home(home: str, account: Account) -> None:
    """Give the account its home and everything in it (links themselves, never what they point to)."""
    for root, dirs, files in os.walk(home):
        for entry in dirs + files:
            os.lchown(os.path.join(root, entry), account.uid, account.gid)
    os.lchown(home, account.uid, account.gid)


# -- who may read what (pure) ------------------------------------------------------------------


def may_access(mode: int, owner: int, group: int, uid: int, gids: frozenset[int], want: int) -> bool:
    """Whether `uid` (in `gids`) has the permission bits `want` (4 read, 2 write, 1 execute) on a file
    with `mode`, `owner` and `group`, as the kernel decides for a non-root process without ACLs."""
    if uid == 0:
        return True
    if uid == owner:
        bits = (mode >> 6) & 7
    elif group in gids:
        bits = (mode >> 3) & 7
    else:
        bits = mode & 7
    return bits & want == want


def _paths_to_check(path: Path) -> list[tuple[Path, int]]:
    """Every folder to pass through (execute) and the file itself (read and execute), along the
    path as written and along the real path behind its links."""
    checks: list[tuple[Path, int]] = []
    for target in dict.fromkeys([path, Path(os.path.realpath(path))]):
        checks += [(parent, 1) for parent in reversed(target.parents)]
        checks.append((target, 5))
    return checks


def unreadable_part(program: str, account: Account) -> str | None:
    """The first file or folder that keeps `account` from running `program` (and the interpreter its
    `#!` line names), or None when the account can run it."""
    gids = frozenset(account.groups) | {account.gid}
    programs = [Path(program)]
    try:
        with open(program, "rb") as f:
            first = f.readline(512)
        if first.startswith(b"#!"):
            interpreter = first[2:].decode(errors="replace").split()
            if interpreter and interpreter[0].startswith("/"):
                programs.append(Path(interpreter[0]))
    except OSError:
        return program
    for candidate in programs:
        for path, want in _paths_to_check(candidate):
            try:
                info = os.stat(path)
            except OSError:
                return str(path)
            if not may_access(info.st_mode, info.st_uid, info.st_gid, account.uid, gids, want):
                return str(path)
    return None
