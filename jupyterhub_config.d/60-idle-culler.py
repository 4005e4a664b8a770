# Idle culling on both spawners (docs/deploy-one-machine.md): jupyterhub-idle-culler as a managed service,
# set with c.HubExtras.idle_timeout, idle_max_age, idle_cull_every, idle_concurrency, idle_cull_users;
# c.HubExtras.idle_culler_enabled = False turns it off.
from hubextras.culling import add_idle_culler

add_idle_culler(c)
