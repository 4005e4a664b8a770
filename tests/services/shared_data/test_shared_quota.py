"""Quota math: an upload that would pass the quota is refused before it starts, with the numbers a person needs."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubextras.services.shared_data.errors import QuotaExceeded
from hubextras.services.shared_data.quota import Usage, check_fits, check_received


def test_an_upload_past_the_quota_is_refused_with_sizes_and_what_to_do():
    usage = Usage(used=99 * 2**30, reserved=0, quota=100 * 2**30)
    with pytest.raises(QuotaExceeded) as refusal:
        check_fits(usage, 2 * 2**30)
    message = str(refusal.value)
    assert "2.0 GiB" in message and "1.0 GiB free" in message and "100.0 GiB quota" in message
    assert "Delete files" in message


def test_replacing_a_file_frees_its_bytes():
    usage = Usage(used=90, reserved=0, quota=100)
    check_fits(usage, 30, replacing=25)
    with pytest.raises(QuotaExceeded):
        check_fits(usage, 30, replacing=5)


def test_uploads_in_progress_hold_their_room():
    assert Usage(used=50, reserved=40, quota=100).free == 10


def test_more_bytes_than_declared_are_refused():
    check_received(declared=10, received=10)
    with pytest.raises(QuotaExceeded, match="more than the 10 bytes it declared"):
        check_received(declared=10, received=11)


@given(st.integers(0, 10**12), st.integers(0, 10**12), st.integers(0, 10**12), st.integers(0, 10**12))
def test_an_upload_fits_exactly_when_it_needs_no_more_than_what_is_free(used, reserved, incoming, replacing):
    quota_bytes = 10**12
    usage = Usage(used=used, reserved=reserved, quota=quota_bytes)
    fits = incoming - replacing <= max(0, quota_bytes - used - reserved)
    try:
        check_fits(usage, incoming, replacing)
        accepted = True
    except QuotaExceeded:
        accepted = False
    assert accepted == fits
