"""The board: what shows where and when, posting, editing and expiring (pure)."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.announcements import board
from hubextras.announcements.board import AnnouncementError

NOW = 1_800_000_000.0


def posted(places=("login", "home"), starts=NOW, ends=NOW + 3600, markdown="Maintenance", id="a" * 16):
    return board.post([], id, markdown, places, starts, ends, author="champ", now=NOW)


@given(st.floats(NOW - 10, NOW + 4000))
@example(NOW)
@example(NOW - 0.001)
@example(NOW + 3600)
@example(NOW + 3599.999)
def test_an_announcement_shows_from_its_start_until_just_before_its_end(when):
    a = posted()
    assert board.showing([a], "login", when) == ([a] if NOW <= when < NOW + 3600 else [])


def test_it_shows_only_on_the_places_chosen():
    a = posted(places=("spawn",))
    assert [bool(board.showing([a], place, NOW)) for place in board.PLACES] == [False, False, True]


def test_no_start_means_now_and_no_end_means_until_expired():
    a = board.post([], "b" * 16, "x", ["home"], None, None, author="champ", now=NOW)
    assert (a.starts, a.ends, a.state(NOW + 10**8)) == (NOW, None, "showing")


def test_the_latest_start_shows_first():
    older, newer = posted(id="1" * 16, starts=NOW - 100), posted(id="2" * 16, starts=NOW - 10)
    assert board.showing([older, newer], "home", NOW) == [newer, older]


def test_expiring_ends_it_now_and_records_who():
    a = board.expire(posted(), editor="champ2", now=NOW + 60)
    assert (a.ends, a.edited_by, a.state(NOW + 60)) == (NOW + 60, "champ2", "ended")
    assert board.showing([a], "login", NOW + 60) == []


def test_expiring_an_ended_one_changes_nothing():
    a = posted()
    assert board.expire(a, editor="champ2", now=NOW + 7200) is a


def test_editing_keeps_the_author_and_the_start_when_none_is_given():
    a = board.edit(posted(), "New text", ["home"], None, NOW + 60, editor="champ2", now=NOW + 5)
    assert (a.markdown, a.places, a.starts, a.ends, a.author, a.edited_by) == (
        "New text", ("home",), NOW, NOW + 60, "champ", "champ2")


def test_replacing_keeps_the_boards_order_and_a_new_one_goes_first():
    a, b = posted(id="1" * 16), posted(id="2" * 16)
    changed = board.edit(b, "x", ["home"], None, None, editor="c", now=NOW)
    assert [x.id for x in board.replaced([a, b], changed)] == ["1" * 16, "2" * 16]
    assert [x.id for x in board.replaced([a], b)] == ["2" * 16, "1" * 16]


@pytest.mark.parametrize(("markdown", "places", "starts", "ends", "says"), [
    ("   ", ["home"], None, None, "empty"),
    ("x" * (board.MAX_MARKDOWN_CHARS + 1), ["home"], None, None, "characters"),
    ("x", [], None, None, "Choose where"),
    ("x", ["banner"], None, None, "'banner' is not a place"),
    ("x", ["home"], NOW, NOW, "not after the start"),
    ("x", ["home"], float("nan"), None, "not a date"),
    ("x", ["home"], None, 1e300, "not a date"),
])
def test_a_draft_the_board_cannot_show_is_refused_saying_what_to_change(markdown, places, starts, ends, says):
    with pytest.raises(AnnouncementError, match=says):
        board.post([], "c" * 16, markdown, places, starts, ends, author="champ", now=NOW)


def test_the_longest_announcement_fits_exactly():
    assert len(posted(markdown="x" * board.MAX_MARKDOWN_CHARS).markdown) == board.MAX_MARKDOWN_CHARS


def test_a_full_board_refuses_more():
    full = [posted(id=f"{n:016x}") for n in range(board.MAX_ANNOUNCEMENTS)]
    with pytest.raises(AnnouncementError, match="remove ended ones"):
        board.post(full, "d" * 16, "x", ["home"], None, None, author="champ", now=NOW)


def test_an_announcement_survives_its_json_form():
    a = posted()
    assert board.Announcement.from_json(a.to_json()) == a
