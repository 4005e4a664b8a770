"""The usage store: records and bumps in sqlite, surviving a reopen."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hubextras.usage.quota import Bump
from hubextras.usage.record import UsageRecord
from hubextras.usage.store import UsageStore


def test_records_survive_closing_and_reopening_the_store(tmp_path):
    store = UsageStore(tmp_path / "usage.sqlite")
    record_id = store.add(UsageRecord("ada", 100.0, groups=("g",), profile="small", mem_guarantee=5))
    store.close()
    again = UsageStore(tmp_path / "usage.sqlite")
    assert again.running_record("ada", "").id == record_id
    again.stop(record_id, 200.0, "culled")
    assert again.get(record_id).stopped == 200.0 and again.get(record_id).ended == "culled"


def test_a_stopped_record_keeps_its_first_stop(tmp_path):
    store = UsageStore(tmp_path / "usage.sqlite")
    record_id = store.add(UsageRecord("ada", 100.0))
    store.stop(record_id, 200.0, "stopped")
    store.stop(record_id, 300.0, "failed")
    assert (store.get(record_id).stopped, store.get(record_id).ended) == (200.0, "stopped")


def test_window_queries_return_what_ran_in_the_window(tmp_path):
    store = UsageStore(tmp_path / "usage.sqlite")
    store.add_many(
        [
            UsageRecord("ada", 0.0, stopped=10.0, groups=("g",)),
            UsageRecord("ada", 50.0, stopped=60.0, groups=("g",)),
            UsageRecord("bea", 55.0, groups=("g", "h")),
        ]
    )
    assert sorted(r.started for r in store.between(40, 100)) == [50.0, 55.0]
    assert [r.started for r in store.of_user("ada", 20)] == [50.0]
    assert sorted(r.user for r in store.of_group("g", 20)) == ["ada", "bea"]
    assert [r.user for r in store.of_group("h", 0)] == ["bea"]


def test_bumps_apply_until_they_expire_or_are_revoked_and_stay_in_the_history(tmp_path):
    store = UsageStore(tmp_path / "usage.sqlite")
    bump_id = store.add_bump(Bump("ada", "memory_gib_hours", 5, expires=200, granted_by="champ", granted_at=100))
    assert [b.amount for b in store.bumps_of("ada", 150)] == [5]
    assert store.bumps_of("ada", 200) == []
    assert store.revoke_bump(bump_id, "admin", 160)
    assert store.bumps_of("ada", 150) == []
    assert store.bump_history()[0]["revoked_by"] == "admin"


records_strategy = st.lists(
    st.builds(
        lambda user, start, hours, gib, groups, running: UsageRecord(
            user=user,
            started=1000.0 + start * 3600,
            stopped=None if running else 1000.0 + (start + hours) * 3600,
            groups=groups,
            profile=user[:1],
            mem_guarantee=gib * 1024**3,
            cpu_limit=float(gib),
        ),
        st.sampled_from(["ada", "bea", "cy"]),
        st.floats(0, 90),
        st.floats(0, 30),
        st.integers(0, 4),
        st.sampled_from([(), ("g",), ("g", "h")]),
        st.booleans(),
    ),
    max_size=15,
)


@settings(max_examples=100, deadline=None)
@given(records_strategy, st.tuples(st.floats(0, 100), st.floats(0, 100)).map(sorted))
@example([UsageRecord("ada", 1000.0 + 3600, stopped=1000.0 + 3600)], [0, 2])
@example([UsageRecord("ada", 1000.0, stopped=1000.0 + 3600, groups=("g",))], [1, 2])  # stopped as the window opens
def test_the_store_sums_the_same_figures_as_the_pure_summary(tmp_path_factory, records, window):
    from hubextras.usage.aggregate import summarize

    store = UsageStore(tmp_path_factory.mktemp("s") / "usage.sqlite")
    store.add_many(records)
    now, begin, end = 1000.0 + 120 * 3600, 1000.0 + window[0] * 3600, 1000.0 + window[1] * 3600
    ours, pure = store.summarize(begin, end, now, 6 * 3600), summarize(records, begin, end, now, 6 * 3600)

    def figures(totals):  # flat, as pytest.approx compares dicts
        return {
            (k, n): x
            for k, v in totals.items()
            for n, x in enumerate((v.servers, v.server_hours, v.memory_gib_hours, v.cpu_hours))
        }

    assert figures({"": ours.overall}) == pytest.approx(figures({"": pure.overall}), abs=1e-6)
    assert figures(ours.users) == pytest.approx(figures(pure.users), abs=1e-6)
    assert figures(ours.groups) == pytest.approx(figures(pure.groups), abs=1e-6)
    assert figures(ours.profiles) == pytest.approx(figures(pure.profiles), abs=1e-6)
    assert same_steps(ours.series, pure.series)
    limited = store.summarize(begin, end, now, 6 * 3600, groups={"h"}, users=set())
    visible = [r for r in records if "h" in r.groups]
    assert figures(limited.users) == pytest.approx(
        figures(summarize(visible, begin, end, now, 6 * 3600).users), abs=1e-6
    )


def same_steps(ours, reference) -> bool:
    """Two series agree: the same steps (start times to a microsecond) with the same figures."""
    return len(ours) == len(reference) and all(
        abs(a - b) < 1e-6
        and (x.servers, x.server_hours, x.memory_gib_hours, x.cpu_hours)
        == pytest.approx((y.servers, y.server_hours, y.memory_gib_hours, y.cpu_hours), abs=1e-6)
        for (a, x), (b, y) in zip(ours, reference)
    )
