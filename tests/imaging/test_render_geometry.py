"""Output sizes of every crop mode, rendered on real photographs, against the pure geometry
(``transform.plan_geometry``) and the worked examples of transformations.md §A2."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.imaging.render_support import decode, load, run, sample, save

from cloudlet.imaging.faces import detect_faces
from cloudlet.transform import parse_component, plan_geometry
from cloudlet.transform.steps import Focus, Rect, Size

MODES = [
    "c_scale,w_200",
    "c_scale,h_150",
    "c_scale,w_200,h_90",
    "c_fit,w_250,h_250",
    "c_fit,w_600,h_100",
    "c_limit,w_300,h_300",
    "c_limit,w_2000,h_2000",
    "c_mfit,w_900,h_900",
    "c_mfit,w_100,h_100",
    "c_fill,w_250,h_250",
    "c_fill,w_300,h_100",
    "c_fill,w_100,h_300,g_north_west",
    "c_lfill,w_2000,h_100",
    "c_lfill,w_200,h_200",
    "c_pad,w_250,h_250",
    "c_pad,w_300,h_100,g_west",
    "c_lpad,w_2000,h_1000",
    "c_lpad,w_200,h_200",
    "c_mpad,w_1000,h_1000",
    "c_mpad,w_100,h_100",
    "c_crop,w_200,h_100",
    "c_crop,w_200,h_100,x_10,y_20",
    "c_crop,w_0.5,h_0.5,g_south_east",
    "c_thumb,w_120,h_80",
    "ar_16:9,c_fill",
    "ar_1.0,c_crop",
    "w_0.5",
    "c_scale,w_100,dpr_2.0",
    "c_fill,h_100,w_iw_div_4",
]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A square PNG (512×512), a landscape JPEG (chelsea, 451×300) and the docs' 1280×853."""
    folder = tmp_path_factory.mktemp("geometry")
    astronaut = sample("astronaut.png")
    chelsea = save(load(sample("chelsea.png")), folder / "chelsea.jpg", Q=90)
    camera = load(astronaut).resize(1280 / 512, vscale=853 / 512)
    return {
        "square": astronaut,
        "landscape": chelsea,
        "camera": save(camera, folder / "camera.jpg", Q=90),
    }


@pytest.mark.parametrize("text", MODES)
@pytest.mark.parametrize("which", ["square", "landscape"])
def test_output_size_matches_the_geometry_plan(
    sources: dict[str, Path], which: str, text: str
) -> None:
    source = sources[which]
    original = load(source)
    planned = plan_geometry(Size(original.width, original.height), parse_component(text))
    rendered = run(source, text)
    assert (rendered.width, rendered.height) == (planned.output.width, planned.output.height)
    image = decode(rendered)
    assert (image.width, image.height) == (rendered.width, rendered.height)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("c_scale,w_150", (150, 100)),
        ("c_fit,w_250,h_250", (250, 167)),
        ("c_fill,w_250,h_250", (250, 250)),
        ("b_brown,c_pad,w_250,h_250", (250, 250)),
        ("c_limit,w_2000,h_2000", (1280, 853)),
        ("c_mfit,w_2000,h_2000", (2000, 1333)),
        ("c_lfill,w_2000,h_100", (1280, 100)),
    ],
)
def test_worked_examples_of_the_reference(
    sources: dict[str, Path], text: str, size: tuple[int, int]
) -> None:
    rendered = run(sources["camera"], text, "jpg")
    assert (rendered.width, rendered.height) == size


def test_pad_bands_take_the_background_colour(sources: dict[str, Path]) -> None:
    image = decode(run(sources["camera"], "b_rgb:0000ff,c_pad,w_250,h_250"))
    top, middle = image.getpoint(125, 5), image.getpoint(125, 125)
    assert top[:3] == [0, 0, 255]
    assert middle[:3] != [0, 0, 255]


def test_pad_without_background_is_white_on_an_opaque_image(sources: dict[str, Path]) -> None:
    image = decode(run(sources["camera"], "c_pad,w_250,h_250"))
    assert image.getpoint(125, 5)[:3] == [255, 255, 255]


def test_thumb_on_the_face_matches_the_plan_with_the_detected_face(
    sources: dict[str, Path],
) -> None:
    source = sources["square"]
    faces = detect_faces(source)
    focus = Focus(faces=tuple(Rect(f.x, f.y, f.width, f.height) for f in faces))
    text = "c_thumb,g_face,w_100,h_150"
    planned = plan_geometry(Size(512, 512), parse_component(text), focus=focus)
    rendered = run(source, text, faces=lambda: faces)
    assert (rendered.width, rendered.height) == (planned.output.width, planned.output.height)


def test_crop_to_the_face_without_a_size_is_the_face_box(sources: dict[str, Path]) -> None:
    faces = detect_faces(sources["square"])
    rendered = run(sources["square"], "c_crop,g_face", faces=lambda: faces)
    assert (rendered.width, rendered.height) == (faces[0].width, faces[0].height)


def test_fill_pad_with_auto_gravity_gives_the_box(sources: dict[str, Path]) -> None:
    rendered = run(sources["landscape"], "c_fill_pad,g_auto,w_300,h_100")
    assert (rendered.width, rendered.height) == (300, 100)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("a_90", (300, 451)),
        ("a_-90", (300, 451)),
        ("a_180", (451, 300)),
        ("a_hflip", (451, 300)),
        ("a_90,c_fill,w_200,h_100", (200, 100)),
        ("a_auto_right,c_fill,w_100,h_200", (100, 200)),
    ],
)
def test_right_angles(sources: dict[str, Path], text: str, size: tuple[int, int]) -> None:
    rendered = run(sources["landscape"], text)
    assert (rendered.width, rendered.height) == size


def test_a_free_angle_grows_the_bounding_box(sources: dict[str, Path]) -> None:
    rendered = run(sources["landscape"], "a_45")
    assert rendered.width > 451 and rendered.height > 300
    corner = decode(rendered).getpoint(0, 0)
    assert corner[3] == 0  # transparent in PNG


def test_chained_components_apply_in_order(sources: dict[str, Path]) -> None:
    rendered = run(sources["square"], "c_fill,w_400,h_200/c_crop,w_100,h_100,g_east/a_90")
    assert (rendered.width, rendered.height) == (100, 100)
    rendered = run(sources["square"], "w_0.5/w_0.5")
    assert (rendered.width, rendered.height) == (128, 128)


def test_an_empty_transformation_delivers_the_original_size(sources: dict[str, Path]) -> None:
    rendered = run(sources["camera"], "", "jpg")
    assert (rendered.width, rendered.height) == (1280, 853)
