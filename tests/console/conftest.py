"""Fixtures for the Media Explorer: one live server and one headless Chromium for all of
``tests/console`` (package scope: Playwright's event loop must be gone before other tests run
``asyncio.run``), a fresh page (no cookies) per test, and the Python SDK on the same server."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import pytest
from tests.compat.server import CLOUD, OTHER_CLOUD, Server, start_server, stop_server
from tests.console.browser import ARGS, ensure_chromium

PASSWORD = "correct horse battery"
USER = "alice"
OTHER_USER = "bob"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"


def add_user(server: Server, cloud: str, username: str, password: str = PASSWORD) -> None:
    """``cloudlet console users create`` with the password on standard input."""
    done = subprocess.run(
        [sys.executable, "-m", "cloudlet.cli.main", "--data-dir", str(server.data_dir),
         "console", "users", "create", cloud, username, "--password-stdin"],
        input=password + "\n", env=server.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="package")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A Cloudlet server with console users: alice on ``compat``, bob on ``othercloud``."""
    server = start_server(tmp_path_factory.mktemp("console"))
    try:
        add_user(server, CLOUD, USER)
        add_user(server, OTHER_CLOUD, OTHER_USER)
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session, with a fresh profile."""
    chromium = ensure_chromium()
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="cloudlet-chromium-") as profile,
        sync_playwright() as pw,
    ):
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(chromium),
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 800},
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


# Wait (at most 5 s) until the pictures in view have loaded, so screenshots show them.
_IMAGES_LOADED = """() => Promise.race([
    new Promise((done) => setTimeout(done, 5000)),
    Promise.all([...document.images].filter((img) => img.getBoundingClientRect().top < innerHeight)
        .map((img) => img.complete ? null : new Promise((done) => {
            img.addEventListener('load', done); img.addEventListener('error', done); }))),
])"""


@dataclass
class Console:
    """A page of the browser, pointed at the server, with the helpers tests share."""

    page: Any
    server: Server
    errors: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"{self.server.base_url}/console/{CLOUD}"

    def sign_in(self, user: str = USER, cloud: str = CLOUD, password: str = PASSWORD) -> None:
        self.page.goto(f"{self.server.base_url}/console/{cloud}/login")
        self.page.fill("#username", user)
        self.page.fill("#password", password)
        with self.page.expect_navigation():
            self.page.click("form button[type=submit]")

    def goto(self, path: str = "/") -> None:
        self.page.goto(self.base + path)

    def card(self, public_id: str) -> Any:
        return self.page.locator(f'#assets .asset[data-public-id="{public_id}"]')

    def snippet(self, language: str, index: int = 0) -> str:
        """The code of the ``index``-th most recent call in the Inspect pane."""
        text: str = self.page.locator(f"#call{index}-{language} code").text_content()
        return text

    def screenshot(self, name: str) -> None:
        """A PNG of the viewport: into docs/console/ when CLOUDLET_SCREENSHOTS=docs."""
        folder = SCREENSHOTS if os.environ.get("CLOUDLET_SCREENSHOTS") == "docs" else None
        path = (folder or Path(tempfile.gettempdir()) / "cloudlet-console") / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.evaluate(_IMAGES_LOADED)
        self.page.screenshot(path=str(path))
        assert path.stat().st_size > 1000


@pytest.fixture
def console(browser: Any, console_server: Server) -> Iterator[Console]:
    """A fresh page without cookies; the test fails on any script error in it."""
    browser.clear_cookies()
    page = browser.new_page()
    found = Console(page, console_server)
    page.on("pageerror", lambda exc: found.errors.append(str(exc)))
    page.on(
        "dialog",
        lambda dialog: (found.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()),
    )
    try:
        yield found
    finally:
        page.close()
    assert not found.errors, found.errors


@pytest.fixture
def sdk(console_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Python SDK configured for the console's server (cloud ``compat``)."""
    monkeypatch.setenv("CLOUDINARY_URL", console_server.cloudinary_url())
    cloudinary.reset_config()
    yield cloudinary
    monkeypatch.delenv("CLOUDINARY_URL")
    cloudinary.reset_config()
