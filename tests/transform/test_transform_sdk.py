"""Every transformation the SDK writes parses, and serializes back to the SDK's own string.

Two sources: the recorded vectors of ``shared/reference/sdk-url-vectors.json`` (URLs built by
pycloudinary; copied beside this file as ``sdk_url_vectors.json`` because CI runs from a clean
clone without ``shared/``) and live calls to the installed SDK's
``generate_transformation_string``.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cloudinary.utils import generate_transformation_string

from cloudlet.transform import is_component, parse_transformation, serialize

VECTORS_FILE = Path(__file__).with_name("sdk_url_vectors.json")
SHARED_FILE = Path(__file__).resolve().parents[3] / "shared/reference/sdk-url-vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))

# Where the SDK's string is not the canonical one, and why.
NOT_CANONICAL = {
    # ``raw_transformation`` is appended verbatim after the sorted parameters; canonical
    # order sorts every parameter by code.
    "w_100,g_north_west": "g_north_west,w_100",
}


def transformation_of(vector: dict[str, Any]) -> str:
    """The transformation part of a vector's URL, found from the URL's known structure."""
    options = vector["options"]
    if "url_suffix" in options:
        return ""  # SEO URLs: none of these vectors has a transformation
    segments = urlsplit(vector["url"]).path.strip("/").split("/")
    if segments[0] == "test123":
        segments = segments[1:]
    if segments[0] in ("image", "video", "raw"):
        segments = segments[2:]
    elif segments[0] == "iu":
        segments = segments[1:]
    segments = segments[: -(vector["public_id"].count("/") + 1)]
    if segments and re.fullmatch(r"s--[\w-]+--", segments[0]):
        segments = segments[1:]
    if segments and re.fullmatch(r"v\d+", segments[-1]):
        segments = segments[:-1]
    return "/".join(segments)


def _id(vector: dict[str, Any]) -> str:
    return f"{vector['source']}:{transformation_of(vector) or '-'}"


@pytest.mark.parametrize("vector", VECTORS, ids=[_id(v) for v in VECTORS])
def test_vector_parses_and_serializes_to_the_sdk_string(vector: dict[str, Any]) -> None:
    text = transformation_of(vector)
    parsed = parse_transformation(text)
    assert serialize(parsed) == NOT_CANONICAL.get(text, text)
    assert parse_transformation(serialize(parsed)) == parsed


@pytest.mark.parametrize("vector", VECTORS, ids=[_id(v) for v in VECTORS])
def test_is_component_finds_exactly_the_transformation(vector: dict[str, Any]) -> None:
    text = transformation_of(vector)
    path = urlsplit(vector["url"]).path.strip("/").split("/")
    found = [segment for segment in path if is_component(segment)]
    assert "/".join(found) == text


def test_the_vectors_cover_many_transformations() -> None:
    assert len([v for v in VECTORS if transformation_of(v)]) >= 60


def test_the_copy_matches_the_shared_reference() -> None:
    if not SHARED_FILE.exists():
        message = f"no shared/ reference beside the checkout ({SHARED_FILE})"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI runs with shared/ beside the clone: nothing may skip
        pytest.skip(message)
    assert json.loads(SHARED_FILE.read_text(encoding="utf-8")) == VECTORS


# pycloudinary option dicts → generate_transformation_string → our canonical string.
SDK_OPTIONS: list[dict[str, Any]] = [
    {"width": 100, "height": 100, "crop": "fill"},
    {"width": 0.5, "crop": "scale"},
    {"width": "auto", "crop": "limit", "dpr": "auto"},
    {"crop": "pad", "width": 300, "height": 200, "background": "#112233", "gravity": "north"},
    {"crop": "thumb", "gravity": "faces", "width": 150, "height": 150, "zoom": 0.75},
    {"crop": "crop", "width": 200, "height": 200, "gravity": "xy_center", "x": 100, "y": -20},
    {"aspect_ratio": "16:9", "crop": "fill", "width": 400, "gravity": "auto"},
    {"quality": "auto:eco", "fetch_format": "auto"},
    {"quality": 80, "flags": ["progressive", "strip_profile"]},
    {"radius": "max", "effect": "sepia", "border": {"width": 3, "color": "#ff0000"}},
    {"angle": ["auto_right", 90]},
    {"effect": ["blur", 300], "opacity": 50},
    {"effect": {"brightness": 30}},
    {
        "overlay": {"public_id": "folder/logo", "type": "private"},
        "width": 100,
        "gravity": "south_east",
        "x": 10,
        "y": 10,
    },
    {
        "overlay": {
            "font_family": "Arial",
            "font_size": 40,
            "font_weight": "bold",
            "text_decoration": "underline",
            "letter_spacing": 2,
            "text": "Hello, World/!",
        },
        "color": "#00FF00",
    },
    {"underlay": {"resource_type": "video", "public_id": "intro"}},
    {"overlay": {"url": "https://example.com/logos/a b.png"}},
    {"default_image": "avatar.png", "width": 100},
    {"transformation": ["blip", "blop"]},
    {"page": 2, "density": 300},
    {"start_offset": "35%", "width": 300, "crop": "fill"},
    {"offset": [1.5, 3], "duration": 5},
    {
        "video_codec": {"codec": "h264", "profile": "baseline", "level": "3.1"},
        "audio_codec": "aac",
        "bit_rate": "1m",
        "fps": [24, 30],
    },
    {"if": "width > 400", "crop": "scale", "width": 400},
    {"variables": [["$w", 200]], "width": "$w * 2", "crop": "scale"},
    {
        "transformation": [{"crop": "fill", "width": 300, "height": 300}, {"effect": "grayscale"}],
        "fetch_format": "webp",
    },
    {"color_space": "srgb", "delay": 200, "prefix": "sprite"},
    {"keyframe_interval": 2, "streaming_profile": "hd", "video_sampling": 20},
    {"custom_function": {"function_type": "wasm", "source": "blur.wasm"}},
    {"size": "200x100", "crop": "lfill", "gravity": "face"},
    {"width": "iw * 0.5", "height": "ih_div_2"},
    {"background": "auto:predominant", "crop": "lpad", "width": 400, "height": 400},
    {"effect": "tint:100:green:red"},
    {"crop": "mpad", "width": 300, "height": 300, "background": "rgb:FEB61FC2"},
    {"dpr": 2.0, "width": 100, "crop": "scale"},
    {"zoom": 1.5, "gravity": "face", "crop": "crop"},
    {"quality": "jpegmini:1", "flags": "attachment:my_report"},
    {"x": 0.1, "y": 0.2, "gravity": "north_east"},
    {"angle": -45, "radius": [10, 20]},
    {"overlay": "text:Arial_20:Hi", "flags": "layer_apply", "gravity": "south"},
    {"$second": 1, "$first": 2, "width": "$first"},
]


@pytest.mark.parametrize("options", SDK_OPTIONS, ids=[str(i) for i in range(len(SDK_OPTIONS))])
def test_sdk_generated_transformation_round_trips(options: dict[str, Any]) -> None:
    text, _ = generate_transformation_string(**copy.deepcopy(options))
    assert text, "the options must produce a transformation"
    parsed = parse_transformation(text)
    assert serialize(parsed) == text
    assert parse_transformation(serialize(parsed)) == parsed
