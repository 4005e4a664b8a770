"""Dask Gateway as a hub-managed service (`jupyterhub_config.d/90-dask-gateway.py`, docs/dask-operators.md).

`dask-gateway-server` itself runs the clusters (we never manage a cluster); this package only says
how: who may (a JupyterHub role holding `access:services!service=dask-gateway`, granted to groups),
with which limits (`limits.py`, pure), as whom (`backend.py`: people's own accounts on one machine),
and what servers need so that `dask_gateway.Gateway()` works with no arguments (`wiring.py`).
"""

SERVICE_NAME = "dask-gateway"
ACCESS_SCOPE = f"access:services!service={SERVICE_NAME}"
ROLE_NAME = "dask-gateway-users"
SETTINGS_VARIABLE = "HUBEXTRAS_DASK_GATEWAY"  # the gateway process's settings, JSON
