"""Benchmark: profile form, apply and Kubernetes start, ours (ProfilesKubeSpawner) against plain KubeSpawner.

A user in 5 teams; 30 profiles, each with 3 options of 10 choices, some restricted by team.
Plain KubeSpawner gets the same list (it ignores `allowed_groups`, so it sees everything).
Starts go to ready through the in-memory Kubernetes API of tests/harness/kube_emulator.py (kmock + shim + fake kubelet).

    .venv/bin/python bench/profiles.py [--rounds 200] [--starts 15]

Targets (issue 3): form median under 20 ms and at most 1.5x KubeSpawner's; start at most 1.1x.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from bench_setup import NO_PROXY, require_modules  # noqa: E402

require_modules("kmock", "kubernetes_asyncio", "kubespawner")

import kmock  # noqa: E402
from harness.kube_emulator import KubeEmulator, kubeconfig_for  # noqa: E402
from jupyterhub.objects import Hub  # noqa: E402
from traitlets.config import Config  # noqa: E402

TEAMS = [f"bench-org:team-{i}" for i in range(5)]


@dataclass
class Group:
    name: str


@dataclass
class User:
    name: str = "bench-user"
    id: int = 1
    admin: bool = False
    groups: list = field(default_factory=lambda: [Group(t) for t in TEAMS])
    settings: dict = field(default_factory=dict)
    url: str = "/user/bench-user/"

    async def get_auth_state(self):
        return {"teams": TEAMS}

    def progress_url(self, name=""):
        return "/hub/api/users/bench-user/server/progress"


def profile_list() -> list[dict]:
    """30 profiles x 3 options x 10 choices; every third profile and every fourth choice team-restricted."""
    profiles = []
    for p in range(30):
        options = {}
        for o in range(3):
            choices = {}
            for ch in range(10):
                choice = {"display_name": f"Choice {ch} of option {o}", "kubespawner_override": {
                    "environment": {f"OPTION_{o}": str(ch)}}}
                if ch % 4 == 3:
                    choice["allowed_groups"] = [f"bench-org:team-{(p + ch) % 8}"]
                choices[f"c{ch}"] = choice
            options[f"option{o}"] = {"display_name": f"Option {o}", "choices": choices}
        profile = {
            "display_name": f"Profile {p}: {p % 8 + 1} CPU, {4 * (p % 8 + 1)} GB",
            "slug": f"profile-{p}",
            "description": f"Benchmark profile number {p}.",
            "kubespawner_override": {"cpu_limit": p % 8 + 1, "mem_limit": f"{4 * (p % 8 + 1)}G",
                                     "image": f"quay.io/bench/image-{p}:1"},
            "profile_options": options,
        }
        if p % 3 == 2:
            profile["allowed_groups"] = [f"bench-org:team-{p % 8}"]
        profiles.append(profile)
    return profiles


USER_OPTIONS = {"profile": "profile-4", "option0": "c1", "option1": "c5", "option2": "c9"}


def make(kind: str, url: str):
    from kubespawner import KubeSpawner

    from hubextras.spawners.kube import ProfilesKubeSpawner

    config = Config()
    profiles = profile_list()
    # Plain KubeSpawner renders per request only with a callable list; ours always filters per user.
    config.KubeSpawner.profile_list = (lambda spawner: profiles) if kind == "anchor" else profiles
    config.KubeSpawner.k8s_api_host = url
    config.KubeSpawner.events_enabled = False
    config.KubeSpawner.start_timeout = 30
    cls = KubeSpawner if kind == "anchor" else ProfilesKubeSpawner
    return cls(config=config, user=User(), hub=Hub(ip="127.0.0.1", port=8081, base_url="/hub/"),
               api_token="t", oauth_client_id="jupyterhub-user-bench-user")


async def apply(spawner, kind: str):
    spawner.user_options = dict(USER_OPTIONS)
    spawner.clear_state()
    if kind == "anchor":
        await spawner.load_user_options()
    else:
        await spawner._run_apply_user_options(spawner.user_options)


async def timed(coro_factory, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await coro_factory()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


async def run(rounds: int, starts: int) -> dict:
    from kubespawner import KubeSpawner

    results = {}
    async with KubeEmulator() as api, kmock.Server(api):
        url = str(api.url).rstrip("/")
        with kubeconfig_for(url, Path(tempfile.mkdtemp())):
            spawners = {kind: make(kind, url) for kind in ("ours", "anchor")}
            for kind, spawner in spawners.items():  # warm up templates and imports
                await spawner.get_options_form()
                await apply(spawner, kind)
            for metric, action in (("form", lambda s, k: s.get_options_form()), ("apply", apply)):
                samples = {"ours": [], "anchor": []}
                for _ in range(rounds // 10):  # interleaved, so both see the same machine
                    for kind, spawner in spawners.items():
                        samples[kind] += await timed(lambda s=spawner, k=kind, a=action: a(s, k), 10)
                results[metric] = {k: statistics.median(v) for k, v in samples.items()}

            samples = {"ours": [], "anchor": []}
            for round_ in range(starts):
                order = list(spawners.items())
                # alternate who goes first, so neither always starts on the emulator's same beat
                for kind, spawner in order if round_ % 2 == 0 else order[::-1]:
                    t0 = time.perf_counter()
                    spawner.user_options = dict(USER_OPTIONS)
                    if kind == "ours":
                        await apply(spawner, kind)
                    else:
                        spawner.clear_state()
                    await spawner.start()
                    samples[kind].append((time.perf_counter() - t0) * 1000)
                    await spawner.stop(now=True)
            results["start"] = {k: statistics.median(v) for k, v in samples.items()}
            await KubeSpawner._stop_all_reflectors()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="form renders and applies per side")
    parser.add_argument("--starts", type=int, default=40, help="Kubernetes starts per side")
    args = parser.parse_args()
    results = asyncio.run(run(args.rounds, args.starts))
    for metric, sides in results.items():
        print(f"{metric:6} ours {sides['ours']:8.2f} ms   KubeSpawner {sides['anchor']:8.2f} ms   "
              f"ratio {sides['ours'] / sides['anchor']:.2f}")
    form, apply_, start = results["form"], results["apply"], results["start"]
    print(json.dumps({
        "name": "profiles",
        "proxy": NO_PROXY,
        "ours": round(form["ours"], 3),
        "anchor": round(form["anchor"], 3),
        "ratio": round(form["ours"] / form["anchor"], 3),
        "unit": "ms",
        "form_ms": round(form["ours"], 3),
        "form_anchor_ms": round(form["anchor"], 3),
        "form_ratio": round(form["ours"] / form["anchor"], 3),
        "apply_ms": round(apply_["ours"], 3),
        "apply_anchor_ms": round(apply_["anchor"], 3),
        "apply_ratio": round(apply_["ours"] / apply_["anchor"], 3),
        "start_ms": round(start["ours"], 3),
        "start_anchor_ms": round(start["anchor"], 3),
        "start_ratio": round(start["ours"] / start["anchor"], 3),
    }))


if __name__ == "__main__":
    main()
