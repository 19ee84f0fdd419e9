"""Upload parameter encodings (protocol.md §1.2): context, tags, coordinates, headers."""

from __future__ import annotations

from typing import Any

import cloudinary.utils
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.errors import BadRequestError
from cloudlet.services.encodings import (
    parse_context,
    parse_coordinates,
    parse_headers,
    parse_tags,
)

# ---------------------------------------------------------------------------- context

CONTEXT_CASES = [
    # (value as received, parsed)
    (None, {}),
    ("", {}),
    ("caption=hi\\=there|alt=x\\|y", {"caption": "hi=there", "alt": "x|y"}),
    ("k=v", {"k": "v"}),
    ("a=1|b=2|c=3", {"a": "1", "b": "2", "c": "3"}),
    ("k=", {"k": ""}),
    ("k", {"k": ""}),
    ("k=a=b", {"k": "a=b"}),
    ("k\\=1=v", {"k=1": "v"}),
    ("k\\|1=v", {"k|1": "v"}),
    ("k=\\|\\=\\|", {"k": "|=|"}),
    ("a=1|", {"a": "1"}),
    ("|a=1||b=2|", {"a": "1", "b": "2"}),
    ("a=1|a=2", {"a": "2"}),
    (" k = v ", {" k ": " v "}),
    ("emoji=🙂|ü=ö", {"emoji": "🙂", "ü": "ö"}),
    ("k=line1\nline2", {"k": "line1\nline2"}),
    ('{"caption": "hi=there", "alt": "x|y"}', {"caption": "hi=there", "alt": "x|y"}),
    ('  {"a": "b"}  ', {"a": "b"}),
    ("{}", {}),
    ('{"n": 1, "f": 1.5, "t": true, "l": ["x", "y"]}', {"n": "1", "f": "1.5", "t": "true", "l": '["x", "y"]'}),  # noqa: E501
    ('{"nested": {"a": 1}}', {"nested": '{"a": 1}'}),
    ({"caption": "hi=there", "alt": "x|y"}, {"caption": "hi=there", "alt": "x|y"}),
    ({"n": 5, "l": ["a"]}, {"n": "5", "l": '["a"]'}),
    ({1: "one"}, {"1": "one"}),
    ({}, {}),
]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), CONTEXT_CASES)
def test_parse_context(value: Any, expected: dict[str, str]) -> None:
    assert parse_context(value) == expected


CONTEXT_ERRORS = [
    # (value, part of the message)
    ("=v", "empty key"),
    ("a=1|=2", "empty key"),
    ("{not json", "Invalid context JSON"),
    ('{"a": 1', "Invalid context JSON"),
    (["a=1"], "Invalid context"),
    (42, "Invalid context"),
]


@pytest.mark.parametrize(("value", "message"), CONTEXT_ERRORS)
def test_parse_context_refuses(value: Any, message: str) -> None:
    with pytest.raises(BadRequestError, match=message) as info:
        parse_context(value)
    assert info.value.status == 400


def test_parse_context_of_a_json_array_string_is_not_a_json_object() -> None:
    # only objects are JSON; anything else is read as k=v pairs
    assert parse_context('["a"]') == {'["a"]': ""}


def test_parse_context_reads_the_captured_sdk_request() -> None:
    sent = cloudinary.utils.encode_context({"caption": "hi=there", "alt": "x|y"})
    assert sent == "caption=hi\\=there|alt=x\\|y"
    assert parse_context(sent) == {"caption": "hi=there", "alt": "x|y"}


def test_parse_context_reads_sdk_list_values_as_json_text() -> None:
    sent = cloudinary.utils.encode_context({"colors": ["red", "blue"]})
    assert parse_context(sent) == {"colors": '["red","blue"]'}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"path": "C:\\dir"}, {"path": "C:\\dir"}),
        ({"re": "\\d+"}, {"re": "\\d+"}),
        # list values are sent as JSON text, whose own escapes are backslashes
        ({"l": ["ü"]}, {"l": '["\\u00fc"]'}),
        ({"l": ['say "hi"']}, {"l": '["say \\"hi\\""]'}),
    ],
)
def test_parse_context_keeps_backslashes_the_sdk_does_not_escape(
    context: dict[str, Any], expected: dict[str, str]
) -> None:
    assert parse_context(cloudinary.utils.encode_context(context)) == expected


# Keys as pycloudinary can send them: it does not escape keys, so '=' and '|' cannot be in
# one; a leading '{' would make the whole value read as JSON. Values: anything but a
# backslash directly before '=' or '|' (the SDK does not escape backslashes, so that pair is
# ambiguous on the wire). NUL is left out: multipart form fields cannot carry it usefully.
_KEYS = st.text(
    alphabet=st.characters(exclude_characters="=|\\\x00"),
    min_size=1,
    max_size=20,
).filter(lambda k: not k.lstrip().startswith("{"))
_VALUES = st.text(
    alphabet=st.characters(exclude_characters="\\\x00"),
    max_size=30,
)


@given(st.dictionaries(_KEYS, _VALUES, max_size=8))
def test_parse_context_round_trips_the_sdk_encoding(context: dict[str, str]) -> None:
    assert parse_context(cloudinary.utils.encode_context(context)) == context


# Text that json.dumps writes without escapes (printable ASCII but '"' and backslash).
_JSON_PLAIN = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\'),
    max_size=10,
)


@given(st.dictionaries(_KEYS, st.lists(_JSON_PLAIN, max_size=3), min_size=1, max_size=4))
def test_parse_context_round_trips_sdk_list_values(context: dict[str, list[str]]) -> None:
    encoded = cloudinary.utils.encode_context(context)
    expected = {k: cloudinary.utils.json_encode(v) for k, v in context.items()}
    assert parse_context(encoded) == expected


# ------------------------------------------------------------------------------- tags

TAG_CASES = [
    (None, []),
    ("", []),
    ("a", ["a"]),
    ("a,b", ["a", "b"]),
    (" a , b ,, a ", ["a", "b"]),
    (",,,", []),
    ("b,a,b,c,a", ["b", "a", "c"]),
    (["a", "b", "a"], ["a", "b"]),
    ([" x ", "", "y"], ["x", "y"]),
    (["a,b"], ["a,b"]),  # list items are not split again
    ([1, 2], ["1", "2"]),
    ([], []),
    ("ünïcode,tag with spaces", ["ünïcode", "tag with spaces"]),
    ("Case,case", ["Case", "case"]),
]


@pytest.mark.parametrize(("value", "expected"), TAG_CASES)
def test_parse_tags(value: Any, expected: list[str]) -> None:
    assert parse_tags(value) == expected


def test_parse_tags_reads_what_the_sdk_sends() -> None:
    assert parse_tags(cloudinary.utils.encode_list(["one", "two", "one"])) == ["one", "two"]


def test_parse_tags_length_limit_is_255_characters() -> None:
    assert parse_tags("x" * 255) == ["x" * 255]
    with pytest.raises(BadRequestError, match="longer than 255 characters"):
        parse_tags("ok," + "x" * 256)


def test_parse_tags_count_limit_is_1000_distinct_tags() -> None:
    assert len(parse_tags([f"t{i}" for i in range(1000)])) == 1000
    assert parse_tags(["same"] * 5000) == ["same"]
    with pytest.raises(BadRequestError, match="at most 1000 tags"):
        parse_tags(",".join(f"t{i}" for i in range(1001)))


# ------------------------------------------------------------------------ coordinates

COORDINATE_CASES = [
    (None, []),
    ("", []),
    ("10,20,30,40", [[10, 20, 30, 40]]),
    ("1,2,3,4|5,6,7,8", [[1, 2, 3, 4], [5, 6, 7, 8]]),
    (" 1 , 2 , 3 , 4 ", [[1, 2, 3, 4]]),
    ("1,2,3,4|", [[1, 2, 3, 4]]),
    ("1.9,2.0,3,4", [[1, 2, 3, 4]]),
    ("0,0,0,0", [[0, 0, 0, 0]]),
    ([1, 2, 3, 4], [[1, 2, 3, 4]]),
    (["1", "2", "3", "4"], [[1, 2, 3, 4]]),
    ([[1, 2, 3, 4], [5, 6, 7, 8]], [[1, 2, 3, 4], [5, 6, 7, 8]]),
]


@pytest.mark.parametrize(("value", "expected"), COORDINATE_CASES)
def test_parse_coordinates(value: Any, expected: list[list[int]]) -> None:
    assert parse_coordinates(value, "face_coordinates") == expected


def test_parse_coordinates_reads_what_the_sdk_sends() -> None:
    boxes = [[10, 20, 30, 40], [1, 2, 3, 4]]
    sent = cloudinary.utils.encode_double_array(boxes)
    assert parse_coordinates(sent, "custom_coordinates") == boxes


COORDINATE_ERRORS = [
    ("1,2,3", "each box needs 4"),
    ("1,2,3,4,5", "each box needs 4"),
    ("1,2,3,4|1,2", "each box needs 4"),
    ("-1,2,3,4", "non-negative"),
    ("a,b,c,d", "Invalid custom_coordinates"),
    ("1,2,,4", "Invalid custom_coordinates"),
    ("nan,1,1,1", "Invalid custom_coordinates"),
    ([[1, 2, 3]], "each box needs 4"),
]


@pytest.mark.parametrize(("value", "message"), COORDINATE_ERRORS)
def test_parse_coordinates_refuses(value: Any, message: str) -> None:
    with pytest.raises(BadRequestError, match=message):
        parse_coordinates(value, "custom_coordinates")


@pytest.mark.parametrize("value", ["inf,0,10,10", "1e400,0,10,10", "0,0,-inf,1"])
def test_parse_coordinates_refuses_infinite_numbers(value: str) -> None:
    with pytest.raises(BadRequestError, match="Invalid face_coordinates"):
        parse_coordinates(value, "face_coordinates")


# ---------------------------------------------------------------------------- headers

HEADER_CASES = [
    (None, {}),
    ("", {}),
    ("Link: <https://x.test/a.css>; rel=preload", {"Link": "<https://x.test/a.css>; rel=preload"}),
    ("X-Robots-Tag: noindex", {"X-Robots-Tag": "noindex"}),
    ("link: a\nx-robots-tag: b", {"Link": "a", "X-Robots-Tag": "b"}),
    ("LINK:a", {"Link": "a"}),
    ("Link: a\r\nX-Robots-Tag: b\r\n", {"Link": "a", "X-Robots-Tag": "b"}),
    ("\n\nLink: a\n  \n", {"Link": "a"}),
    ("Link:   spaced   ", {"Link": "spaced"}),
    ("Link: http://a.test:8080/x", {"Link": "http://a.test:8080/x"}),
    ("Link: a\nLink: b", {"Link": "b"}),
    ("Link:", {"Link": ""}),
    (["Link: a", "X-Robots-Tag: none"], {"Link": "a", "X-Robots-Tag": "none"}),
    (["", "Link: a"], {"Link": "a"}),
    ({"link": "a", "X-Robots-Tag": "noindex"}, {"Link": "a", "X-Robots-Tag": "noindex"}),
    ({}, {}),
]


@pytest.mark.parametrize(("value", "expected"), HEADER_CASES)
def test_parse_headers(value: Any, expected: dict[str, str]) -> None:
    assert parse_headers(value) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"Link": "<a.css>; rel=preload", "X-Robots-Tag": "noindex"},
        ["Link: <a.css>", "X-Robots-Tag: noarchive"],
    ],
)
def test_parse_headers_reads_what_the_sdk_sends(headers: Any) -> None:
    sent = cloudinary.utils.build_custom_headers(headers)
    parsed = parse_headers(sent)
    assert set(parsed) == {"Link", "X-Robots-Tag"}
    assert parsed["Link"].startswith("<a.css>")


HEADER_ERRORS = [
    ("Set-Cookie: a=b", "not allowed"),
    ("Link: a\nContent-Type: text/html", "not allowed"),
    ({"Cache-Control": "no-store"}, "not allowed"),
    (["Access-Control-Allow-Origin: *"], "not allowed"),
    ("Link a", "expected 'Name: value'"),
    (["Link"], "expected 'Name: value'"),
    ({"Link": "a\r\nSet-Cookie: x"}, "Invalid value"),
    ({"Link": "a\nb"}, "Invalid value"),
]


@pytest.mark.parametrize(("value", "message"), HEADER_ERRORS)
def test_parse_headers_refuses(value: Any, message: str) -> None:
    with pytest.raises(BadRequestError, match=message):
        parse_headers(value)


def test_parse_headers_refusal_names_the_allowed_headers() -> None:
    with pytest.raises(BadRequestError) as info:
        parse_headers("Server: evil")
    assert "'Server'" in info.value.message
    assert "Link, X-Robots-Tag" in info.value.message
