"""Bytes as people read them, in JupyterHub's convention: powers of 1024 (its `ByteSpecification`: 1K = 1024),
written with binary unit names (KiB, MiB, GiB, TiB). `static/hubextras.js`'s `formatBytes` is the same function."""

from __future__ import annotations

UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(count: int) -> str:
    """`count` bytes: "512 bytes", "1.0 KiB", "100.0 GiB" (one decimal from KiB on)."""
    value = float(count)
    for unit in UNITS:
        if abs(value) < 1024 or unit == UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
