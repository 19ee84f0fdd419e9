"""Images from text through the real SDK (``uploader.text``)."""

from __future__ import annotations

import cloudinary.api
import cloudinary.uploader
import httpx
import pytest
import pyvips
from cloudinary.exceptions import BadRequest, Error


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
