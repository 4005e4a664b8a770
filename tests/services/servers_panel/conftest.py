"""The servers panel's test hub (see panel_fixtures.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from panel_fixtures import panel_hub  # noqa: E402, F401
