"""Request validation errors in words a developer can act on: which field, what is wrong, what to send."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# What each field of the request body takes, for the "is required" and wrong-type answers.
FIELD_HINTS: Mapping[str, str] = {
    "subreddits": 'a list of subreddit names, like ["smallbusiness", "freelance"]',
    "timeRange": 'an object with "start" and "end" dates, like {"start": "2026-01-01T00:00:00Z", "end": '
    '"2026-01-31T00:00:00Z"}',
    "timeRange.start": 'a date and time in ISO 8601, like "2026-01-01T00:00:00Z"',
    "timeRange.end": 'a date and time in ISO 8601, like "2026-01-31T00:00:00Z"',
    "maxCost": "the budget in USD as a number, like 1.5 (0 for a free, local-only analysis)",
    "keywords": 'a list of words or phrases, like ["invoicing", "late payments"]',
    "notificationPreferences": 'an object like {"email": false, "push": true}',
    "notificationPreferences.costThreshold": "an amount in USD as a number, like 0.5",
}
_NUMBER_TYPES = {"decimal_parsing", "decimal_type", "float_parsing", "float_type", "int_parsing", "int_type"}
_DATE_TYPES = {"datetime_parsing", "datetime_from_date_parsing", "datetime_type", "date_from_datetime_parsing"}
_LOCATIONS = ("body", "query", "path", "header")


def field_name(loc: Sequence[Any]) -> str:
    """``("body", "timeRange", "start")`` → ``"timeRange.start"``; list indexes read ``subreddits[1]``."""
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:] or parts
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += ("." if name else "") + str(part)
    return name


def _position(body: Any, offset: int) -> str:
    """Line and column of a character offset in the raw body, as an editor shows them."""
    if not isinstance(body, str | bytes):
        return f"at character {offset + 1}"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return f"at line {line}, column {column}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe(error: Mapping[str, Any], body: Any = None) -> tuple[str, str]:
    """(field, message) for one pydantic error, the message naming the field and what it takes."""
    kind = str(error.get("type", ""))
    loc = list(error.get("loc", ()))
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        offset = loc[-1] if loc and isinstance(loc[-1], int) else 0
        reason = str(ctx.get("error", "it cannot be parsed"))
        return "body", f"The request body is not valid JSON: {reason} {_position(body, offset)}."
    field = field_name(loc)
    hint = FIELD_HINTS.get(field)
    given = error.get("input")
    if kind in ("model_attributes_type", "dict_type", "model_type") and field in ("body", ""):
        return "body", "The request body must be a JSON object with subreddits, timeRange and maxCost."
    if kind == "missing":
        return field, f"{field} is required: send {hint}." if hint else f"{field} is required."
    if kind in _NUMBER_TYPES:
        return field, f"{field} must be a number{', ' + hint if hint else ''}; got {_shown(given)}."
    if kind in _DATE_TYPES:
        return field, f'{field} must be a date and time in ISO 8601, like "2026-01-31T00:00:00Z"; got {_shown(given)}.'
    if kind in ("list_type", "string_type", "bool_type", "bool_parsing", "dict_type", "model_attributes_type"):
        wanted = hint or kind.removesuffix("_type").removesuffix("_parsing").replace("model_attributes", "object")
        return field, f"{field} must be {wanted}; got {_shown(given)}."
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "value_error":
        # Our validators already say what to change, in a sentence naming the thing.
        return field, message
    return field, f"{field}: {message}."
