"""`profiles-local`: the same profiles on one machine (the embedded default and the demo's spawner).

When the hub runs as root, each person's server runs as their own system account
(`account_template`, made with `useradd` on first start), home mode 0700, in a cgroup of its
own that holds `mem_limit` and `cpu_limit` for every process the server forks (cgroup v2, else
v1). Where no cgroup hierarchy is writable, sizes fall back to CPU affinity and an address-space
rlimit per process, with a warning. Without root nothing is isolated, and the hub says so.
Images map to local environments: a prefix holding `bin/jupyterhub-singleuser` that every
account can read and run (see `python -m hubextras.spawners.user_env`).
"""

from __future__ import annotations

import asyncio
import math
import os
import pwd
import resource
import shlex
import shutil
import stat
import sys
import zlib
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from tornado import web
from traitlets import Bool, Dict, Float, Integer, TraitError, Unicode, default, validate

from ..profiles.engine import ProfileChoiceError, normalize_profile_list
from ..profiles.form import format_bytes
from . import ProfilesSpawner, _hub_extras, profile_error, unknown_override_keys
from .accounts import (
    Account,
    AccountError,
    account_name,
    ensure_account,
    ensure_group,
    hand_over_home,
    prepare_home,
    unreadable_part,
)
from .cgroups import Hierarchy, Limits, ServerCgroup, cgroup_name, find_hierarchy
from .home_usage import HomeUsage, over_quota_message, usage_line

USER_ENV_PREFIX = "/opt/hubextras/user-env"
OOM_EXIT_STATUS = 137  # what a shell reports for a process killed by SIGKILL


def total_memory() -> int:
    """Physical memory of this machine, in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def cpu_set(cpu_limit: float | None, available: list[int], key: str) -> set[int] | None:
    """The CPUs for a server: `ceil(cpu_limit)` of `available` (at least one), starting at a place
    picked from `key` so that servers spread over the machine. None: no limit."""
    if not cpu_limit or not available:
        return None
    count = max(1, min(len(available), math.ceil(cpu_limit)))
    start = zlib.crc32(key.encode()) % len(available)
    rotated = available[start:] + available[:start]
    return set(rotated[:count])


def memory_limit(mem_limit: int | None, cap: int) -> int | None:
    """The memory limit for a server: the profile's `mem_limit`, at most `cap`. None: no limit."""
    if not mem_limit:
        return None
    return min(int(mem_limit), cap) if cap else int(mem_limit)


def out_of_memory_message(limit: int | None) -> str:
    """What the home page says about a server stopped for running out of memory."""
    size = f"its {format_bytes(limit)} of memory" if limit else "all the memory it may have"
    return f"Your server used {size} and was stopped. Choose a larger size or use less memory."


def enforcement_report(as_root: bool, hierarchy: int | None, hub_user: str) -> list[str]:
    """What the one-machine hub enforces, one plain sentence each (logged at startup, shown on the form)."""
    if as_root:
        lines = ["Each person's server runs as their own system account, with a home only they can read."]
    else:
        lines = [
            f"This hub does not run as root: every server runs as the hub's own account ({hub_user}) and nothing "
            "is isolated: people can read and change each other's files, the shared folder and the hub's state."
        ]
    if hierarchy:
        lines.append(f"Memory and CPU sizes hold for the whole server (cgroup v{hierarchy}).")
    else:
        lines.append(
            "No cgroup hierarchy is writable: memory is an address-space limit per process and CPUs are an "
            "affinity, which a server can escape by forking or widening its own affinity."
        )
    return lines


def hub_state_paths(config, cwd: str) -> list[Path]:
    """Files and folders of the hub's own state: database, cookie secret, pid file, services' data folders."""
    from ..config import configured

    hub = config.JupyterHub
    names = []
    db_url = configured(hub, "db_url", "sqlite:///jupyterhub.sqlite")
    if db_url.startswith("sqlite:///"):
        db = db_url[len("sqlite:///"):]
        names += [db, f"{db}-journal", f"{db}-wal", f"{db}-shm"]
    names += [configured(hub, "cookie_secret_file", "jupyterhub_cookie_secret"),
              configured(hub, "pid_file", "") or "jupyterhub.pid"]
    for service in configured(hub, "services", []):
        for arg in service.get("command") or []:
            key, _, value = str(arg).partition("=")
            if key.startswith("--") and key.endswith(("data_dir", "audit_log")) and value:
                names.append(value)
    return [Path(cwd, name) for name in names]


def protect_hub_state(paths: list[Path]) -> None:
    """Take every permission of group and others off the hub's state (links are left alone)."""
    for path in paths:
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISLNK(info.st_mode) and info.st_mode & 0o077:
            os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)


class ProfilesLocalSpawner(ProfilesSpawner, SimpleLocalProcessSpawner):
    """Profiles on one machine; as root, servers run as people's own accounts, in their own cgroups."""

    image = Unicode(
        "",
        config=True,
        help="Image of the server (set by profiles' `image` overrides); picks its local environment (`environments`).",
    )

    environments = Dict(
        {},
        config=True,
        help="""Local environments by image: `{image: prefix}` where `prefix/bin/jupyterhub-singleuser`
        exists, for example `{"quay.io/jupyter/datascience-notebook:2024-05-27": "/opt/envs/datascience"}`.
        Every person's account must be able to read and run it (a venv of a system Python in a
        world-readable folder, not one under /root).""",
    )

    default_environment = Unicode(
        config=True,
        help=f"""Environment prefix for images not in `environments` (and when no image is chosen).
        Default: {USER_ENV_PREFIX} when it holds `bin/jupyterhub-singleuser` (made by
        `python -m hubextras.spawners.user_env`), else the hub's own environment.
        Empty: refuse unmapped images with a 400.""",
    )

    @default("default_environment")
    def _default_environment_default(self):
        if os.access(Path(USER_ENV_PREFIX, "bin", "jupyterhub-singleuser"), os.X_OK):
            return USER_ENV_PREFIX
        return sys.prefix

    memory_cap_fraction = Float(
        0.5,
        config=True,
        help="""Most memory one server may have, as a share of this machine's memory: a profile's
        `mem_limit` above it is lowered to it (so "Large: 512 GB" works on a laptop). 0: no cap.""",
    )

    account_template = Unicode(
        "jupyter-{username}",
        config=True,
        help="""System account of each person when the hub runs as root: `{username}` is the hub
        username, made safe for `useradd` (lower case letters, digits, `-` and `_`; a username that
        needs changing, or is too long, gets 6 hex digits of its hash appended). Root, the hub's
        account and accounts below `min_account_uid` are never used.""",
    )

    @validate("account_template")
    def _valid_account_template(self, proposal):
        try:
            account_name(proposal["value"], "alice")
        except ValueError as e:
            raise TraitError(str(e)) from None
        return proposal["value"]

    create_accounts = Bool(
        True,
        config=True,
        help="""Create a missing account with `useradd` on the person's first start (its home at
        `account_home_template`). False: use existing accounts only (their own home); a person
        without one is told to ask the operator.""",
    )

    account_home_template = Unicode(
        "/home/{account}",
        config=True,
        help="""Home of created accounts: `{account}` is the account name, `{username}` the hub username.
        Homes are owned by the account, mode 0700; their parent folder must be one every account can pass through.""",
    )

    min_account_uid = Integer(
        1000, config=True, help="Lowest uid a server may run as: system accounts below it are refused."
    )

    cgroup_root = Unicode(
        "/sys/fs/cgroup",
        config=True,
        help="""Where the cgroup hierarchies are mounted. Servers get cgroup v2 where the unified
        hierarchy (`unified/` or the root itself) offers the memory and cpu controllers and is writable,
        else cgroup v1 (`memory/` and `cpu/`), else no cgroup (affinity and rlimit, with a warning).""",
    )

    cgroup_parent = Unicode(
        "hubextras", config=True, help="Folder of the hierarchy holding one cgroup per server (made if missing)."
    )

    shared_writers_group = Unicode(
        "",
        config=True,
        help="""A system group (made if missing) that owns the shared folder with write permission:
        champions' servers run with it and get `~/shared-readwrite`. Empty: nobody's server may
        write the shared folder; champions change it through the shared-data service.""",
    )

    home_usage_max_age = Float(300, config=True, help="Seconds a measured home size is reused before a new scan.")

    home_usage_scan_seconds = Float(
        10, config=True, help="Longest one scan of a home may take; a longer scan reports 'more than' what it found."
    )

    home_usage_start_wait = Float(
        2, config=True, help="Seconds a start waits for a fresh home size before using the last one measured."
    )

    _warned_override_keys: set[str] = set()
    _hierarchies: dict[tuple[str, str], Hierarchy | None] = {}
    _home_usage: HomeUsage | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shared_champion = False
        self._account: Account | None = None
        self._cgroup: ServerCgroup | None = None
        self._stop_reason = ""
        self._extra_gids: tuple[int, ...] = ()
        self._warn_kubernetes_only_keys()

    def _warn_kubernetes_only_keys(self) -> None:
        if callable(self.profile_list):
            return
        try:
            keys = unknown_override_keys(normalize_profile_list(self.profile_list), self.usable_override_key)
        except ValueError:
            return
        new = keys - ProfilesLocalSpawner._warned_override_keys
        if new:
            ProfilesLocalSpawner._warned_override_keys |= new
            self.log.warning(
                "profiles-local ignores these profile override keys, which only mean something on Kubernetes: %s",
                ", ".join(sorted(new)),
            )

    # -- who the server runs as -----------------------------------------------------------

    @property
    def isolated(self) -> bool:
        """Servers run as people's own accounts (the hub runs as root)."""
        return os.geteuid() == 0

    @property
    def account_name(self) -> str:
        return account_name(self.account_template, self.user.name)

    @default("home_dir")
    def _isolated_home_dir(self):
        if self.isolated:
            return self.account_home_template.format(account=self.account_name, username=self.user.name)
        return self.home_dir_template.format(username=self.user.name)

    async def ensure_server_account(self) -> Account:
        try:
            account = await ensure_account(
                self.account_name, self.home_dir, create=self.create_accounts,
                comment=f"hubextras user {self.user.name}", min_uid=self.min_account_uid,
            )
        except AccountError as e:
            raise web.HTTPError(500, str(e)) from None
        if not self.create_accounts:
            self.home_dir = account.home
        try:
            if prepare_home(self.home_dir, account):
                await asyncio.to_thread(hand_over_home, self.home_dir, account)
        except AccountError as e:
            raise web.HTTPError(500, str(e)) from None
        return account

    # -- sizes --------------------------------------------------------------------------

    def memory_cap(self) -> int:
        return int(total_memory() * self.memory_cap_fraction) if self.memory_cap_fraction else 0

    def server_cpus(self) -> set[int] | None:
        return cpu_set(self.cpu_limit, sorted(os.sched_getaffinity(0)), self.user.name)

    def server_memory(self) -> int | None:
        return memory_limit(self.mem_limit, self.memory_cap())

    def server_limits(self) -> Limits:
        cpus = len(os.sched_getaffinity(0))
        return Limits(
            mem_limit=self.server_memory(),
            cpu_limit=min(self.cpu_limit, cpus) if self.cpu_limit else None,
            mem_guarantee=self.mem_guarantee or None,
            cpu_guarantee=self.cpu_guarantee or None,
        )

    def cgroup_hierarchy(self) -> Hierarchy | None:
        """The writable hierarchy for servers' cgroups (looked for once per root and parent)."""
        key = (self.cgroup_root, self.cgroup_parent)
        if key not in ProfilesLocalSpawner._hierarchies:
            ProfilesLocalSpawner._hierarchies[key] = find_hierarchy(*key)
        return ProfilesLocalSpawner._hierarchies[key]

    def enforcement(self) -> list[str]:
        hierarchy = self.cgroup_hierarchy()
        return enforcement_report(self.isolated, hierarchy.version if hierarchy else None,
                                  pwd.getpwuid(os.geteuid()).pw_name)

    # -- home size ----------------------------------------------------------------------

    def home_usage(self) -> HomeUsage:
        if ProfilesLocalSpawner._home_usage is None:
            ProfilesLocalSpawner._home_usage = HomeUsage(self.home_usage_max_age, self.home_usage_scan_seconds)
        return ProfilesLocalSpawner._home_usage

    def home_usage_note(self) -> str:
        """The home size line (from the last background scan; empty before the first one)."""
        if not os.path.isdir(self.home_dir):
            return ""
        usage = self.home_usage().cached(self.home_dir)
        return usage_line(usage, _hub_extras(self).home_quota_bytes) if usage else ""

    def hubextras_home_notes(self) -> list[str]:
        """What the home page says about this server: why it stopped, and the home's size."""
        notes = [self._stop_reason] if self._stop_reason and not self.active else []
        return notes + [note for note in [self.home_usage_note()] if note]

    def profile_form_notes(self) -> str:
        cap = self.memory_cap()
        sizes = (
            f"This hub runs on one machine: a server gets at most {len(os.sched_getaffinity(0))} CPUs"
            + (f" and {format_bytes(cap)} of memory" if cap else "")
            + ", whatever its size says."
        )
        return " ".join([sizes, *self.enforcement(), self.home_usage_note()]).strip()

    async def refuse_start_over_home_quota(self) -> None:
        quota = _hub_extras(self).home_quota_bytes
        if not quota or not os.path.isdir(self.home_dir):
            return
        usage = await self.home_usage().fresh(self.home_dir, self.home_usage_start_wait)
        message = usage and over_quota_message(usage, quota, self.home_dir)
        if message:
            error = web.HTTPError(403, message)
            error.jupyterhub_message = message
            raise error

    # -- environments -------------------------------------------------------------------

    def environment_prefix(self) -> str:
        prefix = self.environments.get(self.image) if self.image else None
        prefix = prefix or self.default_environment
        if not prefix:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ProfileChoiceError(
                f"The image '{self.image}' is not available on this machine. Images available here: {known}."
            )
        return prefix

    async def apply_profile_options(self, user_options):
        selection = await super().apply_profile_options(user_options)
        try:
            self.environment_prefix()
        except ProfileChoiceError as e:
            raise profile_error(e) from None
        await self.refuse_start_over_home_quota()
        return selection

    async def apply_shared_dir(self, champion: bool) -> None:
        # The folders are made in start(): nothing is created for a refused request.
        self._shared_champion = champion

    def environment_command(self, cmd: list[str]) -> list[str]:
        """`cmd` run from the chosen environment: its `bin/` holds the program when `cmd` names one."""
        bin_dir = Path(self.environment_prefix()) / "bin"
        program = cmd[0] if cmd else "jupyterhub-singleuser"
        if "/" not in program and os.access(bin_dir / program, os.X_OK):
            return [str(bin_dir / program), *cmd[1:]]
        if not cmd:
            raise RuntimeError(f"No {bin_dir / program}: install jupyterhub in the environment of '{self.image}'.")
        return cmd

    def check_environment_runs_as(self, account: Account) -> None:
        """Refuse, saying what is closed, a server program the account cannot read and run."""
        program = self.cmd[0] if self.cmd else ""
        if "/" not in program:
            program = shutil.which(program, path=self.get_env().get("PATH")) or ""
        blocked = unreadable_part(program, account) if program else None
        if blocked:
            raise RuntimeError(
                f"The environment {program} is not readable by account {account.name} ({blocked} is closed to it). "
                "Ask the hub's operator to use an environment every account can run "
                f"(python -m hubextras.spawners.user_env makes one at {USER_ENV_PREFIX})."
            )

    # -- shared folder ------------------------------------------------------------------

    async def prepare_shared_dir(self) -> None:
        """Make `~/shared` a link to the shared folder (and `~/shared-readwrite` for champions who may write it)."""
        shared = Path(_hub_extras(self).shared_dir)
        home = Path(self.home_dir)
        home.mkdir(parents=True, exist_ok=True)
        shared.mkdir(parents=True, exist_ok=True)
        self._extra_gids = ()
        writable = self._shared_champion and not self.isolated
        if self.isolated and self.shared_writers_group:
            gid = await ensure_group(self.shared_writers_group)
            info = os.stat(shared)
            if info.st_gid != gid or stat.S_IMODE(info.st_mode) != 0o2775:
                os.chown(shared, -1, gid)
                os.chmod(shared, 0o2775)
            if self._shared_champion:
                self._extra_gids, writable = (gid,), True
        self._link(home / "shared", shared)
        self._link(home / "shared-readwrite", shared if writable else None)

    @staticmethod
    def _link(link: Path, target: Path | None) -> None:
        # only links are replaced: a person's own file or folder of that name stays
        if link.is_symlink():
            link.unlink()
        if target is not None and not link.exists():
            try:
                link.symlink_to(target, target_is_directory=True)
            except FileExistsError:
                pass

    # -- starting and stopping ----------------------------------------------------------

    def get_args(self):
        # never --allow-root: as root, servers run as people's accounts
        return [arg for arg in super().get_args() if arg != "--allow-root"]

    def get_env(self):
        env = super().get_env()
        env["PATH"] = os.pathsep.join([str(Path(self.environment_prefix()) / "bin"), env.get("PATH", os.defpath)])
        return env

    def user_env(self, env):
        env = super().user_env(env)
        if self._account is not None:
            env["USER"] = env["LOGNAME"] = self._account.name
        return env

    def make_preexec_fn(self, name):
        home = self.home_dir
        account = self._account
        procs_files = self._cgroup.procs_files() if self._cgroup else []
        cpus, memory = (None, None) if self._cgroup else (self.server_cpus(), self.server_memory())
        groups = tuple(dict.fromkeys((*account.groups, *self._extra_gids))) if account else ()
        umask = 0o002 if self._extra_gids else None  # files champions write in the shared folder stay group-writable

        def preexec():
            for path in procs_files:  # while still root: the cgroup's files belong to root
                fd = os.open(path, os.O_WRONLY)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
            if cpus:
                os.sched_setaffinity(0, cpus)
            if memory:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            if account:
                os.setgid(account.gid)
                os.setgroups(list(groups))
                os.setuid(account.uid)
            if umask is not None:
                os.umask(umask)
            os.chdir(home)

        return preexec

    async def start(self):
        if not self._profile_applied:
            await self.apply_profile_options(self.user_options)
        self.remember_profile_baseline("cmd")
        self.cmd = self.environment_command(list(self.cmd))
        self._stop_reason = ""
        if self.isolated:
            self._account = await self.ensure_server_account()
            protect_hub_state(hub_state_paths(self.config, os.getcwd()))
            self.check_environment_runs_as(self._account)
        await self.prepare_shared_dir()
        await self._remove_cgroup()  # one left from a server that died while the hub was down
        hierarchy = self.cgroup_hierarchy()
        if hierarchy is not None:
            self._cgroup = ServerCgroup(hierarchy, cgroup_name(self.user.name, self.name))
            self._cgroup.create(self.server_limits())
        limits = self.server_limits()
        self.log.info(
            "Starting %s as %s in %s (%s), CPUs %s, memory %s: %s",
            self._log_name, self._account.name if self._account else pwd.getpwuid(os.geteuid()).pw_name,
            self.environment_prefix(), f"cgroup v{hierarchy.version}" if hierarchy else "affinity and rlimit",
            limits.cpu_limit or "all", format_bytes(limits.mem_limit) if limits.mem_limit else "no limit",
            shlex.join(self.cmd),
        )
        try:
            return await super().start()
        except BaseException:
            await self._remove_cgroup()
            raise

    async def poll(self):
        status = await super().poll()
        if self._cgroup is None:
            return status
        if self._cgroup.oom_kills():
            self._stop_reason = out_of_memory_message(self.server_memory())
            self.log.warning("%s ran out of its memory: stopping the whole server", self._log_name)
            await self._remove_cgroup()
            return status if status is not None else OOM_EXIT_STATUS
        if status is not None:
            await self._remove_cgroup()  # the server exited: what it forked goes with it
        return status

    async def _remove_cgroup(self) -> None:
        if self._cgroup is not None:
            cgroup, self._cgroup = self._cgroup, None
            await asyncio.to_thread(cgroup.remove)

    async def stop(self, now=False):
        await super().stop(now=now)
        await self._remove_cgroup()
        if os.path.isdir(self.home_dir):
            self.home_usage().scan(self.home_dir)  # what the server left is what the home page shows next

    # -- state kept across hub restarts -------------------------------------------------

    def get_state(self):
        state = super().get_state()
        if self._cgroup is not None:
            state["cgroup"] = self._cgroup.name
        if self._stop_reason:
            state["stop_reason"] = self._stop_reason
        return state

    def load_state(self, state):
        super().load_state(state)
        self._stop_reason = state.get("stop_reason", self._stop_reason)
        hierarchy = self.cgroup_hierarchy() if state.get("cgroup") else None
        self._cgroup = ServerCgroup(hierarchy, state["cgroup"]) if hierarchy else None

    # clear_state (called by poll() as soon as the process is gone) keeps the cgroup until it is removed
    # and the reason a server stopped, for the home page


def log_enforcement(c) -> list[str]:
    """At hub startup, with the one-machine spawner: log what is enforced and what is not."""
    from traitlets.log import get_logger

    from ..config import configured

    if configured(c.JupyterHub, "spawner_class") not in ("profiles-local", f"{__name__}.ProfilesLocalSpawner"):
        return []
    section = c.ProfilesLocalSpawner
    hierarchy = find_hierarchy(configured(section, "cgroup_root", "/sys/fs/cgroup"),
                               configured(section, "cgroup_parent", "hubextras"), create=False)
    lines = enforcement_report(os.geteuid() == 0, hierarchy.version if hierarchy else None,
                               pwd.getpwuid(os.geteuid()).pw_name)
    log = get_logger()
    for line in lines:
        (log.info if line.startswith(("Each person", "Memory and CPU")) else log.warning)("hubextras: %s", line)
    return lines
