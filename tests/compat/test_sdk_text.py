"""Images from text through the real SDK (``uploader.text``)."""

from __future__ import annotations

from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips
from cloudinary.exceptions import BadRequest, Error
from tests.compat.helpers import make_png


def test_text_image_with_style(sdk: object) -> None:
    result = cloudinary.uploader.text(
        "Hello World",
        public_id="text/hello",
        font_family="Arial",
        font_size=24,
        font_color="red",
        font_weight="bold",
        font_style="italic",
        background="#ffffff",
        opacity=100,
        text_decoration="underline",
    )
    assert result["public_id"] == "text/hello" and result["version"]
    assert result["width"] > 50 and result["height"] > 10 and result["format"] == "png"
    image = pyvips.Image.new_from_buffer(httpx.get(result["url"]).content, "")
    assert (image.width, image.height) == (result["width"], result["height"])
    r, g, b = (image.extract_band(i).max() for i in range(3))
    assert r == 255  # red glyphs on white
    reddest = image.extract_band(0) - image.extract_band(1)
    assert reddest.max() > 150  # some pixels are clearly red
    small = cloudinary.uploader.text("Hello World", public_id="text/hello")
    assert small["width"] < result["width"]  # 12 px default: the same id, overwritten
    assert cloudinary.api.resource("text/hello")["version"] == small["version"]


def test_text_defaults_and_errors(sdk: object) -> None:
    plain = cloudinary.uploader.text("x")
    assert plain["width"] > 1 and plain["height"] > 1
    with pytest.raises(BadRequest, match="font_color"):
        cloudinary.uploader.text("x", font_color="notacolour")
    with pytest.raises(BadRequest, match="font_weight"):
        cloudinary.uploader.text("x", font_weight="heavyish")
    with pytest.raises(Error, match="text"):
        cloudinary.uploader.text("")


def _image(url: str) -> pyvips.Image:
    response = httpx.get(url)
    assert response.status_code == 200, response.headers.get("x-cld-error")
    return pyvips.Image.new_from_buffer(response.content, "")


def test_text_image_public_id_is_an_overlay_style(sdk: object, tmp_path: Path) -> None:
    cloudinary.uploader.text(
        "Style", public_id="bigred", font_family="DejaVu Sans", font_size=40, font_color="red"
    )
    base = cloudinary.uploader.upload(str(make_png(tmp_path / "base.png", 400, 200)))
    styled = _image(cloudinary.utils.cloudinary_url(base["public_id"], overlay="text:bigred:Hi")[0])
    inline = _image(
        cloudinary.utils.cloudinary_url(
            base["public_id"], overlay="text:DejaVu Sans_40:Hi", color="red"
        )[0]
    )
    assert (styled.width, styled.height) == (400, 200)
    assert (styled.flatten() - inline.flatten()).abs().max() < 8  # the same red 40 px text
    reddest = styled.extract_band(0) - styled.extract_band(1)
    assert reddest.max() > 150
    blue = _image(
        cloudinary.utils.cloudinary_url(base["public_id"], overlay="text:bigred:Hi", color="blue")[
            0
        ]
    )
    assert (blue.extract_band(2) - blue.extract_band(0)).max() > 150  # co_ wins over the style


def test_unknown_text_style_is_a_404(sdk: object, tmp_path: Path) -> None:
    base = cloudinary.uploader.upload(str(make_png(tmp_path / "base.png")))
    url = cloudinary.utils.cloudinary_url(base["public_id"], overlay="text:nosuchstyle:Hi")[0]
    response = httpx.get(url)
    assert response.status_code == 404
    assert "nosuchstyle" in response.headers["x-cld-error"]
