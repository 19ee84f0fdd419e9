"""Split a search expression into tokens, resolving quotes and backslash escapes."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.search.errors import SearchError

_BRACKETS = "()[]{}"
_ENDS_WORD = '()[]{}":=<>'
_KEYWORDS = {"AND": "and", "OR": "or", "NOT": "not"}
_UNSUPPORTED = "^~?"


@dataclass(frozen=True)
class Token:
    """One token. ``kind``: word, quoted, op, and, or, not, plus, minus, eof, or a bracket
    character. ``text`` is unescaped; ``bare``: a word written without any escape."""

    kind: str
    text: str
    position: int
    prefix: bool = False
    bare: bool = False


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``eof`` token; SearchError when a quote is not
    closed, an escape has nothing to escape, a wildcard is not at the end of a term, or the
    text holds a character no catalog column can store (NUL, a lone surrogate)."""
    _refuse_unstorable(text)
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        token, index = _next(text, index, tokens[-1] if tokens else None)
        tokens.append(token)
    tokens.append(Token("eof", "", len(text)))
    return tokens


def _refuse_unstorable(text: str) -> None:
    # PostgreSQL text cannot hold U+0000 and UTF-8 cannot encode a lone surrogate: such a
    # character can match nothing, and sent to the database it would fail there (a 500).
    for index, ch in enumerate(text):
        if ch == "\x00":
            raise SearchError("the NUL character is not allowed", index)
        if "\ud800" <= ch <= "\udfff":
            raise SearchError("a lone surrogate character is not allowed", index)


def _next(text: str, index: int, previous: Token | None) -> tuple[Token, int]:
    ch = text[index]
    if ch in _BRACKETS:
        return Token(ch, ch, index), index + 1
    if ch == '"':
        return _quoted(text, index)
    if ch in ":=":
        return Token("op", ch, index), index + 1
    if ch in "<>":
        op = ch + "=" if text.startswith("=", index + 1) else ch
        return Token("op", op, index), index + len(op)
    for symbol, kind in (("&&", "and"), ("||", "or"), ("!", "not")):
        if text.startswith(symbol, index):
            return Token(kind, symbol, index), index + len(symbol)
    if ch in "+-" and _starts_clause(previous):
        return Token("plus" if ch == "+" else "minus", ch, index), index + 1
    if ch in "&|":
        raise SearchError(f"unexpected '{ch}' (use && or ||)", index)
    return _word(text, index)


def _starts_clause(previous: Token | None) -> bool:
    """Whether a ``+``/``-`` here is an operator rather than the sign of a value."""
    if previous is None:
        return True
    if previous.kind in ("op", "[", "{"):
        return False
    return not (previous.kind == "word" and previous.bare and previous.text == "TO")


def _word(text: str, start: int) -> tuple[Token, int]:
    chars: list[str] = []
    index, escaped, prefix = start, False, False
    while index < len(text):
        ch = text[index]
        if ch == "\\":
            if index + 1 >= len(text):
                raise SearchError("nothing to escape after '\\'", index)
            chars.append(text[index + 1])
            index, escaped = index + 2, True
            continue
        if ch.isspace() or ch in _ENDS_WORD:
            break
        if ch == "*":
            _check_trailing_star(text, index)
            index, prefix = index + 1, True
            break
        if ch in _UNSUPPORTED:
            raise SearchError(f"unsupported operator '{ch}' (escape it with '\\')", index)
        chars.append(ch)
        index += 1
    value = "".join(chars)
    bare = not escaped and not prefix
    kind = _KEYWORDS.get(value, "word") if bare else "word"
    return Token(kind, value, start, prefix=prefix, bare=bare), index


def _check_trailing_star(text: str, index: int) -> None:
    after = text[index + 1 : index + 2]
    if after and not after.isspace() and after not in _ENDS_WORD:
        raise SearchError("a wildcard '*' is only allowed at the end of a term", index)


def _quoted(text: str, start: int) -> tuple[Token, int]:
    chars: list[str] = []
    index, prefix = start + 1, False
    while True:
        if index >= len(text):
            raise SearchError("unterminated quoted string", start)
        ch = text[index]
        if ch == "\\":
            if index + 1 >= len(text):
                raise SearchError("unterminated quoted string", start)
            chars.append(text[index + 1])
            index += 2
        elif ch == '"':
            return Token("quoted", "".join(chars), start, prefix=prefix), index + 1
        elif ch == "*":
            if text[index + 1 : index + 2] != '"':
                raise SearchError("a wildcard '*' is only allowed at the end of a term", index)
            prefix = True
            index += 1
        else:
            chars.append(ch)
            index += 1
