"""Benchmark: the servers panel on a hub with 5,000 users and 300 running fake servers.

Measured through the proxy on 127.0.0.1, signed in as a champion:

- first_page_ms: median time of the panel table's first page (50 users), next to the raw REST
  first page of 50 (`rest_first_page_ms`, the anchor for it);
- bulk_stop_s: stopping the 300 servers with one panel bulk action (POST to done), against
  reference_loop_s: a minimal asyncio loop over the REST API at the same concurrency (the anchor),
  and sequential_s: stopping them one by one.

The servers are `tests/harness/tiny_singleuser.py` (milliseconds and ~10 MB each). The users
are created once, in one request (it blocks the hub about 70 s). Everything stops by itself.

    .venv/bin/python bench/servers_panel.py [--users 5000] [--servers 300] [--concurrency 8]

Targets (issue 5): first page under 300 ms median; bulk stop at most 1.2x the reference loop and
at least 2x faster than one by one. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from bench_setup import require_npm_proxy  # noqa: E402
from harness.hub import HubProcess  # noqa: E402

PANEL = "/services/servers-panel/"
TINY = str(REPO / "tests" / "harness" / "tiny_singleuser.py")


def panel_pre_config(concurrency: int) -> str:
    """ServersPanel settings, set before the snippets run (the servers-panel snippet passes them on)."""
    return f"c.ServersPanel.concurrency = {concurrency}\n"


def hub_config() -> str:
    return f"""
import sys
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [sys.executable, "{TINY}"]
c.Spawner.http_timeout = 60
c.JupyterHub.concurrent_spawn_limit = 0
"""


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / 100


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ready_count(hub: HubProcess, names: set[str]) -> int:
    ready, offset = set(), 0
    while True:
        r = hub.api("GET", "/users", params={"state": "ready", "offset": offset, "limit": 200},
                    headers={"Accept": "application/jupyterhub-pagination+json"})
        data = r.json()
        ready |= {u["name"] for u in data["items"]}
        following = data["_pagination"]["next"]
        if not following:
            return len(ready & names)
        offset = following["offset"]


def start_all(hub: HubProcess, names: list[str], timeout: float = 300) -> float:
    """Start every server (four requests at a time) and wait until all are ready; returns seconds."""
    t0 = time.perf_counter()

    def start(name):
        r = hub.api("POST", f"/users/{name}/server", json={})
        if r.status_code not in (201, 202, 400):
            raise RuntimeError(f"could not start {name}'s server: {r.status_code} {r.text}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start, names))
    deadline = time.monotonic() + timeout
    while ready_count(hub, set(names)) < len(names):
        if time.monotonic() > deadline:
            raise TimeoutError(f"servers not ready after {timeout} s:\n{hub.log_tail()}")
        time.sleep(0.5)
    return time.perf_counter() - t0


def wait_all_stopped(hub: HubProcess, names: list[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while ready_count(hub, set(names)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"servers still running after {timeout} s")
        time.sleep(0.5)


def panel_session(hub: HubProcess, name: str) -> tuple[requests.Session, str]:
    session = hub.login(name)
    r = session.get(hub.url + PANEL, timeout=60)
    r.raise_for_status()
    return session, session.cookies.get("_xsrf", path=PANEL)


def first_page_ms(hub: HubProcess, session: requests.Session, xsrf: str, rounds: int) -> tuple[float, float]:
    """(median ms of the panel's first page, median ms of the raw REST first page of 50)."""
    panel, rest = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        r = session.get(hub.url + PANEL + "api/servers", params={"limit": 50}, headers={"X-XSRFToken": xsrf},
                        timeout=60)
        panel.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        t0 = time.perf_counter()
        r = hub.api("GET", "/users", params={"limit": 50}, headers={"Accept": "application/jupyterhub-pagination+json"})
        rest.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    return statistics.median(panel), statistics.median(rest)


def panel_bulk_stop(hub: HubProcess, session: requests.Session, xsrf: str, expected: int) -> float:
    t0 = time.perf_counter()
    r = session.post(hub.url + PANEL + "api/actions", json={"action": "stop", "match": {"status": "running"}},
                     headers={"X-XSRFToken": xsrf}, timeout=120)
    r.raise_for_status()
    job_id = r.json()["id"]
    while True:
        job = session.get(hub.url + PANEL + f"api/jobs/{job_id}", headers={"X-XSRFToken": xsrf}, timeout=60).json()
        if job["finished"]:
            elapsed = time.perf_counter() - t0
            break
        time.sleep(0.1)
    if job["counts"]["done"] != expected:
        raise RuntimeError(f"the panel stopped {job['counts']} of {expected}")
    return elapsed


async def reference_loop(hub: HubProcess, names: list[str], concurrency: int) -> float:
    """The minimal client: DELETE each server, bounded by a semaphore; on 202 poll until stopped."""
    headers = {"Authorization": f"token {hub.api_token}"}
    semaphore = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(headers=headers) as http:

        async def stop(name):
            async with semaphore:
                async with http.delete(f"{hub.hub_api_url}/users/{name}/server") as r:
                    status = r.status
                while status == 202:
                    await asyncio.sleep(0.5)
                    async with http.get(f"{hub.hub_api_url}/users/{name}") as r:
                        server = (await r.json()).get("servers", {}).get("")
                    status = 202 if server else 204

        t0 = time.perf_counter()
        await asyncio.gather(*(stop(n) for n in names))
        return time.perf_counter() - t0


def sequential(hub: HubProcess, names: list[str]) -> float:
    """Stop one server after the other, each until it has stopped."""
    t0 = time.perf_counter()
    for name in names:
        status = hub.api("DELETE", f"/users/{name}/server").status_code
        while status == 202:
            time.sleep(0.5)
            status = 202 if hub.api("GET", f"/users/{name}").json().get("servers", {}).get("") else 204
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--servers", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=15, help="first-page requests to take the median of")
    args = parser.parse_args()
    proxy = require_npm_proxy()
    users = [f"bench{n:05d}" for n in range(args.users)]
    running = users[:: max(1, args.users // args.servers)][: args.servers]

    with tempfile.TemporaryDirectory(prefix="bench-servers-panel-") as tmp:
        hub = HubProcess(tmp, pre_config=panel_pre_config(args.concurrency), config=hub_config())
        hub.start()
        try:
            t0 = time.perf_counter()
            r = requests.post(f"{hub.hub_api_url}/users", json={"usernames": users},
                              headers={"Authorization": f"token {hub.api_token}"}, timeout=600)
            r.raise_for_status()
            log(f"created {len(users)} users in one request: {time.perf_counter() - t0:.1f} s")
            session, xsrf = panel_session(hub, "champ")
            log(f"started {len(running)} servers in {start_all(hub, running):.1f} s")
            page_ms, rest_ms = first_page_ms(hub, session, xsrf, args.rounds)
            log(f"first page: panel {page_ms:.1f} ms, REST {rest_ms:.1f} ms (medians of {args.rounds})")

            hub_cpu = {}
            pid = hub.proc.pid
            cpu0 = cpu_seconds(pid)
            bulk = panel_bulk_stop(hub, session, xsrf, len(running))
            hub_cpu["panel"] = cpu_seconds(pid) - cpu0
            wait_all_stopped(hub, running)
            log(f"panel bulk stop: {bulk:.2f} s")
            log(f"started {len(running)} servers in {start_all(hub, running):.1f} s")
            cpu0 = cpu_seconds(pid)
            reference = asyncio.run(reference_loop(hub, running, args.concurrency))
            hub_cpu["reference"] = cpu_seconds(pid) - cpu0
            wait_all_stopped(hub, running)
            log(f"reference loop: {reference:.2f} s")
            log(f"started {len(running)} servers in {start_all(hub, running):.1f} s")
            cpu0 = cpu_seconds(pid)
            one_by_one = sequential(hub, running)
            hub_cpu["sequential"] = cpu_seconds(pid) - cpu0
            log(f"one by one: {one_by_one:.2f} s")
            log("hub CPU ms per stop: " + ", ".join(f"{k} {v / len(running) * 1000:.0f}" for k, v in hub_cpu.items()))
        finally:
            hub.stop()

    result = {
        "name": "servers_panel_bulk_stop",
        "proxy": proxy,
        "unit": "s",
        "ours": round(bulk, 3),
        "anchor": round(reference, 3),
        "ratio": round(bulk / reference, 3),
        "first_page_ms": round(page_ms, 1),
        "rest_first_page_ms": round(rest_ms, 1),
        "bulk_stop_s": round(bulk, 3),
        "reference_loop_s": round(reference, 3),
        "sequential_s": round(one_by_one, 3),
        "ratio_vs_reference": round(bulk / reference, 3),
        "speedup_vs_sequential": round(one_by_one / bulk, 3),
        "users": len(users),
        "servers": len(running),
        "concurrency": args.concurrency,
        "hub_cpu_ms_per_stop": {k: round(v / len(running) * 1000, 1) for k, v in hub_cpu.items()},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
