"""Pure parts of sprites, multi and archives: the transformation recipe, CSS, archive names."""

from __future__ import annotations

import pytest

from cloudlet.errors import BadRequestError
from cloudlet.services.archives import _Namer
from cloudlet.services.sprites import css_class, sprite_css
from cloudlet.services.tag_outputs import parse_recipe, source_tag


@pytest.mark.parametrize(
    ("text", "per_image", "fmt", "delay", "canonical"),
    [
        ("", "", None, None, ""),
        ("w_100", "w_100", None, None, "w_100"),
        ("f_jpg,w_100", "w_100", "jpg", None, "f_jpg,w_100"),
        ("c_scale,w_0.5/dl_200,f_gif", "c_scale,w_0.5", "gif", 200, "c_scale,w_0.5/dl_200,f_gif"),
        ("w_100,c_scale", "c_scale,w_100", None, None, "c_scale,w_100"),
    ],
)
def test_parse_recipe(
    text: str, per_image: str, fmt: str | None, delay: int | None, canonical: str
) -> None:
    recipe = parse_recipe(text)
    assert (recipe.per_image, recipe.format, recipe.delay, recipe.canonical) == (
        per_image,
        fmt,
        delay,
        canonical,
    )


def test_parse_recipe_refuses_bad_text() -> None:
    with pytest.raises(BadRequestError):
        parse_recipe("w_abc")


def test_source_tag() -> None:
    assert source_tag({"tag": "x"}) == "x"
    with pytest.raises(BadRequestError, match="Missing required parameter - tag"):
        source_tag({})
    with pytest.raises(BadRequestError, match="not both"):
        source_tag({"tag": "x", "urls": ["http://a/b.png"]})
    with pytest.raises(BadRequestError, match="not supported"):
        source_tag({"urls": ["http://a/b.png"]})


def test_css_class_and_rules() -> None:
    assert css_class("logos", "brands/a.b c") == "logos-brands_a_b_c"
    css = sprite_css("s", "http://h/s.png", {"a": {"width": 3, "height": 4, "x": 0, "y": 7}})
    assert (
        ".s-a { background: url('http://h/s.png') no-repeat; width: 3px; height: 4px; "
        "background-position: 0 -7px; }" in css
    )


def test_namer_counts_conflicts_before_the_extension() -> None:
    namer = _Namer()
    names = [namer.unique(n) for n in ("a.jpg", "a.jpg", "a.jpg", "d/b", "d/b", "x.y/c")]
    assert names == ["a.jpg", "a-1.jpg", "a-2.jpg", "d/b", "d/b-1", "x.y/c"]
    assert namer.unique("x.y/c") == "x.y/c-1"
