"""Chunked uploads as ``upload_large`` sends them (``Content-Range`` + ``X-Unique-Upload-Id``).

Each chunk is written to its own part file under ``tmp/chunks/{cloud}/{upload id}/``, named by
its start offset, so chunks may arrive in any order and a retried chunk simply replaces its
part. When the parts cover the whole range they are concatenated, in order, into one staging
file that goes through the ordinary upload path. Nothing is held in memory.

The Python SDK sends the whole size on every chunk (``bytes 0-99/250``); the Node SDK sends
``-1`` as the size of every chunk but the last (``bytes 0-99/-1``) and, for an empty file, one
chunk ``bytes 0--1/0``. Such unsized chunks must be at least :data:`MIN_UNSIZED_CHUNK` bytes,
the limit the Node SDK's own tests expect from Cloudinary.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cloudlet.errors import BadRequestError, FileTooLargeError
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


def chunk_dir(deps: Deps, cloud_id: int, upload_id: str) -> Path:
    """Where the parts of one chunked upload are kept."""
    if not _UPLOAD_ID.match(upload_id):
        raise BadRequestError("Invalid X-Unique-Upload-Id header")
    return deps.settings.tmp_dir / "chunks" / str(cloud_id) / upload_id


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
    folder = chunk_dir(deps, cloud_id, upload_id)
    folder.mkdir(parents=True, exist_ok=True)
    expected = rng.end - rng.start + 1
    temp = folder / f".incoming-{os.getpid()}-{time.monotonic_ns()}"
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
        temp.replace(folder / f"{rng.start:020d}-{rng.end:020d}")
    finally:
        temp.unlink(missing_ok=True)
    received = _covered(folder, known)
    if rng.total is None or received < rng.total:
        return received
    return _assemble(deps, folder, rng.total, filename)


def _parts(folder: Path) -> list[tuple[int, int, Path]]:
    parts = []
    for path in folder.iterdir():
        if path.name.startswith("."):
            continue
        start, _, end = path.name.partition("-")
        parts.append((int(start), int(end), path))
    return sorted(parts)


def _covered(folder: Path, total: int) -> int:
    """Bytes covered contiguously from 0 (total when everything arrived)."""
    position = 0
    for start, end, _ in _parts(folder):
        if start > position:
            break
        position = max(position, end + 1)
    return min(position, total)


def _assemble(deps: Deps, folder: Path, total: int, filename: str) -> Staged:
    dest = deps.storage.new_staging_path()
    digest = hashlib.md5(usedforsecurity=False)
    position = 0
    with open(dest, "wb") as out:
        for start, end, path in _parts(folder):
            if end < position:
                continue
            with open(path, "rb") as part:
                part.seek(position - start)
                while block := part.read(COPY_BUFFER):
                    digest.update(block)
                    out.write(block)
            position = end + 1
        out.flush()
        os.fsync(out.fileno())
    shutil.rmtree(folder, ignore_errors=True)
    if position != total:
        dest.unlink(missing_ok=True)
        raise BadRequestError("Chunked upload is incomplete")
    return Staged(dest, filename, total, digest.hexdigest())


def sweep_abandoned(deps: Deps, max_age_s: int | None = None) -> int:
    """Remove chunk folders untouched for longer than ``max_age_s``; returns how many."""
    root = deps.settings.tmp_dir / "chunks"
    if not root.exists():
        return 0
    limit = time.time() - (max_age_s if max_age_s is not None else deps.settings.chunk_expiry_s)
    removed = 0
    for folder in root.glob("*/*"):
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
