# Server profiles: the one-machine profiles spawner, and the example profiles when none are configured
# (see docs/profiles.md). An operator's own spawner class or profile_list always wins.
from hubextras.config import HubExtras, configured
from hubextras.profiles.examples import example_profile_list

if "spawner_class" not in c.JupyterHub:
    c.JupyterHub.spawner_class = "profiles-local"

_profile_sections = ("Spawner", "KubeSpawner", "ProfilesSpawner", "ProfilesLocalSpawner", "ProfilesKubeSpawner")
_spawner = configured(c.JupyterHub, "spawner_class")
_local = _spawner in ("profiles-local", "hubextras.spawners.local.ProfilesLocalSpawner")
if _local and not any("profile_list" in c[section] for section in _profile_sections):
    # the example's team-restricted machine (Large) goes to the researchers team of the champions' org
    _org = HubExtras.from_config(c).champions_team.partition(":")[0] or "demo-org"
    c.ProfilesSpawner.profile_list = example_profile_list(_org)
