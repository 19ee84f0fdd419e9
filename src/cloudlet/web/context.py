"""Helpers shared by the route modules: the services' dependencies and credentials."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from cloudlet.errors import AuthenticationError
from cloudlet.services.deps import Deps

T = TypeVar("T")


def deps_of(request: Request) -> Deps:
    """The services' dependencies, wired by ``cloudlet.app``."""
    deps: Deps = request.app.state.deps
    return deps


def basic_auth(request: Request) -> tuple[str, str] | None:
    """``(api_key, api_secret)`` from an ``Authorization: Basic`` header, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if not header:
        return None
    if scheme.lower() == "bearer":
        raise AuthenticationError("OAuth bearer tokens are not supported by this server")
    if scheme.lower() != "basic":
        raise AuthenticationError("Unsupported authorization scheme")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthenticationError("Malformed basic authorization header") from exc
    key, sep, secret = decoded.partition(":")
    if not sep:
        raise AuthenticationError("Malformed basic authorization header")
    return key, secret


async def in_thread(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking service code (database, disk, libvips) off the event loop."""
    return await run_in_threadpool(func, *args, **kwargs)
