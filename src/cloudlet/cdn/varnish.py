"""Varnish: ``BAN`` (the default) or ``PURGE`` requests to every instance.

``deploy/varnish/cloudlet.vcl`` accepts both from the addresses in its ``purgers`` ACL:

- ``PURGE <path>`` removes the object cached for exactly that URL (every ``Vary`` variant);
- ``BAN /`` with ``X-Cloudlet-Ban: <regex>`` bans every object whose URL matches; one ban
  covers a batch of paths, each also with any query string (``?__cld_token__=…``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from cloudlet.cdn.base import Invalidator, client, send

BAN_HEADER = "X-Cloudlet-Ban"
# Varnish refuses request headers over 8 KB (http_req_hdr_len); stay well below it
MAX_BAN_CHARS = 6000
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_%:,-=@!;'")


def regex_literal(text: str) -> str:
    """``text`` as a PCRE literal: special characters in brackets, where they mean
    themselves, but for ``^`` and ``\\``, which are escaped (a backslash reaches the ban's
    regex as it is)."""
    return "".join(_literal(c) for c in text)


def _literal(char: str) -> str:
    if char in _PLAIN:
        return char
    return f"\\{char}" if char in "^\\" else f"[{char}]"


def ban_batches(paths: Sequence[str], limit: int = MAX_BAN_CHARS) -> Iterator[str]:
    """Regexes, each at most about ``limit`` characters, that together match exactly these
    paths (each with or without a query string)."""
    batch: list[str] = []
    size = 0
    for path in paths:
        literal = regex_literal(path)
        if batch and size + len(literal) + 1 > limit:
            yield _alternation(batch)
            batch, size = [], 0
        batch.append(literal)
        size += len(literal) + 1
    if batch:
        yield _alternation(batch)


def _alternation(literals: list[str]) -> str:
    return "^(" + "|".join(literals) + ")([?].*)?$"


class VarnishInvalidator(Invalidator):
    """Invalidates on each Varnish at ``urls`` (``http://host:port``)."""

    def __init__(self, urls: Sequence[str], *, mode: str = "ban") -> None:
        self.urls = [url.rstrip("/") for url in urls]
        self.mode = mode

    def invalidate(self, paths: Sequence[str]) -> None:
        """BAN in batches, or PURGE path by path, on every instance."""
        if not paths:
            return
        with client() as http:
            for base in self.urls:
                if self.mode == "purge":
                    for path in paths:
                        send(http, http.build_request("PURGE", base + path))
                    continue
                for regex in ban_batches(paths):
                    send(http, http.build_request("BAN", base + "/", headers={BAN_HEADER: regex}))
