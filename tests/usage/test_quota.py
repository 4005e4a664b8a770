"""Quota policies and the decision "may this person start this profile now"."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.usage.quota import (
    Bump,
    PolicyError,
    StartRequest,
    decide,
    earliest_fit,
    measure,
    over_quota,
    parse_policy,
)
from hubextras.usage.record import DAY, GIB, HOUR, UsageRecord

NOW = 1_800_000_000.0
MEMORY_10_PER_7_DAYS = {"limits": [{"resource": "memory_gib_hours", "amount": 10, "days": 7}]}


def used(hours, gib=1, ago_hours=None, user="ada", groups=("course",)):
    """A stopped server of `gib` that ran `hours`, ending `ago_hours` before NOW (default: just now)."""
    end = NOW - (ago_hours or 0) * HOUR
    return UsageRecord(user=user, groups=groups, started=end - hours * HOUR, stopped=end, mem_guarantee=gib * GIB)


def ask(profile="small", gib=1, user="ada", groups=("course",)):
    return StartRequest(user, frozenset(groups), profile, gib * GIB, 1.0)


def policies(**specs):
    return {group: parse_policy(group, spec) for group, spec in specs.items()}


@given(st.integers(0, 30), st.integers(1, 30))
@example(used_hours=9, limit=10)  # fits exactly: 9 used + 1 needed = 10
@example(used_hours=10, limit=10)  # one more: refused
def test_a_start_is_allowed_while_an_hour_of_it_still_fits(used_hours, limit):
    spec = {"limits": [{"resource": "memory_gib_hours", "amount": limit, "days": 7}]}
    records = [used(used_hours)] if used_hours else []
    decision = decide(ask(), policies(course=spec), None, records, {}, [], NOW)
    assert decision.allowed == (used_hours + 1 <= limit)


def test_the_refusal_says_used_limit_and_when_to_try_again():
    decision = decide(ask(), policies(course=MEMORY_10_PER_7_DAYS), None, [used(10, ago_hours=24)], {}, [], NOW)
    assert not decision.allowed
    assert "you have used 10.0 of 10 GiB-hours of memory in the last 7 days" in decision.message
    # the window must drop one hour of the oldest usage: 6 days after it ended minus 9 hours
    assert decision.retry_at == NOW - 24 * HOUR - 10 * HOUR + 7 * DAY + HOUR
    assert "you can start it again from" in decision.message and "UTC" in decision.message


usage_lists = st.lists(st.tuples(st.floats(0.1, 20), st.integers(1, 4), st.floats(0, 160)), min_size=1, max_size=8)


@given(usage_lists, st.integers(1, 4))
@example([(10.0, 1, 24.0)], 1)
@example([(5.0, 2, 0.0)], 1)
def test_at_the_retry_time_the_start_fits_and_a_minute_before_it_does_not(usages, gib):
    records = [used(hours, g, ago) for hours, g, ago in usages]
    spec = policies(course=MEMORY_10_PER_7_DAYS)
    decision = decide(ask(gib=gib), spec, None, records, {}, [], NOW)
    if decision.allowed:
        return
    assert decision.retry_at is not None
    assert decide(ask(gib=gib), spec, None, records, {}, [], decision.retry_at + 1e-3).allowed
    if decision.retry_at - 60 > NOW:
        assert not decide(ask(gib=gib), spec, None, records, {}, [], decision.retry_at - 60).allowed


def test_a_running_server_counts_and_the_retry_assumes_it_stops_now():
    running = UsageRecord(user="ada", groups=("course",), started=NOW - 10 * HOUR, mem_guarantee=GIB)
    decision = decide(ask(), policies(course=MEMORY_10_PER_7_DAYS), None, [running], {}, [], NOW)
    assert not decision.allowed and decision.retry_at == NOW - 10 * HOUR + 7 * DAY + HOUR


def test_a_profile_larger_than_the_whole_limit_can_never_start():
    decision = decide(ask(gib=11), policies(course=MEMORY_10_PER_7_DAYS), None, [], {}, [], NOW)
    assert not decision.allowed and decision.retry_at is None
    assert "needs more than the whole limit" in decision.message


def test_profiles_outside_the_policy_are_refused_without_a_retry_time():
    spec = {**MEMORY_10_PER_7_DAYS, "profiles": ["small", "medium"]}
    decision = decide(ask("large"), policies(course=spec), None, [], {}, [], NOW)
    assert not decision.allowed and decision.retry_at is None
    assert "members of course may start only these profiles: medium, small" in decision.message


def test_servers_above_the_policys_size_are_refused():
    spec = {**MEMORY_10_PER_7_DAYS, "max_memory_gib": 2}
    assert decide(ask(gib=2), policies(course=spec), None, [], {}, [], NOW).allowed
    assert not decide(ask(gib=3), policies(course=spec), None, [], {}, [], NOW).allowed


def test_an_active_bump_adds_to_the_limit_and_an_expired_one_does_not():
    spec = policies(course=MEMORY_10_PER_7_DAYS)
    records = [used(10)]
    bump = Bump("ada", "memory_gib_hours", 5, expires=NOW + DAY, granted_at=NOW - HOUR)
    expired = Bump("ada", "memory_gib_hours", 5, expires=NOW - 1, granted_at=NOW - DAY)
    someone_elses = Bump("bea", "memory_gib_hours", 5, expires=NOW + DAY, granted_at=NOW - HOUR)
    assert decide(ask(), spec, None, records, {}, [bump], NOW).allowed
    assert not decide(ask(), spec, None, records, {}, [expired, someone_elses], NOW).allowed


def test_several_windows_must_all_fit():
    spec = {
        "limits": [
            {"resource": "memory_gib_hours", "amount": 100, "days": 30},
            {"resource": "server_hours", "amount": 5, "days": 1},
        ]
    }
    decision = decide(ask(), policies(course=spec), None, [used(5)], {}, [], NOW)
    assert not decision.allowed and "server-hours in the last 1 days" in decision.message


def test_a_shared_policy_counts_the_whole_group():
    spec = {"limits": [{"resource": "server_hours", "amount": 10, "days": 7}], "shared": True}
    group = [used(5, user="bea"), used(5, user="cy")]
    decision = decide(ask(), policies(course=spec), None, [], {"course": group}, [], NOW)
    assert not decision.allowed and "your group course has used 10.0 of 10 server-hours" in decision.message


def test_the_default_applies_to_people_in_no_policy_group():
    default = parse_policy("", MEMORY_10_PER_7_DAYS)
    assert not decide(ask(groups=("other",)), {}, default, [used(10)], {}, [], NOW).allowed
    assert decide(ask(groups=("other",)), {}, None, [used(10)], {}, [], NOW).allowed


def test_one_allowing_policy_is_enough_for_someone_in_two_groups():
    spec = policies(
        course=MEMORY_10_PER_7_DAYS, research={"limits": [{"resource": "memory_gib_hours", "amount": 100, "days": 7}]}
    )
    assert decide(ask(groups=("course", "research")), spec, None, [used(10)], {}, [], NOW).allowed


def test_group_names_match_case_insensitively():
    spec = policies(**{"Org:Course": MEMORY_10_PER_7_DAYS})
    assert not decide(ask(groups=("org:course",)), spec, None, [used(10)], {}, [], NOW).allowed


def test_over_quota_means_a_limit_is_used_up_in_every_policy():
    spec = policies(course=MEMORY_10_PER_7_DAYS)
    assert over_quota(measure("ada", frozenset({"course"}), spec, None, [used(10)], {}, [], NOW))
    assert not over_quota(measure("ada", frozenset({"course"}), spec, None, [used(9.5)], {}, [], NOW))


def test_earliest_fit_is_now_when_it_already_fits():
    assert earliest_fit([used(1)], "memory_gib_hours", 7 * DAY, NOW, 5) == NOW


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"limits": [{"resource": "disk", "amount": 1, "days": 1}]}, "measures 'disk'"),
        ({"limits": [{"resource": "server_hours", "amount": -1, "days": 1}]}, "amount must be 0 or more"),
        ({"limits": [{"resource": "server_hours", "amount": 1}]}, 'write it as {"resource"'),
        ({"limit": []}, "unknown keys ['limit']"),
        ({"profiles": "small"}, "list of profile slugs"),
        ({"max_cpu": 0}, "max_cpu must be a number above 0"),
    ],
)
def test_a_policy_that_cannot_be_read_says_what_to_write(spec, words):
    with pytest.raises(PolicyError, match=None) as error:
        parse_policy("course", spec)
    assert words in str(error.value) and "course" in str(error.value)
