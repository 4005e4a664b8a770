"""Estimated cost at prices the operator configures."""

from __future__ import annotations

from dataclasses import dataclass

from .aggregate import Totals

GB = 1000**3
MONTH_DAYS = 30.0


@dataclass(frozen=True)
class Prices:
    per_gib_hour: float = 0.0
    per_cpu_hour: float = 0.0
    per_gb_month: float = 0.0
    currency: str = "USD"


@dataclass(frozen=True)
class Cost:
    memory: float
    cpu: float
    storage: float
    currency: str

    @property
    def total(self) -> float:
        return self.memory + self.cpu + self.storage


def estimate(totals: Totals, prices: Prices, storage_bytes: int = 0, days: float = 0.0) -> Cost:
    """Cost of `totals` (requested memory and CPU) plus `storage_bytes` kept for `days`."""
    storage = storage_bytes / GB * (days / MONTH_DAYS) * prices.per_gb_month
    return Cost(
        totals.memory_gib_hours * prices.per_gib_hour, totals.cpu_hours * prices.per_cpu_hour, storage, prices.currency
    )


def format_money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"
