"""Pulls on the pure core and a real git daemon: git connects to the address that was checked, a clone is bounded
while it runs, and credentials in a pull's URL are never shown (issue 15, holes 6 and 11)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time

import pytest
from tornado.netutil import Resolver

from hubextras.services.shared_data.archives import ArchiveLimits
from hubextras.services.shared_data.pulls import Puller, git_clone_command
from hubextras.services.shared_data.redaction import redact, redacted_url, url_secrets
from hubextras.services.shared_data.store import SharedStore

MiB = 1024 * 1024


@pytest.mark.parametrize(
    ("url", "address", "pinned"),
    [
        ("https://example.org/r.git", "93.184.216.34", ["-c", "http.curloptResolve=example.org:443:93.184.216.34"]),
        (
            "http://example.org:8080/r.git",
            "93.184.216.34",
            ["-c", "http.curloptResolve=example.org:8080:93.184.216.34"],
        ),
        ("https://example.org/r.git", "2606:2800::1", ["-c", "http.curloptResolve=example.org:443:[2606:2800::1]"]),
    ],
)
def test_git_over_http_is_told_the_checked_address_and_keeps_the_name(url, address, pinned):
    command = git_clone_command("git", url, "", "/tmp/checkout", address)
    at = command.index(pinned[1])
    assert command[at - 1 : at + 1] == pinned
    assert command[-2] == url, "the URL keeps its host name (TLS and the Host header use it)"


def test_git_protocol_urls_name_the_checked_address_itself():
    command = git_clone_command("git", "git://course.example.org/course.git", "main", "/tmp/c", "93.184.216.34")
    assert command[-2] == "git://93.184.216.34:9418/course.git"
    assert "http.followRedirects=false" in command and command[command.index("--branch") + 1] == "main"


class OneAnswer(Resolver):
    """A name server answering `name` with one address (the system's own has never heard of `.invalid`)."""

    def initialize(self, name: str, address: str):
        self.name, self.address = name, address
        self.asked = 0

    async def resolve(self, host, port, family=socket.AF_UNSPEC):
        if host != self.name:
            raise OSError(f"unknown host {host}")
        self.asked += 1
        return [(socket.AF_INET, (self.address, port))]


def puller_for(store, resolver=None, **settings):
    return Puller(
        store,
        limits=ArchiveLimits(),
        max_download_bytes=settings.pop("max_download_bytes", 10**9),
        timeout_seconds=60,
        resolver=resolver,
        **settings,
    )


def pull(puller, source: dict):
    async def run():
        done = asyncio.Event()
        job = await puller.start("champ", source, lambda job: done.set())
        await done.wait()
        return job

    return asyncio.run(run())


def test_git_connects_to_the_address_the_check_saw_not_to_a_second_lookup(tmp_path, git_server):
    port = git_server.split(":")[2].split("/")[0]
    resolver = OneAnswer(name="course.invalid", address="127.0.0.1")
    puller = puller_for(SharedStore(tmp_path / "shared", 10**9), resolver, allowed_private_hosts=("course.invalid",))
    job = pull(puller, {"kind": "git", "url": f"git://course.invalid:{port}/course.git", "name": "course"})
    assert job.state == "done", job.error
    assert resolver.asked == 1, "the name was looked up once, by the check"
    assert (tmp_path / "shared" / "course" / "README.md").exists()


def disk_bytes(folder) -> int:
    total = 0
    for top, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                pass
    return total


def test_a_clone_is_stopped_while_it_runs_once_it_passes_the_free_space(tmp_path, odd_repositories):
    quota = 8 * MiB
    store = SharedStore(tmp_path / "shared", quota)
    peak, stop = [0], threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], disk_bytes(store.root))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        job = pull(puller_for(store, allow_private_addresses=True), {"kind": "git", "url": odd_repositories["big"]})
    finally:
        stop.set()
        watcher.join()
    assert job.state == "failed"
    assert "while it ran, and was stopped" in job.error
    assert peak[0] <= quota + 2 * MiB, f"{peak[0] / MiB:.1f} MiB landed against an 8 MiB quota"
    assert disk_bytes(store.root) == 0


@pytest.mark.parametrize(
    ("repository", "message"),
    [
        ("links-out", "`links-out/notes/out` is refused: `notes/out` is a link to"),
        ("link-up", "links may only point down into their own folder"),
        ("not-utf8", "not valid UTF-8"),
        ("reserved", "reserved for uploads in progress"),
    ],
)
def test_a_clone_is_held_to_the_rules_of_an_upload(tmp_path, odd_repositories, repository, message):
    store = SharedStore(tmp_path / "shared", 10**9)
    job = pull(puller_for(store, allow_private_addresses=True), {"kind": "git", "url": odd_repositories[repository]})
    assert job.state == "failed" and message in job.error, job.error
    assert os.listdir(store.root) == []


def test_a_clone_with_links_pointing_down_is_placed_with_them(tmp_path, odd_repositories):
    store = SharedStore(tmp_path / "shared", 10**9)
    job = pull(puller_for(store, allow_private_addresses=True), {"kind": "git", "url": odd_repositories["links-down"]})
    assert job.state == "done", job.error
    assert os.readlink(store.root / "links-down" / "latest.csv") == "data/a.csv"


# --- credentials in pull URLs (hole 11) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://champ:ghp_s3cret@github.com/org/r.git", "https://champ:***@github.com/org/r.git"),
        ("https://ghp_s3cret@github.com/org/r.git", "https://***@github.com/org/r.git"),
        ("https://x.org/f.zip?access_token=s3cret&page=2", "https://x.org/f.zip?access_token=***&page=2"),
        (
            "https://b.s3.amazonaws.com/f.zip?X-Amz-Signature=s3cret&X-Amz-Date=1",
            "https://b.s3.amazonaws.com/f.zip?X-Amz-Signature=***&X-Amz-Date=1",
        ),
        ("https://u:p%40ss@x.org/r.git", "https://u:***@x.org/r.git"),
        ("https://github.com/org/r.git", "https://github.com/org/r.git"),
    ],
)
def test_credentials_in_a_url_are_hidden(url, shown):
    assert redacted_url(url) == shown


def test_credentials_are_hidden_wherever_they_appear_in_text_even_decoded():
    secrets = url_secrets("https://u:p%40ss@x.org/r.git")
    assert redact("fatal: could not read from https://u:p@ss@x.org (p%40ss)", secrets) == (
        "fatal: could not read from https://u:***@x.org (***)"
    )


def test_a_failed_pull_never_shows_the_credentials_of_its_url(tmp_path, git_server):
    port = git_server.split(":")[2].split("/")[0]
    store = SharedStore(tmp_path / "shared", 10**9)
    job = pull(
        puller_for(store, allow_private_addresses=True),
        {"kind": "url", "url": f"http://champ:s3cret@127.0.0.1:{port}/x.zip?token=t0ken"},
    )
    assert job.state == "failed"
    shown = repr(job.as_json())
    assert "s3cret" not in shown and "t0ken" not in shown and "***" in shown
