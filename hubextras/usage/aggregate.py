"""Totals over any window: server-hours, GiB-hours and CPU-hours of requests, per person, group or profile."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .record import CPU_HOURS, HOUR, MEMORY_GIB_HOURS, SERVER_HOURS, UsageRecord

NO_GROUP = ""


@dataclass
class Totals:
    """What some servers used within a window."""

    servers: int = 0
    server_hours: float = 0.0
    memory_gib_hours: float = 0.0
    cpu_hours: float = 0.0

    def add(self, record: UsageRecord, seconds: float) -> None:
        hours = seconds / HOUR
        self.servers += 1
        self.server_hours += hours
        self.memory_gib_hours += hours * record.rate(MEMORY_GIB_HOURS)
        self.cpu_hours += hours * record.rate(CPU_HOURS)

    def of(self, resource: str) -> float:
        return {SERVER_HOURS: self.server_hours, MEMORY_GIB_HOURS: self.memory_gib_hours, CPU_HOURS: self.cpu_hours}[
            resource
        ]


def overlapping(records: Iterable[UsageRecord], begin: float, end: float, now: float):
    """(record, seconds inside [begin, end]) for every record that ran in the window."""
    for record in records:
        seconds = record.seconds_in(begin, end, now)
        if seconds > 0 or begin <= record.started <= end:  # a failed start counts as a server of 0 hours
            yield record, seconds


def total(records: Iterable[UsageRecord], begin: float, end: float, now: float) -> Totals:
    """Everything the records used within [begin, end]."""
    totals = Totals()
    for record, seconds in overlapping(records, begin, end, now):
        totals.add(record, seconds)
    return totals


def by_user(record: UsageRecord) -> list[str]:
    return [record.user]


def by_group(record: UsageRecord) -> list[str]:
    """A server counts for each group its person was in when it started (or for "no group")."""
    return list(record.groups) or [NO_GROUP]


def by_profile(record: UsageRecord) -> list[str]:
    return [record.profile]


def totals_by(
    records: Iterable[UsageRecord], begin: float, end: float, now: float, keys: Callable[[UsageRecord], list[str]]
) -> dict[str, Totals]:
    """Totals per key (`by_user`, `by_group`, `by_profile`) within [begin, end]."""
    result: dict[str, Totals] = {}
    for record, seconds in overlapping(records, begin, end, now):
        for key in keys(record):
            result.setdefault(key, Totals()).add(record, seconds)
    return result


def series(
    records: Iterable[UsageRecord], begin: float, end: float, now: float, step: float
) -> list[tuple[float, Totals]]:
    """Totals per step-long bucket from `begin` (the last bucket ends at `end`), for a plot over time."""
    if step <= 0 or end <= begin:
        return []
    starts = []
    t = begin
    while t < end:
        starts.append(t)
        t += step
    buckets = [Totals() for _ in starts]
    for record, _ in overlapping(records, begin, end, now):
        stop = min(now if record.stopped is None else record.stopped, end, now)
        first = max(0, int((max(record.started, begin) - begin) // step))
        for index in range(first, len(starts)):
            bucket_begin = starts[index]
            if bucket_begin >= stop:
                break
            seconds = record.seconds_in(bucket_begin, min(bucket_begin + step, end), now)
            if seconds > 0:
                buckets[index].add(record, seconds)
    return list(zip(starts, buckets))


def top(totals: dict[str, Totals], resource: str, count: int) -> list[tuple[str, Totals]]:
    """The `count` keys that used the most of `resource`, most first (ties by name)."""
    return sorted(totals.items(), key=lambda item: (-item[1].of(resource), item[0]))[:count]


@dataclass
class Summary:
    """Every figure of a window in one pass: overall, per person, group and profile, and per step."""

    overall: Totals
    users: dict[str, Totals]
    groups: dict[str, Totals]
    profiles: dict[str, Totals]
    series: list[tuple[float, Totals]]


def summarize(records: Iterable[UsageRecord], begin: float, end: float, now: float, step: float) -> Summary:
    """What `total`, `totals_by` (by user, group, profile) and `series` give, in one loop over the records."""
    from .record import GIB

    overall = Totals()
    users: dict[str, Totals] = {}
    groups: dict[str, Totals] = {}
    profiles: dict[str, Totals] = {}
    starts = []
    t = begin
    while step > 0 and t < end:
        starts.append(t)
        t += step
    buckets = [Totals() for _ in starts]
    last_bucket = len(starts) - 1
    for record in records:
        stop = now if record.stopped is None else record.stopped
        first_second, last_second = max(record.started, begin), min(stop, end, now)
        seconds = last_second - first_second
        if seconds <= 0 and not begin <= record.started <= end:
            continue
        seconds = max(seconds, 0.0)
        hours = seconds / HOUR
        memory = record.mem_guarantee or record.mem_limit
        gib_hours, cpu_hours = hours * memory / GIB, hours * (record.cpu_guarantee or record.cpu_limit)
        for table, keys in (
            (users, (record.user,)),
            (groups, record.groups or (NO_GROUP,)),
            (profiles, (record.profile,)),
            (None, None),
        ):
            for key in keys or (None,):
                totals = overall if table is None else table.get(key)
                if totals is None:
                    totals = table[key] = Totals()
                totals.servers += 1
                totals.server_hours += hours
                totals.memory_gib_hours += gib_hours
                totals.cpu_hours += cpu_hours
        if not starts or seconds <= 0:
            continue
        index = max(0, int((first_second - begin) // step))
        while index <= last_bucket and starts[index] < last_second:
            bucket_begin = starts[index]
            part = min(last_second, bucket_begin + step, end) - max(first_second, bucket_begin)
            if part > 0:
                bucket, part_hours = buckets[index], part / HOUR
                bucket.servers += 1
                bucket.server_hours += part_hours
                bucket.memory_gib_hours += part_hours * memory / GIB
                bucket.cpu_hours += part_hours * (record.cpu_guarantee or record.cpu_limit)
            index += 1
    return Summary(overall, users, groups, profiles, list(zip(starts, buckets)))
