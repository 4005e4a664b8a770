"""The store on disk: uploads are atomic, resumable and never interleave; nothing partial is ever visible."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from hubextras.services.shared_data.errors import AlreadyExists, Busy, NotFound, NotYours, QuotaExceeded, UnsafePath
from hubextras.services.shared_data.store import SharedStore


@pytest.fixture
def store(tmp_path):
    return SharedStore(tmp_path / "shared", quota_bytes=1000)


def visible_names(store, path=""):
    return [entry["name"] for entry in store.listing(path)["entries"]]


def send(store, session, data, offset=None):
    writer = store.open_chunk(session.id, session.received if offset is None else offset)
    try:
        writer.write(data)
    finally:
        writer.close()


def test_an_upload_is_invisible_until_complete_then_lands_whole(store):
    session = store.begin_upload("course/data.csv", 10, "champ")
    send(store, session, b"12345")
    assert visible_names(store, "course") == []
    assert not (store.root / "course" / "data.csv").exists()
    send(store, session, b"67890")
    store.finish_upload(session.id)
    assert (store.root / "course" / "data.csv").read_bytes() == b"1234567890"
    assert visible_names(store, "course") == ["data.csv"]


def test_a_resumed_upload_continues_from_where_it_stopped(store):
    session = store.begin_upload("big.bin", 9, "champ")
    send(store, session, b"abc")
    with pytest.raises(Busy, match="stands at byte 3, not 0: resume from there"):
        store.open_chunk(session.id, 0)
    send(store, session, b"defghi", offset=store.upload(session.id).received)
    store.finish_upload(session.id)
    assert (store.root / "big.bin").read_bytes() == b"abcdefghi"


def test_two_uploads_of_the_same_name_never_interleave(store):
    store.begin_upload("notes.txt", 3, "champ")
    with pytest.raises(Busy, match="already being uploaded \\(by champ\\)"):
        store.begin_upload("notes.txt", 3, "ada", overwrite=True)


def test_one_upload_takes_one_stream_of_bytes_at_a_time(store):
    session = store.begin_upload("notes.txt", 3, "champ")
    writer = store.open_chunk(session.id, 0)
    with pytest.raises(Busy, match="Another request is sending bytes"):
        store.open_chunk(session.id, 0)
    writer.close()


def test_an_upload_past_the_quota_is_refused_before_anything_is_written(store):
    with pytest.raises(QuotaExceeded, match="only 1000 bytes free"):
        store.begin_upload("huge.bin", 5000, "champ")
    assert os.listdir(store.root) == []


def test_uploads_in_progress_count_against_the_quota(store):
    store.begin_upload("first.bin", 600, "champ")
    with pytest.raises(QuotaExceeded):
        store.begin_upload("second.bin", 600, "champ")


def test_an_upload_sending_more_than_it_declared_is_stopped_and_removed(store):
    session = store.begin_upload("liar.bin", 4, "champ")
    with pytest.raises(QuotaExceeded, match="more than the 4 bytes it declared"):
        send(store, session, b"123456")
    assert os.listdir(store.root) == []
    with pytest.raises(NotFound, match="Start the upload again"):
        store.upload(session.id)


def test_an_existing_file_is_replaced_only_when_asked(store):
    (store.root / "a.txt").write_bytes(b"old")
    with pytest.raises(AlreadyExists, match="choosing to replace existing files"):
        store.begin_upload("a.txt", 3, "champ")
    session = store.begin_upload("a.txt", 3, "champ", overwrite=True)
    send(store, session, b"new")
    store.finish_upload(session.id)
    assert (store.root / "a.txt").read_bytes() == b"new"


def test_a_cancelled_upload_leaves_nothing(store):
    session = store.begin_upload("gone.txt", 3, "champ")
    send(store, session, b"ab")
    store.cancel_upload(session.id)
    assert os.listdir(store.root) == []


def test_folders_move_and_delete(store):
    store.make_folder("course/week-1")
    (store.root / "course" / "week-1" / "a.txt").write_text("a")
    store.move("course/week-1", "archive/2025/week-1")
    assert (store.root / "archive" / "2025" / "week-1" / "a.txt").read_text() == "a"
    store.delete("archive")
    assert visible_names(store) == ["course"]


def test_a_folder_cannot_move_into_itself(store):
    store.make_folder("course")
    with pytest.raises(UnsafePath, match="cannot be moved into itself"):
        store.move("course", "course/inner")


def test_moving_never_overwrites(store):
    (store.root / "a.txt").write_text("a")
    (store.root / "b.txt").write_text("b")
    with pytest.raises(AlreadyExists, match="`b.txt` already exists"):
        store.move("a.txt", "b.txt")
    assert (store.root / "b.txt").read_text() == "b"


def test_the_shared_folder_itself_cannot_be_deleted(store):
    with pytest.raises(UnsafePath, match="cannot be deleted"):
        store.delete("")


def test_a_file_being_uploaded_cannot_be_deleted_or_moved_away(store):
    store.begin_upload("course/data.csv", 3, "champ")
    with pytest.raises(Busy, match="being uploaded right now"):
        store.delete("course")


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from hubextras.services.shared_data.store import SharedStore
    store = SharedStore(sys.argv[1], quota_bytes=10**9)
    session = store.begin_upload("course/big.bin", 10**8, "champ")
    writer = store.open_chunk(session.id, 0)
    writer.write(b"x" * 10**6)
    print("writing", flush=True)
    while True:
        writer.write(b"x" * 1000)
        time.sleep(0.01)
    """
)


def test_a_service_killed_mid_upload_leaves_no_partial_file_and_the_next_start_cleans_up(tmp_path):
    root = tmp_path / "shared"
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(root)], stdout=subprocess.PIPE)
    try:
        assert writer.stdout.readline() == b"writing\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
    assert not (root / "course" / "big.bin").exists()
    leftovers = os.listdir(root / "course")
    assert len(leftovers) == 1 and leftovers[0].startswith(".hubextras-upload-")
    restarted = SharedStore(root, quota_bytes=10**9)
    assert visible_names(restarted, "course") == []
    assert restarted.remove_temporaries() == 1
    assert os.listdir(root / "course") == []
    assert restarted.used_bytes() == 0


def test_an_abandoned_upload_is_cancelled_and_frees_its_room_and_name(tmp_path):
    store = SharedStore(tmp_path / "shared", quota_bytes=1000, abandoned_after=0.0)
    session = store.begin_upload("left.bin", 800, "champ")
    send(store, session, b"12")
    assert store.usage().reserved == 0
    assert os.listdir(store.root) == []
    with pytest.raises(NotFound, match="Start the upload again"):
        store.upload(session.id)
    store.begin_upload("left.bin", 800, "ada")


# --- a path swapped between two steps of an upload (issue 15, holes 3 and 7) ------------------------


def temporary_of(store, session):
    return session.target.parent / session.temporary.name


@pytest.mark.parametrize("swap", ["link to a file outside", "link to a folder outside", "another file"])
def test_a_temporary_swapped_between_pieces_stops_the_upload_and_nothing_outside_changes(store, tmp_path, swap):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"untouched")
    session = store.begin_upload("course/data.bin", 6, "champ")
    send(store, session, b"abc")
    temporary = temporary_of(store, session)
    temporary.unlink()
    if swap == "link to a file outside":
        temporary.symlink_to(outside / "victim")
    elif swap == "link to a folder outside":
        temporary.symlink_to(outside)
    else:
        temporary.write_bytes(b"abc")
    with pytest.raises(Busy, match="changed or replaced by something other than this service"):
        send(store, session, b"def")
    assert (outside / "victim").read_bytes() == b"untouched" and os.listdir(outside) == ["victim"]
    with pytest.raises(NotFound):
        store.upload(session.id)


def test_a_folder_swapped_for_a_link_before_the_finish_creates_nothing_outside(store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    session = store.begin_upload("course/data.bin", 3, "champ")
    send(store, session, b"abc")
    os.rename(store.root / "course", store.root / "elsewhere")
    (store.root / "course").symlink_to(outside)
    with pytest.raises(Busy, match="moved, removed or replaced by a link"):
        store.finish_upload(session.id)
    assert os.listdir(outside) == []
    assert os.listdir(store.root / "elsewhere") == []


def test_a_move_onto_the_target_of_an_upload_in_flight_is_refused(store):
    (store.root / "other.txt").write_bytes(b"other")
    session = store.begin_upload("course/data.csv", 3, "champ")
    with pytest.raises(Busy, match="being uploaded right now"):
        store.move("other.txt", "course/data.csv")
    with pytest.raises(Busy, match="being uploaded right now"):
        store.make_folder("course/data.csv")
    send(store, session, b"new")
    store.finish_upload(session.id)
    assert (store.root / "course" / "data.csv").read_bytes() == b"new"
    assert (store.root / "other.txt").read_bytes() == b"other"


@pytest.mark.parametrize("appeared", ["file", "folder"])
def test_a_finish_without_overwrite_never_replaces_what_appeared_meanwhile(store, appeared):
    session = store.begin_upload("data.csv", 3, "champ")
    send(store, session, b"new")
    target = store.root / "data.csv"
    target.mkdir() if appeared == "folder" else target.write_bytes(b"theirs")
    with pytest.raises(AlreadyExists, match="appeared while the upload was running"):
        store.finish_upload(session.id)
    assert target.is_dir() if appeared == "folder" else target.read_bytes() == b"theirs"
    # the upload waits: once what was in the way is gone, finishing again lands it
    target.rmdir() if appeared == "folder" else target.unlink()
    store.finish_upload(session.id)
    assert target.read_bytes() == b"new"


def test_a_folder_appearing_at_the_target_of_an_overwriting_upload_is_a_conflict_not_a_crash(store):
    (store.root / "data.csv").write_bytes(b"old")
    session = store.begin_upload("data.csv", 3, "champ", overwrite=True)
    send(store, session, b"new")
    (store.root / "data.csv").unlink()
    (store.root / "data.csv").mkdir()
    (store.root / "data.csv" / "inside").write_bytes(b"kept")
    with pytest.raises(AlreadyExists, match="appeared while the upload was running"):
        store.finish_upload(session.id)
    assert (store.root / "data.csv" / "inside").read_bytes() == b"kept"
    # once the way is clear, the same upload finishes (nothing of the first try is in the way)
    (store.root / "data.csv" / "inside").unlink()
    (store.root / "data.csv").rmdir()
    store.finish_upload(session.id)
    assert (store.root / "data.csv").read_bytes() == b"new"
    assert os.listdir(store.root) == ["data.csv"]


def test_only_the_owner_or_an_admin_may_reach_an_upload(store):
    session = store.begin_upload("mine.txt", 3, "champ")
    assert store.upload(session.id, "champ") is session
    with pytest.raises(NotYours, match="belongs to champ"):
        store.upload(session.id, "other-champion")
    assert store.upload(session.id, "ada", anyones=True) is session


# --- what a pull may place (issue 15, hole 6: held to the rules of an upload) -----------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda staged: (staged / "out").symlink_to("../../.."), "links may only point down"),
        (lambda staged: (staged / "abs").symlink_to("/etc/passwd"), "links may only point down"),
        (lambda staged: (staged / ".hubextras-upload-x").write_text("x"), "reserved for uploads in progress"),
        (lambda staged: (staged / "CON").write_text("x"), "reserved name"),
        (lambda staged: open(os.path.join(bytes(staged), b"caf\xe9.txt"), "w").close(), "not valid UTF-8"),
        (lambda staged: os.mkfifo(staged / "pipe"), "device, pipe or socket"),
    ],
)
def test_staged_content_is_held_to_the_rules_of_an_upload(store, make, message):
    staged = store.staging_area("")
    (staged / "fine").mkdir()
    make(staged / "fine")
    with pytest.raises(UnsafePath, match=message):
        store.place(staged, "pulled")
    assert not (store.root / "pulled").exists()


def test_staged_links_pointing_down_are_placed(store):
    staged = store.staging_area("")
    (staged / "data").mkdir()
    (staged / "data" / "a.csv").write_text("1")
    (staged / "latest.csv").symlink_to("data/a.csv")
    store.place(staged, "pulled")
    assert (store.root / "pulled" / "latest.csv").read_text() == "1"


def test_a_listing_shows_a_name_that_is_not_utf8_instead_of_failing(store):
    open(os.path.join(bytes(store.root), b"caf\xe9.txt"), "w").close()
    assert visible_names(store) == ["caf\ufffd.txt"]
