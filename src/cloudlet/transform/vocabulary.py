"""The words of the transformation language: crop modes, gravities, effects, flags, formats.

Only words live here, never parameter codes (those are in ``params``). Sources are named in
``shared/reference/transformations.md`` §A1 (mostly the php-transformation-builder-sdk
constants, which mirror Cloudinary's reference).
"""

from __future__ import annotations

from enum import StrEnum


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``."""
    return frozenset(text.split())


class CropMode(StrEnum):
    """``c_`` values."""

    SCALE = "scale"
    FIT = "fit"
    LIMIT = "limit"
    MFIT = "mfit"
    FILL = "fill"
    LFILL = "lfill"
    FILL_PAD = "fill_pad"
    PAD = "pad"
    LPAD = "lpad"
    MPAD = "mpad"
    CROP = "crop"
    THUMB = "thumb"
    AUTO = "auto"
    AUTO_PAD = "auto_pad"
    IMAGGA_CROP = "imagga_crop"
    IMAGGA_SCALE = "imagga_scale"


COMPASS = frozenset(
    {
        "north_west",
        "north",
        "north_east",
        "west",
        "center",
        "east",
        "south_west",
        "south",
        "south_east",
    }
)
FOCAL_GRAVITIES = frozenset(
    {
        "face",
        "faces",
        "adv_face",
        "adv_faces",
        "adv_eyes",
        "body",
        "no_faces",
        "custom",
        "custom_no_override",
        "ocr_text",
        "none",
    }
)
# Object-detection gravities (and their category names), as Cloudinary spells them.
OBJECT_GRAVITIES = words(
    """
    accessory frisbee skis snowboard sportsball kite baseballbat baseballglove skateboard
    surfboard tennisracket animal bird cat dog horse sheep cow elephant bear zebra giraffe
    appliance microwave oven toaster sink refrigerator electronic tvmonitor laptop mouse remote
    keyboard cellphone food banana apple sandwich orange broccoli carrot hotdog pizza donut cake
    furniture chair sofa pottedplant bed diningtable toilet indoor book clock vase scissors
    teddy_bear hair_drier toothbrush kitchen bottle wine_glass cup fork knife spoon bowl outdoor
    traffic_light stopsign parkingmeter firehydrant bench person vehicle bicycle car motorbike
    aeroplane bus train truck boat
    """
)
GRAVITIES = COMPASS | FOCAL_GRAVITIES | OBJECT_GRAVITIES | {"xy_center", "auto", "liquid"}

EFFECTS = words(
    """
    accelerate adv_redeye anti_removal art assist_colorblind auto_brightness auto_color
    auto_contrast background_removal bgremoval blackwhite blue blur blur_faces blur_region
    boomerang brightness brightness_hsb cartoonify colorize contrast cut_out deshake distort
    dropshadow enhance extract fade fill_light gamma gradient_fade grayscale green hue improve
    light loop make_transparent mask multiply negate noise oil_paint opacity_threshold
    ordered_dither outline overlay pixelate pixelate_faces pixelate_region preview recolor red
    redeye replace_color reverse saturation screen sepia shadow sharpen shear
    simulate_colorblind style_transfer theme tint transition trim unsharp_mask upscale
    vectorize vibrance viesus_correct vignette volume zoompan
    """
)
# Generative effects are many and growing: any ``gen_<word>`` name is accepted.
GENERATIVE_PREFIX = "gen_"
# Effects whose first argument is a signed integer level (``e_blur:300``, ``e_sepia:-10``).
LEVEL_EFFECTS = words(
    """
    auto_brightness auto_color auto_contrast blackwhite blue blur blur_faces blur_region
    brightness brightness_hsb colorize contrast fade gamma green hue make_transparent noise
    oil_paint opacity_threshold pixelate pixelate_faces pixelate_region red saturation sepia
    shadow sharpen trim unsharp_mask vibrance vignette
    """
)
# Effects that take no argument at all.
BARE_EFFECTS = frozenset({"grayscale", "negate"})

KNOWN_FLAGS = words(
    """
    animated any_format apng attachment awebp clip clip_evenodd cutter force_icc force_strip
    getinfo hlsv3 ignore_aspect_ratio ignore_mask_channels immutable_cache keep_attribution
    keep_dar keep_iptc layer_apply lossy mono no_overflow no_stream original png8 png24 png32
    preserve_transparency progressive rasterize region_relative relative replace_image sanitize
    splice streaming_attachment strip_profile text_disallow_overflow text_no_trim tiff8_lzw
    tiled truncate_ts waveform
    """
)

IMAGE_FORMATS = words(
    """
    jpg jpeg jpe jpc jp2 png webp avif gif tiff tif bmp ico pdf eps ept ps psd svg wdp hdp jxr
    hpx djvu ai flif bpg miff tga cr2 cr3 arw dng heic heif jxl gltz gltf glb fbxz indd idml
    objz usdz
    """
)
VIDEO_FORMATS = words("avi mp4 webm mov ogv 3gp 3g2 wmv mpeg flv m3u8 ts mkv mpd")
AUDIO_FORMATS = words("mp3 aac m4a ogg wav aiff flac amr midi opus weba")
FORMATS = IMAGE_FORMATS | VIDEO_FORMATS | AUDIO_FORMATS
AUTO_FORMAT_QUALIFIERS = frozenset({"image", "video", "animated", "audio"})

QUALITY_AUTO_LEVELS = frozenset({"best", "good", "eco", "low"})
CHROMA_SUBSAMPLING = frozenset({"444", "420", "422"})

ANGLE_MODES = frozenset({"auto_right", "auto_left", "hflip", "vflip", "ignore", "auto"})

# Text style keywords, in the order the SDKs write them (``Arial_18_bold_italic_underline``).
FONT_WEIGHTS = (
    "thin",
    "extralight",
    "light",
    "normal",
    "book",
    "medium",
    "demibold",
    "semibold",
    "bold",
    "extrabold",
    "ultrabold",
    "black",
    "heavy",
)
FONT_STYLES = ("italic",)
TEXT_DECORATIONS = ("underline", "strikethrough")
TEXT_ALIGNMENTS = ("left", "center", "right", "end", "start", "justify")
TEXT_STROKES = ("stroke",)
# Keywords that take one value (``letter_spacing_4``), in SDK order.
TEXT_VALUED_KEYWORDS = ("letter_spacing", "line_spacing", "antialias", "hinting")
FONT_ANTIALIAS = frozenset({"none", "gray", "subpixel", "fast", "good", "best"})
FONT_HINTING = frozenset({"none", "slight", "medium", "full"})

_KEYWORD_GROUPS: tuple[tuple[str, ...], ...] = (
    FONT_WEIGHTS,
    FONT_STYLES,
    TEXT_DECORATIONS,
    TEXT_ALIGNMENTS,
    TEXT_STROKES,
)


def text_keyword_rank(keyword: str) -> int:
    """Where a text-style keyword goes in the SDK's order (unknown ones last)."""
    for rank, group in enumerate(_KEYWORD_GROUPS):
        if keyword in group:
            return rank
    for offset, prefix in enumerate(TEXT_VALUED_KEYWORDS):
        if keyword.startswith(prefix + "_"):
            return len(_KEYWORD_GROUPS) + offset
    return len(_KEYWORD_GROUPS) + len(TEXT_VALUED_KEYWORDS)


def is_simple_text_keyword(word: str) -> bool:
    """Whether ``word`` is a one-word text-style keyword (``bold``, ``italic``, ``stroke``)."""
    return any(word in group for group in _KEYWORD_GROUPS)


# Layer sources: the resource types (``image`` is the default and is not written).
LAYER_RESOURCE_TYPES = frozenset({"image", "video", "audio", "subtitles", "lut"})
LAYER_DELIVERY_TYPES = frozenset({"upload", "private", "authenticated"})
