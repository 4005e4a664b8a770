"""Fixtures for the shared-data tests: a real git server and a file server on 127.0.0.1, and an API client."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from harness.hub import free_port
from shared_data_helpers import ServiceClient

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Champion",
    "GIT_AUTHOR_EMAIL": "champ@example.org",
    "GIT_COMMITTER_NAME": "Champion",
    "GIT_COMMITTER_EMAIL": "champ@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def git(*args, cwd):
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True
    )


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@pytest.fixture(scope="session")
def git_daemon(tmp_path_factory):
    """`git daemon` on 127.0.0.1 serving every bare repository in a folder; yields (URL prefix, folder)."""
    base = tmp_path_factory.mktemp("git")
    port = free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            f"--base-path={base}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"git://127.0.0.1:{port}", base
    finally:
        daemon.terminate()
        daemon.wait(10)


def make_repository(base: Path, name: str, files: dict) -> None:
    """A bare repository `name.git` in `base` with one commit of `files`: path (str or bytes) -> bytes, or
    ("symlink", target)."""
    work = base / f"{name}-work"
    work.mkdir()
    git("init", cwd=work)
    for path, content in files.items():
        location = os.path.join(bytes(work), path if isinstance(path, bytes) else path.encode())
        os.makedirs(os.path.dirname(location), exist_ok=True)
        if isinstance(content, tuple):
            os.symlink(content[1], location)
        else:
            Path(os.fsdecode(location)).write_bytes(content)
    git("add", ".", cwd=work)
    git("commit", "-m", name, cwd=work)
    git("clone", "--bare", str(work), str(base / f"{name}.git"), cwd=base)


@pytest.fixture(scope="session")
def git_server(git_daemon):
    """`course.git` on the git daemon: branch main (week 1 and 2), branch draft, tag v1 (week 1)."""
    prefix, base = git_daemon
    work = base / "work"
    work.mkdir()
    git("init", cwd=work)
    (work / "week-1").mkdir()
    (work / "week-1" / "intro.ipynb").write_text('{"cells": []}')
    (work / "README.md").write_text("Course material v1\n")
    git("add", ".", cwd=work)
    git("commit", "-m", "week 1", cwd=work)
    git("tag", "v1", cwd=work)
    (work / "week-2").mkdir()
    (work / "week-2" / "data.csv").write_text("x,y\n1,2\n")
    (work / "README.md").write_text("Course material v2\n")
    git("add", ".", cwd=work)
    git("commit", "-m", "week 2", cwd=work)
    git("checkout", "-b", "draft", cwd=work)
    (work / "DRAFT.md").write_text("not yet\n")
    git("add", ".", cwd=work)
    git("commit", "-m", "draft", cwd=work)
    git("checkout", "main", cwd=work)
    git("clone", "--bare", str(work), str(base / "course.git"), cwd=base)
    return f"{prefix}/course.git"


@pytest.fixture(scope="session")
def odd_repositories(git_daemon):
    """Repositories a pull must refuse to place, and a big one; yields name -> URL."""
    prefix, base = git_daemon
    repositories = {
        "links-out": {"README.md": b"hi", "notes/out": ("symlink", "../../../../../../etc")},
        "link-up": {"data/a.csv": b"1", "docs/a.csv": ("symlink", "../data/a.csv")},
        "not-utf8": {"README.md": b"hi", b"caf\xe9.txt": b"x"},
        "reserved": {"README.md": b"hi", ".hubextras-upload-x": b"x"},
        "links-down": {"data/a.csv": b"1", "latest.csv": ("symlink", "data/a.csv")},
        "big": {f"part-{n}.bin": os.urandom(8 * 1024 * 1024) for n in range(4)},
    }
    for name, files in repositories.items():
        make_repository(base, name, files)
    return {name: f"{prefix}/{name}.git" for name in repositories}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def file_server(tmp_path_factory):
    """An http server on 127.0.0.1 serving `files/` (tests put archives there); yields (base URL, folder)."""
    folder = tmp_path_factory.mktemp("files")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Path(folder)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def signed_in(hub):
    """Make the demo people known to the hub (the real sign-in flow), so they have tokens and groups."""
    for person in ("champ", "alice", "ada"):
        hub.login(person)
    return hub


@pytest.fixture(scope="module")
def champ(signed_in):
    return ServiceClient(signed_in, signed_in.user_token("champ"))


@pytest.fixture(scope="module")
def alice(signed_in):
    return ServiceClient(signed_in, signed_in.user_token("alice"))


@pytest.fixture(scope="module")
def ada(signed_in):
    return ServiceClient(signed_in, signed_in.user_token("ada"))
