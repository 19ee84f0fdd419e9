"""Slow clients ("slowloris") are timed out and the server keeps answering everyone else.

The server (``hostile_server``) runs with 2-second header and body timeouts
(CLOUDLET_HEADER_TIMEOUT_S, CLOUDLET_BODY_TIMEOUT_S). Before the fix in
``cloudlet.cli.protocol`` a connection that dribbled header lines stayed open for ever
(uvicorn has no request-read timeout).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.compat.server import API_KEY, API_SECRET, CLOUD, Server
from tests.reliability.workload import signed

ATTACKERS = 60


@pytest.fixture()
def impatient(hostile_server: Server) -> Server:
    return hostile_server


def _connect(server: Server) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed the connection within ``seconds``; what it sent."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return False, received
    except ConnectionResetError:
        pass
    return True, received


def _ping(server: Server) -> int:
    return httpx.get(f"{server.base_url}/v1_1/{CLOUD}/ping", auth=(API_KEY, API_SECRET)).status_code


def test_dribbled_headers_are_cut_off_and_others_are_served(impatient: Server) -> None:
    attackers = [_connect(impatient) for _ in range(ATTACKERS)]
    for sock in attackers:
        sock.sendall(b"GET /v1_1/compat/ping HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    while time.monotonic() - started < 1.5:  # keep dribbling, under the timeout per line
        for sock in attackers:
            sock.sendall(b"X-Slow: 1\r\n")
        assert _ping(impatient) == 200  # everyone else is served meanwhile
        time.sleep(0.3)
    for sock in attackers:
        closed, answer = _closed_within(sock, 5)
        assert closed and answer.startswith(b"HTTP/1.1 408"), answer[:80]
        sock.close()
    assert _ping(impatient) == 200


def test_a_silent_connection_is_closed(impatient: Server) -> None:
    with _connect(impatient) as sock:
        closed, answer = _closed_within(sock, 6)
    assert closed and b"Request header read timeout" in answer


def test_a_stalled_body_is_cut_off_and_leaves_nothing(impatient: Server) -> None:
    with _connect(impatient) as sock:
        sock.sendall(
            f"POST /v1_1/{CLOUD}/raw/upload HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
            '--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nxxxx'.encode()
        )
        closed, _ = _closed_within(sock, 8)
    assert closed
    staging = impatient.data_dir / "tmp" / "staging"
    assert not staging.exists() or not any(staging.iterdir())
    assert _ping(impatient) == 200


def test_a_slow_but_steady_body_is_accepted(impatient: Server) -> None:
    """Four seconds in all, longer than either timeout, but never a 2-second pause."""
    fields = signed({"public_id": "steady"})
    head = "".join(
        f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    )

    def body() -> Iterator[bytes]:
        yield (head + '--b\r\nContent-Disposition: form-data; name="file"; filename="s.txt"'
               "\r\n\r\n").encode()  # fmt: skip
        for _ in range(4):
            time.sleep(1)
            yield b"steady " * 100
        yield b"\r\n--b--\r\n"

    answer = httpx.post(
        f"{impatient.base_url}/v1_1/{CLOUD}/raw/upload",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["bytes"] == 2800
