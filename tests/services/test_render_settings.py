"""Render settings the composition root applies to libvips."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import pyvips

from cloudlet.app import build_deps
from cloudlet.errors import BadRequestError
from cloudlet.settings import load_settings


@pytest.fixture()
def restore_concurrency() -> Iterator[None]:
    before = pyvips.concurrency_get()
    yield
    pyvips.concurrency_set(before)


@pytest.mark.usefixtures("restore_concurrency")
@pytest.mark.parametrize(("env", "threads"), [({}, 1), ({"CLOUDLET_VIPS_CONCURRENCY": "3"}, 3)])
def test_libvips_threads_per_render_follow_the_setting(
    tmp_path: Path, env: dict[str, str], threads: int
) -> None:
    pyvips.concurrency_set(7)
    build_deps(load_settings({"CLOUDLET_DATA_DIR": str(tmp_path), **env}))
    assert pyvips.concurrency_get() == threads


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_bad_vips_concurrency_is_refused(value: str) -> None:
    with pytest.raises(BadRequestError, match="CLOUDLET_VIPS_CONCURRENCY"):
        load_settings({"CLOUDLET_VIPS_CONCURRENCY": value})
