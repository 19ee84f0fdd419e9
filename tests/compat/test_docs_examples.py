"""The SDK examples in docs/ run, as written, against a live server.

Each ``python`` block of a page runs in order in one namespace (a page is one script), in a
directory holding ``sample.jpg`` and ``sample.png``, with the SDK configured by
``CLOUDINARY_URL`` only. A block that raises fails the test with the block's text.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import pytest
from tests.compat.helpers import make_jpeg, make_png

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["managing-assets.md"]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(page: str) -> list[str]:
    return _BLOCK.findall((DOCS / page).read_text())


def test_pages_have_examples() -> None:
    for page in PAGES:
        assert len(python_blocks(page)) >= 5, page


@pytest.mark.parametrize("page", PAGES)
def test_examples_run(
    page: str, sdk: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_jpeg(tmp_path / "sample.jpg", 320, 240)
    make_png(tmp_path / "sample.png", 64, 48)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_example"}
    for number, block in enumerate(python_blocks(page), start=1):
        try:
            exec(compile(block, f"{page} block {number}", "exec"), namespace)  # noqa: S102
        except Exception as error:
            line = traceback.extract_tb(error.__traceback__)[-1].lineno or 0
            shown = block.splitlines()[line - 1] if 0 < line <= block.count("\n") + 1 else ""
            pytest.fail(f"{page}, block {number}, line {line} ({shown!r}): {error!r}\n{block}")
