"""Which delivery URLs a CDN invalidation removes (the seed's table, managing-assets §invalidate).

Pure: standard library only. ``invalidation_paths`` turns one asset (as it was when it was
deleted, renamed or overwritten) and the derivatives the catalog knew of into the exact URL
paths a cache in front of Cloudlet may hold for it:

================================  ==============================  ==========================
"Invalidate versioned URLs"       public id without slashes       public id with slashes
================================  ==============================  ==========================
off (default)                     only URLs without a version     only URLs with ``/v1/``
on                                only URLs with the most recent version (both columns)
================================  ==============================  ==========================

In every case: the original and every known derivative, each under every extension it may
have been delivered with (see ``_leaves``); signed URLs (``s--…--``, the short SHA-1 and
SHA-256 forms and the long one) only when ``signed`` is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cloudlet.delivery.signatures import delivery_signature

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/:]+")
_ALIASES = {"jpg": ("jpeg", "jpe"), "jpeg": ("jpg", "jpe"), "tiff": ("tif",), "tif": ("tiff",)}
_FORMAT_PARAM = re.compile(r"(?:^|[,/])f_")


@dataclass(frozen=True)
class Target:
    """One asset as caches may hold it."""

    cloud: str
    resource_type: str
    type: str
    public_id: str
    version: int  # the most recent version when the change happened
    format: str  # the original's format ("" for raw files, whose public id has the extension)
    derived: Sequence[tuple[str, str]] = ()  # (canonical transformation, format) rendered
    original: bool = True  # False: only the renders (the original did not change)


def smart_escape(text: str) -> str:
    """Percent-encode what the SDKs escape in a public id (all but ``A-Za-z0-9_.-/:``)."""
    return _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), text)


def _extensions(fmt: str) -> tuple[str, ...]:
    return (fmt, *_ALIASES.get(fmt, ())) if fmt else ()


def _leaves(target: Target, transformation: str, fmt: str) -> list[str]:
    """``public_id[.ext]`` forms one rendering may have been requested under: its own
    format's extension; no extension (and the original's aliases) when that is the original's
    format; with ``f_…`` in the transformation any of the original's or output's extensions."""
    name = smart_escape(target.public_id)
    if target.resource_type == "raw":
        return [name]
    own = target.format
    extensions = list(_extensions(fmt))
    bare = fmt in _extensions(own)
    if _FORMAT_PARAM.search(transformation):
        extensions += [e for e in _extensions(own) if e not in extensions]
        bare = True
    if bare:
        extensions += [e for e in _extensions(own) if e not in extensions]
    leaves = [f"{name}.{ext}" for ext in extensions]
    return [name, *leaves] if bare else leaves


def _renderings(target: Target) -> list[tuple[str, str]]:
    """The original (no transformation, its own format) and every known derivative."""
    original = [("", target.format)] if target.original else []
    return list(dict.fromkeys([*original, *target.derived]))


def _version_segment(target: Target, versioned_urls: bool) -> str | None:
    if versioned_urls:
        return f"v{target.version}"
    return "v1" if "/" in target.public_id else None


def invalidation_paths(
    target: Target,
    *,
    versioned_urls: bool,
    signed: bool = False,
    api_secret: str = "",
    signature_algorithm: str = "sha1",
) -> list[str]:
    """The URL paths (from the leading ``/{cloud}/``) to invalidate for ``target``, without
    duplicates, in a stable order. ``versioned_urls`` is the cloud's "Invalidate versioned
    URLs" setting; ``signed`` adds the signed forms (needs ``api_secret``)."""
    version = _version_segment(target, versioned_urls)
    head = f"/{target.cloud}/{target.resource_type}/{target.type}"
    paths: list[str] = []
    for transformation, fmt in _renderings(target):
        for leaf in _leaves(target, transformation, fmt):
            to_sign = f"{transformation}/{leaf}" if transformation else leaf
            tail = "/".join(p for p in (transformation, version, leaf) if p)
            paths.append(f"{head}/{tail}")
            if signed:
                for segment in _signatures(to_sign, api_secret, signature_algorithm):
                    paths.append(f"{head}/{segment}/{tail}")
    return list(dict.fromkeys(paths))


def _signatures(to_sign: str, api_secret: str, algorithm: str) -> Iterable[str]:
    """Every ``s--…--`` segment an SDK may have signed ``to_sign`` with."""
    algorithms = dict.fromkeys([algorithm, "sha1", "sha256"])
    for name in algorithms:
        yield delivery_signature(to_sign, api_secret, algorithm=name)
    yield delivery_signature(to_sign, api_secret, long=True)
