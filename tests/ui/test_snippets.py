"""Inspect mode's snippets: every operation in every language, written from one description.

Python snippets must compile, Node.js snippets must parse (``node --check``) and the CLI/cURL
snippets must parse as shell (``bash -n``); the browser tests run the Python and Node.js ones
against a live server. Golden strings pin each language's conventions on one call."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cloudlet.ui.calls import OPERATIONS, Call
from cloudlet.ui.snippets import LANGUAGES, go_field, snippets

# One realistic call per operation (argument names as the Python SDK names them).
EXAMPLES: dict[str, dict[str, Any]] = {
    "upload": {"file": "cat.png", "resource_type": "auto", "folder": "pets", "tags": ["a", "b"],
               "use_filename": True, "overwrite": True},
    "rename": {"from_public_id": "pets/cat", "to_public_id": "pets/kitten", "invalidate": True},
    "destroy": {"public_id": "pets/cat", "resource_type": "video", "invalidate": True},
    "add_tag": {"tag": "it's \"quoted\"", "public_ids": ["pets/cat", "pets/dog"]},
    "remove_tag": {"tag": "old", "public_ids": ["pets/cat"], "type": "private"},
    "update": {"public_id": "pets/cat", "context": {"alt": "A cat | fluffy", "k": "v=1"}},
    "delete_resources": {"public_ids": ["a", "b"], "resource_type": "raw", "invalidate": True},
    "delete_resources_by_prefix": {"prefix": "pets/"},
    "delete_resources_by_tag": {"tag": "stale"},
    "restore": {"public_ids": ["pets/cat"], "versions": ["0123abcd"]},
    "add_related_assets": {"public_id": "pets/cat", "assets_to_relate": ["image/upload/pets/dog"]},
    "delete_related_assets": {"public_id": "pets/cat", "assets_to_unrelate": ["video/upload/v"]},
    "create_upload_preset": {"name": "ui_preset", "unsigned": True, "folder": "incoming"},
    "delete_upload_preset": {"name": "ui_preset"},
    "create_transformation": {"name": "thumb", "definition": "c_fill,h_100,w_100"},
    "delete_transformation": {"transformation": "thumb"},
    "search": {"expression": 'tags="cat" AND bytes>=100', "sort_by": [{"created_at": "desc"}],
               "max_results": 50},
    "download_zip_url": {"public_ids": ["pets/cat"], "resource_type": "image"},
}  # fmt: skip


def test_every_operation_has_an_example() -> None:
    assert set(EXAMPLES) == set(OPERATIONS)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_language_writes_every_operation(operation: str) -> None:
    written = snippets(Call(operation, EXAMPLES[operation]), "http://127.0.0.1:8000", "demo")
    assert set(written) == set(LANGUAGES)
    method = OPERATIONS[operation].name
    assert method in written["python"].lower() and method in written["node"]
    compile(written["python"], f"<{operation}.py>", "exec")
    marker = _marker(EXAMPLES[operation])
    for text in written.values():
        assert marker in text, (operation, marker, text)


def _marker(args: dict[str, Any]) -> str:
    """A plain value of the call that every language must carry over as it is."""
    values = [
        v for k, v in args.items() if isinstance(v, str) and k not in ("resource_type", "type")
    ]
    values += [v for value in args.values() if isinstance(value, list) for v in value]
    plain = [v for v in values if isinstance(v, str) and re.fullmatch(r"[\w/,]+", v)]
    return plain[0] if plain else "created_at"


def _all(language: str) -> list[tuple[str, str]]:
    return [
        (op, snippets(Call(op, args), "http://127.0.0.1:8000", "demo")[language])
        for op, args in EXAMPLES.items()
    ]


def test_node_snippets_parse(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")  # the browser tests run them (and need node)
    for operation, code in _all("node"):
        script = tmp_path / f"{operation}.js"
        script.write_text(code, encoding="utf-8")
        done = subprocess.run([node, "--check", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, (operation, code, done.stderr)


def test_shell_snippets_parse(tmp_path: Path) -> None:
    for operation, code in _all("cli"):
        done = subprocess.run(["bash", "-n"], input=code, capture_output=True, text=True)
        assert done.returncode == 0, (operation, code, done.stderr)


RENAME = Call("rename", {"from_public_id": "a/b", "to_public_id": "c", "invalidate": True,
                         "resource_type": "video", "type": "upload"})  # fmt: skip


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("python", 'uploader.rename("a/b", "c", invalidate=True, resource_type="video")'),
        ("node", 'uploader.rename("a/b", "c", { invalidate: true, resource_type: "video" })'),
        ("ruby", 'Uploader.rename("a/b", "c", invalidate: true, resource_type: "video")'),
        ("php", "$cloudinary->uploadApi()->rename('a/b', 'c', ['invalidate' => true, "
                "'resource_type' => 'video']);"),
        ("java", 'cloudinary.uploader().rename("a/b", "c", ObjectUtils.asMap("invalidate", true, '
                 '"resource_type", "video"));'),
        ("dotnet", "ResourceType = ResourceType.Video,"),
        ("go", "cld.Upload.Rename(ctx, uploader.RenameParams{"),
        ("cli", "cld uploader rename a/b c -o invalidate true -o resource_type video"),
        ("cli", "-X POST \\\n  http://127.0.0.1:8000/v1_1/demo/video/rename"),
    ],
)  # fmt: skip
def test_each_language_follows_its_sdk(language: str, expected: str) -> None:
    assert expected in snippets(RENAME, "http://127.0.0.1:8000", "demo")[language]


def test_defaults_are_left_out_and_admin_paths_are_filled() -> None:
    call = Call("delete_resources", {"public_ids": ["x"], "resource_type": "image",
                                     "type": "upload"})  # fmt: skip
    written = snippets(call, "https://media.example", "shop")
    assert 'cloudinary.api.delete_resources(["x"])' in written["python"]
    assert (
        "-X DELETE \\\n  https://media.example/v1_1/shop/resources/image/upload" in written["cli"]
    )
    assert "'public_ids[]=x'" in written["cli"]


def test_go_field_names_keep_initialisms() -> None:
    assert [go_field(n) for n in ("public_ids", "from_public_id", "notification_url")] == [
        "PublicIDs", "FromPublicID", "NotificationURL"
    ]  # fmt: skip
