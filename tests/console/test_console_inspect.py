"""Inspect mode in real Chromium: the toggle, one tab per SDK, copy buttons, and snippets that
are real: the Python snippet (``cloudinary`` on PyPI) and the Node.js snippet (``cloudinary`` on
npm) are run against the live server and must do what the UI did."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.compat.helpers import make_png
from tests.console.browser import unavailable
from tests.console.conftest import Console

NODE_DIR = Path(__file__).resolve().parents[1] / "compat" / "node"
LANGUAGES = ["Python", "Node.js", "Ruby", "PHP", "Java", ".NET", "Go", "CLI / cURL"]


@pytest.fixture(scope="module")
def node() -> str:
    """Node and the locked npm ``cloudinary`` (installed by ``npm ci`` as the Node suite does)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("node and npm are needed to run the Node.js snippets")
    if not (NODE_DIR / "node_modules" / "cloudinary" / "package.json").exists():
        done = subprocess.run(
            [str(npm), "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if done.returncode != 0:
            unavailable(f"npm ci failed: {done.stderr[-2000:]}")
    return str(node)


def run_python(console: Console, code: str, cwd: Path) -> None:
    env = {**os.environ, "CLOUDINARY_URL": console.server.cloudinary_url()}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, code + done.stdout + done.stderr


def run_node(console: Console, node: str, code: str, cwd: Path) -> None:
    env = {
        **os.environ,
        "CLOUDINARY_URL": console.server.cloudinary_url(),
        "NODE_PATH": str(NODE_DIR / "node_modules"),  # the snippet's require('cloudinary')
    }
    script = cwd / "snippet.js"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [node, str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, code + done.stdout + done.stderr
    assert "Error" not in done.stdout, done.stdout


def search_output(console: Console, node: str, cwd: Path, language: str) -> list[str]:
    """Run the search snippet of ``language`` as shown; the public ids it printed (the Node
    snippet's ``console.log`` is made to print JSON, the Python one prints a dict repr)."""
    code = console.snippet(language)
    if language == "python":
        env = {**os.environ, "CLOUDINARY_URL": console.server.cloudinary_url()}
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, code + done.stdout + done.stderr
        result = ast.literal_eval(done.stdout.strip())
    else:
        env = {
            **os.environ,
            "CLOUDINARY_URL": console.server.cloudinary_url(),
            "NODE_PATH": str(NODE_DIR / "node_modules"),
        }
        script = cwd / "search.js"
        script.write_text(
            "const log = console.log; console.log = (v) => log(JSON.stringify(v));\n" + code,
            encoding="utf-8",
        )
        done = subprocess.run(
            [node, str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, code + done.stdout + done.stderr
        result = json.loads(done.stdout.strip())
    return sorted(r["public_id"] for r in result["resources"])


def _same_effect(
    console: Console,
    node: str,
    cwd: Path,
    undo: Callable[[], None],
    effect: Callable[[], Any],
) -> None:
    """Whatever the UI did (``effect()`` now), each snippet does again after ``undo()``."""
    expected = effect()
    python_code, node_code = console.snippet("python"), console.snippet("node")
    undo()
    assert effect() != expected
    run_python(console, python_code, cwd)
    assert effect() == expected
    undo()
    run_node(console, node, node_code, cwd)
    assert effect() == expected


def _inspect_on(console: Console) -> None:
    toggle = console.page.locator("#inspect-toggle")
    if toggle.get_attribute("aria-pressed") != "true":
        toggle.click()
    expect(console.page.locator("#inspect")).to_be_visible()


def test_toggle_tabs_and_copy(console: Console, sdk: Any, tmp_path: Path) -> None:
    path = make_png(tmp_path / "t.png", 30, 30)
    asset = sdk.uploader.upload(str(path), public_id="inspect/tabs")
    console.sign_in()
    console.goto(f"/asset/{asset['asset_id']}")
    page = console.page
    assert page.locator("#inspect").is_hidden()
    _inspect_on(console)
    assert page.locator("#inspect-toggle").get_attribute("aria-pressed") == "true"
    page.fill("#new-tag", "tabbed")
    with page.expect_navigation():
        page.click("#tag-form button")
    expect(page.locator("#inspect")).to_be_visible()  # still on after the reload
    call = page.locator("#inspect .call").first
    assert call.locator("[role=tab]").all_text_contents() == LANGUAGES
    for key in ("python", "node", "ruby", "php", "java", "dotnet", "go", "cli"):
        text = console.snippet(key)
        assert "tabbed" in text and "inspect/tabs" in text, (key, text)
    assert console.snippet("ruby").strip().endswith("p result")
    call.locator('[role=tab][data-lang="node"]').click()
    expect(page.locator("#call0-node")).to_be_visible()
    expect(page.locator("#call0-python")).to_be_hidden()
    page.keyboard.press("ArrowRight")  # keyboard: on to the next SDK
    expect(page.locator("#call0-ruby")).to_be_visible()
    assert page.evaluate("() => document.activeElement.dataset.lang") == "ruby"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("#call0-ruby button.copy").click()
    expect(page.locator("#status")).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == console.snippet("ruby")
    console.screenshot("inspect")
    page.click("#inspect-toggle")
    expect(page.locator("#inspect")).to_be_hidden()


def test_tag_snippets_do_what_the_ui_did(
    console: Console, sdk: Any, node: str, tmp_path: Path
) -> None:
    path = make_png(tmp_path / "t.png", 30, 30)
    asset = sdk.uploader.upload(str(path), public_id="inspect/tagged", tags=["before"])
    console.sign_in()
    console.goto(f"/asset/{asset['asset_id']}")
    _inspect_on(console)
    console.page.fill("#new-tag", "from-ui")
    with console.page.expect_navigation():
        console.page.click("#tag-form button")
    assert "add_tag" in console.snippet("python")

    def undo() -> None:
        sdk.uploader.remove_tag("from-ui", ["inspect/tagged"])

    def effect() -> list[str]:
        return sorted(sdk.api.resource("inspect/tagged")["tags"])

    _same_effect(console, node, tmp_path, undo, effect)


def test_rename_snippets_do_what_the_ui_did(
    console: Console, sdk: Any, node: str, tmp_path: Path
) -> None:
    path = make_png(tmp_path / "t.png", 30, 30)
    asset = sdk.uploader.upload(str(path), public_id="inspect/before")
    console.sign_in()
    console.goto(f"/asset/{asset['asset_id']}")
    _inspect_on(console)
    console.page.fill("#public-id", "inspect/after")
    with console.page.expect_navigation():
        console.page.click("#rename-form button")

    def undo() -> None:
        sdk.uploader.rename("inspect/after", "inspect/before")

    def effect() -> tuple[str, ...]:
        found = sdk.api.resources(prefix="inspect/", type="upload", max_results=100)["resources"]
        return tuple(sorted(r["public_id"] for r in found if r["asset_id"] == asset["asset_id"]))

    _same_effect(console, node, tmp_path, undo, effect)


def test_upload_and_bulk_delete_snippets_do_what_the_ui_did(
    console: Console, sdk: Any, node: str, tmp_path: Path
) -> None:
    path = make_png(tmp_path / "inspect-up.png", 33, 22)
    console.sign_in()
    console.goto("/?folder=inspectup")
    _inspect_on(console)
    page = console.page
    page.set_input_files("#file-input", [str(path)])
    expect(page.locator('#upload-progress li[data-state="done"]')).to_have_count(1)
    assert "upload" in console.snippet("python")

    def gone() -> None:
        sdk.api.delete_resources(["inspectup/inspect-up"])

    def uploaded() -> tuple[Any, ...]:
        try:
            found = sdk.api.resource("inspectup/inspect-up")
        except sdk.exceptions.NotFound:
            return ()
        return (found["bytes"], found["width"], found["height"], found["format"])

    _same_effect(console, node, tmp_path, gone, uploaded)  # the snippet names the file
    with page.expect_navigation():
        page.click("#show-new")
    page.keyboard.press("Control+a")
    page.click('#toolbar [data-act="delete"]')
    page.click("#confirm-ok")
    expect(page.locator("#assets .asset")).to_have_count(0)
    assert "delete_resources" in console.snippet("python")

    def restore() -> None:
        sdk.uploader.upload(str(path), public_id="inspectup/inspect-up")

    _same_effect(console, node, tmp_path, restore, uploaded)


def test_relate_and_restore_snippets_do_what_the_ui_did(
    console: Console, sdk: Any, node: str, tmp_path: Path
) -> None:
    first, second = make_png(tmp_path / "1.png", 40, 40), make_png(tmp_path / "2.png", 60, 60)
    sdk.uploader.upload(str(first), public_id="inspect/rel", backup=True)
    asset = sdk.uploader.upload(str(second), public_id="inspect/rel", backup=True, overwrite=True)
    sdk.uploader.upload(str(first), public_id="inspect/other")
    console.sign_in()
    console.goto(f"/asset/{asset['asset_id']}")
    _inspect_on(console)
    page = console.page
    page.fill("#relate-to", "inspect/other")
    with page.expect_navigation():
        page.click("#relate-form button")
    assert "add_related_assets" in console.snippet("node")

    def unrelate() -> None:
        sdk.api.delete_related_assets("inspect/rel", ["image/upload/inspect/other"])

    def related() -> list[str]:
        found = sdk.api.resource("inspect/rel", related=True)["related_assets"]
        return [r["public_id"] for r in found]

    _same_effect(console, node, tmp_path, unrelate, related)
    page.click("button.restore")
    with page.expect_navigation():
        page.click("#confirm-ok")
    assert "restore" in console.snippet("python")

    def overwrite() -> None:
        sdk.uploader.upload(str(second), public_id="inspect/rel", backup=True, overwrite=True)

    def width() -> int:
        return int(sdk.api.resource("inspect/rel")["width"])

    _same_effect(console, node, tmp_path, overwrite, width)


def test_search_snippets_find_what_the_ui_found(
    console: Console, sdk: Any, node: str, tmp_path: Path
) -> None:
    path = make_png(tmp_path / "s.png", 70, 20)
    for name, tags in (("wide", ["inspect-s", "x"]), ("other", ["inspect-s"]), ("no", [])):
        sdk.uploader.upload(str(path), public_id=f"inspect-s/{name}", tags=tags)
    console.sign_in()
    console.goto("/")
    _inspect_on(console)
    page = console.page
    page.click(".advanced summary")
    page.fill('input[name="tags"]', "inspect-s")
    page.fill('input[name="min_width"]', "50")
    with page.expect_navigation():
        page.click(".advanced button[type=submit]")
    shown: list[str] = page.locator("#assets .asset").evaluate_all(
        "els => els.map(e => e.dataset.publicId)"
    )
    assert sorted(shown) == ["inspect-s/other", "inspect-s/wide"]
    assert 'tags=\\"inspect-s\\" AND width>=50' in console.snippet("python")
    assert search_output(console, node, tmp_path, "python") == sorted(shown)
    assert search_output(console, node, tmp_path, "node") == sorted(shown)
