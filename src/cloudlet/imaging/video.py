"""Stills from videos: the frame at ``so_`` decoded with PyAV (FFmpeg) into a pyvips image.

A video's public id requested with an image extension (``…/video/upload/so_2,w_300/clip.jpg``)
is delivered as a picture of one frame; the frame then goes through the image pipeline like
any upload. Which frame:

* ``so_<seconds>`` (``so_2.5``): the frame shown at that time;
* ``so_<percent>p`` (``so_35p``): that share of the duration;
* no ``so_``, or ``so_auto``: the middle of the video. Cloudinary picks the middle when ``so_``
  is absent (believed, not confirmed); ``so_auto`` picks a "best" frame by a model Cloudlet
  does not have, and the middle is the documented stand-in.

An offset past the end (or a negative one) is a 400 naming the duration. Seeking lands on the
key frame at or before the time and decodes forward to the frame shown at it, so the cost is
bounded by the key-frame interval, not by the offset. The stream's rotation (phone videos) is
not applied: the frame is delivered as coded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyvips

from cloudlet.transform.model import Offset

from .limits import RenderError

if TYPE_CHECKING:  # PyAV (FFmpeg, ~15 MB resident) is imported when a video is rendered
    import av

_DEMUX_OPTIONS = {"protocol_whitelist": "file"}
_MAX_FRAMES_AFTER_SEEK = 2000  # a key frame every 80 s at 25 fps: beyond that, give up


@dataclass(frozen=True)
class Still:
    """One decoded frame and the time (seconds) it is shown at."""

    image: pyvips.Image
    time: float


def still_time(offset: Offset | None, duration: float | None) -> float:
    """The time (seconds) ``so_`` asks for in a video ``duration`` seconds long; RenderError
    when it lies outside the video."""
    length = duration or 0.0
    if offset is None or offset.auto:
        return length / 2
    seconds = length * offset.number / 100 if offset.percent else offset.number
    if seconds < 0 or (seconds > length and duration is not None):
        shown = f"{offset.number:g}{'p' if offset.percent else ''}"
        raise RenderError(f"Invalid start_offset so_{shown}: the video is {length:g} seconds long")
    return seconds


def grab_still(path: Path, seconds: float, *, max_pixels: int | None = None) -> Still:
    """The frame of the video at ``path`` shown at ``seconds`` (the last one when the time
    is at the very end); RenderError when the file has no decodable picture."""
    import av
    import av.error

    try:
        with av.open(str(path), options=_DEMUX_OPTIONS) as container:
            stream = _video_stream(container)
            _check_size(stream, max_pixels)
            frame = _frame_at(container, stream, seconds)
            return Still(_to_vips(frame), float(frame.time or 0.0))
    except (av.error.FFmpegError, OSError, ValueError) as error:
        raise RenderError(f"The video cannot be decoded: {error}") from error


def _video_stream(container: av.container.InputContainer) -> av.VideoStream:
    streams = [s for s in container.streams.video if s.codec_context.width]
    if not streams:
        raise RenderError("The video has no picture to take a still from")
    stream = streams[0]
    stream.thread_type = "AUTO"
    return stream


def _check_size(stream: av.VideoStream, max_pixels: int | None) -> None:
    pixels = stream.codec_context.width * stream.codec_context.height
    if max_pixels is not None and pixels > max_pixels:
        raise RenderError(f"The video's frames are too large ({pixels} pixels)")


def _frame_at(
    container: av.container.InputContainer, stream: av.VideoStream, seconds: float
) -> av.VideoFrame:
    """Seek to the key frame before ``seconds`` and decode up to the frame shown then."""
    if seconds > 0 and stream.time_base is not None:
        container.seek(int(seconds / stream.time_base), stream=stream, backward=True)
    chosen: av.VideoFrame | None = None
    for count, frame in enumerate(container.decode(stream)):
        if chosen is not None and frame.time is not None and frame.time > seconds + 1e-6:
            break
        chosen = frame
        if count >= _MAX_FRAMES_AFTER_SEEK:
            break
    if chosen is None:
        raise RenderError("The video has no frame to take a still from")
    return chosen


def _to_vips(frame: av.VideoFrame) -> pyvips.Image:
    """An 8-bit sRGB pyvips image (copied out of FFmpeg's buffer)."""
    pixels = frame.to_ndarray(format="rgb24")
    height, width, bands = pixels.shape
    image = pyvips.Image.new_from_memory(pixels.tobytes(), width, height, bands, "uchar")
    return image.copy(interpretation="srgb")
