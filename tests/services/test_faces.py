"""Faces found after upload: stored for the version they belong to, user-set boxes win."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pyvips
from skimage import data

from cloudlet.app import build_deps
from cloudlet.catalog.model import Asset, Cloud
from cloudlet.services import clouds, faces, upload
from cloudlet.services.auth import UploadAuth
from cloudlet.services.deps import Deps
from cloudlet.services.staging import UploadSource
from cloudlet.settings import Settings

ASTRONAUT_FACE = (175, 64, 97, 97)  # measured once; boxes may move by a few pixels


@pytest.fixture()
def deps(tmp_path: Path, database_url: str) -> Iterator[Deps]:
    built = build_deps(Settings(data_dir=tmp_path / "data", database_url=database_url))
    yield built
    assert faces.wait_for_background()
    built.catalog.close()


@pytest.fixture()
def cloud(deps: Deps) -> Cloud:
    return clouds.create_cloud(deps, "facetest")


@pytest.fixture(scope="module")
def astronaut(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faces") / "astronaut.jpg"
    image = pyvips.Image.new_from_array(data.astronaut()).copy(interpretation="srgb")
    image.write_to_file(str(path), Q=90)
    return path


def put(deps: Deps, cloud: Cloud, path: Path, **params: Any) -> dict[str, Any]:
    with path.open("rb") as stream:
        return upload.upload(
            deps,
            cloud,
            "image",
            {"public_id": "astro", **params},
            UploadSource(stream=stream, filename=path.name),
            UploadAuth(signed=True, preset=None),
        )


def stored(deps: Deps, cloud: Cloud) -> Asset:
    asset = deps.catalog.get_asset(cloud.id, "image", "upload", "astro")
    assert asset is not None
    return asset


def near(box: list[int], expected: tuple[int, int, int, int], slack: int = 12) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(box, expected, strict=True))


def test_detected_in_the_background_for_the_uploaded_version(
    deps: Deps, cloud: Cloud, astronaut: Path
) -> None:
    result = put(deps, cloud, astronaut)
    assert "faces" not in result
    assert faces.wait_for_background()
    asset = stored(deps, cloud)
    assert asset.extra[faces.DETECTED_FOR] == asset.version_id
    [box] = asset.extra[faces.DETECTED]
    assert near(box, ASTRONAUT_FACE)


def test_faces_true_detects_inline(deps: Deps, cloud: Cloud, astronaut: Path) -> None:
    result = put(deps, cloud, astronaut, faces="true")
    [box] = result["faces"]
    assert near(box, ASTRONAUT_FACE)
    assert stored(deps, cloud).extra[faces.DETECTED] == result["faces"]


def test_boxes_of_another_version_are_ignored(deps: Deps, cloud: Cloud, astronaut: Path) -> None:
    put(deps, cloud, astronaut)
    assert faces.wait_for_background()
    asset = stored(deps, cloud)
    stale = dataclasses.replace(asset, extra={**asset.extra, faces.DETECTED_FOR: "0" * 32})
    assert faces.stored_boxes(asset) == asset.extra[faces.DETECTED]
    assert faces.stored_boxes(stale) is None


def test_a_job_for_a_replaced_version_writes_nothing(
    deps: Deps, cloud: Cloud, astronaut: Path, tmp_path: Path
) -> None:
    put(deps, cloud, astronaut, face_coordinates="1,2,3,4")  # no detection queued
    old = stored(deps, cloud)
    blank = tmp_path / "blank.png"
    pyvips.Image.black(40, 30).write_to_file(str(blank))
    put(deps, cloud, blank)  # overwrite: its own job finds no face
    assert faces.wait_for_background()
    faces._detect_stored(deps, dataclasses.replace(old, extra={}))
    new = stored(deps, cloud)
    assert new.extra[faces.DETECTED] == [] and new.extra[faces.DETECTED_FOR] == new.version_id


def test_user_set_faces_win_and_skip_detection(deps: Deps, cloud: Cloud, astronaut: Path) -> None:
    result = put(deps, cloud, astronaut, face_coordinates="10,20,30,40", faces="1")
    assert result["faces"] == [[10, 20, 30, 40]]
    assert faces.wait_for_background()
    assert faces.DETECTED not in stored(deps, cloud).extra
