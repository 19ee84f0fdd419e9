"""Clouds (product environments): creation, credentials and the SDK configuration line."""

from __future__ import annotations

import re
import secrets
import string

from cloudlet.catalog.model import Cloud
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.services.deps import Deps

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SECRET_ALPHABET = string.ascii_letters + string.digits + "-_"

# Settings every cloud has, with their defaults; the Admin API's config?settings=true shows them.
DEFAULT_CLOUD_SETTINGS: dict[str, object] = {
    "folder_mode": "fixed",
    "strict_transformations": False,
    "invalidate_versioned_urls": False,
    "signature_algorithm": "sha1",
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
    return create_cloud(deps, name), True


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
