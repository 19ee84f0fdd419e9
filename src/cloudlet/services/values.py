"""Reading typed values out of merged request parameters (strings, lists, JSON natives).

The web layer normalises every encoding the SDKs send into a plain mapping; these helpers
read one parameter from it and raise BadRequestError naming the parameter when it is bad.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from cloudlet.errors import BadRequestError

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def as_str(params: Mapping[str, Any], name: str, default: str | None = None) -> str | None:
    """A parameter as text: lists comma-joined, booleans "true"/"false"; "" counts as absent."""
    value = params.get(name)
    if value is None or value == "" or value == []:
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def as_bool(params: Mapping[str, Any], name: str, default: bool = False) -> bool:
    """A boolean sent as true/false, 1/0, yes/no (any case) or a JSON boolean."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text == "":
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadRequestError(f"Invalid value for parameter {name}: {value!r} (expected true/false)")


def as_int(
    params: Mapping[str, Any],
    name: str,
    default: int | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """An integer parameter, checked against the bounds given."""
    value = params.get(name)
    if value is None or value == "":
        return default
    number = whole_number(value)
    if number is None:
        raise BadRequestError(f"Invalid value for parameter {name}: {value!r}")
    if minimum is not None and number < minimum:
        raise BadRequestError(f"Parameter {name} must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise BadRequestError(f"Parameter {name} must be at most {maximum}")
    return number


def whole_number(value: Any) -> int | None:
    """An int from an int, a whole float or a string of ASCII digits with an optional sign;
    None otherwise (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    digits = text[1:] if text[:1] in "+-" else text
    return int(text) if digits.isdigit() and digits.isascii() else None


def _text(value: Any) -> str:
    """A list item as text: JSON booleans as true/false, like as_str."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_list(params: Mapping[str, Any], name: str, *, split_commas: bool = False) -> list[str]:
    """A list parameter: a real list, a JSON array string, or one string (comma-split if asked)."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [_text(v) for v in value if v is not None and v != ""]
    text = str(value)
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except (json.JSONDecodeError, RecursionError):  # not a JSON list: the text itself
            loaded = None
        if isinstance(loaded, list):
            return [_text(v) for v in loaded if v is not None and v != ""]
    if split_commas:
        return [part.strip() for part in text.split(",") if part.strip()]
    return [text]


def as_json(params: Mapping[str, Any], name: str) -> Any:
    """A JSON-native value as it is, or a string parsed as JSON; "" is absent (None)."""
    value = params.get(name)
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        raise BadRequestError(f"Invalid JSON in parameter {name}: {exc}") from None
    except RecursionError:  # nested deeper than the parser's stack: was a 500
        raise BadRequestError(f"Invalid JSON in parameter {name}: nested too deeply") from None


def as_date(text: str, name: str) -> date:
    """A calendar date as the SDKs put it in paths: ``dd-MM-yyyy`` (``/usage/26-11-2025``, what
    the Node and Python SDKs send), ISO ``yyyy-MM-dd``, or a JavaScript ``Date.toString()``
    (the Node SDK puts a ``Date`` given as ``date`` into the path as it is)."""
    for pattern, part in (("%d-%m-%Y", text), ("%Y-%m-%d", text), ("%a %b %d %Y", text[:15])):
        try:
            return datetime.strptime(part, pattern).date()
        except ValueError:
            continue
    raise BadRequestError(f"Invalid value for parameter {name}: {text!r} (expected dd-MM-yyyy)")
