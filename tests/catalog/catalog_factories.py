"""Factories for the catalog tests: plausible NewAssets and fixed, microsecond-exact times."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Cloud, NewAsset
from cloudlet.services.synthetic import Shape, synthetic_batches

T0 = datetime(2024, 5, 17, 12, 0, 0, 123456, tzinfo=UTC)

_keys = itertools.count(1)


def new_asset(public_id: str = "sample", **changes: Any) -> NewAsset:
    """A NewAsset with plausible values and a fresh storage key; ``changes`` override."""
    n = next(_keys)
    values: dict[str, Any] = {
        "resource_type": "image",
        "type": "upload",
        "public_id": public_id,
        "version_id": f"{n:032x}",
        "format": "jpg",
        "bytes": 1000 + n,
        "width": 640,
        "height": 480,
        "pages": None,
        "duration": None,
        "etag": f"{n:032x}",
        "storage_key": f"originals/{public_id}/{n}",
        "original_filename": public_id.rsplit("/", 1)[-1],
        "asset_folder": "",
        "display_name": public_id.rsplit("/", 1)[-1],
        "tags": [],
        "context": {},
        "extra": {},
    }
    values.update(changes)
    return NewAsset(**values)


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds`` (microseconds kept)."""
    return T0 + timedelta(seconds=seconds)


def fill_synthetic(catalog: Catalog, cloud: Cloud, count: int, seed: int = 7) -> None:
    """``count`` synthetic assets, written as ``cloudlet bench-catalog`` writes them."""
    for batch in synthetic_batches(cloud.id, Shape(count=count, seed=seed)):
        catalog.bulk_insert_assets(cloud.id, batch)
    catalog.analyze()
