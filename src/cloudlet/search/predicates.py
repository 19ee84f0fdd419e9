"""What an expression asks of the catalog, fields resolved and values typed (``plan`` builds
these from a syntax tree; the catalog compiles them to SQL).

Column names are the search fields' canonical names (``bytes``, ``created_at``,
``filename``, ``pixels``, ``name``…); the catalog maps each to a column or expression. An
``All`` of nothing matches everything, an ``Any`` of nothing matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

Scalar = str | int | float | datetime


@dataclass(frozen=True)
class Compare:
    """``column op value``; op is one of ``= != < <= > >=``."""

    column: str
    op: str
    value: Scalar


@dataclass(frozen=True)
class Prefix:
    """The whole value of ``column`` starts with ``prefix`` (case-sensitive, literal)."""

    column: str
    prefix: str


@dataclass(frozen=True)
class Present:
    """``column`` has a value (width, height, duration… are absent on some assets)."""

    column: str


@dataclass(frozen=True)
class Words:
    """Every word in ``words`` is one of the tokens of ``column`` (None: of any text field);
    with ``prefix`` the last word only has to start a token. Words are lowercase runs of
    letters and digits."""

    column: str | None
    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Tag:
    """The asset has the tag ``value`` (with ``prefix``: a tag starting with it; an empty
    prefix: any tag at all)."""

    value: str
    prefix: bool = False


@dataclass(frozen=True)
class Context:
    """The asset has the context ``key``; when ``value`` is not None, with that value
    (``prefix``: starting with it; ``fold_case``: equal ignoring ASCII case)."""

    key: str
    value: str | None = None
    prefix: bool = False
    fold_case: bool = False


@dataclass(frozen=True)
class Metadata:
    """The asset has a structured metadata value for the field ``external_id``; when
    ``values`` is not None, one whose stored JSON text is among them."""

    external_id: str
    values: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Ratio:
    """``width / height  op  numerator / denominator``, compared without dividing."""

    op: str
    numerator: float
    denominator: float


@dataclass(frozen=True)
class All:
    """Every item matches (nothing: always true)."""

    items: tuple[Predicate, ...]


@dataclass(frozen=True)
class Any:
    """At least one item matches (nothing: always false)."""

    items: tuple[Predicate, ...]


@dataclass(frozen=True)
class Not:
    """The item does not match."""

    item: Predicate


Predicate = Compare | Prefix | Present | Words | Tag | Context | Metadata | Ratio | All | Any | Not
EVERYTHING = All(())
NOTHING = Any(())
