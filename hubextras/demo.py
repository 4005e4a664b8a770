"""The embedded default on 127.0.0.1: GitHub stand-in + hub + local spawner + services.

    python -m hubextras.demo            # demo community, sign in through the stand-in
    python -m hubextras.demo --github   # the same hub against github.com (GITHUB_CLIENT_ID/SECRET)
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from .testing.github import GitHubStandIn
from .testing.hub import DEMO_COMMUNITY, REPO_DIR, HubProcess

WHO = """\
Sign in as (on the stand-in's "Authorize" page):
  alice  member of demo-org:hub-users                      -> gets in
  carol  member of demo-org:researchers, a child team      -> gets in through the parent team
  champ  hub champion (demo-org:hub-champions)             -> gets in, sees the champions' panels
  ada    member of demo-org:hub-admins                     -> gets in as a hub admin
  sam    member of demo-org:students                       -> gets in
  dora   invited to demo-org:hub-users, invitation pending -> refused
  eve    in no team of demo-org                            -> refused, with a page that says why
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000, help="hub port on 127.0.0.1 (default 8000)")
    parser.add_argument("--standin-port", type=int, default=8765, help="GitHub stand-in port (default 8765)")
    parser.add_argument("--community", default=str(DEMO_COMMUNITY), help="stand-in community file (YAML or JSON)")
    parser.add_argument("--state", default=str(REPO_DIR / ".demo"), help="folder for the hub's state")
    parser.add_argument("--github", action="store_true", help="sign in against github.com instead of the stand-in")
    args = parser.parse_args(argv)

    state = Path(args.state).resolve()
    standin = None
    if args.github:
        if not (os.environ.get("GITHUB_CLIENT_ID") and os.environ.get("GITHUB_CLIENT_SECRET")):
            parser.error("--github needs GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (an OAuth app on github.com)")
    else:
        standin = GitHubStandIn(args.community, port=args.standin_port)
        standin.start()
    hub = HubProcess(state, standin=standin, port=args.port, real_github=args.github,
                     env={"JUPYTERHUB_CRYPT_KEY": _stable_crypt_key(state)})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        hub.start(timeout=120)
        print(f"\nhubextras demo is running: open {hub.url}/ in your browser.")
        if standin is not None:
            print(f"GitHub stand-in: {standin.url}/  (what GitHub would be)\n")
            print(WHO)
        print(f"Hub log: {hub.log_path}\nPress Ctrl-C to stop.", flush=True)
        while hub.proc.poll() is None:
            time.sleep(1)
        print(f"The hub stopped:\n{hub.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        hub.stop()
        if standin is not None:
            standin.stop()


def _stable_crypt_key(state: Path) -> str:
    """The demo keeps one auth_state key in its state folder, so restarts keep sign-ins."""
    state.mkdir(parents=True, exist_ok=True)
    key_file = state / "crypt_key"
    if not key_file.exists():
        key_file.write_text(os.urandom(32).hex())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


if __name__ == "__main__":
    sys.exit(main())
