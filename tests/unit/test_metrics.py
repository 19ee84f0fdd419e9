"""The metrics registry: slots per process in shared files, summed across processes, and a
valid Prometheus text exposition (checked with prometheus_client's own parser)."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cloudlet.metrics.registry import HTTP_BUCKETS, Metrics
from cloudlet.metrics.store import ProcessSlots, clear, layout_digest, read_totals

ROUTES = ["/v1_1/{cloud}/ping", "/{cloud}/{rest:path}", '/odd"route\\']


def _families(text: str) -> dict[str, object]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """{sorted label pairs: value} of every sample called ``name``."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_requests_are_counted_by_route_method_and_status(tmp_path: Path) -> None:
    metrics = Metrics(tmp_path, ROUTES)
    ping = metrics.series("/v1_1/{cloud}/ping", "GET")
    for status in (200, 200, 401, 418):  # 418 is not a listed status: "other"
        metrics.observe(*ping, status, 0.002)
    metrics.observe(*metrics.series("/nowhere", "BREW"), 404, 0.5)  # unknown: other, other
    counts = _samples(metrics.exposition(), "cloudlet_http_requests_total")
    assert counts == {
        (("method", "GET"), ("route", "/v1_1/{cloud}/ping"), ("status", "200")): 2,
        (("method", "GET"), ("route", "/v1_1/{cloud}/ping"), ("status", "401")): 1,
        (("method", "GET"), ("route", "/v1_1/{cloud}/ping"), ("status", "other")): 1,
        (("method", "other"), ("route", "other"), ("status", "404")): 1,
    }


def test_durations_are_a_cumulative_histogram_with_inclusive_bounds(tmp_path: Path) -> None:
    metrics = Metrics(tmp_path, ROUTES)
    series = metrics.series("/{cloud}/{rest:path}", "GET")
    for seconds in (0.0005, 0.001, 0.003, 20.0):
        metrics.observe(*series, 200, seconds)
    text = metrics.exposition()
    buckets = {
        dict(labels)["le"]: value
        for labels, value in _samples(text, "cloudlet_http_request_duration_seconds_bucket").items()
    }
    assert buckets["0.001"] == 2  # 0.001 itself falls in le="0.001"
    assert buckets["0.0025"] == 2 and buckets["0.005"] == 3 and buckets["10.0"] == 3
    assert buckets["+Inf"] == 4 and len(buckets) == len(HTTP_BUCKETS) + 1
    [total] = _samples(text, "cloudlet_http_request_duration_seconds_sum").values()
    assert total == pytest.approx(20.0045)
    assert list(_samples(text, "cloudlet_http_request_duration_seconds_count").values()) == [4]


def test_renders_hit_ratio_and_gauges(tmp_path: Path) -> None:
    metrics = Metrics(tmp_path, ROUTES)
    metrics.observe_render(0.2)
    metrics.observe_render(3.0)
    for hit in (True, True, True, False):
        metrics.values[metrics.hit_slot if hit else metrics.miss_slot] += 1
    text = metrics.exposition([("cloudlet_queue_jobs_pending", "Jobs waiting.", 7)])
    families = _families(text)
    assert set(families) >= {
        "cloudlet_http_requests",
        "cloudlet_http_request_duration_seconds",
        "cloudlet_render_duration_seconds",
        "cloudlet_hit_cache_requests",
        "cloudlet_hit_cache_hit_ratio",
        "cloudlet_queue_jobs_pending",
    }
    assert list(_samples(text, "cloudlet_render_duration_seconds_count").values()) == [2]
    assert list(_samples(text, "cloudlet_hit_cache_hit_ratio").values()) == [0.75]
    assert list(_samples(text, "cloudlet_queue_jobs_pending").values()) == [7]


def test_label_values_are_escaped(tmp_path: Path) -> None:
    metrics = Metrics(tmp_path, ROUTES)
    metrics.observe(*metrics.series('/odd"route\\', "POST"), 200, 0.01)
    routes = {
        dict(k)["route"] for k in _samples(metrics.exposition(), "cloudlet_http_requests_total")
    }
    assert routes == {'/odd"route\\'}


def _count_in_child(directory: str, n: int) -> None:
    metrics = Metrics(Path(directory), ROUTES)
    series = metrics.series("/v1_1/{cloud}/ping", "GET")
    for _ in range(n):
        metrics.observe(*series, 200, 0.001)


def test_processes_add_up(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    children = [context.Process(target=_count_in_child, args=(str(tmp_path), n)) for n in (3, 5)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    mine = Metrics(tmp_path, ROUTES)
    _count_in_child(str(tmp_path), 2)
    counts = _samples(mine.exposition(), "cloudlet_http_requests_total")
    assert list(counts.values()) == [10]  # the exited children's counts stay in the totals
    assert len(list(tmp_path.glob("*.metrics"))) == 3


def test_a_reused_pid_keeps_counting_and_other_layouts_are_ignored(tmp_path: Path) -> None:
    first = Metrics(tmp_path, ROUTES)
    first.observe(*first.series("/v1_1/{cloud}/ping", "GET"), 200, 0.001)
    again = Metrics(tmp_path, ROUTES)  # same pid, same layout: the same slots
    assert again.values[again.series("/v1_1/{cloud}/ping", "GET")[0]] == 1
    other = Metrics(tmp_path / "other", ["/a", "/b"])
    (tmp_path / "99999999.metrics").write_bytes(
        (tmp_path / "other" / f"{os.getpid()}.metrics").read_bytes()
    )
    assert list(_samples(again.exposition(), "cloudlet_http_requests_total").values()) == [1]
    assert other.digest != again.digest


def test_a_new_layout_starts_the_file_over(tmp_path: Path) -> None:
    slots = ProcessSlots(tmp_path, 4, layout_digest("one"))
    slots.values[0] += 5
    slots = ProcessSlots(tmp_path, 6, layout_digest("two"))
    assert list(slots.values) == [0.0] * 6
    assert read_totals(tmp_path, 6, layout_digest("two")) == [0.0] * 6
    assert clear(tmp_path) == 1 and read_totals(tmp_path, 6, layout_digest("two")) == [0.0] * 6
