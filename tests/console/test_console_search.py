"""The search bar and the advanced search panel in real Chromium: criteria are ANDed, several
values of one criterion ORed, and the expression shown is the Search API's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.compat.helpers import make_jpeg, make_png
from tests.console.conftest import Console


def _found(console: Console) -> list[str]:
    names: list[str] = console.page.locator("#assets .asset").evaluate_all(
        "els => els.map(e => e.dataset.publicId)"
    )
    return sorted(names)


def test_free_text_and_advanced_search(console: Console, sdk: Any, tmp_path: Path) -> None:
    png = make_png(tmp_path / "s.png", 300, 100)
    small = make_png(tmp_path / "t.png", 30, 30)
    jpg = make_jpeg(tmp_path / "s.jpg", 64, 48)
    sdk.uploader.upload(str(png), public_id="srch/zebra_wide", tags=["stripes", "wild"])
    sdk.uploader.upload(str(small), public_id="srch/zebra_small", tags=["stripes"])
    sdk.uploader.upload(str(jpg), public_id="srch/lion", tags=["wild"], context={"habitat": "x"})
    sdk.uploader.upload(str(jpg), public_id="srch/cat", tags=["pet"])
    console.sign_in()
    console.goto("/")
    page = console.page
    page.fill("#q", "zebra")
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert _found(console) == ["srch/zebra_small", "srch/zebra_wide"]
    assert page.locator(".expression code").text_content() == '"zebra"'
    page.fill("#q", "")
    page.click(".advanced summary")
    page.fill('input[name="tags"]', "stripes, pet")  # any of
    page.fill('input[name="min_width"]', "50")  # and at least 50 wide
    with page.expect_navigation():
        page.click(".advanced button[type=submit]")
    assert _found(console) == ["srch/cat", "srch/zebra_wide"]
    expression = page.locator(".expression code").text_content()
    assert expression == '(tags="stripes" OR tags="pet") AND width>=50'
    console.screenshot("search")
    page.fill('input[name="tags"]', "")
    page.fill('input[name="min_width"]', "")
    page.fill('input[name="formats"]', "jpg")
    page.fill('input[name="context_keys"]', "habitat")
    page.check('input[name="resource_types"][value="image"]')
    with page.expect_navigation():
        page.click(".advanced button[type=submit]")
    assert _found(console) == ["srch/lion"]
    expect(page.locator("h1")).to_contain_text("(1)")
    page.fill('input[name="context_keys"]', "")
    page.fill('input[name="uploaded_after"]', "2000-01-01")
    page.fill('input[name="max_bytes"]', "1")
    with page.expect_navigation():
        page.click(".advanced button[type=submit]")
    assert _found(console) == []
