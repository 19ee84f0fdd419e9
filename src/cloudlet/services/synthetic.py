"""Synthetic asset records for measuring the catalog at scale (``cloudlet bench-catalog``).

The records look like a real library's: public ids in nested folders (``products/shoes/
2024/…``), tags drawn from a vocabulary with Zipf-like frequencies (a few tags on many
assets, a long tail on few), context key/values on some assets, a mix of formats and
resource types, sizes, dates spread over years, and some assets with older versions. They
are written as the upload path writes them (``catalog.bulk_load``), without blobs unless
``blobs`` is asked for (then each original is a small random file of the recorded size, so
that ``cloudlet fsck`` checks a clean catalog).

The shape is fixed so that benchmarks can name their targets: ``ARCHIVE_FOLDER`` holds
exactly one asset in ten, all images (what ``bench/bench_catalog.py`` deletes by prefix),
and tag ``TAGS[0]`` is the most frequent.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from cloudlet.catalog.bulk_load import BulkAsset
from cloudlet.catalog.model import Cloud
from cloudlet.services.deps import Deps

ARCHIVE_FOLDER = "archive"
BATCH = 20_000
_WORD_TEXT = """
summer winter spring autumn beach city street night sunset forest river mountain
portrait studio product hero banner thumb detail team office event launch sale red blue
green black white gold silver vintage modern classic shoes shirts bags watches kitchen
garden travel food coffee wine sport yoga running bike car lake snow desert
"""
_WORDS = _WORD_TEXT.split()
_SECTIONS = {
    "products": ("shoes", "shirts", "bags", "watches", "kitchen", "garden"),
    "blog": ("travel", "food", "sport", "news"),
    "users": ("avatars", "uploads"),
    "campaigns": ("summer", "winter", "launch", "sale"),
    "events": ("conference", "meetup", "webinar"),
}
_YEARS = tuple(str(year) for year in range(2019, 2027))
# 1000 tags: the words, then the words numbered ("summer-1");
# TAGS[i] has weight 1 / (i + 1) ** 1.07
TAGS = tuple(
    f"{_WORDS[i % len(_WORDS)]}-{i // len(_WORDS)}" if i >= len(_WORDS) else _WORDS[i]
    for i in range(1000)
)
_TAG_WEIGHTS = list(accumulate(1 / (rank + 1) ** 1.07 for rank in range(len(TAGS))))
# (resource_type, format, share); shares sum to 1
_FORMATS = (
    ("image", "jpg", 0.50),
    ("image", "png", 0.22),
    ("image", "webp", 0.10),
    ("image", "gif", 0.04),
    ("image", "avif", 0.02),
    ("video", "mp4", 0.07),
    ("video", "webm", 0.01),
    ("raw", "pdf", 0.03),
    ("raw", "zip", 0.01),
)
_FORMAT_WEIGHTS = list(accumulate(share for _, _, share in _FORMATS))
_IMAGE_WEIGHT = sum(share for kind, _, share in _FORMATS if kind == "image")  # listed first
_CONTEXT = {
    "alt": ("product photo", "team picture", "banner image", "illustration"),
    "caption": ("new arrival", "best seller", "on sale", "limited edition", "classic"),
    "photographer": ("ana", "bo", "chen", "dana", "eli", "femi", "gus", "hana"),
    "license": ("cc-by", "internal", "stock", "editorial"),
}
_SPAN = timedelta(days=6 * 365)  # created dates spread over six years before ``now``


@dataclass(frozen=True)
class Shape:
    """What to generate: how many assets, from which seed, ending at ``now``; ``first`` is
    the number of the first record (public ids are unique across numbers)."""

    count: int
    seed: int = 1
    first: int = 0
    now: datetime = datetime(2026, 12, 1, tzinfo=UTC)
    blobs: bool = False


def fill_catalog(
    deps: Deps, cloud: Cloud, shape: Shape, progress: Callable[[int], None] | None = None
) -> int:
    """Add ``shape.count`` synthetic assets to ``cloud`` in batches of ``BATCH`` (one
    transaction each), then refresh the planner's statistics; returns how many were added.
    ``progress`` is called with the number added after each batch."""
    added = 0
    for batch in synthetic_batches(cloud.id, shape):
        if shape.blobs:
            _store_blobs(deps, batch)
        deps.catalog.bulk_insert_assets(cloud.id, batch)
        added += len(batch)
        if progress:
            progress(added)
    deps.catalog.analyze()
    return added


def next_number(deps: Deps, cloud: Cloud) -> int:
    """Where numbering continues in a cloud: after its assets, rounded up to a multiple of
    ten (so that the archive keeps one asset in ten)."""
    present = deps.catalog.usage(cloud.id)["resources"]
    return -(-present // 10) * 10


def synthetic_batches(cloud_id: int, shape: Shape) -> Iterator[list[BulkAsset]]:
    """The records of ``shape``, ``BATCH`` at a time (deterministic for a seed)."""
    # a stream of its own per starting number: a second fill draws other asset and version ids
    rng = random.Random(f"{shape.seed}:{shape.first}")
    end = shape.first + shape.count
    for start in range(shape.first, end, BATCH):
        stop = min(start + BATCH, end)
        yield [synthetic_asset(rng, cloud_id, index, shape) for index in range(start, stop)]


def synthetic_asset(rng: random.Random, cloud_id: int, index: int, shape: Shape) -> BulkAsset:
    """One asset record; ``index`` makes its public id unique."""
    public_id = _public_id(rng, index)
    # the archive holds images only, so that one prefix delete reaches all of it
    top = _IMAGE_WEIGHT if public_id.startswith(ARCHIVE_FOLDER + "/") else _FORMAT_WEIGHTS[-1]
    resource_type, fmt = _FORMATS[bisect(_FORMAT_WEIGHTS, rng.random() * top)][:2]
    created = shape.now - _SPAN * rng.random()
    versions = _versions(rng, cloud_id, created, fmt, resource_type, shape.blobs)
    current = versions[-1]
    folder, _, name = public_id.rpartition("/")
    values: dict[str, Any] = {
        "asset_id": uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        "resource_type": resource_type,
        "type": "upload",
        "public_id": public_id,
        "version": int(current["created_at"].timestamp()),
        "pages": 1 if resource_type == "image" else None,
        "duration": round(rng.uniform(2, 300), 2) if resource_type == "video" else None,
        "original_filename": name.rsplit("_", 1)[0],
        "asset_folder": folder,
        "display_name": name,
        "placeholder": False,
        "access_mode": "public",
        "context": _context(rng),
        "extra": {},
        # an overwrite sets created_at and uploaded_at to its own time, as here
        "created_at": current["created_at"],
        "uploaded_at": current["created_at"],
        "updated_at": current["created_at"],
    }
    values.update({k: current[k] for k in ("version_id", "format", "bytes", "etag")})
    values.update({k: current[k] for k in ("width", "height", "storage_key")})
    return BulkAsset(values=values, tags=_tags(rng), versions=versions)


def _public_id(rng: random.Random, index: int) -> str:
    """``archive/…`` for every tenth asset; otherwise a section, a subfolder, sometimes a
    year; then two words and the index in base 36 (unique)."""
    stem = f"{rng.choice(_WORDS)}_{rng.choice(_WORDS)}_{_base36(index)}"
    if index % 10 == 9:
        return f"{ARCHIVE_FOLDER}/{rng.choice(_YEARS)}/{stem}"
    section = rng.choice(list(_SECTIONS))
    parts = [section, rng.choice(_SECTIONS[section])]
    if rng.random() < 0.5:
        parts.append(rng.choice(_YEARS))
    return "/".join([*parts, stem])


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
        if number == 0:
            return text


def _versions(
    rng: random.Random,
    cloud_id: int,
    created: datetime,
    fmt: str,
    resource_type: str,
    blobs: bool,
) -> list[dict[str, Any]]:
    """1 version (85%), 2 (10%) or 3 (5%); older ones have dropped their bytes
    (``storage_key`` None), as an overwrite without backup leaves them."""
    count = 1 if rng.random() < 0.85 else (2 if rng.random() < 0.67 else 3)
    # older versions 30–59 and 60–89 days before the current one (never the same second)
    times = sorted(created - timedelta(days=30 * i + rng.uniform(0, 29)) for i in range(count))
    rows = [_version(rng, cloud_id, at, fmt, resource_type, blobs) for at in times]
    for older in rows[:-1]:
        older["storage_key"] = None
    for at, row in zip(times, rows, strict=True):
        row["version"] = int(at.timestamp())
    return rows


def _version(
    rng: random.Random, cloud_id: int, at: datetime, fmt: str, resource_type: str, blobs: bool
) -> dict[str, Any]:
    version_id = f"{rng.getrandbits(128):032x}"
    size = int(rng.lognormvariate(12, 1.2))  # median ~160 kB
    size = min(size, 4096) if blobs else size
    visual = resource_type != "raw"
    width = rng.choice((320, 640, 800, 1024, 1280, 1920, 2400, 4000)) if visual else None
    return {
        "version_id": version_id,
        "storage_key": f"{cloud_id}/originals/{version_id[:2]}/{version_id}",
        "bytes": size,
        "etag": f"{rng.getrandbits(128):032x}",
        "format": fmt,
        "width": width,
        "height": None if width is None else int(width * rng.choice((0.5625, 0.75, 1, 1.5))),
        "created_at": at,
    }


def _tags(rng: random.Random) -> list[str]:
    """0 to 6 tags (most assets 1–3), each drawn with Zipf-like weights."""
    count = rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4, 6))
    drawn = (TAGS[bisect(_TAG_WEIGHTS, rng.random() * _TAG_WEIGHTS[-1])] for _ in range(count))
    return list(dict.fromkeys(drawn))


def _context(rng: random.Random) -> dict[str, str]:
    """Context on 40% of assets: one to three of the known keys."""
    if rng.random() >= 0.4:
        return {}
    keys = rng.sample(sorted(_CONTEXT), rng.randint(1, 3))
    return {key: rng.choice(_CONTEXT[key]) for key in sorted(keys)}


def _store_blobs(deps: Deps, batch: list[BulkAsset]) -> None:
    """Write a random original of each asset's recorded size; record its real etag."""
    for item in batch:
        data = random.Random(item.values["version_id"]).randbytes(item.values["bytes"])
        deps.storage.put_bytes(item.values["storage_key"], data)
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        item.values["etag"] = item.versions[-1]["etag"] = etag
