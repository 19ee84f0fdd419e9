"""Table-driven tests of the transformation parser: every parameter family, valid and invalid."""

from __future__ import annotations

import pytest

from cloudlet.transform import (
    TABLE,
    InvalidParameterError,
    TransformationError,
    UnknownParameterError,
    is_component,
    parse_component,
    parse_transformation,
    serialize,
)
from cloudlet.transform.model import (
    Angle,
    AspectRatio,
    AssetRef,
    Background,
    Border,
    Color,
    Component,
    Condition,
    Dpr,
    Effect,
    FetchFormat,
    Flag,
    Flags,
    Gravity,
    Layer,
    Length,
    Named,
    Offset,
    Page,
    Quality,
    Radius,
    Scalar,
    TextStyle,
    Token,
    Variable,
)
from cloudlet.transform.vocabulary import CropMode

URL = "http://cloudinary.com/images/old_logo.png"

# (parameter text, long name, expected value)
VALID = [
    # width / height
    ("w_100", "width", Length.pixels(100)),
    ("w_0100", "width", Length.pixels(100)),
    ("w_0.5", "width", Length.relative(0.5)),
    ("w_1.5", "width", Length.relative(1.5)),
    ("w_.5", "width", Length.relative(0.5)),
    ("w_iw", "width", Length.of("iw")),
    ("w_iw_mul_0.5", "width", Length.of("iw_mul_0.5")),
    ("w_$foo_mul_200", "width", Length.of("$foo_mul_200")),
    ("w_auto", "width", Length.auto_width()),
    ("w_auto:20:350", "width", Length.auto_width(":20:350")),
    (
        "w_auto:breakpoints_100_1900_20_15",
        "width",
        Length.auto_width(":breakpoints_100_1900_20_15"),
    ),
    ("w_auto:breakpoints:json", "width", Length.auto_width(":breakpoints:json")),
    ("h_200", "height", Length.pixels(200)),
    ("h_ih", "height", Length.of("ih")),
    ("h_oh", "height", Length.of("oh")),
    # x / y / zoom
    ("x_10", "x", Length.pixels(10)),
    ("x_-20", "x", Length.pixels(-20)),
    ("y_0.2", "y", Length.relative(0.2)),
    ("y_0", "y", Length.pixels(0)),
    ("z_1.2", "zoom", Scalar(1.2)),
    ("z_2", "zoom", Scalar(2)),
    # aspect ratio / crop / gravity
    ("ar_16:9", "aspect_ratio", AspectRatio(16, 9)),
    ("ar_1.5", "aspect_ratio", AspectRatio(1.5)),
    ("ar_$ar", "aspect_ratio", AspectRatio(expression=Length.of("$ar").expression)),
    *[(f"c_{m.value}", "crop", m) for m in CropMode],
    ("g_north_west", "gravity", Gravity("north_west")),
    ("g_center", "gravity", Gravity("center")),
    ("g_xy_center", "gravity", Gravity("xy_center")),
    ("g_face", "gravity", Gravity("face")),
    ("g_faces:center", "gravity", Gravity("faces", ("center",))),
    ("g_auto", "gravity", Gravity("auto")),
    ("g_auto:subject", "gravity", Gravity("auto", ("subject",))),
    ("g_auto:adv_faces:10", "gravity", Gravity("auto", ("adv_faces", "10"))),
    ("g_auto:cat_30:dog_avoid", "gravity", Gravity("auto", ("cat_30", "dog_avoid"))),
    ("g_cat:dog", "gravity", Gravity("cat", ("dog",))),
    ("g_custom", "gravity", Gravity("custom")),
    ("g_liquid", "gravity", Gravity("liquid")),
    # quality / format / dpr
    ("q_80", "quality", Quality("number", 80)),
    ("q_0.4", "quality", Quality("number", 0.4)),
    ("q_80:444", "quality", Quality("number", 80, ("444",))),
    ("q_70:qmax_20", "quality", Quality("number", 70, ("qmax_20",))),
    ("q_auto", "quality", Quality("auto")),
    ("q_auto:good", "quality", Quality("auto", options=("good",))),
    ("q_auto:low:444", "quality", Quality("auto", options=("low", "444"))),
    ("q_jpegmini:1", "quality", Quality("jpegmini", options=("1",))),
    ("f_webp", "fetch_format", FetchFormat("webp")),
    ("f_auto", "fetch_format", FetchFormat("auto")),
    ("f_auto:video", "fetch_format", FetchFormat("auto", "video")),
    ("dpr_2.0", "dpr", Dpr(2.0)),
    ("dpr_1.5", "dpr", Dpr(1.5)),
    ("dpr_auto", "dpr", Dpr(auto=True)),
    # radius / angle / opacity
    ("r_20", "radius", Radius((Length.pixels(20),))),
    ("r_10:20:30:40", "radius", Radius(tuple(Length.pixels(n) for n in (10, 20, 30, 40)))),
    ("r_max", "radius", Radius(maximum=True)),
    ("r_w_mul_2", "radius", Radius((Length.of("w_mul_2"),))),
    ("a_90", "angle", Angle((90,))),
    ("a_-20", "angle", Angle((-20,))),
    ("a_hflip", "angle", Angle(("hflip",))),
    ("a_auto.55", "angle", Angle(("auto", 55))),
    ("a_auto_right", "angle", Angle(("auto_right",))),
    ("o_0", "opacity", Scalar(0)),
    ("o_50", "opacity", Scalar(50)),
    # colours, background, border
    ("co_red", "color", Color(name="red")),
    ("co_Red", "color", Color(name="red")),
    ("co_rgb:FF0000", "color", Color(hex="FF0000")),
    ("co_rgb:fff", "color", Color(hex="fff")),
    ("b_white", "background", Background(Color(name="white"))),
    ("b_rgb:FEB61FC2", "background", Background(Color(hex="FEB61FC2"))),
    ("b_auto", "background", Background(mode="auto")),
    ("b_auto:border", "background", Background(mode="auto", options=("border",))),
    ("b_blurred:400:15", "background", Background(mode="blurred", options=("400", "15"))),
    ("b_gen_fill", "background", Background(mode="gen_fill")),
    ("bo_5px_solid_black", "border", Border(5, Color(name="black"))),
    ("bo_5.5px_solid_rgb:fff", "border", Border(5.5, Color(hex="fff"))),
    ("bo_5px_solid_$bcolor", "border", Border(5, Color(name="$bcolor"))),
    # effects and flags
    ("e_sepia", "effect", Effect("sepia")),
    ("e_sepia:-10", "effect", Effect("sepia", ("-10",))),
    ("e_blur:300", "effect", Effect("blur", ("300",))),
    ("e_tint:100:green:red", "effect", Effect("tint", ("100", "green", "red"))),
    ("e_trim:17:blue", "effect", Effect("trim", ("17", "blue"))),
    ("e_improve:outdoor:50", "effect", Effect("improve", ("outdoor", "50"))),
    ("e_gen_replace:from_dog;to_cat", "effect", Effect("gen_replace", ("from_dog;to_cat",))),
    ("e_$efname:100", "effect", Effect("$efname", ("100",))),
    ("fl_lossy", "flags", Flags.of("lossy")),
    ("fl_progressive.lossy", "flags", Flags.of("lossy", "progressive")),
    ("fl_abc.def", "flags", Flags.of("abc", "def")),
    ("fl_attachment:report", "flags", Flags((Flag("attachment", "report"),))),
    ("fl_progressive:semi", "flags", Flags((Flag("progressive", "semi"),))),
    # references
    ("d_avatar.png", "default_image", AssetRef("avatar.png")),
    ("d_folder:img.png", "default_image", AssetRef("folder/img.png")),
    ("t_blip", "named", Named(("blip",))),
    ("t_blip.blop", "named", Named(("blip", "blop"))),
    ("t_blip%20blop", "named", Named(("blip blop",))),
    ("pg_3", "page", Page("3")),
    ("pg_2-4;6;8", "page", Page("2-4;6;8")),
    ("pg_name:skyline", "page", Page("name:skyline")),
    ("pg_embedded:3", "page", Page("embedded:3")),
    # time offsets
    ("so_2.63", "start_offset", Offset(2.63)),
    ("so_35p", "start_offset", Offset(35, percent=True)),
    ("so_35%25", "start_offset", Offset(35, percent=True)),
    ("so_auto", "start_offset", Offset(auto=True)),
    ("eo_3.21", "end_offset", Offset(3.21)),
    ("du_5", "duration", Offset(5)),
    # carried (parsed, not rendered)
    ("vc_h264:basic:3.1", "video_codec", Token("h264:basic:3.1")),
    ("ac_none", "audio_codec", Token("none")),
    ("br_1m", "bit_rate", Token("1m")),
    ("fps_24-29.97", "fps", Token("24-29.97")),
    ("ki_10.0", "keyframe_interval", Token("10.0")),
    ("cs_icc:icc_file_public_id", "color_space", Token("icc:icc_file_public_id")),
    ("fn_wasm:blur.wasm", "custom_function", Token("wasm:blur.wasm")),
    ("dn_150", "density", Scalar(150)),
    ("dl_100", "delay", Scalar(100)),
    ("p_a", "prefix", Token("a")),
    ("sp_hd", "streaming_profile", Token("hd")),
    ("vs_20", "video_sampling", Token("20")),
    ("af_44100", "audio_frequency", Token("44100")),
    ("bl_base", "baseline", Token("base")),
]

LAYERS = [
    ("logo", Layer("image", public_id="logo")),
    ("folder:sub:logo", Layer("image", public_id="folder/sub/logo")),
    ("logo.png", Layer("image", public_id="logo.png")),
    ("private:logo", Layer("image", public_id="logo", delivery_type="private")),
    ("authenticated:logo", Layer("image", public_id="logo", delivery_type="authenticated")),
    ("video:cat", Layer("video", public_id="cat")),
    ("my%20logo", Layer("image", public_id="my logo")),
    ("text:hello", Layer("text", text="hello")),
    ("text:arial_20:hello", Layer("text", text="hello", style=TextStyle("arial", 20))),
    (
        "text:Arial_18:Hello%20World%252C%20Nice%20to%20meet%20you%3F",
        Layer("text", text="Hello World, Nice to meet you?", style=TextStyle("Arial", 18)),
    ),
    (
        "text:arial_30:abc%252C%CE%B1%CE%B2%CE%B3%252F%D7%90%D7%91%D7%92",
        Layer("text", text="abc,αβγ/אבג", style=TextStyle("arial", 30)),
    ),
    (
        "text:Times_70_bold:Cool%25F0%259F%2598%258D",
        Layer("text", text="Cool😍", style=TextStyle("Times", 70, ("bold",))),
    ),
    (
        "text:Times%20New%20Roman_18:sample%20text",
        Layer("text", text="sample text", style=TextStyle("Times New Roman", 18)),
    ),
    (
        "text:Arial_18_italic_bold_letter_spacing_4_line_spacing_3:hi",
        Layer(
            "text",
            text="hi",
            style=TextStyle("Arial", 18, ("bold", "italic", "letter_spacing_4", "line_spacing_3")),
        ),
    ),
    ("text:test_text:hello", Layer("text", text="hello", style_id="test_text")),
    ("text:$style:hello-world", Layer("text", text="hello-world", style_id="$style")),
    ("text:Arial_20:a:b", Layer("text", text="a:b", style=TextStyle("Arial", 20))),
    ("text:Arial_20:$(name)!", Layer("text", text="$(name)!", style=TextStyle("Arial", 20))),
    ("subtitles:sample_sub_en.srt", Layer("subtitles", public_id="sample_sub_en.srt")),
    (
        "subtitles:Arial_40:sample_sub_he.srt",
        Layer("subtitles", public_id="sample_sub_he.srt", style=TextStyle("Arial", 40)),
    ),
    ("fetch:aHR0cDovL2Nsb3VkaW5hcnkuY29tL2ltYWdlcy9vbGRfbG9nby5wbmc", Layer("fetch", url=URL)),
    ("fetch:aHR0cDovL2Nsb3VkaW5hcnkuY29tL2ltYWdlcy9vbGRfbG9nby5wbmc=", Layer("fetch", url=URL)),
    (
        "video:fetch:aHR0cDovL2Nsb3VkaW5hcnkuY29tL2ltYWdlcy9vbGRfbG9nby5wbmc",
        Layer("fetch", url=URL, resource_type="video"),
    ),
    ("$img", Layer("variable", public_id="$img")),
]

# (parameter text, the parameter the error must name)
INVALID = [
    ("w_abc", "width"),
    ("w_0", "width"),
    ("w_-5", "width"),
    ("w_0.0", "width"),
    ("w_", "width"),
    ("w", "width"),
    ("w_iw_mul", "width"),
    ("w_iw_times_2", "width"),
    ("w_1234567890", "width"),
    ("h_auto", "height"),
    ("x_abc", "x"),
    ("z_0", "zoom"),
    ("z_-1", "zoom"),
    ("ar_0:1", "aspect_ratio"),
    ("ar_16:", "aspect_ratio"),
    ("ar_wide", "aspect_ratio"),
    ("c_fil", "crop"),
    ("c_FILL", "crop"),
    ("g_middle", "gravity"),
    ("g_face:Bad", "gravity"),
    ("q_0", "quality"),
    ("q_101", "quality"),
    ("q_auto:great", "quality"),
    ("q_80:333", "quality"),
    ("q_jpegmini:7", "quality"),
    ("f_wepb", "fetch_format"),
    ("f_auto:pdf", "fetch_format"),
    ("dpr_0", "dpr"),
    ("dpr_two", "dpr"),
    ("r_1:2:3:4:5", "radius"),
    ("r_0.5", "radius"),
    ("r_big", "radius"),
    ("a_.90", "angle"),  # an empty step (a_12.5 is two rotations: 12° then 5°)
    ("a_sideways", "angle"),
    ("o_101", "opacity"),
    ("o_-1", "opacity"),
    ("co_reddish", "color"),
    ("co_rgb:ff00f", "color"),
    ("co_rgb:gg0000", "color"),
    ("b_nope", "background"),
    ("b_auto:Border", "background"),
    ("bo_5px_dashed_black", "border"),
    ("bo_5_solid_black", "border"),
    ("bo_5px_solid_nocolor", "border"),
    ("e_sepiaa", "effect"),
    ("e_blur:strong", "effect"),
    ("e_grayscale:50", "effect"),
    ("e_", "effect"),
    ("fl_Lossy", "flags"),
    ("fl_a..b", "flags"),
    ("fl_attachment:a:b", "flags"),
    ("d_", "default_image"),
    ("d_folder::x", "default_image"),
    ("t_", "named"),
    ("t_a..b", "named"),
    ("pg_one", "page"),
    ("so_abc", "start_offset"),
    ("so_120p", "start_offset"),
    ("eo_auto", "end_offset"),
    ("vc_a%20b", "video_codec"),
    ("ac_a%2Cb", "audio_codec"),
    ("af_", "audio_frequency"),
    ("br_1%25", "bit_rate"),
    ("fps_a%2Fb", "fps"),
    ("ki_%20", "keyframe_interval"),
    ("sp_", "streaming_profile"),
    ("vs_%0A", "video_sampling"),
    ("fn_", "custom_function"),
    ("cs_", "color_space"),
    ("p_", "prefix"),
    ("bl_", "baseline"),
    ("dl_1.5", "delay"),
    ("du_auto", "duration"),
    ("y_1e3", "y"),
    ("dn_-1", "density"),
    ("l_text:Arial_18:", "overlay"),
    ("l_text:Arial_18_blod:hi", "overlay"),
    ("l_text:Arial_0:hi", "overlay"),
    ("l_fetch:@@@", "overlay"),
    ("l_fetch:aGVsbG8", "overlay"),  # "hello": not a URL
    ("l_fetch:a", "overlay"),
    ("l_fetch:_w", "overlay"),  # invalid UTF-8
    ("l_", "overlay"),
    ("l_folder::logo", "overlay"),
    ("u_text:", "underlay"),
    ("if_w_lt", "if"),
    ("if_w_lt_200_and", "if"),
    ("if_w_approx_200", "if"),
    ("if_bogus_gt_1", "if"),
    ("$1x_2", "variables"),
    ("$x", "variables"),
]


def test_every_parameter_has_valid_and_invalid_cases() -> None:
    names = {spec.name for spec in TABLE}
    structural = {"if", "variables", "overlay", "underlay"}  # tested on their own below
    assert names - structural <= {name for _, name, _ in VALID}
    assert names <= {name for _, name in INVALID}


def _only(text: str) -> object:
    component = parse_component(text)
    assert len(component.params) == 1, component
    return component.params[0]


@pytest.mark.parametrize(("text", "name", "value"), VALID, ids=[v[0] for v in VALID])
def test_valid_parameter_parses_to_its_value(text: str, name: str, value: object) -> None:
    assert _only(text) == (name, value)


@pytest.mark.parametrize(("raw", "layer"), LAYERS, ids=[raw for raw, _ in LAYERS])
@pytest.mark.parametrize("code", ["l", "u"])
def test_layers_parse(code: str, raw: str, layer: Layer) -> None:
    name = "overlay" if code == "l" else "underlay"
    assert _only(f"{code}_{raw}") == (name, layer)


@pytest.mark.parametrize(("text", "parameter"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid_parameter_is_named(text: str, parameter: str) -> None:
    with pytest.raises(TransformationError) as caught:
        parse_transformation(f"c_scale/{text}")
    assert caught.value.parameter == parameter
    assert isinstance(caught.value, InvalidParameterError)


def test_invalid_value_message_names_parameter_and_value() -> None:
    with pytest.raises(InvalidParameterError, match=r"^Invalid width: 'abc'$"):
        parse_transformation("c_fill,w_abc")


@pytest.mark.parametrize(
    ("text", "key"),
    [("zz_1", "zz"), ("sample", "sample"), ("W_100", "W"), ("my_folder", "my"), ("_x", "")],
)
def test_unknown_parameter_is_named(text: str, key: str) -> None:
    with pytest.raises(UnknownParameterError) as caught:
        parse_transformation(f"w_100,{text}")
    assert caught.value.parameter == key
    assert str(caught.value) == f"Unknown transformation parameter '{text}'"


@pytest.mark.parametrize(
    ("text", "parameter"),
    [("w_100,w_200", "width"), ("if_w_lt_1,if_end", "if"), ("$a_1,$a_2", "variables")],
)
def test_repeats_are_refused(text: str, parameter: str) -> None:
    with pytest.raises(InvalidParameterError, match="Duplicate") as caught:
        parse_transformation(text)
    assert caught.value.parameter == parameter


@pytest.mark.parametrize("text", ["a//b", "w_100/", "/w_100", "w_100,,h_100", "w_100,"])
def test_empty_components_and_parameters_are_refused(text: str) -> None:
    with pytest.raises(TransformationError):
        parse_transformation(text)


def test_empty_string_is_the_empty_transformation() -> None:
    assert len(parse_transformation("")) == 0
    assert serialize(parse_transformation("")) == ""


def test_overlong_input_is_refused() -> None:
    with pytest.raises(TransformationError, match="longer"):
        parse_transformation("w_1," * 5000)


@pytest.mark.parametrize(
    "text",
    ["c_scale,g_auto,w_100", "g_auto,w_100", "c_pad,g_auto:faces,h_10,w_10", "c_fit,g_auto"],
)
def test_auto_gravity_only_with_cropping_modes(text: str) -> None:
    with pytest.raises(InvalidParameterError, match="auto gravity only") as caught:
        parse_transformation(text)
    assert caught.value.parameter == "gravity"


@pytest.mark.parametrize("text", ["c_fill,g_auto,w_1", "c_thumb,g_auto:adv_faces:10,w_1"])
def test_auto_gravity_with_cropping_modes_is_fine(text: str) -> None:
    parse_transformation(text)


# ----------------------------------------------------------------------------- structure


def test_parameters_in_any_order_give_one_model() -> None:
    assert parse_component("w_100,c_fill,h_50") == parse_component("c_fill,h_50,w_100")


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("fl_a.b", ("a", "b")),
        ("fl_a,fl_b", ("a", "b")),
        ("fl_b,w_1,fl_a.c", ("a", "b", "c")),
        ("fl_a,fl_a", ("a",)),
    ],
)
def test_repeated_flags_merge(text: str, names: tuple[str, ...]) -> None:
    flags = parse_component(text).get("flags")
    assert isinstance(flags, Flags)
    assert flags.names == names


def test_condition_and_variables_are_structure() -> None:
    component = parse_component("c_scale,$z_5,if_fc_gt_2,$foo_$z_mul_2,w_$foo_mul_200")
    assert component.condition == Condition("fc_gt_2")
    assert component.variables == (Variable("z", "5"), Variable("foo", "$z_mul_2"))
    assert component.names == ("crop", "width")


@pytest.mark.parametrize(
    "text",
    [
        "if_else",
        "if_end",
        "if_w_lt_200",
        "if_!tag1:tag2:tag3!_in_tags",
        "if_w_eq_0_and_h_ne_0_or_ar_lt_0_and_pc_gt_0_and_fc_lte_0_and_w_gte_0",
        "if_ctx:!productType!_eq_!shoes!",
        "if_w_mul_2_gt_ih",
    ],
)
def test_conditions_parse(text: str) -> None:
    assert parse_component(text).condition == Condition(text[3:])


def test_component_mapping_access() -> None:
    component = parse_component("c_fill,w_100")
    assert component["crop"] is CropMode.FILL
    assert component.mapping == {"crop": CropMode.FILL, "width": Length.pixels(100)}
    assert "width" in component and "height" not in component
    assert component.typed("width", Length) == Length.pixels(100)
    with pytest.raises(TypeError):
        component.typed("width", Scalar)
    with pytest.raises(KeyError):
        component["height"]
    assert component.with_params(width=None, height=Length.pixels(5)) == Component.of(
        crop=CropMode.FILL, height=Length.pixels(5)
    )


def test_color_values() -> None:
    assert Color(name="red").rgba() == (255, 0, 0, 255)
    assert Color(hex="f00").rgba() == (255, 0, 0, 255)
    assert Color(hex="FEB61FC2").rgba() == (0xFE, 0xB6, 0x1F, 0xC2)
    assert Color(name="transparent").rgba() == (0, 0, 0, 0)


# ----------------------------------------------------------------------------- is_component


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("sample", False),
        ("folder", False),
        ("my_folder", False),
        ("v1", False),
        ("v1234", False),
        ("s--Ai4Znfl3--", False),
        ("", False),
        ("w", False),
        ("sample.jpg", False),
        ("http:", False),
        ("w_100", True),
        ("t_named", True),
        ("c_fill,w_100", True),
        ("fl_layer_apply", True),
        ("if_end", True),
        ("$x_1", True),
        ("%24x_1", True),
        ("l_text:Arial_18:a%252Cb", True),
        ("w_abc", True),  # a malformed component: a 400, not an asset lookup
        ("e_shop", True),  # why the SDKs version public ids with folders
        ("c_fill,sample", False),
        ("$_1", False),
    ],
)
def test_is_component(segment: str, expected: bool) -> None:
    assert is_component(segment) is expected
