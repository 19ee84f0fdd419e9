"""The blob store interface. Keys are '/'-separated relative paths chosen by services."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


class Storage(ABC):
    """Stores immutable blobs under string keys. Writes are atomic: a key either holds the
    complete bytes or does not exist. Keys that could escape the store are refused with
    BadRequestError."""

    @abstractmethod
    def new_staging_path(self, suffix: str = "") -> Path:
        """A fresh, not-yet-existing local file path on the same filesystem as the store,
        for streaming an incoming upload to disk before it is committed with ``put_file``."""

    @abstractmethod
    def put_file(self, key: str, source: Path) -> None:
        """Move ``source`` (a staging file) into ``key`` atomically; ``source`` is consumed."""

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Write ``data`` to ``key`` atomically (temp file + fsync + rename). ``durable=False``
        is for bytes that can be made again (derivatives): the store may skip what makes the
        write survive a power loss (the fsyncs), so after one the key may be missing or
        short; readers check with ``intact``."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """Open the blob for reading; NotFoundError if absent."""

    @abstractmethod
    def local_path(self, key: str) -> Path | None:
        """A local file path holding the blob, for zero-copy serving; None if not local.
        NotFoundError if absent."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether the key holds a blob."""

    def intact(self, key: str, size: int) -> bool:
        """Whether ``key`` holds ``size`` bytes, as far as a cheap check can tell (for blobs
        written with ``durable=False``). Stores whose writes are always durable answer True
        without looking."""
        return True

    @abstractmethod
    def size(self, key: str) -> int:
        """The blob's size in bytes; NotFoundError if absent."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove the blob; True if it existed."""

    @abstractmethod
    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with ``prefix`` (staging files excluded), in no set order."""

    def md5(self, key: str) -> str:
        """The MD5 hex digest of the blob's bytes as the store itself holds them (never a
        cached copy), for ``fsck``; NotFoundError if absent."""
        digest = hashlib.md5(usedforsecurity=False)
        with self.open(key) as file:
            while chunk := file.read(1024 * 1024):
                digest.update(chunk)
        return digest.hexdigest()

    def check(self) -> None:
        """Raise unless the store can be used now (the readiness probe calls this)."""
        next(iter(self.iter_keys()), None)
