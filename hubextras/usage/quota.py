"""Quota policies per group and the decision "may this person start this profile now".

A policy belongs to a group (or is the default for people in no policy's group). It has limits, each
an amount of a resource within a sliding window of days, and may restrict profiles (by slug) and sizes.
A limit is per person unless the policy is `shared` (the group's members use one budget together).
A person in several policies' groups may start if any one of those policies lets them.

A start needs headroom: room for `headroom_hours` of the requested profile, so a limit used up
exactly refuses, and a start that fits exactly is allowed. When refused, the decision says when
enough of the oldest usage has left the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .record import DAY, HOUR, RESOURCE_WORDS, RESOURCES, UsageRecord, rate

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Limit:
    resource: str
    amount: float
    days: float

    @property
    def seconds(self) -> float:
        return self.days * DAY

    def describe(self) -> str:
        return f"{self.amount:g} {RESOURCE_WORDS[self.resource]} per {self.days:g} days"


@dataclass(frozen=True)
class QuotaPolicy:
    """Limits for the members of `group` ("" for the default policy)."""

    group: str
    limits: tuple[Limit, ...] = ()
    profiles: frozenset[str] | None = None
    max_memory_gib: float | None = None
    max_cpu: float | None = None
    shared: bool = False

    @property
    def longest_window(self) -> float:
        return max((limit.seconds for limit in self.limits), default=0.0)

    def describe(self) -> str:
        parts = [limit.describe() for limit in self.limits]
        if self.profiles is not None:
            parts.append("profiles " + ", ".join(sorted(self.profiles)))
        if self.max_memory_gib is not None:
            parts.append(f"servers up to {self.max_memory_gib:g} GiB")
        if self.max_cpu is not None:
            parts.append(f"servers up to {self.max_cpu:g} CPUs")
        who = "shared by the group" if self.shared else "per person"
        return "; ".join(parts) + (f" ({who})" if self.limits else "") if parts else "no limits"


class PolicyError(ValueError):
    """A policy as configured cannot be read; the message says which and how to fix it."""


def parse_policy(group: str, spec: Mapping) -> QuotaPolicy:
    """A policy from config: `{"limits": [{"resource", "amount", "days"}...], "profiles", "max_memory_gib",
    "max_cpu", "shared"}`."""
    where = f"the quota policy for {group!r}" if group else "the default quota policy"
    if not isinstance(spec, Mapping):
        raise PolicyError(f"{where} is {spec!r}: give a dict with a 'limits' list.")
    unknown = set(spec) - {"limits", "profiles", "max_memory_gib", "max_cpu", "shared"}
    if unknown:
        raise PolicyError(
            f"{where} has unknown keys {sorted(unknown)}: use limits, profiles, max_memory_gib, max_cpu, shared."
        )
    limits = []
    for number, item in enumerate(spec.get("limits") or [], start=1):
        if not isinstance(item, Mapping) or set(item) != {"resource", "amount", "days"}:
            raise PolicyError(
                f"limit {number} of {where} is {item!r}: write it as "
                '{"resource": "memory_gib_hours", "amount": 500, "days": 30}.'
            )
        if item["resource"] not in RESOURCES:
            raise PolicyError(
                f"limit {number} of {where} measures {item['resource']!r}: use one of {', '.join(RESOURCES)}."
            )
        amount, days = item["amount"], item["days"]
        if not _number(amount) or amount < 0 or not _number(days) or days <= 0:
            raise PolicyError(f"limit {number} of {where}: amount must be 0 or more and days more than 0.")
        limits.append(Limit(item["resource"], float(amount), float(days)))
    profiles = spec.get("profiles")
    if profiles is not None and not (
        isinstance(profiles, list | tuple | set) and all(isinstance(p, str) for p in profiles)
    ):
        raise PolicyError(f"{where}: profiles must be a list of profile slugs, for example ['small', 'medium'].")
    bounds = {}
    for key in ("max_memory_gib", "max_cpu"):
        value = spec.get(key)
        if value is not None and (not _number(value) or value <= 0):
            raise PolicyError(f"{where}: {key} must be a number above 0.")
        bounds[key] = None if value is None else float(value)
    return QuotaPolicy(
        group=group,
        limits=tuple(limits),
        profiles=None if profiles is None else frozenset(profiles),
        shared=bool(spec.get("shared", False)),
        **bounds,
    )


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Bump:
    """A temporary increase of one person's limits of `resource` by `amount`, until `expires`."""

    user: str
    resource: str
    amount: float
    expires: float
    granted_by: str = ""
    granted_at: float = 0.0
    reason: str = ""
    id: int = 0

    def active(self, now: float) -> bool:
        return self.granted_at <= now < self.expires


@dataclass(frozen=True)
class StartRequest:
    """What a person asks to start: the profile and its requested memory (bytes) and CPU (cores)."""

    user: str
    groups: frozenset[str]
    profile: str = ""
    memory_bytes: int = 0
    cpu: float = 0.0


@dataclass(frozen=True)
class LimitCheck:
    """One limit of one policy, measured now."""

    policy: QuotaPolicy
    limit: Limit
    used: float
    allowed_amount: float  # the limit plus active bumps
    need: float
    retry_at: float | None  # None: fits now, or can never fit (need > allowed_amount)

    @property
    def fits(self) -> bool:
        return self.used + self.need <= self.allowed_amount + TOLERANCE

    @property
    def over(self) -> bool:
        """Used at least the whole limit (what running servers are stopped for, after the grace)."""
        return self.used >= self.allowed_amount - TOLERANCE and self.allowed_amount >= 0 and self.used > 0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: str = ""
    retry_at: float | None = None
    checks: tuple[LimitCheck, ...] = field(default=())
    policy: QuotaPolicy | None = None


def policies_for(groups: Iterable[str], policies: Mapping[str, QuotaPolicy], default: QuotaPolicy | None):
    """The policies that apply to someone in `groups` (case-folded): their groups', else the default."""
    folded = {g.casefold() for g in groups}
    mine = [policy for name, policy in sorted(policies.items()) if name.casefold() in folded]
    if mine:
        return mine
    return [default] if default is not None else []


def used_at(records: Iterable[UsageRecord], resource: str, begin: float, end: float, now: float) -> float:
    """How much of `resource` the records used within [begin, end]."""
    return sum(r.rate(resource) * r.seconds_in(begin, end, now) for r in records) / HOUR


def earliest_fit(records: list[UsageRecord], resource: str, window: float, now: float, target: float) -> float | None:
    """The first time t >= now when the usage within [t - window, t] is at most `target`, with no new usage
    after `now` (running servers counted up to now). None if it never gets there (target < 0)."""
    if target < -TOLERANCE:
        return None
    # usage within the window decreases piecewise linearly as the window's start passes the records
    level = used_at(records, resource, now - window, now, now) * HOUR  # in rate-seconds
    if level <= target * HOUR + TOLERANCE:
        return now
    slope = 0.0
    events: list[tuple[float, float]] = []
    for r in records:
        per_second = r.rate(resource)
        stop = now if r.stopped is None else min(r.stopped, now)
        if per_second <= 0 or stop <= r.started:
            continue
        eaten_from, eaten_until = r.started + window, stop + window
        if eaten_until <= now:
            continue
        if eaten_from <= now:
            slope -= per_second
        else:
            events.append((eaten_from, -per_second))
        events.append((eaten_until, per_second))
    events.sort()
    t, goal = now, target * HOUR
    for when, change in events:
        if level <= goal + TOLERANCE:
            return t
        if slope < 0:
            reach = t + (level - goal) / -slope
            if reach <= when:
                return reach
            level += slope * (when - t)
        t = when
        slope += change
    return t if level <= goal + TOLERANCE else None


def check_limit(
    policy: QuotaPolicy,
    limit: Limit,
    records: list[UsageRecord],
    request: StartRequest,
    bumps: Iterable[Bump],
    now: float,
    headroom_hours: float,
) -> LimitCheck:
    extra = sum(b.amount for b in bumps if b.resource == limit.resource and b.user == request.user and b.active(now))
    allowed_amount = limit.amount + extra
    need = rate(limit.resource, request.memory_bytes, request.cpu) * headroom_hours
    used = used_at(records, limit.resource, now - limit.seconds, now, now)
    retry = None
    if used + need > allowed_amount + TOLERANCE:
        retry = earliest_fit(records, limit.resource, limit.seconds, now, allowed_amount - need)
    return LimitCheck(policy, limit, used, allowed_amount, need, retry)


def profile_refusal(policy: QuotaPolicy, request: StartRequest) -> str:
    """Why the policy does not allow this profile at all ("" if it does)."""
    if policy.profiles is not None and request.profile not in policy.profiles:
        allowed = ", ".join(sorted(policy.profiles)) or "none"
        chosen = request.profile or "(default)"
        return f"{_whose(policy)} may start only these profiles: {allowed} (you chose {chosen})"
    if policy.max_memory_gib is not None and request.memory_bytes > policy.max_memory_gib * 1024**3 + 0.5:
        asked = request.memory_bytes / 1024**3
        return f"this server asks for {asked:g} GiB of memory; {_whose(policy)} may use up to {policy.max_memory_gib:g}"
    if policy.max_cpu is not None and request.cpu > policy.max_cpu + TOLERANCE:
        return f"this server asks for {request.cpu:g} CPUs; {_whose(policy)} may use up to {policy.max_cpu:g}"
    return ""


def _whose(policy: QuotaPolicy) -> str:
    return f"members of {policy.group}" if policy.group else "everyone"


def decide(
    request: StartRequest,
    policies: Mapping[str, QuotaPolicy],
    default: QuotaPolicy | None,
    personal_records: list[UsageRecord],
    group_records: Mapping[str, list[UsageRecord]],
    bumps: Iterable[Bump],
    now: float,
    *,
    headroom_hours: float = 1.0,
    format_time=None,
) -> Decision:
    """May `request.user` start this profile now? `group_records` holds the records of each shared policy's group."""
    applicable = policies_for(request.groups, policies, default)
    if not applicable:
        return Decision(True)
    bumps = list(bumps)
    format_time = format_time or _format_utc
    refusals: list[tuple[float, str, Decision]] = []
    for policy in applicable:
        reason = profile_refusal(policy, request)
        if reason:
            refusals.append((math.inf, reason, Decision(False, policy=policy)))
            continue
        records = group_records.get(policy.group, []) if policy.shared else personal_records
        checks = tuple(
            check_limit(policy, limit, records, request, bumps, now, headroom_hours) for limit in policy.limits
        )
        failing = [c for c in checks if not c.fits]
        if not failing:
            return Decision(True, checks=checks, policy=policy)
        retry = None if any(c.retry_at is None for c in failing) else max(c.retry_at for c in failing)
        refusals.append(
            (
                retry if retry is not None else math.inf,
                _limit_message(failing, retry, format_time),
                Decision(False, retry_at=retry, checks=checks, policy=policy),
            )
        )
    refusals.sort(key=lambda item: item[0])
    _, reason, decision = refusals[0]
    message = "You cannot start this server now: " + reason + "."
    if decision.retry_at is None and not decision.checks:
        message += " Pick another profile, or ask a hub champion."
    elif decision.retry_at is None:
        message += " Pick a smaller profile, or ask a hub champion for a temporary increase."
    else:
        message += " Pick a smaller profile to start sooner, or ask a hub champion for a temporary increase."
    return Decision(False, message, decision.retry_at, decision.checks, decision.policy)


def _limit_message(failing: list[LimitCheck], retry: float | None, format_time) -> str:
    parts = []
    for c in failing:
        who = f"your group {c.policy.group} has" if c.policy.shared else "you have"
        words = RESOURCE_WORDS[c.limit.resource]
        parts.append(
            f"{who} used {c.used:.1f} of {c.allowed_amount:g} {words} in the last {c.limit.days:g} days"
            f" (this server needs {c.need:.1f} more for its first hours)"
        )
    text = "; ".join(parts)
    if retry is None:
        return text + "; this server needs more than the whole limit"
    return text + f"; you can start it again from {format_time(retry)}"


def _format_utc(when: float) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(math.ceil(when / 60) * 60, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def over_limits(checks: Iterable[LimitCheck]) -> list[LimitCheck]:
    """The limits already used up (running servers there get the warning, then the stop)."""
    return [c for c in checks if c.over]


def measure(
    user: str,
    groups: frozenset[str],
    policies: Mapping[str, QuotaPolicy],
    default: QuotaPolicy | None,
    personal_records: list[UsageRecord],
    group_records: Mapping[str, list[UsageRecord]],
    bumps: Iterable[Bump],
    now: float,
) -> list[LimitCheck]:
    """Every limit that applies to `user`, measured now (for their page and the running-server check)."""
    request = StartRequest(user, groups)
    bumps = list(bumps)
    checks = []
    for policy in policies_for(groups, policies, default):
        records = group_records.get(policy.group, []) if policy.shared else personal_records
        checks += [check_limit(policy, limit, records, request, bumps, now, 0.0) for limit in policy.limits]
    return checks


def over_quota(checks: list[LimitCheck]) -> bool:
    """Over quota: every applicable policy has a used-up limit (one policy with room is enough)."""
    by_policy: dict[str, list[LimitCheck]] = {}
    for c in checks:
        by_policy.setdefault(c.policy.group, []).append(c)
    return bool(by_policy) and all(any(c.over for c in group) for group in by_policy.values())
