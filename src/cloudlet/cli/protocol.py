"""The HTTP protocol ``cloudlet serve`` gives uvicorn: uvicorn's own, stopping at once.

When uvicorn stops it closes idle keep-alive connections and waits until each is gone. Over
TLS, closing sends ``close_notify`` and waits for the client's in return; a client that keeps
an idle connection in its pool (browsers, the SDKs' HTTP agents) never sends it, so the server
waited until the client went away. An idle connection has nothing left to send: it is aborted
instead (the client sees the connection end, as after the keep-alive timeout, and opens a new
one). A connection with a response under way still finishes it first.
"""

from __future__ import annotations

try:  # uvicorn[standard] has httptools; plain uvicorn falls back on h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Protocol
except ImportError:  # pragma: no cover - uvicorn[standard] is a dependency
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Protocol  # type: ignore[assignment]


class HttpProtocol(_Protocol):
    """uvicorn's protocol, aborting idle TLS connections when the server stops."""

    def shutdown(self) -> None:
        """Close the connection now if idle (abort it over TLS), else after its response."""
        idle = self.cycle is None or self.cycle.response_complete
        super().shutdown()
        if idle and self.transport.get_extra_info("sslcontext") is not None:
            self.transport.abort()
