"""``d_`` default image: a missing image's URL delivers the default with the same
transformation; the render is a derivative of the default, never cached as the missing id."""

from __future__ import annotations

from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips
from tests.compat.helpers import make_png


def url(public_id: str, **options: object) -> str:
    return cloudinary.utils.cloudinary_url(public_id, **options)[0]


def image_of(response: httpx.Response) -> pyvips.Image:
    assert response.status_code == 200, response.text
    return pyvips.Image.new_from_buffer(response.content, "")


@pytest.fixture()
def avatar(sdk: object, tmp_path: Path) -> dict:
    path = make_png(tmp_path / "avatar.png", 50, 40)
    return cloudinary.uploader.upload(str(path), public_id="defaults/avatar")


def test_missing_image_delivers_the_default_transformed(avatar: dict) -> None:
    missing = url(
        "users/nobody", default_image="defaults:avatar.png", width=20, crop="scale", format="jpg"
    )
    assert ",d_defaults:avatar.png," in missing
    response = httpx.get(missing)
    image = image_of(response)
    assert response.headers["content-type"] == "image/jpeg"
    assert (image.width, image.height) == (20, 16)
    direct = image_of(httpx.get(url("defaults/avatar", width=20, crop="scale", format="jpg")))
    assert abs(image.avg() - direct.avg()) < 2
    derived = cloudinary.api.resource("defaults/avatar")["derived"]
    assert ("c_scale,d_defaults:avatar.png,w_20", "jpg") in [
        (d["transformation"], d["format"]) for d in derived
    ]
    with pytest.raises(cloudinary.exceptions.NotFound):
        cloudinary.api.resource("users/nobody")


def test_without_extension_the_format_written_in_d_is_used(avatar: dict) -> None:
    response = httpx.get(url("users/noext", default_image="defaults:avatar.png", width=10))
    assert response.headers["content-type"] == "image/png"
    assert image_of(response).width == 10
    bare = httpx.get(url("users/noext", default_image="defaults:avatar", angle=90))
    assert bare.headers["content-type"] == "image/png"
    assert (image_of(bare).width, image_of(bare).height) == (40, 50)


def test_an_existing_image_ignores_the_default(avatar: dict, tmp_path: Path) -> None:
    real = make_png(tmp_path / "real.png", 30, 30)
    cloudinary.uploader.upload(str(real), public_id="users/real")
    response = httpx.get(url("users/real", default_image="defaults:avatar.png", format="png"))
    assert (image_of(response).width, image_of(response).height) == (30, 30)


def test_uploading_the_missing_image_takes_over_at_once(avatar: dict, tmp_path: Path) -> None:
    link = url("users/later", default_image="defaults:avatar.png", format="png", version=3)
    placeholder = httpx.get(link)
    assert image_of(placeholder).width == 50
    assert "immutable" not in placeholder.headers["cache-control"]
    cloudinary.uploader.upload(str(make_png(tmp_path / "l.png", 33, 22)), public_id="users/later")
    assert image_of(httpx.get(link)).width == 33


def test_missing_default_and_non_image_urls_stay_404(avatar: dict) -> None:
    assert httpx.get(url("users/x", default_image="defaults:nope.png", width=10)).status_code == 404
    video = url("users/x", resource_type="video", default_image="defaults:avatar.png", width=10)
    assert httpx.get(video).status_code == 404
