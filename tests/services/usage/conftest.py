"""The usage pages' test hub (see usage_pages_fixtures.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from usage_pages_fixtures import pages_hub  # noqa: E402, F401
