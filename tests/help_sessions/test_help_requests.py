"""Help requests (pure): a window of consent, openings recorded, shares to revoke once it ends."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.help_sessions import sessions
from hubextras.help_sessions.published import HomeHelpSession, window_text, write_requests
from hubextras.help_sessions.sessions import HelpSessionError

NOW = 1_800_000_000.0
HOUR = 3600.0


def offered(now=NOW):
    return sessions.offer([], "alice", "", now=now, window=HOUR)


@given(st.floats(NOW - 10, NOW + 2 * HOUR))
@example(NOW)
@example(NOW + HOUR)
@example(NOW + HOUR - 0.001)
def test_a_request_is_open_for_its_window_only(when):
    assert offered().is_open(when) == (when < NOW + HOUR)


def test_sharing_again_while_open_extends_the_window():
    first = offered()
    again = sessions.offer([first], "alice", "", now=NOW + 600, window=HOUR)
    assert (again.starts, again.until) == (NOW, NOW + 600 + HOUR)


def test_sharing_after_it_ended_starts_a_new_request_and_keeps_the_old_as_a_record():
    old = sessions.end(offered(), "alice", now=NOW + 10)
    new = sessions.offer([old], "alice", "", now=NOW + 20, window=HOUR)
    assert new.starts == NOW + 20 and new.openings == ()
    assert sessions.replaced([old], new) == [new, old]


def test_an_opening_is_recorded_with_the_champion_and_time():
    opened = sessions.open_for(offered(), "champ", now=NOW + 5)
    assert opened.openings == (sessions.Opening("champ", NOW + 5),) and opened.shared_with == ("champ",)


def test_opening_twice_records_twice_and_shares_once():
    opened = sessions.open_for(sessions.open_for(offered(), "champ", now=NOW + 5), "champ", now=NOW + 9)
    assert (len(opened.openings), opened.shared_with) == (2, ("champ",))


@pytest.mark.parametrize("request_", [None, sessions.end(offered(), "alice", now=NOW + 1)])
def test_a_server_not_shared_now_cannot_be_opened(request_):
    with pytest.raises(HelpSessionError) as refused:
        sessions.open_for(request_, "champ", now=NOW + 2)
    assert refused.value.status == 403 and "not shared" in refused.value.message


def test_a_timed_out_request_cannot_be_opened():
    with pytest.raises(HelpSessionError):
        sessions.open_for(offered(), "champ", now=NOW + HOUR)


def test_ended_or_timed_out_requests_with_shares_are_to_revoke():
    opened = sessions.open_for(offered(), "champ", now=NOW + 5)
    assert sessions.to_revoke([opened], NOW + 10) == []
    assert sessions.to_revoke([opened], NOW + HOUR) == [opened]
    ended = sessions.end(opened, "alice", now=NOW + 10)
    assert sessions.to_revoke([ended], NOW + 11) == [ended]
    assert sessions.to_revoke([sessions.revoked(ended, "champ")], NOW + 11) == []


def test_a_request_survives_its_json_form():
    opened = sessions.open_for(offered(), "champ", now=NOW + 5)
    assert sessions.HelpRequest.from_json(opened.to_json(NOW)) == opened


@pytest.mark.parametrize(("seconds", "text"), [(3600, "1 hour"), (7200, "2 hours"), (1800, "30 minutes"),
                                               (60, "1 minute")])
def test_the_window_is_said_in_words(seconds, text):
    assert window_text(seconds) == text


class Person:
    name = "alice"


def test_the_home_page_shows_the_persons_session_until_when_and_who_opened(tmp_path):
    path = tmp_path / "requests.json"
    write_requests(path, [sessions.open_for(offered(), "champ", now=NOW + 5)])
    home = HomeHelpSession(path, "/services/help-sessions/", clock=lambda: NOW + 6)(Person())
    assert (home["open"], home["until_text"], [o["champion"] for o in home["openings"]]) == (
        True, "09:00 UTC", ["champ"])


def test_signed_out_pages_get_no_help_session(tmp_path):
    assert HomeHelpSession(tmp_path / "requests.json", "/x/")(None) is None
