"""Records the catalog stores and returns: plain frozen dataclasses, no database types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Cloud:
    """A product environment: its own credentials, settings and assets."""

    id: int
    name: str
    api_key: str
    api_secret: str
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True)
class Asset:
    """The current state of one asset (one row per cloud/resource_type/type/public_id)."""

    id: int  # internal surrogate key, never shown
    cloud_id: int
    asset_id: str  # 32 lowercase hex, stable across overwrites and renames
    resource_type: str  # image | video | raw
    type: str  # upload | private | authenticated
    public_id: str
    version: int  # unix seconds of the upload (bumped to stay strictly increasing)
    version_id: str  # 32 lowercase hex, one per version
    format: str  # "" for raw assets without extension
    bytes: int
    width: int | None
    height: int | None
    pages: int | None
    duration: float | None
    etag: str  # md5 hex of the original's bytes
    storage_key: str  # blob key of the current original
    original_filename: str
    asset_folder: str
    display_name: str
    placeholder: bool
    access_mode: str  # "public" (only value for now)
    tags: tuple[str, ...]  # sorted
    context: dict[str, str]  # custom context key -> value
    extra: dict[str, Any]  # everything else: headers, face/custom coordinates, media info ...
    created_at: datetime  # of the current version (aware, UTC)
    uploaded_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AssetVersion:
    """One uploaded version of an asset; ``storage_key`` is None once its bytes are gone."""

    asset_pk: int
    version: int
    version_id: str
    storage_key: str | None
    bytes: int
    etag: str
    format: str
    width: int | None
    height: int | None
    created_at: datetime


@dataclass(frozen=True)
class Derived:
    """One rendered transformation of one version of an asset."""

    derived_id: str  # 32 hex, the Admin API's ``derived[].id``
    asset_pk: int
    version_id: str
    transformation: str  # canonical transformation text
    format: str
    storage_key: str
    bytes: int
    width: int
    height: int
    etag: str
    created_at: datetime


@dataclass(frozen=True)
class RemovedAsset:
    """An asset as it was when it was deleted, with the renders it had then (what caches in
    front of Cloudlet may still hold, and what a ``delete`` notification describes)."""

    asset: Asset
    derived: tuple[Derived, ...] = ()


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook notification: where it goes, what it says, and how delivering it went."""

    id: int
    cloud_id: int
    notification_type: str
    url: str
    body: dict[str, Any]
    status: str  # pending | delivered | failed
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    claimed_until: datetime | None = None  # a worker is sending it until then
    cloud: str = ""  # the cloud's name


@dataclass(frozen=True)
class NamedTransformation:
    """A transformation saved under a name, used in URLs as ``t_<name>``."""

    name: str
    transformation: str  # canonical form
    allowed_for_strict: bool
    created_at: datetime


@dataclass(frozen=True)
class UploadPreset:
    """A named set of upload parameters; unsigned presets allow uploads without a signature."""

    cloud_id: int
    name: str
    unsigned: bool
    settings: dict[str, Any]


@dataclass
class NewAsset:
    """What the upload service hands the catalog to create or overwrite an asset."""

    resource_type: str
    type: str
    public_id: str
    version_id: str
    format: str
    bytes: int
    width: int | None
    height: int | None
    pages: int | None
    duration: float | None
    etag: str
    storage_key: str
    original_filename: str
    asset_folder: str
    display_name: str
    tags: list[str]
    context: dict[str, str]
    extra: dict[str, Any]
    # structured metadata (field id → value) replacing the asset's; None leaves it as it is
    metadata: dict[int, Any] | None = None
    asset_id: str | None = None  # kept by a restore; None: a fresh random id
    min_version: int = 0  # a restore's version must exceed every backed-up one


@dataclass(frozen=True)
class Page:
    """One page of a listing: items plus the opaque cursor of the next page (None at the end)."""

    items: list[Any]
    next_cursor: str | None
