"""What the hub's pages read: the board file, re-read when it changes, with the operator's as fallback."""

import logging
import os

from hubextras.announcements import board
from hubextras.announcements.published import PageAnnouncements, read_board, write_board

NOW = 1_800_000_000.0


def announcement(markdown="**Maintenance**", places=("login",), ends=NOW + 60, id="a" * 16):
    return board.post([], id, markdown, places, NOW - 1, ends, author="champ", now=NOW)


def test_the_board_file_is_written_whole_and_read_back(tmp_path):
    path = tmp_path / "announcements.json"
    write_board(path, [announcement()])
    assert read_board(path) == [announcement()]
    assert [p.name for p in tmp_path.iterdir()] == ["announcements.json"]


def test_pages_show_the_champions_announcements_rendered_where_chosen(tmp_path):
    path = tmp_path / "announcements.json"
    write_board(path, [announcement()])
    pages = PageAnnouncements(path, fallback=["Operator news"], clock=lambda: NOW)(None)
    assert pages["login"] == ["<p><strong>Maintenance</strong></p>\n"]
    assert pages["home"] == ["Operator news"] and pages["spawn"] == []


def test_with_no_board_the_operators_announcements_show_on_login_and_home(tmp_path):
    pages = PageAnnouncements(tmp_path / "missing.json", fallback=["<i>Operator</i>"], clock=lambda: NOW)(None)
    assert (pages["login"], pages["home"], pages["spawn"]) == (["<i>Operator</i>"], ["<i>Operator</i>"], [])


def test_an_announcement_leaves_the_pages_at_its_end_time(tmp_path):
    path = tmp_path / "announcements.json"
    write_board(path, [announcement()])
    now = [NOW + 59]
    provider = PageAnnouncements(path, clock=lambda: now[0])
    assert len(provider(None)["login"]) == 1
    now[0] = NOW + 60
    assert provider(None)["login"] == []


def test_a_changed_board_is_read_again(tmp_path):
    path = tmp_path / "announcements.json"
    write_board(path, [announcement("first")])
    provider = PageAnnouncements(path, clock=lambda: NOW)
    assert provider(None)["login"] == ["<p>first</p>\n"]
    write_board(path, [announcement("second")])
    assert provider(None)["login"] == ["<p>second</p>\n"]


def test_html_put_in_the_file_by_hand_is_rendered_as_text(tmp_path):
    path = tmp_path / "announcements.json"
    write_board(path, [announcement("<script>alert(1)</script>")])
    shown = PageAnnouncements(path, clock=lambda: NOW)(None)["login"]
    assert shown == ["<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"]


def test_a_broken_board_keeps_the_last_one_read_and_says_why(tmp_path, caplog):
    path = tmp_path / "announcements.json"
    write_board(path, [announcement("kept")])
    provider = PageAnnouncements(path, clock=lambda: NOW, log=logging.getLogger("test"))
    provider(None)
    path.write_text("{not json")
    os.utime(path, ns=(1, 1))
    assert provider(None)["login"] == ["<p>kept</p>\n"]
    assert "unreadable" in caplog.text
