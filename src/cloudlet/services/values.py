"""Reading typed values out of merged request parameters (strings, lists, JSON natives).

The web layer normalises every encoding the SDKs send into a plain mapping; these helpers
read one parameter from it and raise BadRequestError naming the parameter when it is bad.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cloudlet.errors import BadRequestError

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}


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
    """A boolean sent as true/false, 1/0 or "true"/"false" (any case)."""
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False if text else default
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
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError as exc:
        raise BadRequestError(f"Invalid value for parameter {name}: {value!r}") from exc
    if minimum is not None and number < minimum:
        raise BadRequestError(f"Parameter {name} must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise BadRequestError(f"Parameter {name} must be at most {maximum}")
    return number


def as_list(params: Mapping[str, Any], name: str, *, split_commas: bool = False) -> list[str]:
    """A list parameter: a real list, a JSON array string, or one string (comma-split if asked)."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and v != ""]
    text = str(value)
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            loaded = None
        if isinstance(loaded, list):
            return [str(v) for v in loaded if v is not None and v != ""]
    if split_commas:
        return [part.strip() for part in text.split(",") if part.strip()]
    return [text]
