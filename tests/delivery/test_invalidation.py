"""The URLs an invalidation removes: one case per cell of the seed's table, plus formats,
derivatives and signed URLs (checked against the SDK's own URL builder)."""

from __future__ import annotations

import cloudinary.utils
import pytest

from cloudlet.delivery.invalidation import Target, invalidation_paths, smart_escape
from cloudlet.delivery.url import parse_delivery_path

SECRET = "abcdeFGHijkLMNop"
SDK = {"cloud_name": "demo", "api_secret": SECRET, "api_key": "1", "secure": False}


def target(public_id: str, **changes: object) -> Target:
    values: dict[str, object] = {
        "cloud": "demo",
        "resource_type": "image",
        "type": "upload",
        "public_id": public_id,
        "version": 1712345678,
        "format": "png",
    }
    values.update(changes)
    return Target(**values)  # type: ignore[arg-type]


# the seed's table: (public id, "Invalidate versioned URLs", the original's URLs invalidated)
TABLE = [
    ("sample", False, ["/demo/image/upload/sample", "/demo/image/upload/sample.png"]),
    (
        "sample",
        True,
        ["/demo/image/upload/v1712345678/sample", "/demo/image/upload/v1712345678/sample.png"],
    ),
    ("f/sample", False, ["/demo/image/upload/v1/f/sample", "/demo/image/upload/v1/f/sample.png"]),
    (
        "f/sample",
        True,
        ["/demo/image/upload/v1712345678/f/sample", "/demo/image/upload/v1712345678/f/sample.png"],
    ),
]


@pytest.mark.parametrize(("public_id", "versioned", "expected"), TABLE)
def test_the_seed_table(public_id: str, versioned: bool, expected: list[str]) -> None:
    assert invalidation_paths(target(public_id), versioned_urls=versioned) == expected


@pytest.mark.parametrize(("public_id", "versioned", "expected"), TABLE)
def test_no_other_version_form_is_invalidated(
    public_id: str, versioned: bool, expected: list[str]
) -> None:
    paths = invalidation_paths(
        target(public_id, derived=[("c_scale,w_100", "png")]), versioned_urls=versioned
    )
    versions = {parse_delivery_path(p).version for p in paths}
    if versioned:
        assert versions == {1712345678}
    elif "/" in public_id:
        assert versions == {1}
    else:
        assert versions == {None}


def test_every_derivative_in_every_format_it_may_have_been_asked_for() -> None:
    derived = [("c_scale,w_100", "png"), ("c_scale,w_100", "webp"), ("", "jpg")]
    paths = invalidation_paths(target("s", derived=derived), versioned_urls=False)
    assert paths == [
        "/demo/image/upload/s",
        "/demo/image/upload/s.png",
        "/demo/image/upload/c_scale,w_100/s",
        "/demo/image/upload/c_scale,w_100/s.png",
        "/demo/image/upload/c_scale,w_100/s.webp",
        "/demo/image/upload/s.jpg",
        "/demo/image/upload/s.jpeg",
        "/demo/image/upload/s.jpe",
    ]


def test_jpeg_originals_and_f_auto_renders() -> None:
    paths = invalidation_paths(
        target("s", format="jpg", derived=[("f_auto,w_50", "avif")]), versioned_urls=False
    )
    assert "/demo/image/upload/s.jpeg" in paths
    # an f_auto URL may carry the original's extension, the output's, or none
    for tail in ("f_auto,w_50/s", "f_auto,w_50/s.jpg", "f_auto,w_50/s.avif"):
        assert f"/demo/image/upload/{tail}" in paths


def test_only_renders_when_the_original_stays() -> None:
    paths = invalidation_paths(
        target("s", original=False, derived=[("w_10", "png")]), versioned_urls=False
    )
    assert paths == ["/demo/image/upload/w_10/s", "/demo/image/upload/w_10/s.png"]


def test_raw_files_keep_their_extension_in_the_public_id() -> None:
    raw = target("docs/a.pdf", resource_type="raw", format="")
    assert invalidation_paths(raw, versioned_urls=False) == ["/demo/raw/upload/v1/docs/a.pdf"]


def test_public_ids_are_escaped_like_the_sdks() -> None:
    assert smart_escape("a b/ü~x:y.z-_") == "a%20b/%C3%BC%7Ex:y.z-_"
    url = cloudinary.utils.cloudinary_url("a b~ü", format="png", **SDK)[0]
    assert url.endswith("/" + smart_escape("a b~ü") + ".png")


def test_signed_urls_only_when_asked() -> None:
    plain = invalidation_paths(target("s"), versioned_urls=False)
    assert not any("/s--" in p for p in plain)
    signed = invalidation_paths(
        target("s", derived=[("c_scale,w_100", "png")]),
        versioned_urls=False,
        signed=True,
        api_secret=SECRET,
    )
    assert set(plain) < set(signed)
    for options in (
        {"sign_url": True},
        {"sign_url": True, "long_url_signature": True},
        {"sign_url": True, "signature_algorithm": "sha256"},
    ):
        for transformation in ({}, {"width": 100, "crop": "scale"}):
            url, _ = cloudinary.utils.cloudinary_url(
                "s", format="png", force_version=False, **SDK, **options, **transformation
            )
            path = "/demo/" + url.split("/demo/", 1)[1]
            assert path in signed, (options, path)


def test_signed_paths_verify_against_the_delivery_check() -> None:
    from cloudlet.delivery.signatures import verify_delivery_signature

    for path in invalidation_paths(
        target("f/s"), versioned_urls=True, signed=True, api_secret=SECRET
    ):
        parsed = parse_delivery_path(path)
        if parsed.signature:
            assert verify_delivery_signature(parsed.signature, parsed.to_sign, SECRET)
