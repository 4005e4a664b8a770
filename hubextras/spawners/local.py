"""`profiles-local`: the same profiles on one machine (the embedded default and the demo's spawner).

Sizes are enforced with what one machine offers: CPU affinity for `cpu_limit` and an
address-space rlimit for `mem_limit` (capped to a share of this machine's memory). Images map
to local environments: a prefix holding `bin/jupyterhub-singleuser`.
"""

from __future__ import annotations

import math
import os
import resource
import shlex
import shutil
import sys
import zlib
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Bool, Dict, Float, Unicode, default

from ..profiles.engine import ProfileChoiceError, normalize_profile_list
from ..profiles.form import format_bytes
from . import ProfilesSpawner, _hub_extras, profile_error, unknown_override_keys


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
    """The address-space limit for a server: the profile's `mem_limit`, at most `cap`. None: no limit."""
    if not mem_limit:
        return None
    return min(int(mem_limit), cap) if cap else int(mem_limit)


class ProfilesLocalSpawner(ProfilesSpawner, SimpleLocalProcessSpawner):
    """Profiles on one machine, with servers run as the hub's own system user (as SimpleLocalProcessSpawner).

    When the hub runs as root, servers get `--allow-root` and the shared folder is bind-mounted
    read-only at `~/shared` in a private mount namespace. The server is root in that namespace too,
    so it could remount `~/shared` read-write or write to `c.HubExtras.shared_dir` directly: the
    mount stops mistakes, it is not a security boundary. Otherwise `~/shared` is a symbolic link
    and read-only is NOT enforced: everyone runs as the same system user.
    """

    image = Unicode(
        "",
        config=True,
        help="Image of the server (set by profiles' `image` overrides); picks its local environment (`environments`).",
    )

    environments = Dict(
        {},
        config=True,
        help="""Local environments by image: `{image: prefix}` where `prefix/bin/jupyterhub-singleuser`
        exists, for example `{"quay.io/jupyter/datascience-notebook:2024-05-27": "/opt/envs/datascience"}`.""",
    )

    default_environment = Unicode(
        config=True,
        help="""Environment prefix for images not in `environments` (and when no image is chosen).
        Default: the hub's own environment. Empty: refuse unmapped images with a 400.""",
    )

    @default("default_environment")
    def _default_environment_default(self):
        return sys.prefix

    memory_cap_fraction = Float(
        0.5,
        config=True,
        help="""Most memory one server may have, as a share of this machine's memory: a profile's
        `mem_limit` above it is lowered to it (so "Large: 512 GB" works on a laptop).
        0: no cap. The limit is an address-space rlimit (RLIMIT_AS) on each process of the server.""",
    )

    read_only_shared = Bool(
        True,
        config=True,
        help="""When the hub runs as root: bind-mount the shared folder read-only at `~/shared` in a
        private mount namespace (needs `unshare` and `mount`). Otherwise `~/shared` is a symbolic
        link and read-only is not enforced.

        Read-only is enforced against mistakes, not as a security boundary, when servers run as
        root: a server (and any code run in it) is root in its namespace and can remount `~/shared`
        read-write or write to the real `c.HubExtras.shared_dir`. For a boundary, run servers as
        separate system users or on Kubernetes.""",
    )

    _warned_override_keys: set[str] = set()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shared_champion = False
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

    # -- sizes --------------------------------------------------------------------------

    def memory_cap(self) -> int:
        return int(total_memory() * self.memory_cap_fraction) if self.memory_cap_fraction else 0

    def server_cpus(self) -> set[int] | None:
        return cpu_set(self.cpu_limit, sorted(os.sched_getaffinity(0)), self.user.name)

    def server_memory(self) -> int | None:
        return memory_limit(self.mem_limit, self.memory_cap())

    def profile_form_notes(self) -> str:
        cap = self.memory_cap()
        return (
            f"This hub runs on one machine: a server gets at most {len(os.sched_getaffinity(0))} CPUs"
            + (f" and {format_bytes(cap)} of memory" if cap else "")
            + ", whatever its size says."
        )

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
        return selection

    async def apply_shared_dir(self, champion: bool) -> None:
        # The folders are made in start(): nothing is created for a refused request.
        self._shared_champion = champion

    # -- starting -----------------------------------------------------------------------

    def get_args(self):
        args = list(super().get_args())
        if os.geteuid() == 0 and "--allow-root" not in args:
            args.append("--allow-root")  # jupyter-server refuses to run as root without it
        return args

    def get_env(self):
        env = super().get_env()
        env["PATH"] = os.pathsep.join([str(Path(self.environment_prefix()) / "bin"), env.get("PATH", os.defpath)])
        return env

    def make_preexec_fn(self, name):
        prepare_home = super().make_preexec_fn(name)
        cpus, memory = self.server_cpus(), self.server_memory()

        def preexec():
            prepare_home()
            if cpus:
                os.sched_setaffinity(0, cpus)
            if memory:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

        return preexec

    def environment_command(self, cmd: list[str]) -> list[str]:
        """`cmd` run from the chosen environment: its `bin/` holds the program when `cmd` names one."""
        bin_dir = Path(self.environment_prefix()) / "bin"
        program = cmd[0] if cmd else "jupyterhub-singleuser"
        if "/" not in program and os.access(bin_dir / program, os.X_OK):
            return [str(bin_dir / program), *cmd[1:]]
        if not cmd:
            raise RuntimeError(f"No {bin_dir / program}: install jupyterhub in the environment of '{self.image}'.")
        return cmd

    def _mount_read_only(self) -> bool:
        return bool(self.read_only_shared and os.geteuid() == 0 and shutil.which("unshare") and shutil.which("mount"))

    def prepare_shared_dir(self) -> list[str]:
        """Make `~/shared` (and `~/shared-readwrite` for champions); return a command prefix for a read-only mount."""
        shared = Path(_hub_extras(self).shared_dir)
        home = Path(self.home_dir)
        home.mkdir(parents=True, exist_ok=True)
        shared.mkdir(parents=True, exist_ok=True)
        readwrite = home / "shared-readwrite"
        if readwrite.is_symlink():
            readwrite.unlink()
        if self._shared_champion:
            readwrite.symlink_to(shared, target_is_directory=True)
        link = home / "shared"
        if link.is_symlink():
            link.unlink()
        if self._mount_read_only():
            link.mkdir(exist_ok=True)
            script = 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && shift 2 && exec "$@"'
            return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "hubextras-shared",
                    str(shared), str(link)]
        if not link.exists():
            link.symlink_to(shared, target_is_directory=True)
        return []

    async def start(self):
        if not self._profile_applied:
            await self.apply_profile_options(self.user_options)
        self.remember_profile_baseline("cmd")
        self.cmd = self.prepare_shared_dir() + self.environment_command(list(self.cmd))
        cpus, memory = self.server_cpus(), self.server_memory()
        self.log.info(
            "Starting %s in %s with CPUs %s and memory limit %s: %s",
            self._log_name, self.environment_prefix(), sorted(cpus) if cpus else "all",
            format_bytes(memory) if memory else "none", shlex.join(self.cmd),
        )
        return await super().start()
