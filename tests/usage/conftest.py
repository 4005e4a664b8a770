"""The usage tests' hub (see usage_fixtures.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from usage_fixtures import usage_hub  # noqa: E402, F401
