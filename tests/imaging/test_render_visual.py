"""Renders compared by perceptual hash with goldens made by independent, plain pyvips calls
(or by hand from the detected face box)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips
from tests.imaging.render_support import (
    decode,
    distance,
    load,
    run,
    same_picture,
    sample,
    save,
)

from cloudlet.imaging.faces import FaceBox, detect_faces


@pytest.fixture(scope="module")
def astronaut() -> Path:
    return sample("astronaut.png")


@pytest.fixture(scope="module")
def face(astronaut: Path) -> FaceBox:
    found = detect_faces(astronaut)
    assert found, "the astronaut has a face"
    return found[0]


def _thumbnail(path: Path, width: int, height: int, **options: object) -> pyvips.Image:
    return pyvips.Image.thumbnail(str(path), width, height=height, **options).copy_memory()


@pytest.mark.parametrize(("width", "height"), [(300, 150), (120, 300), (200, 200)])
def test_fill_centre_matches_a_centre_crop_thumbnail(
    astronaut: Path, width: int, height: int
) -> None:
    rendered = decode(run(astronaut, f"c_fill,g_center,w_{width},h_{height}"))
    golden = _thumbnail(astronaut, width, height, crop="centre")
    assert same_picture(rendered, golden)


def test_fill_on_a_landscape_photo(tmp_path: Path) -> None:
    source = save(load(sample("coffee.png")), tmp_path / "coffee.jpg", Q=92)
    rendered = decode(run(source, "c_fill,w_150,h_150", "jpg"))
    assert same_picture(rendered, _thumbnail(source, 150, 150, crop="centre"))


def test_scale_matches_a_forced_thumbnail(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "c_scale,w_300,h_100"))
    assert same_picture(rendered, _thumbnail(astronaut, 300, 100, size="force"))


def test_fill_north_keeps_the_top(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "c_fill,g_north,w_400,h_100"))
    golden = load(astronaut).resize(400 / 512).crop(0, 0, 400, 100)
    assert same_picture(rendered, golden)
    bottom = load(astronaut).resize(400 / 512).crop(0, 300, 400, 100)
    assert not same_picture(rendered, bottom)


def test_crop_at_x_y_is_the_same_rectangle(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "c_crop,w_200,h_150,x_100,y_250"))
    assert same_picture(rendered, load(astronaut).crop(100, 250, 200, 150), threshold=2)


def _face_crop(face: FaceBox, side: int) -> tuple[int, int]:
    left = round(face.x + face.width / 2 - side / 2)
    top = round(face.y + face.height / 2 - side / 2)
    return min(max(left, 0), 512 - side), min(max(top, 0), 512 - side)


def test_crop_on_the_face_is_centred_on_the_face_box(astronaut: Path, face: FaceBox) -> None:
    calls: list[int] = []

    def faces() -> list[FaceBox]:
        calls.append(1)
        return [face]

    rendered = decode(run(astronaut, "c_crop,g_face,w_200,h_200", faces=faces))
    left, top = _face_crop(face, 200)
    assert same_picture(rendered, load(astronaut).crop(left, top, 200, 200), threshold=4)
    far = load(astronaut).crop(312, 312, 200, 200)
    assert not same_picture(rendered, far)
    assert calls == [1]


def test_faces_are_not_looked_for_without_a_face_gravity(astronaut: Path) -> None:
    def faces() -> list[FaceBox]:
        raise AssertionError("faces() must not be called")

    run(astronaut, "c_fill,w_100,h_100/e_sepia", faces=faces)
    run(astronaut, "c_fill,g_auto,w_100,h_100", faces=faces)


def test_thumb_on_the_face_zooms_on_it(astronaut: Path, face: FaceBox) -> None:
    rendered = decode(run(astronaut, "c_thumb,g_face,w_150,h_150", faces=lambda: [face]))
    side = max(face.width, face.height, 150)
    left, top = _face_crop(face, side)
    golden = load(astronaut).crop(left, top, side, side).resize(150 / side)
    assert same_picture(rendered, golden)


def test_custom_gravity_uses_the_custom_box(astronaut: Path) -> None:
    box = (300, 300, 100, 100)
    rendered = decode(run(astronaut, "c_crop,g_custom,w_150,h_150", custom=[box]))
    assert same_picture(rendered, load(astronaut).crop(275, 275, 150, 150), threshold=4)


def test_auto_gravity_finds_the_object_on_a_plain_background(tmp_path: Path) -> None:
    canvas = pyvips.Image.black(600, 200) + [230, 230, 230]
    photo = load(sample("astronaut.png")).resize(160 / 512)
    scene = canvas.insert(photo, 420, 20).cast("uchar").copy(interpretation="srgb")
    source = save(scene, tmp_path / "scene.png")
    rendered = decode(run(source, "c_fill,g_auto,w_200,h_200"))
    # where the crop was taken: the offset whose window matches the render best
    left = min(range(401), key=lambda x: (scene.crop(x, 0, 200, 200) - rendered).abs().avg())
    assert 380 <= left <= 420  # the whole photo (x 420–580) is in the crop
    centre = decode(run(source, "c_fill,w_200,h_200"))
    assert not same_picture(centre, rendered)


def test_right_angle_turn_matches_rot90(astronaut: Path) -> None:
    rendered = decode(run(astronaut, "a_90"))
    assert same_picture(rendered, load(astronaut).rot90(), threshold=2)
    assert not same_picture(rendered, load(astronaut))


def test_exif_orientation_6_comes_out_upright(tmp_path: Path) -> None:
    upright = load(sample("chelsea.png"))  # 451×300, a cat
    stored = upright.rot270().copy()  # as a camera held sideways stores it
    stored.set_type(pyvips.GValue.gint_type, "orientation", 6)
    source = save(stored, tmp_path / "sideways.jpg", Q=92)
    rendered = run(source, "", "jpg")
    assert (rendered.width, rendered.height) == (451, 300)
    assert same_picture(decode(rendered), upright)
    small = run(source, "c_fill,w_200,h_100", "jpg")  # through shrink-on-load
    golden = upright.thumbnail_image(200, height=100, crop="centre")
    assert same_picture(decode(small), golden)
    ignored = run(source, "a_ignore", "jpg")
    assert (ignored.width, ignored.height) == (300, 451)


def test_face_gravity_follows_exif_orientation(tmp_path: Path, face: FaceBox) -> None:
    upright = load(sample("astronaut.png")).crop(0, 0, 512, 400)
    stored = upright.rot90().copy()
    stored.set_type(pyvips.GValue.gint_type, "orientation", 8)
    source = save(stored, tmp_path / "turned.jpg", Q=95)
    rendered = decode(run(source, "c_crop,g_face,w_200,h_200", "jpg", faces=lambda: [face]))
    left, top = _face_crop(face, 200)
    golden = upright.crop(left, min(top, 200), 200, 200)
    assert distance(rendered, golden) <= 6


def test_face_position_is_kept_through_earlier_components(astronaut: Path, face: FaceBox) -> None:
    text = "c_scale,w_256/c_crop,g_face,w_100,h_100"
    rendered = decode(run(astronaut, text, faces=lambda: [face]))
    half = load(astronaut).resize(0.5)
    small_face = FaceBox(face.x // 2, face.y // 2, face.width // 2, face.height // 2)
    left, top = _face_crop(small_face, 100)
    assert same_picture(rendered, half.crop(left, top, 100, 100), threshold=6)
