# Dask Gateway (docs/dask-operators.md): with c.DaskClusters.enabled, dask-gateway-server runs as the managed
# service `dask-gateway`; the groups in c.DaskClusters.groups may start clusters; servers get DASK_GATEWAY__*.
from hubextras.dask_gateway.wiring import configure_dask_gateway

configure_dask_gateway(c)
