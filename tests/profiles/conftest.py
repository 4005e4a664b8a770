"""The Kubernetes emulator fixture for the profile tests (the fakes live in profile_fakes.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kube"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kube_fixtures import kube_api  # noqa: E402, F401
