"""The usage service: the champions' usage page (totals, top people, per group and profile, cost, a plot,
CSV of every table, bumps) and each person's own page (usage, quota, when a refused start can be retried).

It reads the usage store the hub writes (`hubextras.usage`); figures are built by `report.py` (pure)."""
