"""Benchmark: the champions' usage figures over 10,000 users and 200,000 recorded servers (90 days).

- page_ms / csv_ms: median time of the champions' 30-day page and its people CSV, through the proxy,
  signed in as a champion;
- anchor_ms: the same 30-day figures (per person, per group, per profile, totals) computed the naive way:
  every user and group from the JupyterHub REST API (paged), every record read from the store, one loop;
  ratio = page_ms / anchor_ms (target <= 0.2);
- quota_check_ms: median of the spawn-time quota decision (the function the hub runs, on this store;
  target < 5 ms);
- spawn_overhead_ratio: median start-to-ready time of a server with the usage recorder and quotas,
  over one without (the same hub, alternating; target <= 1.02).

    .venv/bin/python bench/usage.py [--users 10000] [--records 200000] [--spawns 30]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.hub import HubProcess  # noqa: E402

from hubextras.usage.clock import set_clock  # noqa: E402
from hubextras.usage.quota import StartRequest  # noqa: E402
from hubextras.usage.record import DAY, GIB, HOUR, UsageRecord  # noqa: E402
from hubextras.usage.store import UsageStore  # noqa: E402

PAGES = "/services/usage/"
TINY = str(REPO / "tests" / "harness" / "tiny_singleuser.py")
GROUPS = [f"demo-org:course-{n:02d}" for n in range(20)]
PROFILES = [("small", 1 * GIB, 1.0), ("medium", 4 * GIB, 2.0), ("large", 16 * GIB, 4.0)]
PROFILE_LIST = [
    {"display_name": p, "slug": p, "kubespawner_override": {"mem_guarantee": m, "cpu_guarantee": c}}
    for p, m, c in PROFILES
]
NOW = 1_800_000_000.0
POLICY = {
    "limits": [
        {"resource": "memory_gib_hours", "amount": 1_000_000, "days": 30},
        {"resource": "server_hours", "amount": 100_000, "days": 7},
    ]
}


def users(count):
    return [f"user{n:05d}" for n in range(count)]


def groups_of(name: str) -> tuple[str, ...]:
    n = int(name[4:])
    return (GROUPS[n % len(GROUPS)],) + ((GROUPS[(n // 7) % len(GROUPS)],) if n % 5 == 0 else ())


def make_records(names, count, seed=7):
    rng = random.Random(seed)
    for _ in range(count):
        name = rng.choice(names)
        profile, memory, cpu = rng.choice(PROFILES)
        started = NOW - rng.uniform(0, 90) * DAY
        yield UsageRecord(
            user=name,
            started=started,
            stopped=min(NOW, started + rng.uniform(0.1, 8) * HOUR),
            groups=groups_of(name),
            profile=profile,
            mem_guarantee=memory,
            cpu_guarantee=cpu,
            ended="stopped",
        )


def bench_config(policies) -> str:
    return f"""
import sys
from hubextras.usage.recorder import UsageRecordingSpawner
from hubextras.spawners.local import ProfilesLocalSpawner

c.Spawner.cmd = ["/usr/bin/python3", "{TINY}"]  # stdlib only: any account can run it
c.Spawner.http_timeout = 60
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.cleanup_servers = True


class AlternatingSpawner(c.JupyterHub.spawner_class):
    # people named plain-* start without the usage recorder: the anchor of the spawn overhead
    async def start(self):
        if self.user.name.startswith("plain-"):
            return await ProfilesLocalSpawner.start(self)
        return await UsageRecordingSpawner.start(self)


c.JupyterHub.spawner_class = AlternatingSpawner
"""


def pre_config(policies) -> str:
    return f"""
c.ProfilesSpawner.profile_list = {PROFILE_LIST!r}
c.UsageQuotas.policies = {policies!r}
c.UsagePrices.per_gib_hour = 0.005
c.UsagePrices.per_cpu_hour = 0.03
"""


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def anchor_figures(hub, store_path, begin, end):
    """The naive way: every user and group from the REST API, every record from the store, one loop."""
    people, page = [], 0
    while True:
        r = hub.api("GET", "/users", params={"offset": page * 200, "limit": 200}).json()
        people += r
        if len(r) < 200:
            break
        page += 1
    groups = {u["name"]: u["groups"] for u in people}
    per_user, per_group, per_profile, overall = {}, {}, {}, [0, 0.0, 0.0, 0.0]
    for record in UsageStore(store_path).between(0, float("inf")):
        stop = record.stopped if record.stopped is not None else NOW
        seconds = max(0.0, min(stop, end) - max(record.started, begin))
        if seconds <= 0:
            continue
        hours = seconds / 3600
        figures = (1, hours, hours * record.memory_request / GIB, hours * record.cpu_request)
        for table, key in [(per_user, record.user), (per_profile, record.profile)] + [
            (per_group, g) for g in groups.get(record.user, [])
        ]:
            row = table.setdefault(key, [0, 0.0, 0.0, 0.0])
            for i, value in enumerate(figures):
                row[i] += value
        for i, value in enumerate(figures):
            overall[i] += value
    return per_user, per_group, per_profile, overall


def slow_api(hub, method, path, body):
    """A REST request that may block the hub for minutes (creating thousands of users)."""
    r = requests.request(
        method, hub.hub_api_url + path, json=body, timeout=1800, headers={"Authorization": f"token {hub.api_token}"}
    )
    assert r.status_code < 300, r.text


def spawn_once(hub, name):
    started = time.perf_counter()
    r = hub.api("POST", f"/users/{name}/server", json={"profile": "small"})
    assert r.status_code in (201, 202), r.text
    while not hub.api("GET", f"/users/{name}").json()["servers"].get("", {}).get("ready"):
        time.sleep(0.01)  # fine polling: the difference measured is a few milliseconds
    elapsed = (time.perf_counter() - started) * 1000
    hub.api("DELETE", f"/users/{name}/server")
    deadline = time.monotonic() + 60
    while hub.api("GET", f"/users/{name}").json()["servers"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--spawns", type=int, default=30)
    args = parser.parse_args()
    names = users(args.users)
    workdir = Path(tempfile.mkdtemp(prefix="hubextras-bench-usage-"))
    store_path = workdir / "hubextras-usage.sqlite"
    print(f"recording {args.records} servers of {args.users} people", file=sys.stderr)
    UsageStore(store_path).add_many(make_records(names, args.records))
    clock = workdir / "now"
    set_clock(str(clock), NOW)
    policies = {g: POLICY for g in GROUPS}
    hub = HubProcess(
        workdir,
        pre_config=pre_config(policies),
        config=bench_config(policies),
        env={"HUBEXTRAS_USAGE_CLOCK": str(clock)},
    )
    hub.start()
    try:
        print("creating users and groups", file=sys.stderr)
        for start in range(0, len(names), 1000):
            slow_api(hub, "POST", "/users", {"usernames": names[start : start + 1000]})
        for group in GROUPS:
            members = [n for n in names if group in groups_of(n)]
            slow_api(hub, "POST", f"/groups/{group}", {"users": members})
        spawners = [f"spawn{n:02d}" for n in range(args.spawns)] + [f"plain-{n:02d}" for n in range(args.spawns)]
        slow_api(hub, "POST", "/users", {"usernames": spawners})
        hub.api("POST", f"/groups/{GROUPS[0]}/users", json={"users": spawners})

        session = hub.login("champ")
        assert session.get(hub.url + PAGES + "me", timeout=120).status_code == 200
        page = lambda: session.get(hub.url + PAGES, params={"window": "30d"}, timeout=300).raise_for_status()  # noqa: E731
        csv = lambda: session.get(hub.url + PAGES + "csv/people.csv", params={"window": "30d"}, timeout=300)  # noqa: E731
        page()  # warm up (the service's first read)
        page_ms, csv_ms = timed(page, 5), timed(csv, 5)
        anchor_ms = timed(lambda: anchor_figures(hub, store_path, NOW - 30 * DAY, NOW), 3)

        from traitlets.config import Config

        from hubextras.usage.recorder import UsageRecorder

        config = Config()
        config.UsageRecorder.store_path = str(store_path)
        config.UsageQuotas.policies = policies
        recorder = UsageRecorder(config=config)
        rng = random.Random(3)
        checks = []
        for _ in range(300):
            name = rng.choice(names)
            request = StartRequest(name, frozenset(groups_of(name)), "small", GIB, 1.0)
            started = time.perf_counter()
            decision = recorder.decide(recorder.store, request, NOW)
            checks.append((time.perf_counter() - started) * 1000)
            assert decision.allowed
        quota_check_ms = statistics.median(checks)

        with_usage, without = [], []
        for n in range(args.spawns):  # alternate which goes first
            pair = [("with", f"spawn{n:02d}"), ("without", f"plain-{n:02d}")]
            for kind, name in pair if n % 2 == 0 else pair[::-1]:
                (with_usage if kind == "with" else without).append(spawn_once(hub, name))
        spawn_overhead_ratio = statistics.median(with_usage) / statistics.median(without)
    finally:
        hub.stop()
    result = {
        "name": "usage",
        "unit": "ms",
        "users": args.users,
        "records": args.records,
        "page_ms": round(page_ms, 1),
        "csv_ms": round(csv_ms, 1),
        "anchor_ms": round(anchor_ms, 1),
        "ratio": round(page_ms / anchor_ms, 3),
        "quota_check_ms": round(quota_check_ms, 2),
        "spawn_with_usage_ms": round(statistics.median(with_usage), 1),
        "spawn_without_ms": round(statistics.median(without), 1),
        "spawn_overhead_ratio": round(spawn_overhead_ratio, 3),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
