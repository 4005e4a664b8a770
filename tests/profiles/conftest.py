"""The Kubernetes emulator fixture for the profile tests."""

from harness.kube_fixtures import kube_api  # noqa: F401
