"""The mixed load the reliability tests and ``bench/soak.py`` send, and the check afterwards.

Clients (threads) pick public ids from one small pool, so they collide on purpose: uploads
(overwrite), deliveries of originals, transformations (cold: a size not asked for before;
warm: one asked for many times), renames within the pool, tags, destroys and bulk deletes,
and eager_async uploads to ids of their own. Requests are signed with the real SDK
(``cloudinary.utils.sign_request``) and sent with httpx, so every status and every lost
connection is seen. Every write goes into a ``Ledger``; ``verify`` then reads the final catalog
and the delivered bytes through the API and compares.

Traffic goes only to the server's loopback address, and every loop is bounded by a deadline.
"""

from __future__ import annotations

import hashlib
import random
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import cloudinary.utils
import httpx
from tests.compat.server import API_KEY, API_SECRET, CLOUD
from tests.reliability.ledger import ABSENT, ANY, Ledger, mismatches, tag_checks

LOAD_MIX = {
    "upload": 20,
    "deliver": 20,
    "transform_cold": 8,
    "transform_warm": 14,
    "rename": 10,
    "tag": 12,
    "destroy": 6,
    "bulk_delete": 3,
    "eager_upload": 4,
}
WARM_SIZE = (32, 24)
EAGER = "c_scale,w_16"
TIMEOUT = httpx.Timeout(30.0)


@dataclass
class Target:
    """Where the clients send (updated when a crash test restarts the server elsewhere)."""

    base_url: str
    prefix: str = "load"
    ids: int = 24

    def pool(self) -> list[str]:
        return [f"{self.prefix}/s{n}" for n in range(self.ids)]


@dataclass
class Run:
    """One run of the load: where, what mix, until when, and what happened."""

    target: Target
    ledger: Ledger = field(default_factory=Ledger)
    mix: dict[str, int] = field(default_factory=lambda: dict(LOAD_MIX))
    stop: threading.Event = field(default_factory=threading.Event)
    sequence: count[int] = field(default_factory=lambda: count(1))
    eager_ids: dict[str, bool] = field(default_factory=dict)  # id -> acknowledged


# ------------------------------------------------------------------------------ content


def unique_png(n: int) -> bytes:
    """A small grey PNG whose pixels spell ``n``: every upload sends bytes of its own."""
    width, height = 24 + n % 13, 16 + n % 7
    stamp = n.to_bytes(8, "big")
    rows = []
    for y in range(height):
        row = bytes((x * 9 + y * 5 + n) % 256 for x in range(width))
        if y == 0:
            row = stamp + row[8:]
        rows.append(b"\x00" + row)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 - Cloudinary's etag is an md5


# ------------------------------------------------------------------------------ requests


def signed(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with timestamp, api_key and signature, as the SDK signs them."""
    params = {**fields, "timestamp": str(int(time.time()))}
    return cloudinary.utils.sign_request(params, {"api_key": API_KEY, "api_secret": API_SECRET})


def api_url(run: Run, action: str, resource_type: str = "image") -> str:
    return f"{run.target.base_url}/v1_1/{CLOUD}/{resource_type}/{action}"


def admin_url(run: Run, path: str) -> str:
    return f"{run.target.base_url}/v1_1/{CLOUD}/{path}"


class Lost(Exception):
    """The connection failed after the request may have reached the server."""


def send(run: Run, client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request, counted. ConnectError (nothing was sent) is raised as is; any other
    transport error becomes ``Lost``; a 5xx is recorded as a failure."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.ConnectError:
        raise
    except httpx.TransportError as exc:
        run.ledger.lost_connection()
        raise Lost(str(exc)) from exc
    run.ledger.answered(response.status_code)
    if response.status_code >= 500:
        run.ledger.fail(f"{method} {url}: {response.status_code} {response.text[:200]}")
    return response


def admin_auth() -> tuple[str, str]:
    return (API_KEY, API_SECRET)


# ------------------------------------------------------------------------------ operations


def op_upload(run: Run, client: httpx.Client, rng: random.Random) -> None:
    public_id = rng.choice(run.target.pool())
    _upload(run, client, public_id, {})


def _upload(run: Run, client: httpx.Client, public_id: str, extra: dict[str, Any]) -> bool:
    """Upload fresh bytes to ``public_id``; whether the server acknowledged it."""
    data = unique_png(next(run.sequence))
    etag = md5(data)
    run.ledger.sent(etag)
    fields = signed({"public_id": public_id, "overwrite": "true", **extra})
    start = time.monotonic()
    try:
        answer = send(run, client, "POST", api_url(run, "upload"), data=fields,
                      files={"file": ("u.png", data, "image/png")})  # fmt: skip
    except Lost:
        run.ledger.write(public_id, etag, start, acked=False, what="upload")
        raise
    if answer.status_code != 200:
        run.ledger.fail(f"upload {public_id}: {answer.status_code} {answer.text[:200]}")
        return False
    body = answer.json()
    if body.get("etag") != etag or body.get("public_id") != public_id:
        run.ledger.fail(f"upload {public_id}: answered {body.get('public_id')} {body.get('etag')}")
    run.ledger.write(public_id, etag, start, acked=True, what="upload")
    return True


def op_eager_upload(run: Run, client: httpx.Client, rng: random.Random) -> None:
    public_id = f"{run.target.prefix}-eager/e{next(run.sequence)}"
    run.eager_ids[public_id] = False
    extra = {"eager": EAGER, "eager_async": "true"}
    if _upload(run, client, public_id, extra):
        run.eager_ids[public_id] = True


def op_deliver(run: Run, client: httpx.Client, rng: random.Random) -> None:
    url = f"{run.target.base_url}/{CLOUD}/image/upload/{rng.choice(run.target.pool())}.png"
    answer = send(run, client, "GET", url)
    if answer.status_code == 200 and md5(answer.content) not in run.ledger.uploaded:
        run.ledger.fail(f"GET {url}: bytes that were never uploaded")
    elif answer.status_code not in (200, 404):
        run.ledger.fail(f"GET {url}: {answer.status_code}")


def op_transform(run: Run, client: httpx.Client, rng: random.Random, *, warm: bool) -> None:
    width, height = WARM_SIZE if warm else (rng.randrange(8, 200), rng.randrange(8, 200))
    public_id = rng.choice(run.target.pool())
    url = f"{run.target.base_url}/{CLOUD}/image/upload/c_fill,h_{height},w_{width}/{public_id}.png"
    answer = send(run, client, "GET", url)
    if answer.status_code == 200:
        size = png_size(answer.content)
        if size != (width, height):
            run.ledger.fail(f"GET {url}: a {size} image")
    elif answer.status_code != 404:
        run.ledger.fail(f"GET {url}: {answer.status_code} {answer.text[:200]}")


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, None when ``data`` is not one."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def op_rename(run: Run, client: httpx.Client, rng: random.Random) -> None:
    source, target = rng.sample(run.target.pool(), 2)
    overwrite = rng.random() < 0.5
    fields = {"from_public_id": source, "to_public_id": target}
    fields |= {"overwrite": "true"} if overwrite else {}
    start = time.monotonic()
    try:
        answer = send(run, client, "POST", api_url(run, "rename"), data=signed(fields))
    except Lost:
        run.ledger.write(source, ABSENT, start, acked=False, what="rename from")
        run.ledger.write(target, ANY, start, acked=False, what="rename to")
        raise
    if answer.status_code == 200:
        run.ledger.write(source, ABSENT, start, acked=True, what="rename from")
        run.ledger.write(target, ANY, start, acked=True, what="rename to")
    elif answer.status_code not in (400, 404, 409) or (answer.status_code != 404 and overwrite):
        run.ledger.fail(f"rename {source} -> {target}: {answer.status_code} {answer.text[:200]}")


def op_tag(
    run: Run, client: httpx.Client, rng: random.Random, picked: list[str] | None = None
) -> None:
    picked = picked or rng.sample(run.target.pool(), rng.randrange(1, 4))
    tag = f"t{next(run.sequence)}"
    fields = {"command": "add", "tag": tag, "public_ids": picked}
    start = time.monotonic()
    form = signed(fields)
    form["public_ids[]"] = form.pop("public_ids")  # arrays as the SDK sends them
    answer = send(run, client, "POST", api_url(run, "tags"), data=form)
    if answer.status_code != 200:
        run.ledger.fail(f"tag {picked}: {answer.status_code} {answer.text[:200]}")
        return
    for public_id in answer.json().get("public_ids", []):
        run.ledger.tagged(public_id, tag, start)


def tag_pool(run: Run) -> None:
    """One more tag on every id of the pool, sent when the clients have stopped: its tag is
    checkable on every id that exists (no write can follow it), so ``verify`` never checks
    tags vacuously even when every tag sent under load was overtaken by a later write."""
    with httpx.Client(timeout=TIMEOUT) as client:
        op_tag(run, client, random.Random(0), picked=run.target.pool())


def op_destroy(run: Run, client: httpx.Client, rng: random.Random) -> None:
    public_id = rng.choice(run.target.pool())
    start = time.monotonic()
    try:
        answer = send(run, client, "POST", api_url(run, "destroy"),
                      data=signed({"public_id": public_id}))  # fmt: skip
    except Lost:
        run.ledger.write(public_id, ABSENT, start, acked=False, what="destroy")
        raise
    result = answer.json().get("result") if answer.status_code == 200 else None
    if result == "ok":
        run.ledger.write(public_id, ABSENT, start, acked=True, what="destroy")
    elif result != "not found":
        run.ledger.fail(f"destroy {public_id}: {answer.status_code} {answer.text[:200]}")


def op_bulk_delete(run: Run, client: httpx.Client, rng: random.Random) -> None:
    picked = rng.sample(run.target.pool(), rng.randrange(2, 6))
    start = time.monotonic()
    try:
        answer = send(run, client, "DELETE", admin_url(run, "resources/image/upload"),
                      params={"public_ids[]": picked}, auth=admin_auth())  # fmt: skip
    except Lost:
        for public_id in picked:
            run.ledger.write(public_id, ABSENT, start, acked=False, what="bulk delete")
        raise
    if answer.status_code != 200:
        run.ledger.fail(f"bulk delete {picked}: {answer.status_code} {answer.text[:200]}")
        return
    for public_id, state in answer.json().get("deleted", {}).items():
        if state == "deleted":
            run.ledger.write(public_id, ABSENT, start, acked=True, what="bulk delete")


OPERATIONS: dict[str, Callable[[Run, httpx.Client, random.Random], None]] = {
    "upload": op_upload,
    "deliver": op_deliver,
    "transform_cold": lambda r, c, g: op_transform(r, c, g, warm=False),
    "transform_warm": lambda r, c, g: op_transform(r, c, g, warm=True),
    "rename": op_rename,
    "tag": op_tag,
    "destroy": op_destroy,
    "bulk_delete": op_bulk_delete,
    "eager_upload": op_eager_upload,
}


# ------------------------------------------------------------------------------ clients


def client_loop(run: Run, seed: int, deadline: float) -> None:
    """One client: random operations until ``deadline`` or ``run.stop``."""
    rng = random.Random(seed)
    names, weights = list(run.mix), list(run.mix.values())
    with httpx.Client(timeout=TIMEOUT) as client:
        while time.monotonic() < deadline and not run.stop.is_set():
            name = rng.choices(names, weights)[0]
            try:
                OPERATIONS[name](run, client, rng)
            except httpx.ConnectError:
                time.sleep(0.05)  # the server is down (a crash test restarts it)
            except Lost:
                pass  # recorded as a maybe-write
            except Exception as exc:  # noqa: BLE001 - a client bug must fail the run, not hang
                run.ledger.fail(f"{name}: {type(exc).__name__}: {exc}")


def run_clients(run: Run, clients: int, seconds: float) -> float:
    """``clients`` threads for ``seconds`` (or until ``run.stop``); the elapsed seconds."""
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=client_loop, args=(run, seed, deadline), daemon=True)
        for seed in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return time.monotonic() - started


# ------------------------------------------------------------------------------ verify


@dataclass
class Verdict:
    """What ``verify`` found: ``lost`` (acknowledged writes or tags the final state does not
    explain), ``late_eager`` (acknowledged eager_async uploads without their derivative)."""

    present: int = 0
    lost: list[str] = field(default_factory=list)
    late_eager: list[str] = field(default_factory=list)
    tags_checked: int = 0
    eager_checked: int = 0

    @property
    def problems(self) -> list[str]:
        return self.lost + self.late_eager


def final_state(base_url: str, prefix: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Every asset whose public id starts with ``prefix``: public id → etag (which the
    delivered bytes must match) and public id → tags; a problem raises AssertionError."""
    etags, tags = {}, {}
    with httpx.Client(timeout=TIMEOUT, auth=admin_auth()) as client:
        for public_id in listed_ids(client, base_url, prefix):
            full = client.get(f"{base_url}/v1_1/{CLOUD}/resources/image/upload/{public_id}")
            assert full.status_code == 200, f"{public_id} listed but not found: {full.text}"
            resource = full.json()
            delivered = client.get(resource["url"])
            assert delivered.status_code == 200, f"{public_id}: delivery {delivered.status_code}"
            assert md5(delivered.content) == resource["etag"], f"{public_id}: bytes != etag"
            etags[public_id] = resource["etag"]
            tags[public_id] = set(resource.get("tags", []))
    return etags, tags


def listed_ids(client: httpx.Client, base_url: str, prefix: str) -> list[str]:
    """The public ids the Admin API lists under ``prefix``, every page."""
    found: list[str] = []
    cursor = None
    while True:
        params = {"prefix": prefix, "max_results": 500} | (
            {"next_cursor": cursor} if cursor else {}
        )
        page = client.get(f"{base_url}/v1_1/{CLOUD}/resources/image/upload", params=params)
        assert page.status_code == 200, page.text
        found += [brief["public_id"] for brief in page.json()["resources"]]
        cursor = page.json().get("next_cursor")
        if not cursor:
            return found


def verify(run: Run, *, eager_wait_s: float = 60.0) -> Verdict:
    """Compare the catalog and the delivered bytes with the ledger; wait for eager jobs."""
    verdict = Verdict()
    etags, tags = final_state(run.target.base_url, run.target.prefix)
    verdict.present = len(etags)
    verdict.lost += mismatches(run.ledger, etags)
    verdict.tags_checked, missing = tag_checks(run.ledger, tags)
    verdict.lost += missing
    verdict.eager_checked, verdict.late_eager = eager_results(run, eager_wait_s)
    return verdict


def eager_results(run: Run, wait_s: float) -> tuple[int, list[str]]:
    """Every acknowledged eager_async upload gets its derivative (its queued job finishes,
    across restarts); (how many checked, the ones still without it).

    An upload whose answer was lost to a kill -9 is not checked: it may never have
    committed (its reserved job then does nothing, see ``services.eager_async``), and the
    client, which saw no answer, uploads again."""
    base = run.target.base_url
    deadline = time.monotonic() + wait_s
    pending = {public_id for public_id, acked in run.eager_ids.items() if acked}
    checked = 0
    with httpx.Client(timeout=TIMEOUT, auth=admin_auth()) as client:
        while pending and time.monotonic() < deadline:
            for public_id in sorted(pending):
                answer = client.get(f"{base}/v1_1/{CLOUD}/resources/image/upload/{public_id}")
                if answer.status_code == 200 and answer.json().get("derived"):
                    pending.discard(public_id)
                    checked += 1
            if pending:
                time.sleep(0.5)
    return checked, [f"{public_id}: eager derivative never made" for public_id in sorted(pending)]
