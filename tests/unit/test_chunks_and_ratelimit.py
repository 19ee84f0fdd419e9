"""Chunked uploads (services/chunks.py) and Admin API rate limiting (web/ratelimit.py)."""

from __future__ import annotations

import email.utils
import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from cloudlet.catalog.catalog import Catalog
from cloudlet.errors import BadRequestError, FileTooLargeError, RateLimitedError
from cloudlet.services.chunks import (
    ChunkRange,
    parse_content_range,
    receive_chunk,
    sweep_abandoned,
)
from cloudlet.services.deps import Deps
from cloudlet.services.staging import Staged
from cloudlet.settings import Settings
from cloudlet.storage.local import LocalStorage
from cloudlet.web.ratelimit import HourlyRateLimiter, LimitExceededError, RedisCallCounter

MAX = 1024 * 1024

# ----------------------------------------------------------------------- Content-Range

RANGE_CASES = [
    ("bytes 0-4/10", ChunkRange(0, 4, 10)),
    ("bytes 5-9/10", ChunkRange(5, 9, 10)),
    ("bytes 0-0/1", ChunkRange(0, 0, 1)),
    ("  bytes 0-19999999/20000000  ", ChunkRange(0, 19999999, 20000000)),
    ("bytes   3-3/4", ChunkRange(3, 3, 4)),
    ("bytes 0-99999999999999999999/100000000000000000000", ChunkRange(0, 10**20 - 1, 10**20)),
]


@pytest.mark.parametrize(("header", "expected"), RANGE_CASES)
def test_parse_content_range(header: str, expected: ChunkRange) -> None:
    assert parse_content_range(header) == expected


BAD_RANGES = [
    "",
    "bytes",
    "bytes 0-4",
    "bytes 0-4/*",
    "bytes */10",
    "bytes=0-4/10",
    "0-4/10",
    "bytes 5-4/10",
    "bytes 0-10/10",
    "bytes 10-12/10",
    "bytes -1-4/10",
    "bytes 0-4/-10",
    "bytes 0-4/10, 5-9/10",
    "bytes a-b/c",
    "bytes 0.5-4/10",
    "items 0-4/10",
]


@pytest.mark.parametrize("header", BAD_RANGES)
def test_parse_content_range_refuses(header: str) -> None:
    with pytest.raises(BadRequestError) as info:
        parse_content_range(header)
    assert info.value.message == f"Invalid Content-Range header: {header!r}"


# ----------------------------------------------------------------------- receive_chunk


class Clock:
    """A settable clock for the sweep of abandoned uploads."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(tmp_path: Path, catalog: Catalog, clock: Clock) -> Deps:
    """A real catalog (SQLite and PostgreSQL) and blob store; the cloud ``chunks``."""
    settings = Settings(data_dir=tmp_path)
    storage = LocalStorage(settings.blob_dir, settings.tmp_dir / "staging")
    catalog.create_cloud("chunks", "123", "secret")
    return Deps(settings=settings, catalog=catalog, storage=storage, clock=clock)


def _cloud_id(deps: Deps) -> int:
    cloud = deps.catalog.get_cloud("chunks")
    assert cloud is not None
    return cloud.id


def _send(
    deps: Deps,
    data: bytes,
    start: int,
    total: int,
    *,
    upload_id: str = "abc123",
    max_bytes: int = MAX,
    body: bytes | None = None,
) -> Staged | int:
    """Send ``data[start:start+len]`` as one chunk (``body`` overrides what is streamed)."""
    end = start + len(data) - 1
    stream = io.BytesIO(data if body is None else body)
    return receive_chunk(
        deps,
        _cloud_id(deps),
        upload_id,
        f"bytes {start}-{end}/{total}",
        stream,
        "big.bin",
        max_bytes,
    )


def _part_blobs(deps: Deps) -> list[str]:
    return sorted(deps.storage.iter_keys(f"{_cloud_id(deps)}/chunks/"))


def _chunks(payload: bytes, size: int) -> list[tuple[int, bytes]]:
    return [(i, payload[i : i + size]) for i in range(0, len(payload), size)]


def _assert_assembled(result: Staged | int, payload: bytes) -> None:
    assert isinstance(result, Staged)
    assert result.path.read_bytes() == payload
    assert result.bytes == len(payload)
    assert result.etag == hashlib.md5(payload).hexdigest()
    assert result.filename == "big.bin"


PAYLOAD = os.urandom(1000) + b"end"


def test_one_chunk_for_the_whole_file(deps: Deps) -> None:
    result = _send(deps, PAYLOAD, 0, len(PAYLOAD))
    _assert_assembled(result, PAYLOAD)
    assert isinstance(result, Staged)
    assert result.path.parent == deps.settings.tmp_dir / "staging"


def test_chunks_in_order_report_progress_then_assemble(deps: Deps) -> None:
    parts = _chunks(PAYLOAD, 300)
    results = [_send(deps, data, start, len(PAYLOAD)) for start, data in parts]
    assert results[:-1] == [300, 600, 900]
    _assert_assembled(results[-1], PAYLOAD)


@pytest.mark.parametrize("order", [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]])
def test_chunks_out_of_order(deps: Deps, order: list[int]) -> None:
    parts = _chunks(PAYLOAD, 300)
    results = [_send(deps, parts[i][1], parts[i][0], len(PAYLOAD)) for i in order]
    assert all(isinstance(r, int) for r in results[:-1])
    _assert_assembled(results[-1], PAYLOAD)


def test_progress_counts_only_bytes_contiguous_from_the_start(deps: Deps) -> None:
    parts = _chunks(PAYLOAD, 300)
    assert _send(deps, parts[2][1], parts[2][0], len(PAYLOAD)) == 0
    assert _send(deps, parts[0][1], 0, len(PAYLOAD)) == 300
    assert _send(deps, parts[1][1], 300, len(PAYLOAD)) == 900


def test_a_retried_chunk_replaces_its_part(deps: Deps) -> None:
    half = len(PAYLOAD) // 2
    garbled = b"\x00" * half
    assert _send(deps, garbled, 0, len(PAYLOAD)) == half
    assert _send(deps, PAYLOAD[:half], 0, len(PAYLOAD)) == half  # the retry, same range
    assert len(deps.catalog.chunk_parts(_cloud_id(deps), "abc123")) == 1
    assert len(_part_blobs(deps)) == 1  # the garbled part's blob is gone
    _assert_assembled(_send(deps, PAYLOAD[half:], half, len(PAYLOAD)), PAYLOAD)


def test_overlapping_chunks_assemble_once(deps: Deps) -> None:
    total = len(PAYLOAD)
    assert _send(deps, PAYLOAD[0:600], 0, total) == 600
    _assert_assembled(_send(deps, PAYLOAD[400:], 400, total), PAYLOAD)


def test_assembling_removes_the_parts_and_their_blobs(deps: Deps) -> None:
    assert _send(deps, PAYLOAD[:10], 0, len(PAYLOAD)) == 10
    assert len(_part_blobs(deps)) == 1
    _send(deps, PAYLOAD[10:], 10, len(PAYLOAD))
    assert deps.catalog.chunk_parts(_cloud_id(deps), "abc123") == []
    assert _part_blobs(deps) == []
    assert deps.catalog.journal_entries() == []


def test_parts_are_blobs_any_node_can_read(deps: Deps, tmp_path: Path) -> None:
    """A second node (its own data dir, the same catalog and blob store) completes it."""
    other = Deps(
        settings=Settings(data_dir=tmp_path / "node2"),
        catalog=deps.catalog,
        storage=deps.storage,
        clock=deps.clock,
    )
    half = len(PAYLOAD) // 2
    assert _send(deps, PAYLOAD[:half], 0, len(PAYLOAD)) == half
    _assert_assembled(_send(other, PAYLOAD[half:], half, len(PAYLOAD)), PAYLOAD)


def test_only_one_node_takes_the_parts(deps: Deps) -> None:
    cloud_id = _cloud_id(deps)
    _send(deps, PAYLOAD[:10], 0, len(PAYLOAD))
    taken = deps.catalog.take_chunk_parts(cloud_id, "abc123", deps.now())
    assert len(taken) == 1
    assert deps.catalog.take_chunk_parts(cloud_id, "abc123", deps.now()) == []
    assert deps.catalog.journal_entries() == [taken[0].storage_key]  # swept if nobody assembles


def test_uploads_with_different_ids_do_not_mix(deps: Deps) -> None:
    other = bytes(reversed(PAYLOAD))
    half = len(PAYLOAD) // 2
    assert _send(deps, PAYLOAD[:half], 0, len(PAYLOAD), upload_id="one") == half
    assert _send(deps, other[:half], 0, len(other), upload_id="two") == half
    _assert_assembled(_send(deps, other[half:], half, len(other), upload_id="two"), other)
    _assert_assembled(_send(deps, PAYLOAD[half:], half, len(PAYLOAD), upload_id="one"), PAYLOAD)


@pytest.mark.parametrize("body", [b"abc", b""])
def test_a_short_chunk_is_refused_and_leaves_no_part(deps: Deps, body: bytes) -> None:
    with pytest.raises(BadRequestError) as info:
        _send(deps, b"12345", 0, 10, body=body)
    assert info.value.message == (
        f"Chunk size {len(body)} does not match Content-Range 'bytes 0-4/10'"
    )
    assert _part_blobs(deps) == []
    assert deps.catalog.chunk_parts(_cloud_id(deps), "abc123") == []
    # the upload can go on: the whole range still arrives
    assert _send(deps, b"12345", 0, 10) == 5


def test_a_long_chunk_is_refused_and_leaves_no_part(deps: Deps) -> None:
    with pytest.raises(BadRequestError, match="Chunk is longer than its Content-Range"):
        _send(deps, b"12345", 0, 10, body=b"1234567")
    assert _part_blobs(deps) == []


def test_a_total_over_the_limit_is_refused_before_anything_is_written(deps: Deps) -> None:
    with pytest.raises(FileTooLargeError) as info:
        _send(deps, b"12345", 0, 101, max_bytes=100)
    assert info.value.status == 400
    assert info.value.message == "File size too large. Got 101. Maximum is 100."
    assert _part_blobs(deps) == []


def test_a_total_at_the_limit_is_accepted(deps: Deps) -> None:
    _assert_assembled(_send(deps, PAYLOAD, 0, len(PAYLOAD), max_bytes=len(PAYLOAD)), PAYLOAD)


@pytest.mark.parametrize("upload_id", ["", "../escape", "a/b", "a b", "x" * 65, "ü"])
def test_bad_upload_ids_are_refused(deps: Deps, upload_id: str) -> None:
    with pytest.raises(BadRequestError, match="X-Unique-Upload-Id"):
        _send(deps, b"12345", 0, 10, upload_id=upload_id)


def test_a_bad_content_range_is_refused(deps: Deps) -> None:
    with pytest.raises(BadRequestError, match="Invalid Content-Range"):
        receive_chunk(deps, _cloud_id(deps), "abc", "bytes 0-4/*", io.BytesIO(b"12345"), "f", MAX)


# ------------------------------------------------------------------------------ sweep


def test_sweep_without_parts_does_nothing(deps: Deps) -> None:
    assert sweep_abandoned(deps, 0) == 0


def test_sweep_removes_only_uploads_untouched_for_long(deps: Deps, clock: Clock) -> None:
    _send(deps, PAYLOAD[:10], 0, len(PAYLOAD), upload_id="old")
    _send(deps, PAYLOAD[10:20], 10, len(PAYLOAD), upload_id="old")
    clock.now += timedelta(hours=2)
    _send(deps, PAYLOAD[:10], 0, len(PAYLOAD), upload_id="new")
    assert sweep_abandoned(deps, 3600) == 2
    assert deps.catalog.chunk_parts(_cloud_id(deps), "old") == []
    assert len(deps.catalog.chunk_parts(_cloud_id(deps), "new")) == 1
    assert len(_part_blobs(deps)) == 1
    assert deps.catalog.journal_entries() == []


def test_sweep_defaults_to_the_configured_expiry(deps: Deps, clock: Clock) -> None:
    deps = Deps(
        settings=Settings(data_dir=deps.settings.data_dir, chunk_expiry_s=100),
        catalog=deps.catalog,
        storage=deps.storage,
        clock=clock,
    )
    _send(deps, PAYLOAD[:10], 0, len(PAYLOAD), upload_id="stale")
    clock.now += timedelta(seconds=150)
    _send(deps, PAYLOAD[:10], 0, len(PAYLOAD), upload_id="fresh")
    assert sweep_abandoned(deps) == 1
    assert deps.catalog.chunk_parts(_cloud_id(deps), "stale") == []


def test_a_chunk_arriving_keeps_its_upload_from_the_sweep(deps: Deps, clock: Clock) -> None:
    assert _send(deps, PAYLOAD[:10], 0, len(PAYLOAD)) == 10
    clock.now += timedelta(hours=2)
    assert _send(deps, PAYLOAD[10:20], 10, len(PAYLOAD)) == 20
    assert sweep_abandoned(deps, 3600) == 0
    _assert_assembled(_send(deps, PAYLOAD[20:], 20, len(PAYLOAD)), PAYLOAD)


# ------------------------------------------------------------------------- rate limit

T0 = datetime(2024, 10, 4, 13, 25, 7, 123456, tzinfo=UTC)


def test_rate_limit_headers_count_down() -> None:
    limiter = HourlyRateLimiter(3)
    remaining = [limiter.hit("demo", T0)["X-FeatureRateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]


def test_rate_limit_headers_as_the_sdk_reads_them() -> None:
    headers = HourlyRateLimiter(500).hit("demo", T0)
    assert set(headers) == {
        "X-FeatureRateLimit-Limit",
        "X-FeatureRateLimit-Remaining",
        "X-FeatureRateLimit-Reset",
    }
    assert int(headers["X-FeatureRateLimit-Limit"]) == 500
    assert int(headers["X-FeatureRateLimit-Remaining"]) == 499
    # RFC 2822 date of the start of the next clock hour, as pycloudinary parses it
    assert headers["X-FeatureRateLimit-Reset"] == "Fri, 04 Oct 2024 14:00:00 GMT"
    parsed = email.utils.parsedate(headers["X-FeatureRateLimit-Reset"])
    assert parsed is not None and parsed[:6] == (2024, 10, 4, 14, 0, 0)


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        (datetime(2024, 10, 4, 13, 0, 0, tzinfo=UTC), "Fri, 04 Oct 2024 14:00:00 GMT"),
        (datetime(2024, 10, 4, 13, 59, 59, 999999, tzinfo=UTC), "Fri, 04 Oct 2024 14:00:00 GMT"),
        (datetime(2024, 12, 31, 23, 30, tzinfo=UTC), "Wed, 01 Jan 2025 00:00:00 GMT"),
        (
            datetime(2024, 10, 4, 15, 25, tzinfo=timezone(timedelta(hours=2))),
            "Fri, 04 Oct 2024 14:00:00 GMT",
        ),
        (
            datetime(2024, 10, 4, 8, 40, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
            "Fri, 04 Oct 2024 15:00:00 GMT",
        ),
    ],
)
def test_rate_limit_reset_is_the_next_utc_hour(now: datetime, reset: str) -> None:
    assert HourlyRateLimiter(5).hit("demo", now)["X-FeatureRateLimit-Reset"] == reset


def test_over_the_limit_raises_rate_limited() -> None:
    limiter = HourlyRateLimiter(2)
    limiter.hit("demo", T0)
    limiter.hit("demo", T0)
    with pytest.raises(RateLimitedError) as info:
        limiter.hit("demo", T0)
    assert info.value.status == 420
    assert info.value.message == (
        "Rate Limit Exceeded. Limit of 2 api operations reached. "
        "Try again on 2024-10-04 14:00:00 UTC"
    )
    with pytest.raises(RateLimitedError):
        limiter.hit("demo", T0 + timedelta(minutes=30))


def test_rate_limits_are_per_cloud() -> None:
    limiter = HourlyRateLimiter(1)
    limiter.hit("one", T0)
    assert limiter.hit("two", T0)["X-FeatureRateLimit-Remaining"] == "0"
    with pytest.raises(RateLimitedError):
        limiter.hit("one", T0)


def test_a_new_hour_resets_the_count() -> None:
    limiter = HourlyRateLimiter(2)
    limiter.hit("demo", T0)
    limiter.hit("demo", T0)
    with pytest.raises(RateLimitedError):
        limiter.hit("demo", T0)
    next_hour = T0.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    headers = limiter.hit("demo", next_hour)
    assert headers["X-FeatureRateLimit-Remaining"] == "1"
    assert headers["X-FeatureRateLimit-Reset"] == "Fri, 04 Oct 2024 15:00:00 GMT"


def test_the_same_hour_in_another_time_zone_does_not_reset() -> None:
    limiter = HourlyRateLimiter(2)
    limiter.hit("demo", T0)
    same_hour_elsewhere = T0.astimezone(timezone(timedelta(hours=9)))
    assert limiter.hit("demo", same_hour_elsewhere)["X-FeatureRateLimit-Remaining"] == "0"


def test_over_the_limit_carries_the_headers() -> None:
    limiter = HourlyRateLimiter(1)
    limiter.hit("demo", T0)
    with pytest.raises(LimitExceededError) as info:
        limiter.hit("demo", T0)
    assert info.value.headers["X-FeatureRateLimit-Remaining"] == "0"
    assert info.value.headers["X-FeatureRateLimit-Limit"] == "1"


def test_the_limiter_counts_through_its_counter() -> None:
    seen: list[tuple[str, int]] = []

    class Recording:
        def count(self, cloud: str, window: int) -> int:
            seen.append((cloud, window))
            return 7

    headers = HourlyRateLimiter(10, Recording()).hit("demo", T0)
    assert headers["X-FeatureRateLimit-Remaining"] == "3"
    assert seen == [("demo", int(datetime(2024, 10, 4, 13, tzinfo=UTC).timestamp()))]


REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture()
def redis_counter() -> Iterator[RedisCallCounter]:
    """A counter on the local Redis under a fresh namespace (skipped without Redis, except
    in CI where that fails); its keys are removed afterwards."""
    counter = RedisCallCounter(REDIS_URL, f"cloudlet-test-{uuid.uuid4().hex[:8]}")
    try:
        counter.client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no Redis here
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    yield counter
    for key in counter.client.scan_iter(f"{counter.namespace}:*"):
        counter.client.delete(key)


def test_redis_counter_counts_per_cloud_and_window(redis_counter: RedisCallCounter) -> None:
    assert [redis_counter.count("demo", 3600) for _ in range(3)] == [1, 2, 3]
    assert redis_counter.count("other", 3600) == 1
    assert redis_counter.count("demo", 7200) == 1
    ttl = redis_counter.client.ttl(f"{redis_counter.namespace}:admin-calls:demo:3600")
    assert 0 < ttl <= 7200  # the counter goes away on its own


def test_two_redis_counters_share_the_count(redis_counter: RedisCallCounter) -> None:
    other = RedisCallCounter(REDIS_URL, redis_counter.namespace)
    with ThreadPoolExecutor(8) as pool:
        seen = list(
            pool.map(lambda i: (redis_counter, other)[i % 2].count("demo", 3600), range(40))
        )
    assert sorted(seen) == list(range(1, 41))
