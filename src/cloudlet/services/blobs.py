"""Removing blobs the catalog has let go of."""

from __future__ import annotations

from cloudlet.services.deps import Deps


def remove_blobs(deps: Deps, keys: list[str]) -> None:
    """Delete blobs whose rows are gone (their keys journalled in the same transaction), then
    settle the journal. A crash in between leaves journal entries the start-up sweep and
    ``fsck --repair`` finish. A blob a backup holds is never deleted (a caller that let go
    of an overwritten version may not know the overwrite backed it up)."""
    held = deps.catalog.backup_keys_among(keys) if keys else set()
    for key in keys:
        if key not in held:
            deps.storage.delete(key)
    deps.catalog.journal_remove_many(keys)
