"""Bytes in JupyterHub's convention (powers of 1024), the same in Python and in hubextras.js."""

import pytest

from hubextras.services.base.units import format_bytes


@pytest.mark.parametrize("count, text", [
    (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1.0 KiB"), (1024**2 - 1, "1024.0 KiB"), (1024**2, "1.0 MiB"),
    (100 * 1024**3, "100.0 GiB"), (1024**6, "1024.0 PiB"),
])
def test_format_bytes_switches_unit_at_each_power_of_1024(count, text):
    assert format_bytes(count) == text
