"""Property tests: random valid components survive serialize → parse unchanged, and arbitrary
text makes the parser raise ``TransformationError`` and nothing else."""

from __future__ import annotations

import re
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlet.transform import (
    TransformationError,
    is_component,
    parse_component,
    parse_transformation,
    serialize,
    serialize_component,
)
from cloudlet.transform.colors import NAMED_COLORS
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
    Expression,
    FetchFormat,
    Flag,
    Flags,
    Gravity,
    Layer,
    Length,
    LengthKind,
    Named,
    Offset,
    Page,
    Quality,
    Radius,
    Scalar,
    TextStyle,
    Token,
    Transformation,
    Variable,
)
from cloudlet.transform.params import BY_CODE, PARAMETERS
from cloudlet.transform.parse import AUTO_GRAVITY_CROPS
from cloudlet.transform.vocabulary import (
    BARE_EFFECTS,
    EFFECTS,
    FORMATS,
    GRAVITIES,
    KNOWN_FLAGS,
    LEVEL_EFFECTS,
    CropMode,
)

# ----------------------------------------------------------------------------- building blocks

thousandths = st.integers(1, 99_999).map(lambda n: n / 1000)
tenths = st.integers(1, 1000).map(lambda n: n / 10)
variable_names = st.from_regex(r"[a-z][a-zA-Z0-9]{0,5}", fullmatch=True)
variable_refs = variable_names.map(lambda n: "$" + n)
words = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
# Any text the URL can carry (no surrogates, which have no UTF-8 form).
any_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)


def _name_part(forbidden: str) -> st.SearchStrategy[str]:
    alphabet = st.characters(exclude_categories=("Cs",), exclude_characters=forbidden)
    return st.text(alphabet, min_size=1, max_size=10).filter(lambda s: bool(s.strip()))


public_id_parts = _name_part(",/:")
public_ids = st.lists(public_id_parts, min_size=1, max_size=3).map("/".join)
# Prefix words and variables as first folders are written with an explicit ``upload:``.
layer_public_ids = public_ids | st.sampled_from(
    ["text/a", "fetch/b", "video/c", "upload/d", "private/e", "$f", "$g/h", "image"]
)
# A subtitles id whose first folder reads as a font style (``Arial_20/x``) is ambiguous.
subtitle_ids = public_ids.filter(lambda p: not re.match(r"[^/_]+_\d", p))


@st.composite
def expressions(draw: st.DrawFn) -> Expression:
    operands = st.sampled_from(["iw", "ih", "w", "h", "2", "0.5", "10"]) | variable_refs
    tokens = [draw(st.sampled_from(["iw", "ih", "w", "h", "ow", "ar"]) | variable_refs)]
    for _ in range(draw(st.integers(0, 2))):
        tokens += [draw(st.sampled_from(["add", "sub", "mul", "div", "pow", "mod"]))]
        tokens += [draw(operands)]
    return Expression("_".join(tokens))


expression_lengths = expressions().map(lambda e: Length(LengthKind.EXPRESSION, expression=e))
widths = st.one_of(
    st.integers(1, 99_999).map(Length.pixels),
    thousandths.map(Length.relative),
    expression_lengths,
    st.sampled_from(["", ":20", ":20:350", ":breakpoints", ":breakpoints_100_1900_20_15"]).map(
        Length.auto_width
    ),
)
heights = st.one_of(
    st.integers(1, 99_999).map(Length.pixels), thousandths.map(Length.relative), expression_lengths
)
offsets = st.one_of(
    st.integers(-5000, 5000).map(Length.pixels),
    st.integers(-5000, 5000).map(lambda n: Length.relative(n / 1000)),
    expression_lengths,
)
colors = st.one_of(
    st.sampled_from(sorted(NAMED_COLORS)).map(lambda n: Color(name=n)),
    st.from_regex(r"[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8}", fullmatch=True).map(
        lambda h: Color(hex=h)
    ),
    variable_refs.map(lambda v: Color(name=v)),
)


@st.composite
def effects(draw: st.DrawFn) -> Effect:
    name = draw(st.sampled_from(sorted(EFFECTS)) | words.map(lambda w: "gen_" + w))
    if name in BARE_EFFECTS:
        return Effect(name)
    args = draw(st.lists(st.from_regex(r"[A-Za-z0-9;()_.\-]{1,8}", fullmatch=True), max_size=3))
    if name in LEVEL_EFFECTS and args:
        args[0] = str(draw(st.integers(-100, 2000)))
    return Effect(name, tuple(args))


flags = st.lists(
    st.builds(
        Flag,
        st.sampled_from(sorted(KNOWN_FLAGS))
        | st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
        st.just("") | st.from_regex(r"[A-Za-z0-9_\-]{1,8}", fullmatch=True),
    ),
    min_size=1,
    max_size=4,
).map(lambda items: Flags(tuple(items)))

qualities = st.one_of(
    st.builds(
        lambda n, o: Quality("number", n, o),
        st.integers(1, 100) | st.integers(1, 999).map(lambda n: n / 10),
        st.sampled_from([(), ("444",), ("420",), ("qmax_20",)]),
    ),
    st.sampled_from([(), ("best",), ("good",), ("eco",), ("low", "444")]).map(
        lambda o: Quality("auto", options=o)
    ),
    st.sampled_from([(), ("0",), ("2",)]).map(lambda o: Quality("jpegmini", options=o)),
    expressions().map(lambda e: Quality("expression", expression=e)),
)

TEXT_KEYWORDS = ["bold", "italic", "underline", "center", "stroke", "letter_spacing_4"]
text_styles = st.builds(
    TextStyle,
    _name_part(",/:_"),
    st.integers(1, 9999),
    st.lists(st.sampled_from(TEXT_KEYWORDS), unique=True, max_size=3).map(tuple),
)
layers = st.one_of(
    st.builds(
        Layer,
        st.sampled_from(["image", "video", "audio", "lut"]),
        public_id=layer_public_ids,
        delivery_type=st.sampled_from(["upload", "private", "authenticated"]),
    ),
    st.builds(Layer, st.just("text"), text=any_text, style=st.none() | text_styles),
    st.builds(
        Layer,
        st.just("text"),
        text=any_text,
        style_id=st.from_regex(r"[a-z]{1,8}", fullmatch=True) | variable_refs,
    ),
    st.builds(Layer, st.just("subtitles"), public_id=subtitle_ids, style=st.none() | text_styles),
    st.builds(
        Layer,
        st.just("fetch"),
        url=st.from_regex(r"https?://[a-z0-9.]{1,20}/[ -~]{0,30}", fullmatch=True),
        resource_type=st.sampled_from(["image", "video"]),
    ),
    variable_refs.map(lambda v: Layer("variable", public_id=v)),
)
tokens = st.text(string.ascii_letters + string.digits + ":;._-=+()!$", min_size=1, max_size=20)
time_offsets = st.one_of(
    st.integers(0, 10_000).map(lambda n: Offset(n / 100)),
    st.integers(0, 100).map(lambda n: Offset(n, percent=True)),
)

# One strategy per parameter of the table (a test checks that none is missing).
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "angle": st.lists(
        st.integers(-360, 360) | st.sampled_from(["hflip", "vflip", "auto_right", "auto"]),
        min_size=1,
        max_size=3,
    ).map(lambda steps: Angle(tuple(steps))),
    "audio_codec": tokens.map(Token),
    "audio_frequency": tokens.map(Token),
    "aspect_ratio": st.one_of(
        st.builds(AspectRatio, st.integers(1, 99), st.integers(1, 99)),
        thousandths.map(AspectRatio),
        expressions().map(lambda e: AspectRatio(expression=e)),
    ),
    "background": st.one_of(
        colors.map(Background),
        st.builds(
            Background,
            mode=st.sampled_from(["auto", "blurred", "gen_fill"]),
            options=st.lists(words, max_size=3).map(tuple),
        ),
    ),
    "baseline": tokens.map(Token),
    "border": st.builds(Border, tenths, colors),
    "bit_rate": tokens.map(Token),
    "crop": st.sampled_from(list(CropMode)),
    "color": colors,
    "color_space": tokens.map(Token),
    "default_image": public_ids.map(AssetRef),
    "delay": st.integers(0, 10_000).map(Scalar),
    "density": st.integers(0, 10_000).map(Scalar),
    "dpr": st.integers(1, 50).map(lambda n: Dpr(n / 10)) | st.just(Dpr(auto=True)),
    "duration": time_offsets,
    "effect": effects() | variable_refs.map(Effect),
    "end_offset": time_offsets,
    "fetch_format": st.sampled_from(sorted(FORMATS)).map(FetchFormat)
    | st.sampled_from(["", "image", "video"]).map(lambda q: FetchFormat("auto", q)),
    "flags": flags,
    "custom_function": tokens.map(Token),
    "fps": tokens.map(Token),
    "gravity": st.builds(
        Gravity,
        st.sampled_from(sorted(GRAVITIES)),
        st.lists(st.sampled_from(["center", "face", "subject", "10", "cat_30"]), max_size=2).map(
            tuple
        ),
    ),
    "height": heights,
    "keyframe_interval": tokens.map(Token),
    "overlay": layers,
    "opacity": st.integers(0, 100).map(Scalar) | expressions().map(lambda e: Scalar(expression=e)),
    "prefix": tokens.map(Token),
    "page": st.sampled_from(["3", "-1", "2-4;6;8", "2-", "name:skyline", "embedded:3"]).map(Page),
    "quality": qualities,
    "radius": st.one_of(
        st.just(Radius(maximum=True)),
        st.lists(
            st.integers(0, 999).map(Length.pixels) | expression_lengths, min_size=1, max_size=4
        ).map(lambda c: Radius(tuple(c))),
    ),
    "start_offset": time_offsets | st.just(Offset(auto=True)),
    "streaming_profile": tokens.map(Token),
    "named": st.lists(_name_part(",/:."), min_size=1, max_size=3).map(lambda n: Named(tuple(n))),
    "underlay": layers,
    "video_codec": tokens.map(Token),
    "video_sampling": tokens.map(Token),
    "width": widths,
    "x": offsets,
    "y": offsets,
    "zoom": thousandths.map(Scalar) | expressions().map(lambda e: Scalar(expression=e)),
}

conditions = st.sampled_from(
    ["else", "end", "w_lt_200", "fc_gt_2_and_ar_gte_1.5", "!a:b!_in_tags", "w_mul_2_gt_ih"]
).map(Condition)
variables = st.lists(
    st.builds(Variable, variable_names, st.sampled_from(["5", "!blur!", "iw_mul_2", "$z_add_1"])),
    max_size=3,
    unique_by=lambda v: v.name,
).map(tuple)


@st.composite
def components(draw: st.DrawFn) -> Component:
    names = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=6, unique=True))
    params = {name: draw(VALUES[name]) for name in names}
    _allow_auto_gravity(params)
    condition = draw(st.none() | conditions)
    return Component.of(params, variables=draw(variables), condition=condition)


def _allow_auto_gravity(params: dict[str, Any]) -> None:
    """Auto gravity needs a cropping mode when the component resizes (the parser checks)."""
    gravity = params.get("gravity")
    if isinstance(gravity, Gravity) and gravity.is_auto:
        resizes = any(n in params for n in ("crop", "width", "height", "aspect_ratio"))
        if resizes and params.get("crop") not in AUTO_GRAVITY_CROPS:
            params["crop"] = CropMode.FILL


# ----------------------------------------------------------------------------- properties


def test_every_parameter_has_a_strategy() -> None:
    assert set(VALUES) == {spec.name for spec in PARAMETERS}


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(components())
def test_component_round_trips(component: Component) -> None:
    text = serialize_component(component)
    assert is_component(text)
    parsed = parse_component(text)
    assert parsed == component
    assert serialize_component(parsed) == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(components(), min_size=1, max_size=4))
def test_transformation_round_trips(chain: list[Component]) -> None:
    transformation = Transformation(tuple(chain))
    text = serialize(transformation)
    assert parse_transformation(text) == transformation
    assert serialize(parse_transformation(text)) == text


# ----------------------------------------------------------------------------- fuzz

codes = sorted(BY_CODE) + ["if", "$x", "zz", "W", ""]
fragments = st.sampled_from(
    [
        "100",
        "0.5",
        "-3",
        "auto",
        "iw_mul_2",
        "text:Arial_18:",
        "fetch:",
        "rgb:ff0",
        "%25",
        "%2C",
        "%",
        "!",
        ":",
        "_",
        ".",
        "$",
        "max",
        "fill",
        "face",
        "aGVsbG8",
        "é",
        "\x00",
    ]
)
fuzz_params = st.builds(
    lambda code, parts: f"{code}_{''.join(parts)}",
    st.sampled_from(codes),
    st.lists(fragments | st.text(max_size=4), max_size=4),
)
fuzz_text = st.one_of(
    st.text(max_size=60),
    st.lists(fuzz_params, min_size=1, max_size=5).map(",".join),
    st.lists(st.lists(fuzz_params, min_size=1, max_size=3).map(",".join), max_size=3).map("/".join),
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fuzz_text)
def test_arbitrary_text_raises_only_transformation_error(text: str) -> None:
    is_component(text)
    try:
        parsed = parse_transformation(text)
    except TransformationError:
        return
    canonical = serialize(parsed)
    assert parse_transformation(canonical) == parsed
    assert serialize(parse_transformation(canonical)) == canonical
