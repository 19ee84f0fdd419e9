"""The official Node.js SDK (npm ``cloudinary`` 2.x) against a live Cloudlet over HTTPS, once
with a SQLite catalog and once with PostgreSQL.

The set-up installs the locked package into ``tests/compat/node/node_modules`` (``npm ci``) when
it is missing. Each capability is one script in ``tests/compat/node/scripts/``, run by
``node run.js``, which prints what the SDK returned as JSON; the tests check that JSON and then
the server's state with the Python SDK (trusting the same local CA). Without Node the module is
skipped, except under ``CI=true`` where it fails.

Search runs through ``cloudinary.search`` and ``search_folders``, and the signed URL of
``to_url`` (standard base64, which may hold '/') is fetched over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import ssl
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.api
import cloudinary.api_client.call_api
import cloudinary.uploader
import httpx
import pytest
import pyvips
from tests.compat.helpers import make_png
from tests.compat.server import (
    API_KEY,
    API_SECRET,
    CLOUD,
    OTHER_CLOUD,
    OTHER_KEY,
    OTHER_SECRET,
    Server,
    start_server,
    stop_server,
)
from tests.conftest import fresh_postgres_schema

NODE_DIR = Path(__file__).parent / "node"
PNG = NODE_DIR / "fixtures" / "dot.png"


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def node_sdk() -> Path:
    """Node and the locked ``cloudinary`` package, installed once into tests/compat/node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed for the Node SDK suite")
    if not (NODE_DIR / "node_modules" / "cloudinary" / "package.json").exists():
        done = subprocess.run(
            [str(npm), "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            _unavailable(f"npm ci failed: {done.stderr[-2000:]}")
    return Path(str(node))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One HTTPS server per catalog backend, as for the Python suite (tests/compat/conftest.py);
    the whole Node suite runs against each."""
    env: dict[str, str] = {}
    with ExitStack() as stack:
        if request.param == "postgres":
            env["CLOUDLET_DATABASE_URL"] = stack.enter_context(fresh_postgres_schema())
        srv = start_server(tmp_path_factory.mktemp(f"node-sdk-{request.param}"), env, tls=True)
        stack.callback(stop_server, srv)
        yield srv


def _ca(server: Server) -> Path:
    return server.data_dir / "tls" / "ca.pem"


def _origin(server: Server) -> str:
    return server.base_url.split("://", 1)[1]


def _cloudinary_url(server: Server, cloud: str = CLOUD, key: str = API_KEY) -> str:
    secret = API_SECRET if cloud == CLOUD else OTHER_SECRET
    return (
        f"cloudinary://{key}:{secret}@{cloud}?upload_prefix={server.base_url}"
        f"&secure_distribution={_origin(server)}&secure=true"
    )


@pytest.fixture()
def py(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Python SDK on the same server, trusting the local CA (see docs/sdks.md)."""
    for pools in (cloudinary.uploader._http, cloudinary.api_client.call_api._http):
        monkeypatch.setitem(pools.connection_pool_kw, "ca_certs", str(_ca(server)))
    monkeypatch.setenv("CLOUDINARY_URL", _cloudinary_url(server))
    cloudinary.reset_config()
    yield cloudinary
    monkeypatch.delenv("CLOUDINARY_URL")
    cloudinary.reset_config()
    for pools in (cloudinary.uploader._http, cloudinary.api_client.call_api._http):
        pools.clear()  # no idle connection to a server the next module starts afresh


@pytest.fixture()
def https(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client that trusts only the server's CA."""
    with httpx.Client(verify=ssl.create_default_context(cafile=str(_ca(server)))) as client:
        yield client


def run_node(node: Path, server: Server, script: str, **args: Any) -> dict[str, Any]:
    """Run ``scripts/{script}.js`` with the SDK configured for ``server``; its JSON output."""
    env = {
        **os.environ,
        "CLOUDINARY_URL": _cloudinary_url(server),
        "NODE_EXTRA_CA_CERTS": str(_ca(server)),
    }
    done = subprocess.run(
        [str(node), "run.js", script, json.dumps(args)],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _missing(py: Any, public_id: str, **options: Any) -> bool:
    try:
        py.api.resource(public_id, **options)
    except py.exceptions.NotFound:
        return True
    return False


def test_upload_from_path_buffer_stream_data_uri(
    node_sdk: Path, server: Server, py: Any, https: httpx.Client
) -> None:
    result = run_node(node_sdk, server, "upload", file=str(PNG))
    data = PNG.read_bytes()
    for kind in ("path", "data_uri", "buffer", "stream"):
        uploaded = result[kind]
        assert uploaded["public_id"] == f"node/{kind}"
        assert uploaded["secure_url"].startswith(f"https://{_origin(server)}/{CLOUD}/image/upload/")
        stored = py.api.resource(f"node/{kind}")
        assert (stored["bytes"], stored["etag"]) == (len(data), _md5(data))
        assert https.get(uploaded["secure_url"]).content == data
    assert sorted(py.api.resource("node/path")["tags"]) == ["node", "path"]
    assert py.api.resource("node/stream")["context"] == {"custom": {"alt": "a stream"}}
    latin1 = result["latin1"]  # a file named café-<pid>.png, its name sent Latin-1 encoded
    assert latin1["public_id"].startswith("café-")
    assert latin1["original_filename"] == latin1["public_id"]
    assert py.api.resource(latin1["public_id"])["bytes"] == len(data)


def test_upload_large(
    node_sdk: Path, server: Server, py: Any, https: httpx.Client, tmp_path: Path
) -> None:
    big, empty = tmp_path / "big.bin", tmp_path / "empty.bin"
    big.write_bytes(os.urandom(12_000_000))
    empty.write_bytes(b"")
    result = run_node(
        node_sdk, server, "upload_large", big=str(big), small=str(PNG), empty=str(empty)
    )
    chunked = result["chunked"]
    assert (chunked["resource_type"], chunked["bytes"]) == ("raw", 12_000_000)
    stored = py.api.resource("node/large", resource_type="raw")
    assert stored["etag"] == _md5(big.read_bytes())
    assert _md5(https.get(chunked["secure_url"]).content) == stored["etag"]
    assert result["small"]["resource_type"] == "raw"  # upload_large's default
    assert (
        py.api.resource("node/small_large.png", resource_type="raw")["bytes"] == PNG.stat().st_size
    )
    assert (result["image"]["width"], result["image"]["height"]) == (64, 32)
    assert result["too_small_chunks"]["sdk_error"] == {
        "message": "All parts except EOF-chunk must be larger than 5mb",
        "name": "Error",
        "http_code": 400,
    }
    assert "empty" in result["empty"]["sdk_error"]["message"].lower()
    assert result["empty"]["sdk_error"]["http_code"] == 400
    assert _missing(py, "node/refused", resource_type="raw")
    assert _missing(py, "node/empty", resource_type="raw")


def test_explicit_with_eager_and_https_delivery(
    node_sdk: Path, server: Server, py: Any, https: httpx.Client
) -> None:
    result = run_node(node_sdk, server, "explicit", file=str(PNG))
    assert result["original"].startswith(f"https://{_origin(server)}/{CLOUD}/image/upload/v")
    assert (result["original_status"], result["original_md5"]) == (200, _md5(PNG.read_bytes()))
    assert result["derived_status"] == 200
    from_node = base64.b64decode(result["derived_bytes"])
    image = pyvips.Image.new_from_buffer(from_node, "")
    assert (image.width, image.height) == (20, 10)
    eager = result["explicit"]["eager"]
    assert [e["transformation"] for e in eager] == ["c_scale,w_20"]
    assert https.get(eager[0]["secure_url"]).content == from_node  # the same bytes in Python
    derived = py.api.resource("node/eager")["derived"]
    assert [d["transformation"] for d in derived] == ["c_scale,w_20"]


def test_rename_destroy_tags_context_text(node_sdk: Path, server: Server, py: Any) -> None:
    result = run_node(node_sdk, server, "manage", file=str(PNG))
    assert result["rename"]["public_id"] == "node/m/renamed"
    assert result["destroy"] == {"result": "ok"}
    assert result["destroy_missing"] == {"result": "not found"}
    assert _missing(py, "node/m/a") and _missing(py, "node/m/gone")
    assert result["add_tag"]["public_ids"] == ["node/m/renamed", "node/m/b"]
    renamed, b = py.api.resource("node/m/renamed"), py.api.resource("node/m/b")
    assert renamed["tags"] == [] and b["tags"] == ["only"]
    assert b["context"] == {"custom": {"alt": "A b|c", "caption": "x=y"}}
    assert "context" not in renamed or renamed["context"] == {}
    text = py.api.resource("node/m/text")
    assert text["format"] == "png" and text["width"] > 20 and text["height"] > 5


def test_listings_and_update(node_sdk: Path, server: Server, py: Any) -> None:
    result = run_node(node_sdk, server, "listing", file=str(PNG))
    pair = ["node/l/a", "node/l/b"]
    assert result["prefix_asc"] == pair
    assert result["start_at"] == pair  # a JavaScript Date an hour ago
    assert result["start_at_future"] == []
    assert sorted(result["tag_asc"]) == pair
    assert result["tag_desc"] == list(reversed(result["tag_asc"]))
    assert len(result["paged"]["resources"]) == 1 and result["paged"]["next_cursor"]
    by_ids = {r["public_id"]: r.get("context") for r in result["by_ids"]["resources"]}
    assert by_ids == {"node/l/a": {"custom": {"k": "v1"}}, "node/l/b": {"custom": {"k": "v2"}}}
    assert sorted(result["by_asset_ids"]) == pair
    assert result["by_asset_id"] == "node/l/a"
    assert result["by_context"] == ["node/l/b"]
    assert sorted(result["by_context_key"]) == pair
    assert result["resource"]["public_id"] == "node/l/a"
    assert "listed" in result["tags"]
    updated = py.api.resource("node/l/b")
    assert sorted(updated["tags"]) == ["two", "updated"]
    assert updated["context"] == {"custom": {"alt": "new"}}


def test_deletes(node_sdk: Path, server: Server, py: Any) -> None:
    other = {"cloud": OTHER_CLOUD, "key": OTHER_KEY, "secret": OTHER_SECRET}
    result = run_node(node_sdk, server, "delete", file=str(PNG), other=other)
    assert result["ids"]["deleted"] == {
        "node/d/ids1": "deleted",
        "node/d/ids2": "deleted",
        "node/d/missing": "not_found",
    }
    assert _missing(py, "node/d/ids1") and not _missing(py, "node/d/keep")
    assert sorted(result["prefix"]["deleted"]) == ["node/p/x1", "node/p/x2"]
    assert _missing(py, "node/p/x1")
    assert sorted(result["tag"]["deleted"]) == ["node/d/t1", "node/d/t2"]
    assert _missing(py, "node/d/t2")
    kept = [d["id"] for d in py.api.resource("node/d/derived")["derived"]]
    assert kept == result["derived_ids"][1:]
    assert sorted(result["all"]["deleted"]) == ["node/all1", "node/all2"]
    listed = httpx.get(
        f"{server.base_url}/v1_1/{OTHER_CLOUD}/resources/image",
        auth=(OTHER_KEY, OTHER_SECRET),
        verify=ssl.create_default_context(cafile=str(_ca(server))),
    )
    assert listed.json()["resources"] == []
    assert not _missing(py, "node/d/keep")  # the other cloud's delete-all left this one alone


def test_related_folders_presets_named(node_sdk: Path, server: Server, py: Any) -> None:
    result = run_node(node_sdk, server, "organize", file=str(PNG))
    assert [s["code"] for s in result["relate"]["success"]] == ["success_ids", "success_ids"]
    assert [r["public_id"] for r in result["related"]] == ["node/r/b"]
    related = py.api.resource("node/r/a", related=True)["related_assets"]
    assert [r["public_id"] for r in related] == ["node/r/b"]
    assert {"name": "sub", "path": "node_f/sub"} in result["sub_folders"]["folders"]
    assert result["sub_after_rename"]["folders"] == [{"name": "moved", "path": "node_f/moved"}]
    assert result["delete_folder"]["deleted"] == ["node_f/moved"]
    assert py.api.subfolders("node_f")["folders"] == []
    unsigned = result["unsigned"]
    assert unsigned["public_id"].startswith("preset_dir/")
    assert py.api.resource(unsigned["public_id"])["tags"] == ["from_preset"]
    assert result["preset"]["settings"] == {"folder": "preset_dir", "tags": "changed"}
    assert result["missing_preset"]["sdk_error"]["http_code"] == 404
    assert "node_preset" not in [p["name"] for p in py.api.upload_presets()["presets"]]
    assert result["named"]["info"] == "c_fill,h_16,w_16"
    thumb = pyvips.Image.new_from_buffer(base64.b64decode(result["named_delivery"]["bytes"]), "")
    assert (result["named_delivery"]["status"], thumb.width, thumb.height) == (200, 16, 16)
    named = [t["name"] for t in py.api.transformations(named=True)["transformations"]]
    assert "t_node_thumb" not in named


def test_ping_usage_config(node_sdk: Path, server: Server, py: Any) -> None:
    result = run_node(node_sdk, server, "account")
    assert result["ping"]["status"] == "ok"
    assert result["usage"]["objects"] == py.api.usage()["objects"]
    assert result["usage_by_date"]["plan"] == result["usage"]["plan"]
    assert result["config"]["cloud_name"] == CLOUD
    assert "settings" in result["config"]
    assert result["resource_types"]["resource_types"] == ["image", "video", "raw"]


def test_signed_delivery_of_authenticated_assets(node_sdk: Path, server: Server, py: Any) -> None:
    result = run_node(node_sdk, server, "delivery", file=str(PNG))
    assert result["uploaded"]["type"] == "authenticated"
    assert "/s--" in result["signed"]["url"]
    assert (result["signed"]["status"], result["signed"]["md5"]) == (200, _md5(PNG.read_bytes()))
    assert result["signed_derived"]["status"] == 200
    assert result["unsigned"]["status"] == 401
    assert result["tampered"]["status"] == 401
    assert py.api.resource("node/private", type="authenticated")["bytes"] == PNG.stat().st_size


def _zip_names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return sorted(archive.namelist())


def _fetched(result: dict[str, Any]) -> bytes:
    assert result["status"] == 200, result
    return base64.b64decode(result["bytes"])


def test_sprite_multi_and_archives(
    node_sdk: Path, server: Server, py: Any, https: httpx.Client, tmp_path: Path
) -> None:
    sizes = {"a": (30, 20), "b": (50, 10)}
    files = {name: str(make_png(tmp_path / f"{name}.png", *size)) for name, size in sizes.items()}
    result = run_node(node_sdk, server, "outputs", files=files)
    ids = ["node_o/a", "node_o/b"]
    sprite = result["sprite"]
    assert sprite["image_infos"] == {
        "node_o/a": {"width": 30, "height": 20, "x": 0, "y": 0},
        "node_o/b": {"width": 50, "height": 10, "x": 0, "y": 20},
    }
    image = pyvips.Image.new_from_buffer(_fetched(result["sprite_image"]), "")
    assert (image.width, image.height) == (50, 30)
    css = _fetched(result["sprite_css"]).decode()
    assert result["sprite_css"]["type"].startswith("text/css")
    assert ".node_o-node_o_b {" in css and "background-position: 0 -20px;" in css
    assert json.loads(_fetched(result["sprite_json"])) == {"image_infos": sprite["image_infos"]}
    assert py.api.resource("node_o", type="sprite")["format"] == "png"
    gif = pyvips.Image.new_from_buffer(_fetched(result["gif_file"]), "", n=-1)
    assert result["gif_file"]["type"] == "image/gif"
    assert (gif.get("n-pages"), gif.get("delay")) == (2, [300, 300])
    assert py.api.resource("node_o", type="multi")["pages"] == 2
    pdf = _fetched(result["pdf_file"])
    assert result["pdf_file"]["type"] == "application/pdf" and pdf.startswith(b"%PDF")
    assert b"/Count 2" in pdf and result["pdf"]["url"].endswith(".pdf")
    zipped = result["zip"]
    assert (zipped["public_id"], zipped["file_count"]) == ("node_o_all.zip", 2)
    assert _zip_names(_fetched(result["zip_file"])) == [f"{i}.png" for i in ids]
    stored = py.api.resource("node_o_all.zip", resource_type="raw")
    assert (stored["bytes"], stored["tags"]) == (zipped["bytes"], ["node_zips"])
    archive = _fetched(result["archive_file"])
    assert _zip_names(archive) == ["c_scale,w_10/a.png", "c_scale,w_10/b.png"]
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        small = pyvips.Image.new_from_buffer(opened.read("c_scale,w_10/b.png"), "")
    assert (small.width, small.height) == (10, 2)
    missing = result["missing_zip"]["sdk_error"]
    assert missing["http_code"] == 404 and "node_o/none" in missing["message"]
    assert {"node_o_all.zip", result["archive"]["public_id"]} <= set(result["raw_before"])
    assert result["raw_after"] == result["raw_before"]  # the refused zip stored nothing
    assert (
        "public_ids" not in result["download_zip_url"]
        and "prefixes%5B%5D=" in result["download_zip_url"]
    )
    assert "attachment" in result["download_zip"]["disposition"]
    assert _zip_names(_fetched(result["download_zip"])) == ["a.png", "b.png"]
    assert _zip_names(_fetched(result["download_archive"])) == [f"{i}.png" for i in ids]
    assert result["download_tampered"]["status"] == 401


def test_backups_and_restore(node_sdk: Path, server: Server, py: Any, tmp_path: Path) -> None:
    first, second = make_png(tmp_path / "1.png", 8, 6), make_png(tmp_path / "2.png", 9, 7)
    result = run_node(node_sdk, server, "backups", first=str(first), second=str(second))
    one, two = result["first"], result["second"]
    assert [v["version_id"] for v in result["versions"]] == [one["version_id"], two["version_id"]]
    restored = result["restore_version"]["node/kept"]
    assert (restored["version_id"], restored["bytes"]) == (one["version_id"], one["bytes"])
    assert restored["version"] > two["version"]
    assert result["restored_served"] == {"status": 200, "md5": _md5(first.read_bytes())}
    assert result["destroy"] == {"result": "ok"} and result["after_destroy"] == 404
    back = result["restore_deleted"]
    assert back["node/never_backed_up"] == {"error": "no_backup"}
    assert back["node/kept"]["asset_id"] == one["asset_id"]
    assert result["back_served"] == {"status": 200, "md5": _md5(first.read_bytes())}
    now = py.api.resource("node/kept")
    assert (now["width"], now["height"], now["version"]) == (8, 6, back["node/kept"]["version"])


def test_structured_metadata(node_sdk: Path, server: Server, py: Any) -> None:
    result = run_node(node_sdk, server, "metadata", file=str(PNG))
    assert result["pages"]["external_id"] == "node_pages" and result["pages"]["type"] == "integer"
    assert [e["external_id"] for e in result["colors"]["datasource"]["values"]] == ["red", "blue"]
    duplicate = result["duplicate"]["sdk_error"]
    assert duplicate["http_code"] == 400 and "already exists" in duplicate["message"]
    assert result["upload"]["metadata"] == {"node_pages": 7, "node_colors": ["blue"]}
    assert result["update_metadata"]["public_ids"] == ["node/meta"]
    assert result["update"]["metadata"] == {"node_pages": 12, "node_colors": ["red", "blue"]}
    refused = {"bad_update": "node_pages", "bad_upload": "node_colors"}
    for bad, field in {**refused, "bad_update_metadata": "node_colors"}.items():
        error = result[bad]["sdk_error"]
        assert error["http_code"] == 400 and f"field {field}:" in error["message"], error
    assert result["stored"] == {"node_pages": 12, "node_colors": ["red", "blue"]}
    assert sorted(result["fields"]) == ["node_colors", "node_pages"]
    assert _missing(py, "node/meta_bad")
    assert py.api.resource("node/meta")["tags"] == []  # the refused update changed nothing
    assert result["delete_pages"]["message"] == "ok"  # (Node adds rate_limit_* to every answer)
    assert result["delete_missing"]["sdk_error"]["http_code"] == 404
    assert py.api.list_metadata_fields()["metadata_fields"] == []
    assert not py.api.resource("node/meta").get("metadata")  # its fields are gone


def test_token_based_delivery(node_sdk: Path, server: Server, py: Any) -> None:
    key = "00112233FF99AABB"
    done = server.cli("clouds", "settings", CLOUD, f"auth_token_key={key}")
    assert done.returncode == 0, done.stderr
    result = run_node(node_sdk, server, "token", file=str(PNG), key=key)
    tokened = result["tokened"]
    assert "?__cld_token__=exp=" in tokened["url"] and "~hmac=" in tokened["url"]
    assert "/s--" not in tokened["url"]
    assert "&_a=" in tokened["url"]  # Node's analytics parameter rides along, unsigned
    assert (tokened["status"], tokened["md5"]) == (200, _md5(PNG.read_bytes()))
    assert result["derived"]["status"] == 200
    assert result["acl"]["status"] == 200 and "acl=" in result["acl"]["url"]
    refused_ones = ("acl_other", "tampered_hmac", "tampered_path", "tampered_exp", "expired")
    for refused in (*refused_ones, "wrong_key"):
        assert result[refused]["status"] == 401, (refused, result[refused]["url"])
    assert result["no_token"]["status"] == 401
    assert py.api.resource("node/tokened", type="authenticated")["bytes"] == PNG.stat().st_size


def test_search(node_sdk: Path, server: Server) -> None:
    tag = f"s{uuid.uuid4().hex[:8]}"
    result = run_node(node_sdk, server, "search", file=str(PNG), tag=tag)
    prefix = f"node/s/{tag}"
    assert result["pages"] == [
        {"ids": [f"{prefix}/one_red", f"{prefix}/three_red"], "total_count": 3},
        {"ids": [f"{prefix}/two_blue"], "total_count": 3},
    ]
    detailed = result["detailed"]
    # sort_by(field) with no direction is descending
    assert [r["public_id"] for r in detailed["resources"]] == [
        f"{prefix}/three_red",
        f"{prefix}/one_red",
    ]
    assert detailed["resources"][0]["context"] == {"color": "red"}
    assert sorted(detailed["resources"][0]["tags"]) == sorted([tag, "red"])
    assert detailed["aggregations"] == {"format": {"png": 2}}
    assert set(result["limited"][0]) == {
        "public_id", "asset_id", "asset_folder", "created_at", "status", "type",
        "resource_type", "tags",
    }  # fmt: skip
    assert result["counted"]["resources"] == [] and result["counted"]["total_count"] == 3
    assert result["counted"]["aggregations"] == {"bytes": {"small": 0, "big": 3}}
    assert [f["path"] for f in result["folders"]["folders"]] == [prefix]
    assert result["url"].startswith(f"https://{_origin(server)}/{CLOUD}/search/")
    assert result["by_url"] == {
        "status": 200, "ids": [f"{prefix}/one_red"], "next": [f"{prefix}/three_red"]
    }  # fmt: skip
    assert result["bad"]["sdk_error"]["http_code"] == 400
    assert "position" in result["bad"]["sdk_error"]["message"]
