"""Identifiers: random public ids and hex ids, and the rules a public id must follow."""

from __future__ import annotations

import re
import secrets
import string
import uuid

from cloudlet.errors import BadRequestError

MAX_PUBLIC_ID_LENGTH = 255
_ALNUM = string.ascii_lowercase + string.digits
# characters a public id may not contain: the SDKs cannot address them in URLs
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\?#%<>]")


def random_public_id(length: int = 20) -> str:
    """A random public id of lowercase letters and digits, like Cloudinary's."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def random_suffix(length: int = 6) -> str:
    """The suffix ``unique_filename`` appends after an underscore."""
    return random_public_id(length)


def new_hex_id() -> str:
    """32 lowercase hex characters (asset ids, version ids)."""
    return uuid.uuid4().hex


def validate_public_id(public_id: str) -> str:
    """Return the public id, or raise BadRequestError saying what is wrong with it."""
    problem = public_id_problem(public_id)
    if problem:
        raise BadRequestError(f"Invalid public_id {public_id!r}: {problem}")
    return public_id


def public_id_problem(public_id: str) -> str | None:
    """Why the public id is invalid, or None if it is fine."""
    if not public_id:
        return "it is empty"
    if len(public_id) > MAX_PUBLIC_ID_LENGTH:
        return f"longer than {MAX_PUBLIC_ID_LENGTH} characters"
    if _FORBIDDEN.search(public_id):
        return "it contains a control character or one of \\ ? # % < >"
    segments = public_id.split("/")
    if any(seg == "" for seg in segments):
        return "it has an empty path segment (leading, trailing or double '/')"
    if any(seg in (".", "..") for seg in segments):
        return "it has a '.' or '..' path segment"
    if any(seg != seg.strip() for seg in segments):
        return "a path segment starts or ends with whitespace"
    return None


def sanitize_filename(name: str) -> str:
    """Turn an uploaded file's name into a public-id-safe stem (``use_filename``)."""
    cleaned = _FORBIDDEN.sub("_", name.replace("/", "_"))
    cleaned = re.sub(r"\s+", "_", cleaned.strip())
    return cleaned.strip(".") or "file"
