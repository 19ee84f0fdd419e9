"""Remote sources against a real HTTP server on 127.0.0.1.

Nothing here may connect anywhere but loopback: refusals of other addresses are tested through
the guard itself and with socket connections forbidden.
"""

from __future__ import annotations

import base64
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudlet.errors import BadRequestError, FileTooLargeError
from cloudlet.services import remote
from cloudlet.services.remote import (
    FetchedFile,
    decode_data_uri,
    fetch_url,
    is_public_address,
    is_remote_source,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        try:
            if path.startswith("/redirect/"):
                hops = int(path.rsplit("/", 1)[1])
                self._redirect(f"/redirect/{hops - 1}" if hops > 1 else "/files/logo.png")
            elif path == "/loop":
                self._redirect("/loop")
            elif path == "/to-ftp":
                self._redirect("ftp://127.0.0.1/x")
            elif path == "/huge":
                self._endless()
            elif path == "/declared-huge":
                self._headers(200, {"Content-Length": str(10**12)})
            elif path == "/slow":
                time.sleep(1.5)
                self._send(200, PNG)
            elif path == "/drip":
                self._drip()
            elif path == "/host":
                self._send(200, self.headers.get("Host", "").encode(), "text/plain")
            elif path.startswith("/files/") or path == "/":
                self._send(200, PNG, "image/png; charset=binary")
            else:
                self._send(404, b"not here", "text/plain")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def _headers(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str = "image/png") -> None:
        self._headers(status, {"Content-Type": content_type, "Content-Length": str(len(body))})
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self._headers(302, {"Location": location, "Content-Length": "0"})

    def _endless(self) -> None:
        self._headers(200, {"Content-Type": "application/octet-stream", "Connection": "close"})
        chunk = b"\0" * 65536
        while True:
            self.wfile.write(chunk)

    def _drip(self) -> None:
        self._headers(200, {"Content-Type": "text/plain", "Connection": "close"})
        while True:
            self.wfile.write(b".")
            self.wfile.flush()
            time.sleep(0.05)


def _serve(context: ssl.SSLContext | None = None) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if context else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    yield from _serve()


def _fetch(url: str, dest: Path, **kwargs: object) -> FetchedFile:
    options: dict = {"max_bytes": 10**6, "timeout_s": 5.0, "allow_private": True}
    options.update(kwargs)
    return fetch_url(url, dest, **options)


# --------------------------------------------------------------------------- fetching


def test_fetch_a_file(base, tmp_path):
    dest = tmp_path / "out"
    result = _fetch(f"{base}/files/logo.png?v=1", dest)
    assert result == FetchedFile("logo.png", "image/png", len(PNG))
    assert dest.read_bytes() == PNG


@pytest.mark.parametrize(
    ("path", "filename"),
    [
        ("/files/na%C3%AFve%20name.png", "naïve name.png"),
        ("/files/a%2Fb.png", "b.png"),
        ("/files/", "file"),
        ("/", "file"),
        ("/files/%2E%2E", "file"),
    ],
)
def test_filename_comes_from_the_url_path(base, tmp_path, path, filename):
    assert _fetch(base + path, tmp_path / "out").filename == filename


def test_not_found(base, tmp_path):
    dest = tmp_path / "out"
    with pytest.raises(BadRequestError, match=f"^Resource not found - {base}/missing$"):
        _fetch(f"{base}/missing", dest)
    assert not dest.exists()


def test_redirect_chain_is_followed(base, tmp_path):
    result = _fetch(f"{base}/redirect/5", tmp_path / "out")
    assert result.bytes == len(PNG)
    assert result.filename == "5"  # the name the caller asked for, not the last hop's


def test_too_many_redirects(base, tmp_path):
    with pytest.raises(BadRequestError, match="Too many redirects"):
        _fetch(f"{base}/redirect/6", tmp_path / "out")
    with pytest.raises(BadRequestError, match="Too many redirects"):
        _fetch(f"{base}/loop", tmp_path / "out")


def test_redirect_to_another_scheme_is_refused(base, tmp_path):
    with pytest.raises(BadRequestError, match="not supported"):
        _fetch(f"{base}/to-ftp", tmp_path / "out")


def test_endless_body_stops_at_max_bytes(base, tmp_path):
    dest = tmp_path / "out"
    with pytest.raises(FileTooLargeError):
        _fetch(f"{base}/huge", dest, max_bytes=300_000)
    assert not dest.exists()


def test_declared_length_is_checked_before_reading(base, tmp_path):
    dest = tmp_path / "out"
    with pytest.raises(FileTooLargeError):
        _fetch(f"{base}/declared-huge", dest)
    assert not dest.exists()


def test_exactly_max_bytes_is_fine(base, tmp_path):
    assert _fetch(f"{base}/files/x.png", tmp_path / "out", max_bytes=len(PNG)).bytes == len(PNG)
    with pytest.raises(FileTooLargeError):
        _fetch(f"{base}/files/x.png", tmp_path / "out", max_bytes=len(PNG) - 1)


def test_slow_response_times_out(base, tmp_path):
    dest = tmp_path / "out"
    start = time.monotonic()
    with pytest.raises(BadRequestError, match="Timeout"):
        _fetch(f"{base}/slow", dest, timeout_s=0.2)
    assert time.monotonic() - start < 1.4
    assert not dest.exists()


def test_a_dripping_body_hits_the_overall_deadline(base, tmp_path):
    dest = tmp_path / "out"
    with pytest.raises(BadRequestError, match="Timeout"):
        _fetch(f"{base}/drip", dest, timeout_s=0.2)
    assert not dest.exists()


def test_connection_refused(tmp_path):
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(BadRequestError, match="Resource not found"):
        _fetch(f"http://127.0.0.1:{port}/x", tmp_path / "out")


@pytest.mark.parametrize("scheme", ["ftp", "s3", "gs", "FTP"])
def test_unsupported_schemes(tmp_path, scheme):
    with pytest.raises(BadRequestError, match="not supported by this server"):
        _fetch(f"{scheme}://bucket/key.jpg", tmp_path / "out")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://", "not a url", "gopher://x/"])
def test_invalid_urls(tmp_path, url):
    with pytest.raises(BadRequestError):
        _fetch(url, tmp_path / "out")


# ------------------------------------------------------------------------------- guard


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail any attempt to open a TCP connection; the list records attempts."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/files/logo.png",
        "http://localhost/",
        "http://LOCALHOST:8080/x",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://10.0.0.1/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f.1/",
        "https://100.64.0.1/",
    ],
)
def test_private_addresses_are_refused_without_connecting(base, tmp_path, no_connections, url):
    url = url.format(port=base.rsplit(":", 1)[1])
    dest = tmp_path / "out"
    with pytest.raises(BadRequestError) as caught:
        _fetch(url, dest, allow_private=False)
    assert caught.value.message.startswith(("Remote address not allowed - ", "Invalid URL"))
    assert no_connections == []
    assert not dest.exists()


def test_redirect_to_a_private_address_is_refused(monkeypatch, base, tmp_path):
    """The first hop is allowed (the guard is told 127.0.0.1 is public for one call), the
    redirect target is checked again and refused."""
    port = base.rsplit(":", 1)[1]
    verdicts = iter([True])
    monkeypatch.setattr(remote, "is_public_address", lambda address: next(verdicts, False))
    with pytest.raises(BadRequestError, match="Remote address not allowed"):
        _fetch(f"http://127.0.0.1:{port}/redirect/1", tmp_path / "out", allow_private=False)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.0.1",
        "100.64.0.1",
        "100.127.255.255",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "192.0.2.1",
        "192.0.0.192",
        "100.100.100.200",
        "::",
        "::1",
        "fe80::1",
        "fe80::1%eth0",
        "fec0::1",
        "fc00::1",
        "fd12:3456::1",
        "fd00:ec2::254",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "2001:db8::1",
        "2001::1",
        "not an address",
        "",
    ],
)
def test_guard_refuses(address):
    assert is_public_address(address) is False


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "172.32.0.1",
        "100.128.0.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
        "2002:808:808::1",
        "64:ff9b::808:808",
    ],
)
def test_guard_allows_public_addresses(address):
    assert is_public_address(address) is True


def test_a_name_with_any_private_address_is_refused(monkeypatch, tmp_path, no_connections):
    def resolve(host: str, port: object, *args: object, **kwargs: object) -> list:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(BadRequestError, match="Remote address not allowed"):
        _fetch("http://mixed.example.test/x.png", tmp_path / "out", allow_private=False)
    assert no_connections == []


# ------------------------------------------------------------------------------ pinning


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``*.example.test`` resolves to 127.0.0.1, which the guard is told is public; the list
    records every name looked up."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolve(host: str, port: object, *args: object, **kwargs: object) -> list:
        lookups.append(host)
        if host.endswith(".example.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(remote, "is_public_address", lambda address: address == "127.0.0.1")
    return lookups


def test_connects_to_the_checked_address_with_the_original_host(base, tmp_path, fake_dns):
    port = base.rsplit(":", 1)[1]
    dest = tmp_path / "out"
    _fetch(f"http://cdn.example.test:{port}/host", dest, allow_private=False)
    assert dest.read_bytes() == f"cdn.example.test:{port}".encode()
    assert fake_dns.count("cdn.example.test") == 1  # resolved once: no second lookup to rebind


@pytest.fixture(scope="module")
def tls(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, ssl.SSLContext, list[str | None]]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for cdn.example.test; the
    list records the SNI name of every handshake."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=cdn.example.test", "-addext", "subjectAltName=DNS:cdn.example.test",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(d / "cert.pem", d / "key.pem")
    names: list[str | None] = []
    server_context.sni_callback = lambda sock, name, context: names.append(name)
    client_context = ssl.create_default_context(cafile=str(d / "cert.pem"))
    for url in _serve(server_context):
        yield url, client_context, names


def test_https_pinning_keeps_sni_and_certificate_checks(tls, tmp_path, fake_dns):
    base, client_context, sni_names = tls
    port = base.rsplit(":", 1)[1]
    dest = tmp_path / "out"
    url = f"https://cdn.example.test:{port}/host"
    _fetch(url, dest, allow_private=False, verify=client_context)
    assert dest.read_bytes() == f"cdn.example.test:{port}".encode()
    assert sni_names[-1] == "cdn.example.test"
    # Same server, another name: the certificate does not cover it, so the check must fail.
    with pytest.raises(BadRequestError, match="Resource not found"):
        _fetch(f"https://other.example.test:{port}/host", dest, allow_private=False,
               verify=client_context)  # fmt: skip
    assert not dest.exists()


# ---------------------------------------------------------------------------- sources


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://x/a.jpg", True),
        ("HTTPS://x/a.jpg", True),
        ("ftp://x/a", True),
        ("s3://bucket/key", True),
        ("gs://bucket/key", True),
        ("data:image/png;base64,AAAA", True),
        ("DATA:,hello", True),
        ("/tmp/file.jpg", False),
        ("file:///etc/passwd", False),
        ("httpx://nope", False),
        ("sample.jpg", False),
        ("", False),
    ],
)
def test_is_remote_source(value, expected):
    assert is_remote_source(value) is expected


# -------------------------------------------------------------------------- data URIs


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("uri", "content_type", "data"),
    [
        (f"data:image/png;base64,{_b64(PNG)}", "image/png", PNG),
        (f"data:image/png;base64,{_b64(b'ab')}".rstrip("="), "image/png", b"ab"),
        ("data:image/gif;base64,R0lG\nODlh\r\n AQ==", "image/gif", b"GIF89a\x01"),
        ("data:;base64,aGk=", None, b"hi"),
        ("data:text/plain;charset=utf-8;base64,aGk", "text/plain", b"hi"),
        ("data:application/octet-stream;base64,-_8=", "application/octet-stream", b"\xfb\xff"),
        ("data:image/svg+xml,%3Csvg%2F%3E", "image/svg+xml", b"<svg/>"),
        ("data:,hello%20world", None, b"hello world"),
        ("DATA:TEXT/PLAIN;BASE64,aGk=", "text/plain", b"hi"),
        ("data:image/png;base64,aGk%3D", "image/png", b"hi"),
    ],
)
def test_data_uris(tmp_path, uri, content_type, data):
    dest = tmp_path / "out"
    assert decode_data_uri(uri, dest, max_bytes=10**6) == FetchedFile(
        "file", content_type, len(data)
    )
    assert dest.read_bytes() == data


@pytest.mark.parametrize(
    "uri",
    [
        "data:image/png;base64",  # no comma
        "image/png;base64,aGk=",
        "data:image/png;base64,a",  # one leftover character cannot be base64
        "data:image/png;base64,aGk*",
        "data:image/png;base64,aG=k",
        "data:not a type;base64,aGk=",
        "http://x/data:,a",
    ],
)
def test_malformed_data_uris(tmp_path, uri):
    dest = tmp_path / "out"
    with pytest.raises(BadRequestError, match="^Invalid data URI$"):
        decode_data_uri(uri, dest, max_bytes=1000)
    assert not dest.exists()


def test_data_uri_over_the_limit(tmp_path):
    dest = tmp_path / "out"
    with pytest.raises(FileTooLargeError):
        decode_data_uri(f"data:image/png;base64,{_b64(b'x' * 1001)}", dest, max_bytes=1000)
    with pytest.raises(FileTooLargeError):
        decode_data_uri("data:," + "y" * 1001, dest, max_bytes=1000)
    assert not dest.exists()
    decode_data_uri(f"data:image/png;base64,{_b64(b'x' * 1000)}", dest, max_bytes=1000)
    assert dest.stat().st_size == 1000
