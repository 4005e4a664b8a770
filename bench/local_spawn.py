"""Benchmark: start -> ready on one machine, ours (own account + cgroup per server) against SimpleLocalProcessSpawner.

20 servers, started one after another and 5 at once, by ProfilesLocalSpawner as root (each as its
own system account, in its own cgroup with the profile's limits) and by plain
SimpleLocalProcessSpawner (as root, no limits), the same server program in the same environment:
tests/harness/tiny_singleuser.py run by /usr/bin/python3. Ready = the server answers its
`/user/<name>/api` over HTTP, as the hub checks. Rounds alternate which side goes first.
Accounts are made in a warm-up round (reported as `first_start_ms`) and removed at the end,
with every cgroup. A third side, ours without cgroups, gives `cgroup_overhead_ms`.

    /work/main/.venv/bin/python bench/local_spawn.py [--servers 20] [--rounds 3]

Target (issue 14): ratio at most 1.15. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from harness.isolation import SYSTEM_PYTHON, IsolatedPlace  # noqa: E402
from jupyterhub.objects import Hub, Server  # noqa: E402
from traitlets.config import Config  # noqa: E402

TINY = str(REPO / "tests" / "harness" / "tiny_singleuser.py")
PROFILE = [{"display_name": "Small", "slug": "small", "default": True,
            "kubespawner_override": {"cpu_limit": 1, "mem_limit": "512M", "cpu_guarantee": 0.5}}]


@dataclass
class User:
    name: str
    id: int = 1
    admin: bool = False
    groups: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    @property
    def url(self):
        return f"/user/{self.name}/"

    async def get_auth_state(self):
        return {}


def make(kind: str, name: str, place: IsolatedPlace):
    from jupyterhub.spawner import SimpleLocalProcessSpawner

    from hubextras.spawners.local import ProfilesLocalSpawner

    config = Config()
    config.Spawner.cmd = [SYSTEM_PYTHON, TINY]
    config.SimpleLocalProcessSpawner.home_dir_template = f"{place.base}/anchor-home/{{username}}"
    config.ProfilesSpawner.profile_list = PROFILE
    config.ProfilesLocalSpawner.account_template = f"{place.prefix}{{username}}"
    config.ProfilesLocalSpawner.account_home_template = f"{place.base}/home/{{account}}"
    config.ProfilesLocalSpawner.cgroup_parent = place.cgroup_parent
    config.HubExtras.shared_dir = str(place.shared)
    if kind == "ours-no-cgroup":
        config.ProfilesLocalSpawner.cgroup_root = str(place.base / "no-cgroups")
    cls = SimpleLocalProcessSpawner if kind == "anchor" else ProfilesLocalSpawner
    spawner = cls(config=config, user=User(name), hub=Hub(ip="127.0.0.1", port=8081, base_url="/hub/"),
                  api_token="t", oauth_client_id=f"jupyterhub-user-{name}")
    spawner.server = Server(base_url=f"/user/{name}/")
    return spawner


async def answers(ip: str, port: int, path: str) -> bool:
    try:
        reader, writer = await asyncio.open_connection(ip, port)
    except OSError:
        return False
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {ip}\r\n\r\n".encode())
        await writer.drain()
        return (await reader.readline()).startswith(b"HTTP/1.0 200")
    except OSError:
        return False
    finally:
        writer.close()


async def start_until_ready(spawner, kind: str) -> float:
    t0 = time.perf_counter()
    spawner.clear_state()
    spawner.port = 0
    if kind != "anchor":
        spawner.user_options = {"profile": "small"}
        await spawner._run_apply_user_options(spawner.user_options)
    ip, port = await spawner.start()
    while not await answers(ip or "127.0.0.1", port, f"/user/{spawner.user.name}/api"):
        await asyncio.sleep(0.002)
    return (time.perf_counter() - t0) * 1000


async def start_all(spawners: list, kind: str, at_once: int) -> list[float]:
    gate = asyncio.Semaphore(at_once)

    async def one(spawner):
        async with gate:
            return await start_until_ready(spawner, kind)

    samples = await asyncio.gather(*(one(s) for s in spawners))
    await asyncio.gather(*(s.stop(now=True) for s in spawners))
    return list(samples)


def cgroup_create_remove_ms(place: IsolatedPlace, rounds: int = 50) -> float:
    from hubextras.spawners.cgroups import Limits, ServerCgroup, find_hierarchy

    hierarchy = find_hierarchy("/sys/fs/cgroup", place.cgroup_parent)
    if hierarchy is None:
        return 0.0
    samples = []
    for i in range(rounds):
        t0 = time.perf_counter()
        cgroup = ServerCgroup(hierarchy, f"bench-{i}")
        cgroup.create(Limits(mem_limit=512 * 1024**2, cpu_limit=1, cpu_guarantee=0.5))
        cgroup.remove()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


async def run(servers: int, rounds: int, place: IsolatedPlace) -> dict:
    kinds = ("ours", "anchor", "ours-no-cgroup")
    spawners = {kind: [make(kind, f"bench{i}", place) for i in range(servers)] for kind in kinds}
    first = await start_all(spawners["ours"], "ours", 1)  # makes the accounts
    await start_all(spawners["anchor"], "anchor", 1)
    results = {}
    for label, at_once in (("sequential", 1), ("five_at_once", 5)):
        samples = {kind: [] for kind in kinds}
        for round_ in range(rounds):
            order = kinds if round_ % 2 == 0 else kinds[::-1]
            for kind in order:
                samples[kind] += await start_all(spawners[kind], kind, at_once)
        results[label] = {kind: statistics.median(v) for kind, v in samples.items()}
    results["first_start_ms"] = statistics.median(first)
    results["cgroup_create_remove_ms"] = cgroup_create_remove_ms(place)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all servers per side and mode")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench/local_spawn.py needs root: it makes system accounts and cgroups.")
    logging.getLogger("traitlets").setLevel(logging.WARNING)
    place = IsolatedPlace.make()
    try:
        results = asyncio.run(run(args.servers, args.rounds, place))
    finally:
        place.cleanup()
    for label in ("sequential", "five_at_once"):
        sides = results[label]
        print(f"{label:13} ours {sides['ours']:7.1f} ms   no cgroup {sides['ours-no-cgroup']:7.1f} ms   "
              f"SimpleLocalProcessSpawner {sides['anchor']:7.1f} ms   ratio {sides['ours'] / sides['anchor']:.2f}")
    seq, five = results["sequential"], results["five_at_once"]
    print(json.dumps({
        "name": "local_spawn",
        "ours": round(seq["ours"], 2),
        "anchor": round(seq["anchor"], 2),
        "ratio": round(seq["ours"] / seq["anchor"], 3),
        "unit": "ms",
        "ours_start_ms": round(seq["ours"], 2),
        "anchor_start_ms": round(seq["anchor"], 2),
        "five_at_once_ours_ms": round(five["ours"], 2),
        "five_at_once_anchor_ms": round(five["anchor"], 2),
        "five_at_once_ratio": round(five["ours"] / five["anchor"], 3),
        "cgroup_overhead_ms": round(seq["ours"] - seq["ours-no-cgroup"], 2),
        "cgroup_create_remove_ms": round(results["cgroup_create_remove_ms"], 3),
        "first_start_ms": round(results["first_start_ms"], 2),
    }))


if __name__ == "__main__":
    main()
