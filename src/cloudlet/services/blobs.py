"""Removing blobs the catalog has let go of."""

from __future__ import annotations

from cloudlet.services.deps import Deps


def remove_blobs(deps: Deps, keys: list[str]) -> None:
    """Delete blobs whose rows are gone (their keys journalled in the same transaction), then
    settle the journal. A crash in between leaves journal entries the start-up sweep and
    ``fsck --repair`` finish."""
    for key in keys:
        deps.storage.delete(key)
    deps.catalog.journal_remove_many(keys)
