# One machine (docs/deploy-one-machine.md): say at startup what the one-machine spawner enforces and what not.
from hubextras.spawners.local import log_enforcement

log_enforcement(c)
