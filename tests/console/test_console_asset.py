"""The asset page in real Chromium: properties and URLs, tags, context and public id edited in
place, restoring a backed-up version, relating two assets, deleting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.compat.helpers import make_png
from tests.console.conftest import Console


def _open(console: Console, asset_id: str) -> None:
    console.goto(f"/asset/{asset_id}")
    expect(console.page.locator("h1")).to_be_visible()


def _after_reload(console: Console, action: Any) -> None:
    with console.page.expect_navigation():
        action()


def test_properties_tags_context_and_rename(console: Console, sdk: Any, tmp_path: Path) -> None:
    path = make_png(tmp_path / "a.png", 90, 60)
    uploaded = sdk.uploader.upload(str(path), public_id="view/original", tags=["old"])
    console.sign_in()
    page = console.page
    console.goto("/?folder=view")
    with page.expect_navigation():
        console.card("view/original").locator("img.thumb").dblclick()
    assert page.url.endswith(f"/asset/{uploaded['asset_id']}")
    props = page.locator(".props").text_content()
    for value in (uploaded["asset_id"], "90 × 60", str(uploaded["version"]), "png"):
        assert value in props
    assert page.locator("#url").text_content() == uploaded["url"]
    console.screenshot("asset")
    page.fill("#new-tag", "new")
    _after_reload(console, lambda: page.click("#tag-form button"))
    page.click('.remove-tag[data-tag="old"]')
    page.wait_for_load_state()
    expect(page.locator("#tag-list .tag-text")).to_have_text(["new"])
    assert sdk.api.resource("view/original")["tags"] == ["new"]
    page.click("#add-context-row")
    page.locator("#context-rows tbody tr").last.locator(".ctx-key").fill("alt")
    page.locator("#context-rows tbody tr").last.locator(".ctx-value").fill("a gradient")
    _after_reload(console, lambda: page.click("#context-form button[type=submit]"))
    assert sdk.api.resource("view/original")["context"] == {"custom": {"alt": "a gradient"}}
    page.fill("#public-id", "view/renamed")
    _after_reload(console, lambda: page.click("#rename-form button"))
    expect(page.locator("h1")).to_have_text("view/renamed")
    assert sdk.api.resource("view/renamed")["asset_id"] == uploaded["asset_id"]


def test_restore_a_backed_up_version(console: Console, sdk: Any, tmp_path: Path) -> None:
    first = make_png(tmp_path / "v1.png", 50, 50)
    second = make_png(tmp_path / "v2.png", 70, 70)
    sdk.uploader.upload(str(first), public_id="restore/me", backup=True)
    latest = sdk.uploader.upload(str(second), public_id="restore/me", backup=True, overwrite=True)
    assert latest["width"] == 70
    console.sign_in()
    _open(console, latest["asset_id"])
    page = console.page
    buttons = page.locator("button.restore")
    expect(buttons).to_have_count(1)
    buttons.click()
    expect(page.locator("#confirm")).to_be_visible()
    _after_reload(console, lambda: page.click("#confirm-ok"))
    restored = sdk.api.resource("restore/me")
    assert (restored["width"], restored["bytes"]) == (50, first.stat().st_size)
    assert restored["asset_id"] == latest["asset_id"]


def test_relate_and_unrelate_two_assets(console: Console, sdk: Any, tmp_path: Path) -> None:
    path = make_png(tmp_path / "r.png", 20, 20)
    one = sdk.uploader.upload(str(path), public_id="relate/one")
    two = sdk.uploader.upload(str(path), public_id="relate/two")
    console.sign_in()
    _open(console, one["asset_id"])
    page = console.page
    page.fill("#relate-to", "relate/two")
    _after_reload(console, lambda: page.click("#relate-form button"))
    expect(page.locator("#related a")).to_have_text(["relate/two"])
    related = sdk.api.resource("relate/two", related=True)["related_assets"]
    assert [r["public_id"] for r in related] == ["relate/one"]
    _after_reload(console, lambda: page.click(f'.unrelate[data-other="{two["asset_id"]}"]'))
    assert sdk.api.resource("relate/one", related=True)["related_assets"] == []


def test_delete_from_the_asset_page(console: Console, sdk: Any, tmp_path: Path) -> None:
    path = make_png(tmp_path / "d.png", 20, 20)
    doomed = sdk.uploader.upload(str(path), public_id="doomed/asset")
    console.sign_in()
    _open(console, doomed["asset_id"])
    console.page.click("#delete-asset")
    _after_reload(console, lambda: console.page.click("#confirm-ok"))
    assert console.page.url.endswith("/console/compat/")
    try:
        sdk.api.resource("doomed/asset")
    except sdk.exceptions.NotFound:
        return
    raise AssertionError("the asset is still there")


def test_structured_metadata_is_set_in_place(console: Console, sdk: Any, tmp_path: Path) -> None:
    sdk.api.add_metadata_field({"external_id": "ui_colour", "type": "string", "label": "Colour"})
    path = make_png(tmp_path / "m.png", 20, 20)
    asset = sdk.uploader.upload(str(path), public_id="meta/asset")
    console.sign_in()
    _open(console, asset["asset_id"])
    page = console.page
    page.fill("#metadata-field", "ui_colour")
    page.fill("#metadata-value", "teal")
    _after_reload(console, lambda: page.click("#metadata-form button"))
    assert sdk.api.resource("meta/asset")["metadata"] == {"ui_colour": "teal"}
    expect(page.locator("dl.metadata")).to_contain_text("teal")


def test_private_assets_show_and_download_through_signed_urls(
    console: Console, sdk: Any, tmp_path: Path
) -> None:
    path = make_png(tmp_path / "p.png", 50, 40)
    private = sdk.uploader.upload(str(path), public_id="secret/pic", type="private")
    console.sign_in()
    _open(console, private["asset_id"])
    page = console.page
    preview = page.locator("#large-preview")
    preview.evaluate("img => img.decode()")
    assert preview.evaluate("img => img.naturalWidth") == 50
    link = page.locator("a[download]").get_attribute("href") or ""
    assert "/s--" in link
    answer = page.request.get(console.server.base_url + link)
    assert answer.status == 200 and answer.body() == path.read_bytes()
    unsigned = page.request.get(f"{console.server.base_url}/compat/image/private/secret/pic.png")
    assert unsigned.status == 401  # the signature is what lets the console show it


def test_faces_are_listed_and_boxed_on_the_preview(
    console: Console, sdk: Any, tmp_path: Path
) -> None:
    path = make_png(tmp_path / "f.png", 200, 100)
    asset = sdk.uploader.upload(str(path), public_id="faces/given", face_coordinates="20,10,40,30")
    console.sign_in()
    _open(console, asset["asset_id"])
    page = console.page
    expect(page.locator("#faces li")).to_have_text(["x 20, y 10, 40×30"])
    box = page.locator(".face-box")
    expect(box).to_have_count(1)
    shown = page.locator("#large-preview").evaluate("img => img.clientWidth")
    scale = shown / 200
    width = box.evaluate("el => el.getBoundingClientRect().width")
    assert abs(width - 40 * scale) < 3  # the box follows the picture's displayed size
