"""Benchmark: a 1 GiB upload to the shared-data service through the hub's proxy (npm configurable-http-proxy),
against the same file uploaded through JupyterLab's contents API the way its file browser does it (sequential
1 MiB chunks, base64-encoded as it goes, in JSON PUTs) and against `cp` on the same disk. Then the 1 GiB file
downloaded whole and resumed (half, then the rest with `Range`), against `cp` of the same file.
Also records the service's peak memory during a 2 GiB upload. Prints one JSON line last (with the proxy used).

    .venv/bin/python bench/shared_data.py [--gib 1] [--memory-gib 2]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_setup import require_npm_proxy  # noqa: E402
from harness.hub import HubProcess  # noqa: E402

MiB = 1024 * 1024
SERVICE = "/services/shared-data/"


def make_file(path: Path, size: int) -> None:
    block = os.urandom(64 * MiB)
    with open(path, "wb") as out:
        for start in range(0, size, len(block)):
            out.write(block[: min(len(block), size - start)])


def upload_to_service(hub: HubProcess, token: str, source: Path, name: str) -> float:
    """Upload `source` as the page does (its pieces, sequentially); returns seconds."""
    headers = {"Authorization": f"token {token}"}
    base = f"{hub.url}{SERVICE}"
    size = source.stat().st_size
    session = requests.Session()  # one connection for all pieces, as a browser keeps one
    began = time.perf_counter()
    upload = session.post(f"{base}api/uploads", headers=headers, json={"path": name, "size": size}, timeout=60)
    upload.raise_for_status()
    upload = upload.json()
    offset = 0
    with open(source, "rb") as f:
        while offset < size:
            f.seek(offset)
            piece = f.read(upload["chunk_bytes"])
            answer = session.put(
                f"{base}api/uploads/{upload['id']}?offset={offset}", headers=headers, data=piece, timeout=600
            )
            answer.raise_for_status()
            offset = answer.json()["offset"]
    return time.perf_counter() - began


def upload_to_contents_api(hub: HubProcess, user: str, token: str, source: Path) -> float:
    """JupyterLab's file browser: 1 MiB chunks numbered 1..n-1 and -1 last, base64 in JSON, one after another."""
    headers = {"Authorization": f"token {token}"}
    url = f"{hub.url}/user/{user}/api/contents/bench-upload.bin"
    size = source.stat().st_size
    session = requests.Session()
    began = time.perf_counter()
    with open(source, "rb") as f:
        number = 0
        while True:
            piece = f.read(MiB)
            number += 1
            last = f.tell() >= size
            body = {
                "type": "file",
                "format": "base64",
                "name": "bench-upload.bin",
                "path": "bench-upload.bin",
                "chunk": -1 if last else number,
                "content": base64.b64encode(piece).decode("ascii"),
            }
            answer = session.put(url, headers=headers, data=json.dumps(body), timeout=120)
            answer.raise_for_status()
            if last:
                break
    return time.perf_counter() - began


def download_from_service(hub: HubProcess, token: str, name: str, ranges: list[str | None]) -> tuple[float, str]:
    """Download `name` in the given `Range`s (None: whole), one after another; returns (seconds, sha256)."""
    headers = {"Authorization": f"token {token}"}
    digest, session = hashlib.sha256(), requests.Session()
    began = time.perf_counter()
    for byte_range in ranges:
        extra = {"Range": f"bytes={byte_range}"} if byte_range else {}
        with session.get(f"{hub.url}{SERVICE}api/files/{name}", headers=headers | extra, stream=True, timeout=600) as r:
            r.raise_for_status()
            for block in r.iter_content(4 * MiB):
                digest.update(block)
    return time.perf_counter() - began, digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(4 * MiB):
            digest.update(block)
    return digest.hexdigest()


def service_peak_rss_mib(hub: HubProcess) -> float:
    marker = f"--SharedDataService.shared_dir={hub.workdir / 'shared'}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            if b"hubextras.services.shared_data" in command and marker in command:
                status = Path(f"/proc/{entry}/status").read_text()
                return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024
        except OSError:
            continue
    raise LookupError("shared-data service process not found")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="size of the timed upload (GiB)")
    parser.add_argument("--memory-gib", type=float, default=2.0, help="size of the upload whose peak memory counts")
    args = parser.parse_args()
    proxy = require_npm_proxy()
    size, memory_size = int(args.gib * 1024 * MiB), int(args.memory_gib * 1024 * MiB)
    workdir = Path(tempfile.mkdtemp(prefix="bench-shared-data-"))
    hub = HubProcess(workdir, pre_config=f"c.SharedDataService.quota_bytes = {4 * (size + memory_size)}")
    try:
        hub.start()
        hub.login("champ")
        token = hub.user_token("champ")
        source = workdir / "source.bin"
        make_file(source, size)

        ours_seconds = upload_to_service(hub, token, source, "bench/ours.bin")
        print(f"shared-data service: {size / MiB / ours_seconds:.0f} MiB/s", file=sys.stderr)
        expected = sha256_of(source)
        download_seconds, whole = download_from_service(hub, token, "bench/ours.bin", [None])
        half = size // 2
        resumed_seconds, resumed = download_from_service(hub, token, "bench/ours.bin", [f"0-{half - 1}", f"{half}-"])
        if whole != expected or resumed != expected:
            raise RuntimeError("a download did not give back the uploaded bytes")
        print(
            f"download: {size / MiB / download_seconds:.0f} MiB/s, resumed {size / MiB / resumed_seconds:.0f}",
            file=sys.stderr,
        )

        started = hub.api("POST", "/users/champ/server", json={})
        if started.status_code not in (201, 202):
            raise RuntimeError(f"could not start champ's server: {started.status_code} {started.text}")
        hub.wait_for_server("champ", timeout=120)
        contents_seconds = upload_to_contents_api(hub, "champ", token, source)
        print(f"contents API: {size / MiB / contents_seconds:.0f} MiB/s", file=sys.stderr)
        hub.api("DELETE", "/users/champ/server")

        copy = workdir / "copy.bin"
        began = time.perf_counter()
        subprocess.run(["cp", str(source), str(copy)], check=True)
        cp_seconds = time.perf_counter() - began
        copy.unlink()
        began = time.perf_counter()  # the download's anchor: the same stored file copied on the same disk
        subprocess.run(["cp", str(workdir / "shared" / "bench" / "ours.bin"), str(copy)], check=True)
        cp_download_seconds = time.perf_counter() - began
        copy.unlink()

        big = workdir / "big.bin"
        source.unlink()
        make_file(big, memory_size)
        upload_to_service(hub, token, big, "bench/two-gib.bin")
        peak = service_peak_rss_mib(hub)
    finally:
        hub.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    ours, anchor = size / MiB / ours_seconds, size / MiB / contents_seconds
    print(
        json.dumps(
            {
                "name": "shared_data_upload_1gib_npm_proxy",
                "proxy": proxy,
                "ours": round(ours, 1),
                "anchor": round(anchor, 1),
                "ratio": round(ours / anchor, 2),
                "unit": "MiB/s",
                "ours_mib_s": round(ours, 1),
                "contents_api_mib_s": round(anchor, 1),
                "cp_mib_s": round(size / MiB / cp_seconds, 1),
                "ratio_vs_contents_api": round(ours / anchor, 2),
                "download_1gib_mib_s": round(size / MiB / download_seconds, 1),
                "resumed_download_mib_s": round(size / MiB / resumed_seconds, 1),
                "cp_download_mib_s": round(size / MiB / cp_download_seconds, 1),
                "download_vs_cp": round(cp_download_seconds / download_seconds, 2),
                "peak_rss_mib": round(peak, 1),
                "peak_rss_upload_gib": args.memory_gib,
                "size_gib": args.gib,
            }
        )
    )


if __name__ == "__main__":
    main()
