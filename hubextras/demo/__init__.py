"""The demo hub on 127.0.0.1: GitHub stand-in + JupyterHub + the profiles spawner + the champions' services.

    python -m hubextras.demo                  # the demo community; sign in through the GitHub stand-in
    python -m hubextras.demo --state DIR      # keep the hub's state in DIR (else a temp folder)

From a source checkout, `./dev demo` does the same with its state in `.demo/`. It needs
`pip install hubextras[demo]` (or npm's configurable-http-proxy) and nothing of the tests.
"""

from .launcher import main

__all__ = ["main"]
