"""Usage, quotas and cost: one record of every server, on any spawner, and what follows from it.

Pure core (no I/O): `record` (what a server used), `aggregate` (totals over any window),
`quota` (policies and the "may this person start this profile now" decision), `cost` (prices).
Adapters: `clock` (the time the record uses), `store` (sqlite next to the hub's database),
`recorder` (the hub side: spawner wrapper, culler detection, enforcement), `metrics` (Prometheus).
"""
