"""The guard's latest alerts in the servers panel (issue 12): read from the guard's state file, for champions
with the guard's scope. The guard configures where the file is (`$HUBEXTRAS_GUARD_STATE`); lifting blocks stays on
the guard's own page."""

from __future__ import annotations

import os
from pathlib import Path

from ...guard.published import read_state
from ...scopes import GUARD_CHAMPION, GUARD_SERVICE
from ..base import JSONAPIHandler

GUARD_STATE_ENV = "HUBEXTRAS_GUARD_STATE"
SHOWN = 20


class GuardAlertsAPI(JSONAPIHandler):
    required_scopes = (GUARD_CHAMPION,)
    missing_scope_message = "Only hub champions see the guard's alerts."

    def get(self):
        path = os.environ.get(GUARD_STATE_ENV, "")
        alerts, blocks = read_state(Path(path)) if path else ([], {})
        self.send_json({"enabled": bool(path), "alerts": [a.to_json() for a in alerts[:SHOWN]],
                        "blocked": sorted(blocks),
                        "guard_page": f"{self.service.base_url.rstrip('/')}/services/{GUARD_SERVICE}/"})
