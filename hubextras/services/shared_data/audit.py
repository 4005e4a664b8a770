"""The audit log: who changed what in the shared folder, and when (one JSON object a line, appended)."""

from __future__ import annotations

import json
import os
import time
from collections import deque
from pathlib import Path


class AuditLog:
    """Append-only record of changes, readable by champions."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, user: str, action: str, path: str, **details) -> dict:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "user": user,
            "action": action,
            "path": path,
            **details,
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        # one write call with O_APPEND keeps lines whole even if two processes append
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        return entry

    def recent(self, limit: int = 200) -> list[dict]:
        """The newest `limit` entries, newest first."""
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8", errors="replace") as f:
            lines = deque(f, maxlen=limit)
        entries = []
        for line in reversed(lines):
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by a crash is skipped, not fatal
        return entries
