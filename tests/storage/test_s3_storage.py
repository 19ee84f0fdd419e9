"""What S3Storage does beyond the contract suite: multipart uploads, the local disk cache,
several machines sharing one bucket, errors, its URL; and the DiskCache on its own.

Everything runs against moto's S3 server on loopback (tests/s3server.py).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.s3server import storage_url

from cloudlet.errors import BadRequestError, CloudletError, NotFoundError
from cloudlet.storage.cache import DiskCache
from cloudlet.storage.keys import TEMP_PREFIX
from cloudlet.storage.s3 import MB, S3Location, S3Storage, parse_s3_url


def _node(url: str, root: Path, client: object, cache_bytes: int = 64 * MB) -> S3Storage:
    """One machine: its own staging dir and disk cache, the shared bucket."""
    return S3Storage(
        parse_s3_url(url), root / "staging", DiskCache(root / "cache", cache_bytes), client
    )


@pytest.fixture
def node(s3_storage_url: str, s3_client: object, tmp_path: Path) -> S3Storage:
    return _node(s3_storage_url, tmp_path / "a", s3_client)


@pytest.fixture
def other_node(s3_storage_url: str, s3_client: object, tmp_path: Path) -> S3Storage:
    return _node(s3_storage_url, tmp_path / "b", s3_client)


Watch = Callable[[S3Storage], list[str]]


@pytest.fixture
def watch() -> Iterator[Watch]:
    """``watch(storage)``: the S3 operations its client sends from then on (botocore's
    event hooks), unhooked at the end of the test."""
    hooks: list[tuple[Any, Callable[..., None]]] = []

    def start(storage: S3Storage) -> list[str]:
        seen: list[str] = []

        def record(model: Any, **_: Any) -> None:
            seen.append(model.name)

        storage.client.meta.events.register("before-call.s3", record)
        hooks.append((storage.client, record))
        return seen

    yield start
    for client, record in hooks:
        client.meta.events.unregister("before-call.s3", record)


def _object(node: S3Storage, key: str) -> dict[str, Any]:
    return dict(node.client.head_object(Bucket=node.bucket, Key=node.prefix + key))


# ------------------------------------------------------------------------- objects


def test_keys_live_under_the_prefix_in_the_bucket(node: S3Storage) -> None:
    node.put_bytes("1/originals/ab/abcdef", b"bytes")
    listed = node.client.list_objects_v2(Bucket=node.bucket, Prefix=node.prefix)
    assert [o["Key"] for o in listed["Contents"]] == [node.prefix + "1/originals/ab/abcdef"]
    assert node.prefix.endswith("/blobs/")


def test_large_files_go_up_in_parts(
    s3_endpoint: str, s3_bucket: str, s3_client: object, tmp_path: Path
) -> None:
    url = storage_url(
        s3_endpoint, s3_bucket, "multipart", multipart_threshold_mb="5", multipart_chunk_mb="5"
    )
    node = _node(url, tmp_path, s3_client)
    data = os.urandom(12 * MB)
    staged = node.new_staging_path()
    staged.write_bytes(data)
    node.put_file("big", staged)
    assert _object(node, "big")["ETag"].strip('"').endswith("-3")  # 5 + 5 + 2 MB
    assert not staged.exists()
    assert node.md5("big") == hashlib.md5(data).hexdigest()
    node.put_bytes("big-bytes", data)
    assert _object(node, "big-bytes")["ETag"].strip('"').endswith("-3")
    node.cache.discard("big")
    assert node.local_path("big").read_bytes() == data  # downloaded again, in ranges


def test_small_blobs_are_one_put(node: S3Storage, watch: Watch) -> None:
    calls = watch(node)
    node.put_bytes("small", b"x" * 1000)
    assert calls == ["PutObject"]
    assert "-" not in _object(node, "small")["ETag"]


# --------------------------------------------------------------------------- cache


def test_written_blobs_are_served_from_the_cache(node: S3Storage, watch: Watch) -> None:
    node.put_bytes("derived/ab/cd", b"rendered")
    staged = node.new_staging_path()
    staged.write_bytes(b"uploaded")
    node.put_file("originals/ab/cd", staged)
    calls = watch(node)
    assert node.local_path("derived/ab/cd").read_bytes() == b"rendered"
    assert node.local_path("originals/ab/cd").read_bytes() == b"uploaded"
    with node.open("originals/ab/cd") as file:
        assert file.read() == b"uploaded"
    assert calls == []  # no request to S3 at all


def test_another_machine_downloads_once_then_reads_locally(
    node: S3Storage, other_node: S3Storage, watch: Watch
) -> None:
    node.put_bytes("k", b"from node a")
    calls = watch(other_node)
    path = other_node.local_path("k")
    assert path.read_bytes() == b"from node a"
    assert path.is_relative_to(other_node.cache.root)
    assert calls.count("GetObject") == 1
    calls.clear()
    assert other_node.local_path("k") == path
    assert calls == []


def test_exists_and_size_ask_the_bucket_not_the_cache(
    node: S3Storage, other_node: S3Storage
) -> None:
    node.put_bytes("k", b"12345")
    other_node.local_path("k")
    assert node.delete("k") is True
    # the other machine still has its copy, but the bucket is authoritative
    assert other_node.exists("k") is False
    with pytest.raises(NotFoundError):
        other_node.size("k")
    assert other_node.delete("k") is False
    assert not other_node.cache.path_of("k").exists()


def test_delete_drops_the_local_copy(node: S3Storage) -> None:
    node.put_bytes("k", b"x")
    copy = node.cache.path_of("k")
    assert copy.exists()
    node.delete("k")
    assert not copy.exists()
    with pytest.raises(NotFoundError):
        node.local_path("k")


def test_a_copy_evicted_while_opening_is_downloaded_again(
    node: S3Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    node.put_bytes("k", b"bytes")
    real = node.local_path
    evictions = []

    def evicting(key: str) -> Path:
        path = real(key)
        if not evictions:
            evictions.append(key)
            path.unlink()  # another process evicted it right after it was found
        return path

    monkeypatch.setattr(node, "local_path", evicting)
    with node.open("k") as file:
        assert file.read() == b"bytes"


def test_md5_reads_the_bucket_not_the_cache(node: S3Storage) -> None:
    node.put_bytes("k", b"good bytes")
    node.client.put_object(Bucket=node.bucket, Key=node.prefix + "k", Body=b"bad! bytes")
    assert node.local_path("k").read_bytes() == b"good bytes"  # the stale local copy
    assert node.md5("k") == hashlib.md5(b"bad! bytes").hexdigest()


def test_the_cache_stays_within_its_budget(
    s3_storage_url: str, s3_client: object, tmp_path: Path
) -> None:
    node = _node(s3_storage_url, tmp_path, s3_client, cache_bytes=1 * MB)
    for i in range(12):
        node.put_bytes(f"blob/{i}", bytes([i]) * 200_000)
    assert node.cache.size() <= 1 * MB
    kept = [i for i in range(12) if node.cache.path_of(f"blob/{i}").exists()]
    assert kept and kept[-1] == 11  # the newest stay
    for i in range(12):  # every blob is still there, evicted ones are downloaded again
        assert node.local_path(f"blob/{i}").read_bytes() == bytes([i]) * 200_000


# ------------------------------------------------------------------------- errors


def test_an_unreachable_store_is_a_server_error(tmp_path: Path) -> None:
    import boto3
    from botocore.config import Config

    url = storage_url("http://127.0.0.1:9", "nowhere-bucket")
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )
    node = _node(url, tmp_path, client)
    for call in (
        lambda: node.put_bytes("k", b"x"),
        lambda: node.exists("k"),
        lambda: node.local_path("k"),
        lambda: list(node.iter_keys()),
        node.check,
    ):
        with pytest.raises(CloudletError) as info:
            call()
        assert info.value.status == 500
        assert "Blob store error" in info.value.message
        assert "127.0.0.1" not in info.value.message  # no endpoint or credentials leak
    assert list(Path(tmp_path / "cache").rglob(f"{TEMP_PREFIX}*")) == []


def test_check_passes_on_a_reachable_bucket(node: S3Storage) -> None:
    node.check()


def test_a_missing_bucket_fails_the_check(
    s3_endpoint: str, s3_client: object, tmp_path: Path
) -> None:
    node = _node(storage_url(s3_endpoint, "no-such-bucket-here"), tmp_path, s3_client)
    with pytest.raises(CloudletError):
        node.check()


# ---------------------------------------------------------------------------- URL


def test_storage_url_options() -> None:
    location = parse_s3_url(
        "s3://media/cloudlet/prod?endpoint_url=https://acc.r2.cloudflarestorage.com"
        "&region=auto&addressing_style=path&multipart_threshold_mb=100&multipart_chunk_mb=8"
    )
    assert location == S3Location(
        bucket="media",
        prefix="cloudlet/prod",
        endpoint_url="https://acc.r2.cloudflarestorage.com",
        region="auto",
        addressing_style="path",
        multipart_threshold=100 * MB,
        multipart_chunk=8 * MB,
    )
    assert parse_s3_url("s3://bucket") == S3Location(bucket="bucket")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://bucket/x", "must look like s3://bucket"),
        ("s3:///prefix", "must look like s3://bucket"),
        ("s3://bucket/a/../b", "Invalid storage key"),
        ("s3://bucket?endpoint=http://x", "unknown option(s) endpoint"),
        ("s3://bucket?addressing_style=dns", "addressing_style"),
        ("s3://bucket?multipart_chunk_mb=1", "at least 5"),
        ("s3://bucket?multipart_threshold_mb=big", "whole number"),
    ],
)
def test_bad_storage_urls(url: str, message: str) -> None:
    with pytest.raises(BadRequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_s3_url(url)


# ------------------------------------------------------------------- DiskCache alone


def _fill(cache: DiskCache, key: str, size: int, age_s: float = 0) -> Path:
    path = cache.put_bytes(key, b"x" * size)
    if age_s:
        stamp = time.time() - age_s
        os.utime(path, (stamp, stamp))
    return path


def test_cache_evicts_least_recently_used_first(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 1000)
    old = _fill(cache, "old", 400, age_s=300)
    used = _fill(cache, "used", 400, age_s=200)
    assert cache.get("used") == used  # a hit over a minute old refreshes the file's time
    _fill(cache, "new", 400)
    assert not old.exists() and used.exists() and cache.get("new") is not None
    assert cache.size() <= 1000


def test_cache_keeps_a_blob_larger_than_itself_until_the_next_write(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 100)
    huge = _fill(cache, "huge", 500)
    assert huge.exists()  # just handed out: never evicted under the caller's feet
    _fill(cache, "next", 10)
    assert not huge.exists()


def test_cache_counts_what_other_processes_add(tmp_path: Path) -> None:
    mine, theirs = DiskCache(tmp_path, 1000), DiskCache(tmp_path, 1000)
    _fill(mine, "a", 300, age_s=100)
    _fill(theirs, "b", 300, age_s=50)
    _fill(theirs, "c", 300, age_s=10)
    _fill(mine, "d", 300)  # over budget only counting all processes: found by the rescan
    assert mine.size() <= 1000
    assert mine.get("a") is None and mine.get("d") is not None


def test_cache_names_are_hashes_and_stray_temp_files_are_swept(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 10_000)
    path = _fill(cache, "../../etc/passwd", 3)
    assert path.is_relative_to(tmp_path) and ".." not in path.parts
    stray = tmp_path / f"{TEMP_PREFIX}crashed"
    stray.write_bytes(b"half")
    stamp = time.time() - 7200
    os.utime(stray, (stamp, stamp))
    fresh = tmp_path / f"{TEMP_PREFIX}downloading"
    fresh.write_bytes(b"in flight")
    assert cache.size() == 3
    assert not stray.exists() and fresh.exists()


def test_cache_discard(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 10_000)
    _fill(cache, "k", 3)
    cache.discard("k")
    cache.discard("k")
    assert cache.get("k") is None
