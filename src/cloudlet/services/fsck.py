"""Checking that the catalog and the blob store agree, and repairing what is safe to repair."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cloudlet.services.deps import Deps

JOURNAL_GRACE = timedelta(minutes=10)


@dataclass
class Problem:
    """One disagreement between catalog and blob store."""

    kind: str  # missing_blob | size_mismatch | etag_mismatch | orphan_blob | stale_journal
    key: str
    detail: str
    repaired: bool = False


@dataclass
class FsckReport:
    """What fsck found (and, with repair, fixed)."""

    assets_checked: int = 0
    blobs_seen: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when nothing is left unrepaired."""
        return all(p.repaired for p in self.problems)


def sweep_journal(deps: Deps, older_than: datetime | None = None) -> int:
    """Settle journalled blob keys: drop blobs no row references, forget the rest.

    At start-up (before any request is served) call it with no cut-off; while serving, only
    entries older than a grace period may be swept since uploads may be in flight."""
    journalled = deps.catalog.journal_entries(older_than)
    if not journalled:
        return 0  # the usual start-up: nothing to ask the catalog (a million rows or not)
    referenced = deps.catalog.referenced_among(journalled)
    settled = 0
    for key in journalled:
        if key not in referenced:
            deps.storage.delete(key)
        deps.catalog.journal_remove(key)
        settled += 1
    return settled


def clear_staging(deps: Deps) -> int:
    """Remove staging and spool files left by requests a crash interrupted (call before
    serving)."""
    removed = 0
    for folder in ("staging", "spool"):
        path = deps.settings.tmp_dir / folder
        if not path.is_dir():
            continue
        for leftover in path.iterdir():
            if leftover.is_file():
                leftover.unlink(missing_ok=True)
                removed += 1
    return removed


def fsck(
    deps: Deps,
    *,
    repair: bool = False,
    verify_etags: bool = True,
    progress: Callable[[int], None] | None = None,
) -> FsckReport:
    """Every asset's original exists with the recorded bytes and etag; no blob lacks a record.

    Repair (safe only): delete orphan blobs, settle stale journal entries and forget damaged
    derivatives (they are rendered again). Assets whose bytes are missing or differ are
    reported, never deleted."""
    report = FsckReport()
    if repair:
        sweep_journal(deps, deps.now() - JOURNAL_GRACE)
    _check_assets(deps, report, verify_etags, progress)
    _check_backups(deps, report)
    _check_derived(deps, report, verify_etags, repair)
    _check_orphans(deps, report, repair)
    return report


def _check_assets(
    deps: Deps, report: FsckReport, verify_etags: bool, progress: Callable[[int], None] | None
) -> None:
    storage = deps.storage
    for asset in deps.catalog.iter_all_assets():
        report.assets_checked += 1
        if progress:
            progress(report.assets_checked)
        if asset.placeholder:
            continue
        key = asset.storage_key
        label = f"cloud {asset.cloud_id} {asset.resource_type}/{asset.type}/{asset.public_id}"
        if not storage.exists(key):
            report.problems.append(Problem("missing_blob", key, f"{label}: original is missing"))
            continue
        size = storage.size(key)
        if size != asset.bytes:
            report.problems.append(
                Problem("size_mismatch", key, f"{label}: {size} bytes, catalog says {asset.bytes}")
            )
            continue
        if verify_etags and storage.md5(key) != asset.etag:
            report.problems.append(Problem("etag_mismatch", key, f"{label}: etag differs"))


def _check_backups(deps: Deps, report: FsckReport) -> None:
    """Backed-up versions (``services.backups``) must still have their bytes."""
    for backup in deps.catalog.iter_backups():
        label = f"cloud {backup.cloud_id} {backup.resource_type}/{backup.type}/{backup.public_id}"
        where = f"{label} backup {backup.version_id}"
        if not deps.storage.exists(backup.storage_key):
            report.problems.append(
                Problem("missing_blob", backup.storage_key, f"{where} is missing")
            )
        elif deps.storage.size(backup.storage_key) != backup.bytes:
            report.problems.append(
                Problem("size_mismatch", backup.storage_key, f"{where}: size differs")
            )


def _check_derived(deps: Deps, report: FsckReport, verify_etags: bool, repair: bool) -> None:
    """Derivatives are written without fsync (``services.derive``): one a power loss left
    missing, short or changed is reported and, with ``repair``, forgotten (its record and
    blob deleted), so that the next request renders it again."""
    storage = deps.storage
    for record in deps.catalog.iter_all_derived():
        key = record.storage_key
        where = f"derivative {record.transformation} of asset {record.asset_pk}"
        if not storage.exists(key):
            problem = Problem("missing_blob", key, f"{where} is missing")
        elif storage.size(key) != record.bytes:
            problem = Problem("size_mismatch", key, f"{where}: size differs")
        elif verify_etags and storage.md5(key) != record.etag:
            problem = Problem("etag_mismatch", key, f"{where}: etag differs")
        else:
            continue
        if repair:
            deps.catalog.delete_derived(
                record.asset_pk, derived_ids=[record.derived_id], now=deps.now()
            )
            storage.delete(key)
            deps.catalog.journal_remove(key)
            problem.repaired = True
        report.problems.append(problem)


def _check_orphans(deps: Deps, report: FsckReport, repair: bool) -> None:
    referenced = deps.catalog.referenced_storage_keys()
    journalled = set(deps.catalog.journal_entries())
    for key in deps.storage.iter_keys():
        report.blobs_seen += 1
        if key in referenced:
            continue
        if key in journalled:
            # an upload in flight (or a crash younger than the grace period)
            report.problems.append(Problem("stale_journal", key, "blob of an unfinished upload"))
            continue
        problem = Problem("orphan_blob", key, "blob without a catalog record")
        if repair:
            deps.storage.delete(key)
            problem.repaired = True
        report.problems.append(problem)
