"""Authentication of Upload API (signatures, unsigned presets) and Admin API (basic auth) calls."""

from __future__ import annotations

import hmac
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cloudlet.catalog.model import Cloud, UploadPreset
from cloudlet.delivery import signatures
from cloudlet.errors import AuthenticationError, BadRequestError
from cloudlet.services.deps import Deps

# pycloudinary 1.46.3 sends these on tags/context/metadata without signing them (protocol §2.1)
NON_SIGNABLE_BY_ACTION: dict[str, tuple[str, ...]] = {
    "tags": ("notification_url", "batch_id"),
    "context": ("notification_url", "batch_id"),
    "metadata": ("notification_url", "batch_id"),
}


@dataclass(frozen=True)
class UploadAuth:
    """How an Upload API call was authorised."""

    signed: bool
    preset: UploadPreset | None


def authenticate_admin(cloud: Cloud, api_key: str | None, api_secret: str | None) -> None:
    """Check Admin API basic-auth credentials against the cloud's."""
    if not api_key:
        raise AuthenticationError("Must supply api_key")
    if not hmac.compare_digest(api_key.encode(), cloud.api_key.encode()):
        raise AuthenticationError(f"Unknown API key {api_key}")
    if not api_secret:
        raise AuthenticationError("Must supply api_secret")
    if not hmac.compare_digest(api_secret.encode(), cloud.api_secret.encode()):
        raise AuthenticationError("api_secret mismatch")


def authenticate_upload(
    deps: Deps,
    cloud: Cloud,
    action: str,
    signable: Mapping[str, str | Sequence[str]],
    *,
    basic_auth: tuple[str, str] | None = None,
) -> UploadAuth:
    """Authorise an Upload API call: signed with the cloud's secret, basic auth, or unsigned
    through an unsigned upload preset. Raises AuthenticationError with Cloudinary's texts."""
    preset = _named_preset(deps, cloud, signable)
    if basic_auth is not None:
        authenticate_admin(cloud, *basic_auth)
        return UploadAuth(signed=True, preset=preset)
    signature = _scalar(signable.get("signature"))
    api_key = _scalar(signable.get("api_key"))
    if not signature and not api_key:
        return UploadAuth(signed=False, preset=_unsigned_preset(action, preset, signable))
    if not api_key:
        raise AuthenticationError("Must supply api_key")
    if not hmac.compare_digest(api_key.encode(), cloud.api_key.encode()):
        raise AuthenticationError(f"Unknown API key {api_key}")
    if not signature:
        raise AuthenticationError("Missing required parameter - signature")
    check_timestamp(signable, deps.now(), deps.settings.timestamp_window_s)
    _check_signature(cloud, action, signable, signature)
    return UploadAuth(signed=True, preset=preset)


def _check_signature(
    cloud: Cloud, action: str, signable: Mapping[str, str | Sequence[str]], signature: str
) -> None:
    non_signable: Collection[str] = NON_SIGNABLE_BY_ACTION.get(action, ())
    if cloud.settings.get("signature_algorithm") == "sha256" and len(signature) != 64:
        raise AuthenticationError("Invalid Signature: this cloud accepts only SHA-256 signatures")
    if not signatures.verify_api_signature(
        signable, cloud.api_secret, signature, non_signable=non_signable
    ):
        raise AuthenticationError(signatures.api_signature_error(signable, signature))


def check_timestamp(
    signable: Mapping[str, str | Sequence[str]], now: datetime, window_s: int
) -> None:
    """The ``timestamp`` must be present and within ``window_s`` of now (either side)."""
    raw = _scalar(signable.get("timestamp"))
    if not raw:
        raise AuthenticationError("Missing required parameter - timestamp")
    try:
        stamp = int(float(raw))
    except (ValueError, OverflowError) as exc:  # "inf", "1e400" overflow
        raise AuthenticationError(f"Invalid timestamp {raw!r}") from exc
    reported = _reported_time(stamp)
    delta = now.timestamp() - stamp
    if delta > window_s:
        raise AuthenticationError(
            f"Stale request - reported time is {reported} which is more than 1 hour ago"
        )
    if -delta > window_s:
        raise AuthenticationError(
            f"Stale request - reported time is {reported} which is more than 1 hour ahead"
        )


def _reported_time(stamp: int) -> str:
    """The timestamp as Cloudinary's messages show it; the number itself when it is beyond
    the years a datetime holds (a timestamp of 1e15 is a clear "stale", not an error)."""
    try:
        return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
    except (ValueError, OverflowError, OSError):
        return str(stamp)


def _named_preset(
    deps: Deps, cloud: Cloud, signable: Mapping[str, str | Sequence[str]]
) -> UploadPreset | None:
    name = _scalar(signable.get("upload_preset"))
    if not name:
        return None
    preset = deps.catalog.get_preset(cloud.id, name)
    if preset is None:
        raise BadRequestError(f"Upload preset not found: {name}")
    return preset


def _unsigned_preset(
    action: str, preset: UploadPreset | None, signable: Mapping[str, str | Sequence[str]]
) -> UploadPreset:
    if action != "upload":
        raise AuthenticationError("Must supply api_key")
    if preset is None:
        raise BadRequestError("Upload preset must be specified when using unsigned upload")
    if not preset.unsigned:
        raise BadRequestError(
            f"Upload preset must be whitelisted for unsigned uploads: {preset.name}"
        )
    return preset


def _scalar(value: str | Sequence[str] | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ",".join(value)


def require_cloud(deps: Deps, name: str) -> Cloud:
    """Look up the cloud named in the URL; 401 ``Invalid cloud_name`` like Cloudinary.
    Remembered until the catalog's generation moves on (any committed write, a key rotation
    or settings change among them; other nodes' writes within ``hit_cache_check_ms``): one
    transaction fewer per API call."""
    cloud = deps.catalog.get_cloud_remembered(name)
    if cloud is None:
        raise AuthenticationError(f"Invalid cloud_name {name}")
    return cloud
