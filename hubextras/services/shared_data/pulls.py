"""Pulling into the shared folder from a public git repository or an http(s) URL, with progress lines.

A pull is staged in a temporary folder next to its destination and placed with one rename, so people
see the old content or the complete new one. Progress goes to `PullJob.lines`, which pages stream.
Pulls reach public servers only (see `addresses.py`): every redirect of a download is checked, and git
is not allowed to follow redirects.
"""

from __future__ import annotations

import asyncio
import errno
import os
import posixpath
import re
import resource
import secrets
import shutil
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.netutil import Resolver

from ...github_push import installation_token_url
from ..base.units import format_bytes
from . import archives, quota, s3_sources
from .addresses import PublicOnlyResolver
from .errors import PullFailed, QuotaExceeded, SharedDataError
from .links import repository_folder
from .paths import check_name, relative_parts
from .redaction import redact, redacted_url, url_secrets
from .store import SharedStore

GIT_SCHEMES = ("http", "https", "git")
DEFAULT_PORTS = {"http": 80, "https": 443, "git": 9418}
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
SAFE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")


def check_git_source(url: str, ref: str) -> None:
    """Refuse URLs git must not follow (local paths, ssh, helpers) and refs that could be options."""
    parts = urlsplit(url)
    if parts.scheme not in GIT_SCHEMES or not parts.netloc:
        raise SharedDataError(
            f"`{redacted_url(url)[:200]}` is not a public git repository URL. Use an http(s):// or git:// URL, "
            "like https://github.com/org/course-material."
        )
    if ref and (not SAFE_REF.match(ref) or ".." in ref):
        raise SharedDataError(f"`{ref[:80]}` is not a branch or tag name. Leave it empty for the default branch.")


def git_clone_command(git: str, url: str, ref: str, checkout: str, address: str) -> list[str]:
    """The git command cloning `url` (at `ref`) into `checkout`, connecting only to `address`, the one checked.

    http(s): curl is told the address for the URL's host and port (`http.curloptResolve`), so TLS and the
    Host header keep the name; git://: the URL names the address itself (git's protocol has no certificates).
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme]
    shown = f"[{address}]" if ":" in address else address
    pin = []
    if parts.scheme in ("http", "https"):
        pin = ["-c", f"http.curloptResolve={host}:{port}:{shown}"]
    elif host != address:
        userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        url = urlunsplit(parts._replace(netloc=f"{userinfo}{shown}:{port}"))
    return [
        git,
        "-c",
        "http.followRedirects=false",  # a redirect could lead to a private address checked nowhere
        *pin,
        "clone",
        "--depth",
        "1",
        "--progress",
        *(["--branch", ref] if ref else []),
        "--",
        url,
        checkout,
    ]


def check_download_source(url: str) -> str:
    """The file name an http(s) URL downloads to; refused if the URL is not http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SharedDataError(f"`{redacted_url(url)[:200]}` is not an http(s) URL. Give a link starting with https://.")
    name = posixpath.basename(unquote(parts.path).rstrip("/")) or "download"
    return check_name(name)


@dataclass
class PullJob:
    """One pull in progress or done: its progress lines, and how it ended."""

    id: str
    user: str
    source: str
    lines: list[str] = field(default_factory=list)
    state: str = "running"  # running, done or failed
    result: str = ""
    error: str = ""
    started: float = field(default_factory=time.time)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Future | None = None

    hidden: list[str] = field(default_factory=list, repr=False)  # credentials in the URL, never shown

    def say(self, line: str) -> None:
        self.lines.append(redact(line, self.hidden))
        self.changed.set()
        self.changed = asyncio.Event()

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "user": self.user,
            "source": self.source,
            "state": self.state,
            "result": self.result,
            "error": redact(self.error, self.hidden),
            "lines": self.lines,
        }


class Puller:
    """Runs pulls for a store, within the limits the operator set."""

    def __init__(
        self,
        store: SharedStore,
        *,
        limits: archives.ArchiveLimits,
        max_download_bytes: int,
        timeout_seconds: float,
        git: str = "git",
        allow_private_addresses: bool = False,
        allowed_private_hosts: tuple[str, ...] = (),
        resolver: Resolver | None = None,
    ):
        """`resolver` looks names up (default: as the event loop does); every address it gives is checked."""
        self.store, self.limits = store, limits
        self.max_download_bytes, self.timeout_seconds, self.git = max_download_bytes, timeout_seconds, git
        self.resolver = PublicOnlyResolver(
            allow_private=allow_private_addresses, allowed_hosts=allowed_private_hosts, inner=resolver
        )
        self.jobs: dict[str, PullJob] = {}

    async def start(self, user: str, source: dict, on_done) -> PullJob:
        """Check the request at once (bad input and private servers are refused before anything runs), then pull
        in the background."""
        kind, url = source.get("kind"), str(source.get("url") or "").strip()
        ref, into = str(source.get("ref") or "").strip(), str(source.get("into") or "")
        name, replace = str(source.get("name") or ""), bool(source.get("replace"))
        relative_parts(into)
        shown = ""
        if kind == "s3":  # object storage (s3_sources.py): read through a presigned URL, then a URL pull like any
            shown, url, kind = url, s3_sources.presigned_url(url), "url"
        if kind == "git":
            check_git_source(url, ref)
            name = name or repository_folder(url)
        elif kind == "url":
            filename = check_download_source(url)
            name = name or (archives.archive_stem(filename) if archives.archive_kind(filename) else filename)
        else:
            raise SharedDataError(
                "Say what to pull from: `kind` is `git` (a repository), `url` (a file or archive) or `s3` (an object)."
            )
        check_name(name)
        destination = "/".join([*relative_parts(into), name])
        parts = urlsplit(url)
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise SharedDataError(f"`{redacted_url(url)[:200]}` has no valid port number. Check the link.") from None
        address = await self.resolver.check_host(parts.hostname or "", port)
        if kind == "git":  # a private repository of the operator's GitHub App: its token (hubextras/github_push.py)
            shown, url = shown or redacted_url(url), await installation_token_url(url)
        job = PullJob(secrets.token_urlsafe(12), user, shown or redacted_url(url), hidden=url_secrets(url))
        self.jobs[job.id] = job
        work = (
            self._git(job, url, ref, into, destination, replace, address)
            if kind == "git"
            else self._download(job, url, into, destination, replace)
        )
        task = asyncio.ensure_future(self._run(job, work, on_done))
        job.task = task
        return job

    async def _run(self, job: PullJob, work, on_done) -> None:
        try:
            job.result = await asyncio.wait_for(work, self.timeout_seconds)
            job.state = "done"
            job.say(f"Done: `{job.result}` is in the shared folder.")
        except asyncio.TimeoutError:
            job.state, job.error = (
                "failed",
                f"The pull took longer than {self.timeout_seconds:g} seconds and was stopped.",
            )
        except SharedDataError as refusal:
            job.state, job.error = "failed", str(refusal)
        except Exception as crash:  # the page must hear about any failure, not wait forever
            job.state, job.error = "failed", f"The pull failed: {crash}"
        if job.error:
            job.say(f"Failed: {job.error} Nothing was changed.")
        on_done(job)

    @contextmanager
    def _staging(self, into: str):
        """A staging area inside `into`, removed afterwards with the folders made for it if they stayed empty."""
        folder = self.store.locate(into)
        made = [f for f in [folder, *folder.parents] if f.is_relative_to(self.store.root) and not os.path.lexists(f)]
        staging = self.store.staging_area(into)
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            for empty in made:
                try:
                    empty.rmdir()  # only succeeds when the pull put nothing there
                except OSError:
                    break

    def _fits(self, staging: Path) -> int:
        """The staged bytes, refused if they do not fit (staging areas are not counted as used)."""
        size = sum(f.stat().st_size for f in staging.rglob("*") if f.is_file() and not f.is_symlink())
        quota.check_fits(self.store.usage(), size)
        return size

    async def _git(
        self, job: PullJob, url: str, ref: str, into: str, destination: str, replace: bool, address: str
    ) -> str:
        with self._staging(into) as staging:
            checkout = staging / "checkout"
            args = git_clone_command(self.git, url, ref, str(checkout), address)
            job.say(f"Cloning {job.source}" + (f" at {ref}" if ref else "") + " …")
            env = {
                **os.environ,
                "GIT_TERMINAL_PROMPT": "0",
                "GIT_ALLOW_PROTOCOL": "http:https:git",
                "GIT_CONFIG_NOSYSTEM": "1",
                "HOME": str(staging),  # no ~/.gitconfig of the hub's account (`insteadOf`, helpers) applies
                "XDG_CONFIG_HOME": str(staging),
            }
            limit = min(self.max_download_bytes, self.store.usage().free)
            process = await asyncio.create_subprocess_exec(
                *args,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                preexec_fn=partial(_limit_file_size, limit),
            )
            watcher = asyncio.ensure_future(_stop_when_larger(process, staging, limit))
            errors = []
            try:
                async for line in _progress_lines(process.stderr):
                    errors.append(line)
                    job.say(line)
                await process.wait()
            finally:
                watcher.cancel()
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            too_big = watcher.done() and not watcher.cancelled() and watcher.result()
            if process.returncode != 0 and (too_big or any(FILE_TOO_LARGE in line for line in errors)):
                raise QuotaExceeded(
                    f"The clone passed {format_bytes(limit)} (the shared folder's free space or the "
                    "download limit) while it ran, and was stopped. Free some room, or pull a smaller repository."
                )
            if process.returncode != 0:
                reason = next((e for e in reversed(errors) if e.startswith(("fatal", "error", "warning"))), "")
                raise PullFailed(
                    redact(
                        f"git could not clone `{job.source}`"
                        + (f" at `{ref}`" if ref else "")
                        + f": {reason or 'git exited with ' + str(process.returncode)}. Check the URL and "
                        "the branch or tag, and that the repository is public.",
                        job.hidden,
                    )
                )
            shutil.rmtree(checkout / ".git")  # people get the files, not the history
            size = self._fits(staging)
            job.say(f"Cloned {format_bytes(size)}; placing it at `{destination}` …")
            self.store.place(checkout, destination, replace=replace)
            return destination

    async def _download(self, job: PullJob, url: str, into: str, destination: str, replace: bool) -> str:
        with self._staging(into) as staging:
            filename = check_download_source(url)
            download = staging / filename
            limit = min(self.max_download_bytes, self.store.usage().free)
            received = [0, 0.0]
            job.say(f"Downloading {job.source} …")
            with open(download, "wb") as out:

                def take(chunk: bytes) -> None:
                    received[0] += len(chunk)
                    if received[0] > limit:
                        raise QuotaExceeded(
                            f"The download passed {format_bytes(limit)} (the download limit or "
                            "the shared folder's free space) and was stopped."
                        )
                    out.write(chunk)
                    if time.monotonic() - received[1] > 0.5:
                        received[1] = time.monotonic()
                        job.say(f"Downloaded {format_bytes(received[0])}")

                await self._fetch(url, take, out, received)
            job.say(f"Downloaded {format_bytes(received[0])}.")
            if archives.archive_kind(filename):
                unpacked = staging / "unpacked"
                unpacked.mkdir()
                job.say(f"Unpacking {filename} …")
                archives.unpack(download, unpacked, self.limits)
                download.unlink()
                self._fits(staging)
                self.store.place(unpacked, destination, replace=replace)
            else:
                self._fits(staging)
                self.store.place(download, destination, replace=replace)
            return destination

    async def _fetch(self, url: str, take, out, received: list) -> None:
        """Download `url` into `out` through `take`, following at most MAX_REDIRECTS redirects, each one checked."""
        client = AsyncHTTPClient(force_instance=True, resolver=self.resolver)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                out.seek(0)
                out.truncate()  # a redirect's own body is not the download
                received[0] = 0
                request = HTTPRequest(
                    url,
                    streaming_callback=take,
                    follow_redirects=False,
                    request_timeout=self.timeout_seconds,
                    user_agent="hubextras-shared-data",
                )
                try:
                    response = await client.fetch(request, raise_error=False)
                except (OSError, HTTPClientError) as failure:
                    raise PullFailed(f"Could not reach `{redacted_url(url)}`: {failure}. Check the link.") from None
                location = response.headers.get("Location")
                if response.code in REDIRECTS and location:
                    url = urljoin(url, location)
                    if urlsplit(url).scheme not in ("http", "https"):
                        raise PullFailed(
                            f"The link redirects to `{redacted_url(url)[:200]}`, which is not an http(s) URL."
                        )
                    continue
                if response.code >= 400 or response.error:
                    raise PullFailed(
                        f"The server at `{redacted_url(url)}` answered {response.code} ({response.reason}). "
                        "Check the link."
                    )
                return
            raise PullFailed(f"The link redirected more than {MAX_REDIRECTS} times. Link to the file itself.")
        finally:
            client.close()


def _limit_file_size(limit: int) -> None:
    """In git's process, before it runs: no file it writes may pass `limit` bytes (the pack it receives); a write
    past it fails with "File too large" (SIGXFSZ ignored, as git's helpers inherit) instead of killing silently."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _disk_bytes(folder: Path) -> int:
    total = 0
    for top, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                continue  # git renames its temporaries as it goes
    return total


async def _stop_when_larger(process, staging: Path, limit: int, every: float = 0.05) -> bool:
    """Kill the clone as soon as everything it wrote passes `limit` (checked every `every` seconds); True if so."""
    while process.returncode is None:
        if await asyncio.to_thread(_disk_bytes, staging) >= limit:
            process.kill()
            return True
        await asyncio.sleep(every)
    return False


FILE_TOO_LARGE = os.strerror(errno.EFBIG)
PROGRESS = re.compile(r"^(?P<phase>[^:]+):\s+(?P<percent>\d+)%")


async def _progress_lines(stream: asyncio.StreamReader):
    """git's progress: lines ended by `\\r` (updates in place) or `\\n`, each phase in steps of 10% at most."""
    buffer, shown = b"", {}
    while chunk := await stream.read(4096):
        buffer += chunk
        *complete, buffer = re.split(rb"[\r\n]", buffer)
        for raw in complete:
            line = raw.decode("utf-8", "replace").strip()
            progress = PROGRESS.match(line)
            if progress and "done" not in line:
                percent = int(progress["percent"])
                if percent - shown.get(progress["phase"], -10) < 10:
                    continue
                shown[progress["phase"]] = percent
            if line:
                yield line
    if buffer.strip():
        yield buffer.decode("utf-8", "replace").strip()
