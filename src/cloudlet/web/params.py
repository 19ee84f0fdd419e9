"""Request parameters, merged the way every Cloudinary SDK may send them (protocol §1.2).

The query string is merged with the body for every method, DELETE included. The body may be
``multipart/form-data`` (pycloudinary's Upload API), ``application/x-www-form-urlencoded``
(Node's Admin API, the Go SDK) or ``application/json`` (pycloudinary ≥ 1.42.2 Admin API). Array
parameters arrive as ``k[]`` (repeated), ``k[N]``, repeated ``k``, JSON arrays or comma
strings; :class:`Params` answers with one normalised view and keeps the fields exactly as
received for signature verification.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from cloudlet.errors import BadRequestError
from cloudlet.services import values

__all__ = ["MAX_FIELDS", "MAX_FILES", "MAX_TEXT_PART_BYTES", "Params", "read_params"]

MAX_FIELDS = 10_000
MAX_FILES = 1_000
MAX_TEXT_PART_BYTES = 10 * 1024 * 1024
"""Largest text field accepted: ``file`` may be a data URI of a whole image."""

_ARRAY_KEY_RE = re.compile(r"^(?P<base>.+?)\[(?P<index>\d*)\]$")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _split_key(key: str) -> tuple[str, int | None, bool]:
    """``"k[3]"`` → ``("k", 3, True)``; ``"k[]"`` → ``("k", None, True)``; ``"k"`` → not array."""
    match = _ARRAY_KEY_RE.match(key)
    if match is None:
        return key, None, False
    index = match.group("index")
    return match.group("base"), int(index) if index else None, True


def _field_text(value: Any) -> str:
    """A JSON scalar as pycloudinary's ``cleanup_params`` would have sent it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _collapse(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Group form pairs by base name: arrays (``k[]``, ``k[N]``, repeated ``k``) become lists.

    Indexed entries are ordered by their index, before any ``k[]`` entries; a single plain
    ``k`` stays a string.
    """
    grouped: dict[str, list[tuple[int | None, bool, str]]] = {}
    for key, value in pairs:
        base, index, is_array = _split_key(key)
        grouped.setdefault(base, []).append((index, is_array, value))
    collapsed: dict[str, str | list[str]] = {}
    for base, entries in grouped.items():
        if len(entries) == 1 and not entries[0][1]:
            collapsed[base] = entries[0][2]
            continue
        indexed = sorted((index, value) for index, _, value in entries if index is not None)
        rest = [value for index, _, value in entries if index is None]
        collapsed[base] = [value for _, value in indexed] + rest
    return collapsed


@dataclass
class Params:
    """All parameters of one request: query string and body, merged.

    ``fields`` holds every non-file field exactly as received (query first, then body), under
    its original name; JSON bodies are flattened into it as pycloudinary would have encoded them.
    ``values`` is keyed by base name (``k[]`` → ``k``) and holds strings, lists of strings or,
    from JSON bodies, JSON-native values; the body wins over the query for the same name.
    ``files`` holds the uploaded file parts by base name.
    """

    fields: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, UploadFile] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Whether ``name`` was sent as a file or as a value other than ``""``."""
        return name in self.files or self.values.get(name, "") != ""

    def get_str(self, name: str, default: str | None = None) -> str | None:
        """The value as text (lists comma-joined, booleans ``true``/``false``); ``""`` is absent."""
        return values.as_str(self.values, name, default)

    def get_bool(self, name: str, default: bool = False) -> bool:
        """The value as a boolean: ``true``/``false``/``1``/``0`` in any form (else 400)."""
        return values.as_bool(self.values, name, default)

    def get_int(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        """The value as an integer, checked against ``minimum``/``maximum`` (else 400)."""
        return values.as_int(self.values, name, default, minimum=minimum, maximum=maximum)

    def get_list(self, name: str, *, split_commas: bool = False) -> list[str]:
        """The value as a list of strings (``k[]``, JSON arrays, comma strings if asked)."""
        return values.as_list(self.values, name, split_commas=split_commas)

    def get_json(self, name: str) -> Any:
        """The value as JSON: JSON-native values as they are, strings parsed (bad JSON → 400)."""
        return values.as_json(self.values, name)

    def signable(self) -> dict[str, str | list[str]]:
        """The fields for signature verification: ``k[]``/``k[N]`` collapsed into lists.

        A plain name sent more than once keeps its last value (the body over the query).
        """
        arrays: list[tuple[str, str]] = []
        plain: dict[str, str] = {}
        for key, value in self.fields:
            if _split_key(key)[2]:
                arrays.append((key, value))
            else:
                plain[key] = value
        signable: dict[str, str | list[str]] = dict(plain)
        signable.update(_collapse(arrays))
        return signable


def _flatten_json(body: dict[str, Any]) -> list[tuple[str, str]]:
    """JSON object → form pairs the way pycloudinary's Upload API would encode it."""
    pairs: list[tuple[str, str]] = []
    for key, value in body.items():
        if value is None:
            continue
        if isinstance(value, list):
            pairs.extend((f"{key}[]", _field_text(item)) for item in value if item is not None)
        else:
            pairs.append((key, _field_text(value)))
    return pairs


def _json_values(body: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in body.items():
        if value is not None:
            values[_split_key(key)[0]] = value
    return values


def _media_type(request: Request) -> str:
    header = request.headers.get("content-type", "")
    return header.split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


async def _read_json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise BadRequestError(f"Invalid JSON body: {exc}") from None
    except RecursionError:  # "[[[[…" nested deeper than the parser's stack: was a 500
        raise BadRequestError("Invalid JSON body: nested too deeply") from None
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise BadRequestError("Invalid JSON body: expected an object")
    return parsed


async def _read_form(
    request: Request, max_part_size: int
) -> tuple[list[tuple[str, str]], dict[str, UploadFile]]:
    try:
        form = await request.form(
            max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=max_part_size
        )
    except MultiPartException as exc:
        raise BadRequestError(f"Invalid form body: {exc.message}") from None
    except HTTPException as exc:
        raise BadRequestError(f"Invalid form body: {exc.detail}") from None
    pairs: list[tuple[str, str]] = []
    files: dict[str, UploadFile] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files[_split_key(key)[0]] = value
        else:
            pairs.append((key, value))
    return pairs, files


async def read_params(request: Request, *, max_text_part_size: int = MAX_TEXT_PART_BYTES) -> Params:
    """Read and merge the query string and the body of ``request`` (any method).

    Raises :class:`~cloudlet.errors.BadRequestError` for a malformed JSON or form body. A body
    of any other content type is ignored.
    """
    query = list(request.query_params.multi_items())
    values: dict[str, Any] = dict(_collapse(query))
    media_type = _media_type(request)
    body_pairs: list[tuple[str, str]] = []
    files: dict[str, UploadFile] = {}
    if _is_json(media_type):
        body = await _read_json(request)
        body_pairs = _flatten_json(body)
        values.update(_json_values(body))
    elif media_type in _FORM_TYPES:
        body_pairs, files = await _read_form(request, max_text_part_size)
        values.update(_collapse(body_pairs))
    return Params(fields=query + body_pairs, values=values, files=files)
