"""Delivery URL parsing (protocol.md §6): ``/{cloud}/{rt}/{type}/[s--SIG--/][tx/…][v123/]{id}``.

Pure: standard library only. The transformation segments are returned as raw text; the
transformation language itself is parsed elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from cloudlet.transform.parse import is_component

_SIGNATURE = re.compile(r"^s--[A-Za-z0-9_-]{8,32}--$")
_VERSION = re.compile(r"^v(\d{1,12})$")


class DeliveryPathError(ValueError):
    """The path is not a delivery URL (too short or malformed)."""


@dataclass(frozen=True)
class DeliveryRequest:
    """The parts of a delivery URL path."""

    cloud: str
    resource_type: str
    type: str
    signature: str | None  # the whole ``s--…--`` segment
    transformations: tuple[str, ...]  # raw (still escaped) component segments
    version: int | None
    public_path: str  # decoded ``public_id[.ext]``
    raw_public_path: str  # the same, as it appeared in the URL (for signatures)
    raw_path: str = ""  # the whole path as received, from its leading '/' (for auth tokens)

    @property
    def to_sign(self) -> str:
        """What a delivery signature covers: transformations + public path, no version."""
        return "/".join([*self.transformations, self.raw_public_path])

    @property
    def to_sign_candidates(self) -> tuple[str, ...]:
        """``to_sign`` as sent, then with the transformations percent-decoded: the SDKs sign
        transformation text unescaped (``l_text:Arial_20:Hello World``) and leave it so in the
        URL, which HTTP clients then send percent-encoded."""
        decoded = "/".join([*(unquote(t) for t in self.transformations), self.raw_public_path])
        return (self.to_sign,) if decoded == self.to_sign else (self.to_sign, decoded)

    @property
    def versioned(self) -> bool:
        """Whether the URL names a version (``v1`` included)."""
        return self.version is not None


def looks_like_transformation(segment: str) -> bool:
    """Whether a path segment reads as a transformation component (``c_fill,w_100``): every
    comma-separated part starts with a known parameter code (see ``transform.is_component``)."""
    return is_component(segment)


def parse_delivery_path(raw_path: str) -> DeliveryRequest:
    """Split a raw (still percent-encoded) delivery path into its parts.

    Segments between the optional signature and a ``v<digits>`` segment are transformations.
    Without a version, leading segments that read as transformation components are taken as
    transformations (this is why the SDKs add ``/v1/`` to public ids with slashes)."""
    segments = raw_path.lstrip("/").split("/")
    if len(segments) < 4 or not all(segments[:3]):
        raise DeliveryPathError("not a delivery path")
    cloud, resource_type, kind = (unquote(s) for s in segments[:3])
    rest = segments[3:]
    signature = None
    if rest and _SIGNATURE.match(rest[0]):
        signature, rest = rest[0], rest[1:]
    transformations, version, remainder = _split_version(rest)
    if not remainder or not all(remainder):
        raise DeliveryPathError("missing public id")
    raw_public = "/".join(remainder)
    return DeliveryRequest(
        cloud=cloud,
        resource_type=resource_type,
        type=kind,
        signature=signature,
        transformations=tuple(transformations),
        version=version,
        public_path=unquote(raw_public),
        raw_public_path=raw_public,
        raw_path="/" + raw_path.lstrip("/"),
    )


def _split_version(rest: list[str]) -> tuple[list[str], int | None, list[str]]:
    for index, segment in enumerate(rest[:-1]):
        match = _VERSION.match(segment)
        if match:
            return rest[:index], int(match.group(1)), rest[index + 1 :]
    count = 0
    while count < len(rest) - 1 and looks_like_transformation(rest[count]):
        count += 1
    return rest[:count], None, rest[count:]
