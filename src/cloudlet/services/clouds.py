"""Clouds (product environments): creation, credentials and the SDK configuration line."""

from __future__ import annotations

import re
import secrets
import string

from cloudlet.catalog.model import Cloud
from cloudlet.errors import AlreadyExistsError, BadRequestError, NotFoundError
from cloudlet.services.deps import Deps

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RESERVED_NAMES = {"console"}  # /console is the Media Explorer, not a cloud's delivery path
_SECRET_ALPHABET = string.ascii_letters + string.digits + "-_"

# Settings every cloud has, with their defaults; the Admin API's config?settings=true shows them.
DEFAULT_CLOUD_SETTINGS: dict[str, object] = {
    "folder_mode": "fixed",
    "strict_transformations": False,
    "invalidate_versioned_urls": False,
    "signature_algorithm": "sha1",
    "backup": False,  # keep overwritten and deleted versions (services.backups)
    "resource_list": False,  # GET /{cloud}/{rt}/list/{tag}.json, restricted like Cloudinary's
    "invalidate_signed_urls": False,  # CDN invalidations also cover s--…-- URLs
    "bulk_invalidation": False,  # Admin API deletes by prefix, tag or all may invalidate
    "notification_url": "",  # webhook for every notification a call gives no URL for
}


def new_api_key() -> str:
    """15 random digits, the shape of Cloudinary's API keys."""
    return str(secrets.randbelow(9 * 10**14) + 10**14)


def new_api_secret() -> str:
    """27 random URL-safe characters, the shape of Cloudinary's API secrets."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(27))


def create_cloud(
    deps: Deps, name: str, api_key: str | None = None, api_secret: str | None = None
) -> Cloud:
    """Create a cloud with the given or fresh credentials; AlreadyExistsError if taken."""
    if not _NAME.match(name):
        raise BadRequestError(
            f"Invalid cloud name {name!r}: use 1-64 lowercase letters, digits, '-' or '_'"
        )
    if name in RESERVED_NAMES:
        raise BadRequestError(f"The cloud name {name!r} is reserved")
    if api_key is not None and not re.fullmatch(r"[A-Za-z0-9_-]{6,64}", api_key):
        raise BadRequestError("api_key must be 6-64 letters, digits, '-' or '_'")
    if api_secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{8,128}", api_secret):
        raise BadRequestError("api_secret must be 8-128 letters, digits, '-' or '_'")
    return deps.catalog.create_cloud(name, api_key or new_api_key(), api_secret or new_api_secret())


def ensure_cloud(deps: Deps, name: str) -> tuple[Cloud, bool]:
    """The named cloud, creating it with fresh credentials if absent; (cloud, created)."""
    existing = deps.catalog.get_cloud(name)
    if existing is not None:
        return existing, False
    try:
        return create_cloud(deps, name), True
    except AlreadyExistsError:  # another node starting at the same moment made it
        existing = deps.catalog.get_cloud(name)
        if existing is None:
            raise
        return existing, False


def rotate_secret(deps: Deps, name: str) -> Cloud:
    """Give the cloud a new API secret; the old one stops working at once."""
    if deps.catalog.get_cloud(name) is None:
        raise NotFoundError(f"Unknown cloud {name!r}")
    return deps.catalog.set_cloud_secret(name, new_api_secret())


def cloud_settings(cloud: Cloud) -> dict[str, object]:
    """The cloud's settings with defaults filled in."""
    return {**DEFAULT_CLOUD_SETTINGS, **cloud.settings}


def cloudinary_url(cloud: Cloud, base_url: str) -> str:
    """The ``CLOUDINARY_URL`` that points the official SDKs at this server."""
    host = base_url.split("://", 1)[-1].rstrip("/")
    return (
        f"cloudinary://{cloud.api_key}:{cloud.api_secret}@{cloud.name}"
        f"?upload_prefix={base_url.rstrip('/')}&cname={host}"
    )


SETTABLE = {
    "folder_mode": ("fixed",),
    "signature_algorithm": ("sha1", "sha256"),
    "strict_transformations": (True, False),
    "invalidate_versioned_urls": (True, False),
    "backup": (True, False),
    "auth_token_key": None,  # any hex string
    "resource_list": (True, False),
    "invalidate_signed_urls": (True, False),
    "bulk_invalidation": (True, False),
    "notification_url": (),  # an http(s) URL, or empty to unset
}


def update_settings(deps: Deps, name: str, assignments: list[str]) -> Cloud:
    """Apply ``key=value`` assignments to a cloud's settings; returns the updated cloud."""
    cloud = deps.catalog.get_cloud(name)
    if cloud is None:
        raise NotFoundError(f"Unknown cloud {name!r}")
    changes = dict(_parse_assignment(item) for item in assignments)
    if not changes:
        return cloud
    return deps.catalog.update_cloud_settings(name, changes)


def _parse_assignment(item: str) -> tuple[str, object]:
    key, sep, raw = item.partition("=")
    if not sep or key not in SETTABLE:
        raise BadRequestError(f"Unknown setting {key!r}; settable: {', '.join(sorted(SETTABLE))}")
    value: object = {"true": True, "false": False}.get(raw.lower(), raw)
    allowed = SETTABLE[key]
    if key == "notification_url":
        if raw and not re.fullmatch(r"https?://[^\s/]+\S*", raw):
            raise BadRequestError(f"{key} must be an http:// or https:// URL (or empty)")
        return key, raw
    if allowed is None:
        if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", raw):
            raise BadRequestError(f"{key} must be a hex string")
    elif value not in allowed:
        choices = ", ".join(str(a).lower() for a in allowed)
        raise BadRequestError(f"Invalid value for {key}: {raw!r} (expected {choices})")
    return key, value
