# Mining and abuse guard, one machine (docs/guard-operators.md): a managed service judges every server's processes,
# stops miners and blocks the person until a champion lifts it. `c.GuardService.*`; on Kubernetes see the docs.
from hubextras.guard.wiring import add_guard

add_guard(c)
