"""Two Cloudlet nodes sharing PostgreSQL, S3 and Redis behave as one server.

Two ``cloudlet serve`` processes on different loopback ports, each with its own data dir and
its own ``cloudlet worker``, share a PostgreSQL catalog, an S3 bucket (moto's server) and a
Redis (job queue and rate counters). The real Cloudinary SDK (and plain HTTP, for chunks and
deliveries) talks to one node or the other; whatever one node changes, the other serves.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips
from tests.compat.server import (
    API_KEY,
    API_SECRET,
    CLOUD,
    OTHER_CLOUD,
    OTHER_KEY,
    OTHER_SECRET,
    Server,
)
from tests.compat.webhooks import webhook_receiver
from tests.multinode.cluster import Cluster, running_cluster

from cloudlet.catalog.catalog import Catalog
from cloudlet.jobs.queue import HueyQueue

RATE_LIMIT = 8  # Admin API calls per hour of OTHER_CLOUD (CLOUD stays far below it)
CHECK_MS = 100  # CLOUDLET_HIT_CACHE_CHECK_MS, the staleness bound of a node's hit cache
SETTLE_S = CHECK_MS / 1000 + 0.15  # the bound, and the time a read of the sequence takes


@pytest.fixture(scope="module")
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    from tests.s3server import fresh_storage_url

    env = {
        "CLOUDLET_ADMIN_RATE_LIMIT": str(RATE_LIMIT),
        "CLOUDLET_HIT_CACHE_CHECK_MS": str(CHECK_MS),
    }
    root = tmp_path_factory.mktemp("two-nodes")
    with running_cluster(root, fresh_storage_url(request), 2, env) as running:
        yield running


@pytest.fixture()
def nodes(cluster: Cluster) -> tuple[Server, Server]:
    return cluster.nodes[0], cluster.nodes[1]


def use(node: Server, cloud: str = CLOUD, key: str = API_KEY, secret: str = API_SECRET) -> None:
    """Point the SDK at ``node`` (only through CLOUDINARY_URL, as an application would)."""
    os.environ["CLOUDINARY_URL"] = node.cloudinary_url(cloud, key, secret)
    cloudinary.reset_config()


@pytest.fixture(autouse=True)
def _sdk_config() -> Iterator[None]:
    yield
    os.environ.pop("CLOUDINARY_URL", None)
    cloudinary.reset_config()


def photo(path: Path, colour: tuple[int, int, int], size: int = 64) -> Path:
    """A small plain-coloured JPEG."""
    image = pyvips.Image.black(size, size, bands=3).new_from_image(list(colour))
    image.cast("uchar").copy(interpretation="srgb").write_to_file(str(path))
    return path


def delivered(node: Server, path: str) -> httpx.Response:
    return httpx.get(f"{node.base_url}/{CLOUD}/image/upload/{path}", timeout=60)


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def mean_red(data: bytes) -> float:
    return float(pyvips.Image.new_from_buffer(data, "").extract_band(0).avg())


# ------------------------------------------------------------------ upload, deliver, change


def test_upload_on_one_node_transform_and_deliver_on_the_other(
    nodes: tuple[Server, Server], tmp_path: Path
) -> None:
    one, two = nodes
    use(one)
    uploaded = cloudinary.uploader.upload(
        str(photo(tmp_path / "r.jpg", (250, 0, 0))), public_id="x/red"
    )
    original = delivered(two, "x/red.jpg")
    assert original.status_code == 200
    assert md5(original.content) == uploaded["etag"]
    resized = delivered(two, "c_fill,w_20,h_10/x/red.png")
    assert resized.status_code == 200
    image = pyvips.Image.new_from_buffer(resized.content, "")
    assert (image.width, image.height) == (20, 10)
    use(two)
    found = cloudinary.api.resource("x/red")  # the Admin API of the other node
    assert found["etag"] == uploaded["etag"]


def _remembered(node: Server, path: str) -> bytes:
    """Deliver twice, so the node's hit cache holds the answer."""
    first, second = delivered(node, path), delivered(node, path)
    assert first.status_code == second.status_code == 200
    return second.content


def test_an_overwrite_on_one_node_is_served_by_the_other(
    nodes: tuple[Server, Server], tmp_path: Path
) -> None:
    one, two = nodes
    use(one)
    cloudinary.uploader.upload(str(photo(tmp_path / "a.jpg", (250, 0, 0))), public_id="x/over")
    assert mean_red(_remembered(two, "x/over.jpg")) > 200
    assert mean_red(_remembered(two, "w_16/x/over.png")) > 200
    done = cloudinary.uploader.upload(
        str(photo(tmp_path / "b.jpg", (0, 0, 250))), public_id="x/over", overwrite=True
    )
    time.sleep(SETTLE_S)
    fresh = delivered(two, "x/over.jpg")
    assert md5(fresh.content) == done["etag"]
    assert mean_red(delivered(two, "w_16/x/over.png").content) < 50


def test_a_delete_on_one_node_is_served_by_the_other(
    nodes: tuple[Server, Server], tmp_path: Path
) -> None:
    one, two = nodes
    use(two)
    cloudinary.uploader.upload(str(photo(tmp_path / "d.jpg", (0, 250, 0))), public_id="x/gone")
    _remembered(one, "x/gone.jpg")
    _remembered(one, "w_8/x/gone.jpg")
    assert cloudinary.uploader.destroy("x/gone")["result"] == "ok"
    time.sleep(SETTLE_S)
    assert delivered(one, "x/gone.jpg").status_code == 404
    assert delivered(one, "w_8/x/gone.jpg").status_code == 404


def test_a_rename_on_one_node_is_served_by_the_other(
    nodes: tuple[Server, Server], tmp_path: Path
) -> None:
    one, two = nodes
    use(one)
    uploaded = cloudinary.uploader.upload(
        str(photo(tmp_path / "n.jpg", (9, 9, 9))), public_id="x/before"
    )
    _remembered(two, "x/before.jpg")
    cloudinary.uploader.rename("x/before", "x/after")
    time.sleep(SETTLE_S)
    assert delivered(two, "x/before.jpg").status_code == 404
    after = delivered(two, "x/after.jpg")
    assert after.status_code == 200 and md5(after.content) == uploaded["etag"]


# ------------------------------------------------------------------------- chunked upload


def _send_chunk(node: Server, data: bytes, start: int, total: int, upload_id: str) -> Any:
    params = {"public_id": "x/chunked", "timestamp": str(int(time.time()))}
    params["signature"] = cloudinary.utils.api_sign_request(params, API_SECRET)
    params["api_key"] = API_KEY
    headers = {
        "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}",
        "X-Unique-Upload-Id": upload_id,
    }
    answer = httpx.post(
        f"{node.base_url}/v1_1/{CLOUD}/image/upload",
        data=params,
        files={"file": ("big.png", data, "application/octet-stream")},
        headers=headers,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_chunked_upload_split_across_both_nodes(
    nodes: tuple[Server, Server], tmp_path: Path
) -> None:
    image = pyvips.Image.gaussnoise(300, 200).cast("uchar").bandjoin([128, 64])
    payload = image.copy(interpretation="srgb").write_to_buffer(".png")
    size = len(payload) // 4 + 1
    pieces = [(i, payload[i : i + size]) for i in range(0, len(payload), size)]
    assert len(pieces) == 4
    order = [2, 0, 3, 1]  # out of order, alternating nodes, completed on the second
    answers = [
        _send_chunk(nodes[n % 2], pieces[i][1], pieces[i][0], len(payload), "split-across")
        for n, i in enumerate(order)
    ]
    assert [a.get("done") for a in answers[:3]] == [False, False, False]
    result = answers[-1]
    assert result["public_id"] == "x/chunked"
    assert (result["width"], result["height"], result["bytes"]) == (300, 200, len(payload))
    assert md5(delivered(nodes[0], "x/chunked.png").content) == md5(payload)


# ------------------------------------------------------------------------------- webhooks


def test_webhooks_are_delivered_exactly_once(nodes: tuple[Server, Server], tmp_path: Path) -> None:
    picture = str(photo(tmp_path / "w.jpg", (1, 2, 3)))
    with webhook_receiver(delay_s=0) as receiver:
        for n in range(6):
            use(nodes[n % 2])
            cloudinary.uploader.upload(
                picture, public_id=f"hooks/{n}", notification_url=receiver.url
            )
        receiver.wait_for_count(6)
        time.sleep(1.5)  # what would arrive twice has had time to
        ids = sorted(body["public_id"] for body in receiver.bodies())
    assert ids == [f"hooks/{n}" for n in range(6)]


def test_a_duplicate_webhook_job_on_another_worker_posts_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    """A worker starting up re-queues jobs it finds marked running, which may still be
    running on another node: the duplicate must not send the notification again."""
    use(cluster.nodes[0])
    with webhook_receiver(delay_s=2.0) as receiver:
        cloudinary.uploader.upload(
            str(photo(tmp_path / "s.jpg", (3, 2, 1))),
            public_id="hooks/slow",
            notification_url=receiver.url,
        )
        receiver.wait_for_arrivals(1)  # one worker is sending it now
        delivery = _delivery_of(cluster, receiver.url)
        _queue_duplicate(cluster, delivery)
        receiver.wait_for_count(1)
        time.sleep(3.0)  # the duplicate has run on another worker meanwhile
        assert receiver.arrivals == 1
    assert _status_of(cluster, delivery) == ("delivered", 1)


def _delivery_of(cluster: Cluster, url: str) -> int:
    catalog = Catalog(cluster.database_url)
    try:
        found = [d.id for d in catalog.list_webhook_deliveries() if d.url == url]
    finally:
        catalog.close()
    assert len(found) == 1
    return found[0]


def _status_of(cluster: Cluster, delivery: int) -> tuple[str, int]:
    catalog = Catalog(cluster.database_url)
    try:
        found = catalog.get_webhook_delivery(delivery)
    finally:
        catalog.close()
    assert found is not None
    return found.status, found.attempts


def _queue_duplicate(cluster: Cluster, delivery: int) -> None:
    from huey import RedisHuey

    huey = RedisHuey(
        cluster.env["CLOUDLET_QUEUE_NAME"], url=cluster.env["CLOUDLET_QUEUE_URL"], results=False
    )
    HueyQueue(huey).enqueue("notify", {"delivery": delivery, "attempt": 0, "first": 0})


# ---------------------------------------------------------------------------- rate limits


def test_admin_api_rate_limits_are_counted_across_both_nodes(nodes: tuple[Server, Server]) -> None:
    remaining = []
    for n in range(RATE_LIMIT):
        use(nodes[n % 2], OTHER_CLOUD, OTHER_KEY, OTHER_SECRET)
        remaining.append(cloudinary.api.ping().rate_limit_remaining)
    assert remaining == list(range(RATE_LIMIT - 1, -1, -1))
    for node in nodes:
        use(node, OTHER_CLOUD, OTHER_KEY, OTHER_SECRET)
        with pytest.raises(cloudinary.exceptions.RateLimited):
            cloudinary.api.ping()


# ------------------------------------------------------------------------- single flight


def test_an_identical_cold_render_on_both_nodes_renders_once(
    cluster: Cluster, nodes: tuple[Server, Server], tmp_path: Path
) -> None:
    big = tmp_path / "big.png"
    pyvips.Image.gaussnoise(3000, 2000).cast("uchar").copy(interpretation="b-w").write_to_file(
        str(big)
    )
    use(nodes[0])
    cloudinary.uploader.upload(str(big), public_id="x/heavy")
    path = "e_blur:800,w_2000/x/heavy.png"
    before = cluster.metric("cloudlet_render_duration_seconds_count")
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(2)

    def request(node: Server) -> None:
        barrier.wait()
        answers.append(delivered(node, path))

    threads = [threading.Thread(target=request, args=(node,)) for node in nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    assert cluster.metric("cloudlet_render_duration_seconds_count") - before == 1
    assert len(cloudinary.api.resource("x/heavy")["derived"]) == 1


def test_fsck_finds_catalog_and_bucket_in_agreement(nodes: tuple[Server, Server]) -> None:
    """Nothing the nodes did left a blob without a record (chunk parts, claims, renders)."""
    done = nodes[1].cli("fsck")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_receiver_counts(cluster: Cluster) -> None:
    """The receiver this module relies on counts every POST (a test that cannot fail is a
    defect: a second POST of the same body must show)."""
    with webhook_receiver(delay_s=0) as receiver:
        for _ in range(2):
            httpx.post(receiver.url, json={"public_id": "same"})
        assert receiver.arrivals == 2
