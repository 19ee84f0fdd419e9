"""Delivery URL parsing (delivery/url.py), table-driven, and cross-checked against the SDK."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import unquote, urlsplit

import cloudinary.utils
import pytest
import urllib3

from cloudlet.delivery.signatures import delivery_signature, verify_delivery_signature
from cloudlet.delivery.url import (
    DeliveryPathError,
    DeliveryRequest,
    looks_like_transformation,
    parse_delivery_path,
)

SECRET = "abcdeFGHijkLMNop"


def _req(
    public_path: str,
    *,
    raw: str | None = None,
    cloud: str = "demo",
    resource_type: str = "image",
    kind: str = "upload",
    signature: str | None = None,
    transformations: tuple[str, ...] = (),
    version: int | None = None,
) -> DeliveryRequest:
    return DeliveryRequest(
        cloud=cloud,
        resource_type=resource_type,
        type=kind,
        signature=signature,
        transformations=transformations,
        version=version,
        public_path=public_path,
        raw_public_path=public_path if raw is None else raw,
    )


PARSE_CASES = [
    # (raw path, expected request)
    ("/demo/image/upload/sample.jpg", _req("sample.jpg")),
    ("demo/image/upload/sample.jpg", _req("sample.jpg")),
    ("/demo/image/upload/sample", _req("sample")),
    ("/demo/image/upload/v123/sample.jpg", _req("sample.jpg", version=123)),
    ("/demo/image/upload/v1/folder/x.png", _req("folder/x.png", version=1)),
    ("/demo/image/upload/v1/a/b/c/d.webp", _req("a/b/c/d.webp", version=1)),
    ("/demo/image/upload/v999999999999/x.png", _req("x.png", version=999999999999)),
    ("/demo/image/upload/folder/x.png", _req("folder/x.png")),
    ("/demo/image/upload/s--abcdefgh--/sample.jpg", _req("sample.jpg", signature="s--abcdefgh--")),
    (
        "/demo/image/upload/s--AbC_-123--/v7/sample.jpg",
        _req("sample.jpg", signature="s--AbC_-123--", version=7),
    ),
    (
        "/demo/image/upload/s--DzcgQehMnNYBdsUeG6mrQCBd7_y3lU6V--/c_scale,w_100/v5/sample.webp",
        _req(
            "sample.webp",
            signature="s--DzcgQehMnNYBdsUeG6mrQCBd7_y3lU6V--",
            transformations=("c_scale,w_100",),
            version=5,
        ),
    ),
    (
        "/demo/image/upload/c_fill,w_100/e_sepia/v5/sample.jpg",
        _req("sample.jpg", transformations=("c_fill,w_100", "e_sepia"), version=5),
    ),
    (
        "/demo/image/upload/c_fill,w_100/e_sepia/sample.jpg",
        _req("sample.jpg", transformations=("c_fill,w_100", "e_sepia")),
    ),
    (
        "/demo/image/upload/s--abcdefgh--/c_fill,w_100/e_sepia/sample.jpg",
        _req(
            "sample.jpg",
            signature="s--abcdefgh--",
            transformations=("c_fill,w_100", "e_sepia"),
        ),
    ),
    (
        "/demo/image/upload/c_fill,w_50/v1/f/sub/x",
        _req("f/sub/x", transformations=("c_fill,w_50",), version=1),
    ),
    # a transformation-looking folder after the version belongs to the public id
    ("/demo/image/upload/w_100/v1/w_100/x.jpg", _req("w_100/x.jpg", transformations=("w_100",), version=1)),  # noqa: E501
    ("/demo/image/upload/v1/v2/x.jpg", _req("v2/x.jpg", version=1)),
    # a last segment is always the public id, even if it reads as a version or transformation
    ("/demo/image/upload/v2", _req("v2")),
    ("/demo/image/upload/w_100", _req("w_100")),
    ("/demo/image/upload/w_100/c_crop", _req("c_crop", transformations=("w_100",))),
    # not a version: too many digits, or letters
    ("/demo/image/upload/v1234567890123/x.png", _req("v1234567890123/x.png")),
    ("/demo/image/upload/v1a/x.png", _req("v1a/x.png")),
    # not a signature: too short, too long, or bad characters
    ("/demo/image/upload/s--abc--/x.png", _req("s--abc--/x.png")),
    ("/demo/image/upload/s--abc+defgh--/x.png", _req("s--abc+defgh--/x.png")),
    (f"/demo/image/upload/s--{'a' * 33}--/x.png", _req(f"s--{'a' * 33}--/x.png")),
    # named, variable and conditional components
    (
        "/demo/image/upload/t_thumb/$w_100/if_w_gt_100,c_scale/x.jpg",
        _req("x.jpg", transformations=("t_thumb", "$w_100", "if_w_gt_100,c_scale")),
    ),
    (
        "/demo/image/upload/l_text:Arial_20:Hello%20World/sample.png",
        _req("sample.png", transformations=("l_text:Arial_20:Hello%20World",)),
    ),
    # percent-encoded public ids: decoded for lookup, raw kept for signatures
    ("/demo/image/upload/a%20b.jpg", _req("a b.jpg", raw="a%20b.jpg")),
    (
        "/demo/image/upload/v3/my%20file%20%C3%BC%2B%26%3D.jpg",
        _req("my file ü+&=.jpg", raw="my%20file%20%C3%BC%2B%26%3D.jpg", version=3),
    ),
    ("/demo/image/upload/f%C3%B6lder/%E5%86%99.png", _req("földer/写.png", raw="f%C3%B6lder/%E5%86%99.png")),  # noqa: E501
    ("/demo/image/upload/100%25.jpg", _req("100%.jpg", raw="100%25.jpg")),
    # other resource types and delivery types
    ("/demo/raw/upload/doc.pdf", _req("doc.pdf", resource_type="raw")),
    ("/demo/raw/upload/v3/files/doc.tar.gz", _req("files/doc.tar.gz", resource_type="raw", version=3)),  # noqa: E501
    ("/demo/video/upload/v1/clip.mp4", _req("clip.mp4", resource_type="video", version=1)),
    ("/demo/image/private/s--abcdefgh--/w_100/sample", _req("sample", kind="private", signature="s--abcdefgh--", transformations=("w_100",))),  # noqa: E501
    ("/demo/image/authenticated/x.jpg", _req("x.jpg", kind="authenticated")),
    ("/my-cloud_2/image/upload/x.jpg", _req("x.jpg", cloud="my-cloud_2")),
    ("/my%2Dcloud/image/upload/x.jpg", _req("x.jpg", cloud="my-cloud")),
]  # fmt: skip


@pytest.mark.parametrize(("path", "expected"), PARSE_CASES)
def test_parse_delivery_path(path: str, expected: DeliveryRequest) -> None:
    parsed = parse_delivery_path(path)
    assert replace(parsed, raw_path="") == expected
    # the whole path as received, for auth tokens
    assert parsed.raw_path == "/" + path.lstrip("/")


BAD_PATHS = [
    "",
    "/",
    "/demo",
    "/demo/image",
    "/demo/image/upload",
    "/demo/image/upload/",
    "//image/upload/x.jpg",
    "/demo//upload/x.jpg",
    "/demo/image//x.jpg",
    "/demo/image/upload/s--abcdefgh--",
    "/demo/image/upload/s--abcdefgh--/",
    "/demo/image/upload/v1/",
    "/demo/image/upload/c_fill,w_100/",
    "/demo/image/upload/a//b.jpg",
    "/demo/image/upload/v1/folder/",
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_parse_delivery_path_refuses(path: str) -> None:
    with pytest.raises(DeliveryPathError):
        parse_delivery_path(path)


def test_delivery_path_error_is_a_value_error() -> None:
    assert issubclass(DeliveryPathError, ValueError)


TO_SIGN_CASES = [
    # (raw path, to_sign, versioned)
    ("/demo/image/upload/sample.jpg", "sample.jpg", False),
    ("/demo/image/upload/v123/sample.jpg", "sample.jpg", True),
    ("/demo/image/upload/v1/folder/x.png", "folder/x.png", True),
    ("/demo/image/upload/s--abcdefgh--/sample.jpg", "sample.jpg", False),
    ("/demo/image/upload/s--abcdefgh--/c_fill,w_100/e_sepia/v9/x.jpg", "c_fill,w_100/e_sepia/x.jpg", True),  # noqa: E501
    ("/demo/image/upload/c_fill,w_100/e_sepia/x.jpg", "c_fill,w_100/e_sepia/x.jpg", False),
    ("/demo/image/upload/a%20b.jpg", "a%20b.jpg", False),
    ("/demo/image/upload/l_text:Arial_20:Hi%20there/v2/a%2Bb.png", "l_text:Arial_20:Hi%20there/a%2Bb.png", True),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("path", "to_sign", "versioned"), TO_SIGN_CASES)
def test_to_sign_is_transformations_and_raw_public_path_without_version(
    path: str, to_sign: str, versioned: bool
) -> None:
    parsed = parse_delivery_path(path)
    assert parsed.to_sign == to_sign
    assert parsed.versioned is versioned


LOOKS_LIKE_CASES = [
    ("c_fill,w_100", True),
    ("w_100", True),
    ("e_sepia", True),
    ("fl_attachment:my%20file", True),
    ("t_named", True),
    ("$var_3", True),
    ("if_w_gt_100", True),
    ("folder", False),
    ("v1", False),
    ("folder_name", False),
    ("W_100", False),
    ("c_fill,folder", False),
    ("", False),
]


@pytest.mark.parametrize(("segment", "expected"), LOOKS_LIKE_CASES)
def test_looks_like_transformation(segment: str, expected: bool) -> None:
    assert looks_like_transformation(segment) is expected


# ------------------------------------------------------------- against the real SDK

SDK_CASES: list[tuple[str, dict[str, Any]]] = [
    ("sample", {"format": "jpg"}),
    ("sample.jpg", {}),
    ("sample", {"format": "jpg", "version": 123}),
    ("folder/x", {"format": "png"}),
    ("folder/sub/x", {"format": "png", "version": 1700000000}),
    ("sample", {"format": "jpg", "transformation": [{"crop": "fill", "width": 100}, {"effect": "sepia"}]}),  # noqa: E501
    ("sample", {"format": "webp", "crop": "scale", "width": 100, "version": 5}),
    ("f/sub/x", {"crop": "fill", "width": 50}),
    ("my file ü+&=", {"format": "jpg"}),
    ("a%20b", {"format": "jpg"}),
    ("日本/写真", {"format": "png", "width": 10, "crop": "scale"}),
    ("doc.pdf", {"resource_type": "raw"}),
    ("files/doc.tar.gz", {"resource_type": "raw", "version": 3}),
    ("clip", {"resource_type": "video", "format": "mp4", "width": 320, "crop": "scale"}),
    ("sample", {"type": "private", "transformation": [{"width": 100}]}),
    ("sample", {"type": "authenticated", "format": "png", "raw_transformation": "w_100,e_blur:300"}),  # noqa: E501
    ("sample", {"format": "png", "overlay": {"font_family": "Arial", "font_size": 20, "text": "Hi there, 100%"}}),  # noqa: E501
    ("sample", {"format": "jpg", "long_url_signature": True}),
    ("sample", {"format": "jpg", "width": 100, "crop": "fit", "long_url_signature": True, "version": 9}),  # noqa: E501
    ("sample", {"format": "jpg", "signature_algorithm": "sha256"}),
]  # fmt: skip


def _sdk_url(public_id: str, options: dict[str, Any]) -> str:
    url, _ = cloudinary.utils.cloudinary_url(
        public_id, cloud_name="demo", sign_url=True, api_secret=SECRET, **options
    )
    assert isinstance(url, str)
    return url


def _wire_path(url: str) -> str:
    """The path as an HTTP client sends it (urllib3 quotes what may not go on the wire)."""
    path = urllib3.util.parse_url(url).path
    assert path is not None
    return path


@pytest.mark.parametrize(("public_id", "options"), SDK_CASES)
def test_sdk_signed_urls_parse_and_verify(public_id: str, options: dict[str, Any]) -> None:
    url = _sdk_url(public_id, options)
    parsed = parse_delivery_path(_wire_path(url))
    assert parsed.cloud == "demo"
    assert parsed.resource_type == options.get("resource_type", "image")
    assert parsed.type == options.get("type", "upload")
    assert parsed.signature is not None and parsed.signature in url
    # pycloudinary signs the unescaped text, which every HTTP client then percent-encodes
    assert any(
        verify_delivery_signature(parsed.signature, candidate, SECRET)
        for candidate in parsed.to_sign_candidates
    )
    assert not verify_delivery_signature(parsed.signature, parsed.to_sign, SECRET + "x")


@pytest.mark.parametrize(("public_id", "options"), SDK_CASES)
def test_sdk_urls_give_back_the_public_id_and_version(
    public_id: str, options: dict[str, Any]
) -> None:
    parsed = parse_delivery_path(_wire_path(_sdk_url(public_id, options)))
    fmt = options.get("format")
    # the SDK percent-decodes a public id before escaping it: "a%20b" is delivered as "a b"
    expected = unquote(public_id)
    assert parsed.public_path == (f"{expected}.{fmt}" if fmt else expected)
    # the SDK adds /v1/ to public ids with a folder so they are not read as transformations
    default_version = 1 if "/" in public_id else None
    assert parsed.version == options.get("version", default_version)


@pytest.mark.parametrize(
    ("public_id", "options"), [case for case in SDK_CASES if "version" in case[1]]
)
def test_sdk_signature_does_not_cover_the_version(public_id: str, options: dict[str, Any]) -> None:
    parsed = parse_delivery_path(_wire_path(_sdk_url(public_id, options)))
    assert parsed.signature is not None
    with_version = "/".join([*parsed.transformations, f"v{parsed.version}", parsed.raw_public_path])
    assert not verify_delivery_signature(parsed.signature, with_version, SECRET)


def test_sdk_signature_matches_ours_for_the_parsed_path() -> None:
    parsed = parse_delivery_path(
        _wire_path(_sdk_url("folder/x", {"format": "png", "width": 10, "crop": "scale"}))
    )
    assert parsed.signature == delivery_signature(parsed.to_sign, SECRET)


def test_a_tampered_transformation_does_not_verify() -> None:
    url = _sdk_url("sample", {"format": "jpg", "width": 100, "crop": "scale"})
    parsed = parse_delivery_path(_wire_path(url).replace("w_100", "w_2000"))
    assert parsed.signature is not None
    assert not verify_delivery_signature(parsed.signature, parsed.to_sign, SECRET)


def test_a_moved_public_id_does_not_verify() -> None:
    url = _sdk_url("sample", {"format": "jpg"})
    parsed = parse_delivery_path(_wire_path(url).replace("sample.jpg", "other.jpg"))
    assert parsed.signature is not None
    assert not verify_delivery_signature(parsed.signature, parsed.to_sign, SECRET)


def test_unsigned_sdk_urls_parse_without_signature() -> None:
    url, _ = cloudinary.utils.cloudinary_url(
        "folder/x", cloud_name="demo", format="png", width=100, crop="scale"
    )
    parsed = parse_delivery_path(_wire_path(url))
    assert parsed.signature is None
    assert parsed.transformations == ("c_scale,w_100",)
    assert parsed.version == 1
    assert parsed.public_path == "folder/x.png"


@pytest.mark.parametrize(
    "overlay", ["text:Arial_20:Hello World", "text:Arial_20:Grüße"], ids=["space", "non-ascii"]
)
def test_sdk_signed_url_with_unescaped_text_overlay_verifies_as_sent(overlay: str) -> None:
    url = _sdk_url("sample", {"format": "png", "overlay": overlay})
    wire = _wire_path(url)
    assert wire != urlsplit(url).path  # the client quoted what the SDK left unescaped
    parsed = parse_delivery_path(wire)
    assert parsed.signature is not None
    # pycloudinary signs the unescaped text, which every HTTP client then percent-encodes
    assert any(
        verify_delivery_signature(parsed.signature, candidate, SECRET)
        for candidate in parsed.to_sign_candidates
    )
