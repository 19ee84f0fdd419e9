"""Hostile requests are refused with a clear 4xx in Cloudinary's shape, change nothing and
never reach a 5xx: traversal (plain, encoded, double-encoded, backslashes, NUL), deeply
nested and huge parameters, oversized and malformed bodies, header injection.

Found here and fixed: a NUL or a character beyond Latin-1 in a delivery path went into the
``X-Cld-Error`` header as it was and uvicorn dropped the connection without an answer; a JSON
body nested thousands deep was a 500 (RecursionError).
"""

from __future__ import annotations

import re
import socket

import httpx
import pytest
from tests.compat.server import API_KEY, API_SECRET, CLOUD, Server, blob_keys
from tests.reliability.workload import signed, unique_png

AUTH = (API_KEY, API_SECRET)
SECRETS = (b"root:", b"[extensions]", b"CLOUDLET_", b"api_secret", API_SECRET.encode())


@pytest.fixture(scope="module")
def server(hostile_server: Server) -> Server:
    """The shared hostile-input server, with one asset ``victim`` in it."""
    answer = httpx.post(
        f"{hostile_server.base_url}/v1_1/{CLOUD}/image/upload",
        data=signed({"public_id": "victim"}),
        files={"file": ("v.png", unique_png(7), "image/png")},
    )
    assert answer.status_code == 200, answer.text
    return hostile_server


def _refused(answer: httpx.Response, *statuses: int) -> None:
    assert answer.status_code in (statuses or (400, 401, 404)), (answer.status_code, answer.text)
    assert set(answer.json()) == {"error"} and answer.json()["error"]["message"]
    assert not any(secret in answer.content for secret in SECRETS)


TRAVERSALS = [
    "../../../../etc/passwd",
    "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%5c..%5c..%5cetc%5cpasswd",
    "..\\..\\..\\etc\\passwd",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "victim%00.png",
    "victim.png%00.jpg",
    "%2e%2e%2f%2e%2e%2fdata%2fcatalog.sqlite3",
    "w_10/..%2f..%2f..%2fcatalog.sqlite3",
    "%E6%97%A5%E6%9C%AC.png",
    "%ff%fe%fd.png",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_on_delivery(server: Server, path: str) -> None:
    for resource_type in ("image", "raw"):
        answer = httpx.get(f"{server.base_url}/{CLOUD}/{resource_type}/upload/{path}")
        _refused(answer, 400, 404)
        error_header = answer.headers["x-cld-error"]  # always there, always one clean line
        assert error_header.isascii() and "\x00" not in error_header


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_on_the_admin_api(server: Server, path: str) -> None:
    base = f"{server.base_url}/v1_1/{CLOUD}"
    _refused(httpx.get(f"{base}/resources/image/upload/{path}", auth=AUTH), 400, 404)
    _refused(httpx.delete(f"{base}/resources/image/upload/{path}", auth=AUTH), 400, 404)


@pytest.mark.parametrize("public_id", [p.replace("%2f", "/") for p in TRAVERSALS[:6]])
def test_traversal_as_a_public_id(server: Server, public_id: str) -> None:
    before = blob_keys(server)
    answer = httpx.post(
        f"{server.base_url}/v1_1/{CLOUD}/image/upload",
        data=signed({"public_id": public_id}),
        files={"file": ("t.png", unique_png(8), "image/png")},
    )
    if answer.status_code == 200:  # a name that is merely odd is stored as a name
        assert answer.json()["public_id"] == public_id
        assert all(".." not in key.split("/") for key in blob_keys(server))
        httpx.post(f"{server.base_url}/v1_1/{CLOUD}/image/destroy",
                   data=signed({"public_id": public_id}))  # fmt: skip
    else:
        _refused(answer, 400)
        assert blob_keys(server) == before


def test_rename_to_a_traversal_is_refused(server: Server) -> None:
    fields = {"from_public_id": "victim", "to_public_id": "../../outside"}
    _refused(httpx.post(f"{server.base_url}/v1_1/{CLOUD}/image/rename", data=signed(fields)), 400)


# ---------------------------------------------------------------------------- parameters


def test_deeply_nested_params(server: Server) -> None:
    nested = "context" + "[a]" * 500
    fields = signed({"public_id": "nested"})
    answer = httpx.post(
        f"{server.base_url}/v1_1/{CLOUD}/image/upload?{nested}=1",
        data={**fields, nested: "x", "tags" + "[]" * 300: "y"},
        files={"file": ("n.png", unique_png(9), "image/png")},
    )
    _refused(answer, 400, 401)


def test_huge_arrays(server: Server) -> None:
    fields = signed({"command": "add", "tag": "t"})
    answer = httpx.post(
        f"{server.base_url}/v1_1/{CLOUD}/image/tags",
        data={**fields, "public_ids[]": ["x"] * 20_000},
    )
    _refused(answer, 400, 401)
    listed = httpx.get(
        f"{server.base_url}/v1_1/{CLOUD}/resources/image/upload",
        params={"public_ids[]": [f"p{n}" for n in range(1_500)]},
        auth=AUTH,
    )
    assert listed.status_code in (200, 400), listed.text


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"context":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001,
        b'{"tags":' + b"[" * 900 + b"]" * 900 + b"}",
        b"{bad json",
        b'"a string"',
        b"\xff\xfe\x00",
    ],
)
def test_nested_and_malformed_json(server: Server, body: bytes) -> None:
    answer = httpx.post(
        f"{server.base_url}/v1_1/{CLOUD}/resources/image/upload/victim",
        content=body,
        headers={"Content-Type": "application/json"},
        auth=AUTH,
    )
    _refused(answer, 400)


def test_nested_context_values_become_text(server: Server) -> None:
    """A context value that is itself an object (900 deep) is kept as its JSON text."""
    deep = b'{"context":' + b'{"a":' * 900 + b"1" + b"}" * 901
    answer = httpx.post(
        f"{server.base_url}/v1_1/{CLOUD}/resources/image/upload/victim",
        content=deep,
        headers={"Content-Type": "application/json"},
        auth=AUTH,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["context"]["custom"]["a"].startswith('{"a": {"a":')


@pytest.mark.parametrize("name", ["context", "metadata", "eager", "tags", "headers"])
def test_json_text_nested_deep_in_a_parameter(server: Server, name: str) -> None:
    """Was a 500 (RecursionError) for context and metadata."""
    opening, closing = ('{"a":', "}") if name in ("context", "metadata") else ("[", "]")
    deep = opening * 100_000 + '"x"' + closing * 100_000
    answer = httpx.post(
        f"{server.base_url}/v1_1/{CLOUD}/image/upload",
        data=signed({"public_id": "deep", name: deep}),
        files={"file": ("c.png", unique_png(13), "image/png")},
    )
    assert answer.status_code in (200, 400), answer.text


def test_declared_huge_json_body_is_refused_unread(server: Server) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST /v1_1/{CLOUD}/resources/image/upload/victim HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {40 * 1024**3}\r\n\r\n".encode()
        )
        reply = _whole_reply(sock)
    assert reply.startswith("HTTP/1.1 400") and "Request body too large" in reply


def _whole_reply(sock: socket.socket) -> str:
    """One HTTP answer, headers and body: they may arrive in separate segments (one recv
    once returned the headers alone)."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    while length and len(body) < int(length.group(1)) and (chunk := sock.recv(65536)):
        body += chunk
    return (head + b"\r\n\r\n" + body).decode("latin-1")


@pytest.mark.parametrize("timestamp", ["inf", "-inf", "1e400", "nan", "1e15", "-1e15", "9" * 30])
def test_absurd_timestamps_are_401(server: Server, timestamp: str) -> None:
    fields = {"public_id": "ts", "timestamp": timestamp}
    from cloudinary.utils import sign_request

    form = sign_request(fields, {"api_key": API_KEY, "api_secret": API_SECRET})
    answer = httpx.post(
        f"{server.base_url}/v1_1/{CLOUD}/image/upload",
        data=form,
        files={"file": ("t.png", unique_png(10), "image/png")},
    )
    _refused(answer, 401)


# ---------------------------------------------------------------------------- headers


def test_line_breaks_never_reach_a_header(server: Server) -> None:
    """CR/LF in what a response might echo (public id, filename, context, fl_attachment's
    name, the path) is refused or stays in the JSON body; no header is injected."""
    answers = [
        httpx.post(
            f"{server.base_url}/v1_1/{CLOUD}/image/upload",
            data=signed({"public_id": "inj\r\nX-Injected: 1"}),
            files={"file": ("a.png", unique_png(11), "image/png")},
        ),
        httpx.post(
            f"{server.base_url}/v1_1/{CLOUD}/image/upload",
            data=signed({"public_id": "inj2", "context": "alt=a\r\nX-Injected: 1"}),
            files={"file": ("a\r\nX-Injected: 1.png", unique_png(12), "image/png")},
        ),
    ]
    for path in (
        "fl_attachment:a%0d%0aX-Injected:1/victim.png",
        "fl_attachment:a%0aX-Injected:1/victim.png",
        "victim.png%0d%0aX-Injected:%201",
        "w_10/vic%0d%0aX-Injected:1tim.png",
    ):
        answers.append(httpx.get(f"{server.base_url}/{CLOUD}/image/upload/{path}"))
    for answer in answers:
        assert answer.status_code < 500, answer.text
        assert "x-injected" not in answer.headers
        for value in answer.headers.values():
            assert "\r" not in value and "\n" not in value
    assert answers[0].status_code == 400  # control characters are not allowed in public ids
