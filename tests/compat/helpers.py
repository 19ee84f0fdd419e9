"""Test files made on the fly and small HTTP helpers for the compatibility suite."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyvips


def make_png(path: Path, width: int = 241, height: int = 51) -> Path:
    """A small RGB PNG with a gradient, so bytes differ by size."""
    image = pyvips.Image.xyz(width, height)[0].cast("uchar")
    image = image.bandjoin([image, image])
    image.write_to_file(str(path))
    return path


def make_noise_png(path: Path, width: int, height: int) -> Path:
    """A PNG of random noise: it does not compress, so its size follows its dimensions."""
    noise = pyvips.Image.gaussnoise(width, height, sigma=80, mean=128).cast("uchar")
    noise.write_to_file(str(path))
    return path


def make_jpeg(path: Path, width: int = 64, height: int = 48) -> Path:
    image = pyvips.Image.xyz(width, height)[1].cast("uchar")
    image.write_to_file(str(path))
    return path


def data_uri(path: Path, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def file_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1; yields the base URL."""
    handler = partial(_QuietHandler, directory=str(directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
