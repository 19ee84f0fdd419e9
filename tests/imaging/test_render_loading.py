"""How sources are decoded: shrink-on-load when the first component starts with a resize,
sequential streaming when every pixel is read once, random access otherwise; and the render
time of the benchmark's transformation on a wallpaper-sized JPEG (printed, never asserted:
run with ``-s`` to see it).

Measured on the development machine (best of 5, 2560×1600 JPEG made from astronaut.png):
``c_fill,w_500,h_500`` about 30 ms, against about 28 ms for plain ``pyvips.Image.thumbnail``
with ``crop="centre"`` and the same JPEG encoding; ``c_limit,w_1200/q_auto/f_webp`` about
95 ms (WebP encoding dominates).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import pyvips
from tests.imaging.render_support import decode, load, run, same_picture, sample, save

from cloudlet.imaging import pipeline


@pytest.fixture(scope="module")
def wallpaper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2560×1600 JPEG made by upscaling a scikit-image photograph."""
    photo = load(sample("astronaut.png"))
    big = photo.resize(2560 / photo.width, vscale=1600 / photo.height)
    return save(big, tmp_path_factory.mktemp("bench") / "wallpaper.jpg", Q=90)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Records how pyvips is asked to decode: thumbnail targets and plain-load options."""
    calls: list[tuple[str, dict[str, Any]]] = []
    thumbnail = pyvips.Image.thumbnail_source
    plain = pyvips.Image.new_from_source

    def recording_thumbnail(source: Any, width: int, **options: Any) -> pyvips.Image:
        calls.append(("thumbnail", {"width": width, **options}))
        return thumbnail(source, width, **options)

    def recording_plain(source: Any, option_string: str, **options: Any) -> pyvips.Image:
        calls.append(("load", options))
        return plain(source, option_string, **options)

    monkeypatch.setattr(pyvips.Image, "thumbnail_source", recording_thumbnail)
    monkeypatch.setattr(pyvips.Image, "new_from_source", recording_plain)
    return calls


def test_fill_decodes_at_the_resize_size(
    wallpaper: Path, loads: list[tuple[str, dict[str, Any]]]
) -> None:
    rendered = run(wallpaper, "c_fill,w_500,h_500", "jpg")
    assert (rendered.width, rendered.height) == (500, 500)
    thumbnails = [options for kind, options in loads if kind == "thumbnail"]
    assert thumbnails == [
        {
            "width": 800,
            "height": 500,
            "size": "force",
            "no_rotate": False,
            "option_string": "fail_on=truncated",
        }
    ]
    golden = pyvips.Image.thumbnail(str(wallpaper), 500, height=500, crop="centre")
    assert same_picture(decode(rendered), golden.copy_memory())


def test_no_resize_first_streams_sequentially(
    wallpaper: Path, loads: list[tuple[str, dict[str, Any]]]
) -> None:
    run(wallpaper, "e_grayscale/w_100", "jpg")
    accesses = [options.get("access") for kind, options in loads if kind == "load"]
    assert accesses[-1] == "sequential"
    assert not [options for kind, options in loads if kind == "thumbnail"]


def test_two_pass_work_loads_for_random_access(
    wallpaper: Path, loads: list[tuple[str, dict[str, Any]]]
) -> None:
    run(wallpaper, "e_trim/w_100", "jpg")
    accesses = [options.get("access") for kind, options in loads if kind == "load"]
    assert accesses[-1] == "random"


def test_render_time_of_the_benchmark_transformations(
    wallpaper: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timings = {}
    for text, fmt in [("c_fill,w_500,h_500", "jpg"), ("c_limit,w_1200/q_auto/f_webp", None)]:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            rendered = run(wallpaper, text, fmt, source_format="jpg")
            best = min(best, time.perf_counter() - start)
        timings[text] = best
        assert rendered.data
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        thumb = pyvips.Image.thumbnail(str(wallpaper), 500, height=500, crop="centre")
        thumb.jpegsave_buffer(Q=80, optimize_coding=True, keep="icc")
        best = min(best, time.perf_counter() - start)
    timings["plain pyvips thumbnail, crop=centre"] = best
    with capsys.disabled():
        for text, seconds in timings.items():
            print(f"\n  render 2560x1600 JPEG {text}: {seconds * 1000:.1f} ms", end="")
        print()


def test_an_out_of_order_read_is_retried_with_random_access(
    wallpaper: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[bool] = []
    attempt = pipeline._attempt

    def flaky(job: Any, sequential: bool) -> Any:
        attempts.append(sequential)
        if sequential:
            raise pyvips.Error("unable to write", "vipsjpeg: out of order read at line 10")
        return attempt(job, sequential)

    monkeypatch.setattr(pipeline, "_attempt", flaky)
    rendered = run(wallpaper, "e_grayscale", "jpg")
    assert attempts == [True, False] and rendered.width == 2560
