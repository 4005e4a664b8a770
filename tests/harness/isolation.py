"""Accounts, homes, a shared folder and cgroups for tests of isolated servers, all removed afterwards.

Each test module gets its own account prefix (`hx1a2b-`), a world-traversable folder for homes
and the shared folder (pytest's own temp folders are closed to other accounts) and a cgroup
parent; `IsolatedPlace.cleanup` stops what is left and removes every one of them.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WORKLOAD_SERVER = str(Path(__file__).with_name("workload_server.py"))
SYSTEM_PYTHON = "/usr/bin/python3"
CGROUP_ROOT = "/sys/fs/cgroup"


@dataclass
class IsolatedPlace:
    prefix: str  # account names start with it
    base: Path  # homes/ and shared/ are in it
    cgroup_parent: str

    @classmethod
    def make(cls) -> IsolatedPlace:
        tag = secrets.token_hex(2)
        base = Path(tempfile.mkdtemp(prefix=f"hubextras-iso-{tag}-"))
        os.chmod(base, 0o755)
        (base / "home").mkdir(mode=0o755)
        (base / "shared").mkdir(mode=0o755)
        return cls(prefix=f"hx{tag}-", base=base, cgroup_parent=f"hubextras-test-{tag}")

    @property
    def shared(self) -> Path:
        return self.base / "shared"

    def account(self, username: str) -> str:
        return f"{self.prefix}{username}"

    def home(self, username: str) -> Path:
        return self.base / "home" / self.account(username)

    def config(self, workload_server: bool = True) -> str:
        """Hub settings putting accounts, homes, the shared folder and cgroups here (and servers that are
        `workload_server.py`, unless `workload_server` is false: then the user environment's jupyterhub-singleuser)."""
        command = f'c.ProfilesLocalSpawner.cmd = ["{SYSTEM_PYTHON}", "{WORKLOAD_SERVER}"]' if workload_server else ""
        return f"""
c.JupyterHub.spawner_class = "profiles-local"
c.ProfilesLocalSpawner.account_template = "{self.prefix}{{username}}"
c.ProfilesLocalSpawner.account_home_template = "{self.base}/home/{{account}}"
c.ProfilesLocalSpawner.cgroup_parent = "{self.cgroup_parent}"
{command}
c.HubExtras.shared_dir = "{self.shared}"
c.Spawner.poll_interval = 1
c.Spawner.start_timeout = 30
c.Spawner.http_timeout = 20
"""

    def accounts(self) -> list[str]:
        return [entry.pw_name for entry in pwd.getpwall() if entry.pw_name.startswith(self.prefix)]

    def cgroup_folders(self) -> list[Path]:
        """Where this place's servers' cgroups are (v2's one folder, or v1's memory and cpu folders)."""
        unified = Path(CGROUP_ROOT, "unified", self.cgroup_parent)
        if unified.exists():
            return [unified]
        return [Path(CGROUP_ROOT, controller, self.cgroup_parent) for controller in ("memory", "cpu")]

    def cleanup(self) -> None:
        for name in self.accounts():
            subprocess.run(["pkill", "-KILL", "-u", name], check=False)
        for parent in [p for p in self.cgroup_folders() if p.exists()]:
            for child in [p for p in parent.iterdir() if p.is_dir()]:
                kill_and_remove(child)
            kill_and_remove(parent)
        for name in self.accounts():
            subprocess.run(["userdel", name], check=False, capture_output=True)
        for group in grp.getgrall():
            if group.gr_name.startswith(self.prefix):
                subprocess.run(["groupdel", group.gr_name], check=False, capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def kill_and_remove(folder: Path) -> None:
    for _ in range(100):
        try:
            pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
        except OSError:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            folder.rmdir()
            return
        except OSError:
            time.sleep(0.05)


def run_as(account: str, code: str) -> subprocess.CompletedProcess:
    """`code` run by the system Python as `account` (uid, gid and groups), not in any server's cgroup."""
    entry = pwd.getpwnam(account)
    return subprocess.run(
        [SYSTEM_PYTHON, "-c", code], user=entry.pw_uid, group=entry.pw_gid,
        extra_groups=os.getgrouplist(account, entry.pw_gid), capture_output=True, text=True, cwd="/",
    )


needs_root = os.geteuid() != 0 or not Path(SYSTEM_PYTHON).exists() or sys.platform != "linux"
