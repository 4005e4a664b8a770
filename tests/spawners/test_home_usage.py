"""Home size against the soft limit: the messages (pure) and the bounded background scan."""

import asyncio
import os

from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.spawners.home_usage import HomeUsage, Usage, measure, over_quota_message, usage_line

GIB = 1024**3


def test_usage_line_says_how_much_of_the_limit_the_home_holds():
    assert usage_line(Usage(GIB, True, 0), 10 * GIB) == "Your home folder holds 1 GB of the 10 GB this hub allows."
    assert usage_line(Usage(GIB, False, 0), 0) == "Your home folder holds more than 1 GB."


@given(st.integers(min_value=0, max_value=100 * GIB))
@example(10 * GIB)  # exactly at the limit: allowed
@example(10 * GIB + 1)  # one byte more: refused
def test_a_start_is_refused_only_past_the_limit(used):
    message = over_quota_message(Usage(used, True, 0), 10 * GIB, "/home/jupyter-alice")
    assert (message is not None) == (used > 10 * GIB)


def test_the_refusal_says_how_much_to_delete_and_where():
    message = over_quota_message(Usage(12 * GIB, True, 0), 10 * GIB, "/home/jupyter-alice")
    assert "Delete at least 2 GB from /home/jupyter-alice" in message and "ask a hub champion" in message


def test_measure_counts_files_below_without_following_links(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data").write_bytes(os.urandom(1024 * 1024))
    (tmp_path / "link").symlink_to("/usr")
    usage = measure(str(tmp_path), 10)
    assert usage.complete and 1024 * 1024 <= usage.used < 2 * 1024 * 1024


def test_a_scan_out_of_time_reports_at_least_what_it_found(tmp_path):
    assert measure(str(tmp_path), -1).complete is False


async def test_the_cache_answers_at_once_and_a_fresh_measure_is_awaited_at_most_as_long_as_asked(tmp_path):
    usage = HomeUsage(max_age=300, budget_seconds=5)
    assert usage.cached(str(tmp_path)) is None  # first look: a scan starts in the background
    fresh = await usage.fresh(str(tmp_path), 5)
    assert fresh is not None and usage.cached(str(tmp_path)) == fresh
    await asyncio.sleep(0)
