"""The holes a security review found in the shared-data service (issue 15), tried as an attacker would, through a
real hub and the npm proxy: each test fails on the service as it was and passes now."""

from __future__ import annotations

import io
import os
import socket
import tarfile
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from shared_data_helpers import SERVICE, ServiceClient

MiB = 1024 * 1024
QUOTA = 16 * MiB
MAX_PIECE = 4 * MiB


@pytest.fixture(scope="module")
def hub(hub_factory):
    # carol is a second champion (the demo community has one); the test servers are on 127.0.0.1
    return hub_factory(
        pre_config=f"""
        c.SharedDataService.quota_bytes = {QUOTA}
        c.SharedDataService.max_chunk_bytes = {MAX_PIECE}
        c.SharedDataService.pull_allow_private_addresses = True
        """,
        config="""
        add_role(c, "second-champion", scopes=["custom:shared-data:write", "access:services!service=shared-data"],
                 users=["carol"])
        """,
    )


@pytest.fixture(scope="module")
def people(hub):
    for person in ("champ", "carol", "ada", "alice"):
        hub.login(person)
    return {person: ServiceClient(hub, hub.user_token(person)) for person in ("champ", "carol", "ada", "alice")}


@pytest.fixture(scope="module")
def champ(people):
    return people["champ"]


def shared(hub) -> Path:
    return hub.workdir / "shared"


def links_leading_out(hub) -> list[str]:
    root = os.path.realpath(shared(hub))
    return [
        os.path.join(top, name)
        for top, dirs, files in os.walk(root)
        for name in dirs + files
        if os.path.islink(os.path.join(top, name))
        and not os.path.realpath(os.path.join(top, name)).startswith(root + os.sep)
    ]


def started(client, path: str, size: int, **extra) -> dict:
    answer = client.request("POST", "api/uploads", json={"path": path, "size": size, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def put(client, upload: dict, offset: int, data: bytes) -> requests.Response:
    return client.request("PUT", f"api/uploads/{upload['id']}?offset={offset}", data=data)


# --- 1. archives whose links chain out of the shared folder ---------------------------------------------------


DEEP = "/".join(f"d{i}" for i in range(40))


def chained_link_tar() -> bytes:
    """The review's archive: links that each look inside, chained to `/`, and a hard link to the last one."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        keep = tarfile.TarInfo(f"{DEEP}/keep")
        keep.size = 1
        archive.addfile(keep, io.BytesIO(b"1"))
        for name, kind, target in [
            (f"{DEEP}/L", tarfile.SYMTYPE, "../../.."),
            ("M", tarfile.SYMTYPE, f"{DEEP}/L/" + "/".join([".."] * 40)),
            ("environ", tarfile.SYMTYPE, "M/proc/self/environ"),
            ("copied-environ", tarfile.LNKTYPE, "environ"),
        ]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            archive.addfile(info)
    return buffer.getvalue()


def test_an_archive_whose_links_chain_out_copies_nothing_into_the_shared_folder(champ, hub, file_server):
    base, folder = file_server
    (folder / "chain.tar.gz").write_bytes(chained_link_tar())
    job = champ.request("POST", "api/pulls", json={"kind": "url", "url": f"{base}/chain.tar.gz"}).json()
    failed = champ.wait_for_pull(job["id"])
    assert failed["state"] == "failed" and "links may only point down" in failed["error"], failed
    assert not (shared(hub) / "chain").exists()
    assert links_leading_out(hub) == []


def test_a_repository_with_a_link_out_is_not_placed(champ, hub, odd_repositories):
    job = champ.request("POST", "api/pulls", json={"kind": "git", "url": odd_repositories["links-out"]}).json()
    failed = champ.wait_for_pull(job["id"])
    assert failed["state"] == "failed" and "links may only point down" in failed["error"], failed
    assert not (shared(hub) / "links-out").exists() and links_leading_out(hub) == []


# --- 2. shared files never render as pages on the hub's origin; big downloads resume ---------------------------


@pytest.mark.parametrize("name", ["x.html", "x.htm", "x.svg", "x.xhtml", "x.xml", "x.js", "x.unknown-type"])
def test_active_content_is_only_ever_an_attachment_in_a_sandbox(champ, people, name):
    champ.upload(f"pages/{name}", b"<script>fetch('/hub/api/users')</script>", overwrite=True)
    answer = people["alice"].request("GET", f"api/files/pages/{name}?inline=1")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.headers["Content-Security-Policy"] == "sandbox"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_passive_file_may_show_inline_still_in_a_sandbox(champ, people):
    champ.upload("pages/notes.txt", b"plain words", overwrite=True)
    answer = people["alice"].request("GET", "api/files/pages/notes.txt?inline=1")
    assert answer.headers["Content-Disposition"].startswith("inline;")
    assert answer.headers["Content-Security-Policy"] == "sandbox"


def test_a_download_resumes_with_a_range_and_is_not_sent_again_when_unchanged(champ, people):
    data = os.urandom(3 * MiB + 5)
    champ.upload("downloads/dataset.bin", data, overwrite=True)
    alice = people["alice"]
    whole = alice.request("GET", "api/files/downloads/dataset.bin")
    assert whole.content == data and whole.headers["Accept-Ranges"] == "bytes"
    rest = alice.request("GET", "api/files/downloads/dataset.bin", headers={"Range": f"bytes={MiB}-"})
    assert rest.status_code == 206 and rest.content == data[MiB:]
    assert rest.headers["Content-Range"] == f"bytes {MiB}-{len(data) - 1}/{len(data)}"
    same = alice.request("GET", "api/files/downloads/dataset.bin", headers={"If-None-Match": whole.headers["ETag"]})
    assert same.status_code == 304 and same.content == b""
    since = alice.request(
        "GET", "api/files/downloads/dataset.bin", headers={"If-Modified-Since": whole.headers["Last-Modified"]}
    )
    assert since.status_code == 304


# --- 3. a path swapped between the pieces of an upload -----------------------------------------------------------


def temporary(hub, upload: dict, folder: str) -> Path:
    return shared(hub) / folder / f".hubextras-upload-{upload['id']}"


def test_a_temporary_swapped_for_a_link_between_pieces_is_a_409_and_nothing_outside_changes(champ, hub, tmp_path):
    victim = tmp_path / "hub-secret"
    victim.write_bytes(b"secret")
    upload = started(champ, "swapped/data.bin", 8)
    assert put(champ, upload, 0, b"1234").status_code == 200
    temporary(hub, upload, "swapped").unlink()
    temporary(hub, upload, "swapped").symlink_to(victim)
    answer = put(champ, upload, 4, b"5678")
    assert answer.status_code == 409, answer.text
    assert "changed or replaced by something other than this service" in answer.json()["message"]
    assert victim.read_bytes() == b"secret"
    assert not (shared(hub) / "swapped" / "data.bin").exists()


def test_a_folder_swapped_for_a_link_before_the_finish_is_a_409_and_creates_nothing_outside(champ, hub, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    upload = started(champ, "moved-away/data.bin", 8)
    assert put(champ, upload, 0, b"1234").status_code == 200
    os.rename(shared(hub) / "moved-away", shared(hub) / "elsewhere")
    (shared(hub) / "moved-away").symlink_to(outside)
    try:
        answer = put(champ, upload, 4, b"5678")
        assert answer.status_code == 409, answer.text
        assert os.listdir(outside) == []
    finally:
        (shared(hub) / "moved-away").unlink()


# --- 4. a zip link decompressed whole ---------------------------------------------------------------------------


def service_peak_rss(hub) -> int:
    marker = f"--SharedDataService.shared_dir={shared(hub)}".encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
                if b"hubextras.services.shared_data" in command and marker in command:
                    status = Path(f"/proc/{entry}/status").read_text()
                    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])
            except (OSError, StopIteration):
                continue
    raise LookupError("the shared-data service of this hub is not running")


def test_a_zip_link_with_a_huge_target_is_refused_without_decompressing_it(champ, hub, file_server):
    base, folder = file_server
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr, info.compress_type = 0o120777 << 16, zipfile.ZIP_DEFLATED
        archive.writestr(info, b"\0" * 256 * MiB)
    (folder / "link-bomb.zip").write_bytes(buffer.getvalue())
    assert len(buffer.getvalue()) < 512 * 1024
    before = service_peak_rss(hub)
    job = champ.request("POST", "api/pulls", json={"kind": "url", "url": f"{base}/link-bomb.zip"}).json()
    failed = champ.wait_for_pull(job["id"])
    assert failed["state"] == "failed" and "has a target longer than 4096 bytes" in failed["error"], failed
    grown = (service_peak_rss(hub) - before) * 1024
    assert grown < 64 * MiB, f"the service's peak memory grew {grown / MiB:.0f} MiB"


# --- 6. git pulls held to an upload's rules and bounded while they run -------------------------------------------


def test_a_clone_bigger_than_the_free_space_is_stopped_while_it_runs(champ, hub, odd_repositories):
    job = champ.request("POST", "api/pulls", json={"kind": "git", "url": odd_repositories["big"]}).json()
    failed = champ.wait_for_pull(job["id"])
    assert failed["state"] == "failed" and "while it ran, and was stopped" in failed["error"], failed
    assert not (shared(hub) / "big").exists()


@pytest.mark.parametrize(("repository", "message"), [("not-utf8", "not valid UTF-8"), ("reserved", "reserved")])
def test_a_clone_with_names_the_store_refuses_is_not_placed_and_listings_stay_whole(
    champ, hub, odd_repositories, repository, message
):
    job = champ.request("POST", "api/pulls", json={"kind": "git", "url": odd_repositories[repository]}).json()
    failed = champ.wait_for_pull(job["id"])
    assert failed["state"] == "failed" and message in failed["error"], failed
    assert not (shared(hub) / repository).exists()
    assert champ.request("GET", "api/files/").status_code == 200


# --- 7. races with an upload in flight -----------------------------------------------------------------------------


def test_the_target_of_an_upload_in_flight_is_taken(champ, people, hub):
    champ.upload("race/other.txt", b"other", overwrite=True)
    upload = started(champ, "race/target.txt", 3)
    try:
        moved = people["carol"].request("PATCH", "api/files/race/other.txt", json={"path": "race/target.txt"})
        assert moved.status_code == 409 and "being uploaded right now" in moved.json()["message"]
        folder = people["carol"].request("POST", "api/folders", json={"path": "race/target.txt"})
        assert folder.status_code == 409 and "being uploaded right now" in folder.json()["message"]
        done = put(champ, upload, 0, b"new")
        assert done.status_code == 200 and done.json()["done"] is True
    finally:
        champ.request("DELETE", f"api/uploads/{upload['id']}")
    assert (shared(hub) / "race" / "target.txt").read_bytes() == b"new"
    assert (shared(hub) / "race" / "other.txt").read_bytes() == b"other"


def test_a_finish_never_replaces_what_appeared_meanwhile_and_the_upload_can_still_finish(champ, hub):
    upload = started(champ, "appeared.txt", 3)
    (shared(hub) / "appeared.txt").mkdir()  # made another way (~/shared-readwrite)
    answer = put(champ, upload, 0, b"new")
    assert answer.status_code == 409, answer.text
    assert "appeared while the upload was running" in answer.json()["message"]
    assert (shared(hub) / "appeared.txt").is_dir()
    (shared(hub) / "appeared.txt").rmdir()
    again = put(champ, upload, 3, b"")
    assert again.status_code == 200 and again.json()["done"] is True
    assert (shared(hub) / "appeared.txt").read_bytes() == b"new"


# --- 8. an admin's narrowed token ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scopes", [["access:services"], ["access:services!service=shared-data"]])
def test_an_admins_token_narrowed_to_access_may_not_write(hub, people, scopes):
    narrowed = ServiceClient(hub, hub.user_token("ada", scopes=scopes))
    assert narrowed.request("GET", "api/me").json() == {"name": "ada", "can_write": False}
    answer = narrowed.request("POST", "api/folders", json={"path": "from-a-narrow-token"})
    assert answer.status_code == 403 and "does not carry their permission" in answer.json()["message"]
    assert not (shared(hub) / "from-a-narrow-token").exists()


# --- 9. malformed bodies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("api/folders", b"[" * 10_000 + b"]" * 10_000, "nests lists or objects too deeply"),
        (
            "api/folders",
            b'{"path": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": {"l": {"m": '
            b'{"n": {"o": {"p": {"q": 1}}}}}}}}}}}}}}}}}}',
            "nests lists or objects too deeply",
        ),
        ("api/uploads", b'{"path": "a.bin", "size": ' + b"9" * 5000 + b"}", "at most 30 digits"),
        ("api/uploads", b'{"path": "a.bin", "size": "12"}', "size: Input should be a valid integer"),
        ("api/uploads", b'{"path": ["a.bin"], "size": 1}', "path: Input should be a valid string"),
        ("api/folders", b'{"path": null}', "path: Input should be a valid string"),
        ("api/folders", b'{"path": "x", "extra": 1}', "extra: Extra inputs are not permitted"),
        ("api/pulls", b'{"kind": "git", "url": {}}', "url: Input should be a valid string"),
        ("api/pulls", b'{"kind": "git", "url": "https://x.org/r.git", "replace": "yes"}', "replace: Input should be"),
        ("api/folders", b'{"path": NaN}', "not a JSON number"),
        ("api/folders", b"not json", "not valid JSON"),
    ],
)
def test_a_malformed_body_is_a_400_that_says_what_is_wrong(champ, hub, path, body, message):
    headers = {**champ.headers, "Content-Type": "application/json"}
    answer = requests.post(champ.base + path, data=body, headers=headers, timeout=60)
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["message"]


# --- 10. an anonymous client's body ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method_path", ["POST api/folders", "PUT api/uploads/anything?offset=0", "POST api/uploads"])
def test_an_anonymous_client_is_refused_before_its_body_is_read(hub, method_path):
    method, path = method_path.split(" ")
    where = urlsplit(hub.url)
    declared = 90 * MiB
    with socket.create_connection((where.hostname, where.port), timeout=10) as connection:
        connection.sendall(
            f"{method} {SERVICE}{path} HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared}\r\n\r\n".encode()
            + b"x" * 1024
        )
        started_at, answer = time.monotonic(), b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65536)  # times out (10 s) if the service waits for the declared body
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    assert time.monotonic() - started_at < 5


# --- 11. credentials in pull URLs ----------------------------------------------------------------------------------


def test_credentials_in_a_pull_url_are_shown_to_nobody(champ, people, hub, file_server):
    base, folder = file_server
    (folder / "private.txt").write_bytes(b"data")
    secret_url = base.replace("http://", "http://champ:s3cret-pass@") + "/private.txt?access_token=t0ken-value"
    job = champ.request("POST", "api/pulls", json={"kind": "url", "url": secret_url, "name": "private.txt"}).json()
    assert champ.wait_for_pull(job["id"])["state"] == "done"
    seen = [
        people["carol"].request("GET", "api/pulls").text,
        people["carol"].request("GET", f"api/pulls/{job['id']}").text,
        people["carol"].request("GET", f"api/pulls/{job['id']}/events").text,
        people["carol"].request("GET", "api/audit").text,
        *(path.read_text() for path in hub.workdir.rglob("audit.jsonl*")),
    ]
    assert len(seen) > 4, "the audit log file was found"
    for text in seen:
        assert "s3cret-pass" not in text and "t0ken-value" not in text
    assert "champ:***@" in seen[0] and "access_token=***" in seen[0]


# --- 13. someone else's upload -----------------------------------------------------------------------------------


def test_another_champion_can_neither_read_nor_cancel_an_upload(champ, people):
    upload = started(champ, "mine.bin", 4)
    carol = people["carol"]
    try:
        for method in ("GET", "DELETE"):
            answer = carol.request(method, f"api/uploads/{upload['id']}")
            assert answer.status_code == 403 and "belongs to champ" in answer.json()["message"]
        sent = carol.request("PUT", f"api/uploads/{upload['id']}?offset=0", data=b"evil")
        assert sent.status_code == 403
        assert champ.request("GET", f"api/uploads/{upload['id']}").json()["offset"] == 0
    finally:
        champ.request("DELETE", f"api/uploads/{upload['id']}")


def test_an_admin_may_cancel_anyones_upload(champ, people):
    upload = started(champ, "stuck.bin", 4)
    assert people["ada"].request("GET", f"api/uploads/{upload['id']}").json()["owner"] == "champ"
    assert people["ada"].request("DELETE", f"api/uploads/{upload['id']}").status_code == 204
