"""What the tests and benchmarks use to run hubextras for real: a hub, Chromium, fake servers, a Kubernetes emulator.

Test-only: none of it ships in the wheel. `tests/` is on `sys.path` (pytest puts the folder of the root
conftest there; the benchmarks add it), so these import as `harness.hub`, `harness.browser`, ...
"""
