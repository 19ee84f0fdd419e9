"""Derived assets: render a transformation of an asset once, store it, serve it from then on.

The cache key is (asset, version, canonical transformation, output format): ``w_100,c_fill``
and ``c_fill,w_100`` are one derivative, and an overwrite (new version) renders afresh.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cloudlet.catalog.model import Asset, Cloud, Derived
from cloudlet.errors import AuthenticationError, BadRequestError, NotFoundError
from cloudlet.imaging.faces import FaceBox, detect_faces
from cloudlet.imaging.pipeline import (
    Rendered,
    RenderLimits,
    negotiated_format,
    render,
)
from cloudlet.imaging.text_image import TextImageStyle, style_from_saved
from cloudlet.services import faces, ids, named, render_claims, stills
from cloudlet.services.clouds import cloud_settings
from cloudlet.services.deps import Deps
from cloudlet.transform import TransformationError, parse_transformation, serialize
from cloudlet.transform.model import Transformation


@dataclass(frozen=True)
class Request:
    """What a render is asked for."""

    transformation: Transformation
    canonical: str
    format: str
    negotiated: bool  # the format depends on the Accept header (f_auto)
    strict_ok: bool  # only named transformations marked allowed_for_strict


def parse_request(
    deps: Deps,
    cloud: Cloud,
    text: str,
    asset: Asset,
    requested_format: str | None,
    accept: str,
) -> Request:
    """Parse, expand ``t_<name>`` and canonicalise a transformation; 400 naming the bad
    parameter otherwise. The key is the expanded form, so editing a named transformation
    takes effect for URLs that use it."""
    try:
        parsed = parse_transformation(text)
    except TransformationError as exc:
        raise BadRequestError(str(exc)) from None
    transformation, strict_ok = named.expand(deps, cloud, parsed)
    canonical = serialize(transformation)
    if asset.resource_type == "video":
        stills.check_still_request(transformation, requested_format)
    animated = (asset.pages or 1) > 1 and asset.format in ("gif", "webp")
    fmt = negotiated_format(
        transformation, requested_format, asset.format, accept, animated=animated
    )
    return Request(transformation, canonical, fmt, "f_auto" in canonical, strict_ok)


def derive(
    deps: Deps,
    cloud: Cloud,
    asset: Asset,
    request: Request,
    *,
    allowed: bool,
    accept: str = "",
    force: bool = False,
) -> Derived:
    """The stored render for the request, rendering it first if needed.

    ``allowed`` says whether this caller may create a new derivative when the cloud has
    strict transformations on (eager/explicit calls and signed URLs may). ``force`` renders
    again even if the derivative exists (explicit's eager, as the seed describes)."""
    if asset.resource_type not in ("image", "video"):
        raise BadRequestError(f"Transformations of {asset.resource_type} assets are not supported")
    catalog = deps.catalog
    if not force:
        found = catalog.get_derived(asset.id, asset.version_id, request.canonical, request.format)
        if found is not None:
            if deps.storage.intact(found.storage_key, found.bytes):
                return found
            # recorded, but its blob did not survive a power loss (see _store): render it
            # again and replace it, as allowed as its first render was
            force = allowed = True
    strict = cloud_settings(cloud).get("strict_transformations")
    if strict and not (allowed or request.strict_ok):
        raise AuthenticationError(f"Transformation {request.canonical} is not allowed")
    key = (asset.id, asset.version_id, request.canonical, request.format, force)
    timeout_s = deps.settings.render_timeout_s

    def once_everywhere(produce: Callable[[], Derived]) -> Derived:
        # identical requests in other processes and on other nodes render once too
        def stored() -> Derived | None:
            return catalog.get_derived(
                asset.id, asset.version_id, request.canonical, request.format
            )

        # a forced render (explicit's eager) must not settle for the derivative it replaces
        return render_claims.once_everywhere(
            deps, render_claims.claim_key(key), produce, stored, timeout_s, recheck=not force
        )

    return deps.renders.run(
        key,
        lambda: _rendered(deps, cloud, asset, request, accept),
        lambda rendered: _store(deps, cloud, asset, request, rendered, force),
        timeout_s,
        guard=once_everywhere,
    )


def _rendered(deps: Deps, cloud: Cloud, asset: Asset, request: Request, accept: str) -> Rendered:
    source = deps.storage.local_path(asset.storage_key)
    if source is None:
        raise NotFoundError(f"Resource not found - {asset.public_id}")
    started = time.perf_counter()
    try:
        rendered = _render(deps, cloud, asset, request, accept, source)
    except BadRequestError:
        if not source.exists():  # deleted or overwritten since it was looked up
            raise NotFoundError(f"Resource not found - {asset.public_id}") from None
        raise
    if deps.metrics is not None:
        deps.metrics.observe_render(time.perf_counter() - started)
    return rendered


def _render(
    deps: Deps, cloud: Cloud, asset: Asset, request: Request, accept: str, source: Path
) -> Rendered:
    # RenderError is a typed 400 (404 for a missing layer) with a public message
    with stills.render_source(deps, asset, source, request.transformation) as (image, chain):
        return render(
            image,
            chain,
            requested_format=request.format,
            source_format=asset.format if image == source else "jpg",
            accept=accept,
            load_layer=lambda rt, kind, public_id: _layer_path(deps, cloud, rt, kind, public_id),
            faces=lambda: _faces(deps, asset, image),
            custom_coordinates=_boxes(asset.extra.get("custom_coordinates")),
            limits=RenderLimits(max_source_pixels=deps.settings.max_source_pixels),
            load_text_style=lambda public_id: _text_style(deps, cloud, public_id),
            webp_effort=deps.settings.webp_effort,
        )


def _store(
    deps: Deps, cloud: Cloud, asset: Asset, request: Request, rendered: Rendered, force: bool
) -> Derived:
    """Write the blob, then record it. The blob is not fsynced (``durable=False``): a
    derivative can be rendered again, and ``derive`` checks the recorded size before serving
    one, so a power loss that leaves a record pointing at a missing or short file costs a
    render, never a truncated answer. The journal entry (committed before the write) lets a
    restart or ``fsck`` remove a blob whose record a crash kept from being written."""
    data = rendered.data
    derived_id = ids.new_hex_id()
    key = f"{cloud.id}/derived/{derived_id[:2]}/{derived_id}"
    catalog, storage = deps.catalog, deps.storage
    catalog.journal_add(key, deps.now())
    storage.put_bytes(key, data, durable=False)
    try:
        record, loser = catalog.put_derived(
            asset.id,
            asset.version_id,
            request.canonical,
            request.format,
            storage_key=key,
            bytes=len(data),
            width=rendered.width,
            height=rendered.height,
            etag=hashlib.md5(data, usedforsecurity=False).hexdigest(),
            now=deps.now(),
            replace=force,
        )
    except NotFoundError:  # the asset was deleted while it rendered
        storage.delete(key)
        catalog.journal_remove(key)
        raise
    if loser is not None:
        storage.delete(loser)
        catalog.journal_remove(loser)
    return record


def _layer_path(
    deps: Deps, cloud: Cloud, resource_type: str, kind: str, public_id: str
) -> Path | None:
    layer = deps.catalog.get_asset(cloud.id, resource_type, kind, public_id)
    return None if layer is None else deps.storage.local_path(layer.storage_key)


def _text_style(deps: Deps, cloud: Cloud, public_id: str) -> TextImageStyle | None:
    """The style saved with the text image ``public_id`` (made by the ``text`` method)."""
    asset = deps.catalog.get_asset(cloud.id, "image", "upload", public_id)
    saved = asset.extra.get("text_style") if asset is not None else None
    return style_from_saved(saved) if isinstance(saved, dict) else None


def _faces(deps: Deps, asset: Asset, source: Path) -> list[FaceBox]:
    """The asset's faces: set by the user, else detected (at upload, or now and remembered);
    a video still's are found in the still itself."""
    if asset.resource_type == "video":
        return detect_faces(source)
    return [FaceBox(*box) for box in faces.face_boxes(deps, asset, source)]


def _boxes(value: object) -> list[tuple[int, int, int, int]] | None:
    if not isinstance(value, list):
        return None
    return [(int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in value if len(b) == 4]
