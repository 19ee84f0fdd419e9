"""The fields an expression may name, and how each is matched (docs/search.md lists them).

Kinds:

- ``keyword``: one exact value (``:`` and ``=`` alike); ``*`` at the end is a prefix.
- ``text``: ``=`` is the exact value, ``:`` matches words (tokens) of the value,
  ``value*`` is a prefix of the whole value.
- ``folder``: like keyword; ``folder:a/*`` is ``a`` and everything below it.
- ``number``, ``size`` (accepts ``10kb``, ``1m``), ``date`` (accepts ``3d``), ``ratio``:
  ``:``/``=`` equal, ``> >= < <=`` and ranges compare.
- ``tags``, ``context.KEY``, ``metadata.EXTERNAL_ID``: values of the asset's tags, context
  and structured metadata.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """A search field: the predicate ``column`` it reads and its ``kind``."""

    column: str
    kind: str
    lowercase: bool = False  # values are stored lowercase (formats): fold the term too


ASSET_FIELDS: dict[str, Field] = {
    "resource_type": Field("resource_type", "keyword"),
    "type": Field("type", "keyword"),
    "format": Field("format", "keyword", lowercase=True),
    "asset_id": Field("asset_id", "keyword"),
    "status": Field("status", "status"),
    "access_mode": Field("access_mode", "keyword"),
    "public_id": Field("public_id", "text"),
    "filename": Field("filename", "text"),
    "display_name": Field("display_name", "text"),
    "folder": Field("asset_folder", "folder"),
    "asset_folder": Field("asset_folder", "folder"),
    "tags": Field("tags", "tags"),
    "tag": Field("tags", "tags"),
    "bytes": Field("bytes", "size"),
    "width": Field("width", "integer"),
    "height": Field("height", "integer"),
    "pixels": Field("pixels", "integer"),
    "pages": Field("pages", "integer"),
    "version": Field("version", "integer"),
    "duration": Field("duration", "number"),
    "aspect_ratio": Field("aspect_ratio", "ratio"),
    "created_at": Field("created_at", "date"),
    "uploaded_at": Field("uploaded_at", "date"),
    "updated_at": Field("updated_at", "date"),
}

FOLDER_FIELDS: dict[str, Field] = {
    "name": Field("name", "keyword"),
    "path": Field("path", "folder"),
}

# ``context.KEY`` and ``metadata.EXTERNAL_ID`` name a key after the dot.
KEYED_KINDS = {"context": "context", "metadata": "metadata"}
