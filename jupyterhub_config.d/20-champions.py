# Hub champions: one role, granted to the champions team's group; the services add their scopes to it.
from hubextras.config import HubExtras, add_role

CHAMPIONS_ROLE = "hubextras-champions"
_champions = HubExtras.from_config(c).champions_team
add_role(
    c,
    CHAMPIONS_ROLE,
    description="Hub champions: run the community's shared data and servers panels",
    groups=[_champions] if _champions else [],
)
