"""The usage pages' figures as tables (pure): the page renders them and the CSV writes the same rows.

Who sees what follows the person's `custom:usage:read` scope as the hub filters it: unfiltered, every
record; `!group=G`, the servers of members of G (and only the group rows they may see); `!user=u`, u's.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...scopes import USAGE_READ
from ...usage.aggregate import NO_GROUP, Summary, Totals, by_profile, top, total, totals_by
from ...usage.cost import Prices, estimate
from ...usage.record import DAY, UsageRecord

WINDOWS = {"week": 7, "30d": 30}
MAX_CUSTOM_DAYS = 366


class WindowError(ValueError):
    """A custom window that cannot be read; the message says what to give."""


@dataclass(frozen=True)
class Window:
    begin: float
    end: float
    name: str  # "week", "30d" or "custom"

    @property
    def days(self) -> float:
        return (self.end - self.begin) / DAY

    def label(self) -> str:
        fmt = "%Y-%m-%d"
        last = datetime.datetime.fromtimestamp(self.end - 1, datetime.timezone.utc)
        first = datetime.datetime.fromtimestamp(self.begin, datetime.timezone.utc)
        return f"{first.strftime(fmt)} to {last.strftime(fmt)}"


def window_from(name: str, now: float, start: str = "", stop: str = "") -> Window:
    """The window a page asks for: the last 7 or 30 days up to now, or custom whole UTC days [start, stop]."""
    if name in WINDOWS or not name:
        days = WINDOWS.get(name or "week")
        return Window(now - days * DAY, now, name or "week")
    if name != "custom":
        raise WindowError(f"window must be week, 30d or custom, not {name!r}.")
    try:
        first = datetime.datetime.strptime(start, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc).timestamp()
        last = datetime.datetime.strptime(stop, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        raise WindowError("Give a custom window as two dates, from and to, written YYYY-MM-DD.") from None
    if last < first:
        raise WindowError("The custom window ends before it starts: put the earlier date in from.")
    if (last - first) / DAY + 1 > MAX_CUSTOM_DAYS:
        raise WindowError(f"A custom window may span at most {MAX_CUSTOM_DAYS} days.")
    return Window(first, min(last + DAY, now) if first < now else last + DAY, "custom")


@dataclass(frozen=True)
class Visibility:
    """What a person may see of usage, from their scopes."""

    everything: bool = False
    groups: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()

    @classmethod
    def from_scopes(cls, scopes: Iterable[str]) -> Visibility:
        everything, groups, users = False, set(), set()
        for scope in scopes:
            name, _, filter_ = scope.partition("!")
            if name != USAGE_READ:
                continue
            kind, _, value = filter_.partition("=")
            if not filter_:
                everything = True
            elif kind == "group":
                groups.add(value)
            elif kind == "user":
                users.add(value)
        return cls(everything, frozenset(groups), frozenset(users))

    @property
    def champion(self) -> bool:
        return self.everything or bool(self.groups) or bool(self.users)

    def sees(self, record: UsageRecord) -> bool:
        return self.everything or record.user in self.users or bool(self.groups.intersection(record.groups))

    def sees_group(self, group: str) -> bool:
        return self.everything or group in self.groups

    def sees_user(self, user: str, groups: Iterable[str]) -> bool:
        return self.everything or user in self.users or bool(self.groups.intersection(groups))


@dataclass
class Table:
    """A table as the page shows it and the CSV writes it: headers and rows of plain strings."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


def hours(value: float) -> str:
    return f"{value:.2f}"


def money(value: float) -> str:
    return f"{value:.2f}"


def totals_row(label: str, totals: Totals, prices: Prices, storage_bytes: int = 0, days: float = 0) -> list[str]:
    cost = estimate(totals, prices, storage_bytes, days)
    return [
        label,
        str(totals.servers),
        hours(totals.server_hours),
        hours(totals.memory_gib_hours),
        hours(totals.cpu_hours),
        money(cost.total),
    ]


def table_headers(first: str, currency: str) -> list[str]:
    return [first, "Servers", "Server-hours", "GiB-hours (memory)", "CPU-hours", f"Estimated cost ({currency})"]


@dataclass
class Report:
    window: Window
    totals: Totals
    tables: dict[str, Table]
    plot: list[tuple[float, Totals]]
    cost_total: float


def report_step(window: Window) -> float:
    """The plot's bar: a day, or a week for windows over 92 days."""
    return DAY if window.days <= 92 else 7 * DAY


def build_report(
    summary: Summary,
    window: Window,
    visibility: Visibility,
    prices: Prices,
    *,
    top_count: int = 20,
    home_sizes: dict[str, int] | None = None,
) -> Report:
    """Every figure of the champions' page from the window's summary of the records this person may see
    (`aggregate.summarize`, or the store's `summarize` with the same visibility)."""
    home_sizes = home_sizes or {}
    people = summary.users
    if not visibility.everything:  # home sizes of people whose servers this champion may see
        home_sizes = {u: s for u, s in home_sizes.items() if u in people}
    storage = sum(home_sizes.values())
    overall = summary.overall
    currency = prices.currency
    tables = {}
    homes = bool(home_sizes)  # home columns only where a home-size scan reports
    totals_table = Table(
        "totals", "Totals", table_headers("Window", currency) + (["Home storage (GB)"] if homes else [])
    )
    totals_table.rows.append(
        totals_row(window.label(), overall, prices, storage, window.days) + ([f"{storage / 1e9:.2f}"] if homes else [])
    )
    tables["totals"] = totals_table

    people_table = Table(
        "people", "Top people", table_headers("Person", currency) + (["Home size (GB)"] if homes else [])
    )
    for name, totals in top(people, "memory_gib_hours", top_count):
        size = home_sizes.get(name, 0)
        people_table.rows.append(
            totals_row(name, totals, prices, size, window.days) + ([f"{size / 1e9:.2f}"] if homes else [])
        )
    tables["people"] = people_table

    groups_table = Table("groups", "Per group", table_headers("Group", currency))
    for name, totals in sorted(summary.groups.items()):
        if name == NO_GROUP and visibility.everything:
            groups_table.rows.append(totals_row("(no group)", totals, prices))
        elif name != NO_GROUP and visibility.sees_group(name):
            groups_table.rows.append(totals_row(name, totals, prices))
    tables["groups"] = groups_table

    profiles_table = Table("profiles", "Per profile", table_headers("Profile", currency))
    for name, totals in sorted(summary.profiles.items()):
        profiles_table.rows.append(totals_row(name or "(none)", totals, prices))
    tables["profiles"] = profiles_table

    plot = summary.series
    days_table = Table("days", "Over time", table_headers("From (UTC)", currency))
    for start, totals in plot:
        when = datetime.datetime.fromtimestamp(start, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        days_table.rows.append(totals_row(when, totals, prices))
    tables["days"] = days_table
    cost = estimate(overall, prices, storage, window.days)
    return Report(window, overall, tables, plot, cost.total)


def csv_text(table: Table) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        # a cell starting with = + - @ would be a formula in a spreadsheet: quote it as text
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in row])
    return out.getvalue()


@dataclass
class QuotaRow:
    group: str
    limit: str
    used: float
    allowed: float
    shared: bool

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.allowed)) if self.allowed else 100


@dataclass
class MyUsage:
    tables: dict[str, Table]
    quota: list[QuotaRow]
    retry: str  # when a start like the last one fits again ("" when it fits now or nothing applies)
    retry_profile: str
    bumps: list


def my_usage(
    records: list[UsageRecord],
    window: Window,
    now: float,
    prices: Prices,
    *,
    user: str,
    groups: frozenset[str],
    policies,
    default_policy,
    group_records,
    bumps,
    headroom_hours: float,
    format_time,
) -> MyUsage:
    """A person's own page: their usage in the window, their quota, and when a start like their last fits."""
    from ...usage.quota import StartRequest, decide, measure

    mine = [r for r in records if r.user == user]
    tables = {}
    summary = Table("totals", "My usage", table_headers("Window", prices.currency))
    summary.rows.append(totals_row(window.label(), total(mine, window.begin, window.end, now), prices))
    tables["totals"] = summary
    profiles_table = Table("profiles", "Per profile", table_headers("Profile", prices.currency))
    for name, totals in sorted(totals_by(mine, window.begin, window.end, now, by_profile).items()):
        profiles_table.rows.append(totals_row(name or "(none)", totals, prices))
    tables["profiles"] = profiles_table
    checks = measure(user, groups, policies, default_policy, mine, group_records, bumps, now)
    quota = [
        QuotaRow(c.policy.group or "everyone", c.limit.describe(), c.used, c.allowed_amount, c.policy.shared)
        for c in checks
    ]
    retry, retry_profile = "", ""
    last = max(mine, key=lambda r: r.started, default=None)
    if last is not None:
        request = StartRequest(user, groups, last.profile, last.memory_request, last.cpu_request)
        decision = decide(
            request,
            policies,
            default_policy,
            mine,
            group_records,
            bumps,
            now,
            headroom_hours=headroom_hours,
            format_time=format_time,
        )
        retry_profile = last.profile or "(none)"
        if not decision.allowed:
            retry = format_time(decision.retry_at) if decision.retry_at is not None else "never (ask a hub champion)"
    return MyUsage(tables, quota, retry, retry_profile, list(bumps))
