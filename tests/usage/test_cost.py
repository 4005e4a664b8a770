"""Estimated cost at the operator's prices."""

from hubextras.usage.aggregate import Totals
from hubextras.usage.cost import Prices, estimate, format_money


def test_cost_is_requested_memory_and_cpu_plus_storage_at_the_prices():
    cost = estimate(
        Totals(memory_gib_hours=100, cpu_hours=10), Prices(0.01, 0.05, 0.1, "EUR"), storage_bytes=50 * 1000**3, days=15
    )
    assert (round(cost.memory, 6), round(cost.cpu, 6), round(cost.storage, 6)) == (1.0, 0.5, 2.5)
    assert format_money(cost.total, cost.currency) == "4.00 EUR"


def test_no_prices_means_no_cost():
    assert estimate(Totals(memory_gib_hours=100), Prices()).total == 0
