"""An image's faces: found after upload, overridable by the user, reported as ``faces``.

Detection (OpenCV Haar cascades on a copy shrunk to at most 500 pixels on the shorter side,
see ``imaging.faces``) costs 15 to 70 ms a photo, several times the rest of an upload, so it
runs off the request path: once an image's upload is committed, a background thread detects
its faces and stores them in the asset's ``extra["detected_faces"]``, tagged with the version
they were found in (``detected_faces_for``). That is safe because the stored boxes are only a
cache: boxes tagged with another version are ignored, and whenever none are stored (the
process stopped before the job ran, the queue was full, the asset predates this) they are
detected on first need and remembered (a ``g_face`` render, a ``faces=true`` read). An upload
asking for ``faces=true`` detects inline, as its response must hold them; those boxes are
written in the same transaction as the asset, so they need no tag.

User-set ``face_coordinates`` always win over detected faces, an empty list included (it
means "no faces").
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cloudlet.catalog.model import Asset
from cloudlet.errors import NotFoundError
from cloudlet.imaging.faces import detect_faces
from cloudlet.services.deps import Deps
from cloudlet.services.values import as_bool

DETECTED = "detected_faces"
DETECTED_FOR = "detected_faces_for"  # the version_id the detected boxes belong to
USER_SET = "face_coordinates"
MAX_QUEUED = 256  # detections waiting; beyond that they are left to the first need

_log = logging.getLogger(__name__)


def detect_boxes(path: Path) -> list[list[int]] | None:
    """Face boxes ``[x, y, w, h]`` in the auto-oriented image at ``path``, largest first;
    None when the file cannot be read for detection (the upload itself is not refused)."""
    try:
        found = detect_faces(path)
    except ValueError:
        return None
    return [[box.x, box.y, box.width, box.height] for box in found]


def prepare_upload(
    extra: dict[str, Any], path: Path, resource_type: str, params: Mapping[str, Any]
) -> None:
    """Detect inline, into the new asset's ``extra``, when the upload asks for ``faces``."""
    if as_bool(params, "faces") and _wants_detection(extra, resource_type):
        boxes = detect_boxes(path)
        if boxes is not None:
            extra[DETECTED] = boxes


def after_upload(deps: Deps, asset: Asset, *, existing: bool) -> None:
    """Queue face detection for a newly stored image whose faces are not known yet."""
    if existing or not _wants_detection(asset.extra, asset.resource_type):
        return
    _background.submit(lambda: _detect_stored(deps, asset))


def stored_boxes(asset: Asset) -> list[list[int]] | None:
    """The asset's faces as stored: user-set first, then detected (for its current version);
    None when neither is known."""
    value = asset.extra.get(USER_SET)
    if not isinstance(value, list):
        value = asset.extra.get(DETECTED)
        tag = asset.extra.get(DETECTED_FOR)
        if not isinstance(value, list) or tag not in (None, asset.version_id):
            return None
    return [[int(n) for n in box] for box in value if len(box) == 4]


def face_boxes(deps: Deps, asset: Asset, source: Path | None = None) -> list[list[int]]:
    """The asset's faces, detecting and remembering them now if they are not known.

    Only images have faces; ``source`` is the original's local path when the caller has it."""
    known = stored_boxes(asset)
    if known is not None or asset.resource_type != "image":
        return known or []
    path = source or deps.storage.local_path(asset.storage_key)
    boxes = detect_boxes(path) if path is not None else None
    if boxes is None:
        return []
    _remember(deps, asset, boxes)
    return boxes


def add_faces(deps: Deps, body: dict[str, Any], asset: Asset, params: Mapping[str, Any]) -> None:
    """Add ``faces: [[x, y, w, h], …]`` to a response when ``faces=true`` was asked for."""
    if as_bool(params, "faces"):
        body["faces"] = face_boxes(deps, asset)


def wait_for_background(timeout: float = 30.0) -> bool:
    """Wait until queued detections are done (tests, orderly shutdown); False on timeout."""
    return _background.wait(timeout)


def _wants_detection(extra: Mapping[str, Any], resource_type: str) -> bool:
    return resource_type == "image" and USER_SET not in extra and DETECTED not in extra


def _detect_stored(deps: Deps, asset: Asset) -> None:
    current = deps.catalog.get_asset_by_asset_id(asset.cloud_id, asset.asset_id)
    if current is None or current.version_id != asset.version_id:
        return  # replaced or deleted meanwhile: the new version has its own job
    if stored_boxes(current) is None:
        face_boxes(deps, current)


def _remember(deps: Deps, asset: Asset, boxes: list[list[int]]) -> None:
    extra = {DETECTED: boxes, DETECTED_FOR: asset.version_id}
    with contextlib.suppress(NotFoundError):  # deleted meanwhile
        deps.catalog.update_asset(asset.id, extra=extra, now=deps.now(), touch=False)


class _Background:
    """One daemon thread running queued jobs; a full queue drops the job (it is only a
    cache fill) and the thread never keeps the process from exiting."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue(MAX_QUEUED)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], None]) -> None:
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="cloudlet-faces", daemon=True
                )
                self._thread.start()

    def wait(self, timeout: float) -> bool:
        done = threading.Event()

        def drain() -> None:
            self._jobs.join()
            done.set()

        threading.Thread(target=drain, daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except Exception:
                _log.exception("background face detection failed")
            finally:
                self._jobs.task_done()


_background = _Background()
