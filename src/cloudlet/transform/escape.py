"""Percent-encoding as the SDKs apply it inside transformation strings.

The SDKs' ``smart_escape`` percent-encodes (UTF-8, upper-case hex) every character outside
``[A-Za-z0-9_.-/:]``. Overlay text is encoded twice: first ``,`` and ``/`` (so that the
component and parameter separators survive one round of URL decoding), then everything unsafe;
the server splits the raw path first and decodes text twice (transformations.md §A1.8).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# Characters the SDKs leave alone in a URL path.
URL_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/:]+")
# ...and inside one public-id part or name, where ``/`` and ``:`` are separators.
NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
# ``$(name)`` interpolations stay raw inside overlay text.
TEXT_VARIABLE = re.compile(r"(\$\([a-zA-Z]\w+\))", re.ASCII)


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8"))


def escape(text: str, unsafe: re.Pattern[str] = URL_UNSAFE) -> str:
    """Percent-encode the characters ``unsafe`` matches."""
    return unsafe.sub(_percent, text)


def unescape(text: str) -> str:
    """Decode percent-escapes once (invalid UTF-8 becomes U+FFFD, never an error)."""
    return unquote(text, errors="replace")


def encode_text(text: str, *, escape_colon: bool = False) -> str:
    """Overlay text as it appears in the URL (``Hello%20World%252C``).

    ``%`` is encoded in the first pass too, unlike the SDKs, so that any text (one holding
    ``%41``, say) decodes back to itself. ``:`` is encoded when the text follows ``text:``
    directly (no style), where a raw ``:`` would read as the end of a style."""
    inner = re.compile(r"[,/%:]" if escape_colon else r"[,/%]")
    parts = TEXT_VARIABLE.split(text)
    encoded = [
        part if index % 2 else escape(escape(part, inner), URL_UNSAFE)
        for index, part in enumerate(parts)
    ]
    return "".join(encoded)


def decode_text(raw: str) -> str:
    """Overlay text from its raw URL form: percent-decoded twice."""
    return unescape(unescape(raw))
