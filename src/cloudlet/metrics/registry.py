"""What Cloudlet measures, where each series lives in the shared slots, and the Prometheus
text format (version 0.0.4) of the totals.

Series (all summed over the server's processes, see ``store``):

- ``cloudlet_http_requests_total{route,method,status}``: answers by route template (the
  router's, e.g. ``/v1_1/{cloud}/resources/{rest:path}``; ``other`` when no route matched)
- ``cloudlet_http_request_duration_seconds{route,method}``: histogram of answer times
- ``cloudlet_render_duration_seconds``: histogram of derivative renders
- ``cloudlet_hit_cache_requests_total{result}``: delivery hit-cache lookups, ``hit``/``miss``

Label sets are fixed when the process starts (routes from the route table, a fixed list of
methods and statuses, anything else counted as ``other``), so every series has a slot and
recording never allocates.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from pathlib import Path

from cloudlet.metrics.store import ProcessSlots, layout_digest, read_totals

OTHER = "other"
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")
STATUSES: tuple[int, ...] = (200, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405, 409)
STATUSES += (413, 416, 420, 499, 500, 502, 503, 504)
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RENDER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
Gauge = tuple[str, str, float]  # name, help, value


class Metrics:
    """The slots of this process and the layout every process of the server shares."""

    def __init__(self, directory: Path, routes: Iterable[str]) -> None:
        self.directory = directory
        self.routes = [*dict.fromkeys(r for r in routes if r != OTHER), OTHER]
        self.route_index = {route: i for i, route in enumerate(self.routes)}
        self.method_index = {method: i for i, method in enumerate(METHODS)}
        self.status_index = {status: i for i, status in enumerate(STATUSES)}
        self._methods = len(METHODS) + 1
        self._statuses = len(STATUSES) + 1
        self.http_width = len(HTTP_BUCKETS) + 2  # finite buckets, +Inf, then the sum
        series = len(self.routes) * self._methods
        self._durations_at = series * self._statuses
        self._render_at = self._durations_at + series * self.http_width
        self._hits_at = self._render_at + len(RENDER_BUCKETS) + 2
        self.size = self._hits_at + 2
        self.digest = layout_digest(repr((self.routes, METHODS, STATUSES, HTTP_BUCKETS)))
        self.slots = ProcessSlots(directory, self.size, self.digest)
        self.values = self.slots.values
        self.hit_slot, self.miss_slot = self._hits_at, self._hits_at + 1

    # --------------------------------------------------------------------------- indexes

    def series(self, route: str, method: str) -> tuple[int, int]:
        """(first request-count slot, first duration slot) of a route and method; add the
        status index (``status_slot``) to the first, ``duration_offset`` to the second."""
        r = self.route_index.get(route, self.route_index[OTHER])
        m = self.method_index.get(method, len(METHODS))
        pair = r * self._methods + m
        return pair * self._statuses, self._durations_at + pair * self.http_width

    def status_slot(self, status: int) -> int:
        """The offset of ``status`` among a series' request counts."""
        return self.status_index.get(status, len(STATUSES))

    # --------------------------------------------------------------------------- record

    def observe(self, counts_at: int, durations_at: int, status: int, seconds: float) -> None:
        """One answer (event-loop thread only: no lock)."""
        values = self.values
        values[counts_at + self.status_index.get(status, len(STATUSES))] += 1.0
        values[durations_at + bisect_left(HTTP_BUCKETS, seconds)] += 1.0
        values[durations_at + len(HTTP_BUCKETS) + 1] += seconds

    def observe_render(self, seconds: float) -> None:
        """One render (any thread)."""
        base = self._render_at
        with self.slots.lock:
            self.values[base + bisect_left(RENDER_BUCKETS, seconds)] += 1.0
            self.values[base + len(RENDER_BUCKETS) + 1] += seconds

    # ------------------------------------------------------------------------ exposition

    def totals(self) -> list[float]:
        """Every process's slots, added up."""
        return read_totals(self.directory, self.size, self.digest)

    def exposition(self, gauges: Sequence[Gauge] = ()) -> str:
        """The Prometheus text format of the totals, plus ``gauges`` measured at scrape."""
        totals = self.totals()
        hits, misses = totals[self.hit_slot], totals[self.miss_slot]
        ratio = hits / (hits + misses) if hits + misses else 0.0
        lines = [
            *self._requests(totals),
            *self._durations(totals),
            *_histogram(
                "cloudlet_render_duration_seconds",
                "Time to render a derivative (libvips pipeline), seconds.",
                [("", totals[self._render_at : self._render_at + len(RENDER_BUCKETS) + 2])],
                RENDER_BUCKETS,
                always=True,
            ),
            "# HELP cloudlet_hit_cache_requests_total Delivery hit-cache lookups by result.",
            "# TYPE cloudlet_hit_cache_requests_total counter",
            f'cloudlet_hit_cache_requests_total{{result="hit"}} {_number(hits)}',
            f'cloudlet_hit_cache_requests_total{{result="miss"}} {_number(misses)}',
            *_gauge(
                "cloudlet_hit_cache_hit_ratio",
                "Share of delivery hit-cache lookups answered from memory since start.",
                ratio,
            ),
        ]
        for name, text, value in gauges:
            lines += _gauge(name, text, value)
        return "\n".join(lines) + "\n"

    def _labels(self) -> Iterable[tuple[str, int, int]]:
        """(label text, counts slot, durations slot) of every route and method."""
        for route in self.routes:
            for method in (*METHODS, OTHER):
                counts_at, durations_at = self.series(route, method)
                yield f'route="{_escape(route)}",method="{method}"', counts_at, durations_at

    def _requests(self, totals: list[float]) -> list[str]:
        lines = [
            "# HELP cloudlet_http_requests_total HTTP answers by route template, method, status.",
            "# TYPE cloudlet_http_requests_total counter",
        ]
        for labels, counts_at, _ in self._labels():
            for i, status in enumerate((*STATUSES, OTHER)):
                value = totals[counts_at + i]
                if value:
                    line = f'cloudlet_http_requests_total{{{labels},status="{status}"}}'
                    lines.append(f"{line} {_number(value)}")
        return lines

    def _durations(self, totals: list[float]) -> list[str]:
        width = self.http_width
        series = [(labels, totals[at : at + width]) for labels, _, at in self._labels()]
        return _histogram(
            "cloudlet_http_request_duration_seconds",
            "Time from request to the end of the answer, seconds.",
            series,
            HTTP_BUCKETS,
        )


def _histogram(
    name: str,
    text: str,
    series: Sequence[tuple[str, Sequence[float]]],
    bounds: Sequence[float],
    *,
    always: bool = False,
) -> list[str]:
    """Histogram lines; each series' slots are its buckets (not cumulative), +Inf, sum."""
    lines = [f"# HELP {name} {text}", f"# TYPE {name} histogram"]
    for labels, slots in series:
        count = sum(slots[: len(bounds) + 1])
        if not count and not always:
            continue
        prefix = f"{labels}," if labels else ""
        running = 0.0
        for bound, value in zip((*map(repr, map(float, bounds)), "+Inf"), slots, strict=False):
            running += value
            lines.append(f'{name}_bucket{{{prefix}le="{bound}"}} {_number(running)}')
        braces = f"{{{labels}}}" if labels else ""
        lines.append(f"{name}_sum{braces} {_number(slots[len(bounds) + 1])}")
        lines.append(f"{name}_count{braces} {_number(count)}")
    return lines


def _gauge(name: str, text: str, value: float) -> list[str]:
    return [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name} {_number(value)}"]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
