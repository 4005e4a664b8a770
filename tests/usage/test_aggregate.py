"""Totals over any window: server-hours, GiB-hours and CPU-hours of requests, per person, group and profile."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.usage.aggregate import NO_GROUP, by_group, by_profile, by_user, series, top, total, totals_by
from hubextras.usage.record import GIB, HOUR, UsageRecord

T0 = 1_000_000.0


def server(user="ada", start=0.0, hours=1.0, gib=1, cpu=1.0, groups=("g",), profile="small", running=False):
    return UsageRecord(
        user=user,
        started=T0 + start * HOUR,
        stopped=None if running else T0 + (start + hours) * HOUR,
        mem_guarantee=gib * GIB,
        cpu_guarantee=cpu,
        groups=groups,
        profile=profile,
    )


def test_a_stopped_server_counts_its_hours_times_its_request():
    totals = total([server(hours=3, gib=2, cpu=0.5)], T0, T0 + 10 * HOUR, T0 + 10 * HOUR)
    assert (totals.servers, totals.server_hours, totals.memory_gib_hours, totals.cpu_hours) == (1, 3, 6, 1.5)


def test_a_running_server_counts_up_to_now():
    totals = total([server(running=True, gib=4)], T0, T0 + 10 * HOUR, now=T0 + 2 * HOUR)
    assert totals.memory_gib_hours == 8


def test_only_the_part_inside_the_window_counts():
    totals = total([server(start=0, hours=10)], T0 + 4 * HOUR, T0 + 6 * HOUR, T0 + 20 * HOUR)
    assert totals.server_hours == 2


def test_the_limit_is_charged_when_no_guarantee_is_set():
    record = UsageRecord(user="ada", started=T0, stopped=T0 + HOUR, mem_limit=2 * GIB, cpu_limit=3)
    totals = total([record], T0, T0 + HOUR, T0 + HOUR)
    assert (totals.memory_gib_hours, totals.cpu_hours) == (2, 3)


def test_a_failed_start_counts_as_a_server_of_no_hours():
    failed = UsageRecord(user="ada", started=T0 + HOUR, stopped=T0 + HOUR, ended="failed")
    totals = total([failed], T0, T0 + 2 * HOUR, T0 + 2 * HOUR)
    assert (totals.servers, totals.server_hours) == (1, 0)


def test_per_person_group_and_profile():
    records = [
        server("ada", groups=("a", "b"), profile="small"),
        server("bea", groups=(), profile="large", gib=4),
    ]
    end = T0 + 5 * HOUR
    assert {k: v.memory_gib_hours for k, v in totals_by(records, T0, end, end, by_user).items()} == {"ada": 1, "bea": 4}
    assert set(totals_by(records, T0, end, end, by_group)) == {"a", "b", NO_GROUP}
    assert totals_by(records, T0, end, end, by_profile)["large"].servers == 1


def test_top_people_are_the_largest_users_first():
    records = [server("ada", gib=1), server("bea", gib=8), server("cy", gib=4)]
    people = totals_by(records, T0, T0 + HOUR, T0 + HOUR, by_user)
    assert [name for name, _ in top(people, "memory_gib_hours", 2)] == ["bea", "cy"]


windows = st.tuples(st.floats(0, 100), st.floats(0, 100)).map(sorted)
servers = st.lists(
    st.builds(server, start=st.floats(0, 90), hours=st.floats(0, 30), gib=st.integers(0, 8), running=st.booleans()),
    max_size=20,
)


@given(servers, windows, st.floats(0, 1))
@example([server(start=0, hours=10)], [0, 10], 0.5)
@example([server(start=0, hours=10)], [0, 10], 0.0)
def test_a_window_is_the_sum_of_its_two_halves(records, window, cut):
    now = T0 + 120 * HOUR
    begin, end = T0 + window[0] * HOUR, T0 + window[1] * HOUR
    middle = begin + (end - begin) * cut
    whole = total(records, begin, end, now)
    halves = total(records, begin, middle, now).memory_gib_hours + total(records, middle, end, now).memory_gib_hours
    assert abs(whole.memory_gib_hours - halves) < 1e-6


@given(servers)
@example([server(start=0, hours=24)])
def test_the_daily_series_adds_up_to_the_window_total(records):
    now = T0 + 120 * HOUR
    days = series(records, T0, T0 + 96 * HOUR, now, 24 * HOUR)
    assert len(days) == 4
    assert abs(sum(t.cpu_hours for _, t in days) - total(records, T0, T0 + 96 * HOUR, now).cpu_hours) < 1e-6


@given(servers, windows)
@example([server(start=0, hours=24, groups=())], [0, 48])
@example([UsageRecord(user="ada", started=T0 + HOUR, stopped=T0 + HOUR)], [0, 2])
def test_one_pass_summary_gives_the_same_figures_as_each_table(records, window):
    from hubextras.usage.aggregate import summarize

    now = T0 + 120 * HOUR
    begin, end = T0 + window[0] * HOUR, T0 + window[1] * HOUR
    summary = summarize(records, begin, end, now, 6 * HOUR)

    def figures(totals):  # flat, as pytest.approx compares dicts
        return {
            (k, n): x
            for k, v in totals.items()
            for n, x in enumerate((v.servers, v.server_hours, v.memory_gib_hours, v.cpu_hours))
        }

    assert figures({"": summary.overall}) == pytest.approx(figures({"": total(records, begin, end, now)}), abs=1e-6)
    assert figures(summary.users) == pytest.approx(figures(totals_by(records, begin, end, now, by_user)), abs=1e-6)
    assert figures(summary.groups) == pytest.approx(figures(totals_by(records, begin, end, now, by_group)), abs=1e-6)
    assert figures(summary.profiles) == pytest.approx(
        figures(totals_by(records, begin, end, now, by_profile)), abs=1e-6
    )
    assert same_steps(summary.series, series(records, begin, end, now, 6 * HOUR))


def same_steps(ours, reference) -> bool:
    """Two series agree: the same steps (start times to a microsecond) with the same figures."""
    return len(ours) == len(reference) and all(
        abs(a - b) < 1e-6
        and (x.servers, x.server_hours, x.memory_gib_hours, x.cpu_hours)
        == pytest.approx((y.servers, y.server_hours, y.memory_gib_hours, y.cpu_hours), abs=1e-6)
        for (a, x), (b, y) in zip(ours, reference)
    )
