"""Upload presets through the Admin API: list, create, get, update, delete."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cloudlet.catalog.model import Cloud, UploadPreset
from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.services.deps import Deps
from cloudlet.services.ids import random_public_id
from cloudlet.services.values import as_bool, as_int, as_str

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
# Parameters that describe the preset itself rather than the uploads it shapes.
_PRESET_KEYS = {"name", "unsigned", "timestamp", "signature", "api_key", "live"}


def preset_json(preset: UploadPreset) -> dict[str, Any]:
    """The Admin API shape of a preset."""
    return {
        "name": preset.name,
        "unsigned": preset.unsigned,
        "settings": dict(preset.settings),
    }


def _upload_settings(params: Mapping[str, Any]) -> dict[str, Any]:
    # "_path"/"_method" are the web layer's routing details, never upload settings
    return {
        k: v
        for k, v in params.items()
        if k not in _PRESET_KEYS and not k.startswith("_") and v is not None
    }


def create_preset(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /upload_presets`` → ``{"message": "created", "name": …}``."""
    name = as_str(params, "name") or random_public_id(8)
    if not _NAME.match(name):
        raise BadRequestError(f"Invalid upload preset name {name!r}")
    deps.catalog.create_preset(
        cloud.id, name, as_bool(params, "unsigned"), _upload_settings(params)
    )
    return {"message": "created", "name": name}


def get_preset(deps: Deps, cloud: Cloud, name: str) -> dict[str, Any]:
    """``GET /upload_presets/{name}``."""
    preset = deps.catalog.get_preset(cloud.id, name)
    if preset is None:
        raise NotFoundError(f"Upload preset {name} not found")
    return preset_json(preset)


def list_presets(deps: Deps, cloud: Cloud, params: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /upload_presets``: paged."""
    page = deps.catalog.list_presets(
        cloud.id,
        max_results=as_int(params, "max_results", 10, minimum=1, maximum=500) or 10,
        cursor=as_str(params, "next_cursor"),
    )
    body: dict[str, Any] = {"presets": [preset_json(p) for p in page.items]}
    if page.next_cursor:
        body["next_cursor"] = page.next_cursor
    return body


def update_preset(deps: Deps, cloud: Cloud, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /upload_presets/{name}`` → ``{"message": "updated"}``."""
    if deps.catalog.get_preset(cloud.id, name) is None:
        raise NotFoundError(f"Upload preset {name} not found")
    unsigned = as_bool(params, "unsigned") if "unsigned" in params else None
    deps.catalog.update_preset(cloud.id, name, unsigned, _upload_settings(params))
    return {"message": "updated"}


def delete_preset(deps: Deps, cloud: Cloud, name: str) -> dict[str, Any]:
    """``DELETE /upload_presets/{name}`` → ``{"message": "deleted"}``."""
    if not deps.catalog.delete_preset(cloud.id, name):
        raise NotFoundError(f"Upload preset {name} not found")
    return {"message": "deleted"}
