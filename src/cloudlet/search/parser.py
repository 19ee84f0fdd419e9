"""A recursive-descent parser for search expressions (B2.2)::

    query   := or EOF
    or      := and (("OR" | "||") and)*
    and     := unary (["AND" | "&&"] unary)*          terms side by side are ANDed
    unary   := ("NOT" | "!" | "-") unary | "+" unary | primary
    primary := "(" or ")" | WORD op value | WORD | QUOTED
    value   := WORD | QUOTED | range | "(" values ")"   a field group: tags:(a OR b)
    range   := ("[" | "{") bound "TO" bound ("]" | "}")

Operators must be written in capitals ("Boolean operators must be ALL CAPS"); ``and`` is a
word. Nesting and the number of terms are bounded so that no expression can exhaust the
stack or build an unbounded SQL statement.
"""

from __future__ import annotations

from cloudlet.search.errors import SearchError
from cloudlet.search.lexer import Token, tokenize
from cloudlet.search.syntax import And, Node, Not, Or, Range, Term

MAX_LENGTH = 10_000
MAX_DEPTH = 32
MAX_TERMS = 200
_STARTS = {"word", "quoted", "(", "not", "plus", "minus"}


def parse(text: str) -> Node:
    """The syntax tree of ``text`` (the empty expression is ``And(())``: everything)."""
    if len(text) > MAX_LENGTH:
        raise SearchError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
    return _Parser(tokenize(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.terms = 0

    # -- helpers -------------------------------------------------------------------------
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def expect(self, kind: str, what: str) -> Token:
        if self.token.kind != kind:
            raise self.unexpected(what)
        return self.take()

    def unexpected(self, wanted: str = "") -> SearchError:
        token = self.token
        seen = "end of expression" if token.kind == "eof" else f"'{_shown(token)}'"
        hint = f", expected {wanted}" if wanted else ""
        return SearchError(f"unexpected {seen}{hint}", token.position)

    def count_term(self, position: int) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise SearchError(f"more than {MAX_TERMS} terms", position)

    # -- grammar -------------------------------------------------------------------------
    def query(self) -> Node:
        if self.token.kind == "eof":
            return And(())
        node = self.or_()
        if self.token.kind != "eof":
            raise self.unexpected("an operator or the end of the expression")
        return node

    def or_(self, field: str | None = None) -> Node:
        start = self.token.position
        items = [self.and_(field)]
        while self.token.kind == "or":
            self.take()
            items.append(self.and_(field))
        return items[0] if len(items) == 1 else Or(tuple(items), start)

    def and_(self, field: str | None) -> Node:
        start = self.token.position
        items = [self.unary(field)]
        while self.token.kind == "and" or self.token.kind in _STARTS:
            if self.token.kind == "and":
                self.take()
            items.append(self.unary(field))
        return items[0] if len(items) == 1 else And(tuple(items), start)

    def unary(self, field: str | None) -> Node:
        token = self.token
        if token.kind in ("not", "minus"):
            self.take()
            return Not(self.nested(lambda: self.unary(field)), token.position)
        if token.kind == "plus":
            self.take()
            return self.unary(field)
        return self.primary(field)

    def nested(self, parse: object) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            opening = self.tokens[self.index - 1]  # the '(' or NOT just taken
            raise SearchError(f"nested deeper than {MAX_DEPTH} levels", opening.position)
        try:
            return parse()  # type: ignore[operator, no-any-return]
        finally:
            self.depth -= 1

    def primary(self, field: str | None) -> Node:
        token = self.token
        if token.kind == "(":
            self.take()
            node = self.nested(lambda: self.or_(field))
            self.expect(")", "')'")
            return node
        if field is not None:  # inside a field group every clause is a value of the field
            return self.value(field, ":", token)
        if token.kind == "word" and self.tokens[self.index + 1].kind == "op":
            return self.field_term()
        if token.kind in ("word", "quoted"):
            self.take()
            self.count_term(token.position)
            return Term(token.text, None, ":", token.prefix, token.kind == "quoted", token.position)
        raise self.unexpected("a term")

    def field_term(self) -> Node:
        name = self.take()
        if not name.text or name.prefix:
            raise SearchError("invalid field name", name.position)
        op = self.take().text
        token = self.token
        if token.kind == "(" and op == ":":
            self.take()
            node = self.nested(lambda: self.or_(name.text))
            self.expect(")", "')'")
            return node
        return self.value(name.text, op, token, name.position)

    def value(self, field: str, op: str, token: Token, start: int | None = None) -> Node:
        position = token.position if start is None else start
        if token.kind in ("[", "{"):
            if op != ":":
                raise SearchError(f"a range needs ':' after the field, not '{op}'", token.position)
            return self.range_(field, position)
        if token.kind not in ("word", "quoted"):
            raise self.unexpected("a value")
        self.take()
        self.count_term(token.position)
        quoted = token.kind == "quoted"
        return Term(token.text, field, op, token.prefix, quoted, position)

    def range_(self, field: str, position: int) -> Node:
        include_low = self.take().kind == "["
        low = self.bound()
        word = self.token
        if not (word.kind == "word" and word.bare and word.text == "TO"):
            raise self.unexpected("'TO'")
        self.take()
        high = self.bound()
        closing = self.token
        if closing.kind not in ("]", "}"):
            raise self.unexpected("']' or '}'")
        self.take()
        self.count_term(position)
        return Range(field, low, high, include_low, closing.kind == "]", position)

    def bound(self) -> str | None:
        token = self.token
        if token.kind not in ("word", "quoted") or token.prefix and token.text:
            raise self.unexpected("a range bound")
        self.take()
        if token.kind == "word" and token.prefix:
            return None  # '*': open
        return token.text


def _shown(token: Token) -> str:
    text = token.text + ("*" if token.prefix else "")
    return text if len(text) <= 20 else text[:20] + "…"
