"""`profiles-kube`: KubeSpawner with hubextras' profile engine, team filtering and shared data mounts."""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Callable

from kubespawner import KubeSpawner
from traitlets import Dict, Unicode, default

from . import ProfilesSpawner

SHARED_VOLUME = "hubextras-shared"
# KubeSpawner orders dict-form mounts by key: "~" sorts after letters, digits and "/", so the shared
# mounts come after the home mount (z2jh keys it "volume-{username}{servername}") that they sit inside.
MOUNT_KEY_PREFIX = "~hubextras-"
DEFAULT_HOME = "/home/jovyan"


def z2jh_home_mount_path() -> str | None:
    """`singleuser.storage.homeMountPath` from the chart's values, when running in a z2jh hub pod."""
    try:
        from z2jh import get_config
    except ImportError:
        return None
    value = get_config("singleuser.storage.homeMountPath")
    return value if isinstance(value, str) and value else None


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
        config=True,
        help="""Home directory inside the user's container, where `shared` and `shared-readwrite` appear
        (`{username}` is expanded as in KubeSpawner's mounts). Default: on z2jh, the chart's
        `singleuser.storage.homeMountPath`; elsewhere `/home/jovyan`.""",
    )

    @default("home_mount_path")
    def _home_from_chart(self):
        return z2jh_home_mount_path() or DEFAULT_HOME

    async def progress(self):
        """KubeSpawner's progress events, with the events reflector started where a closed stream cannot stop it.

        KubeSpawner 7.0/7.1 start the shared events reflector inside `progress()`; when the spawn ends
        during the reflector's first list (a refusal ends it at once), JupyterHub cancels this generator,
        the list with it, and every later start on the hub waits on that first list until `start_timeout`.
        """
        if self.events_enabled:
            await asyncio.shield(self._start_watching_events())
        async for event in super().progress():
            yield event

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
    ones and with `added`, in the same form: a dict gets each added volume under its `name`, each added mount
    under a key that sorts after the others (its `mountPath` behind MOUNT_KEY_PREFIX)."""
    if isinstance(entries, dict):
        kept = {key: entry for key, entry in entries.items() if not replaced(entry)}
        keys = [MOUNT_KEY_PREFIX + entry["mountPath"] if "mountPath" in entry else entry["name"] for entry in added]
        return {**kept, **dict(zip(keys, added))}
    return [entry for entry in entries if not replaced(entry)] + added
