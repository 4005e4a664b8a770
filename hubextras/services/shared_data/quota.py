"""Quota math for the shared folder (pure): does an upload fit, and how full is the folder."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.units import format_bytes
from .errors import QuotaExceeded


@dataclass(frozen=True)
class Usage:
    """How full the shared folder is: bytes on disk plus bytes promised to uploads in progress."""

    used: int
    reserved: int
    quota: int

    @property
    def free(self) -> int:
        return max(0, self.quota - self.used - self.reserved)

    @property
    def percent(self) -> float:
        return 100.0 if self.quota <= 0 else min(100.0, 100.0 * (self.used + self.reserved) / self.quota)

    def as_json(self) -> dict:
        return {
            "used_bytes": self.used,
            "reserved_bytes": self.reserved,
            "quota_bytes": self.quota,
            "free_bytes": self.free,
            "percent": round(self.percent, 2),
            "text": f"{format_bytes(self.used)} of {format_bytes(self.quota)} used",
        }


def check_fits(usage: Usage, incoming: int, replacing: int = 0) -> None:
    """Refuse, before anything is written, an upload of `incoming` bytes that would pass the quota.

    `replacing` is the size of the file the upload replaces (its bytes are freed when the upload lands).
    """
    if incoming < 0:
        raise QuotaExceeded("The upload's size is negative. Choose the file again and retry.")
    needed = incoming - replacing
    if needed > usage.free:
        raise QuotaExceeded(
            f"This needs {format_bytes(needed)} but the shared folder has only {format_bytes(usage.free)} free "
            f"of its {format_bytes(usage.quota)} quota. Delete files you no longer need, or ask the hub operator "
            "to raise the quota (`SharedDataService.quota_bytes`)."
        )


def check_received(declared: int, received: int) -> None:
    """Refuse an upload sending more bytes than it declared (its quota check was made for the declared size)."""
    if received > declared:
        raise QuotaExceeded(
            f"The upload sent more than the {format_bytes(declared)} it declared, so it was stopped and removed. "
            "Start the upload again."
        )
