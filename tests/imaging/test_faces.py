"""Face detection on real photographs from scikit-image's data folder, never checked in.

scikit-image is in the ``test`` extra for these images only (it is never imported): the
astronaut portrait (Eileen Collins, one face), the cat ``chelsea``, and scenes without people.
Without it the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pyvips

from cloudlet.imaging.faces import (
    FaceBox,
    _gray_pixels,
    _without_nested,
    detect_faces,
    detect_faces_in_image,
    faces_bounding_box,
    largest_face,
)

# The astronaut's face in astronaut.png (512×512), judged by eye: hairline to chin, cheek to
# cheek. Detected boxes must overlap it mostly.
ASTRONAUT_FACE = FaceBox(175, 60, 100, 105)


def _sample(name: str) -> Path:
    spec = importlib.util.find_spec("skimage")  # finds the package without importing it
    path = Path(spec.origin).parent / "data" / name if spec and spec.origin else None
    if path is None or not path.is_file():
        message = f"scikit-image's data/{name} is needed (pip install -e '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _iou(a: FaceBox, b: FaceBox) -> float:
    width = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    height = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    inter = max(width, 0) * max(height, 0)
    return inter / (a.area + b.area - inter)


def _gradient(width: int, height: int) -> pyvips.Image:
    xyz = pyvips.Image.xyz(width, height)
    red = xyz[0] * (255 / (width - 1))
    green = xyz[1] * (255 / (height - 1))
    return red.bandjoin([green, (red + green) / 2]).cast("uchar").copy(interpretation="srgb")


@pytest.fixture(scope="module")
def astronaut() -> pyvips.Image:
    return pyvips.Image.new_from_file(str(_sample("astronaut.png"))).copy_memory()


@pytest.fixture(scope="module")
def astronaut_faces() -> list[FaceBox]:
    return detect_faces(_sample("astronaut.png"))


# ----------------------------------------------------------------------------- photographs


def test_astronaut_has_one_face_where_it_is(astronaut_faces: list[FaceBox]) -> None:
    assert len(astronaut_faces) == 1
    assert _iou(astronaut_faces[0], ASTRONAUT_FACE) > 0.6


@pytest.mark.parametrize("name", ["chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png"])
def test_photographs_without_people_have_no_faces(name: str) -> None:
    assert detect_faces(_sample(name)) == []


def test_plain_gradient_has_no_faces(tmp_path: Path) -> None:
    _gradient(1200, 800).write_to_file(str(tmp_path / "gradient.png"))
    assert detect_faces(tmp_path / "gradient.png") == []


def test_several_faces_come_largest_first(astronaut: pyvips.Image, tmp_path: Path) -> None:
    group, expected = _group_of_astronauts(astronaut, (256, 512, 352))
    group.write_to_file(str(tmp_path / "group.png"))
    found = detect_faces(tmp_path / "group.png")
    assert len(found) == 3
    assert [box.area for box in found] == sorted((box.area for box in found), reverse=True)
    for box, face in zip(found, sorted(expected, key=lambda b: -b.area), strict=True):
        assert _iou(box, face) > 0.5
    assert largest_face(found) == found[0]
    union = faces_bounding_box(found)
    assert union is not None and union.x == min(b.x for b in found)


def _group_of_astronauts(
    astronaut: pyvips.Image, sizes: tuple[int, ...]
) -> tuple[pyvips.Image, list[FaceBox]]:
    """Copies of the portrait side by side at the given sizes, and where their faces are."""
    canvas = pyvips.Image.black(sum(sizes) + 40 * (len(sizes) + 1), max(sizes) + 80, bands=3)
    canvas = (canvas + 200).cast("uchar").copy(interpretation="srgb")
    faces, left = [], 40
    for size in sizes:
        canvas = canvas.insert(astronaut.resize(size / 512), left, 40)
        scale = size / 512
        faces.append(
            FaceBox(
                round(left + ASTRONAUT_FACE.x * scale),
                round(40 + ASTRONAUT_FACE.y * scale),
                round(ASTRONAUT_FACE.width * scale),
                round(ASTRONAUT_FACE.height * scale),
            )
        )
        left += size + 40
    return canvas, faces


# ----------------------------------------------------------------------------- geometry


def test_boxes_scale_back_when_max_side_shrinks_the_image(
    astronaut: pyvips.Image, tmp_path: Path
) -> None:
    astronaut.resize(2, kernel="lanczos3").write_to_file(str(tmp_path / "double.png"))
    small = detect_faces(_sample("astronaut.png"), max_side=512, min_size_ratio=0)
    double = detect_faces(tmp_path / "double.png", max_side=512, min_size_ratio=0)
    assert len(small) == len(double) == 1
    (a,), (b,) = small, double
    for edge_small, edge_double in zip(
        (a.x, a.y, a.width, a.height), (b.x, b.y, b.width, b.height), strict=True
    ):
        assert abs(edge_double - 2 * edge_small) <= 6


def test_exif_orientation_reports_upright_coordinates(
    astronaut: pyvips.Image, tmp_path: Path
) -> None:
    upright = astronaut.crop(0, 0, 512, 384)  # not square, so a swapped frame would show
    stored = upright.rot270().copy()  # orientation 6 = turn 90° clockwise to display
    stored.set_type(pyvips.GValue.gint_type, "orientation", 6)
    stored.jpegsave(str(tmp_path / "rotated.jpg"), Q=95)
    upright.jpegsave(str(tmp_path / "upright.jpg"), Q=95)
    (rotated_face,) = detect_faces(tmp_path / "rotated.jpg")
    (upright_face,) = detect_faces(tmp_path / "upright.jpg")
    assert _iou(rotated_face, upright_face) > 0.8
    assert _iou(rotated_face, ASTRONAUT_FACE) > 0.6


def test_in_image_variant_matches_the_file_variant(
    astronaut: pyvips.Image, astronaut_faces: list[FaceBox]
) -> None:
    assert detect_faces_in_image(astronaut) == astronaut_faces


# ----------------------------------------------------------------------------- robustness


def test_first_frame_of_an_animation(astronaut: pyvips.Image, tmp_path: Path) -> None:
    grey = (pyvips.Image.black(512, 512, bands=3) + 128).cast("uchar")
    for name, frames in (
        ("face_first.gif", [astronaut, grey]),
        ("face_later.gif", [grey, astronaut]),
    ):
        strip = pyvips.Image.arrayjoin(frames, across=1).copy(interpretation="srgb")
        strip.set_type(pyvips.GValue.gint_type, "page-height", 512)
        strip.write_to_file(str(tmp_path / name))
    assert len(detect_faces(tmp_path / "face_first.gif")) == 1
    assert detect_faces(tmp_path / "face_later.gif") == []
    for name, count in (("face_first.gif", 1), ("face_later.gif", 0)):
        strip = pyvips.Image.new_from_file(str(tmp_path / name), n=-1)
        assert len(detect_faces_in_image(strip)) == count


def test_transparent_faces_are_not_seen(astronaut: pyvips.Image, tmp_path: Path) -> None:
    # The middle portrait is fully transparent: its pixels still hold a face, which must not
    # count, since the image shows nothing there (flattened on white).
    group, expected = _group_of_astronauts(astronaut, (300, 300, 300))
    alpha = pyvips.Image.black(group.width, group.height).invert()
    alpha = alpha.draw_rect(0, 380, 0, 300, group.height, fill=True)
    group.bandjoin(alpha).write_to_file(str(tmp_path / "hidden.png"))
    found = sorted(detect_faces(tmp_path / "hidden.png"), key=lambda box: box.x)
    assert len(found) == 2
    assert _iou(found[0], expected[0]) > 0.5 and _iou(found[1], expected[2]) > 0.5


@pytest.mark.parametrize(
    ("interpretation", "convert"),
    [
        ("rgb16", lambda image: (image.cast("ushort") * 257).cast("ushort")),
        ("b-w", lambda image: image.colourspace("b-w")),
        ("cmyk", lambda image: image.colourspace("cmyk")),
    ],
)
def test_other_pixel_formats(
    astronaut: pyvips.Image, tmp_path: Path, interpretation: str, convert
) -> None:
    image = convert(astronaut).copy(interpretation=interpretation)
    suffix = ".jpg" if interpretation == "cmyk" else ".png"
    image.write_to_file(str(tmp_path / f"face{suffix}"))
    (face,) = detect_faces(tmp_path / f"face{suffix}")
    assert _iou(face, ASTRONAUT_FACE) > 0.6


@pytest.mark.parametrize(("width", "height"), [(1, 1), (10, 10), (19, 300), (300, 19)])
def test_tiny_images_have_no_faces(tmp_path: Path, width: int, height: int) -> None:
    path = tmp_path / "tiny.png"
    _gradient(max(width, 2), max(height, 2)).crop(0, 0, width, height).write_to_file(str(path))
    assert detect_faces(path) == []
    assert detect_faces_in_image(pyvips.Image.new_from_file(str(path))) == []


@pytest.mark.parametrize("content", [b"", b"hello, world\n", b"\xff\xd8\xff\xe0 not a jpeg"])
def test_unreadable_files_raise_value_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="cannot read image"):
        detect_faces(path)


def test_missing_file_raises_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read image"):
        detect_faces(tmp_path / "absent.png")


@pytest.mark.parametrize(("max_side", "ratio"), [(0, 0.04), (1024, -0.1), (1024, 1.5)])
def test_limits_are_checked(max_side: int, ratio: float) -> None:
    with pytest.raises(ValueError):
        detect_faces(Path("unused.png"), max_side=max_side, min_size_ratio=ratio)


def test_threads_at_once_agree(tmp_path: Path, astronaut: pyvips.Image) -> None:
    group, _ = _group_of_astronauts(astronaut, (512, 352, 256))
    group.write_to_file(str(tmp_path / "group.png"))
    expected = detect_faces(tmp_path / "group.png")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: detect_faces(tmp_path / "group.png"), range(16)))
    assert all(result == expected for result in results)
    assert len(expected) == 3


# ----------------------------------------------------------------------------- helpers


def test_largest_face_and_bounding_box() -> None:
    boxes = [FaceBox(10, 10, 20, 20), FaceBox(100, 5, 30, 30), FaceBox(50, 80, 10, 10)]
    assert largest_face(boxes) == FaceBox(100, 5, 30, 30)
    assert faces_bounding_box(boxes) == FaceBox(10, 5, 120, 85)
    assert faces_bounding_box(iter(boxes[:1])) == boxes[0]
    assert largest_face([]) is None
    assert faces_bounding_box([]) is None


def test_duplicates_inside_a_larger_box_are_dropped() -> None:
    big, inner, beside = FaceBox(0, 0, 100, 100), FaceBox(40, 40, 50, 50), FaceBox(90, 0, 40, 40)
    assert _without_nested([big, inner, beside]) == [big, beside]


@pytest.mark.parametrize(
    ("pixel", "interpretation", "grey"),
    [
        ([0, 0, 0, 0], "srgb", 255),  # transparent: white, whatever colour it hides
        ([0, 0, 0, 255], "srgb", 0),
        ([65535, 65535, 65535], "rgb16", 255),
        ([30000], "grey16", 117),
        ([1, 2, 3, 4, 5], "multiband", 1),  # no colour meaning: first band
    ],
)
def test_grey_pixels(pixel: list[int], interpretation: str, grey: int) -> None:
    fmt = "ushort" if interpretation in ("rgb16", "grey16") else "uchar"
    image = (pyvips.Image.black(3, 2) + pixel).cast(fmt).copy(interpretation=interpretation)
    assert _gray_pixels(image).tolist() == [[grey] * 3] * 2
