"""The usage store: records and bumps in sqlite, surviving a reopen."""

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
