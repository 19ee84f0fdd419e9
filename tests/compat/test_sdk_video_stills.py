"""Video stills: a video's public id with an image extension delivers one frame, chosen by
``so_`` (seconds, percent, ``auto``, or the middle by default), resized like an image and
stored as a derivative. Built with the real SDK's URL helpers, fetched from a live server."""

from __future__ import annotations

from pathlib import Path

import av
import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips

SECONDS, FPS, WIDTH, HEIGHT = 4, 25, 160, 120


def level(second: int) -> int:
    """The grey level every frame of ``second`` is painted with."""
    return 30 + 60 * second


def make_video(path: Path) -> Path:
    """Four seconds of H.264: each second one flat grey, a brighter one every second."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for i in range(SECONDS * FPS):
            grey = bytes([level(i // FPS)] * 3 + [255]) * (WIDTH * HEIGHT)
            frame = av.VideoFrame.from_bytes(grey, WIDTH, HEIGHT, "rgba")
            frame.pts = i
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("stills") / "clip.mp4")


@pytest.fixture()
def video(sdk: object, clip: Path) -> dict:
    return cloudinary.uploader.upload(str(clip), resource_type="video", public_id="stills/clip")


def still_url(**options: object) -> str:
    options.setdefault("format", "jpg")
    return cloudinary.utils.cloudinary_url("stills/clip", resource_type="video", **options)[0]


def fetch(url: str) -> tuple[httpx.Response, pyvips.Image]:
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    return response, pyvips.Image.new_from_buffer(response.content, "")


def test_seconds_offset_with_fill_crop(video: dict) -> None:
    assert video["resource_type"] == "video" and video["duration"] == pytest.approx(SECONDS)
    response, image = fetch(still_url(start_offset=2, width=300, height=200, crop="fill"))
    assert response.headers["content-type"] == "image/jpeg"
    assert (image.width, image.height) == (300, 200)
    assert image.avg() == pytest.approx(level(2), abs=6)


@pytest.mark.parametrize(
    ("options", "second"),
    [
        ({"start_offset": "25p"}, 1),
        ({"start_offset": "80%"}, 3),  # the SDK writes so_80p
        ({"start_offset": "auto"}, 2),  # documented: the middle
        ({}, 2),  # no so_: the middle, as Cloudinary
        ({"start_offset": 0.5}, 0),
    ],
)
def test_which_frame(video: dict, options: dict, second: int) -> None:
    _, image = fetch(still_url(width=80, crop="scale", **options))
    assert (image.width, image.height) == (80, 60)
    assert image.avg() == pytest.approx(level(second), abs=6)


def test_plain_still_has_the_video_size_and_other_formats(video: dict) -> None:
    _, image = fetch(still_url())
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    for fmt, mime in (("png", "image/png"), ("webp", "image/webp")):
        response, image = fetch(still_url(format=fmt, start_offset=3, width=40, crop="scale"))
        assert response.headers["content-type"] == mime
        assert image.width == 40 and image.avg() == pytest.approx(level(3), abs=6)


def test_still_is_stored_once_as_a_derivative(video: dict) -> None:
    url = still_url(start_offset=1, width=64, height=64, crop="fill")
    first, _ = fetch(url)
    second, _ = fetch(url)
    assert first.headers["etag"] == second.headers["etag"]
    derived = cloudinary.api.resource("stills/clip", resource_type="video")["derived"]
    assert [(d["transformation"], d["format"]) for d in derived].count(
        ("c_fill,h_64,so_1,w_64", "jpg")
    ) == 1


def test_offset_beyond_the_end_is_a_clear_400(video: dict) -> None:
    before = cloudinary.api.resource("stills/clip", resource_type="video")["derived"]
    for offset in (9, 4.5):
        response = httpx.get(still_url(start_offset=offset, width=50, crop="scale"))
        assert response.status_code == 400
        assert "4 seconds long" in response.headers["x-cld-error"]
    after = cloudinary.api.resource("stills/clip", resource_type="video")["derived"]
    assert after == before


def test_video_transformation_without_image_format_is_refused(video: dict) -> None:
    as_mp4 = still_url(format="mp4", width=50, crop="scale")
    bare = still_url(format=None, width=50, crop="scale")
    assert not bare.endswith(".jpg")
    for link in (as_mp4, bare):
        response = httpx.get(link)
        assert response.status_code == 400, link
        assert "Transforming videos" in response.headers["x-cld-error"]
    original = httpx.get(still_url(format="mp4"))
    assert original.status_code == 200 and original.headers["content-type"] == "video/mp4"
