"""A webhook receiver on 127.0.0.1 that records every POST (and can refuse the first few, or
answer slowly)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One notification as it arrived."""

    headers: dict[str, str]
    raw: bytes
    answered: int
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


@dataclass
class Receiver:
    """Collects POSTs; the first ``failures`` are answered 500, each after ``delay_s``.
    ``arrivals`` counts POSTs as they arrive, ``received`` as they are answered."""

    url: str
    failures: int = 0
    delay_s: float = 0.0
    arrivals: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.answered == 200]

    def bodies(self) -> list[dict[str, Any]]:
        """The accepted notifications' bodies, in the order they were answered."""
        return [item.body for item in self.accepted()]

    def wait_for_count(self, count: int, timeout: float = 60) -> None:
        """Until ``count`` POSTs were accepted; AssertionError past ``timeout``."""
        self._wait(lambda: len(self.accepted()) >= count, timeout, f"{count} accepted")

    def wait_for_arrivals(self, count: int, timeout: float = 60) -> None:
        """Until ``count`` POSTs arrived (answered or not)."""
        self._wait(lambda: self.arrivals >= count, timeout, f"{count} arrived")

    def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return
            time.sleep(0.05)
        raise AssertionError(f"not {what} within {timeout}s: {self.arrivals} arrived")

    def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout: float = 60) -> Received:
        """The first accepted notification whose body matches; AssertionError past timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in self.accepted():
                if match(item.body):
                    return item
            time.sleep(0.1)
        raise AssertionError(f"no matching notification within {timeout}s: {self.received}")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.arrivals += 1
            time.sleep(receiver.delay_s)
            with receiver.lock:
                refused = sum(r.answered != 200 for r in receiver.received) < receiver.failures
                status = 500 if refused else 200
                receiver.received.append(Received(dict(self.headers.items()), raw, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def webhook_receiver(failures: int = 0, delay_s: float = 0.0) -> Iterator[Receiver]:
    """A running receiver for the length of the ``with`` block."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    receiver = Receiver(url, failures, delay_s)
    httpd.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        httpd.shutdown()
        httpd.server_close()
