"""Chunked uploads as ``upload_large`` sends them (``Content-Range`` + ``X-Unique-Upload-Id``).

Each chunk is kept as a blob of its own (``{cloud}/chunks/{upload id}/{random id}``) and
recorded in the catalog (``upload_chunks``) by its byte range, so chunks may arrive in any
order and at any node of a deployment sharing its catalog and blob store; a retried chunk
replaces its part. When the parts cover the whole range, the node that received the last
one takes them (only one node can) and concatenates them, in order, into one staging file
that goes through the ordinary upload path. Nothing is held in memory.

The Python SDK sends the whole size on every chunk (``bytes 0-99/250``); the Node SDK sends
``-1`` as the size of every chunk but the last (``bytes 0-99/-1``) and, for an empty file, one
chunk ``bytes 0--1/0``. Such unsized chunks must be at least :data:`MIN_UNSIZED_CHUNK` bytes,
the limit the Node SDK's own tests expect from Cloudinary.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, BinaryIO

from cloudlet.catalog.chunk_parts import ChunkPart
from cloudlet.errors import BadRequestError, FileTooLargeError
from cloudlet.services import ids
from cloudlet.services.deps import Deps
from cloudlet.services.staging import COPY_BUFFER, Staged, copy_stream, too_large

_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*|-1)\s*$")
_EMPTY_RANGE = re.compile(r"^\s*bytes\s+0--1/0\s*$")  # Node's upload_large of an empty file
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MIN_UNSIZED_CHUNK = 5 * 1024 * 1024


@dataclass(frozen=True)
class ChunkRange:
    """One chunk's place in the whole file; ``total`` None: not the last chunk (Node's -1)."""

    start: int
    end: int  # inclusive
    total: int | None


def parse_content_range(header: str) -> ChunkRange:
    """Parse ``bytes a-b/total`` (``total`` -1: size not known yet); BadRequestError else."""
    if _EMPTY_RANGE.match(header):
        raise BadRequestError("Empty file")
    match = _RANGE.match(header)
    if not match or match.group(3) == "*":
        raise BadRequestError(f"Invalid Content-Range header: {header!r}")
    start, end = int(match.group(1)), int(match.group(2))
    total = None if match.group(3) == "-1" else int(match.group(3))
    if start > end or (total is not None and end >= total):
        raise BadRequestError(f"Invalid Content-Range header: {header!r}")
    if total is None and end - start + 1 < MIN_UNSIZED_CHUNK:
        raise BadRequestError("All parts except EOF-chunk must be larger than 5mb")
    return ChunkRange(start, end, total)


def check_upload_id(upload_id: str) -> str:
    """``upload_id`` if it is a valid ``X-Unique-Upload-Id``; BadRequestError else."""
    if not _UPLOAD_ID.match(upload_id):
        raise BadRequestError("Invalid X-Unique-Upload-Id header")
    return upload_id


def receive_chunk(
    deps: Deps,
    cloud_id: int,
    upload_id: str,
    content_range: str,
    stream: BinaryIO,
    filename: str,
    max_bytes: int,
) -> Staged | int:
    """Store one chunk. Returns the assembled file once complete, else the bytes received."""
    rng = parse_content_range(content_range)
    known = rng.total if rng.total is not None else rng.end + 1
    if known > max_bytes:
        raise too_large(known, max_bytes)
    check_upload_id(upload_id)
    _store_part(deps, cloud_id, upload_id, rng, stream, content_range)
    received = _covered(deps.catalog.chunk_parts(cloud_id, upload_id), known)
    if rng.total is None or received < rng.total:
        return received
    parts = deps.catalog.take_chunk_parts(cloud_id, upload_id, deps.now())
    if _covered(parts, rng.total) < rng.total:  # another node took them meanwhile
        _remove_blobs(deps, [p.storage_key for p in parts])
        return received
    return _assemble(deps, parts, rng.total, filename)


def _store_part(
    deps: Deps,
    cloud_id: int,
    upload_id: str,
    rng: ChunkRange,
    stream: BinaryIO,
    content_range: str,
) -> None:
    """Receive the chunk into a staging file, then keep it as a blob and record it."""
    expected = rng.end - rng.start + 1
    temp = deps.storage.new_staging_path()
    try:
        try:
            size, _ = copy_stream(stream, temp, expected)
        except FileTooLargeError:
            raise BadRequestError(
                f"Chunk is longer than its Content-Range {content_range!r}"
            ) from None
        if size != expected:
            raise BadRequestError(
                f"Chunk size {size} does not match Content-Range {content_range!r}"
            )
        key = f"{cloud_id}/chunks/{upload_id}/{ids.new_hex_id()}"
        deps.catalog.journal_add(key, deps.now())  # a crash before the row: swept
        deps.storage.put_file(key, temp)
        part = ChunkPart(rng.start, rng.end, key)
        replaced = deps.catalog.add_chunk_part(cloud_id, upload_id, part, deps.now())
        deps.catalog.journal_remove(key)
    finally:
        temp.unlink(missing_ok=True)
    if replaced is not None:
        _remove_blobs(deps, [replaced])


def _covered(parts: list[ChunkPart], total: int) -> int:
    """Bytes covered contiguously from 0 (total when everything arrived)."""
    position = 0
    for part in sorted(parts):
        if part.first > position:
            break
        position = max(position, part.last + 1)
    return min(position, total)


def _assemble(deps: Deps, parts: list[ChunkPart], total: int, filename: str) -> Staged:
    """Concatenate the parts (journalled by ``take_chunk_parts``) into a staging file and
    remove their blobs."""
    dest = deps.storage.new_staging_path()
    digest = hashlib.md5(usedforsecurity=False)
    position = 0
    try:
        with open(dest, "wb") as out:
            for part in sorted(parts):
                if part.last < position:
                    continue
                position = _copy_part(deps, part, position, out, digest)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    finally:
        _remove_blobs(deps, [p.storage_key for p in parts])
    if position != total:
        dest.unlink(missing_ok=True)
        raise BadRequestError("Chunked upload is incomplete")
    return Staged(dest, filename, total, digest.hexdigest())


def _copy_part(deps: Deps, part: ChunkPart, position: int, out: BinaryIO, digest: Any) -> int:
    """Append the part's bytes from ``position`` on; the position after it."""
    with deps.storage.open(part.storage_key) as blob:
        skip = position - part.first
        while skip > 0:  # blobs in object storage may not seek
            skip -= len(blob.read(min(skip, COPY_BUFFER)))
        while block := blob.read(COPY_BUFFER):
            digest.update(block)
            out.write(block)
    return part.last + 1


def _remove_blobs(deps: Deps, keys: list[str]) -> None:
    """Delete blobs the catalog journalled for removal, then their journal entries."""
    for key in keys:
        deps.storage.delete(key)
    deps.catalog.journal_remove_many(keys)


def sweep_abandoned(deps: Deps, max_age_s: int | None = None) -> int:
    """Remove the parts of chunked uploads untouched for longer than ``max_age_s``
    (default: the ``chunk_expiry_s`` setting, 24 h); returns how many parts."""
    age = max_age_s if max_age_s is not None else deps.settings.chunk_expiry_s
    keys = deps.catalog.take_abandoned_chunk_parts(deps.now() - timedelta(seconds=age))
    _remove_blobs(deps, keys)
    return len(keys)
