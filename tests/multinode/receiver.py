"""A webhook receiver on loopback that counts every POST and may answer slowly."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class SlowReceiver:
    """Counts POSTs as they arrive (``arrivals``) and as they are answered (``bodies``)."""

    url: str
    delay_s: float
    arrivals: int = 0
    answered: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(raw) for raw in self.answered]

    def wait_for_count(self, count: int, timeout: float = 60) -> None:
        """Until ``count`` POSTs were answered; AssertionError past ``timeout``."""
        self._wait(lambda: len(self.answered) >= count, timeout, f"{count} answered")

    def wait_for_arrivals(self, count: int, timeout: float = 60) -> None:
        """Until ``count`` POSTs arrived (answered or not)."""
        self._wait(lambda: self.arrivals >= count, timeout, f"{count} arrived")

    def _wait(self, done: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if done():
                    return
            time.sleep(0.05)
        raise AssertionError(f"not {what} within {timeout}s: {self.arrivals} arrived")


def _handler(receiver: SlowReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.arrivals += 1
            time.sleep(receiver.delay_s)
            with receiver.lock:
                receiver.answered.append(raw)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def slow_receiver(delay_s: float) -> Iterator[SlowReceiver]:
    """A running receiver answering each POST after ``delay_s``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = SlowReceiver(f"http://127.0.0.1:{httpd.server_address[1]}/hook", delay_s)
    httpd.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        httpd.shutdown()
        httpd.server_close()
