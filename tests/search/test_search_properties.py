"""Properties of the search language: every tree survives render → parse unchanged, and
arbitrary text (or arbitrary tokens glued together) makes parse and plan raise SearchError
and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.search import SearchError, parse, plan, plan_folders, render
from cloudlet.search.syntax import And, Node, Not, Or, Range, Term

NOW = datetime(2024, 6, 15, tzinfo=UTC)
FIELDS = ["tags", "public_id", "bytes", "width", "created_at", "context.k", "folder", "x_y",
          "context.a b", "context.(x)", "metadata.AND"]  # fmt: skip
# every character an expression may hold: no lone surrogates (Cs), no NUL (the lexer refuses both)
text = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
)


@st.composite
def terms(draw: st.DrawFn) -> Term:
    field = draw(st.none() | st.sampled_from(FIELDS))
    op = draw(st.sampled_from([":", "=", ">", ">=", "<", "<="])) if field else ":"
    value = draw(text)
    prefix = draw(st.booleans())
    quoted = draw(st.booleans()) or (not value and not prefix)
    return Term(value, field, op, prefix, quoted)


@st.composite
def ranges(draw: st.DrawFn) -> Range:
    bound = st.none() | text.filter(bool)
    return Range(
        draw(st.sampled_from(FIELDS)),
        draw(bound),
        draw(bound),
        draw(st.booleans()),
        draw(st.booleans()),
    )


def _flat(kind: type, items: list[Node]) -> Node:
    # parse flattens a AND (b AND c) written without parentheses only when grouped: render
    # adds parentheses around nested And/Or, so nesting survives as it is
    return kind(tuple(items))


trees = st.recursive(
    terms() | ranges(),
    lambda inner: (
        st.builds(Not, inner)
        | st.lists(inner, min_size=2, max_size=4).map(lambda items: _flat(And, items))
        | st.lists(inner, min_size=2, max_size=4).map(lambda items: _flat(Or, items))
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(trees)
def test_render_then_parse_is_identity(tree: Node) -> None:
    assert parse(render(tree)) == tree


@settings(max_examples=1500, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_search_error(expression: str) -> None:
    _only_search_errors(expression)


PIECES = [
    "(", ")", "[", "]", "{", "}", '"', "\\", ":", "=", ">", ">=", "<", "<=", "*", " ", "AND",
    "OR", "NOT", "&&", "||", "!", "+", "-", "TO", "tags", "bytes", "created_at", "context.",
    "metadata.x", "1m", "2024-01-01", "4:3", "a", "~", "^", "?", "&", "|", "é", "\x00",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_glued_tokens_raise_only_search_error(expression: str) -> None:
    _only_search_errors(expression)


def _only_search_errors(expression: str) -> None:
    try:
        tree = parse(expression)
    except SearchError as exc:
        assert 0 <= exc.position <= len(expression)
        return
    for planner in (plan, plan_folders):
        try:
            planner(tree, NOW)
        except SearchError as exc:
            assert 0 <= exc.position <= len(expression)
