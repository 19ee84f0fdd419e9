"""Overlay and underlay sources (``l_``/``u_``), as pycloudinary's ``process_layer`` writes them:

* ``[<resource_type>:][<type>:]<public id with : for />`` (``l_logo``, ``l_private:logo``,
  ``l_video:cat``, ``l_folder:logo.png``);
* ``text:[<style>:]<text>`` where style is ``<family>_<size>[_<keyword>…]`` or the public id of
  a saved text style (or ``$var``), and the text is percent-encoded twice;
* ``subtitles:[<style>:]<public id>``;
* ``[video:]fetch:<base64url(URL)>`` (padded or not; the SDKs differ);
* ``$name`` (a variable holding a layer).

The value arrives raw (still percent-encoded): text must be decoded twice, everything else once.
"""

from __future__ import annotations

import base64
import re

from .escape import NAME_UNSAFE, decode_text, encode_text, escape, unescape
from .grammar import DECIMAL, INTEGER, format_public_id, parse_public_id
from .model import Layer, TextStyle
from .vocabulary import (
    FONT_ANTIALIAS,
    FONT_HINTING,
    LAYER_DELIVERY_TYPES,
    LAYER_RESOURCE_TYPES,
    is_simple_text_keyword,
)

_VARIABLE = re.compile(r"\$[A-Za-z][A-Za-z0-9]{0,49}")
_BASE64 = re.compile(r"[A-Za-z0-9_\-+]{2,8000}={0,2}")
# The Python SDK base64-encodes the URL as given (spaces and all); npm percent-encodes first.
_FETCH_URL = re.compile(r"(?:https?|ftp|s3|gs)://[^\x00-\x1f\x7f]{1,4000}", re.IGNORECASE)
_FAMILY = re.compile(r"[^_,/:]{1,100}")
_FONT_SIZE = re.compile(r"\d{1,4}")
_SPACING = re.compile(r"(letter|line)_spacing_(.+)")

# ----------------------------------------------------------------------------- parse


def parse_layer(raw: str) -> Layer:
    """A ``Layer`` from the raw value of ``l_``/``u_``; ValueError when malformed."""
    if _VARIABLE.fullmatch(raw):
        return Layer("variable", public_id=raw)
    head, sep, rest = raw.partition(":")
    word = unescape(head) if sep else ""
    if word == "text":
        return _text_layer(rest)
    if word == "subtitles":
        return _subtitles_layer(rest)
    if word == "fetch":
        return _fetch_layer(rest, "image")
    if word in LAYER_RESOURCE_TYPES:
        return _asset_layer(rest, word)
    return _asset_layer(raw, "image")


def _asset_layer(raw: str, resource_type: str) -> Layer:
    head, sep, rest = raw.partition(":")
    word = unescape(head) if sep else ""
    if word == "fetch" and resource_type in ("image", "video"):
        return _fetch_layer(rest, resource_type)
    delivery_type = "upload"
    if word in LAYER_DELIVERY_TYPES:
        delivery_type, raw = word, rest
    public_id = parse_public_id(unescape(raw))
    return Layer(resource_type, public_id=public_id, delivery_type=delivery_type)


def _text_layer(raw: str) -> Layer:
    style_raw, sep, text_raw = raw.partition(":")
    if not sep:
        style_raw, text_raw = "", raw
    text = decode_text(text_raw)
    if not text:
        raise ValueError("empty overlay text")
    if not style_raw:
        return Layer("text", text=text)
    style = _font_style(unescape(style_raw))
    if style is not None:
        return Layer("text", text=text, style=style)
    return Layer("text", text=text, style_id=_style_id(unescape(style_raw)))


def _style_id(text: str) -> str:
    if _VARIABLE.fullmatch(text):
        return text
    public_id = parse_public_id(text)
    if "/" in public_id:
        raise ValueError("a text style id has no folders")
    return public_id


def _subtitles_layer(raw: str) -> Layer:
    style_raw, sep, rest = raw.partition(":")
    style = _font_style(unescape(style_raw)) if sep else None
    if style is None:
        rest = raw
    public_id = parse_public_id(unescape(rest))
    return Layer("subtitles", public_id=public_id, style=style)


def _font_style(text: str) -> TextStyle | None:
    """``Arial_18_bold`` as a ``TextStyle``; None when it is not ``<family>_<size>…``."""
    tokens = text.split("_")
    if len(tokens) < 2 or not _FONT_SIZE.fullmatch(tokens[1]):
        return None
    if not _FAMILY.fullmatch(tokens[0]) or not tokens[0].strip():
        raise ValueError(f"bad font family {tokens[0]!r}")
    size = int(tokens[1])
    if size <= 0:
        raise ValueError("font size must be positive")
    return TextStyle(tokens[0], size, _keywords(tokens[2:]))


def _keywords(tokens: list[str]) -> tuple[str, ...]:
    keywords: list[str] = []
    index = 0
    while index < len(tokens):
        keyword, used = _keyword_at(tokens, index)
        keywords.append(keyword)
        index += used
    return tuple(keywords)


def _keyword_at(tokens: list[str], index: int) -> tuple[str, int]:
    """The keyword starting at ``tokens[index]`` and how many tokens it spans."""
    word = tokens[index]
    following = tokens[index + 1 : index + 3]
    if is_simple_text_keyword(word):
        return word, 1
    spacing = word in ("letter", "line") and len(following) == 2 and following[0] == "spacing"
    if spacing and (INTEGER.fullmatch(following[1]) or DECIMAL.fullmatch(following[1])):
        return f"{word}_spacing_{following[1]}", 3
    if word == "antialias" and following and following[0] in FONT_ANTIALIAS:
        return f"antialias_{following[0]}", 2
    if word == "hinting" and following and following[0] in FONT_HINTING:
        return f"hinting_{following[0]}", 2
    raise ValueError(f"bad text style keyword {word!r}")


def _fetch_layer(raw: str, resource_type: str) -> Layer:
    encoded = unescape(raw)
    if not _BASE64.fullmatch(encoded):
        raise ValueError("bad base64 in fetch layer")
    stripped = encoded.rstrip("=").replace("+", "-")
    padded = stripped + "=" * (-len(stripped) % 4)
    url = base64.urlsafe_b64decode(padded).decode("utf-8")
    if not _FETCH_URL.fullmatch(url):
        raise ValueError("fetch layer is not a URL")
    return Layer("fetch", url=url, resource_type=resource_type)


# ----------------------------------------------------------------------------- format


def format_layer(layer: Layer) -> str:
    """The canonical raw text of a layer (fetch URLs as padded base64url, like pycloudinary)."""
    if layer.kind == "variable":
        return layer.public_id
    if layer.kind == "text":
        return _format_text(layer)
    if layer.kind == "fetch":
        encoded = base64.urlsafe_b64encode(layer.url.encode("utf-8")).decode("ascii")
        prefix = "" if layer.resource_type == "image" else f"{layer.resource_type}:"
        return f"{prefix}fetch:{encoded}"
    if layer.kind == "subtitles":
        style = f"{format_text_style(layer.style)}:" if layer.style else ""
        return f"subtitles:{style}{format_public_id(layer.public_id)}"
    parts = [] if layer.kind == "image" else [layer.kind]
    if layer.delivery_type != "upload" or _needs_delivery_type(layer.public_id):
        parts.append(layer.delivery_type)
    parts.append(format_public_id(layer.public_id))
    return ":".join(parts)


# First folders that would read as a layer prefix; an explicit delivery type (``upload:``)
# before them keeps the public id whole.
_PREFIX_WORDS = LAYER_RESOURCE_TYPES | LAYER_DELIVERY_TYPES | {"text", "fetch"}


def _needs_delivery_type(public_id: str) -> bool:
    first = public_id.split("/")[0]
    return first in _PREFIX_WORDS or bool(_VARIABLE.fullmatch(public_id))


def _format_text(layer: Layer) -> str:
    if layer.style is not None:
        style = format_text_style(layer.style)
    elif layer.style_id:
        style = layer.style_id
        if not style.startswith("$"):
            style = escape(style, NAME_UNSAFE)
    else:
        return f"text:{encode_text(layer.text, escape_colon=True)}"
    return f"text:{style}:{encode_text(layer.text)}"


def format_text_style(style: TextStyle) -> str:
    """``Arial_18_bold`` (the family percent-encoded where unsafe: ``Times%20New%20Roman``)."""
    family = escape(style.font_family, NAME_UNSAFE)
    return "_".join((family, str(style.font_size), *style.keywords))
