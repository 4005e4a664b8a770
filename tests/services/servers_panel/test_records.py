"""The audit log and the saved bulk jobs: nothing half-written, nothing lost across a restart."""

import json

from hubextras.services.servers_panel.records import AUDIT_READ_BLOCK, INTERRUPTED, AuditLog, JobStore
from hubextras.services.servers_panel.rows import BulkJob, ServerRow, plan_bulk


def test_audit_entries_say_who_did_what_to_which_server_when_and_with_what_result(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("champ", "stop", "alice", "", "done", "Stopped.", "j1")
    log.record("champ", "restart", "sam", "gpu", "failed", "The hub refused", "j1")
    newest, oldest = log.recent()
    assert (newest["who"], newest["action"], newest["user"], newest["server"], newest["result"]) == (
        "champ", "restart", "sam", "gpu", "failed")
    assert oldest["time"] <= newest["time"]


def test_a_torn_last_audit_line_from_a_crash_is_skipped_not_fatal(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("champ", "stop", "alice", "", "done")
    with open(log.path, "a") as f:
        f.write('{"who": "champ", "act')
    assert [e["user"] for e in log.recent()] == ["alice"]


def test_long_audit_entries_still_give_as_many_as_asked_newest_first(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    # messages from a few bytes to more than two read blocks, so entries straddle block boundaries
    lengths = [10, 3 * AUDIT_READ_BLOCK, 500, AUDIT_READ_BLOCK - 7, 40_000, 1, AUDIT_READ_BLOCK + 1] * 4
    for n, length in enumerate(lengths):
        log.record("champ", "stop", f"learner{n:03d}", "", "failed", "x" * length)
    entries = log.recent(limit=25)
    assert [e["user"] for e in entries] == [f"learner{n:03d}" for n in range(len(lengths) - 1, len(lengths) - 26, -1)]
    assert [len(e["message"]) for e in entries] == lengths[::-1][:25]
    assert [e["user"] for e in log.recent(limit=1000)][-1] == "learner000"


def test_a_filter_for_one_champion_finds_their_entries_among_many_others(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    for n in range(3):
        log.record("sam", "restart", f"learner{n:03d}", "", "done")
    for n in range(3000):
        log.record(f"champion{n % 7}", "stop", f"learner{n % 50:03d}", "", "done", "Stopped.")
    entries = log.recent(limit=100, matching=lambda entry: entry["who"] == "sam")
    assert [(e["who"], e["user"]) for e in entries] == [("sam", "learner002"), ("sam", "learner001"),
                                                        ("sam", "learner000")]
    assert len(log.recent(limit=2, matching=lambda entry: entry["who"] == "sam")) == 2


def test_a_job_cut_short_is_recovered_with_its_unfinished_rows_failed(tmp_path):
    store = JobStore(tmp_path / "jobs")
    job = BulkJob.from_plan("j1", plan_bulk("stop", [ServerRow(n, "", "running") for n in "abc"]), "champ")
    job.mark("a/", "done", "Stopped.")
    job.mark("b/", "working")
    store.save(job)
    (recovered,) = JobStore(tmp_path / "jobs").recover()
    assert [(r.key, r.state) for r in recovered.rows.values()] == [("a/", "done"), ("b/", "failed"), ("c/", "failed")]
    assert recovered.rows["c/"].message == INTERRUPTED
    assert recovered.finished is not None
    assert json.loads((tmp_path / "jobs" / "j1.json").read_text())["finished"] == recovered.finished


def test_an_unreadable_job_file_is_set_aside_not_deleted(tmp_path):
    store = JobStore(tmp_path / "jobs")
    (tmp_path / "jobs" / "broken.json").write_text("{not json")
    assert store.load_all() == []
    assert (tmp_path / "jobs" / "broken.bad").read_text() == "{not json"


def test_saving_leaves_no_temporary_files_behind(tmp_path):
    store = JobStore(tmp_path / "jobs")
    store.save(BulkJob.from_plan("j1", plan_bulk("start", [ServerRow("a", "", "stopped")]), "champ"))
    assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == ["j1.json"]
