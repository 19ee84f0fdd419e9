"""The HTTP protocol ``cloudlet serve`` gives uvicorn: uvicorn's own, stopping at once and
timing out slow clients.

Stopping: when uvicorn stops it closes idle keep-alive connections and waits until each is
gone. Over TLS, closing sends ``close_notify`` and waits for the client's in return; a client
that keeps an idle connection in its pool (browsers, the SDKs' HTTP agents) never sends it, so
the server waited until the client went away. An idle connection has nothing left to send: it
is aborted instead (the client sees the connection end, as after the keep-alive timeout, and
opens a new one). A connection with a response under way still finishes it first.

Slow clients: uvicorn has a keep-alive timeout between requests but none while a request
arrives, so a client that opened connections and sent a header line now and then
("slowloris") held each one open for ever, until the process ran out of file descriptors.
Here a request's line and headers must be complete within ``CLOUDLET_HEADER_TIMEOUT_S`` of the
connection opening (or of the request's first byte), else the client gets a 408 and the
connection is closed; and a body may pause at most ``CLOUDLET_BODY_TIMEOUT_S`` (a pause while
the server itself has stopped reading does not count), else the connection is closed.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

try:  # uvicorn[standard] has httptools; plain uvicorn falls back on h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Protocol

    _TIMES_REQUESTS = True
except ImportError:  # pragma: no cover - uvicorn[standard] is a dependency
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Protocol  # type: ignore[assignment]

    _TIMES_REQUESTS = False  # h11's protocol has no parser callbacks to follow a request by

log = logging.getLogger("cloudlet.web")
HEADERS, BODY = "headers", "body"
_TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 51\r\n\r\n"
    b'{"error":{"message":"Request header read timeout"}}'
)


@functools.cache
def _timeouts() -> tuple[float, float]:
    """(header, body) timeouts of this process, from its CLOUDLET_* environment."""
    from cloudlet.settings import load_settings

    settings = load_settings()
    return settings.header_timeout_s, settings.body_timeout_s


class HttpProtocol(_Protocol):
    """uvicorn's protocol, aborting idle TLS connections when the server stops and closing
    connections whose client is too slow to send a request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout_s, self._body_timeout_s = _timeouts()
        self._waiting_for: str | None = None  # HEADERS, BODY or None (nothing owed)
        self._since = 0.0
        self._timer: Any = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._wait_for(HEADERS)

    def connection_lost(self, exc: Exception | None) -> None:
        self._waiting_for = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._wait_for(HEADERS)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._wait_for(BODY)  # cleared at once by on_message_complete when there is none

    def on_body(self, body: bytes) -> None:
        self._since = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._waiting_for = None
        super().on_message_complete()

    def _wait_for(self, what: str) -> None:
        if not _TIMES_REQUESTS:
            return
        self._waiting_for, self._since = what, self.loop.time()
        if self._timer is None:
            self._timer = self.loop.call_later(self._limit(), self._check)

    def _limit(self) -> float:
        return self._header_timeout_s if self._waiting_for == HEADERS else self._body_timeout_s

    def _check(self) -> None:
        """Close the connection if the client owes headers or body bytes for too long."""
        self._timer = None
        if self._waiting_for is None or self.transport.is_closing():
            return
        if self._waiting_for == BODY and self.flow.read_paused:
            self._since = self.loop.time()  # the server is not reading: not the client's fault
        idle = self.loop.time() - self._since
        if idle < self._limit():
            self._timer = self.loop.call_later(self._limit() - idle, self._check)
            return
        log.info("closing a slow connection from %s (%s)", self.client, self._waiting_for)
        if self._waiting_for == HEADERS:
            self.transport.write(_TIMEOUT_ANSWER)
        self._waiting_for = None
        self.transport.close()

    def shutdown(self) -> None:
        """Close the connection now if idle (abort it over TLS), else after its response."""
        idle = self.cycle is None or self.cycle.response_complete
        super().shutdown()
        if idle and self.transport.get_extra_info("sslcontext") is not None:
            self.transport.abort()
