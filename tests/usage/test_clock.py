"""The clock the usage record uses: real time, or a clock file tests move."""

import time

import pytest

from hubextras.usage.clock import Clock, set_clock


def test_the_clock_file_is_now_while_it_exists(tmp_path):
    path = tmp_path / "now"
    set_clock(str(path), 1234.5)
    assert Clock(str(path)).now() == 1234.5
    path.unlink()
    assert abs(Clock(str(path)).now() - time.time()) < 5


def test_the_environment_names_the_clock_file(tmp_path, monkeypatch):
    set_clock(str(tmp_path / "now"), 99.0)
    monkeypatch.setenv("HUBEXTRAS_USAGE_CLOCK", str(tmp_path / "now"))
    assert Clock().now() == 99.0


def test_a_clock_file_without_a_time_says_so(tmp_path):
    (tmp_path / "now").write_text("tomorrow")
    with pytest.raises(RuntimeError, match="does not hold a Unix time"):
        Clock(str(tmp_path / "now")).now()
