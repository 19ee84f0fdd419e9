"""The search expression parser, table-driven: every syntax element of transformations.md
B2.2 and every example there, the canonical text of each tree, and errors with positions."""

from __future__ import annotations

import pytest

from cloudlet.search import SearchError, parse, render
from cloudlet.search.syntax import And, Node, Not, Or, Range, Term


def T(value: str, field: str | None = None, op: str = ":", **kw: bool) -> Term:  # noqa: N802
    return Term(value, field, op, **kw)


CASES: list[tuple[str, Node, str]] = [
    # (expression, tree, canonical text)
    ("", And(()), ""),
    ("   ", And(()), ""),
    ("shirt", T("shirt"), "shirt"),
    ('"long pants"', T("long pants", quoted=True), '"long pants"'),
    ("tags:shirt", T("shirt", "tags"), "tags:shirt"),
    ("tags=shirt", T("shirt", "tags", "="), "tags=shirt"),
    ("bytes>1000", T("1000", "bytes", ">"), "bytes>1000"),
    ("bytes>=1000", T("1000", "bytes", ">="), "bytes>=1000"),
    ("bytes<1000", T("1000", "bytes", "<"), "bytes<1000"),
    ("bytes<=1000", T("1000", "bytes", "<="), "bytes<=1000"),
    ("bytes > 10kb", T("10kb", "bytes", ">"), "bytes>10kb"),
    ("public_id:shirts*", T("shirts", "public_id", prefix=True), "public_id:shirts*"),
    ("sh*", T("sh", prefix=True), "sh*"),
    ('"long pa*"', T("long pa", prefix=True, quoted=True), '"long pa*"'),
    ("*", T("", prefix=True), "*"),
    ("context.color:*", T("", "context.color", prefix=True), "context.color:*"),
    ("width:[100 TO 200]", Range("width", "100", "200"), "width:[100 TO 200]"),
    ("width:{100 TO 200}", Range("width", "100", "200", False, False), "width:{100 TO 200}"),
    ("width:[100 TO 200}", Range("width", "100", "200", True, False), "width:[100 TO 200}"),
    ("width:[* TO 200]", Range("width", None, "200"), "width:[* TO 200]"),
    ("width:[-5 TO +5]", Range("width", "-5", "+5"), "width:[-5 TO +5]"),
    (
        'created_at:["2024-01-01" TO "2024-02-01T10:00:00Z"]',
        Range("created_at", "2024-01-01", "2024-02-01T10:00:00Z"),
        'created_at:[2024-01-01 TO "2024-02-01T10:00:00Z"]',
    ),
    ("a AND b", And((T("a"), T("b"))), "a AND b"),
    ("a && b", And((T("a"), T("b"))), "a AND b"),
    ("a b", And((T("a"), T("b"))), "a AND b"),
    ("a OR b", Or((T("a"), T("b"))), "a OR b"),
    ("a || b", Or((T("a"), T("b"))), "a OR b"),
    ("NOT a", Not(T("a")), "NOT a"),
    ("!a", Not(T("a")), "NOT a"),
    ("-a", Not(T("a")), "NOT a"),
    ("+a", T("a"), "a"),
    ("a -b +c", And((T("a"), Not(T("b")), T("c"))), "a AND NOT b AND c"),
    ("a and b", And((T("a"), T("and"), T("b"))), "a AND and AND b"),  # operators are CAPS
    ("a OR b AND c", Or((T("a"), And((T("b"), T("c"))))), "a OR (b AND c)"),
    ("(a OR b) AND c", And((Or((T("a"), T("b"))), T("c"))), "(a OR b) AND c"),
    ("NOT (a OR b)", Not(Or((T("a"), T("b")))), "NOT (a OR b)"),
    ("((a))", T("a"), "a"),
    (
        "tags:(a OR b)",
        Or((T("a", "tags"), T("b", "tags"))),
        "tags:a OR tags:b",
    ),
    ("tags:(a b)", And((T("a", "tags"), T("b", "tags"))), "tags:a AND tags:b"),
    # quoting and escaping (B2.2)
    ('product:"shirt:blue"', T("shirt:blue", "product", quoted=True), 'product:"shirt:blue"'),
    ("\\~shirt", T("~shirt"), "\\~shirt"),
    ("a\\ b", T("a b"), "a\\ b"),
    ("16\\:9", T("16:9"), "16\\:9"),
    ('"16:9"', T("16:9", quoted=True), '"16:9"'),
    ('"say \\"hi\\""', T('say "hi"', quoted=True), '"say \\"hi\\""'),
    ('"a\\*b"', T("a*b", quoted=True), '"a\\*b"'),
    ("a\\*", T("a*"), "a\\*"),
    ("\\AND", T("AND"), "\\AND"),
    ("2024-01-01", T("2024-01-01"), "2024-01-01"),
    ("context.my\\ key:v", T("v", "context.my key"), "context.my\\ key:v"),
    ("a-b", T("a-b"), "a-b"),
    ("uploaded_at>1d", T("1d", "uploaded_at", ">"), "uploaded_at>1d"),
    # the examples of B2.2
    (
        "resource_type:image AND tags=kitten AND uploaded_at>1d AND bytes>1m",
        And(
            (
                T("image", "resource_type"),
                T("kitten", "tags", "="),
                T("1d", "uploaded_at", ">"),
                T("1m", "bytes", ">"),
            )
        ),
        "resource_type:image AND tags=kitten AND uploaded_at>1d AND bytes>1m",
    ),
    (
        'tag:dog uploaded_at>1m aspect_ratio>="4:3" width>2048',
        And(
            (
                T("dog", "tag"),
                T("1m", "uploaded_at", ">"),
                T("4:3", "aspect_ratio", ">=", quoted=True),
                T("2048", "width", ">"),
            )
        ),
        'tag:dog AND uploaded_at>1m AND aspect_ratio>="4:3" AND width>2048',
    ),
    (
        "tags:shirt AND uploaded_at>1d",
        And((T("shirt", "tags"), T("1d", "uploaded_at", ">"))),
        "tags:shirt AND uploaded_at>1d",
    ),
    (
        "resource_type:image AND bytes>1000000",
        And((T("image", "resource_type"), T("1000000", "bytes", ">"))),
        "resource_type:image AND bytes>1000000",
    ),
    (
        "folder:products OR context.category:electronics",
        Or((T("products", "folder"), T("electronics", "context.category"))),
        "folder:products OR context.category:electronics",
    ),
    ("public_id=a/b", T("a/b", "public_id", "="), "public_id=a/b"),
    ("asset_id=abc", T("abc", "asset_id", "="), "asset_id=abc"),
    ("folder:a/*", T("a/", "folder", prefix=True), "folder:a/*"),
    ("path:folder*", T("folder", "path", prefix=True), "path:folder*"),
]


@pytest.mark.parametrize(("text", "tree", "canonical"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_parse_and_render(text: str, tree: Node, canonical: str) -> None:
    assert parse(text) == tree
    assert render(tree) == canonical
    assert parse(canonical) == tree


def test_positions_are_kept() -> None:
    tree = parse("a AND (tags:b OR -c)")
    assert isinstance(tree, And)
    inner = tree.operands[1]
    assert isinstance(inner, Or)
    assert [tree.operands[0].position, inner.operands[0].position] == [0, 7]
    assert inner.operands[1].position == 17


ERRORS = [
    # (expression, position, part of the message)
    ("(a", 2, "expected ')'"),
    ("a)", 1, "unexpected ')'"),
    ("a:", 2, "expected a value"),
    ("tags:", 5, "expected a value"),
    ('"abc', 0, "unterminated quoted string"),
    ('a "b', 2, "unterminated quoted string"),
    ("a\\", 1, "nothing to escape"),
    ("a~", 1, "unsupported operator '~'"),
    ("a^2", 1, "unsupported operator '^'"),
    ("a?", 1, "unsupported operator '?'"),
    ("a*b", 1, "only allowed at the end"),
    ('"a*b"', 2, "only allowed at the end"),
    ("width:[1 TO", 11, "expected a range bound"),
    ("width:[1 2]", 9, "expected 'TO'"),
    ("width:[1 TO 2", 13, "expected ']' or '}'"),
    ("width>[1 TO 2]", 6, "a range needs ':'"),
    ("AND", 0, "unexpected 'AND'"),
    ("a AND", 5, "expected a term"),
    ("a OR OR b", 5, "unexpected 'OR'"),
    ("()", 1, "unexpected ')'"),
    ("a & b", 2, "unexpected '&'"),
    ("a | b", 2, "unexpected '|'"),
    ('"x":y', 3, "unexpected ':'"),
    ("x*:y", 0, "invalid field name"),
    ("a:b:c", 3, "unexpected ':'"),
    ("(" * 40 + "a" + ")" * 40, 32, "nested deeper than 32"),
    (" ".join(["a"] * 201), 400, "more than 200 terms"),
    ("a" * 10_001, 10_000, "longer than 10000"),
    ("tags:a\x00b", 6, "NUL character"),
    ("tags:\ud800", 5, "lone surrogate"),
]


@pytest.mark.parametrize(("text", "position", "message"), ERRORS, ids=[e[0][:30] for e in ERRORS])
def test_errors_name_the_position(text: str, position: int, message: str) -> None:
    with pytest.raises(SearchError) as caught:
        parse(text)
    assert caught.value.position == position
    assert message in caught.value.message
    assert caught.value.message.endswith(f"at position {position}")
