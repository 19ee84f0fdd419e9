"""The params table, the support report, and the house rules of the pure ``transform`` package."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from cloudinary import utils as sdk_utils

from cloudlet import transform
from cloudlet.transform import (
    BY_CODE,
    TABLE,
    TransformationError,
    UnsupportedTransformationError,
    canonical,
    parse_transformation,
    require_supported,
    unsupported,
)
from cloudlet.transform.params import PARAMETERS
from cloudlet.transform.vocabulary import words

PACKAGE = Path(transform.__file__).resolve().parent
MODULES = sorted(PACKAGE.glob("*.py"))

# The keys pycloudinary's generate_transformation_string writes (utils.py `params` dict).
SDK_CODES = words("a ar b bo c co dpr du e eo fl fn fps h ki l o q r so t u w x y vc z") | set(
    sdk_utils._SIMPLE_TRANSFORMATION_PARAMS
)
# Issue 3 item 2: what the renderer implements.
RENDERED = words("w h ar c g x y z q f dpr r a b bo o co e fl l u pg d t so")


def test_codes_and_names_are_unique() -> None:
    assert len({s.code for s in TABLE}) == len(TABLE)
    assert len({s.name for s in TABLE}) == len(TABLE)


def test_every_sdk_code_is_in_the_table() -> None:
    assert set(BY_CODE) >= SDK_CODES


def test_long_names_are_the_sdk_option_names() -> None:
    for code, option in sdk_utils._SIMPLE_TRANSFORMATION_PARAMS.items():
        assert BY_CODE[code].name == option


def test_rendered_parameters_are_marked_supported() -> None:
    assert {s.code for s in PARAMETERS if s.supported} == RENDERED


def test_the_rest_parse_but_are_marked_unsupported() -> None:
    unsupported_codes = {s.code for s in TABLE if not s.supported}
    assert unsupported_codes == set(BY_CODE) - RENDERED
    assert {"if", "$", "vc", "fn"} <= unsupported_codes


@pytest.mark.parametrize(
    ("text", "parameter", "words"),
    [
        ("if_w_lt_200,c_fill,w_10", "if", "Conditional"),
        ("$x_1,w_$x", "variables", "variables"),
        ("vc_auto", "video_codec", "vc_"),
        ("c_imagga_crop,w_10", "crop", "'imagga_crop'"),
        ("c_auto,w_10", "crop", "'auto'"),
        ("e_cartoonify", "effect", "'cartoonify'"),
        ("fl_lossy.abc", "flags", "'abc'"),
        ("l_video:cat", "overlay", "'video'"),
        ("u_$img", "underlay", "'variable'"),
        ("f_mp4", "fetch_format", "'mp4'"),
        ("q_jpegmini", "quality", "'jpegmini'"),
        ("b_gen_fill", "background", "'gen_fill'"),
        ("c_fill,g_auto:dog,w_10", "gravity", "'auto:dog'"),
        ("c_crop,g_ocr_text,w_10", "gravity", "'ocr_text'"),
    ],
)
def test_unsupported_parts_are_named(text: str, parameter: str, words: str) -> None:
    parsed = parse_transformation(f"w_10/{text}")
    messages = unsupported(parsed)
    assert len(messages) >= 1 and words in messages[0], messages
    with pytest.raises(UnsupportedTransformationError) as caught:
        require_supported(parsed)
    assert caught.value.parameter == parameter
    assert "not supported" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "c_fill,g_auto:faces,h_300,w_400/e_sepia:50/f_webp,q_auto",
        "l_logo/c_scale,w_100/fl_layer_apply,g_north_west,x_10,y_10",
        "co_red,l_text:Arial_18:Hello/fl_layer_apply,g_south",
        "a_auto_right.90,b_rgb:112233,bo_5px_solid_black,c_pad,h_10,o_50,r_max,w_10",
        "c_thumb,g_face,h_150,w_150,z_0.75/dpr_2.0,f_auto,fl_progressive.strip_profile",
        "c_fill,so_35p,w_300/d_avatar.png/pg_2/t_thumb",
        "b_auto,c_lpad,h_10,w_10/e_background_removal/e_trim:10/e_improve",
    ],
)
def test_issue_parameters_are_supported(text: str) -> None:
    parsed = parse_transformation(text)
    assert unsupported(parsed) == ()
    require_supported(parsed)


def test_canonical_is_parse_then_serialize() -> None:
    assert canonical("w_100,c_fill") == canonical("c_fill,w_100") == "c_fill,w_100"


def test_errors_are_value_errors_of_this_package() -> None:
    assert issubclass(TransformationError, ValueError)
    assert TransformationError.__module__ == "cloudlet.transform.errors"


# ----------------------------------------------------------------------------- house rules


def _imports(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_module_is_pure_standard_library(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name in _imports(tree):
        top = name.split(".")[0]
        assert top in sys.stdlib_module_names or top == "__future__", f"{path.name}: {name}"


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_module_is_small_and_documented(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) < 600
    tree = ast.parse(source)
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    for node in tree.body:
        public = isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
        if public:
            assert ast.get_docstring(node), f"{path.name}: {node.name} has no docstring"
