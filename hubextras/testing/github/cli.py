"""`python -m hubextras.testing.github`: serve a stand-in on its own, until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from .community import DEMO_COMMUNITY, CommunityError
from .server import GitHubStandIn


def main(argv: list[str] | None = None) -> int:
    """Serve a stand-in until Ctrl-C; prints its URL first on stdout."""
    parser = argparse.ArgumentParser(
        prog="python -m hubextras.testing.github",
        description="Serve a stand-in for GitHub's OAuth and REST API on this machine.",
    )
    parser.add_argument(
        "--community",
        default=str(DEMO_COMMUNITY),
        help="JSON (or, with PyYAML, YAML) file describing orgs, teams and users (default: the bundled demo)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=9000, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="[github-standin %(asctime)s] %(message)s",
        datefmt="%H:%M:%S",
    )
    # Ctrl-C and SIGTERM stop it cleanly at any moment, even before the URL is printed
    stopped = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopped.set())
    try:
        standin = GitHubStandIn(args.community, args.host, args.port).start()
    except (OSError, CommunityError) as e:
        print(f"Cannot start the GitHub stand-in: {e}", file=sys.stderr)
        return 2
    print(standin.url, flush=True)
    print(
        f"GitHub stand-in serving {args.community}\n"
        f"  set GitHubOAuthenticator.github_url = {standin.url!r}\n"
        "  Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    try:
        stopped.wait()
    finally:
        standin.stop()
    return 0
