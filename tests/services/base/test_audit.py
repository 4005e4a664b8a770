"""The one audit log: JSON lines, ISO UTC times, mode 0600, newest first, rotated by size."""

import json
import re
import stat

from hubextras.services.base.audit import FILE_MODE, READ_BLOCK, AuditLog


def test_an_entry_has_the_time_who_and_action_first(tmp_path):
    entry = AuditLog(tmp_path / "audit.jsonl").record("ada", "stop", user="bob", server="")
    assert list(entry)[:3] == ["time", "who", "action"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["time"])
    assert json.loads((tmp_path / "audit.jsonl").read_text()) == entry


def test_the_file_is_readable_by_the_service_only(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.touch(mode=0o644)
    path.chmod(0o644)
    AuditLog(path).record("ada", "stop")
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE == 0o600


def test_recent_is_newest_first_and_filtered(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    for n in range(10):
        log.record("ada" if n % 2 else "bob", "stop", n=n)
    assert [e["n"] for e in log.recent(3)] == [9, 8, 7]
    assert [e["n"] for e in log.recent(2, matching=lambda e: e["who"] == "bob")] == [8, 6]


def test_a_torn_last_line_is_skipped(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("ada", "stop", n=1)
    with open(log.path, "ab") as f:
        f.write(b'{"time": "2026-')
    assert [e["n"] for e in log.recent()] == [1]


def test_a_full_file_rotates_and_reading_goes_on_into_the_older_files(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=300, backups=2)
    for n in range(30):
        log.record("ada", "stop", n=n)
    assert all(path.stat().st_size <= 300 for path in log.files() if path.exists())
    kept = [e["n"] for e in log.recent(1000)]
    assert kept == sorted(kept, reverse=True) and kept[0] == 29
    assert 0 < len(kept) < 30  # the oldest beyond the backups are dropped
    assert not (tmp_path / "audit.jsonl.3").exists()


def test_long_entries_are_read_back_whole_across_blocks(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("ada", "stop", message="x" * 200_000)
    log.record("ada", "start")
    assert [len(e.get("message", "")) for e in log.recent()] == [0, 200_000]


def test_entries_straddling_read_blocks_give_as_many_as_asked_newest_first(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=10**9)
    lengths = [10, 3 * READ_BLOCK, 500, READ_BLOCK - 7, 40_000, 1, READ_BLOCK + 1] * 4
    for n, length in enumerate(lengths):
        log.record("champ", "stop", user=f"learner{n:03d}", message="x" * length)
    entries = log.recent(limit=25)
    assert [e["user"] for e in entries] == [f"learner{n:03d}" for n in range(len(lengths) - 1, len(lengths) - 26, -1)]
    assert [len(e["message"]) for e in entries] == lengths[::-1][:25]
    assert [e["user"] for e in log.recent(limit=1000)][-1] == "learner000"
