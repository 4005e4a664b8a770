"""What operators and other projects may use to run hubextras without GitHub: the GitHub stand-in (`github`).

The tests' own harness (hubs with an admin token, Chromium, fake servers, the Kubernetes emulator)
lives in the repository's `tests/harness/` and does not ship in the package.
"""
