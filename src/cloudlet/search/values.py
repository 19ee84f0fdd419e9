"""Typed values of search terms: numbers, sizes (``1m``, ``10kb``), ratios (``"4:3"``),
dates (ISO 8601) and relative dates (``1d``, ``3w``, ``1m``), and the words of free text.

``m`` depends on the field, as in Cloudinary: months for dates, megabytes for bytes. Sizes
count in powers of 1024. A month is 30 days and a year 365 days.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from cloudlet.search.errors import SearchError

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_SIZE = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>b|k|kb|m|mb|g|gb|t|tb)?", re.IGNORECASE)
_RELATIVE = re.compile(r"(?P<n>\d{1,6})\s*(?P<unit>h|d|w|m|y)", re.IGNORECASE)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_POWERS = {"": 0, "b": 0, "k": 1, "kb": 1, "m": 2, "mb": 2, "g": 3, "gb": 3, "t": 4, "tb": 4}
_PERIODS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}
_LARGEST = 2**63 - 1


def number(text: str, position: int, *, integer: bool = False) -> int | float:
    """A plain number (``integer``: whole numbers only)."""
    if not _NUMBER.fullmatch(text):
        raise SearchError(f"'{_short(text)}' is not a number", position)
    value = float(text)
    if integer:
        if not value.is_integer():
            raise SearchError(f"'{_short(text)}' is not a whole number", position)
        return _bounded(int(value), position)
    return value


def size(text: str, position: int) -> int:
    """A byte count: ``1000``, ``10kb``, ``1m``, ``1.5GB`` (units are powers of 1024)."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise SearchError(f"'{_short(text)}' is not a size (e.g. 500, 10kb, 1m)", position)
    power = _POWERS[(match["unit"] or "").lower()]
    return _bounded(int(float(match["n"]) * 1024**power), position)


def ratio(text: str, position: int) -> tuple[float, float]:
    """An aspect ratio as (numerator, denominator): ``"4:3"`` or ``1.33``."""
    parts = text.split(":")
    if len(parts) > 2:
        raise SearchError(f"'{_short(text)}' is not an aspect ratio (e.g. \"4:3\")", position)
    numerator = float(number(parts[0], position))
    denominator = float(number(parts[1], position)) if len(parts) == 2 else 1.0
    if numerator < 0 or denominator <= 0:
        raise SearchError(f"'{_short(text)}' is not an aspect ratio", position)
    return numerator, denominator


def moment(text: str, position: int, now: datetime) -> tuple[datetime, bool]:
    """A date value as (instant, whole_day). ``2024-01-31`` is the day starting at that
    instant (whole_day true); ``2024-01-31T10:00:00Z`` an instant; ``3d`` the instant three
    days before ``now`` (naive times are UTC)."""
    stripped = text.strip()
    relative = _RELATIVE.fullmatch(stripped)
    if relative is not None:
        days = int(relative["n"]) * _PERIODS[relative["unit"].lower()]
        return _ago(now, days, position), False
    try:
        if _DAY.fullmatch(stripped):
            day = date.fromisoformat(stripped)
            return datetime(day.year, day.month, day.day, tzinfo=UTC), True
        value = datetime.fromisoformat(stripped.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SearchError(
            f"'{_short(text)}' is not a date (e.g. 2024-01-31, \"2024-01-31T10:00:00Z\", 3d)",
            position,
        ) from None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC), False


def words(text: str) -> tuple[str, ...]:
    """The lowercase runs of letters and digits in ``text`` (how every text field is
    tokenised for ``field:value`` and free-text matches)."""
    found: list[str] = []
    current: list[str] = []
    for ch in text.lower():
        if ch.isalnum():
            current.append(ch)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return tuple(found)


def _ago(now: datetime, days: float, position: int) -> datetime:
    try:
        return now - timedelta(days=days)
    except OverflowError:
        raise SearchError("relative date out of range", position) from None


def _bounded(value: int, position: int) -> int:
    if abs(value) > _LARGEST:
        raise SearchError("number out of range", position)
    return value


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"
