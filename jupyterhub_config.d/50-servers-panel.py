# Servers panel (docs/servers-panel-operators.md): a managed service acting with each champion's own token.
# Operators tune it with `c.ServersPanel.<setting>` (`service_url`: where it listens), set before this runs.
from hubextras.config import add_servers_panel

add_servers_panel(c)
