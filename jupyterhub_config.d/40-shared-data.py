# Shared data (docs/shared-data-operators.md): the hub runs the service; champions and admins write, every
# signed-in user reads. Operators tune it with `c.SharedDataService.<setting>`, set before this runs.
from hubextras.config import add_shared_data

add_shared_data(c)
