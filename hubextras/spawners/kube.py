"""`profiles-kube`: KubeSpawner with hubextras' profile engine, team filtering and shared data mounts."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from kubespawner import KubeSpawner
from traitlets import Dict, Unicode

from . import ProfilesSpawner

SHARED_VOLUME = "hubextras-shared"


class ProfilesKubeSpawner(ProfilesSpawner, KubeSpawner):
    """KubeSpawner whose `profile_list` is filtered by team and validated before any pod is made.

    Everything else is KubeSpawner's: configure it as `c.KubeSpawner.*` or `c.ProfilesKubeSpawner.*`.
    """

    shared_volume = Dict(
        {"persistentVolumeClaim": {"claimName": "hubextras-shared"}},
        config=True,
        help="""Kubernetes volume source of the shared directory (the same storage the hub's
        shared-data service writes to), for example
        `{"nfs": {"server": "10.0.0.2", "path": "/shared"}}`. Empty: no shared directory.""",
    )

    home_mount_path = Unicode(
        "/home/jovyan",
        config=True,
        help="Home directory inside the user's container, where `shared` and `shared-readwrite` appear.",
    )

    async def load_user_options(self):
        """KubeSpawner calls this in `start`; the options were applied in `apply_user_options` already."""
        if not self._profile_applied:
            await self.apply_profile_options(self.user_options)

    async def apply_shared_dir(self, champion: bool) -> None:
        if not self.shared_volume:
            return
        for key in ("volumes", "volume_mounts"):
            self.remember_profile_baseline(key)
        home = self.home_mount_path
        mounts = [{"name": SHARED_VOLUME, "mountPath": posixpath.join(home, "shared"), "readOnly": True}]
        if champion:
            readwrite = posixpath.join(home, "shared-readwrite")
            mounts.append({"name": SHARED_VOLUME, "mountPath": readwrite, "readOnly": False})
        paths = {m["mountPath"] for m in mounts}
        # Added after the profile's overrides, replacing anything a profile put at the same place.
        self.volumes = with_entries(
            self.volumes, lambda v: v.get("name") == SHARED_VOLUME, [{"name": SHARED_VOLUME, **self.shared_volume}]
        )
        self.volume_mounts = with_entries(
            self.volume_mounts, lambda m: m.get("name") == SHARED_VOLUME or m.get("mountPath") in paths, mounts
        )


def with_entries(entries: list | dict, replaced: Callable[[dict], bool], added: list[dict]) -> list | dict:
    """`entries` (KubeSpawner's list form, or its dict form keyed by any name) without the `replaced`
    ones and with `added`, in the same form: a dict gets each added entry under its `mountPath` or `name`."""
    if isinstance(entries, dict):
        kept = {key: entry for key, entry in entries.items() if not replaced(entry)}
        return {**kept, **{entry.get("mountPath", entry["name"]): entry for entry in added}}
    return [entry for entry in entries if not replaced(entry)] + added
