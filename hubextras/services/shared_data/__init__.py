"""The shared-data distributor: a JupyterHub-managed service where hub champions put data every user can read.

Pure modules (no HTTP): `errors`, `paths` (path and link safety), `quota` (quota math), `archives` (safe
unpacking), `links` (nbgitpuller links), `bodies` (what request bodies may hold), `redaction` (credentials in
pull URLs). Filesystem and network adapters: `store` (atomic, resumable uploads), `pulls` (git and URL pulls),
`addresses` (which servers a pull may reach). `handlers` and `app` are the thin layer on the services'
foundation, `hubextras.services.base`. Run it with `python -m hubextras.services.shared_data` (the hub does,
see `hubextras.config.add_shared_data`).
"""
