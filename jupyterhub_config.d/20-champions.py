# Hub champions: one role, granted to the champions team's group; the services add their scopes to it.
from hubextras.config import add_champions_role

add_champions_role(c)
