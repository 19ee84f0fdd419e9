"""Arithmetic expressions (``iw_mul_0.5``), conditions (``if_w_gt_400``) and variable
assignments (``$foo_iw_mul_2``), as the SDKs write them after ``normalize_expression``.

Expressions are evaluated left to right with no precedence (transformations.md §A1.10,
UNCONFIRMED against the official reference).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from .model import Condition, Expression, Variable
from .vocabulary import words

# Predefined variables an expression may read (SDK PREDEFINED_VARS, plus ow/oh, which the
# SDK tests write as values).
PREDEFINED = words("w h iw ih ar iar tar cp pc fc px py du idu ils ow oh dpr")
ARITHMETIC = frozenset({"add", "sub", "mul", "div", "pow", "mod"})
COMPARATORS = frozenset({"eq", "ne", "lt", "gt", "lte", "gte", "in", "nin"})
CONJUNCTIONS = frozenset({"and", "or"})
# What a condition may test besides PREDEFINED.
CONDITION_FIELDS = frozenset({"tags", "ctx", "md"})

NUMBER = re.compile(r"-?\d{1,9}(?:\.\d{0,20})?|-?\.\d{1,20}")
VARIABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,49}")
_VARIABLE = re.compile(r"\$[A-Za-z][A-Za-z0-9]{0,49}")
# A condition token: a quoted string (optionally ``md:``/``ctx:`` prefixed) or a plain word.
_CONDITION_TOKEN = re.compile(r"(?:(?:md|ctx):)?![^!]*!|[^_!]+")
_STRING = re.compile(r"(?:(?:md|ctx):)?![^!]*!")
# A variable's value: anything but the separators; its grammar is Cloudinary's business.
_VARIABLE_VALUE = re.compile(r"[^,/]{1,500}")


def _is_operand(token: str, fields: frozenset[str] = frozenset()) -> bool:
    return (
        token in PREDEFINED
        or token in fields
        or bool(NUMBER.fullmatch(token))
        or bool(_VARIABLE.fullmatch(token))
    )


def _normalise_number(token: str) -> str:
    if "." not in token:
        return str(int(token))
    return token


def parse_expression(text: str) -> Expression:
    """Validate ``operand (operator operand)*`` and return it with numbers normalised."""
    tokens = text.split("_")
    if len(tokens) % 2 == 0:
        raise ValueError(f"unbalanced expression {text!r}")
    out: list[str] = []
    for index, token in enumerate(tokens):
        if index % 2 == 0:
            if not _is_operand(token):
                raise ValueError(f"bad operand {token!r}")
            out.append(_normalise_number(token) if NUMBER.fullmatch(token) else token)
        else:
            if token not in ARITHMETIC:
                raise ValueError(f"bad operator {token!r}")
            out.append(token)
    return Expression("_".join(out))


def _apply(operator: str, left: float, right: float) -> float:
    if operator == "add":
        return left + right
    if operator == "sub":
        return left - right
    if operator == "mul":
        return left * right
    if operator == "div":
        return left / right
    if operator == "mod":
        return math.fmod(left, right)
    return math.pow(left, right)


def _operand_value(token: str, env: Mapping[str, float]) -> float:
    if NUMBER.fullmatch(token):
        return float(token)
    if token in env:
        return env[token]
    raise ValueError(f"{token} has no value here")


def evaluate(expression: Expression, env: Mapping[str, float]) -> float:
    """The value of ``expression`` with names (``iw``, ``$foo``) taken from ``env``, left to
    right. Raises ValueError for an unknown name, a division by zero or an overflow."""
    tokens = expression.tokens
    try:
        result = _operand_value(tokens[0], env)
        for operator, operand in zip(tokens[1::2], tokens[2::2], strict=True):
            result = _apply(operator, result, _operand_value(operand, env))
    except (ZeroDivisionError, OverflowError) as error:
        raise ValueError(f"cannot evaluate {expression.text}: {error}") from error
    if not math.isfinite(result):
        raise ValueError(f"cannot evaluate {expression.text}: not finite")
    return result


# ----------------------------------------------------------------------------- conditions


def _condition_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        match = _CONDITION_TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"bad condition {text!r}")
        tokens.append(match.group(0))
        position = match.end()
        if position < len(text):
            if text[position] != "_":
                raise ValueError(f"bad condition {text!r}")
            position += 1
            if position == len(text):
                raise ValueError(f"bad condition {text!r}")
    return tokens


def _condition_operand(tokens: list[str], index: int) -> int:
    """Consume ``operand (arithmetic operand)*`` from ``index``; return the next index."""
    fields = CONDITION_FIELDS
    if index >= len(tokens):
        raise ValueError("condition ends early")
    token = tokens[index]
    if not (_STRING.fullmatch(token) or _is_operand(token, fields)):
        raise ValueError(f"bad condition operand {token!r}")
    index += 1
    while index + 1 < len(tokens) and tokens[index] in ARITHMETIC:
        if not _is_operand(tokens[index + 1], fields):
            raise ValueError(f"bad condition operand {tokens[index + 1]!r}")
        index += 2
    return index


def parse_condition(text: str) -> Condition:
    """Validate ``if_`` text: ``else``, ``end``, or comparisons joined by ``and``/``or``."""
    if text in ("else", "end"):
        return Condition(text)
    tokens = _condition_tokens(text)
    index = 0
    while True:
        index = _condition_operand(tokens, index)
        if index >= len(tokens) or tokens[index] not in COMPARATORS:
            raise ValueError(f"missing comparison in {text!r}")
        index = _condition_operand(tokens, index + 1)
        if index == len(tokens):
            return Condition(text)
        if tokens[index] not in CONJUNCTIONS:
            raise ValueError(f"unexpected {tokens[index]!r} in {text!r}")
        index += 1


# ----------------------------------------------------------------------------- variables


def parse_variable(name: str, value: str) -> Variable:
    """``$name_value`` with ``name`` given without the ``$``."""
    if not VARIABLE_NAME.fullmatch(name):
        raise ValueError(f"bad variable name {name!r}")
    if not _VARIABLE_VALUE.fullmatch(value):
        raise ValueError(f"bad value for ${name}")
    return Variable(name, value)
