"""Bringing an upload's bytes onto local disk: multipart parts, remote URLs and data URIs."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cloudlet.errors import BadRequestError, FileTooLargeError
from cloudlet.services import remote
from cloudlet.services.deps import Deps

COPY_BUFFER = 1024 * 1024


@dataclass
class UploadSource:
    """The ``file`` parameter as received: a file part, or text (URL / data URI)."""

    stream: BinaryIO | None = None
    filename: str | None = None
    text: str | None = None


@dataclass
class Staged:
    """An upload's bytes in a staging file, with what was learnt while copying them."""

    path: Path
    filename: str
    bytes: int
    etag: str

    def discard(self) -> None:
        """Remove the staging file if it is still there."""
        self.path.unlink(missing_ok=True)


def too_large(size: int, limit: int) -> FileTooLargeError:
    """Cloudinary's message for an over-size file."""
    return FileTooLargeError(f"File size too large. Got {size}. Maximum is {limit}.")


def copy_stream(stream: BinaryIO, dest: Path, max_bytes: int) -> tuple[int, str]:
    """Copy a stream to ``dest`` (fsynced), enforcing the size limit; (bytes, md5 hex)."""
    digest = hashlib.md5(usedforsecurity=False)
    total = 0
    with open(dest, "wb") as out:
        while chunk := stream.read(COPY_BUFFER):
            total += len(chunk)
            if total > max_bytes:
                raise too_large(total, max_bytes)
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return total, digest.hexdigest()


def file_md5(path: Path) -> str:
    """The md5 hex digest of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(COPY_BUFFER):
            digest.update(chunk)
    return digest.hexdigest()


def stage(deps: Deps, source: UploadSource, max_bytes: int) -> Staged:
    """Put the upload's bytes in a staging file; the caller discards it when done."""
    dest = deps.storage.new_staging_path()
    try:
        return _stage_into(deps, source, dest, max_bytes)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


def _stage_into(deps: Deps, source: UploadSource, dest: Path, max_bytes: int) -> Staged:
    if source.stream is not None:
        size, etag = copy_stream(source.stream, dest, max_bytes)
        return Staged(dest, source.filename or "file", size, etag)
    text = (source.text or "").strip()
    if not text:
        raise BadRequestError("Missing required parameter - file")
    if text.lower().startswith("data:"):
        fetched = remote.decode_data_uri(text, dest, max_bytes=max_bytes)
    elif remote.is_remote_source(text):
        settings = deps.settings
        fetched = remote.fetch_url(
            text,
            dest,
            max_bytes=min(max_bytes, settings.fetch_max_bytes),
            timeout_s=settings.fetch_timeout_s,
            allow_private=settings.fetch_allow_private,
        )
    else:
        raise BadRequestError(
            "Invalid file parameter: expected a file, an http(s) URL or a data URI"
        )
    return Staged(dest, fetched.filename, fetched.bytes, file_md5(dest))
