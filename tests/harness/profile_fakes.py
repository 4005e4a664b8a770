"""Fakes for driving the profile spawners without a hub: a JupyterHub-like user and spawner factories."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeGroup:
    name: str


@dataclass
class FakeUser:
    """What the spawners read from a JupyterHub User: name, id, admin, groups, auth_state, settings."""

    name: str = "alice"
    id: int = 1
    admin: bool = False
    groups: list = field(default_factory=list)
    teams: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    url: str = "/user/alice/"
    server = None

    async def get_auth_state(self):
        return {"teams": list(self.teams)}

    def progress_url(self, name=""):
        return f"/hub/api/users/{self.name}/server/progress"


def fake_user(name="alice", groups=(), teams=(), admin=False) -> FakeUser:
    return FakeUser(
        name=name, admin=admin, groups=[FakeGroup(g) for g in groups], teams=list(teams), url=f"/user/{name}/"
    )


def kube_spawner(api, user, profile_list=None, **traits):
    """A ProfilesKubeSpawner talking to the emulator `api`, as the hub would make it."""
    from traitlets.config import Config

    from hubextras.profiles.examples import example_profile_list
    from hubextras.spawners.kube import ProfilesKubeSpawner

    config = Config()
    config.KubeSpawner.profile_list = example_profile_list() if profile_list is None else profile_list
    config.KubeSpawner.k8s_api_host = str(api.url).rstrip("/") if api is not None else "http://127.0.0.1:1"
    config.KubeSpawner.events_enabled = False
    config.KubeSpawner.storage_pvc_ensure = True
    config.KubeSpawner.storage_capacity = "10Gi"
    config.KubeSpawner.start_timeout = 20
    config.HubExtras.champions_team = "demo-org:hub-champions"
    for key, value in traits.items():
        setattr(config.ProfilesKubeSpawner, key, value)
    return as_hub_makes_it(ProfilesKubeSpawner, config, user)


async def hub_style_start(spawner, user_options):
    """What JupyterHub's User.spawn does around Spawner.start: options, clear_state, apply, start."""
    spawner.user_options = user_options
    spawner.clear_state()
    await spawner.apply_group_overrides()
    await spawner._run_apply_user_options(user_options)
    return await spawner.start()


def local_spawner(user, tmp_path, profile_list=None, **traits):
    """A ProfilesLocalSpawner with its homes and shared folder under `tmp_path`."""
    from traitlets.config import Config

    from hubextras.profiles.examples import example_profile_list
    from hubextras.spawners.local import ProfilesLocalSpawner

    config = Config()
    config.ProfilesSpawner.profile_list = example_profile_list() if profile_list is None else profile_list
    config.SimpleLocalProcessSpawner.home_dir_template = str(tmp_path / "home" / "{username}")
    config.HubExtras.champions_team = "demo-org:hub-champions"
    config.HubExtras.shared_dir = str(tmp_path / "shared")
    for key, value in traits.items():
        setattr(config.ProfilesLocalSpawner, key, value)
    return as_hub_makes_it(ProfilesLocalSpawner, config, user)


def as_hub_makes_it(spawner_class, config, user):
    """A spawner of `spawner_class` with what the hub gives every spawner (hub, token, OAuth client)."""
    from jupyterhub.objects import Hub

    return spawner_class(
        config=config,
        user=user,
        hub=Hub(ip="127.0.0.1", port=8081, base_url="/hub/"),
        api_token="secret-token",
        oauth_client_id=f"jupyterhub-user-{user.name}",
    )
