"""ASGI middleware: request ids on every response, the host a request used, and a cap on API
request bodies."""

from __future__ import annotations

import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudlet.errors import BadRequestError
from cloudlet.settings import REQUEST_HOST
from cloudlet.web.responses import error_response

_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")


class RequestIdMiddleware:
    """Give each HTTP request a random id, expose it to handlers and echo it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class RequestHostMiddleware:
    """Expose the request's ``Host`` header to the services (``settings.REQUEST_HOST``) so the
    URLs in responses name the host the client used; a malformed Host is ignored."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = REQUEST_HOST.set(_request_host(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_HOST.reset(token)


def _request_host(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = value.decode("latin-1").strip()
            return host if _HOST.match(host) else None
    return None


class BodyTooLargeError(BadRequestError):
    """The request body is larger than this server accepts."""


class BodyLimitMiddleware:
    """Refuse API request bodies over ``limit`` bytes before they are spooled anywhere.

    A declared ``Content-Length`` over the limit is answered at once without reading the
    body; a body without one (``Transfer-Encoding: chunked``) is counted as it arrives and the
    request fails as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, limit: int, prefixes: tuple[str, ...] = ("/v1_1/",)) -> None:
        self.app = app
        self.limit = limit
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            response = error_response(self._error(declared).message, BodyTooLargeError.status)
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise self._error(received)
            return message

        await self.app(scope, counting_receive, send)

    def _error(self, size: int) -> BodyTooLargeError:
        return BodyTooLargeError(
            f"Request body too large. Got at least {size} bytes. Maximum is {self.limit}."
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
