"""The shared-data distributor: a JupyterHub-managed service where hub champions put data every user can read.

Pure modules (no HTTP): `errors`, `paths` (path safety), `quota` (quota math), `archives` (safe unpacking),
`links` (nbgitpuller links). Filesystem and network adapters: `store` (atomic, resumable uploads), `audit`,
`pulls` (git and URL pulls). `handlers` and `app` are the thin tornado layer on JupyterHub's `HubOAuthenticated`.
Run it with `python -m hubextras.services.shared_data` (the hub does, see `jupyterhub_config.d/40-shared-data.py`).
"""
