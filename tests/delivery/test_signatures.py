"""Signatures: captured pycloudinary 1.46.3 requests, protocol vectors and the SDK itself."""

from __future__ import annotations

import hashlib
import re

import cloudinary
import cloudinary.auth_token
import cloudinary.utils
import pytest

from cloudlet.delivery.signatures import (
    EXCLUDED_PARAMS,
    api_signature_error,
    auth_token_valid,
    delivery_signature,
    generate_auth_token,
    notification_signature,
    response_signature,
    search_signature,
    sign_params,
    string_to_sign,
    verify_api_signature,
    verify_delivery_signature,
)

SECRET = "abcdeFGHijkLMNop"
NON_SIGNABLE = ("notification_url", "batch_id")

# Every signed Upload API request of reference/captured-requests-pycloudinary-1.46.3.jsonl:
# (action, form fields as sent minus signature/api_key and file parts, signature).
CAPTURED = [
    ("upload", [("public_id", "folder/sample"), ("type", "upload"), ("use_filename", "1"), ("unique_filename", "0"), ("invalidate", "1"), ("notification_url", "http://example.com/hook"), ("eager_async", "1"), ("folder", "f1"), ("asset_folder", "af"), ("overwrite", "0"), ("return_delete_token", "1"), ("timestamp", "1795717587"), ("eager", "c_scale,w_100|w_50/png"), ("tags", "a,b"), ("context", "caption=hi\\=there|alt=x\\|y"), ("metadata", "field1=v1")], "2b3c8412fca8be1c40db199404bbfb609f132cac"),  # noqa: E501
    ("upload", [("timestamp", "1795717587"), ("file", "https://example.com/a.jpg")], "615e054240dac761aa8e1cf0aa5459dca6f2890d"),  # noqa: E501
    ("upload", [("timestamp", "1795717587"), ("file", "data:image/png;base64,iVBORw0KGgo=")], "615e054240dac761aa8e1cf0aa5459dca6f2890d"),  # noqa: E501
    ("upload", [("timestamp", "1795717587")], "615e054240dac761aa8e1cf0aa5459dca6f2890d"),
    ("upload", [("public_id", "sample"), ("timestamp", "1795717587")], "5e2c375b047a792d96a3733eb4ac08e11b4c9038"),  # noqa: E501
    ("explicit", [("type", "upload"), ("timestamp", "1795717587"), ("eager", "w_10"), ("tags", "t1"), ("public_id", "sample")], "763af05c3a07f1928776f7c2089a29499b960f03"),  # noqa: E501
    ("destroy", [("timestamp", "1795717587"), ("invalidate", "1"), ("public_id", "sample")], "e27114e447ffad03290d878cd6bdb8fefd2f985f"),  # noqa: E501
    ("rename", [("timestamp", "1795717587"), ("overwrite", "1"), ("invalidate", "1"), ("from_public_id", "a"), ("to_public_id", "b"), ("to_type", "private")], "7475477f06d8f47f28aa801323bc3a8c69999313"),  # noqa: E501
    ("tags", [("timestamp", "1795717587"), ("tag", "t1"), ("public_ids[]", "a"), ("public_ids[]", "b"), ("command", "add")], "b666b2a4fb0599936e8e107deb825b9bb12045e6"),  # noqa: E501
    ("tags", [("timestamp", "1795717587"), ("tag", "t1"), ("public_ids[]", "a"), ("command", "set_exclusive")], "da3c092a431919a0a53f146827aa1c8e7b58f6b3"),  # noqa: E501
    ("tags", [("timestamp", "1795717587"), ("tag", "t1"), ("public_ids[]", "a"), ("public_ids[]", "b"), ("command", "remove")], "ddbe22f31faccbb90933a420088716e8e05f9930"),  # noqa: E501
    ("tags", [("timestamp", "1795717587"), ("tag", "t2"), ("public_ids[]", "a"), ("command", "replace")], "c739b8540d908729b76058a61ea9cec5752752be"),  # noqa: E501
    ("tags", [("timestamp", "1795717587"), ("public_ids[]", "a"), ("command", "remove_all")], "f8addd605be655d4bec4ae6a38eabac091e5b265"),  # noqa: E501
    ("tags", [("timestamp", "1795717587"), ("tag[]", "t1"), ("tag[]", "t2"), ("public_ids[]", "a"), ("command", "add")], "b06438694a37db19ff91b9c8d7c4812eb47b2bd4"),  # noqa: E501
    ("context", [("timestamp", "1795717588"), ("context", "k=v"), ("public_ids[]", "a"), ("command", "add")], "4b80142f4f7a6427474c750111c1d43c659841a4"),  # noqa: E501
    ("context", [("timestamp", "1795717588"), ("public_ids[]", "a"), ("command", "remove_all")], "714c022230ae9e04446ff5219afc31b2a0c96479"),  # noqa: E501
    ("text", [("timestamp", "1795717588"), ("text", "Hello"), ("font_family", "Arial"), ("font_size", "12"), ("font_color", "red"), ("font_weight", "bold"), ("font_style", "italic"), ("background", "#fff"), ("opacity", "50"), ("text_decoration", "underline")], "18de81145873bfc211d0d734e517cd7707211cc6"),  # noqa: E501
    ("sprite", [("timestamp", "1795717588"), ("tag", "tag1")], "1303c5ec90ba266a9706b171bb4507d670d95ba2"),  # noqa: E501
    ("multi", [("timestamp", "1795717588"), ("tag", "tag1"), ("transformation", "f_gif")], "2af7547d318bc655f317de6acb35b7d61bcb3284"),  # noqa: E501
    ("generate_archive", [("tags[]", "t1"), ("target_format", "zip"), ("timestamp", "1795717588")], "c02637e68fe6bbf183df6f4b6d74f44221545d48"),  # noqa: E501
    ("generate_archive", [("public_ids[]", "a"), ("public_ids[]", "b"), ("target_format", "tgz"), ("timestamp", "1795717588")], "0246acc36ad5dcd732614288922a2eb1d2ee4626"),  # noqa: E501
    ("explode", [("timestamp", "1795717588"), ("public_id", "pdf1"), ("transformation", "pg_all")], "ac26f5ad6f41556b00446b0968eecdfef30f68b3"),  # noqa: E501
    ("metadata", [("timestamp", "1795717588"), ("metadata", "f=v"), ("public_ids[]", "a")], "935f9b0b1c38302d97b07793c65f06fc23c75223"),  # noqa: E501
    ("destroy", [("timestamp", "1795717588"), ("public_id", "x")], "a33959c7040080261f0bed1011c260583bc0d9959d752436104d86f1394b4f94"),  # noqa: E501
]  # fmt: skip


def _collapse(fields: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Form fields as received → signable mapping (``k[]`` gathered into a list)."""
    params: dict[str, str | list[str]] = {}
    for key, value in fields:
        if key.endswith("[]"):
            existing = params.setdefault(key[:-2], [])
            assert isinstance(existing, list)
            existing.append(value)
        else:
            params[key] = value
    return params


def _non_signable(action: str) -> tuple[str, ...]:
    return NON_SIGNABLE if action in {"tags", "context", "metadata"} else ()


@pytest.mark.parametrize(("action", "fields", "signature"), CAPTURED)
def test_captured_request_signature_verifies(action, fields, signature):
    params = _collapse(fields)
    assert verify_api_signature(params, SECRET, signature, non_signable=_non_signable(action))


@pytest.mark.parametrize(("action", "fields", "signature"), CAPTURED)
def test_captured_request_signature_recomputes(action, fields, signature):
    algorithm = "sha256" if len(signature) == 64 else "sha1"
    assert sign_params(_collapse(fields), SECRET, algorithm=algorithm) == signature


@pytest.mark.parametrize(("action", "fields", "signature"), CAPTURED)
def test_tampered_captured_request_fails(action, fields, signature):
    params = _collapse(fields)
    params["timestamp"] = str(int(str(params["timestamp"])) + 1)
    assert not verify_api_signature(params, SECRET, signature)
    assert not verify_api_signature(_collapse(fields), SECRET + "x", signature)


def test_protocol_worked_example():
    params = {"timestamp": "1795717124", "invalidate": "1", "public_id": "sample"}
    assert string_to_sign(params) == "invalidate=1&public_id=sample&timestamp=1795717124"
    assert sign_params(params, SECRET) == "d0769eb23232152d2f5acdd19ff103203cd1dcdb"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"b": "2", "a": "1"}, "a=1&b=2"),
        ({"public_ids": ["a", "b"], "timestamp": "1"}, "public_ids=a,b&timestamp=1"),
        ({"a": "", "b": [], "c": "x"}, "c=x"),
        ({"file": "f", "cloud_name": "c", "resource_type": "image", "api_key": "k"}, ""),
        ({"signature": "s", "timestamp": "1"}, "timestamp=1"),
        ({"public_id": "a&b", "t": "1"}, "public_id=a%26b&t=1"),
    ],
)
def test_string_to_sign(params, expected):
    assert string_to_sign(params) == expected


def test_excluded_params():
    assert sorted(EXCLUDED_PARAMS) == [
        "api_key",
        "cloud_name",
        "file",
        "resource_type",
        "signature",
    ]
    assert string_to_sign({"a": "1", "b": "2"}, exclude={"a"}) == "b=2"


def test_signature_version_1_and_2_differ_only_on_ampersand():
    params = {"public_id": "cats&dogs", "timestamp": "1700000000"}
    assert string_to_sign(params, version=1) == "public_id=cats&dogs&timestamp=1700000000"
    assert string_to_sign(params, version=2) == "public_id=cats%26dogs&timestamp=1700000000"
    v1 = sign_params(params, SECRET, version=1)
    v2 = sign_params(params, SECRET, version=2)
    assert v1 != v2
    assert not verify_api_signature(params, SECRET, v1)  # ambiguous: see the next test
    assert verify_api_signature(params, SECRET, v2)
    plain = {"public_id": "cats", "timestamp": "1700000000"}
    assert sign_params(plain, SECRET, version=1) == sign_params(plain, SECRET, version=2)


def test_parameters_smuggled_into_a_value_do_not_verify():
    """Under version 1 ``public_id=a&tags=b`` is also ``{public_id: "a&tags=b"}``."""
    signed = sign_params({"public_id": "a", "tags": "b", "timestamp": "1"}, SECRET)
    assert verify_api_signature({"public_id": "a", "tags": "b", "timestamp": "1"}, SECRET, signed)
    assert not verify_api_signature({"public_id": "a&tags=b", "timestamp": "1"}, SECRET, signed)


def test_sha256_signature():
    params = {"public_id": "x", "timestamp": "1795717588"}
    signature = sign_params(params, SECRET, algorithm="sha256")
    assert len(signature) == 64
    assert verify_api_signature(params, SECRET, signature)
    assert verify_api_signature(params, SECRET, signature.upper())
    assert not verify_api_signature({**params, "public_id": "y"}, SECRET, signature)


@pytest.mark.parametrize("signature", ["", "abc", "0" * 39, "0" * 41, "0" * 128])
def test_signature_of_unknown_length_fails(signature):
    assert not verify_api_signature({"timestamp": "1"}, SECRET, signature)


def test_unknown_algorithm_is_rejected():
    with pytest.raises(ValueError, match="md5"):
        sign_params({"a": "1"}, SECRET, algorithm="md5")


def test_non_signable_params():
    params = {"timestamp": "1", "tag": "t", "notification_url": "http://h/", "batch_id": "b"}
    without = sign_params({"timestamp": "1", "tag": "t"}, SECRET)
    with_all = sign_params(params, SECRET)
    assert verify_api_signature(params, SECRET, without, non_signable=NON_SIGNABLE)
    assert verify_api_signature(params, SECRET, with_all, non_signable=NON_SIGNABLE)
    assert not verify_api_signature(params, SECRET, without)


def test_api_signature_error_message():
    message = api_signature_error({"timestamp": "1439054775", "api_key": "k"}, "53c5")
    assert message == "Invalid Signature 53c5. String to sign - 'timestamp=1439054775'."


def test_response_signature():
    expected = hashlib.sha1(f"public_id=a&b&version=1234{SECRET}".encode()).hexdigest()
    assert response_signature("a&b", 1234, SECRET) == expected
    assert len(response_signature("a", 1, SECRET, algorithm="sha256")) == 64


def test_delivery_signature_vector():
    assert delivery_signature("c_scale,w_100/sample.jpg", SECRET) == "s--B10BvApD--"
    assert verify_delivery_signature("s--B10BvApD--", "c_scale,w_100/sample.jpg", SECRET)
    assert verify_delivery_signature("B10BvApD", "c_scale,w_100/sample.jpg", SECRET)
    assert not verify_delivery_signature("s--B10BvApE--", "c_scale,w_100/sample.jpg", SECRET)
    assert not verify_delivery_signature("s--B10BvApD--", "c_scale,w_101/sample.jpg", SECRET)


@pytest.mark.parametrize(
    ("kwargs", "length"),
    [({}, 8), ({"algorithm": "sha256"}, 8), ({"long": True}, 32)],
)
def test_delivery_signature_forms_verify(kwargs, length):
    segment = delivery_signature("w_10/folder/a%20b.png", SECRET, **kwargs)
    assert re.fullmatch(rf"s--[A-Za-z0-9_-]{{{length}}}--", segment)
    assert verify_delivery_signature(segment, "w_10/folder/a%20b.png", SECRET)
    assert not verify_delivery_signature(segment, "w_10/folder/a b.png", SECRET)


@pytest.mark.parametrize("segment", ["s----", "s--abc--", "s--" + "A" * 20 + "--", "nonsense"])
def test_malformed_delivery_signature_fails(segment):
    assert not verify_delivery_signature(segment, "sample.jpg", SECRET)


# --- against the SDK itself ---------------------------------------------------------------

SDK_PARAMS = [
    {"timestamp": "1700000000", "public_id": "a/b c"},
    {"timestamp": "1700000000", "public_ids": ["a", "b&c"], "tags": "x,y"},
    {"timestamp": "1", "context": "caption=a\\=b|alt=x", "eager": "c_fill,w_10|w_5/png"},
    {"timestamp": "1", "notification_url": "http://h/?a=1&b=2", "empty": ""},
]


@pytest.mark.parametrize("params", SDK_PARAMS)
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_api_signature_matches_sdk(params, version, algorithm):
    expected = cloudinary.utils.api_sign_request(params, SECRET, algorithm, version)
    assert sign_params(params, SECRET, algorithm=algorithm, version=version) == expected
    assert string_to_sign(params, version=version) == cloudinary.utils.api_string_to_sign(
        params, version
    )


SDK_URLS = [
    ("sample", {"transformation": {"width": 100, "crop": "scale"}, "format": "jpg"}),
    ("folder/my file ü", {"format": "png", "version": 1234}),
    ("sample.jpg", {"transformation": [{"width": 10}, {"angle": 90}], "type": "authenticated"}),
]


def _sdk_url(public_id: str, **options: object) -> str:
    options = {"cloud_name": "democloud", "api_secret": SECRET, "sign_url": True, **options}
    url, _ = cloudinary.utils.cloudinary_url(public_id, **options)
    return url


def _split_signed_url(url: str) -> tuple[str, str]:
    """URL → (signature segment, to_sign: everything after it minus a version segment)."""
    match = re.search(r"/(s--[A-Za-z0-9_-]+--)/(.*)$", url)
    assert match, url
    rest = re.sub(r"(^|/)v\d+/", r"\1", match.group(2))
    return match.group(1), rest


@pytest.mark.parametrize(("public_id", "options"), SDK_URLS)
@pytest.mark.parametrize(
    "extra",
    [{}, {"signature_algorithm": "sha256"}, {"long_url_signature": True}],
)
def test_delivery_signature_matches_sdk(public_id, options, extra):
    segment, to_sign = _split_signed_url(_sdk_url(public_id, **options, **extra))
    algorithm = extra.get("signature_algorithm", "sha1")
    long = bool(extra.get("long_url_signature"))
    assert delivery_signature(to_sign, SECRET, algorithm=algorithm, long=long) == segment
    assert verify_delivery_signature(segment, to_sign, SECRET)


def test_response_signature_matches_sdk(monkeypatch):
    monkeypatch.setattr(cloudinary.config(), "api_secret", SECRET)
    signature = response_signature("folder/sample", 1795717587, SECRET)
    assert cloudinary.utils.verify_api_response_signature("folder/sample", 1795717587, signature)


# --- token-based access -------------------------------------------------------------------

TOKEN_KEY = "00112233FF99"
TOKEN_PATH = "/image/authenticated/v1486020273/sample.jpg"


def test_auth_token_vector_from_sdk_test():
    token = generate_auth_token(
        key_hex=TOKEN_KEY, start_time=11111111, expiration=11111411, url=TOKEN_PATH
    )
    assert token.startswith("st=11111111~exp=11111411~hmac=8db0d753")
    assert token.endswith("cfdb3")
    assert auth_token_valid(token, TOKEN_PATH, TOKEN_KEY, 11111111)
    assert auth_token_valid("__cld_token__=" + token, TOKEN_PATH, TOKEN_KEY, 11111410)


@pytest.mark.parametrize(
    ("path", "key", "now"),
    [
        (TOKEN_PATH, TOKEN_KEY, 11111110),  # not started yet
        (TOKEN_PATH, TOKEN_KEY, 11111411),  # expired
        ("/image/authenticated/v1486020273/other.jpg", TOKEN_KEY, 11111200),
        (TOKEN_PATH, "00112233FF98", 11111200),
        (TOKEN_PATH, "not hex", 11111200),
    ],
)
def test_auth_token_rejected(path, key, now):
    token = generate_auth_token(
        key_hex=TOKEN_KEY, start_time=11111111, expiration=11111411, url=TOKEN_PATH
    )
    assert not auth_token_valid(token, path, key, now)


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "exp=1~hmac", "st=1~exp=9999999999", "exp=x~hmac=00", "hmac=00~exp=5"],
)
def test_malformed_auth_token_rejected(token):
    assert not auth_token_valid(token, TOKEN_PATH, TOKEN_KEY, 100)


TOKEN_CASES = [
    {"expiration": 2000, "url": "/democloud/image/upload/a%20b.jpg"},
    {"expiration": 2000, "start_time": 1000, "ip": "10.0.0.1", "url": TOKEN_PATH},
    {"expiration": 2000, "acl": "/image/*"},
    {"expiration": 2000, "acl": ["/image/upload/*", "/video/*"], "ip": "::1"},
]


@pytest.mark.parametrize("case", TOKEN_CASES)
def test_auth_token_matches_sdk(case):
    sdk = cloudinary.auth_token.generate(key=TOKEN_KEY, **case)
    mine = generate_auth_token(key_hex=TOKEN_KEY, **case)
    assert sdk == "__cld_token__=" + mine


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("/image/upload/sample.jpg", True),
        ("/image/upload/v1/folder/a%20b.jpg", True),
        ("/video/upload/clip.mp4", True),
        ("/raw/upload/file.txt", False),
        ("/video", False),
    ],
)
def test_auth_token_acl_wildcards(path, valid):
    token = generate_auth_token(key_hex=TOKEN_KEY, expiration=2000, acl=["/image/*", "/video/*"])
    assert auth_token_valid(token, path, TOKEN_KEY, 1500) is valid


def test_auth_token_acl_survives_query_decoding():
    token = generate_auth_token(key_hex=TOKEN_KEY, expiration=2000, acl="/image/upload/*")
    assert "acl=%2fimage%2fupload%2f*" in token
    decoded = token.replace("%2f", "/")
    assert auth_token_valid(decoded, "/image/upload/a.jpg", TOKEN_KEY, 1500)


def test_auth_token_tampered_acl_fails():
    token = generate_auth_token(key_hex=TOKEN_KEY, expiration=2000, acl="/image/upload/a.jpg")
    widened = token.replace("a.jpg", "*")
    assert not auth_token_valid(widened, "/image/upload/b.jpg", TOKEN_KEY, 1500)


def test_auth_token_ip():
    token = generate_auth_token(key_hex=TOKEN_KEY, expiration=2000, acl="*", ip="10.0.0.1")
    assert auth_token_valid(token, "/x", TOKEN_KEY, 1500, client_ip="10.0.0.1")
    assert auth_token_valid(token, "/x", TOKEN_KEY, 1500)
    assert not auth_token_valid(token, "/x", TOKEN_KEY, 1500, client_ip="10.0.0.2")


def test_generate_auth_token_needs_acl_or_url():
    with pytest.raises(ValueError):
        generate_auth_token(key_hex=TOKEN_KEY, expiration=2000)


# --- search URLs and webhooks -------------------------------------------------------------


def test_search_signature():
    expected = hashlib.sha256(f"300eyJhIjoxfQ=={SECRET}".encode()).hexdigest()
    assert search_signature(300, "eyJhIjoxfQ==", SECRET) == expected


def test_notification_signature():
    body = b'{"notification_type":"upload","public_id":"s\xc3\xbc"}'
    expected = hashlib.sha1(body + b"1700000000" + SECRET.encode()).hexdigest()
    assert notification_signature(body, 1700000000, SECRET) == expected
    expected256 = hashlib.sha256(body + b"1700000000" + SECRET.encode()).hexdigest()
    assert notification_signature(body, 1700000000, SECRET, algorithm="sha256") == expected256


def test_notification_signature_matches_sdk(monkeypatch):
    body = '{"notification_type":"upload","public_id":"sample"}'
    now = 1_700_000_000
    monkeypatch.setattr("time.time", lambda: now + 10)
    monkeypatch.setattr(cloudinary.config(), "api_secret", SECRET)
    signature = notification_signature(body.encode(), now, SECRET)
    assert cloudinary.utils.verify_notification_signature(body, now, signature, algorithm="sha1")
