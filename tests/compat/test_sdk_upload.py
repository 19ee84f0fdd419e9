"""The real Cloudinary SDK uploads to Cloudlet: file path, bytes, URL, data URI, chunks."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
from cloudinary.exceptions import Error as CloudinaryError
from tests.compat.helpers import data_uri, file_server, make_jpeg, make_png
from tests.compat.server import API_SECRET, Server


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "logo.png")


def test_upload_file_path_returns_every_field_the_sdk_reads(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), tags=["a", "b"], context={"alt": "x|y"})
    assert result["width"] == 241 and result["height"] == 51
    assert result["format"] == "png" and result["resource_type"] == "image"
    assert result["bytes"] == png.stat().st_size
    assert result["etag"] == hashlib.md5(png.read_bytes()).hexdigest()
    assert result["tags"] == ["a", "b"]
    assert result["context"] == {"custom": {"alt": "x|y"}}
    assert result["request_id"]
    assert result["original_filename"] == "logo"
    assert len(result["asset_id"]) == 32 and len(result["version_id"]) == 32
    assert result["placeholder"] is False
    expected = cloudinary.utils.api_sign_request(
        {"public_id": result["public_id"], "version": result["version"]}, API_SECRET
    )
    assert result["signature"] == expected
    for key in ("created_at", "type", "url", "secure_url"):
        assert result[key]


def test_delivered_bytes_match_the_upload(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), public_id="deliver/me")
    url, _ = cloudinary.utils.cloudinary_url("deliver/me", format="png")
    assert "/v1/" in url  # the SDK's rule for public ids with slashes
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert response.content == png.read_bytes()
    assert response.headers["content-type"] == "image/png"
    assert httpx.get(result["url"]).content == png.read_bytes()


def test_upload_bytes_and_stream(sdk: object, png: Path) -> None:
    from_bytes = cloudinary.uploader.upload(png.read_bytes())
    from_stream = cloudinary.uploader.upload(io.BytesIO(png.read_bytes()))
    assert from_bytes["width"] == from_stream["width"] == 241
    assert from_bytes["original_filename"] == "file"


def test_upload_from_url(sdk: object, png: Path, server: Server) -> None:
    # Loopback fetches are refused by default; this server was started with them allowed.
    with file_server(png.parent) as base:
        result = cloudinary.uploader.upload(f"{base}/logo.png")
    assert result["width"] == 241 and result["original_filename"] == "logo"


def test_upload_data_uri(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(data_uri(png))
    assert result["width"] == 241 and result["format"] == "png"
    assert result["signature"]


def test_use_filename_without_unique_suffix(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), use_filename=True, unique_filename=False)
    assert result["public_id"] == "logo" == result["original_filename"]
    unique = cloudinary.uploader.upload(str(png), use_filename=True)
    assert unique["public_id"].startswith("logo_") and len(unique["public_id"]) == 11


def test_folder_and_asset_folder(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), public_id="pic", folder="f1/f2")
    assert result["public_id"] == "f1/f2/pic"
    assert result["asset_folder"] == "f1/f2"


def test_overwrite_false_returns_existing(sdk: object, png: Path, tmp_path: Path) -> None:
    first = cloudinary.uploader.upload(str(png), public_id="keep_me")
    other = make_jpeg(tmp_path / "other.jpg")
    again = cloudinary.uploader.upload(str(other), public_id="keep_me", overwrite=False)
    assert again["existing"] is True
    assert again["version"] == first["version"] and again["format"] == "png"


def test_overwrite_creates_new_version_and_old_url_stops(
    sdk: object, png: Path, tmp_path: Path
) -> None:
    first = cloudinary.uploader.upload(str(png), public_id="versioned")
    other = make_jpeg(tmp_path / "other.jpg")
    second = cloudinary.uploader.upload(str(other), public_id="versioned", format="png")
    assert second["version"] > first["version"]
    assert second["asset_id"] == first["asset_id"] and second["overwritten"] is True
    latest = httpx.get(cloudinary.utils.cloudinary_url("versioned.png", version=None)[0])
    assert latest.content != png.read_bytes() and latest.status_code == 200
    old = httpx.get(first["url"])
    assert old.status_code == 404 and "no longer exists" in old.headers["x-cld-error"]
    assert httpx.get(second["url"]).status_code == 200


def test_raw_upload_keeps_extension(sdk: object, tmp_path: Path) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_text("hello raw")
    result = cloudinary.uploader.upload(str(doc), resource_type="raw", use_filename=True)
    assert result["public_id"].endswith(".txt") and result["resource_type"] == "raw"
    url, _ = cloudinary.utils.cloudinary_url(result["public_id"], resource_type="raw")
    assert httpx.get(url).content == b"hello raw"


def test_auto_upload_detects_image(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), resource_type="auto")
    assert result["resource_type"] == "image"


def test_upload_large_in_chunks(sdk: object, tmp_path: Path) -> None:
    big = make_png(tmp_path / "big.png", 900, 700)
    result = cloudinary.uploader.upload_large(
        str(big), resource_type="image", chunk_size=5000, public_id="chunked", tags="t"
    )
    assert result["public_id"] == "chunked" and result["width"] == 900
    assert result["bytes"] == big.stat().st_size and result["tags"] == ["t"]
    url, _ = cloudinary.utils.cloudinary_url("chunked", format="png")
    assert httpx.get(url).content == big.read_bytes()


def test_upload_large_defaults_to_raw(sdk: object, tmp_path: Path) -> None:
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)) * 100)
    result = cloudinary.uploader.upload_large(str(blob), chunk_size=7000)
    assert result["resource_type"] == "raw" and result["bytes"] == 25600


def test_return_delete_token(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), return_delete_token=True)
    assert len(result["delete_token"]) >= 64


def test_allowed_formats_refuses_others(sdk: object, png: Path) -> None:
    with pytest.raises(CloudinaryError, match="format png not allowed"):
        cloudinary.uploader.upload(str(png), allowed_formats=["jpg"])


def test_custom_delivery_headers(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(
        str(png), headers={"X-Robots-Tag": "noindex", "Link": "<https://x.test/>; rel=canonical"}
    )
    response = httpx.get(result["url"])
    assert response.headers["x-robots-tag"] == "noindex"
    assert response.headers["link"] == "<https://x.test/>; rel=canonical"
    with pytest.raises(CloudinaryError, match="not allowed"):
        cloudinary.uploader.upload(str(png), headers={"Set-Cookie": "a=b"})


def make_mp4(path: Path, frames: int = 12) -> Path:
    """A half-second 64x48 H.264 clip encoded with PyAV."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_bytes(bytes([i * 9]) * (64 * 48 * 4), 64, 48, "rgba")
            frame.pts = i
            container.mux(stream.encode(frame.reformat(format="yuv420p")))
        container.mux(stream.encode())
    return path


def test_video_upload_is_probed(sdk: object, tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "clip.mp4")
    result = cloudinary.uploader.upload(str(clip), resource_type="video")
    assert result["resource_type"] == "video" and result["format"] == "mp4"
    assert (result["width"], result["height"]) == (64, 48)
    assert 0.3 < result["duration"] < 1.0
    auto = cloudinary.uploader.upload(str(clip), resource_type="auto")
    assert auto["resource_type"] == "video"
    response = httpx.get(result["url"])
    assert response.content == clip.read_bytes() and response.headers["content-type"] == "video/mp4"


def test_sha256_signatures(sdk: object, png: Path) -> None:
    result = cloudinary.uploader.upload(str(png), signature_algorithm="sha256")
    assert result["width"] == 241
