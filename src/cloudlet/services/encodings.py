"""Parsing the value encodings the SDKs use for upload parameters (protocol.md §1.2)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from cloudlet.errors import BadRequestError

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_UNESCAPED_EQUALS = re.compile(r"(?<!\\)=")


def _unescape(text: str) -> str:
    """Undo the SDKs' escaping of context values: only ``\\=`` and ``\\|`` are escapes."""
    return text.replace("\\=", "=").replace("\\|", "|")


def parse_context(value: Any) -> dict[str, str]:
    """``k=v|k2=v2`` (with ``\\=`` and ``\\|`` escapes), a JSON object, or a dict → dict."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k): _context_value(v) for k, v in value.items()}
    if not isinstance(value, str):
        raise BadRequestError("Invalid context: expected 'key=value|key2=value2'")
    if value.lstrip().startswith("{"):
        try:
            loaded = json.loads(value)
        except json.JSONDecodeError as exc:
            raise BadRequestError(f"Invalid context JSON: {exc.msg}") from exc
        except RecursionError:  # nested deeper than the parser's stack: was a 500
            raise BadRequestError("Invalid context JSON: nested too deeply") from None
        if not isinstance(loaded, dict):
            raise BadRequestError("Invalid context JSON: expected an object")
        return parse_context(loaded)
    result: dict[str, str] = {}
    for item in _UNESCAPED_PIPE.split(value):
        if not item:
            continue
        parts = _UNESCAPED_EQUALS.split(item, maxsplit=1)
        key = _unescape(parts[0])
        if not key:
            raise BadRequestError(f"Invalid context entry {item!r}: empty key")
        result[key] = _unescape(parts[1]) if len(parts) > 1 else ""
    return result


def _context_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def parse_tags(value: Any) -> list[str]:
    """Tags as a comma string or a list → cleaned, de-duplicated list (order kept)."""
    if value is None or value == "":
        return []
    items: Iterable[Any] = value if isinstance(value, list) else str(value).split(",")
    seen: dict[str, None] = {}
    for item in items:
        tag = str(item).strip()
        if not tag:
            continue
        if len(tag) > 255:
            raise BadRequestError(f"Tag {tag[:20]!r}... is longer than 255 characters")
        seen.setdefault(tag, None)
    if len(seen) > 1000:
        raise BadRequestError("An asset can have at most 1000 tags")
    return list(seen)


def parse_coordinates(value: Any, name: str) -> list[list[int]]:
    """``x,y,w,h|x,y,w,h`` or a list of 4-lists → list of [x, y, w, h]."""
    if value is None or value == "" or value == []:
        return []
    boxes: list[Any]
    if isinstance(value, list):
        boxes = value if value and isinstance(value[0], list) else [value]
    else:
        boxes = [box.split(",") for box in str(value).split("|") if box.strip()]
    result: list[list[int]] = []
    for box in boxes:
        try:
            numbers = [int(float(str(n).strip())) for n in box]
        except (ValueError, OverflowError) as exc:
            raise BadRequestError(f"Invalid {name}: {value!r}") from exc
        if len(numbers) != 4 or any(n < 0 for n in numbers):
            raise BadRequestError(f"Invalid {name}: each box needs 4 non-negative numbers")
        result.append(numbers)
    return result


ALLOWED_DELIVERY_HEADERS = {"link": "Link", "x-robots-tag": "X-Robots-Tag"}


def parse_headers(value: Any) -> dict[str, str]:
    """``Name: value\\nName2: value``, a list of lines, or a dict → {Name: value}.

    Only the headers Cloudinary allows on delivery (Link, X-Robots-Tag) are accepted."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    else:
        lines = value if isinstance(value, list) else str(value).splitlines()
        pairs = []
        for line in lines:
            if not str(line).strip():
                continue
            name, sep, val = str(line).partition(":")
            if not sep:
                raise BadRequestError(f"Invalid header line {line!r}: expected 'Name: value'")
            pairs.append((name.strip(), val.strip()))
    result: dict[str, str] = {}
    for name, val in pairs:
        canonical = ALLOWED_DELIVERY_HEADERS.get(name.lower())
        if canonical is None:
            raise BadRequestError(
                f"Header {name!r} is not allowed; allowed headers: Link, X-Robots-Tag"
            )
        if "\r" in val or "\n" in val:
            raise BadRequestError(f"Invalid value for header {name!r}")
        result[canonical] = val
    return result
