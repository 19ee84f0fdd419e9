"""The syntax tree of a search expression, and its canonical text (``render``).

Nodes are frozen dataclasses; ``position`` (where the node starts in the expression) takes no
part in equality, so ``parse(render(tree)) == tree`` holds for every tree ``parse`` builds.
An ``And`` of nothing is the empty expression: it matches everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field

COMPARISONS = (">", ">=", "<", "<=")
OPERATORS = (":", "=", *COMPARISONS)
# Characters that end a bare word or have a meaning of their own (B2.2).
RESERVED = frozenset('!(){}[]*^~?:\\=&><"+-| \t\r\n')


@dataclass(frozen=True)
class Term:
    """``value``, ``field:value``, ``field=value`` or ``field>value``…; ``field`` is None for
    free text. ``prefix``: the value ended in an unescaped ``*``. ``quoted``: it was written
    in double quotes."""

    value: str
    field: str | None = None
    op: str = ":"
    prefix: bool = False
    quoted: bool = False
    position: int = _field(default=0, compare=False)


@dataclass(frozen=True)
class Range:
    """``field:[low TO high]`` (inclusive) or ``{low TO high}`` (exclusive), either end open
    (``*``, None here); the two brackets may differ."""

    field: str
    low: str | None
    high: str | None
    include_low: bool = True
    include_high: bool = True
    position: int = _field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    """``NOT x``, ``-x`` or ``!x``."""

    operand: Node
    position: int = _field(default=0, compare=False)


@dataclass(frozen=True)
class And:
    """``a AND b``, ``a && b`` or ``a b`` (terms side by side must all match)."""

    operands: tuple[Node, ...]
    position: int = _field(default=0, compare=False)


@dataclass(frozen=True)
class Or:
    """``a OR b`` or ``a || b``."""

    operands: tuple[Node, ...]
    position: int = _field(default=0, compare=False)


Node = Term | Range | Not | And | Or


def render(node: Node) -> str:
    """The canonical text of ``node``: explicit ``AND``/``OR``/``NOT``, parentheses where
    needed, reserved characters escaped."""
    if isinstance(node, And):
        return " AND ".join(_grouped(item, (Or, And)) for item in node.operands)
    if isinstance(node, Or):
        return " OR ".join(_grouped(item, (Or, And)) for item in node.operands)
    if isinstance(node, Not):
        return "NOT " + _grouped(node.operand, (Or, And, Not))
    if isinstance(node, Range):
        return _render_range(node)
    return _render_term(node)


def _grouped(node: Node, kinds: tuple[type, ...]) -> str:
    text = render(node)
    return f"({text})" if isinstance(node, kinds) else text


def _render_term(term: Term) -> str:
    if term.quoted or not term.value:
        value = quote(term.value) if term.quoted or not term.prefix else ""
        if term.prefix:
            value = value[:-1] + '*"' if value else "*"
    else:
        value = escape(term.value) + ("*" if term.prefix else "")
    return value if term.field is None else f"{escape(term.field)}{term.op}{value}"


def _render_range(node: Range) -> str:
    low = "*" if node.low is None else _bound(node.low)
    high = "*" if node.high is None else _bound(node.high)
    opening, closing = "[" if node.include_low else "{", "]" if node.include_high else "}"
    return f"{escape(node.field)}:{opening}{low} TO {high}{closing}"


def _bound(text: str) -> str:
    # a sign is literal inside a range (the lexer reads it so after '[', '{' and TO)
    plain = text != "TO" and not any(ch in RESERVED - {"+", "-"} or ch.isspace() for ch in text)
    plain = plain and bool(text)
    return text if plain else quote(text)


def escape(text: str) -> str:
    """``text`` as a bare word: every reserved character and whitespace backslash-escaped,
    and a leading word that would read as an operator (AND, OR, NOT) too."""
    escaped = "".join(
        "\\" + ch if (ch in RESERVED and (ch not in "+-" or i == 0)) or ch.isspace() else ch
        for i, ch in enumerate(text)
    )
    return "\\" + escaped if escaped in ("AND", "OR", "NOT", "TO") else escaped


def quote(text: str) -> str:
    """``text`` in double quotes (only ``\\``, ``"`` and ``*`` escaped inside)."""
    return '"' + "".join("\\" + ch if ch in '\\"*' else ch for ch in text) + '"'
