"""Request bodies: JSON parsed within bounds, then validated by a pydantic model. Pure: bytes in, a model out.

    class Rename(BodyModel):
        source: str = Field(max_length=4096)
        target: str = Field(max_length=4096)

    rename = parse_body(raw_bytes, Rename)      # raises BodyError("target: Field required") on a bad body

`BodyModel` forbids unknown keys and coerces nothing (`"1"` is not a number, `{}` is not a string), so a
mistake in a body is refused with a message that names it, never read as something else.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

MAX_DEPTH = 16  # deeper than any body of ours; stops a nesting bomb before the model sees it
MAX_NUMBER_DIGITS = 30  # a bigger number is no count, size or time of ours (and int() of 5,000 digits is slow)


class BodyError(ValueError):
    """A body the service cannot use; `str(error)` says what is wrong in words a person can act on."""


class BodyModel(BaseModel):
    """Base of every request body: unknown keys refused, no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Model = TypeVar("Model", bound=BaseModel)


def _bounded_number(text: str, convert):
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise BodyError(f"A number in the body has {len(text)} characters: numbers here have at most "
                        f"{MAX_NUMBER_DIGITS} digits.")
    return convert(text)


def _refuse_constant(name: str):
    raise BodyError(f"The body contains {name}, which is not a JSON number: send a number or null.")


def _depth(value: Any, limit: int) -> bool:
    """Whether `value` nests no deeper than `limit` (iterative: a deep value cannot overflow the stack)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return True


def parse_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH, max_values: int | None = None) -> Any:
    """`raw` as JSON, refusing what no body of ours holds: NaN/Infinity, huge numbers, deep nesting, and
    (with `max_values`) more values than the largest legal body has, counted before anything is parsed,
    so that a body of a million tiny values never becomes a million objects."""
    if max_values is not None:
        separators = raw.count(b"," if isinstance(raw, bytes) else ",")
        if separators + 1 > max_values:
            raise BodyError(f"The body holds about {separators + 1} values; this request takes at most {max_values}.")
    try:
        value = json.loads(
            raw or b"{}",
            parse_int=lambda s: _bounded_number(s, int),
            parse_float=lambda s: _bounded_number(s, float),
            parse_constant=_refuse_constant,
        )
    except RecursionError:
        raise BodyError(f"The body nests lists or objects too deeply: at most {max_depth} levels.") from None
    except UnicodeDecodeError:
        raise BodyError("The body is not UTF-8 text: send JSON encoded as UTF-8.") from None
    except json.JSONDecodeError as e:
        raise BodyError(f"The body is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}).") from None
    if not _depth(value, max_depth):
        raise BodyError(f"The body nests lists or objects too deeply: at most {max_depth} levels.")
    return value


def describe(error: ValidationError, limit: int = 3) -> str:
    """A pydantic error as one sentence: where in the body, and what is wrong there."""
    parts = []
    for problem in error.errors(include_url=False)[:limit]:
        where = ".".join(str(p) for p in problem["loc"])
        text = problem["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {text}" if where else text[:1].upper() + text[1:])
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "") + "."


def validate(data: Any, model: type[Model]) -> Model:
    """`data` (parsed JSON) as `model`, or BodyError saying what is wrong."""
    if not isinstance(data, dict):
        raise BodyError("The body must be a JSON object, such as {\"action\": \"stop\"}.")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise BodyError(describe(e)) from None


def parse_body(raw: bytes | str, model: type[Model], *, max_depth: int = MAX_DEPTH,
               max_values: int | None = None) -> Model:
    """Parse and validate in one step (what `JSONAPIHandler.body()` calls)."""
    return validate(parse_json(raw, max_depth=max_depth, max_values=max_values), model)
