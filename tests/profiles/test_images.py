"""Custom image references: well formed, with a tag or digest, from an allowed registry."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.profiles.images import ImageReferenceError, check_image, parse_image_reference

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    "value, registry, path",
    [
        ("jupyter/base-notebook:latest", "docker.io", "jupyter/base-notebook"),
        ("ubuntu:24.04", "docker.io", "ubuntu"),
        ("quay.io/jupyter/scipy-notebook:2024-05-27", "quay.io", "jupyter/scipy-notebook"),
        ("localhost:5000/team/img:v1", "localhost:5000", "team/img"),
        (f"ghcr.io/org/img@{DIGEST}", "ghcr.io", "org/img"),
        (f"ghcr.io/org/img:1.2@{DIGEST}", "ghcr.io", "org/img"),
        ("Registry.Example.org/a/b:c", "registry.example.org", "a/b"),
    ],
)
def test_well_formed_references_parse_to_registry_and_path(value, registry, path):
    ref = parse_image_reference(value)
    assert (ref.registry, ref.path) == (registry, path)


@pytest.mark.parametrize(
    "value",
    ["", "UPPER/case:1", "with space:1", "quay.io/x/y", "x:", ":tag", "a//b:1", "quay.io/x/y:tag with space",
     "quay.io/x/y@sha256:short", "-lead/x:1", "x:1\n", "quay.io/x/y:1;rm -rf /"],
)
def test_malformed_references_are_refused_saying_the_expected_form(value):
    with pytest.raises(ImageReferenceError, match="registry/name:tag"):
        parse_image_reference(value)


def test_allowlist_compares_registries_case_insensitively():
    assert check_image("Quay.IO/x/y:1", ["QUAY.io"]).registry == "quay.io"


def test_docker_hub_short_names_count_as_docker_io_for_the_allowlist():
    with pytest.raises(ImageReferenceError, match="'docker.io' are not allowed"):
        check_image("jupyter/base:1", ["quay.io"])


@given(st.text(max_size=80))
def test_any_text_is_either_a_reference_or_a_clear_refusal(value):
    try:
        ref = parse_image_reference(value)
    except ImageReferenceError as e:
        assert "expected" in str(e)
    else:
        assert ref.tag or ref.digest
        assert " " not in value and "\n" not in value


@pytest.mark.parametrize("value", ["quay.io/x/y:täg", "quay.io/x/y:v１２", "quay.io/x/y:ǅ", "quay.io/x/y:٣"])
def test_tags_with_letters_or_digits_outside_ascii_are_refused(value):
    with pytest.raises(ImageReferenceError, match="registry/name:tag"):
        parse_image_reference(value)


@example("quay.io/x/y:a" + "b" * 127)
@example("quay.io/x/y:_1.2-3")
@given(st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFFF), min_size=1, max_size=20).map(
    lambda tag: f"quay.io/x/y:{tag}"))
def test_an_accepted_tag_is_only_ascii_letters_digits_and_separators(value):
    try:
        ref = parse_image_reference(value)
    except ImageReferenceError:
        return
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", ref.tag), ref.tag
