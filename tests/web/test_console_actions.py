"""The Media Explorer's actions over HTTP (in process): one call per resource type, Inspect's
record of them, and bad input that changes nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.compat.helpers import make_png
from tests.web.test_console_security import PASSWORD, sign_in

from cloudlet.app import build_deps, create_app
from cloudlet.services import clouds, console_auth
from cloudlet.settings import Settings


@pytest.fixture()
def signed_in(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    deps = build_deps(Settings(data_dir=tmp_path / "data"))
    cloud = clouds.create_cloud(deps, "acme")
    console_auth.create_user(deps, cloud, "alice", PASSWORD)
    with TestClient(create_app(deps.settings, deps), follow_redirects=False) as client:
        csrf = sign_in(client)
        yield client, {"X-CSRF-Token": csrf}, deps
    deps.catalog.close()


def _upload(
    client: TestClient, headers: dict[str, str], name: str, data: bytes, folder: str
) -> Any:
    files = {"file": (name, io.BytesIO(data))}
    answer = client.post(
        "/console/acme/upload", files=files, data={"folder": folder}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"][0]


def test_a_mixed_selection_makes_one_call_per_resource_type(
    signed_in: tuple[TestClient, dict[str, str], Any], tmp_path: Path
) -> None:
    client, headers, deps = signed_in
    png = make_png(tmp_path / "pic.png").read_bytes()
    image = _upload(client, headers, "pic.png", png, "mixed")
    raw = _upload(client, headers, "notes.txt", b"plain text", "mixed")
    assert (image["resource_type"], raw["resource_type"]) == ("image", "raw")
    ids = [image["asset_id"], raw["asset_id"]]
    answer = client.post("/console/acme/api/delete", json={"asset_ids": ids}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert [r["deleted"] for r in answer.json()["results"]] == [
        {"mixed/pic": "deleted"}, {"mixed/notes.txt": "deleted"}
    ]  # fmt: skip
    session = next(iter(_sessions(deps)))
    calls = session["calls"][:2]
    assert [c["args"]["resource_type"] for c in calls] == ["raw", "image"]  # newest first
    assert all(c["operation"] == "delete_resources" and c["args"]["invalidate"] for c in calls)
    pane = answer.json()["inspect_html"]  # the pane, rendered and escaped
    assert "cloudinary.api.delete_resources([&#34;mixed/pic&#34;], invalidate=True)" in pane


def _sessions(deps: Any) -> list[dict[str, Any]]:
    from cloudlet.catalog.schema import console_sessions

    with deps.catalog.engine.connect() as conn:
        return [row.inspect for row in conn.execute(console_sessions.select())]


def test_a_move_that_would_clash_moves_nothing(
    signed_in: tuple[TestClient, dict[str, str], Any], tmp_path: Path
) -> None:
    client, headers, deps = signed_in
    png = make_png(tmp_path / "pic.png").read_bytes()
    first = _upload(client, headers, "a.png", png, "src")
    second = _upload(client, headers, "b.png", png, "src")
    _upload(client, headers, "b.png", png, "dest")
    body = {"asset_ids": [first["asset_id"], second["asset_id"]], "folder": "dest"}
    answer = client.post("/console/acme/api/move", json=body, headers=headers)
    assert answer.status_code == 400
    assert answer.json() == {"error": {"message": "dest/b already exists: nothing was moved"}}
    cloud = deps.catalog.get_cloud("acme")
    assert deps.catalog.get_asset(cloud.id, "image", "upload", "src/a") is not None
    bad = client.post("/console/acme/api/move", json={**body, "folder": "a?b"}, headers=headers)
    assert bad.status_code == 400 and "Invalid folder path" in bad.json()["error"]["message"]
