"""The demo's launcher: start the GitHub stand-in and a real `jupyterhub`, print whom to sign in as, stop cleanly."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..testing.github import DEMO_COMMUNITY, CommunityError, GitHubStandIn, load_community
from . import processes
from .config import HUB_FOLDER, DemoSettings, config_text
from .people import sign_in_table
from .proxy import NoProxy, find_proxy


class DemoStopped(Exception):
    """SIGTERM or SIGHUP asked the demo to stop."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_or_free(port: int) -> int:
    return port if port else free_port()


def stable_crypt_key(folder: Path) -> str:
    """One auth_state key in the hub's folder, so a restart keeps everyone signed in."""
    key_file = folder / "crypt_key"
    if not key_file.exists():
        key_file.write_text(os.urandom(32).hex())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class DemoHub:
    """The stand-in (in this process) and a jupyterhub process, state in `state`."""

    def __init__(self, state: Path, *, port: int, standin: GitHubStandIn | None, proxy_command: list[str],
                 allowed_teams: tuple[str, ...] | None = None):
        self.state = state
        self.standin = standin
        self.url = f"http://127.0.0.1:{port}"
        settings = DemoSettings(
            state=state, port=port, hub_port=free_port(), proxy_api_port=free_port(), proxy_command=proxy_command,
            github_url=standin.url if standin else None,
        )
        if allowed_teams is not None:
            settings.allowed_teams, settings.admin_teams, settings.champions_team = allowed_teams, (), ""
        self.settings = settings
        self.hub_folder = state / HUB_FOLDER
        self.log_path = self.hub_folder / "jupyterhub.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> None:
        for folder in ("shared", "home"):
            (self.state / folder).mkdir(parents=True, exist_ok=True)
        self.hub_folder.mkdir(mode=0o700, exist_ok=True)
        self.hub_folder.chmod(0o700)
        config = self.hub_folder / "jupyterhub_config.py"
        config.write_text(config_text(self.settings))
        env = dict(os.environ)
        env.update(
            JUPYTERHUB_CRYPT_KEY=env.get("JUPYTERHUB_CRYPT_KEY") or stable_crypt_key(self.hub_folder),
            # the hub finds jupyterhub-singleuser and the services' Python beside this one, venv activated or not
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
        )
        with open(self.log_path, "ab") as log:
            # a session of its own: Ctrl-C reaches only the demo, which stops the hub in order
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=self.hub_folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.3)
        raise TimeoutError(f"jupyterhub did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 30) -> set[int]:
        """Stop the hub (it stops its servers, services and proxy), then anything of it still running.

        Returns the pids that would not die (none, normally).
        """
        leftovers: dict[int, int | None] = {}
        if self.proc is not None:
            leftovers.update(processes.identities(processes.descendants(self.proc.pid)))
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    print(f"The hub did not stop within {timeout:.0f} s; stopping it and all it started.",
                          file=sys.stderr)
                    self.proc.kill()
                    self.proc.wait(10)
            self.proc = None
        # what outlived the hub was adopted by the demo (its subreaper) or is still in the list
        leftovers.update(processes.identities(processes.descendants(os.getpid())))
        return processes.stop_all(leftovers)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m hubextras.demo",
        description="The hubextras demo hub on 127.0.0.1: sign in through a GitHub stand-in, pick a server "
        "profile, try the champions' panels. Ctrl-C stops it and everything it started.",
    )
    parser.add_argument("--port", type=int, default=8000, help="hub port on 127.0.0.1; 0 picks a free one "
                        "(default %(default)s)")
    parser.add_argument("--standin-port", type=int, default=8765, help="GitHub stand-in port; 0 picks a free one "
                        "(default %(default)s)")
    parser.add_argument("--state", help="folder for the hub's state (database, homes, shared folder), kept for "
                        "the next start; default: a temp folder, removed when the demo stops")
    parser.add_argument("--community", help="the stand-in's community file (JSON; YAML with PyYAML installed); "
                        "default: the bundled demo community")
    parser.add_argument("--github", action="store_true", help="sign in against github.com instead of the "
                        "stand-in (GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET of an OAuth app; needs --allowed-team)")
    parser.add_argument("--allowed-team", action="append", default=[], metavar="ORG:TEAM",
                        help="with --github: a team whose members may sign in (repeat for more)")
    args = parser.parse_args(argv)
    if args.github:
        if not (os.environ.get("GITHUB_CLIENT_ID") and os.environ.get("GITHUB_CLIENT_SECRET")):
            parser.error("--github needs GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (an OAuth app on github.com)")
        if not args.allowed_team:
            parser.error("--github needs at least one --allowed-team ORG:TEAM of your organisation")
    return args


def _stop_on_signal(*_):
    raise DemoStopped


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        proxy = find_proxy()
    except NoProxy as e:
        print(e, file=sys.stderr)
        return 2
    if proxy.note:
        print(proxy.note, file=sys.stderr)

    temporary = args.state is None
    state = Path(tempfile.mkdtemp(prefix="hubextras-demo-") if temporary else args.state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    if temporary:
        state.chmod(0o711)  # mkdtemp's 0700 would shut out servers run as people's own accounts
    processes.become_subreaper()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop_on_signal)

    standin = hub = None
    try:
        if not args.github:
            try:
                community = load_community(args.community)
                standin = GitHubStandIn(community, port=args.standin_port).start()
            except (CommunityError, OSError) as e:
                print(f"Cannot start the GitHub stand-in: {e}", file=sys.stderr)
                return 2
        hub = DemoHub(state, port=port_or_free(args.port), standin=standin, proxy_command=proxy.command,
                      allowed_teams=tuple(args.allowed_team) if args.github else None)
        hub.start()
        print(f"\nhubextras demo is running: open {hub.url}/ in your browser.")
        if standin is not None:
            print(f"GitHub stand-in: {standin.url}/  (what GitHub would be)\n")
            if args.community is None or Path(args.community).resolve() == DEMO_COMMUNITY:
                print(sign_in_table())
        print(f"State: {state}{'  (a temp folder, removed when the demo stops)' if temporary else ''}")
        print(f"Hub log: {hub.log_path}\nPress Ctrl-C to stop.", flush=True)
        while hub.running():
            time.sleep(1)
        print(f"The hub stopped by itself:\n{hub.log_tail()}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, DemoStopped):
        print("\nStopping the demo hub ...", file=sys.stderr, flush=True)
        return 0
    except (RuntimeError, TimeoutError) as e:
        print(f"The demo hub did not start: {e}", file=sys.stderr)
        return 1
    finally:
        # a second Ctrl-C must not cut the cleanup short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if hub is not None:
            stuck = hub.stop()
            if stuck:
                print(f"These processes would not stop: {sorted(stuck)}", file=sys.stderr)
        if standin is not None:
            standin.stop()
        if temporary:
            shutil.rmtree(state, ignore_errors=True)
