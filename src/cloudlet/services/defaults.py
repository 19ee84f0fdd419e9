"""``d_`` (default image): what to deliver when the requested image does not exist.

``…/image/upload/d_avatar.png,w_100,h_100,c_fill/users/42.jpg`` delivers ``users/42`` when it
exists, and otherwise the uploaded image ``avatar`` with the same transformation. The rules:

* the default is looked for among the cloud's ``image``/``upload`` assets. ``d_`` names it
  with its extension (``d_avatar.png``: public id ``avatar``) or by its bare public id; folders
  are written with ``:`` (``d_people:avatar.png`` is ``people/avatar``);
* the output format is the requested URL's extension (``42.jpg`` gives a JPEG of the
  default), else the extension written in ``d_``, else the default's own format;
* if the default is missing too, the answer is the usual 404 for the requested id;
* only image URLs fall back (a missing video or raw file stays a 404).

Storage: the render is stored as a derivative *of the default image* (keyed by the whole
transformation, ``d_`` included), so every missing id sharing a URL shape shares one render,
it is listed under the default image and goes when the default changes. Cloudinary caches
the derived default under the requested URL instead; Cloudlet does not, so that once the
missing image is uploaded its URL serves it at once. For the same reason the response is
never marked immutable, even on a versioned URL.
"""

from __future__ import annotations

from cloudlet.catalog.model import Asset, Cloud
from cloudlet.delivery.url import DeliveryRequest
from cloudlet.services.deps import Deps
from cloudlet.transform import TransformationError, parse_transformation
from cloudlet.transform.model import AssetRef


def default_image(deps: Deps, cloud: Cloud, request: DeliveryRequest) -> tuple[Asset, str] | None:
    """The default image a missing image's URL names in ``d_``, with the format to deliver it
    in; None when the URL has no ``d_``, is not an image URL, or the default is missing."""
    if request.resource_type != "image" or not request.transformations:
        return None
    ref = _reference(request)
    if ref is None:
        return None
    stem, dot, ext = ref.public_id.rpartition(".")
    candidates = [(stem, ext.lower())] if dot and stem and "/" not in ext else []
    candidates.append((ref.public_id, ""))
    found = deps.catalog.get_assets_by_public_ids(
        cloud.id, "image", "upload", [public_id for public_id, _ in candidates], with_tags=False
    )
    by_id = {asset.public_id: asset for asset in found}
    for public_id, written in candidates:
        if public_id in by_id:
            return by_id[public_id], _requested_format(request) or written
    return None


def _reference(request: DeliveryRequest) -> AssetRef | None:
    try:
        transformation = parse_transformation("/".join(request.transformations))
    except TransformationError:
        return None  # not a transformation at all: the plain 404 stands
    for component in transformation:
        ref = component.typed("default_image", AssetRef)
        if ref is not None:
            return ref
    return None


def _requested_format(request: DeliveryRequest) -> str:
    stem, dot, ext = request.public_path.rpartition(".")
    return ext.lower() if dot and stem and "/" not in ext else ""
