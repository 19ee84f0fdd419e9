"""Parameter merging: every body encoding the SDKs use, driven through a tiny Starlette app."""

from __future__ import annotations

import json
from typing import Any

import cloudinary.utils
import pytest
import urllib3
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from cloudlet.delivery.signatures import verify_api_signature
from cloudlet.errors import BadRequestError
from cloudlet.web.params import Params, read_params

SECRET = "abcdeFGHijkLMNop"

METHODS = ["GET", "POST", "PUT", "DELETE"]


async def _echo(request: Request) -> JSONResponse:
    try:
        params = await read_params(request)
    except BadRequestError as exc:
        return JSONResponse({"error": {"message": exc.message}}, status_code=exc.status)
    files = {}
    for name, upload in params.files.items():
        files[name] = {"filename": upload.filename, "data": (await upload.read()).decode()}
    return JSONResponse(
        {
            "fields": params.fields,
            "values": params.values,
            "files": files,
            "signable": params.signable(),
        }
    )


async def _small(request: Request) -> JSONResponse:
    try:
        params = await read_params(request, max_text_part_size=1024)
    except BadRequestError as exc:
        return JSONResponse({"error": {"message": exc.message}}, status_code=exc.status)
    return JSONResponse({"values": params.values})


async def _verify(request: Request) -> JSONResponse:
    params = await read_params(request)
    signature = params.get_str("signature") or ""
    return JSONResponse({"valid": verify_api_signature(params.signable(), SECRET, signature)})


@pytest.fixture(scope="module")
def client() -> TestClient:
    routes = [
        Route("/echo", _echo, methods=METHODS),
        Route("/small", _small, methods=METHODS),
        Route("/verify", _verify, methods=["POST"]),
    ]
    return TestClient(Starlette(routes=routes))


def test_multipart_with_file_and_repeated_array(client):
    response = client.post(
        "/echo",
        data={"timestamp": "1795717587", "public_ids[]": ["a", "b"], "tag": "t1"},
        files={"file": ("logo.png", b"PNGDATA", "image/png")},
    )
    body = response.json()
    assert body["values"] == {"timestamp": "1795717587", "public_ids": ["a", "b"], "tag": "t1"}
    assert ["public_ids[]", "a"] in body["fields"]
    assert ["public_ids[]", "b"] in body["fields"]
    assert body["files"] == {"file": {"filename": "logo.png", "data": "PNGDATA"}}
    assert body["signable"] == {"timestamp": "1795717587", "public_ids": ["a", "b"], "tag": "t1"}


def test_multipart_text_file_field_and_large_data_uri(client):
    data_uri = "data:image/png;base64," + "A" * (3 * 1024 * 1024)
    response = client.post(
        "/echo", data={"file": data_uri, "timestamp": "1"}, files={"x": ("empty.bin", b"")}
    )
    body = response.json()
    assert body["values"]["file"] == data_uri
    assert body["files"] == {"x": {"filename": "empty.bin", "data": ""}}


def test_text_part_size_limit(client):
    assert client.post("/small", data={"a": "x" * 1000}).status_code == 200
    response = client.post("/small", data={"a": "x" * 1025}, files={"f": ("f", b"y" * 4096)})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("Invalid form body")


@pytest.mark.parametrize(
    "params",
    [
        {"public_id": "cats & dogs/ü", "tags": "a,b", "overwrite": True, "eager": "w_10|w_5/png"},
        {"public_ids": ["a", "b&c"], "tag": "t1", "command": "add"},
    ],
)
def test_pycloudinary_multipart_body_verifies(client, params):
    """Fields signed and encoded exactly as ``cloudinary.uploader.call_api`` does."""
    signed = cloudinary.utils.sign_request(
        {"timestamp": "1795717587", **params}, {"api_key": "123456789012345", "api_secret": SECRET}
    )
    fields: list[tuple[str, Any]] = []
    for key, value in signed.items():
        if isinstance(value, list):
            fields.extend((f"{key}[]", item) for item in value)
        else:
            fields.append((key, value))
    fields.append(("file", ("logo.png", b"PNG", "image/png")))
    body, content_type = urllib3.encode_multipart_formdata(fields)
    response = client.post("/verify", content=body, headers={"Content-Type": content_type})
    assert response.json() == {"valid": True}


def test_indexed_arrays_are_ordered_by_index(client):
    response = client.delete("/echo?public_ids[1]=b&public_ids[0]=a&public_ids[10]=c")
    body = response.json()
    assert body["values"] == {"public_ids": ["a", "b", "c"]}
    assert body["signable"] == {"public_ids": ["a", "b", "c"]}


def test_urlencoded_delete_body(client):
    response = client.request(
        "DELETE",
        "/echo",
        content="public_ids%5B%5D=a&public_ids%5B%5D=b%26c&keep_original=true",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    body = response.json()
    assert body["values"] == {"public_ids": ["a", "b&c"], "keep_original": "true"}
    assert body["fields"] == [
        ["public_ids[]", "a"],
        ["public_ids[]", "b&c"],
        ["keep_original", "true"],
    ]


def test_json_delete_body_with_nulls_and_booleans(client):
    payload = {
        "transformations": None,
        "keep_original": True,
        "invalidate": True,
        "public_ids": ["a", "b"],
    }
    response = client.request("DELETE", "/echo", json=payload)
    body = response.json()
    assert body["values"] == {"keep_original": True, "invalidate": True, "public_ids": ["a", "b"]}
    assert body["fields"] == [
        ["keep_original", "1"],
        ["invalidate", "1"],
        ["public_ids[]", "a"],
        ["public_ids[]", "b"],
    ]


def test_json_body_scalars_flattened_like_pycloudinary(client):
    payload = {
        "max_results": 10,
        "ratio": 1.5,
        "off": False,
        "sort_by": [{"public_id": "asc"}],
        "meta": {"k": "v"},
        "empty": [],
    }
    body = client.post("/echo", json=payload).json()
    assert body["fields"] == [
        ["max_results", "10"],
        ["ratio", "1.5"],
        ["off", "0"],
        ["sort_by[]", '{"public_id": "asc"}'],
        ["meta", '{"k": "v"}'],
    ]
    assert body["values"]["sort_by"] == [{"public_id": "asc"}]
    assert body["values"]["empty"] == []


@pytest.mark.parametrize("method", METHODS)
def test_json_content_type_without_body(client, method):
    response = client.request(
        method, "/echo?tags=true&max_results=5", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["values"] == {"tags": "true", "max_results": "5"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "Invalid JSON body: "),
        (b"[1, 2]", "Invalid JSON body"),
        (b'"text"', "Invalid JSON body"),
        (b"\xff\xfe\x00", "Invalid JSON body: "),
    ],
)
def test_bad_json_body(client, content, message):
    response = client.post("/echo", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message)


def test_unknown_content_type_is_ignored(client):
    response = client.post(
        "/echo?a=1", content=b"\x00\x01binary", headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 200
    assert response.json()["values"] == {"a": "1"}


def test_malformed_multipart_is_bad_request(client):
    response = client.post(
        "/echo", content=b"--x\r\nnonsense", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_query_and_body_merge_body_wins(client, method):
    response = client.request(method, "/echo?a=q&b=q", json={"b": "body", "c": None, "d": "x"})
    body = response.json()
    assert body["values"] == {"a": "q", "b": "body", "d": "x"}
    assert body["fields"] == [["a", "q"], ["b", "q"], ["b", "body"], ["d", "x"]]
    assert body["signable"] == {"a": "q", "b": "body", "d": "x"}


def test_query_and_form_body_merge(client):
    response = client.post("/echo?timestamp=1&tags[]=q", data={"tags[]": ["x", "y"]})
    body = response.json()
    assert body["values"] == {"timestamp": "1", "tags": ["x", "y"]}


# --- accessors on Params itself ----------------------------------------------------------


def _params(**values: object) -> Params:
    return Params(values=dict(values))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False),
        ("true", True), ("FALSE", False), ("True", True), (None, None), ("", None),
    ],
)  # fmt: skip
def test_get_bool(value, expected):
    params = _params(flag=value)
    if expected is None:
        assert params.get_bool("flag") is False
        assert params.get_bool("flag", True) is True
    else:
        assert params.get_bool("flag") is expected


@pytest.mark.parametrize("value", ["maybe", "2", 2, ["1"], {"a": 1}, 1.0])
def test_get_bool_error_names_parameter(value):
    with pytest.raises(BadRequestError, match="overwrite") as info:
        _params(overwrite=value).get_bool("overwrite")
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10", 10), (" 7 ", 7), ("-3", -3), (5, 5), (5.0, 5), (None, None), ("", None)],
)
def test_get_int(value, expected):
    assert _params(n=value).get_int("n") == expected


@pytest.mark.parametrize("value", ["ten", "1.5", 1.5, True, ["1"], "0x10"])
def test_get_int_error_names_parameter(value):
    with pytest.raises(BadRequestError, match="max_results"):
        _params(max_results=value).get_int("max_results")


def test_get_int_range():
    params = _params(max_results="501")
    assert params.get_int("missing", 50, minimum=1, maximum=500) == 50
    with pytest.raises(BadRequestError, match="max_results.*at most 500"):
        params.get_int("max_results", minimum=1, maximum=500)
    with pytest.raises(BadRequestError, match="max_results.*at least 1"):
        _params(max_results="0").get_int("max_results", minimum=1)


@pytest.mark.parametrize(
    ("value", "split", "expected"),
    [
        ("a, b,,c ", True, ["a", "b", "c"]),
        ("a,b", False, ["a,b"]),
        ('["a","b,c"]', True, ["a", "b,c"]),
        ('["a", null]', False, ["a"]),
        ("[not json", False, ["[not json"]),
        (["x", "y"], True, ["x", "y"]),
        ([1, True], False, ["1", "true"]),
        (None, True, []),
        ("", True, []),
        ("single", False, ["single"]),
    ],
)
def test_get_list(value, split, expected):
    assert _params(tags=value).get_list("tags", split_commas=split) == expected


def test_get_str():
    params = _params(a=["x", "y"], b=True, c="", d=3, e={"k": 1}, f="text")
    assert params.get_str("a") == "x,y"
    assert params.get_str("b") == "true"
    assert params.get_str("c") is None
    assert params.get_str("c", "dflt") == "dflt"
    assert params.get_str("d") == "3"
    assert json.loads(params.get_str("e") or "") == {"k": 1}
    assert params.get_str("f") == "text"
    assert params.get_str("missing") is None


def test_get_json():
    params = _params(a='{"k": [1, 2]}', b=[{"x": 1}], c="{bad", d=None)
    assert params.get_json("a") == {"k": [1, 2]}
    assert params.get_json("b") == [{"x": 1}]
    assert params.get_json("d") is None
    assert params.get_json("missing") is None
    with pytest.raises(BadRequestError, match="Invalid JSON in parameter c"):
        params.get_json("c")


def test_has():
    params = Params(values={"a": "x", "b": "", "c": [], "d": False}, files={})
    assert params.has("a")
    assert not params.has("b")
    assert params.has("c")
    assert params.has("d")
    assert not params.has("missing")


def test_signable_collapses_arrays_from_fields():
    params = Params(
        fields=[
            ("timestamp", "1"),
            ("tag[]", "t1"),
            ("tag[]", "t2"),
            ("ids[1]", "b"),
            ("ids[0]", "a"),
            ("file", "https://example.com/a.jpg"),
        ]
    )
    assert params.signable() == {
        "timestamp": "1",
        "tag": ["t1", "t2"],
        "ids": ["a", "b"],
        "file": "https://example.com/a.jpg",
    }
