"""What a server process loads before it has any work: heavy libraries that only some
requests need stay out of its resident memory until one comes (docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys

_LOADED = """
import json, sys
import cloudlet.app, cloudlet.cli.main
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"av", "cryptography"})))
"""


def test_the_app_loads_no_ffmpeg_and_no_certificate_code() -> None:
    done = subprocess.run([sys.executable, "-c", _LOADED], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert not [m for m in loaded if m == "av" or m.startswith("av.")]  # PyAV: videos only
    assert "cryptography.x509" not in loaded  # --tls-* only
