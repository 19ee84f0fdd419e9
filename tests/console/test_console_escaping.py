"""Every user-provided string is escaped: assets, tags, context, file names and settings named
like markup are shown as text, on every page, and nothing in them runs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

from playwright.sync_api import expect
from tests.compat.helpers import make_png
from tests.console.conftest import Console

TAG = "<script>window.__xss = 1</script>"
CONTEXT = '<img src=x onerror="window.__xss = 2">'
FILENAME = "x<svg onload=window.__xss=3>.png"
URL = 'https://hooks.example/"><script>window.__xss=4</script>'


def _nothing_ran(console: Console) -> None:
    assert console.page.evaluate("() => window.__xss") is None
    injected = console.page.evaluate(
        "() => [...document.querySelectorAll('script')].filter(s => !s.src).length"
    )
    assert injected == 0  # no inline script element made it into the DOM


def test_markup_in_user_strings_is_shown_as_text(
    console: Console, sdk: Any, tmp_path: Path
) -> None:
    source = make_png(tmp_path / "plain.png", 20, 20)
    named = tmp_path / FILENAME
    shutil.copy(source, named)
    asset = sdk.uploader.upload(
        str(named), public_id="xss/asset", tags=[TAG], context={"note": CONTEXT}
    )
    console.sign_in()
    page = console.page
    console.goto("/?folder=xss")
    _nothing_ran(console)
    console.goto(f"/asset/{asset['asset_id']}")
    expect(page.locator("#tag-list .tag-text")).to_have_text([TAG])
    assert page.locator(".ctx-value").input_value() == CONTEXT
    assert FILENAME.removesuffix(".png") in page.locator(".props").text_content()
    _nothing_ran(console)
    page.click("#inspect-toggle")  # the snippets quote the tag: shown as text too
    page.fill("#new-tag", TAG + "2")
    with page.expect_navigation():
        page.click("#tag-form button")
    assert TAG + "2" in console.snippet("python")
    assert TAG + "2" in console.snippet("cli")
    _nothing_ran(console)
    console.goto("/?" + "tags=" + quote(TAG))
    expect(page.locator("#assets .asset")).to_have_count(1)
    assert TAG in page.locator(".expression code").text_content()
    assert page.locator('input[name="tags"]').input_value() == TAG
    _nothing_ran(console)
    console.goto("/?q=" + quote(CONTEXT) + "&view=list")
    _nothing_ran(console)
    console.goto("/settings")
    page.fill("#notification-url", URL)
    page.click("#notification-form button")
    expect(page.locator("#status")).to_contain_text("saved")
    console.goto("/settings")
    assert page.locator("#notification-url").input_value() == URL
    _nothing_ran(console)
    page.fill("#notification-url", "")
    page.click("#notification-form button")
    expect(page.locator("#status")).to_contain_text("saved")
