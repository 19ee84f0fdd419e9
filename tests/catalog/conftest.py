"""Fixtures for the catalog contract suite (the backends come from ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.catalog.catalog_factories import at, new_asset

from cloudlet.catalog.catalog import Catalog
from cloudlet.catalog.model import Cloud


@pytest.fixture
def cloud(catalog: Catalog) -> Cloud:
    return catalog.create_cloud("demo", "123456789012345", "secret")


@pytest.fixture
def other_cloud(catalog: Catalog) -> Cloud:
    return catalog.create_cloud("other", "999999999999999", "secret2")


@pytest.fixture
def upload(catalog: Catalog, cloud: Cloud) -> Callable[..., Any]:
    """Create (overwrite=True) an asset in ``cloud`` at ``at(seconds)``; returns the Asset."""

    def create(public_id: str, seconds: float = 0, **changes: Any) -> Any:
        asset, _, _ = catalog.create_or_replace_asset(
            cloud.id, new_asset(public_id, **changes), overwrite=True, now=at(seconds)
        )
        return asset

    return create
