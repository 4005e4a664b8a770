"""Request bodies: parsed within bounds, validated by a model, every mistake a readable BodyError."""

import json
from typing import Literal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import Field

from hubextras.services.base.bodies import MAX_DEPTH, MAX_NUMBER_DIGITS, BodyError, BodyModel, parse_body, parse_json


class Action(BodyModel):
    action: Literal["stop", "start"]
    names: list[str] = Field(default_factory=list, max_length=3)


def test_a_valid_body_becomes_the_model():
    assert parse_body(b'{"action": "stop", "names": ["ada"]}', Action) == Action(action="stop", names=["ada"])


@given(st.integers(min_value=1, max_value=MAX_DEPTH + 5))
@example(MAX_DEPTH)
@example(MAX_DEPTH + 1)
def test_nesting_deeper_than_the_limit_is_refused(depth):
    raw = "[" * depth + "]" * depth
    if depth <= MAX_DEPTH:
        assert parse_json(raw) is not None
    else:
        with pytest.raises(BodyError, match="too deeply"):
            parse_json(raw)


def test_a_nesting_bomb_is_a_body_error_not_a_crash():
    with pytest.raises(BodyError, match="too deeply"):
        parse_json("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("digits", [MAX_NUMBER_DIGITS + 1, 5000])
def test_huge_numbers_are_refused_with_their_size(digits):
    with pytest.raises(BodyError, match=f"{digits} characters"):
        parse_json('{"limit": ' + "9" * digits + "}")


def test_a_number_of_the_largest_allowed_size_is_read():
    assert parse_json("9" * MAX_NUMBER_DIGITS) == int("9" * MAX_NUMBER_DIGITS)


@pytest.mark.parametrize("raw", ["NaN", "[Infinity]", '{"x": -Infinity}'])
def test_non_json_constants_are_refused(raw):
    with pytest.raises(BodyError, match="not a JSON number"):
        parse_json(raw)


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b'{"a": 1,}'])
def test_malformed_json_says_so(raw):
    with pytest.raises(BodyError, match="not valid JSON|not UTF-8"):
        parse_json(raw)


@pytest.mark.parametrize("raw", [b"[]", b'"stop"', b"3"])
def test_a_body_that_is_no_object_is_refused(raw):
    with pytest.raises(BodyError, match="must be a JSON object"):
        parse_body(raw, Action)


def test_the_message_names_the_field_and_the_problem():
    with pytest.raises(BodyError) as refused:
        parse_body(json.dumps({"action": "delete"}), Action)
    assert str(refused.value).startswith("action: Input should be 'stop' or 'start'")


def test_values_are_not_coerced():
    with pytest.raises(BodyError, match="names.0: Input should be a valid string"):
        parse_body(json.dumps({"action": "stop", "names": [{}]}), Action)


def test_unknown_keys_are_refused():
    with pytest.raises(BodyError, match="extra: Extra inputs are not permitted"):
        parse_body(json.dumps({"action": "stop", "extra": 1}), Action)


def test_an_empty_body_is_the_empty_object():
    with pytest.raises(BodyError, match="action: Field required"):
        parse_body(b"", Action)


@example(10)
@example(11)
@given(st.integers(min_value=1, max_value=30))
def test_a_body_with_more_values_than_allowed_is_refused_before_parsing(count):
    raw = "[" + ",".join(["1"] * count) + "]"
    if count <= 10:
        assert parse_json(raw, max_values=10) == [1] * count
    else:
        with pytest.raises(BodyError, match="at most 10"):
            parse_json(raw, max_values=10)
