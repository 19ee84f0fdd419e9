"""How the Node.js SDK (npm ``cloudinary`` 2.x) speaks, replayed as raw HTTP against a live server.

Each test sends the bytes the Node SDK puts on the wire (observed from cloudinary_npm 2.11) with
``http.client``, so a regression shows here even where Node is not installed: percent-encoded
path segments, urlencoded Admin API bodies on DELETE and POST, chunked multipart without a
Content-Length, Latin-1 filenames, ``Date.toString()`` timestamps, ``dd-MM-yyyy`` usage dates,
``localeCompare`` key order in signatures and ``upload_large``'s Content-Range habits.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from tests.compat.server import API_KEY, API_SECRET, CLOUD, Server, start_server, stop_server

# statuses the Node uploader cannot read an error message from (it parses JSON only for
# 200, 400, 401, 404, 420, 429 and 500)
UNREADABLE_BY_NODE = {201, 204, 409, 413, 422}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("node-habits"))
    yield srv
    stop_server(srv)


def _send(
    server: Server,
    method: str,
    path: str,
    body: bytes | Iterator[bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One raw request; ``path`` goes on the wire exactly as given (no re-encoding)."""
    parts = urlsplit(server.base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        chunked = body is not None and not isinstance(body, bytes)
        conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def _admin(server: Server, method: str, path: str, form: str | None = None) -> tuple[int, Any]:
    token = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    body = None
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = form.encode()
    return _send(server, method, f"/v1_1/{CLOUD}/{path}", body, headers)


def _signed(params: dict[str, str], to_sign: str | None = None) -> dict[str, str]:
    """Sign like pycloudinary (pairs sorted as strings) unless the string to sign is given."""
    text = (
        to_sign if to_sign is not None else "&".join(sorted(f"{k}={v}" for k, v in params.items()))
    )
    signature = hashlib.sha1((text + API_SECRET).encode()).hexdigest()
    return {**params, "signature": signature, "api_key": API_KEY}


def _multipart(fields: dict[str, str], filename: bytes, data: bytes) -> tuple[str, list[bytes]]:
    """Node's multipart framing: field parts, then the file part with a raw-bytes filename."""
    boundary = "NodeBoundary" + os.urandom(8).hex()
    pieces = [
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
        for name, value in fields.items()
    ]
    pieces.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    pieces += [data, f"\r\n--{boundary}--".encode()]
    return boundary, pieces


def _upload(
    server: Server,
    fields: dict[str, str],
    data: bytes,
    *,
    filename: bytes = b"file.png",
    resource_type: str = "image",
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """A multipart upload sent the Node way: ``Transfer-Encoding: chunked``, no Content-Length."""
    boundary, pieces = _multipart(fields, filename, data)
    all_headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})}
    path = f"/v1_1/{CLOUD}/{resource_type}/upload"
    return _send(server, "POST", path, iter(pieces), all_headers)


def _png() -> bytes:
    return (Path(__file__).parent.parent / "compat" / "node" / "fixtures" / "dot.png").read_bytes()


def _stamp() -> str:
    return str(int(time.time()))


def test_percent_encoded_paths_reach_their_handlers(server: Server) -> None:
    status, _ = _upload(
        server, _signed({"public_id": "enc/one", "tags": "node tag", "timestamp": _stamp()}), _png()
    )
    assert status == 200
    # Node encodes the whole path after the cloud name as one component
    status, body = _admin(server, "GET", "resources%2Fimage%2Fupload%2Fenc%2Fone")
    assert (status, body["public_id"]) == (200, "enc/one")
    status, body = _admin(server, "GET", "resources%2Fimage%2Fupload?prefix=enc%2F")
    assert [r["public_id"] for r in body["resources"]] == ["enc/one"]
    status, body = _admin(server, "GET", "resources%2Fimage%2Ftags%2Fnode%20tag")
    assert [r["public_id"] for r in body["resources"]] == ["enc/one"]
    status, body = _admin(server, "GET", "folders%2Fenc")
    assert status == 200 and body["folders"] == []
    status, body = _admin(server, "GET", "folders")
    assert {"name": "enc", "path": "enc"} in body["folders"]


@pytest.mark.parametrize("key", ["public_ids[]", "public_ids%5B%5D"])
def test_urlencoded_delete_body(server: Server, key: str) -> None:
    for name in ("del/a", "del/b", "del/keep"):
        status, _ = _upload(server, _signed({"public_id": name, "timestamp": _stamp()}), _png())
        assert status == 200
    status, body = _admin(
        server, "DELETE", "resources%2Fimage%2Fupload", f"{key}=del%2Fa&{key}=del%2Fb"
    )
    assert status == 200
    assert body["deleted"] == {"del/a": "deleted", "del/b": "deleted"}
    assert _admin(server, "GET", "resources%2Fimage%2Fupload%2Fdel%2Fa")[0] == 404
    assert _admin(server, "GET", "resources%2Fimage%2Fupload%2Fdel%2Fkeep")[0] == 200


def test_urlencoded_update_post(server: Server) -> None:
    status, _ = _upload(server, _signed({"public_id": "upd", "timestamp": _stamp()}), _png())
    assert status == 200
    form = urlencode({"tags": "red,blue", "context": "alt=a cat|caption=x"})
    status, body = _admin(server, "POST", "resources%2Fimage%2Fupload%2Fupd", form)
    assert status == 200, body
    status, body = _admin(server, "GET", "resources%2Fimage%2Fupload%2Fupd")
    assert sorted(body["tags"]) == ["blue", "red"]
    assert body["context"] == {"custom": {"alt": "a cat", "caption": "x"}}


def test_chunked_multipart_with_latin1_filename(server: Server) -> None:
    # Node writes the file part header with Buffer.from(…, 'binary'): é is the single byte E9
    fields = _signed({"timestamp": _stamp(), "unique_filename": "false", "use_filename": "true"})
    status, body = _upload(server, fields, _png(), filename="café.png".encode("latin-1"))
    assert status == 200, body
    assert (body["public_id"], body["original_filename"]) == ("café", "café")
    status, body = _admin(server, "GET", "resources%2Fimage%2Fupload%2Fcaf%C3%A9")
    assert (status, body["bytes"]) == (200, len(_png()))


def _javascript_date(moment: datetime, offset_hours: int) -> str:
    """``String(new Date(…))`` as Node prints it in a zone ``offset_hours`` east of UTC."""
    local = moment.astimezone(timezone(timedelta(hours=offset_hours)))
    sign = "+" if offset_hours >= 0 else "-"
    return local.strftime(f"%a %b %d %Y %H:%M:%S GMT{sign}{abs(offset_hours):02d}00 (Some Time)")


@pytest.mark.parametrize("offset", [0, 1, -8])
def test_start_at_as_javascript_date_string(server: Server, offset: int) -> None:
    status, _ = _upload(server, _signed({"public_id": "dated", "timestamp": _stamp()}), _png())
    assert status == 200
    now = datetime.now(UTC)
    for moment, listed in ((now - timedelta(hours=1), True), (now + timedelta(hours=1), False)):
        query = urlencode({"start_at": _javascript_date(moment, offset), "direction": "asc"})
        status, body = _admin(server, "GET", f"resources%2Fimage%2Fupload?{query}")
        assert status == 200, body
        assert ("dated" in [r["public_id"] for r in body["resources"]]) is listed


def test_usage_by_date(server: Server) -> None:
    status, body = _admin(server, "GET", "usage%2F26-11-2025")
    assert status == 200 and "objects" in body
    # api.usage({date: new Date(…)}) puts the Date's toString() in the path
    js_date = "Wed Nov 26 2025 01:00:00 GMT+0100 (Central European Standard Time)"
    status, body = _admin(server, "GET", "usage%2F" + js_date.replace(" ", "%20"))
    assert status == 200 and "objects" in body
    status, body = _admin(server, "GET", "usage%2F2025-31-31")
    assert status == 400
    assert "dd-MM-yyyy" in body["error"]["message"]


def test_signature_in_localecompare_order(server: Server) -> None:
    params = {"Bz": "z", "a1": "x", "a_1": "y", "ab": "w", "public_id": "signed_js"}
    params["timestamp"] = _stamp()
    # the order JavaScript's localeCompare gives these keys (a plain sort: Bz, a1, a_1, ab)
    node_order = ["a_1", "a1", "ab", "Bz", "public_id", "timestamp"]
    to_sign = "&".join(f"{k}={params[k]}" for k in node_order)
    status, body = _upload(server, _signed(params, to_sign), _png())
    assert (status, body.get("public_id")) == (200, "signed_js"), body
    wrong = "&".join(f"{k}={params[k]}" for k in reversed(node_order))
    status, body = _upload(server, _signed({**params, "public_id": "unsigned_js"}, wrong), _png())
    assert status == 401
    assert _admin(server, "GET", "resources%2Fimage%2Fupload%2Funsigned_js")[0] == 404


def _chunk(server: Server, upload_id: str, content_range: str, data: bytes) -> tuple[int, Any]:
    headers = {"Content-Range": content_range, "X-Unique-Upload-Id": upload_id}
    fields = _signed({"public_id": f"large/{upload_id}", "timestamp": _stamp()})
    return _upload(server, fields, data, filename=b"big", resource_type="raw", headers=headers)


def _chunk_folders(server: Server) -> list[Path]:
    return list((server.data_dir / "tmp" / "chunks").glob("*/*"))


def test_upload_large_small_unsized_chunk_is_refused(server: Server) -> None:
    before = _chunk_folders(server)
    status, body = _chunk(server, "smallchunk", "bytes 0-39999/-1", os.urandom(40000))
    assert status == 400
    assert body["error"]["message"] == "All parts except EOF-chunk must be larger than 5mb"
    assert _chunk_folders(server) == before
    assert _admin(server, "GET", "resources%2Fraw%2Fupload%2Flarge%2Fsmallchunk")[0] == 404


def test_upload_large_empty_file(server: Server) -> None:
    status, body = _chunk(server, "emptyfile", "bytes 0--1/0", b"")
    assert status == 400
    assert "empty" in body["error"]["message"].lower()
    assert _admin(server, "GET", "resources%2Fraw%2Fupload%2Flarge%2Femptyfile")[0] == 404


def test_upload_large_unsized_chunks_assemble(server: Server) -> None:
    first, last = os.urandom(5 * 1024 * 1024), os.urandom(1000)
    total = len(first) + len(last)
    status, body = _chunk(server, "twochunks", f"bytes 0-{len(first) - 1}/-1", first)
    assert status == 200 and body["done"] is False
    assert _admin(server, "GET", "resources%2Fraw%2Fupload%2Flarge%2Ftwochunks")[0] == 404
    status, body = _chunk(server, "twochunks", f"bytes {len(first)}-{total - 1}/{total}", last)
    assert status == 200, body
    assert (body["public_id"], body["bytes"]) == ("large/twochunks", total)
    assert body["etag"] == hashlib.md5(first + last, usedforsecurity=False).hexdigest()


def test_upload_api_errors_stay_readable_by_node(server: Server) -> None:
    for name in ("taken", "mover"):
        assert (
            _upload(server, _signed({"public_id": name, "timestamp": _stamp()}), _png())[0] == 200
        )
    path = f"/v1_1/{CLOUD}/image/rename"
    fields = _signed({"from_public_id": "mover", "timestamp": _stamp(), "to_public_id": "taken"})
    form = urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body = _send(server, "POST", path, form, headers)
    assert status not in UNREADABLE_BY_NODE
    assert status == 400 and "already exists" in body["error"]["message"]
    assert _admin(server, "GET", "resources%2Fimage%2Fupload%2Fmover")[0] == 200
