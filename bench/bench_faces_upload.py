"""Upload throughput with face detection at upload: sequential SDK uploads of a 640×480 noise
JPEG (the foundation bench's file, the cascades' worst case) and of a 2560×1600 photograph
with one face (scikit-image's astronaut, enlarged). Loopback only.

    .venv/bin/python bench/bench_faces_upload.py [--faces]

``--faces`` passes ``faces=true``, which detects inline (the response must hold the boxes);
without it detection runs on the background thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pyvips
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.compat.server import start_server, stop_server  # noqa: E402


def files(work: Path) -> list[tuple[str, Path, int]]:
    noise = work / "noise.jpg"
    pyvips.Image.gaussnoise(640, 480, sigma=40).cast("uchar").write_to_file(str(noise), Q=85)
    photo = work / "photo.jpg"
    astronaut = pyvips.Image.new_from_array(data.astronaut()).copy(interpretation="srgb")
    astronaut.resize(5).crop(0, 0, 2560, 1600).write_to_file(str(photo), Q=85)
    return [("640x480 noise JPEG", noise, 150), ("2560x1600 photo, one face", photo, 40)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", action="store_true", help="upload with faces=true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cloudlet-bench-faces-"))
    server = start_server(work / "data", {"CLOUDLET_ACCESS_LOG": "false"})
    os.environ["CLOUDINARY_URL"] = server.cloudinary_url()
    import cloudinary.uploader

    try:
        for name, path, count in files(work):
            cloudinary.uploader.upload(str(path), public_id="warm", faces=args.faces)
            began = time.perf_counter()
            for i in range(count):
                cloudinary.uploader.upload(str(path), public_id=f"b/{i}", faces=args.faces)
            print(f"{name}: {count / (time.perf_counter() - began):.1f} uploads/s")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
