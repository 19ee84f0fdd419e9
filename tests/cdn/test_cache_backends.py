"""Each invalidator against its real cache and the shipped configuration, with a tiny origin
on loopback standing in for Cloudlet (every answer numbered, so a refetch shows): BAN and
PURGE on Varnish, refreshes on nginx, f_auto variants, query strings, refused addresses, and
the generic HTTP invalidator against a recording endpoint."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from tests.cdn.caches import CACHES, Cache, ensure_nginx, ensure_varnish

from cloudlet.cdn.base import InvalidationError, Invalidator
from cloudlet.cdn.http import HttpInvalidator
from cloudlet.cdn.nginx import NginxInvalidator
from cloudlet.cdn.varnish import VarnishInvalidator, ban_batches, regex_literal

ENSURE = {"varnish": ensure_varnish, "nginx": ensure_nginx}


@dataclass
class Origin:
    """Answers every GET with a fresh number; f_auto answers vary on Accept like Cloudlet's."""

    port: int
    counter: Iterator[int] = field(default_factory=itertools.count)
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


def _handler(origin: Origin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            accept = self.headers.get("Accept", "")
            body = f"{next(origin.counter)} {self.path} {accept}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "public, max-age=600")
            if "f_auto" in self.path:
                self.send_header("Vary", "Accept")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            origin.posts.append((dict(self.headers.items()), raw))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture(scope="module")
def origin() -> Iterator[Origin]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    found = Origin(httpd.server_address[1])
    httpd.RequestHandlerClass = _handler(found)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield found
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module", params=sorted(CACHES))
def cache(
    request: pytest.FixtureRequest, origin: Origin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cache]:
    ENSURE[request.param]()
    workdir = tmp_path_factory.mktemp(request.param)
    with CACHES[request.param](workdir, origin.port) as running:
        yield running


@pytest.fixture(scope="module")
def varnish_cache(origin: Origin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    with CACHES["varnish"](tmp_path_factory.mktemp("varnish-only"), origin.port) as running:
        yield running


def invalidator(cache: Cache, mode: str = "ban") -> Invalidator:
    if cache.name == "varnish":
        return VarnishInvalidator([cache.base_url], mode=mode)
    return NginxInvalidator([cache.base_url])


def held(url: str, headers: dict[str, str] | None = None) -> bytes:
    """Cache ``url`` (a second GET must hit); the body held."""
    first = httpx.get(url, headers=headers)
    again = httpx.get(url, headers=headers)
    assert again.headers["x-cache"] == "HIT" and again.content == first.content
    return first.content


def test_an_invalidated_path_is_fetched_again_and_others_stay(cache: Cache) -> None:
    gone, kept = f"{cache.base_url}/c/image/upload/a.png", f"{cache.base_url}/c/image/upload/b.png"
    old_gone, old_kept = held(gone), held(kept)
    invalidator(cache).invalidate(["/c/image/upload/a.png"])
    assert httpx.get(gone).content != old_gone
    assert httpx.get(kept).content == old_kept


def test_every_f_auto_variant_goes(cache: Cache) -> None:
    path = "/c/image/upload/f_auto,w_10/v.png"
    accepts = ["image/avif,image/webp,*/*", "image/webp,*/*", "text/html,*/*"]
    old = {a: held(cache.base_url + path, {"Accept": a}) for a in accepts}
    assert len(set(old.values())) == 3  # three variants were cached
    invalidator(cache).invalidate([path])
    for accept in accepts:
        assert httpx.get(cache.base_url + path, headers={"Accept": accept}).content != old[accept]


def test_varnish_modes_and_query_strings(varnish_cache: Cache) -> None:
    cache = varnish_cache
    plain = f"{cache.base_url}/c/image/upload/q.png"
    token = plain + "?__cld_token__=st=1~exp=2~hmac=ab"
    old_plain, old_token = held(plain), held(token)
    invalidator(cache, "purge").invalidate(["/c/image/upload/q.png"])
    assert httpx.get(plain).content != old_plain
    assert httpx.get(token).content == old_token  # PURGE removes the exact URL only
    invalidator(cache, "ban").invalidate(["/c/image/upload/q.png"])
    assert httpx.get(token).content != old_token  # a BAN takes query strings too


def test_ban_regexes_match_exactly_their_paths(varnish_cache: Cache) -> None:
    cache = varnish_cache
    odd = "/c/image/upload/l_text:Arial_20:a$b(c)+d*e,w_1/x.y[1]|^.png"
    similar = "/c/image/upload/l_text:Arial_20:a$b(c)+d*e,w_1/x.y[1]|^Xpng"
    old_odd, old_similar = held(cache.base_url + odd), held(cache.base_url + similar)
    invalidator(cache).invalidate([odd])
    assert httpx.get(cache.base_url + odd).content != old_odd
    assert httpx.get(cache.base_url + similar).content == old_similar


def test_ban_batches_stay_under_the_header_limit() -> None:
    paths = [f"/c/image/upload/w_{i}/some/long/public/id/number/{i}.png" for i in range(500)]
    batches = list(ban_batches(paths))
    assert len(batches) > 1
    assert all(len(b) < 6100 for b in batches)
    assert sum(b.count("|") + 1 for b in batches) == len(paths)
    assert regex_literal("/a.b$") == "/a[.]b[$]"


def test_purges_from_other_addresses_are_refused(
    cache: Cache, origin: Origin, tmp_path: Path
) -> None:
    with CACHES[cache.name](tmp_path, origin.port, purger="192.0.2.1") as strict:
        url = f"{strict.base_url}/c/image/upload/r.png"
        old = held(url)
        with pytest.raises(InvalidationError, match="403"):
            invalidator(strict).invalidate(["/c/image/upload/r.png"])
        if strict.name == "varnish":
            with pytest.raises(InvalidationError, match="403"):
                invalidator(strict, "purge").invalidate(["/c/image/upload/r.png"])
        assert httpx.get(url).content == old


def test_an_unreachable_cache_is_an_error() -> None:
    for backend in (
        VarnishInvalidator(["http://127.0.0.1:9"]),
        NginxInvalidator(["http://127.0.0.1:9"]),
        HttpInvalidator(["http://127.0.0.1:9/purge"]),
    ):
        with pytest.raises(InvalidationError):
            backend.invalidate(["/c/image/upload/a.png"])


def test_the_http_invalidator_posts_batches(origin: Origin) -> None:
    paths = [f"/c/image/upload/{i}.png" for i in range(1500)]
    backend = HttpInvalidator(
        [f"http://127.0.0.1:{origin.port}/purge"], token="t0k", public_url="https://cdn.example"
    )
    origin.posts.clear()
    backend.invalidate(paths)
    assert len(origin.posts) == 2
    headers, raw = origin.posts[0]
    assert headers["Authorization"] == "Bearer t0k"
    body = json.loads(raw)
    assert body["paths"][:2] == paths[:2] and len(body["paths"]) == 1000
    assert body["urls"][0] == "https://cdn.example/c/image/upload/0.png"
    assert len(json.loads(origin.posts[1][1])["paths"]) == 500
