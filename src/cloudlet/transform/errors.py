"""Errors of the transformation language.

The package is pure, so these do not carry HTTP statuses; the web layer answers every
``TransformationError`` with a 400 whose message (and ``X-Cld-Error`` header) is ``str(error)``::

    ValueError
     └── TransformationError                 .parameter names the bad parameter (or None)
          ├── UnknownParameterError          Unknown transformation parameter 'zz_1'
          ├── InvalidParameterError          Invalid width: 'abc'
          └── UnsupportedTransformationError parses, but Cloudlet does not render it
"""

from __future__ import annotations


class TransformationError(ValueError):
    """A transformation string (or one of its parameters) is not acceptable.

    ``parameter`` is the SDK's long name of the offending parameter (``width``), or the key
    as written when it is unknown (``zz``), or ``None`` when no single parameter is to blame.
    """

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter

    @property
    def message(self) -> str:
        """The public message (what ``X-Cld-Error`` carries)."""
        return str(self.args[0])


class UnknownParameterError(TransformationError):
    """A parameter key that is not in the params table."""

    def __init__(self, raw: str, key: str) -> None:
        super().__init__(f"Unknown transformation parameter '{raw}'", key)


class InvalidParameterError(TransformationError):
    """A known parameter with a malformed value, or repeated where it may not be."""

    @classmethod
    def value(cls, parameter: str, value: str) -> InvalidParameterError:
        """``Invalid width: 'abc'``."""
        return cls(f"Invalid {parameter}: '{value}'", parameter)


class UnsupportedTransformationError(TransformationError):
    """Valid Cloudinary syntax that Cloudlet parses but does not render."""
