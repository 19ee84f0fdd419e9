#!/bin/sh
# Everything the peer benchmarks need, none of it in the project's dependencies:
#   - wrk, nginx and varnish (Debian packages; apt-get as root)
#   - real photographs: Debian's plasma-workspace-wallpapers .deb, unpacked with dpkg -x
#     (no install), and the sample photographs inside the scikit-image and matplotlib wheels
#   - thumbor 7.8 in its own virtual environment
# Re-running is cheap: each step is skipped when its result is already there.
#
#   sh bench/setup.sh            # cache in bench/.cache (git-ignored)
#   BENCH_CACHE=/tmp/x sh bench/setup.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${BENCH_CACHE:-$HERE/.cache}
PYTHON=${PYTHON:-python3}
mkdir -p "$CACHE"

need_packages=""
command -v wrk >/dev/null 2>&1 || need_packages="$need_packages wrk"
[ -x /usr/sbin/nginx ] || need_packages="$need_packages nginx"
[ -x /usr/sbin/varnishd ] || need_packages="$need_packages varnish"
if [ -n "$need_packages" ]; then
    # keep the packages' init scripts from starting a system nginx or varnish
    made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        made_policy=yes
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need_packages
    [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi

if [ ! -d "$CACHE/wallpapers" ]; then
    mkdir -p "$CACHE/debs" "$CACHE/unpacked"
    (cd "$CACHE/debs" && apt-get download plasma-workspace-wallpapers)
    dpkg -x "$CACHE"/debs/plasma-workspace-wallpapers_*.deb "$CACHE/unpacked"
    mkdir -p "$CACHE/wallpapers"
    # keep the two sizes the benchmark uses: 2560x1600 and 5120x2880 JPEGs
    find "$CACHE/unpacked" \( -name '2560x1600.jpg' -o -name '5120x2880.jpg' \) | while read -r f; do
        theme=$(basename "$(dirname "$(dirname "$(dirname "$f")")")")
        cp "$f" "$CACHE/wallpapers/${theme}-$(basename "$f")"
    done
    rm -rf "$CACHE/unpacked" "$CACHE/debs"
fi

if [ ! -d "$CACHE/faces" ]; then
    mkdir -p "$CACHE/wheels" "$CACHE/faces"
    "$PYTHON" -m pip download -q --no-deps --only-binary=:all: -d "$CACHE/wheels" \
        scikit-image matplotlib
    "$PYTHON" - "$CACHE" <<'PY'
import sys, zipfile, pathlib
cache = pathlib.Path(sys.argv[1])
wanted = {"astronaut.png", "grace_hopper.jpg", "coffee.png", "chelsea.png"}
for wheel in (cache / "wheels").glob("*.whl"):
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.rsplit("/", 1)[-1] in wanted:
                (cache / "faces" / name.rsplit("/", 1)[-1]).write_bytes(archive.read(name))
PY
    rm -rf "$CACHE/wheels"
fi

if [ ! -x "$CACHE/thumbor-venv/bin/thumbor" ]; then
    "$PYTHON" -m venv "$CACHE/thumbor-venv"
    "$CACHE/thumbor-venv/bin/pip" install -q "thumbor==7.8.*"
fi

ls "$CACHE/wallpapers" "$CACHE/faces"
echo "bench cache ready: $CACHE"
