# Usage, quotas and cost (docs/usage-operators.md): every server recorded on any spawner, quotas per group
# enforced at start. Operators set c.UsageQuotas.*, c.UsagePrices.* and c.UsageRecorder.* (before or after).
from hubextras.usage.wiring import configure_usage

configure_usage(c)
