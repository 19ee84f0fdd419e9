"""Transformations end to end: SDK-built URLs render, derivatives are cached and listed,
eager/explicit, named transformations, strict mode, signed URLs."""

from __future__ import annotations

import io
from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips
from cloudinary.exceptions import BadRequest, NotFound
from tests.compat.helpers import make_png
from tests.compat.server import CLOUD, Server


def size_of(content: bytes) -> tuple[int, int]:
    image = pyvips.Image.new_from_buffer(content, "")
    return image.width, image.height


def loader_of(content: bytes) -> str:
    return str(pyvips.Image.new_from_buffer(content, "").get("vips-loader"))


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_png(tmp_path_factory.mktemp("tx") / "photo.png", 400, 300)


@pytest.fixture()
def uploaded(sdk: object, photo: Path) -> dict:
    return cloudinary.uploader.upload(str(photo), public_id="tx/photo")


def url(public_id: str, **options: object) -> str:
    return cloudinary.utils.cloudinary_url(public_id, **options)[0]


def test_sdk_urls_render_expected_size_and_format(uploaded: dict) -> None:
    cases = [
        ({"width": 100, "crop": "scale"}, (100, 75), "png"),
        ({"width": 120, "height": 120, "crop": "fill"}, (120, 120), "png"),
        ({"width": 200, "height": 200, "crop": "fit", "format": "jpg"}, (200, 150), "jpeg"),
        ({"width": 200, "height": 200, "crop": "pad", "format": "webp"}, (200, 200), "webp"),
        ({"width": 1000, "crop": "limit"}, (400, 300), "png"),
        ({"transformation": [{"width": 200, "crop": "scale"}, {"angle": 90}]}, (150, 200), "png"),
    ]
    for options, expected_size, loader in cases:
        response = httpx.get(url("tx/photo", format=options.pop("format", "png"), **options))
        assert response.status_code == 200, (options, response.text)
        assert size_of(response.content) == expected_size, options
        assert loader in loader_of(response.content), options


def test_format_from_extension_and_f_auto(uploaded: dict) -> None:
    as_jpg = httpx.get(url("tx/photo", format="jpg"))
    assert as_jpg.headers["content-type"] == "image/jpeg"
    negotiated = httpx.get(
        url("tx/photo", fetch_format="auto", width=50, crop="scale"),
        headers={"Accept": "image/webp,*/*"},
    )
    assert negotiated.headers["content-type"] == "image/webp"
    assert "Accept" in negotiated.headers["vary"]


def test_derivative_is_rendered_once_and_listed(uploaded: dict, server: Server) -> None:
    first = httpx.get(url("tx/photo", width=90, crop="scale", format="png"))
    reordered = f"{server.base_url}/{CLOUD}/image/upload/w_90,c_scale/v1/tx/photo.png"
    second = httpx.get(reordered)
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    derived = cloudinary.api.resource("tx/photo")["derived"]
    assert [d["transformation"] for d in derived].count("c_scale,w_90") == 1
    assert httpx.get(derived[0]["url"]).status_code == 200


def test_bad_transformation_is_400_with_x_cld_error(uploaded: dict, server: Server) -> None:
    response = httpx.get(f"{server.base_url}/{CLOUD}/image/upload/w_abc/v1/tx/photo.png")
    assert response.status_code == 400
    assert "width" in response.headers["x-cld-error"]


def test_eager_on_upload_and_explicit(sdk: object, photo: Path) -> None:
    result = cloudinary.uploader.upload(
        str(photo),
        public_id="tx/eager",
        eager=[{"width": 50, "crop": "scale"}, {"width": 30, "crop": "scale", "format": "jpg"}],
    )
    assert [(e["width"], e["format"]) for e in result["eager"]] == [(50, "png"), (30, "jpg")]
    assert httpx.get(result["eager"][1]["url"]).headers["content-type"] == "image/jpeg"
    explicit = cloudinary.uploader.explicit(
        "tx/eager", type="upload", eager=[{"width": 70, "crop": "scale"}], tags=["ex"]
    )
    assert explicit["eager"][0]["width"] == 70 and explicit["tags"] == ["ex"]
    assert len(cloudinary.api.resource("tx/eager")["derived"]) == 3
    with pytest.raises(NotFound, match="Resource not found"):
        cloudinary.uploader.explicit("tx/missing", type="upload", eager=[{"width": 10}])


def test_named_transformations(sdk: object, uploaded: dict) -> None:
    cloudinary.api.create_transformation("small_square", "c_fill,h_40,w_40")
    got = cloudinary.api.transformation("small_square")
    assert got["named"] is True and got["allowed_for_strict"] is False
    response = httpx.get(url("tx/photo", transformation="small_square", format="png"))
    assert size_of(response.content) == (40, 40)
    cloudinary.api.update_transformation(
        "small_square", unsafe_update={"width": 20, "height": 20, "crop": "fill"}
    )
    assert size_of(
        httpx.get(url("tx/photo", transformation="small_square", format="png")).content
    ) == (20, 20)
    assert "small_square" in str(cloudinary.api.transformations())
    cloudinary.api.delete_transformation("small_square")
    with pytest.raises(NotFound):
        cloudinary.api.transformation("small_square")
    assert (
        httpx.get(url("tx/photo", transformation="small_square", format="png")).status_code == 400
    )


def test_strict_transformations(sdk: object, server: Server, photo: Path) -> None:
    cloudinary.uploader.upload(str(photo), public_id="tx/strict")
    server.cli("clouds", "settings", CLOUD, "strict_transformations=true")
    try:
        refused = httpx.get(url("tx/strict", width=33, crop="scale", format="png"))
        assert refused.status_code == 401
        assert "not allowed" in refused.headers["x-cld-error"]
        signed = httpx.get(url("tx/strict", width=33, crop="scale", format="png", sign_url=True))
        assert signed.status_code == 200 and size_of(signed.content) == (33, 25)
        assert httpx.get(url("tx/strict", width=33, crop="scale", format="png")).status_code == 200
        cloudinary.uploader.explicit(
            "tx/strict", type="upload", eager=[{"width": 44, "crop": "scale"}]
        )
        assert httpx.get(url("tx/strict", width=44, crop="scale", format="png")).status_code == 200
        cloudinary.api.create_transformation("strict_ok", "c_scale,w_22")
        named_url = url("tx/strict", transformation="strict_ok", format="png")
        assert httpx.get(named_url).status_code == 401  # not yet allowed for strict
        cloudinary.api.update_transformation("strict_ok", allowed_for_strict=True)
        assert httpx.get(named_url).status_code == 200
    finally:
        server.cli("clouds", "settings", CLOUD, "strict_transformations=false")


def test_overwrite_drops_stale_derivatives(sdk: object, photo: Path, tmp_path: Path) -> None:
    cloudinary.uploader.upload(
        str(photo), public_id="tx/over", eager=[{"width": 10, "crop": "scale"}]
    )
    smaller = make_png(tmp_path / "s.png", 100, 50)
    cloudinary.uploader.upload(str(smaller), public_id="tx/over")
    assert cloudinary.api.resource("tx/over")["derived"] == []
    fresh = httpx.get(url("tx/over", width=10, crop="scale", format="png"))
    assert size_of(fresh.content) == (10, 5)


def test_delete_derivatives(sdk: object, photo: Path, server: Server) -> None:
    result = cloudinary.uploader.upload(
        str(photo),
        public_id="tx/deldrv",
        eager=[{"width": 11, "crop": "scale"}, {"width": 12, "crop": "scale"}],
    )
    derived = cloudinary.api.resource("tx/deldrv")["derived"]
    cloudinary.api.delete_derived_resources([derived[0]["id"]])
    assert len(cloudinary.api.resource("tx/deldrv")["derived"]) == 1
    cloudinary.api.delete_resources(["tx/deldrv"], keep_original=True)
    assert cloudinary.api.resource("tx/deldrv")["derived"] == []
    assert httpx.get(result["url"]).status_code == 200
    assert server.cli("fsck").returncode == 0


def test_transformations_refused_on_raw(sdk: object, tmp_path: Path, server: Server) -> None:
    note = tmp_path / "n.txt"
    note.write_text("x")
    raw = cloudinary.uploader.upload(str(note), resource_type="raw", public_id="tx/n.txt")
    response = httpx.get(raw["url"].replace("/raw/upload/", "/raw/upload/w_10/"))
    assert response.status_code in (400, 404)
    _ = io
    with pytest.raises(BadRequest):
        cloudinary.uploader.upload(str(note), resource_type="raw", eager=[{"width": 10}])
