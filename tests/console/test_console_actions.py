"""Uploading and acting on a selection in real Chromium: per-file progress, shift-click ranges,
bulk delete with confirmation, tag and untag, move, and the ZIP download."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.compat.helpers import make_jpeg, make_png
from tests.console.conftest import Console


def _seed(sdk: Any, tmp_path: Path, folder: str, count: int) -> list[str]:
    path = make_png(tmp_path / "seed.png", 40, 30)
    ids = [f"{folder}/item{index}" for index in range(count)]
    for public_id in ids:
        sdk.uploader.upload(str(path), public_id=public_id, tags=["seed"])
    return ids


def _exists(sdk: Any, public_id: str) -> bool:
    try:
        sdk.api.resource(public_id)
    except sdk.exceptions.NotFound:
        return False
    return True


def test_upload_several_files_with_progress_and_tags(
    console: Console, sdk: Any, tmp_path: Path
) -> None:
    files = [make_png(tmp_path / "first.png", 64, 32), make_jpeg(tmp_path / "second.jpg")]
    console.sign_in()
    console.goto("/?folder=uploads")
    page = console.page
    page.fill("#upload-tags", "fresh, ui")
    page.set_input_files("#file-input", [str(f) for f in files])
    rows = page.locator("#upload-progress li")
    expect(rows).to_have_count(2)
    expect(page.locator('#upload-progress li[data-state="done"]')).to_have_count(2)
    assert rows.locator("progress").evaluate_all("bars => bars.map(b => b.value)") == [100, 100]
    for name, data in (("first", files[0]), ("second", files[1])):
        stored = sdk.api.resource(f"uploads/{name}")
        assert stored["bytes"] == data.stat().st_size
        assert sorted(stored["tags"]) == ["fresh", "ui"]
    with page.expect_navigation():
        page.click("#show-new")
    expect(page.locator("#assets .asset")).to_have_count(2)


def test_shift_click_range_then_bulk_delete_after_confirmation(
    console: Console, sdk: Any, tmp_path: Path
) -> None:
    ids = _seed(sdk, tmp_path, "bulkdel", 5)
    console.sign_in()
    console.goto("/?folder=bulkdel")
    page = console.page
    console.card(ids[1]).locator(".meta").click()
    console.card(ids[3]).locator(".meta").click(modifiers=["Shift"])
    assert page.locator("#selected-count").text_content() == "3 selected"
    page.click('#toolbar [data-act="delete"]')
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    assert "Delete 3 asset(s)" in dialog.text_content()
    page.click('#confirm button[value="cancel"]')
    assert all(_exists(sdk, pid) for pid in ids)  # cancelled: nothing went
    page.click('#toolbar [data-act="delete"]')
    page.click("#confirm-ok")
    expect(page.locator("#assets .asset")).to_have_count(2)
    assert [_exists(sdk, pid) for pid in ids] == [True, False, False, False, True]
    console.screenshot("bulk")


def test_tag_untag_move_and_download(console: Console, sdk: Any, tmp_path: Path) -> None:
    ids = _seed(sdk, tmp_path, "bulkops", 3)
    console.sign_in()
    console.goto("/?folder=bulkops")
    page = console.page
    page.keyboard.press("Control+a")
    page.fill("#bulk-tag", "summer")
    page.click('#toolbar [data-act="tag"]')
    expect(page.locator("#status")).to_contain_text("Tagged 3")
    assert all("summer" in sdk.api.resource(pid)["tags"] for pid in ids)
    page.fill("#bulk-tag", "seed")
    page.click('#toolbar [data-act="untag"]')
    expect(page.locator("#status")).to_contain_text("Untagged 3")
    assert all(sdk.api.resource(pid)["tags"] == ["summer"] for pid in ids)
    with page.expect_download() as download_info:
        page.click('#toolbar [data-act="download"]')
    archive = zipfile.ZipFile(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert sorted(archive.namelist()) == sorted(f"{pid}.png" for pid in ids)
    console.card(ids[0]).locator(".meta").click()
    page.keyboard.press("Escape")
    console.card(ids[2]).locator(".meta").click()
    page.fill("#bulk-folder", "moved/here")
    page.click('#toolbar [data-act="move"]')
    expect(page.locator("#assets .asset")).to_have_count(2)
    assert sdk.api.resource("moved/here/item2")["asset_id"]
    assert not _exists(sdk, ids[2])
