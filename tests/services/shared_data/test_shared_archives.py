"""Unpacking refuses path traversal, links pointing out and archive bombs, and leaves nothing behind then."""

import io
import os
import tarfile
import tracemalloc
import zipfile

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hubextras.services.shared_data.archives import ArchiveLimits, unpack
from hubextras.services.shared_data.errors import UnsafeArchive

LIMITS = ArchiveLimits(max_bytes=10_000_000, max_ratio=50, max_members=100)


def make_zip(path, files):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def make_tar(path, entries):
    """`entries`: name -> bytes (a file) or ("symlink"|"hardlink", target)."""
    with tarfile.open(path, "w:gz") as archive:
        for name, value in entries.items():
            info = tarfile.TarInfo(name)
            if isinstance(value, tuple):
                info.type = tarfile.SYMTYPE if value[0] == "symlink" else tarfile.LNKTYPE
                info.linkname = value[1]
                archive.addfile(info)
            else:
                info.size = len(value)
                archive.addfile(info, io.BytesIO(value))
    return path


@pytest.fixture
def destination(tmp_path):
    folder = tmp_path / "unpacked"
    folder.mkdir()
    return folder


def test_a_good_zip_unpacks_with_its_folders(tmp_path, destination):
    archive = make_zip(tmp_path / "course.zip", {"week-1/intro.ipynb": b"{}", "data/a.csv": b"x,y\n1,2\n"})
    written = unpack(archive, destination, LIMITS)
    assert (destination / "data" / "a.csv").read_bytes() == b"x,y\n1,2\n"
    assert written == 2 + 8


def test_a_good_tar_gz_unpacks_with_links_inside(tmp_path, destination):
    archive = make_tar(tmp_path / "course.tar.gz", {"data/a.csv": b"1,2\n", "latest.csv": ("symlink", "data/a.csv")})
    unpack(archive, destination, LIMITS)
    assert (destination / "latest.csv").read_bytes() == b"1,2\n"


@pytest.mark.parametrize("name", ["../escaped.txt", "ok/../../escaped.txt", "/etc/escaped.txt"])
def test_zip_entries_leaving_the_folder_are_refused(tmp_path, destination, name):
    archive = make_zip(tmp_path / "evil.zip", {"fine.txt": b"1", name: b"gotcha"})
    with pytest.raises(UnsafeArchive, match="is not a safe path.*Nothing was unpacked"):
        unpack(archive, destination, LIMITS)
    assert list(destination.iterdir()) == []
    assert not (tmp_path / "escaped.txt").exists()


@pytest.mark.parametrize("target", ["../../outside", "/etc/passwd", "sub/../../outside"])
def test_tar_symlinks_pointing_out_are_refused(tmp_path, destination, target):
    archive = make_tar(tmp_path / "evil.tar.gz", {"link": ("symlink", target)})
    with pytest.raises(UnsafeArchive, match="links may only point down into their own folder"):
        unpack(archive, destination, LIMITS)
    assert list(destination.iterdir()) == []


def test_a_hard_link_to_a_file_outside_the_archive_is_refused(tmp_path, destination):
    archive = make_tar(tmp_path / "evil.tar.gz", {"passwd": ("hardlink", "/etc/passwd")})
    with pytest.raises(UnsafeArchive, match="hard link"):
        unpack(archive, destination, LIMITS)


def test_writing_through_a_link_unpacked_earlier_is_refused(tmp_path, destination):
    # "d" points at another folder, so "d/e" would land somewhere other than its name says
    archive = make_tar(tmp_path / "evil.tar.gz", {"sub/keep": b"1", "d": ("symlink", "sub"), "d/e": b"x"})
    with pytest.raises(UnsafeArchive, match="written through a link"):
        unpack(archive, destination, LIMITS)


def test_a_decompression_bomb_is_refused_by_its_ratio(tmp_path, destination):
    archive = make_zip(tmp_path / "bomb.zip", {"zeros.bin": b"\0" * 5_000_000})
    with pytest.raises(UnsafeArchive, match="decompression bomb"):
        unpack(archive, destination, LIMITS)
    assert list(destination.iterdir()) == []


def test_an_archive_unpacking_past_the_size_limit_is_refused(tmp_path, destination):
    archive = make_zip(tmp_path / "big.zip", {"random.bin": bytes(range(256)) * 200})
    with pytest.raises(UnsafeArchive, match="more than the 10.0 KiB allowed"):
        unpack(archive, destination, ArchiveLimits(max_bytes=10 * 1024, max_ratio=1000, max_members=10))


def test_too_many_entries_are_refused(tmp_path, destination):
    archive = make_zip(tmp_path / "many.zip", {f"f{i}": b"" for i in range(11)})
    with pytest.raises(UnsafeArchive, match="11 entries, more than the 10 allowed"):
        unpack(archive, destination, ArchiveLimits(max_members=10))


def test_a_zip_lying_about_its_sizes_is_stopped_while_unpacking(tmp_path, destination):
    archive = make_zip(tmp_path / "liar.zip", {"data.bin": b"abc" * 1000})
    raw = bytearray(archive.read_bytes())
    # shrink the declared uncompressed size (local header and central directory) to 10 bytes
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.index(signature) + offset
        raw[at : at + 4] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    with pytest.raises(UnsafeArchive):
        unpack(archive, destination, LIMITS)


def test_a_damaged_archive_is_refused_with_its_name(tmp_path, destination):
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(b"this is not gzip")
    with pytest.raises(UnsafeArchive, match="`broken.tar.gz` is damaged"):
        unpack(archive, destination, LIMITS)


# --- links judged by where they really lead (issue 15, hole 1) -------------------------------------

DEEP = "/".join(f"d{i}" for i in range(40))
# each link looks inside when its own target is read alone; chained, they lead to `/` of the machine
CHAINED_LINKS = {
    f"{DEEP}/L": ("symlink", "../../.."),
    "M": ("symlink", f"{DEEP}/L/../../../../../../../../../../../../../../../../../../../../../../../../../../../.."),
    "environ": ("symlink", "M/proc/self/environ"),
    "copied-environ": ("hardlink", "environ"),
}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({f"{DEEP}/keep": b"1", f"{DEEP}/L": CHAINED_LINKS[f"{DEEP}/L"]}, "may only point down"),
        ({"L": ("symlink", "data"), "M": ("symlink", "L/../..")}, "may only point down"),
        ({"data/f": b"1", "L": ("symlink", "data/f"), "H": ("hardlink", "L")}, "hard links to links are refused"),
        ({"data/f": b"1", "H": ("hardlink", "data")}, "not an earlier regular file"),
        ({"H": ("hardlink", "later"), "later": b"1"}, "not an earlier regular file"),
        ({"L": ("symlink", "data"), "L/f": b"1"}, "written through a link"),
        ({"L": ("symlink", "/etc"), "H": ("hardlink", "L/passwd")}, "may only point down"),
        ({"f": b"1", "f/g": b"2"}, "written through a link or file"),
        ({"f": b"1", "f/": b"2"}, "twice"),
    ],
)
def test_links_that_could_lead_out_or_be_copied_through_are_refused(tmp_path, destination, entries, message):
    archive = make_tar(tmp_path / "evil.tar.gz", entries)
    with pytest.raises(UnsafeArchive, match=message):
        unpack(archive, destination, LIMITS)
    assert list(destination.iterdir()) == []


def test_the_chained_link_attack_copies_nothing_from_outside(tmp_path, destination):
    archive = make_tar(tmp_path / "chain.tar.gz", {f"{DEEP}/keep": b"1", **CHAINED_LINKS})
    with pytest.raises(UnsafeArchive, match="links may only point down"):
        unpack(archive, destination, LIMITS)
    assert [p for p in destination.rglob("*") if p.is_symlink() or p.name == "copied-environ"] == []


def test_a_hard_link_to_an_earlier_file_is_unpacked_as_a_copy(tmp_path, destination):
    archive = make_tar(tmp_path / "copies.tar.gz", {"data/a.csv": b"1,2\n", "again.csv": ("hardlink", "data/a.csv")})
    unpack(archive, destination, LIMITS)
    assert (destination / "again.csv").read_bytes() == b"1,2\n"
    assert (destination / "again.csv").stat().st_ino != (destination / "data" / "a.csv").stat().st_ino


def zip_with_link(path, name, target: bytes):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o120777) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, target)
    return path


def test_a_zip_link_with_a_huge_target_is_refused_without_decompressing_it(tmp_path, destination):
    archive = zip_with_link(tmp_path / "link-bomb.zip", "link", b"\0" * 64 * 1024 * 1024)
    assert archive.stat().st_size < 128 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(UnsafeArchive, match="has a target longer than 4096 bytes"):
            unpack(archive, destination, ArchiveLimits(max_bytes=10**12, max_ratio=10**6))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"unpacking held {peak} bytes: the link was decompressed whole"


def test_a_zip_link_whose_declared_size_lies_is_read_no_further_than_a_link_may_be(tmp_path, destination):
    archive = zip_with_link(tmp_path / "liar.zip", "link", b"a/" * 8 * 1024 * 1024)
    raw = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.index(signature) + offset
        raw[at : at + 4] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    with pytest.raises(UnsafeArchive):
        unpack(archive, destination, ArchiveLimits(max_bytes=10**12, max_ratio=10**6))
    assert list(destination.iterdir()) == []


def test_a_zip_link_pointing_down_is_unpacked_as_a_link(tmp_path, destination):
    archive = tmp_path / "ok.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("data/a.csv", b"1")
        info = zipfile.ZipInfo("latest.csv")
        info.external_attr = (0o120777) << 16
        out.writestr(info, b"data/a.csv")
    unpack(archive, destination, LIMITS)
    assert os.readlink(destination / "latest.csv") == "data/a.csv"


NAMES = st.sampled_from(["a", "b", "c"])
STEPS = st.lists(NAMES, min_size=1, max_size=3).map("/".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.lists(STEPS, max_size=4),
    links=st.lists(
        st.tuples(STEPS, st.lists(st.sampled_from(["a", "b", "c", "..", "."]), min_size=1, max_size=4)), max_size=4
    ),
)
@example(files=["a/b/c"], links=[("a/b/L", ["..", ".."]), ("M", ["a", "b", "L", ".."])])
def test_every_link_an_archive_may_leave_resolves_inside_wherever_it_is_moved(tmp_path_factory, files, links):
    work = tmp_path_factory.mktemp("links")
    destination = work / "shared" / "unpacked"
    destination.mkdir(parents=True)
    entries = {name: b"x" for name in files} | {name: ("symlink", "/".join(target)) for name, target in links}
    try:
        unpack(make_tar(work / "links.tar.gz", entries), destination, LIMITS)
    except UnsafeArchive:
        return  # refused as a whole (the caller removes the staging area)
    root = os.path.realpath(work / "shared")
    for link in [p for p in destination.rglob("*") if p.is_symlink()]:
        assert os.path.realpath(link).startswith(destination.as_posix()), f"{link} -> {os.readlink(link)}"
        moved = work / "shared" / f"moved-{link.name}"  # one folder above where it was unpacked
        os.rename(link, moved)
        assert os.path.realpath(moved) == root or os.path.realpath(moved).startswith(root + "/")
        os.rename(moved, link)


def test_a_tar_bomb_is_refused_while_its_entries_are_read(tmp_path, destination):
    archive = make_tar(tmp_path / "bomb.tar.gz", {f"zeros-{n}.bin": b"\0" * 2_000_000 for n in range(5)})
    with pytest.raises(UnsafeArchive, match="its entries declare more than"):
        unpack(archive, destination, LIMITS)
    assert list(destination.iterdir()) == []
