"""The one error of the search language (the package is pure: no HTTP status here; the
service answers it with a 400 whose message is ``str(error)``)."""

from __future__ import annotations


class SearchError(ValueError):
    """An expression that cannot be parsed or planned; ``position`` counts characters from 0."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"Query error: {reason} at position {position}")
        self.reason = reason
        self.position = position

    @property
    def message(self) -> str:
        """The public message, e.g. ``Query error: unexpected ')' at position 7``."""
        return str(self.args[0])
