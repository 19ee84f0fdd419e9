"""The settings page in real Chromium (on the second cloud, so that nothing here changes the
first cloud's behaviour for other tests): switches, the notification URL, presets, named
transformations, rotating the API secret and bulk delete by criteria."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.api
import cloudinary.uploader
import pytest
from playwright.sync_api import expect
from tests.compat.helpers import make_png
from tests.compat.server import OTHER_CLOUD, OTHER_KEY, OTHER_SECRET
from tests.console.conftest import OTHER_USER, Console


@pytest.fixture
def other(console: Console, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The Python SDK on the second cloud."""
    url = console.server.cloudinary_url(OTHER_CLOUD, OTHER_KEY, OTHER_SECRET)
    monkeypatch.setenv("CLOUDINARY_URL", url)
    cloudinary.reset_config()
    yield cloudinary
    monkeypatch.delenv("CLOUDINARY_URL")
    cloudinary.reset_config()


def _settings(console: Console) -> None:
    console.sign_in(OTHER_USER, OTHER_CLOUD)
    console.page.goto(f"{console.server.base_url}/console/{OTHER_CLOUD}/settings")


def test_switches_notification_url_presets_and_named(console: Console, other: Any) -> None:
    _settings(console)
    page = console.page
    box = page.locator('input.setting[data-key="strict_transformations"]')
    assert not box.is_checked()
    box.check()
    expect(page.locator("#status")).to_contain_text("strict_transformations is now on")
    assert other.api.config(settings=True)["settings"]["strict_transformations"] is True
    box.uncheck()
    expect(page.locator("#status")).to_contain_text("strict_transformations is now off")
    assert other.api.config(settings=True)["settings"]["strict_transformations"] is False
    page.fill("#notification-url", "https://hooks.example/cloudlet")
    page.click("#notification-form button")
    expect(page.locator("#status")).to_contain_text("Notification URL saved")
    settings = other.api.config(settings=True)["settings"]
    assert settings["notification_url"] == "https://hooks.example/cloudlet"
    page.fill("#preset-name", "ui_preset")
    page.fill("#preset-folder", "incoming")
    page.check("#preset-unsigned")
    with page.expect_navigation():
        page.click("#preset-form button")
    preset = other.api.upload_preset("ui_preset")
    assert preset["unsigned"] is True and preset["settings"]["folder"] == "incoming"
    page.fill("#named-name", "thumb_ui")
    page.fill("#named-definition", "c_fill,w_100,h_100")
    with page.expect_navigation():
        page.click("#named-form button")
    assert other.api.transformation("thumb_ui")["info"] == "c_fill,h_100,w_100"
    console.screenshot("settings")
    page.click('.delete-preset[data-name="ui_preset"]')
    with page.expect_navigation():
        page.click("#confirm-ok")
    with pytest.raises(other.exceptions.NotFound):
        other.api.upload_preset("ui_preset")


def test_bulk_delete_by_criteria_previews_then_deletes(
    console: Console, other: Any, tmp_path: Path
) -> None:
    path = make_png(tmp_path / "b.png", 10, 10)
    for name, tags in (("old1", ["stale"]), ("old2", ["stale"]), ("keep", ["fresh"])):
        other.uploader.upload(str(path), public_id=f"purge/{name}", tags=tags)
    other.uploader.upload(str(path), public_id="elsewhere/old3", tags=["stale"])
    _settings(console)
    page = console.page
    form = page.locator("#bulk-delete-form")
    form.locator('input[name="folder_scope"]').fill("purge")
    form.locator('input[name="tags"]').fill("stale")
    assert page.locator("#bulk-delete").is_disabled()
    page.click("#bulk-preview")
    expect(page.locator("#bulk-count")).to_have_text("2 asset(s) match")
    page.click("#bulk-delete")
    expect(page.locator("#confirm")).to_contain_text("Delete 2 asset(s)?")
    page.click("#confirm-ok")
    expect(page.locator("#bulk-count")).to_have_text("Deleted 2 asset(s)")
    left = other.api.resources(type="upload", max_results=50)["resources"]
    assert sorted(r["public_id"] for r in left) == ["elsewhere/old3", "purge/keep"]


def test_rotating_the_secret_shows_the_new_one_once(
    console: Console, other: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings(console)
    page = console.page
    assert page.locator("#api-key").text_content() == OTHER_KEY
    page.click("#rotate-secret")
    page.click("#confirm-ok")
    expect(page.locator("#api-secret")).not_to_have_text("••••••••")
    secret = page.locator("#api-secret").text_content() or ""
    assert len(secret) >= 20 and secret != OTHER_SECRET
    with pytest.raises(other.exceptions.AuthorizationRequired):
        other.api.ping()
    new_url = console.server.cloudinary_url(OTHER_CLOUD, OTHER_KEY, secret)
    monkeypatch.setenv("CLOUDINARY_URL", new_url)
    cloudinary.reset_config()
    assert other.api.ping()["status"] == "ok"
