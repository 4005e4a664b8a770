"""Sign-in cost: GitHubTeamsAuthenticator against upstream GitHubOAuthenticator configured the same way.

The GitHub stand-in adds 50 ms to every request. 20 allowed teams across 2 orgs; the member is in
150 teams (two pages of /user/teams) and admitted only through the last configured team; the
non-member is in teams none of which is allowed. Both hubs are real jupyterhub processes with the
npm proxy on 127.0.0.1; a login is the whole OAuth flow (hub -> authorize -> callback).

    python bench/login.py [--rounds 5]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_setup import require_npm_proxy  # noqa: E402
from harness.hub import DEMO_COMMUNITY, HubProcess, LoginRefused  # noqa: E402

from hubextras.testing.github import GitHubStandIn  # noqa: E402

LATENCY = 0.05
LAST_TEAM = "demo-org:team-149"
ALLOWED = sorted({f"demo-org:course-{i}" for i in range(9)} | {f"other-org:lab-{i}" for i in range(10)}) + [LAST_TEAM]

ANCHOR_CONFIG = f"""
c.JupyterHub.authenticator_class = "github"
c.GitHubOAuthenticator.allowed_organizations = {set(ALLOWED)!r}
c.GitHubOAuthenticator.populate_teams_in_auth_state = True
c.GitHubOAuthenticator.scope = ["read:org"]
c.GitHubOAuthenticator.enable_auth_state = True
c.GitHubOAuthenticator.manage_groups = True
c.GitHubOAuthenticator.auth_state_groups_key = lambda s: [
    t["organization"]["login"].lower() + ":" + t["slug"].lower() for t in s.get("teams", [])
]
"""
REFRESH_CONFIG = "c.Authenticator.auth_refresh_age = 1\n"


def seed_checking_last_team_last() -> str:
    """A PYTHONHASHSEED under which upstream's set of allowed_organizations reaches LAST_TEAM last."""
    probe = f"print(list(set({ALLOWED!r}))[-1])"
    for seed in range(1000):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        last = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True).stdout.strip()
        if last == LAST_TEAM:
            return str(seed)
    raise RuntimeError("no hash seed puts the admitting team last")


def community() -> dict:
    data = json.loads(DEMO_COMMUNITY.read_text())
    data["many_teams"] = {"org": "demo-org", "count": 150, "member": "paula"}
    data["orgs"]["other-org"]["teams"]["reading-group"] = {"members": ["nora"]}
    data["orgs"]["demo-org"]["teams"]["alumni"] = {"members": ["nora"]}
    return data


def measure_logins(hub: HubProcess, username: str, rounds: int, admitted: bool) -> dict:
    times, requests_made = [], []
    for _ in range(rounds):
        hub.standin.reset_counts()
        start = time.perf_counter()
        try:
            hub.login(username)
            if not admitted:
                raise AssertionError(f"{username} should have been refused")
        except LoginRefused:
            if admitted:
                raise
        times.append((time.perf_counter() - start) * 1000)
        requests_made.append(hub.standin.hub_requests)
    return {"ms": statistics.median(times), "requests": max(requests_made)}


def measure_unchanged_refresh(hub: HubProcess) -> int:
    session = hub.login("paula")
    hub.standin.reset_counts()
    time.sleep(1.3)
    response = session.get(f"{hub.url}/hub/home", allow_redirects=False, timeout=30)
    assert response.status_code == 200, response.status_code
    assert hub.standin.counts.get("GET /user/teams", 0) or hub.standin.counts.get("GET /user", 0), "no refresh"
    return hub.standin.rate_limited_requests


def run(name: str, workdir: Path, standin: GitHubStandIn, config: str, rounds: int, seed: str) -> dict:
    hub = HubProcess(
        workdir / name, standin=standin, config=config, allowed_teams=ALLOWED, admin_teams=(),
        env={"PYTHONHASHSEED": seed},
    )
    hub.start()
    try:
        standin.set_switches(latency=LATENCY)
        member = measure_logins(hub, "paula", rounds, admitted=True)
        nonmember = measure_logins(hub, "nora", rounds, admitted=False)
        refresh = measure_unchanged_refresh(hub)
        standin.set_switches(latency=0)
        return {"member": member, "nonmember": nonmember, "refresh_ratelimited": refresh}
    finally:
        standin.set_switches(latency=0)
        hub.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    proxy = require_npm_proxy()
    seed = seed_checking_last_team_last()
    with tempfile.TemporaryDirectory() as tmp, GitHubStandIn(community()) as standin:
        ours = run("ours", Path(tmp), standin, REFRESH_CONFIG, args.rounds, seed)
        anchor = run("anchor", Path(tmp), standin, ANCHOR_CONFIG + REFRESH_CONFIG, args.rounds, seed)
    print(f"ours:   {ours}", file=sys.stderr)
    print(f"anchor: {anchor}", file=sys.stderr)
    result = {
        "name": "login",
        "proxy": proxy,
        "unit": "ms",
        "ours": ours["member"]["ms"],
        "anchor": anchor["member"]["ms"],
        "ratio": round(ours["member"]["ms"] / anchor["member"]["ms"], 3),
        "ours_requests_member": ours["member"]["requests"],
        "ours_requests_nonmember": ours["nonmember"]["requests"],
        "anchor_requests_member": anchor["member"]["requests"],
        "anchor_requests_nonmember": anchor["nonmember"]["requests"],
        "ours_ms_member": round(ours["member"]["ms"], 1),
        "anchor_ms_member": round(anchor["member"]["ms"], 1),
        "ours_ms_nonmember": round(ours["nonmember"]["ms"], 1),
        "anchor_ms_nonmember": round(anchor["nonmember"]["ms"], 1),
        "ratio_member": round(ours["member"]["ms"] / anchor["member"]["ms"], 3),
        "refresh_ratelimited_requests": ours["refresh_ratelimited"],
        "anchor_refresh_ratelimited_requests": anchor["refresh_ratelimited"],
        "latency_ms_per_github_request": LATENCY * 1000,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
