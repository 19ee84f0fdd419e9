"""Faces through the real SDK: found at upload (``faces=true``), read back with
``resource(faces=True)``, overridden with ``face_coordinates`` through ``explicit`` and
``update``, and used by ``g_face``, ``g_faces``, ``g_custom`` and ``c_thumb``."""

from __future__ import annotations

from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips
from skimage import data
from tests.compat.helpers import make_png

ASTRONAUT_FACE = (175, 64, 97, 97)  # measured once on skimage's astronaut (512×512)


def near(box: list[int], expected: tuple[int, ...], slack: int = 12) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(box, expected, strict=True))


def url(public_id: str, **options: object) -> str:
    return cloudinary.utils.cloudinary_url(public_id, format="png", **options)[0]


def image_at(link: str) -> pyvips.Image:
    response = httpx.get(link)
    assert response.status_code == 200, response.text
    return pyvips.Image.new_from_buffer(response.content, "")


@pytest.fixture(scope="module")
def astronaut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faces") / "astronaut.jpg"
    image = pyvips.Image.new_from_array(data.astronaut()).copy(interpretation="srgb")
    image.write_to_file(str(path), Q=92)
    return path


def test_faces_true_on_upload_returns_detected_boxes(sdk: object, astronaut: Path) -> None:
    result = cloudinary.uploader.upload(str(astronaut), public_id="faces/a1", faces=True)
    [box] = result["faces"]
    assert near(box, ASTRONAUT_FACE)
    assert cloudinary.api.resource("faces/a1", faces=True)["faces"] == result["faces"]


def test_resource_reports_faces_only_when_asked(sdk: object, astronaut: Path) -> None:
    result = cloudinary.uploader.upload(str(astronaut), public_id="faces/a2")
    assert "faces" not in result
    assert "faces" not in cloudinary.api.resource("faces/a2")
    [box] = cloudinary.api.resource("faces/a2", faces=True)["faces"]
    assert near(box, ASTRONAUT_FACE)
    cropped = image_at(url("faces/a2", crop="crop", gravity="face"))
    assert (cropped.width, cropped.height) == (box[2], box[3])


def test_no_faces_in_a_gradient(sdk: object, tmp_path: Path) -> None:
    path = make_png(tmp_path / "plain.png", 300, 200)
    assert cloudinary.uploader.upload(str(path), public_id="faces/none", faces=True)["faces"] == []


def test_user_coordinates_win_through_explicit_and_update(sdk: object, astronaut: Path) -> None:
    cloudinary.uploader.upload(str(astronaut), public_id="faces/a3")
    result = cloudinary.uploader.explicit(
        "faces/a3", type="upload", face_coordinates=[[10, 20, 100, 120]], faces=True
    )
    assert result["faces"] == [[10, 20, 100, 120]]
    assert cloudinary.api.resource("faces/a3", faces=True)["faces"] == [[10, 20, 100, 120]]
    face = image_at(url("faces/a3", crop="crop", gravity="face"))
    assert (face.width, face.height) == (100, 120)
    cloudinary.api.update(
        "faces/a3", face_coordinates=[[0, 0, 50, 40], [400, 300, 60, 70]],
        custom_coordinates="5,6,70,80",
    )  # fmt: skip
    assert len(cloudinary.api.resource("faces/a3", faces=True)["faces"]) == 2
    both = image_at(url("faces/a3", crop="crop", gravity="faces"))
    assert (both.width, both.height) == (460, 370)
    custom = image_at(url("faces/a3", crop="crop", gravity="custom"))
    assert (custom.width, custom.height) == (70, 80)
    cloudinary.api.update("faces/a3", face_coordinates="")
    assert cloudinary.api.resource("faces/a3", faces=True)["faces"] == []


def test_thumb_centres_on_the_detected_face(sdk: object, astronaut: Path) -> None:
    cloudinary.uploader.upload(str(astronaut), public_id="faces/a4")
    thumb = image_at(url("faces/a4", crop="thumb", gravity="face", width=100, height=100))
    assert (thumb.width, thumb.height) == (100, 100)
    original = pyvips.Image.new_from_file(str(astronaut))
    x, y, w, h = ASTRONAUT_FACE
    face = original.crop(x - 1, y - 1, w + 2, h + 2).resize(100 / (w + 2))
    corner = original.crop(0, 0, 100, 100)
    assert (thumb - face).abs().avg() < 20 < (thumb - corner).abs().avg()
