"""Storage keys: the one definition of a safe key, shared by every backend."""

from __future__ import annotations

import re

from cloudlet.errors import BadRequestError

TEMP_PREFIX = ".tmp-"  # temp and staging files; never a key segment, skipped by iter_keys
MAX_KEY_LENGTH = 1024
MAX_SEGMENT_BYTES = 255  # NAME_MAX on Linux and macOS filesystems
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 controls, DEL


def validate_key(key: str) -> list[str]:
    """The key's segments; BadRequestError unless ``key`` is a safe relative path: '/'-separated
    non-empty segments, none of them ``.`` or ``..`` or starting with the temp-file prefix, no
    backslash or control character, valid UTF-8, at most 1024 characters."""
    if not isinstance(key, str) or not _is_clean(key):
        raise BadRequestError(f"Invalid storage key {key!r}")
    segments = key.split("/")
    for segment in segments:
        if segment in ("", ".", "..") or segment.startswith(TEMP_PREFIX):
            raise BadRequestError(f"Invalid storage key {key!r}")
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            raise BadRequestError(f"Invalid storage key {key!r}: a path segment is too long")
    return segments


def validate_prefix(prefix: str) -> str:
    """``prefix`` for ``iter_keys``: its folder part (before the last '/') must be a valid key
    (or empty); BadRequestError otherwise. Returns the folder part."""
    folder, _, _ = prefix.rpartition("/")
    if folder:
        validate_key(folder)
    return folder


def _is_clean(key: str) -> bool:
    if not key or len(key) > MAX_KEY_LENGTH or "\\" in key:
        return False
    if _CONTROL.search(key):  # one regex scan: every blob read and write checks its key
        return False
    try:
        key.encode()  # lone surrogates have no file name
    except UnicodeEncodeError:
        return False
    return True


def check_staging_suffix(suffix: str) -> None:
    """BadRequestError unless ``suffix`` is safe to end a staging file's name."""
    if "/" in suffix or "\\" in suffix or "\0" in suffix or len(suffix) > 32:
        raise BadRequestError(f"Invalid staging suffix {suffix!r}")
