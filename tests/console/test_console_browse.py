"""Signing in and browsing in real Chromium: folders, breadcrumbs, cards and list, the hover
preview, infinite scroll, keyboard use and a narrow screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.compat.helpers import make_png
from tests.console.conftest import Console


def _upload(sdk: Any, tmp_path: Path, public_id: str, **options: Any) -> dict[str, Any]:
    path = make_png(tmp_path / "file.png", 120, 80)
    result: dict[str, Any] = sdk.uploader.upload(str(path), public_id=public_id, **options)
    return result


def test_sign_in_and_navigate_folders(console: Console, sdk: Any, tmp_path: Path) -> None:
    for public_id in ("browse/a/one", "browse/a/two", "browse/b/three", "browse/top"):
        _upload(sdk, tmp_path, public_id)
    page = console.page
    console.goto("/?folder=browse")
    assert "/login" in page.url  # not signed in yet: sent to the sign-in form
    page.fill("#username", "alice")
    page.fill("#password", "correct horse battery")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert page.url.endswith("/console/compat/?folder=browse")  # back where it was going
    assert page.locator("h1").text_content() == "browse"
    assert console.card("browse/top").count() == 1
    assert console.card("browse/a/one").count() == 0  # only this folder's own assets
    page.click('nav.folders a:text-is("a")')
    assert page.locator("#assets .asset").count() == 2
    crumbs = page.locator(".crumbs a").all_text_contents()
    assert crumbs == ["Home", "browse", "a"]
    page.click('.crumbs a:text-is("browse")')
    assert page.url.endswith("?folder=browse")
    thumb = console.card("browse/top").locator("img.thumb")
    assert thumb.evaluate("img => img.complete && img.naturalWidth") == 240  # a real derivative
    console.screenshot("browse")


def test_hover_preview_and_list_view(console: Console, sdk: Any, tmp_path: Path) -> None:
    _upload(sdk, tmp_path, "hover/pic")
    console.sign_in()
    console.goto("/?folder=hover")
    preview = console.page.locator("#preview")
    assert preview.is_hidden()
    console.card("hover/pic").locator("img.thumb").hover()
    assert preview.is_visible()
    image = preview.locator("img")
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") == 120  # c_limit never enlarges
    console.page.mouse.move(1, 1)
    assert preview.is_hidden()
    console.page.click('.views a:text-is("List")')
    row = console.page.locator("table.list tr.asset")
    assert row.count() == 1
    assert "120×80" in row.text_content()


def test_infinite_scroll_loads_the_rest_of_a_large_folder(
    console: Console, sdk: Any, tmp_path: Path
) -> None:
    path = make_png(tmp_path / "tiny.png", 8, 8)
    for index in range(65):
        sdk.uploader.upload(str(path), public_id=f"big/{index:03d}")
    console.sign_in()
    console.goto("/?folder=big")
    assert console.page.locator("#assets .asset").count() == 60
    console.page.locator("#more").scroll_into_view_if_needed()
    expect(console.page.locator("#assets .asset")).to_have_count(65)
    assert console.page.locator("#more").count() == 0
    names = console.page.locator("#assets .asset").evaluate_all(
        "els => els.map(e => e.dataset.publicId)"
    )
    assert names == [f"big/{i:03d}" for i in range(65)]


def test_keyboard_selection_and_opening(console: Console, sdk: Any, tmp_path: Path) -> None:
    first = _upload(sdk, tmp_path, "keys/first")
    _upload(sdk, tmp_path, "keys/second")
    console.sign_in()
    console.goto("/?folder=keys")
    page = console.page
    page.locator("#assets input.pick").first.focus()
    page.keyboard.press("Space")
    assert page.locator("#selected-count").text_content() == "1 selected"
    page.locator("#assets").click(position={"x": 1, "y": 1})  # focus stays in the page
    page.keyboard.press("Control+a")
    assert page.locator("#selected-count").text_content() == "2 selected"
    page.keyboard.press("Escape")
    assert page.locator("#selected-count").text_content() == "0 selected"
    page.locator("#assets input.pick").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/asset/{first['asset_id']}")
    # every form control on the asset page has a label a screen reader can read
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length)
                && !el.getAttribute('aria-label') && !el.textContent.trim())
            .map(el => el.outerHTML)"""
    )
    assert unlabelled == []


def test_narrow_screen(console: Console, sdk: Any, tmp_path: Path) -> None:
    _upload(sdk, tmp_path, "narrow/pic")
    console.page.set_viewport_size({"width": 375, "height": 740})
    console.sign_in()
    console.goto("/?folder=narrow")
    overflow = console.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert console.card("narrow/pic").is_visible()
    console.screenshot("narrow")
