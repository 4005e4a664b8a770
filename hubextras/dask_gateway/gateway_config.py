"""The configuration file `dask-gateway-server -f` reads when the hub runs it (see `wiring.py`): it only
hands the settings the hub passed (JSON in HUBEXTRAS_DASK_GATEWAY) to `configure_gateway`."""

import json
import os

from hubextras.dask_gateway import SETTINGS_VARIABLE
from hubextras.dask_gateway.gateway import configure_gateway

configure_gateway(c, json.loads(os.environ[SETTINGS_VARIABLE]))  # noqa: F821 - `c` is the config file's own
