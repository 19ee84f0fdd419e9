"""Typed parameter values (services/values.py) and identifiers (services/ids.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.errors import BadRequestError
from cloudlet.services.ids import (
    MAX_PUBLIC_ID_LENGTH,
    new_hex_id,
    public_id_problem,
    random_public_id,
    random_suffix,
    sanitize_filename,
    validate_public_id,
)
from cloudlet.services.values import as_bool, as_int, as_list, as_str

# ----------------------------------------------------------------------------- as_str

AS_STR_CASES = [
    # (value in the params, default, result)
    (None, None, None),
    ("", None, None),
    ([], None, None),
    (None, "dflt", "dflt"),
    ("", "dflt", "dflt"),
    ([], "dflt", "dflt"),
    ("text", None, "text"),
    (" spaced ", None, " spaced "),
    ("0", None, "0"),
    (True, None, "true"),
    (False, None, "false"),
    (0, None, "0"),
    (12, None, "12"),
    (1.5, None, "1.5"),
    (["a", "b"], None, "a,b"),
    ([1, 2], None, "1,2"),
    ({"a": 1}, None, '{"a": 1}'),
]


@pytest.mark.parametrize(("value", "default", "expected"), AS_STR_CASES)
def test_as_str(value: Any, default: str | None, expected: str | None) -> None:
    assert as_str({"p": value}, "p", default) == expected


def test_as_str_absent_parameter_gives_default() -> None:
    assert as_str({}, "p") is None
    assert as_str({}, "p", "x") == "x"


# ---------------------------------------------------------------------------- as_bool

AS_BOOL_CASES = [
    # (value, default, result)
    (None, False, False),
    (None, True, True),
    (True, False, True),
    (False, True, False),
    ("true", False, True),
    ("TRUE", False, True),
    (" True ", False, True),
    ("1", False, True),
    ("yes", False, True),
    ("Yes", False, True),
    (1, False, True),
    ("false", True, False),
    ("False", True, False),
    ("0", True, False),
    ("no", True, False),
    (0, True, False),
    ("", True, True),  # "" counts as absent
    ("", False, False),
    ("  ", True, True),
]


@pytest.mark.parametrize(("value", "default", "expected"), AS_BOOL_CASES)
def test_as_bool(value: Any, default: bool, expected: bool) -> None:
    assert as_bool({"flag": value}, "flag", default) is expected


def test_as_bool_absent_parameter_gives_default() -> None:
    assert as_bool({}, "flag") is False
    assert as_bool({}, "flag", True) is True


@pytest.mark.parametrize("value", ["maybe", "2", "on", "off", "t", 2, -1, "1.0"])
def test_as_bool_refuses_other_values_naming_the_parameter(value: Any) -> None:
    with pytest.raises(BadRequestError) as info:
        as_bool({"overwrite": value}, "overwrite")
    assert info.value.status == 400
    assert info.value.message == (
        f"Invalid value for parameter overwrite: {value!r} (expected true/false)"
    )


# ----------------------------------------------------------------------------- as_int

AS_INT_CASES = [
    # (value, default, result)
    (None, None, None),
    (None, 7, 7),
    ("", 7, 7),
    (0, None, 0),
    (42, None, 42),
    ("42", None, 42),
    (" 42 ", None, 42),
    ("-3", None, -3),
    ("+3", None, 3),
    ("0", 5, 0),
]


@pytest.mark.parametrize(("value", "default", "expected"), AS_INT_CASES)
def test_as_int(value: Any, default: int | None, expected: int | None) -> None:
    assert as_int({"n": value}, "n", default) == expected


def test_as_int_absent_parameter_gives_default() -> None:
    assert as_int({}, "n") is None
    assert as_int({}, "n", 3) == 3


@pytest.mark.parametrize("value", ["abc", "1.5", "1e3", "0x10", "12abc", " ", 1.5, [1]])
def test_as_int_refuses_non_integers_naming_the_parameter(value: Any) -> None:
    with pytest.raises(BadRequestError) as info:
        as_int({"max_results": value}, "max_results")
    assert info.value.message == f"Invalid value for parameter max_results: {value!r}"


BOUND_CASES = [
    # (value, minimum, maximum, result or error message)
    ("1", 1, 500, 1),
    ("500", 1, 500, 500),
    ("0", 1, 500, "Parameter max_results must be at least 1"),
    ("501", 1, 500, "Parameter max_results must be at most 500"),
    (-10, 0, None, "Parameter max_results must be at least 0"),
    (10**12, None, None, 10**12),
    (10**12, None, 10, "Parameter max_results must be at most 10"),
]


@pytest.mark.parametrize(("value", "minimum", "maximum", "expected"), BOUND_CASES)
def test_as_int_bounds(
    value: Any, minimum: int | None, maximum: int | None, expected: int | str
) -> None:
    params = {"max_results": value}
    if isinstance(expected, int):
        assert as_int(params, "max_results", minimum=minimum, maximum=maximum) == expected
        return
    with pytest.raises(BadRequestError) as info:
        as_int(params, "max_results", minimum=minimum, maximum=maximum)
    assert info.value.message == expected


def test_as_int_default_is_not_checked_against_bounds() -> None:
    assert as_int({}, "n", 0, minimum=1) == 0


# ---------------------------------------------------------------------------- as_list

AS_LIST_CASES = [
    # (value, split_commas, result)
    (None, False, []),
    ("", False, []),
    ([], False, []),
    (["a", "b"], False, ["a", "b"]),
    (["a", "", None, "b"], False, ["a", "b"]),
    ([1, 0], False, ["1", "0"]),
    ("one", False, ["one"]),
    ("a,b", False, ["a,b"]),
    ("a, b,,c ", True, ["a", "b", "c"]),
    (",", True, []),
    ('["a", "b"]', False, ["a", "b"]),
    ('["a,b", "c"]', True, ["a,b", "c"]),
    ("[1, 2]", False, ["1", "2"]),
    ("[]", False, []),
    ("[not json", False, ["[not json"]),
    ("[not,json", True, ["[not", "json"]),
    ('{"a": 1}', False, ['{"a": 1}']),
    ('"quoted"', False, ['"quoted"']),
]


@pytest.mark.parametrize(("value", "split_commas", "expected"), AS_LIST_CASES)
def test_as_list(value: Any, split_commas: bool, expected: list[str]) -> None:
    assert as_list({"public_ids": value}, "public_ids", split_commas=split_commas) == expected


def test_as_list_absent_parameter_is_empty() -> None:
    assert as_list({}, "public_ids") == []


def test_as_list_json_null_is_dropped_like_a_real_none() -> None:
    assert as_list({"p": '["a", null]'}, "p") == as_list({"p": ["a", None]}, "p") == ["a"]


# ------------------------------------------------------------------------- public ids

GOOD_PUBLIC_IDS = [
    "sample",
    "a",
    "folder/sample",
    "a/b/c/d/e",
    "sample.jpg",
    "my file",  # spaces inside a segment are fine
    "folder/my  file name",
    "über/ñandú",
    "日本語/写真",
    "emoji🙂",
    "a.b.c",
    "...x",
    "x..",
    "a-b_c~d!e$f&g'h(i)j*k+l,m;n=o@p:q",
    "[brackets]{braces}",
    "x" * MAX_PUBLIC_ID_LENGTH,
    "a/" + "b" * (MAX_PUBLIC_ID_LENGTH - 2),
]


@pytest.mark.parametrize("public_id", GOOD_PUBLIC_IDS)
def test_validate_public_id_accepts(public_id: str) -> None:
    assert public_id_problem(public_id) is None
    assert validate_public_id(public_id) == public_id


BAD_PUBLIC_IDS = [
    # (public id, part of the problem)
    ("", "empty"),
    ("x" * (MAX_PUBLIC_ID_LENGTH + 1), "longer than 255"),
    ("é" * (MAX_PUBLIC_ID_LENGTH + 1), "longer than 255"),
    ("/leading", "empty path segment"),
    ("trailing/", "empty path segment"),
    ("double//slash", "empty path segment"),
    ("/", "empty path segment"),
    ("..", "'..' path segment"),
    ("../etc/passwd", "'..' path segment"),
    ("a/../b", "'..' path segment"),
    ("a/..", "'..' path segment"),
    (".", "'.' or '..'"),
    ("a/./b", "'.' or '..'"),
    (" lead", "whitespace"),
    ("trail ", "whitespace"),
    ("a/ b", "whitespace"),
    ("a /b", "whitespace"),
    ("a\u00a0", "whitespace"),
    ("\u3000a", "whitespace"),
    ("nul\x00", "control character"),
    ("tab\there", "control character"),
    ("new\nline", "control character"),
    ("cr\r", "control character"),
    ("esc\x1b", "control character"),
    ("del\x7f", "control character"),
    ("back\\slash", "control character"),
    ("what?", "control character"),
    ("hash#tag", "control character"),
    ("per%20cent", "control character"),
    ("<tag>", "control character"),
]


@pytest.mark.parametrize(("public_id", "problem"), BAD_PUBLIC_IDS)
def test_validate_public_id_refuses(public_id: str, problem: str) -> None:
    found = public_id_problem(public_id)
    assert found is not None and problem in found
    with pytest.raises(BadRequestError) as info:
        validate_public_id(public_id)
    assert info.value.status == 400
    assert info.value.message.startswith(f"Invalid public_id {public_id!r}: ")
    assert problem in info.value.message


# ------------------------------------------------------------------------- file names

SANITIZE_CASES = [
    ("photo", "photo"),
    ("my photo", "my_photo"),
    ("  my   photo  ", "my_photo"),
    ("tab\there", "tab_here"),
    ("a/b", "a_b"),
    ("a\\b", "a_b"),
    ("what?#%<>", "what_____"),
    ("nul\x00x", "nul_x"),
    ("..hidden", "hidden"),
    ("trailing.", "trailing"),
    ("..", "file"),
    ("", "file"),
    ("   ", "file"),
    ("photo.final", "photo.final"),
    ("ünïcode 写真", "ünïcode_写真"),
]


@pytest.mark.parametrize(("name", "expected"), SANITIZE_CASES)
def test_sanitize_filename(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


@given(st.text(max_size=200))
def test_sanitize_filename_always_gives_a_valid_one_segment_public_id(name: str) -> None:
    cleaned = sanitize_filename(name)
    assert "/" not in cleaned
    assert public_id_problem(cleaned) is None


# ---------------------------------------------------------------------- random ids


def test_random_public_id_shape() -> None:
    generated = {random_public_id() for _ in range(200)}
    assert len(generated) == 200
    assert all(re.fullmatch(r"[a-z0-9]{20}", pid) for pid in generated)
    assert all(public_id_problem(pid) is None for pid in generated)


@pytest.mark.parametrize("length", [1, 6, 8, 32])
def test_random_public_id_length(length: int) -> None:
    assert re.fullmatch(rf"[a-z0-9]{{{length}}}", random_public_id(length))


def test_random_public_id_uses_the_whole_alphabet() -> None:
    seen = set("".join(random_public_id(50) for _ in range(100)))
    assert seen == set("abcdefghijklmnopqrstuvwxyz0123456789")


def test_random_suffix_is_six_characters() -> None:
    assert re.fullmatch(r"[a-z0-9]{6}", random_suffix())


def test_new_hex_id_is_32_lowercase_hex_and_unique() -> None:
    ids = {new_hex_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
