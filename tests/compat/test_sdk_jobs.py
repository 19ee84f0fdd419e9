"""Queued work through the real SDK: eager_async, the background_removal add-on, webhooks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.api
import cloudinary.exceptions
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips
from tests.compat.helpers import make_png
from tests.compat.server import Server
from tests.compat.webhooks import Received, Receiver, webhook_receiver

JOB_TIMEOUT_S = 60


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as found:
        yield found


def make_product_png(path: Path, width: int = 160, height: int = 120) -> Path:
    """A red disc on a plain light background, like a product shot."""
    xy = pyvips.Image.xyz(width, height)
    dx, dy = xy[0] - width / 2, xy[1] - height / 2
    inside = (dx * dx + dy * dy) < (min(width, height) * 0.3) ** 2
    red = inside.ifthenelse([200, 30, 40], [235, 235, 230])
    red.cast("uchar").copy(interpretation="srgb").write_to_file(str(path))
    return path


def assert_signed(item: Received) -> None:
    """The SDK's own verifier accepts the notification's signature."""
    assert cloudinary.utils.verify_notification_signature(
        item.raw.decode(), item.headers["X-Cld-Timestamp"], item.headers["X-Cld-Signature"]
    )
    assert item.headers["Content-Type"] == "application/json"


def wait_until(check: Callable[[], Any], timeout: float = JOB_TIMEOUT_S) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out waiting for a queued job")


def bgr_status(public_id: str) -> str | None:
    info = cloudinary.api.resource(public_id).get("info", {})
    status: str | None = info.get("background_removal", {}).get("cloudinary_ai", {}).get("status")
    return status


def pixel_alpha(url: str) -> tuple[int, float, float]:
    """(bands, alpha at a corner, alpha at the centre) of the image at ``url``."""
    image = pyvips.Image.new_from_buffer(httpx.get(url, timeout=30).content, "")
    alpha = image[image.bands - 1]
    centre = alpha.getpoint(image.width // 2, image.height // 2)[0]
    return image.bands, alpha.getpoint(1, 1)[0], centre


def test_eager_async_renders_in_a_job_and_notifies(
    sdk: object, server: Server, tmp_path: Path, receiver: Receiver
) -> None:
    png = make_png(tmp_path / "a.png", 120, 60)
    result = cloudinary.uploader.upload(
        str(png),
        public_id="jobs/eager_async",
        eager=[{"width": 30, "crop": "scale"}, {"width": 20, "crop": "scale", "format": "png"}],
        eager_async=True,
        eager_notification_url=receiver.url,
    )
    assert "eager" not in result
    assert len(result["batch_id"]) == 32
    item = receiver.wait_for(lambda b: b.get("batch_id") == result["batch_id"])
    assert_signed(item)
    body = item.body
    assert body["notification_type"] == "eager"
    assert body["public_id"] == "jobs/eager_async"
    assert body["asset_id"] == result["asset_id"]
    assert [e["width"] for e in body["eager"]] == [30, 20]
    assert body["eager"][1]["format"] == "png"
    derived = cloudinary.api.resource("jobs/eager_async")["derived"]
    assert sorted(d["transformation"] for d in derived) == ["c_scale,w_20", "c_scale,w_30"]
    served = httpx.get(body["eager"][0]["url"], timeout=30)
    assert served.status_code == 200
    assert pyvips.Image.new_from_buffer(served.content, "").width == 30


def test_explicit_eager_async_uses_notification_url(
    sdk: object, server: Server, tmp_path: Path, receiver: Receiver
) -> None:
    cloudinary.uploader.upload(str(make_png(tmp_path / "b.png", 90, 40)), public_id="jobs/expl")
    result = cloudinary.uploader.explicit(
        "jobs/expl",
        type="upload",
        eager=[{"width": 45, "crop": "scale"}],
        eager_async=True,
        notification_url=receiver.url,
    )
    assert "eager" not in result
    item = receiver.wait_for(lambda b: b.get("batch_id") == result["batch_id"])
    assert_signed(item)
    assert item.body["eager"][0]["width"] == 45
    derived = cloudinary.api.resource("jobs/expl")["derived"]
    assert [d["transformation"] for d in derived] == ["c_scale,w_45"]


def test_eager_without_async_is_still_rendered_in_the_request(
    sdk: object, server: Server, tmp_path: Path
) -> None:
    result = cloudinary.uploader.upload(
        str(make_png(tmp_path / "c.png", 80, 40)), eager=[{"width": 40, "crop": "scale"}]
    )
    assert result["eager"][0]["width"] == 40
    assert "batch_id" not in result


def test_a_bad_eager_async_transformation_is_refused_and_changes_nothing(
    sdk: object, server: Server, tmp_path: Path
) -> None:
    png = make_png(tmp_path / "bad.png", 40, 20)
    with pytest.raises(cloudinary.exceptions.BadRequest, match="Invalid width"):
        cloudinary.uploader.upload(
            str(png), public_id="jobs/bad_eager", eager=[{"width": "abc"}], eager_async=True
        )
    with pytest.raises(cloudinary.exceptions.NotFound):
        cloudinary.api.resource("jobs/bad_eager")


def test_background_removal_on_upload_makes_a_new_version(
    sdk: object, server: Server, tmp_path: Path, receiver: Receiver
) -> None:
    product = make_product_png(tmp_path / "p.png")
    result = cloudinary.uploader.upload(
        str(product),
        public_id="jobs/product",
        tags=["shop"],
        background_removal="cloudinary_ai",
        notification_url=receiver.url,
    )
    assert result["info"] == {"background_removal": {"cloudinary_ai": {"status": "pending"}}}
    item = receiver.wait_for(
        lambda b: b.get("public_id") == "jobs/product" and b["notification_type"] == "info"
    )
    assert_signed(item)
    uploaded = receiver.wait_for(
        lambda b: b.get("public_id") == "jobs/product" and b["notification_type"] == "upload"
    )
    assert uploaded.body["info"] == result["info"]  # the upload's own notification, too
    body = item.body
    assert (body["notification_type"], body["info_kind"], body["info_status"]) == (
        "info",
        "cloudinary_ai",
        "complete",
    )
    resource = cloudinary.api.resource("jobs/product")
    assert resource["info"]["background_removal"]["cloudinary_ai"]["status"] == "complete"
    assert resource["version"] > result["version"]
    assert resource["version_id"] != result["version_id"]
    assert resource["asset_id"] == result["asset_id"]
    assert (resource["format"], resource["tags"]) == ("png", ["shop"])
    assert body["version"] == resource["version"]
    bands, corner, centre = pixel_alpha(resource["url"])
    assert bands == 4
    assert corner == 0  # the background is transparent
    assert centre > 200  # the subject is kept


def test_background_removal_by_update_drops_old_derivatives(
    sdk: object, server: Server, tmp_path: Path
) -> None:
    result = cloudinary.uploader.upload(
        str(make_product_png(tmp_path / "q.png")),
        public_id="jobs/upd",
        eager=[{"width": 50, "crop": "scale"}],
    )
    assert len(cloudinary.api.resource("jobs/upd")["derived"]) == 1
    updated = cloudinary.api.update("jobs/upd", background_removal="cloudinary_ai")
    assert updated["info"]["background_removal"]["cloudinary_ai"]["status"] == "pending"
    wait_until(lambda: bgr_status("jobs/upd") == "complete")
    resource = cloudinary.api.resource("jobs/upd")
    assert resource["version"] > result["version"]
    assert resource["derived"] == []  # the old version's derivatives went with it
    assert pixel_alpha(resource["url"])[1] == 0


def test_background_removal_by_explicit(sdk: object, server: Server, tmp_path: Path) -> None:
    result = cloudinary.uploader.upload(
        str(make_product_png(tmp_path / "r.png")), public_id="jobs/expl_bg"
    )
    answer = cloudinary.uploader.explicit(
        "jobs/expl_bg", type="upload", background_removal="cloudinary_ai"
    )
    assert answer["info"]["background_removal"]["cloudinary_ai"]["status"] == "pending"
    wait_until(lambda: bgr_status("jobs/expl_bg") == "complete")
    assert cloudinary.api.resource("jobs/expl_bg")["version"] > result["version"]


@pytest.mark.parametrize("value", ["pixelz", "cloudinary_ai:fine_edges", "yes"])
def test_an_unknown_background_removal_value_is_refused_and_changes_nothing(
    sdk: object, server: Server, tmp_path: Path, value: str
) -> None:
    png = make_product_png(tmp_path / "s.png")
    with pytest.raises(cloudinary.exceptions.BadRequest, match="Illegal value"):
        cloudinary.uploader.upload(str(png), public_id="jobs/refused", background_removal=value)
    with pytest.raises(cloudinary.exceptions.NotFound):
        cloudinary.api.resource("jobs/refused")
    before = cloudinary.uploader.upload(str(png), public_id="jobs/kept", tags=["a"])
    with pytest.raises(cloudinary.exceptions.BadRequest, match="Illegal value"):
        cloudinary.api.update("jobs/kept", background_removal=value, tags="b")
    with pytest.raises(cloudinary.exceptions.BadRequest, match="Illegal value"):
        cloudinary.uploader.explicit(
            "jobs/kept", type="upload", background_removal=value, tags=["c"]
        )
    after = cloudinary.api.resource("jobs/kept")
    assert (after["version"], after["tags"]) == (before["version"], ["a"])
    assert "info" not in after
