"""Rendering the Media Explorer's pages: Jinja2 templates with autoescaping always on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,  # every template, whatever its name: user strings are always escaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _human_bytes(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


_ENV.filters["bytes"] = _human_bytes


def render(name: str, **context: Any) -> Markup:
    """The template ``name`` rendered with ``context``: safe HTML (every value in it was
    escaped), so a rendered fragment can be placed in another template as it is."""
    return Markup(_ENV.get_template(name).render(**context))
