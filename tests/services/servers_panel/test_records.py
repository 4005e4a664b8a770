"""The saved bulk jobs: nothing half-written, nothing lost across a restart (the audit log: tests/services/base)."""

import json

from hubextras.services.servers_panel.records import INTERRUPTED, JobStore
from hubextras.services.servers_panel.rows import BulkJob, ServerRow, plan_bulk


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
