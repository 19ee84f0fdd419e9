"""Bad requests get the right status and message, and change nothing (checked with fsck)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import cloudinary
import cloudinary.api
import cloudinary.uploader
import httpx
import pytest
from cloudinary.exceptions import AuthorizationRequired, BadRequest, Error
from tests.compat.helpers import make_noise_png, make_png
from tests.compat.server import (
    API_KEY,
    API_SECRET,
    CLOUD,
    OTHER_KEY,
    OTHER_SECRET,
    Server,
    blob_keys,
    point_sdk_at,
    running_server,
)


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a 4 KB image limit, for the size test and exact before/after checks."""
    limits = {"CLOUDLET_MAX_IMAGE_BYTES": "4000"}
    with running_server(tmp_path_factory.mktemp("small"), limits) as srv:
        yield srv


@pytest.fixture()
def small_sdk(small_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    yield point_sdk_at(small_server, monkeypatch)
    cloudinary.reset_config()


def snapshot(server: Server) -> tuple[list[str], list[str]]:
    """Every blob file and every asset id, to compare before and after a bad request."""
    blobs = sorted(blob_keys(server))
    assets = cloudinary.api.resources(max_results=500)["resources"]
    return blobs, sorted(a["asset_id"] for a in assets)


def assert_unchanged(server: Server, before: tuple[list[str], list[str]]) -> None:
    assert snapshot(server) == before
    staging = server.data_dir / "tmp" / "staging"
    assert not staging.exists() or not any(staging.iterdir())
    check = server.cli("fsck")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "clean" in check.stdout


def signed_fields(fields: dict[str, str], secret: str = API_SECRET, key: str = API_KEY) -> dict:
    signed = cloudinary.utils.sign_request(dict(fields), {"api_key": key, "api_secret": secret})
    return signed


def post_upload(server: Server, fields: dict, files: dict | None = None) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v1_1/{CLOUD}/image/upload", data=fields, files=files)


@pytest.fixture()
def png(tmp_path: Path) -> Path:
    return make_png(tmp_path / "n.png", 16, 16)


def test_bad_signature(small_sdk: Server, png: Path) -> None:
    before = snapshot(small_sdk)
    fields = signed_fields({"timestamp": str(int(time.time())), "public_id": "x"})
    fields["public_id"] = "y"
    response = post_upload(small_sdk, fields, {"file": png.open("rb")})
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Invalid Signature")
    assert "String to sign - 'public_id=y&timestamp=" in response.json()["error"]["message"]
    assert_unchanged(small_sdk, before)


def test_stale_timestamp(small_sdk: Server, png: Path) -> None:
    before = snapshot(small_sdk)
    stale = signed_fields({"timestamp": str(int(time.time()) - 3700)})
    response = post_upload(small_sdk, stale, {"file": png.open("rb")})
    assert response.status_code == 401
    message = response.json()["error"]["message"]
    assert re.match(r"Stale request - reported time is .* which is more than 1 hour ago", message)
    assert_unchanged(small_sdk, before)


def test_wrong_key_and_wrong_secret(small_sdk: Server, png: Path) -> None:
    before = snapshot(small_sdk)
    with pytest.raises(AuthorizationRequired, match="Unknown API key"):
        cloudinary.uploader.upload(str(png), api_key="111111111111111")
    with pytest.raises(AuthorizationRequired, match="Invalid Signature"):
        cloudinary.uploader.upload(str(png), api_secret="not-the-secret")
    with pytest.raises(AuthorizationRequired, match="api_secret mismatch"):
        cloudinary.api.ping(api_secret="not-the-secret")
    assert_unchanged(small_sdk, before)


def test_another_clouds_key_is_refused(small_sdk: Server, png: Path) -> None:
    before = snapshot(small_sdk)
    with pytest.raises(AuthorizationRequired, match="Unknown API key"):
        cloudinary.uploader.upload(str(png), api_key=OTHER_KEY, api_secret=OTHER_SECRET)
    with pytest.raises(AuthorizationRequired):
        cloudinary.api.resources(api_key=OTHER_KEY, api_secret=OTHER_SECRET)
    assert_unchanged(small_sdk, before)


def test_clouds_are_isolated(small_sdk: Server, png: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = cloudinary.uploader.upload(str(png), public_id="isolated")
    other_url = small_sdk.cloudinary_url("othercloud", OTHER_KEY, OTHER_SECRET)
    monkeypatch.setenv("CLOUDINARY_URL", other_url)
    cloudinary.reset_config()
    with pytest.raises(cloudinary.exceptions.NotFound):
        cloudinary.api.resource("isolated")
    assert cloudinary.api.resources_by_asset_ids([mine["asset_id"]])["resources"] == []
    theirs = cloudinary.uploader.upload(str(png), public_id="isolated")
    assert theirs["asset_id"] != mine["asset_id"]
    other_delivery = mine["url"].replace(f"/{CLOUD}/", "/othercloud/")
    assert httpx.get(other_delivery).status_code == 200  # their own copy
    monkeypatch.setenv("CLOUDINARY_URL", small_sdk.cloudinary_url())
    cloudinary.reset_config()
    assert cloudinary.api.resource("isolated")["asset_id"] == mine["asset_id"]


def test_unsigned_without_preset_is_refused(small_sdk: Server, png: Path) -> None:
    before = snapshot(small_sdk)
    response = post_upload(
        small_sdk, {"timestamp": str(int(time.time()))}, {"file": png.open("rb")}
    )
    assert response.status_code == 400
    assert "Upload preset must be specified" in response.json()["error"]["message"]
    assert_unchanged(small_sdk, before)


def test_missing_file(small_sdk: Server) -> None:
    before = snapshot(small_sdk)
    response = post_upload(small_sdk, signed_fields({"timestamp": str(int(time.time()))}))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Missing required parameter - file"
    assert_unchanged(small_sdk, before)


@pytest.mark.parametrize(
    "public_id", ["a/../b", "a//b", "/lead", "trail/", "ctl\x01x", "x" * 300, "bad?q", ".."]
)
def test_bad_public_id(small_sdk: Server, png: Path, public_id: str) -> None:
    before = snapshot(small_sdk)
    with pytest.raises(BadRequest, match="Invalid public_id"):
        cloudinary.uploader.upload(str(png), public_id=public_id)
    assert_unchanged(small_sdk, before)


def test_corrupt_and_empty_image(small_sdk: Server, tmp_path: Path, png: Path) -> None:
    before = snapshot(small_sdk)
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    with pytest.raises(BadRequest, match="Invalid image file"):
        cloudinary.uploader.upload(str(corrupt))
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(png.read_bytes()[: png.stat().st_size // 2])
    with pytest.raises(BadRequest, match="Invalid image file"):
        cloudinary.uploader.upload(str(truncated))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(Error, match="[Ee]mpty"):
        cloudinary.uploader.upload(str(empty))
    assert_unchanged(small_sdk, before)


def test_oversized_file(small_sdk: Server, tmp_path: Path) -> None:
    before = snapshot(small_sdk)
    big = make_noise_png(tmp_path / "big.png", 100, 100)
    assert big.stat().st_size > 4000
    with pytest.raises(BadRequest, match="File size too large. Got \\d+. Maximum is 4000."):
        cloudinary.uploader.upload(str(big))
    assert_unchanged(small_sdk, before)


def test_unknown_resource_type_and_type(small_sdk: Server, png: Path) -> None:
    before = snapshot(small_sdk)
    with pytest.raises(BadRequest, match="Invalid resource type"):
        cloudinary.uploader.upload(str(png), resource_type="sound")
    with pytest.raises(BadRequest, match="Invalid type"):
        cloudinary.uploader.upload(str(png), type="fetch")
    assert_unchanged(small_sdk, before)


def test_loopback_url_refused_by_default(small_sdk: Server) -> None:
    before = snapshot(small_sdk)
    with pytest.raises(BadRequest, match="not allowed"):
        cloudinary.uploader.upload(f"{small_sdk.base_url}/v1_1/{CLOUD}/ping")
    assert_unchanged(small_sdk, before)


def test_unknown_cloud(small_sdk: Server, png: Path) -> None:
    response = httpx.get(f"{small_sdk.base_url}/v1_1/nosuchcloud/ping", auth=(API_KEY, API_SECRET))
    assert response.status_code == 401
    assert response.json() == {"error": {"message": "Invalid cloud_name nosuchcloud"}}
    assert response.headers["x-request-id"]


def test_unknown_route_is_json_404(small_sdk: Server) -> None:
    response = httpx.get(
        f"{small_sdk.base_url}/v1_1/{CLOUD}/nothing/here", auth=(API_KEY, API_SECRET)
    )
    assert response.status_code == 404 and "error" in response.json()


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Every upload limit at 4 KB: API bodies over 4 KB + 16 MB are refused unread."""
    limits = {f"CLOUDLET_MAX_{kind}_BYTES": "4000" for kind in ("IMAGE", "VIDEO", "RAW")}
    with running_server(tmp_path_factory.mktemp("tight"), limits) as srv:
        yield srv


def test_declared_oversized_body_is_refused_unread(tight_server: Server) -> None:
    host, port = tight_server.base_url.removeprefix("http://").split(":")
    import socket

    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            f"POST /v1_1/{CLOUD}/image/upload HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {50 * 1024**3}\r\n\r\n".encode()
        )
        sock.settimeout(10)
        reply = ""
        while "}}" not in reply:  # the headers and the JSON body may arrive separately
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk.decode("latin-1")
    assert reply.startswith("HTTP/1.1 400")
    assert "Request body too large" in reply and "x-request-id" in reply.lower()


def test_streamed_oversized_body_is_cut_off(tight_server: Server) -> None:
    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n\r\n'
        for _ in range(40):  # 20 MB, past the 4000 B + 16 MB limit
            yield b"x" * (512 * 1024)

    response = httpx.post(
        f"{tight_server.base_url}/v1_1/{CLOUD}/raw/upload",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400
    assert "Request body too large" in response.json()["error"]["message"]
    staging = tight_server.data_dir / "tmp" / "staging"
    assert not staging.exists() or not any(staging.iterdir())
