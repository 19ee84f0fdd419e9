"""Turn a syntax tree into ``predicates``: fields resolved, values typed, every problem a
``SearchError`` at the position of the term that caused it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from cloudlet.search import predicates as p
from cloudlet.search import syntax as s
from cloudlet.search import values
from cloudlet.search.errors import SearchError
from cloudlet.search.fields import ASSET_FIELDS, FOLDER_FIELDS, KEYED_KINDS, Field

_EQUALITY_ONLY = {"keyword", "text", "folder", "tags", "context", "metadata", "status"}


def plan(node: s.Node, now: datetime) -> p.Predicate:
    """The predicate an asset search expression asks for; ``now`` anchors relative dates."""
    return _Planner(ASSET_FIELDS, now, text_column=None).walk(node)


def plan_folders(node: s.Node, now: datetime) -> p.Predicate:
    """The predicate a folder search expression asks for (fields ``name`` and ``path``;
    free text matches the folder's name)."""
    return _Planner(FOLDER_FIELDS, now, text_column="name").walk(node)


class _Planner:
    def __init__(self, fields: dict[str, Field], now: datetime, text_column: str | None):
        self.fields = fields
        self.now = now
        self.text_column = text_column

    def walk(self, node: s.Node) -> p.Predicate:
        if isinstance(node, s.And):
            return p.All(tuple(self.walk(item) for item in node.operands))
        if isinstance(node, s.Or):
            return p.Any(tuple(self.walk(item) for item in node.operands))
        if isinstance(node, s.Not):
            return p.Not(self.walk(node.operand))
        if isinstance(node, s.Range):
            return self.range_(node)
        if node.field is None:
            return self.free_text(node)
        return self.term(node)

    # -- free text -------------------------------------------------------------------------
    def free_text(self, term: s.Term) -> p.Predicate:
        if self.text_column is not None:  # folders: the name
            return self.keyword(Field(self.text_column, "keyword"), term)
        if term.prefix and not term.value:
            return p.EVERYTHING
        found = values.words(term.value)
        if not found:
            return p.NOTHING if not term.prefix else p.EVERYTHING
        prefix = term.prefix and term.value[-1].isalnum()
        return p.Words(None, found, prefix)

    # -- field terms -----------------------------------------------------------------------
    def resolve(self, name: str, position: int) -> tuple[Field, str]:
        """The field and, for context/metadata, the key after the dot."""
        head, dot, key = name.partition(".")
        if dot and head in KEYED_KINDS and self.fields is ASSET_FIELDS:
            if not key:
                raise SearchError(f"'{name}' needs a key after the dot", position)
            return Field(head, KEYED_KINDS[head]), key
        found = self.fields.get(name)
        if found is None:
            raise SearchError(f"unknown field '{_short(name)}'", position)
        return found, ""

    def term(self, term: s.Term) -> p.Predicate:
        assert term.field is not None
        field, key = self.resolve(term.field, term.position)
        if field.kind in _EQUALITY_ONLY and term.op not in (":", "="):
            raise SearchError(f"'{term.field}' cannot be compared with '{term.op}'", term.position)
        handler: Callable[..., p.Predicate] = getattr(self, field.kind)
        return handler(field, term, key) if key else handler(field, term)

    def keyword(self, field: Field, term: s.Term) -> p.Predicate:
        value = term.value.lower() if field.lowercase else term.value
        if term.prefix:
            return p.Prefix(field.column, value) if value else p.EVERYTHING
        return p.Compare(field.column, "=", value)

    def status(self, field: Field, term: s.Term) -> p.Predicate:
        # every asset Cloudlet serves is active (there is no moderation queue)
        if term.prefix:
            return p.EVERYTHING if "active".startswith(term.value) else p.NOTHING
        return p.EVERYTHING if term.value == "active" else p.NOTHING

    def text(self, field: Field, term: s.Term) -> p.Predicate:
        if term.prefix or term.op == "=":
            return self.keyword(field, term)
        found = values.words(term.value)
        return p.Words(field.column, found) if found else p.Compare(field.column, "=", "")

    def folder(self, field: Field, term: s.Term) -> p.Predicate:
        value = term.value
        if term.prefix and value.endswith("/"):  # the folder itself and everything below
            return p.Any((p.Compare(field.column, "=", value[:-1]), p.Prefix(field.column, value)))
        return self.keyword(field, term)

    def tags(self, field: Field, term: s.Term) -> p.Predicate:
        return p.Tag(term.value, term.prefix)

    def context(self, field: Field, term: s.Term, key: str) -> p.Predicate:
        if term.prefix and not term.value:
            return p.Context(key)
        return p.Context(key, term.value, term.prefix, fold_case=term.op == ":")

    def metadata(self, field: Field, term: s.Term, key: str) -> p.Predicate:
        if term.prefix and not term.value:
            return p.Metadata(key)
        if term.prefix:
            raise SearchError("metadata values cannot end in '*'", term.position)
        stored = [json.dumps(term.value, ensure_ascii=False)]
        with contextlib.suppress(SearchError):  # not a whole number: only the string can match
            stored.append(json.dumps(values.number(term.value, term.position, integer=True)))
        return p.Metadata(key, tuple(stored))

    # -- ordered fields --------------------------------------------------------------------
    def size(self, field: Field, term: s.Term) -> p.Predicate:
        return self.ordered(field, term, lambda text, at: values.size(text, at))

    def integer(self, field: Field, term: s.Term) -> p.Predicate:
        return self.ordered(field, term, lambda text, at: values.number(text, at, integer=True))

    def number(self, field: Field, term: s.Term) -> p.Predicate:
        return self.ordered(field, term, values.number)

    def ordered(self, field: Field, term: s.Term, read: Callable[..., object]) -> p.Predicate:
        if term.prefix:
            if term.value:
                raise SearchError(f"'{term.field}' values cannot end in '*'", term.position)
            return p.Present(field.column)
        op = "=" if term.op in (":", "=") else term.op
        return p.Compare(field.column, op, read(term.value, term.position))  # type: ignore[arg-type]

    def ratio(self, field: Field, term: s.Term) -> p.Predicate:
        if term.prefix:
            return self.ordered(field, term, values.number)
        numerator, denominator = values.ratio(term.value, term.position)
        op = "=" if term.op in (":", "=") else term.op
        return p.Ratio(op, numerator, denominator)

    def date(self, field: Field, term: s.Term) -> p.Predicate:
        if term.prefix:
            return self.ordered(field, term, values.number)
        instant, whole_day = values.moment(term.value, term.position, self.now)
        op = term.op
        if op in (":", "="):
            if not whole_day:  # a relative date is "within": uploaded_at:1d
                relative = term.value.strip()[-1:].isalpha()
                return p.Compare(field.column, ">=" if relative else "=", instant)
            return _day_range(field.column, instant, instant, True, True)
        if not whole_day:
            return p.Compare(field.column, op, instant)
        include = op in (">=", "<=")
        if op in (">", ">="):
            return _day_range(field.column, instant, None, include, True)
        return _day_range(field.column, None, instant, True, include)

    # -- ranges ----------------------------------------------------------------------------
    def range_(self, node: s.Range) -> p.Predicate:
        field, _ = self.resolve(node.field, node.position)
        if field.kind == "date":
            return self.date_range(field, node)
        readers: dict[str, Callable[[str, int], object]] = {
            "size": values.size,
            "integer": lambda text, at: values.number(text, at, integer=True),
            "number": values.number,
        }
        read = readers.get(field.kind)
        if read is None:
            raise SearchError(f"'{node.field}' does not take a range", node.position)
        items: list[p.Predicate] = []
        if node.low is not None:
            op = ">=" if node.include_low else ">"
            items.append(p.Compare(field.column, op, read(node.low, node.position)))  # type: ignore[arg-type]
        if node.high is not None:
            op = "<=" if node.include_high else "<"
            items.append(p.Compare(field.column, op, read(node.high, node.position)))  # type: ignore[arg-type]
        return p.All(tuple(items)) if items else p.Present(field.column)

    def date_range(self, field: Field, node: s.Range) -> p.Predicate:
        low = high = None
        low_day = high_day = False
        if node.low is not None:
            low, low_day = values.moment(node.low, node.position, self.now)
        if node.high is not None:
            high, high_day = values.moment(node.high, node.position, self.now)
        if low_day or high_day:
            return _day_range(field.column, low, high, node.include_low, node.include_high)
        items: list[p.Predicate] = []
        if low is not None:
            items.append(p.Compare(field.column, ">=" if node.include_low else ">", low))
        if high is not None:
            items.append(p.Compare(field.column, "<=" if node.include_high else "<", high))
        return p.All(tuple(items))


def _day_range(
    column: str,
    first: datetime | None,
    last: datetime | None,
    include_first: bool,
    include_last: bool,
) -> p.Predicate:
    """Whole days from ``first`` to ``last`` (either may be None: open)."""
    items: list[p.Predicate] = []
    if first is not None:
        start = first if include_first else _next_day(first)
        if start is None:
            return p.NOTHING
        items.append(p.Compare(column, ">=", start))
    if last is not None:
        end = _next_day(last) if include_last else last
        if end is not None:
            items.append(p.Compare(column, "<", end))
    return p.All(tuple(items))


def _next_day(moment: datetime) -> datetime | None:
    try:
        return moment + timedelta(days=1)
    except OverflowError:
        return None


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"
