"""Every path resolves inside the shared folder, or is refused with a message a person can act on."""

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubextras.services.shared_data.errors import UnsafePath
from hubextras.services.shared_data.paths import relative_parts, resolve_inside


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../etc/passwd", "may not contain `.` or `..` steps"),
        ("course/../../etc", "may not contain `.` or `..` steps"),
        ("/etc/passwd", "Absolute paths are not allowed"),
        ("C:\\Windows", "Absolute paths are not allowed"),
        ("data\x00.csv", "NUL byte"),
        ("CON", "reserved name"),
        ("lpt1.txt", "reserved name"),
        ("notes.", "reserved name"),
        (".hubextras-upload-abc", "reserved for uploads in progress"),
        ("a\\b", "backslash"),
        ("tab\there", "control characters"),
        ("x" * 256, "longer than 255 bytes"),
        ("/".join(["d" * 200] * 21), "longer than 4096 bytes"),
        (b"caf\xe9.csv", "not valid UTF-8"),
        ("caf\udce9.csv", "not valid UTF-8"),
    ],
)
def test_unsafe_paths_are_refused_with_a_reason(path, message):
    with pytest.raises(UnsafePath, match=message.replace(".", r"\.").replace("`", "`")):
        relative_parts(path)


def test_the_shared_folder_itself_is_the_empty_path():
    assert relative_parts("") == ()
    assert relative_parts("/") == ()


def test_nested_paths_keep_their_steps_and_drop_trailing_slashes():
    assert relative_parts("course/week 1/données.csv/") == ("course", "week 1", "données.csv")


def test_a_symbolic_link_pointing_out_is_refused(tmp_path):
    root, outside = tmp_path / "shared", tmp_path / "private"
    root.mkdir()
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    with pytest.raises(UnsafePath, match="leads outside the shared folder"):
        resolve_inside(root, "escape/secret.txt")
    with pytest.raises(UnsafePath, match="leads outside the shared folder"):
        resolve_inside(root, "escape")


def test_a_symbolic_link_inside_is_kept_as_the_link(tmp_path):
    root = tmp_path / "shared"
    (root / "real").mkdir(parents=True)
    (root / "alias").symlink_to(root / "real")
    assert resolve_inside(root, "alias") == root.resolve() / "alias"
    assert resolve_inside(root, "alias/file") == root.resolve() / "real" / "file"


SEGMENTS = st.sampled_from(["..", ".", "", "a", "b", "c d", "/", "x" * 10, "é", "\x00", ".hubextras-x", "CON"])


@given(st.lists(SEGMENTS, max_size=8).map("/".join))
def test_whatever_is_accepted_resolves_inside_the_root(path):
    root = os.path.realpath("/tmp/hubextras-hypothesis-root")
    try:
        resolved = resolve_inside(root, path)
    except UnsafePath as refusal:
        assert str(refusal)  # a refusal always says why
        return
    assert os.path.commonpath([root, str(resolved)]) == root
    assert ".." not in resolved.parts
