"""Unpacking refuses path traversal, links pointing out and archive bombs, and leaves nothing behind then."""

import io
import tarfile
import zipfile

import pytest

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
    with pytest.raises(UnsafeArchive, match="outside the folder it unpacks into"):
        unpack(archive, destination, LIMITS)
    assert list(destination.iterdir()) == []


def test_a_hard_link_to_a_file_outside_the_archive_is_refused(tmp_path, destination):
    archive = make_tar(tmp_path / "evil.tar.gz", {"passwd": ("hardlink", "/etc/passwd")})
    with pytest.raises(UnsafeArchive, match="hard link"):
        unpack(archive, destination, LIMITS)


def test_writing_through_a_link_unpacked_earlier_is_refused(tmp_path, destination):
    # "d" points at the folder itself, so "d/e" would land somewhere other than its name says
    archive = make_tar(tmp_path / "evil.tar.gz", {"d": ("symlink", "."), "d/e": b"x"})
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
