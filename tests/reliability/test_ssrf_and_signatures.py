"""Requests the server would make for a caller (SSRF) and forged signatures, refused.

SSRF: upload-from-URL answers 400 for loopback, 0.0.0.0, private, link-local (the cloud
metadata address), IPv4-mapped IPv6, decimal, octal and hex forms and names that resolve to
them; a local target that would answer sees no request at all. Webhooks (notification_url,
eager_notification_url) to such addresses are accepted with the call, as Cloudinary does,
and never sent (the delivery is recorded as failed: tests/compat/test_webhooks.py).
``l_fetch:`` overlays only name assets already in the catalog: nothing is fetched. Redirects
from a public address to a private one are refused hop by hop (tests/services/test_remote.py
drives that with a resolver that calls the first hop public; nothing here is public).

Signatures: stale and future timestamps, another cloud's secret or key, truncated and
lengthened signatures, changed case of signed values, extra parameters, and parameters
smuggled into a value under signature version 1 (fixed: see docs/api.md) are all 401.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cloudinary.utils
import httpx
import pytest
from tests.compat.server import API_KEY, API_SECRET, CLOUD, OTHER_KEY, OTHER_SECRET, Server
from tests.reliability.workload import signed, unique_png

PNG = unique_png(21)


class Target:
    """A local HTTP server that would answer; it counts every request that reaches it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        target = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                target.hits.append(f"{self.command} {self.path}")
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            do_GET = do_POST = _answer  # noqa: N815 - http.server's naming

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    found = Target()
    yield found
    found.httpd.shutdown()
    found.httpd.server_close()


def ssrf_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/x.png",
        f"http://localhost:{port}/x.png",  # a name (in /etc/hosts) that resolves to loopback
        f"http://LOCALHOST:{port}/x.png",
        f"http://[::1]:{port}/x.png",
        f"http://[::ffff:127.0.0.1]:{port}/x.png",
        f"http://[::ffff:7f00:1]:{port}/x.png",
        f"http://2130706433:{port}/x.png",  # 127.0.0.1 as one decimal number
        f"http://0177.0.0.1:{port}/x.png",  # octal
        f"http://0x7f.0.0.1:{port}/x.png",  # hex
        f"http://127.1:{port}/x.png",
        f"http://0.0.0.0:{port}/x.png",
        f"http://0:{port}/x.png",
        f"http://localhost:{port}/redirect",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1/x.png",
        "http://172.16.0.1/x.png",
        "http://192.168.0.1/x.png",
        "http://100.64.0.1/x.png",
        f"http://user:pass@127.0.0.1:{port}/x.png",
    ]


def test_upload_from_url_refuses_private_targets(hostile_server: Server, target: Target) -> None:
    for url in ssrf_urls(target.port):
        answer = httpx.post(
            f"{hostile_server.base_url}/v1_1/{CLOUD}/image/upload",
            data={**signed({"public_id": "ssrf"}), "file": url},
        )
        assert answer.status_code == 400, (url, answer.text)
        message = answer.json()["error"]["message"]
        assert message.startswith(("Remote address not allowed", "Invalid URL")), (url, message)
    assert target.hits == []
    assert httpx.get(f"{hostile_server.base_url}/{CLOUD}/image/upload/ssrf.png").status_code == 404


def test_webhooks_to_private_targets_are_never_sent(hostile_server: Server, target: Target) -> None:
    for n, url in enumerate(ssrf_urls(target.port)[:13]):
        answer = httpx.post(
            f"{hostile_server.base_url}/v1_1/{CLOUD}/image/upload",
            data=signed(
                {
                    "public_id": f"hooked{n}",
                    "notification_url": url,
                    "eager": "w_10,c_scale",
                    "eager_async": "true",
                    "eager_notification_url": url,
                }
            ),
            files={"file": ("h.png", PNG, "image/png")},
        )
        assert answer.status_code == 200, answer.text
    time.sleep(3)  # the queued deliveries run (and fail) in the background
    assert target.hits == []


def test_fetch_overlays_fetch_nothing(hostile_server: Server, target: Target) -> None:
    for url in ssrf_urls(target.port)[:3] + ["http://169.254.169.254/"]:
        layer = cloudinary.utils.base64url_encode(url)
        answer = httpx.get(f"{hostile_server.base_url}/{CLOUD}/image/upload/l_fetch:{layer}/x.png")
        assert answer.status_code in (400, 404), answer.text
    answer = httpx.get(
        f"{hostile_server.base_url}/{CLOUD}/image/fetch/http://127.0.0.1:{target.port}/x.png"
    )
    assert answer.status_code in (400, 404)
    assert target.hits == []


# ---------------------------------------------------------------------------- signatures


def _upload(server: Server, form: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/v1_1/{CLOUD}/image/upload",
        data=form,
        files={"file": ("s.png", PNG, "image/png")},
    )


def _sign(fields: dict[str, str], secret: str = API_SECRET, key: str = API_KEY) -> dict:
    return cloudinary.utils.sign_request(dict(fields), {"api_key": key, "api_secret": secret})


def _forgeries() -> dict[str, dict[str, str]]:
    now = int(time.time())
    good = _sign({"public_id": "sig", "tags": "a", "timestamp": str(now)})
    forged = {
        "stale (2 hours old)": _sign({"public_id": "sig", "timestamp": str(now - 7200)}),
        "future (2 hours ahead)": _sign({"public_id": "sig", "timestamp": str(now + 7200)}),
        "another cloud's secret": _sign({"public_id": "sig", "timestamp": str(now)}, OTHER_SECRET),
        "another cloud's key": _sign(
            {"public_id": "sig", "timestamp": str(now)}, OTHER_SECRET, OTHER_KEY
        ),
        "truncated": {**good, "signature": good["signature"][:39]},
        "half": {**good, "signature": good["signature"][:20]},
        "empty": {**good, "signature": ""},
        "lengthened": {**good, "signature": good["signature"] + "00"},
        "value case changed": {**good, "public_id": "SIG"},
        "extra parameter": {**good, "overwrite": "true"},
        "parameter dropped": {k: v for k, v in good.items() if k != "tags"},
        "value extended": {**good, "tags": "a,admin"},
        "timestamp moved": {**good, "timestamp": str(now + 1)},
    }
    # signed {public_id: "sig", tags: "a"}, sent as {public_id: "sig&tags=a"} (no tags): the
    # same string under signature version 1, a different request
    smuggled = dict(good, public_id="sig&tags=a")
    del smuggled["tags"]
    forged["parameter smuggled into a value"] = smuggled
    return forged


@pytest.mark.parametrize("case", list(_forgeries()))
def test_forged_upload_signatures_are_401(hostile_server: Server, case: str) -> None:
    answer = _upload(hostile_server, _forgeries()[case])
    assert answer.status_code == 401, (case, answer.text)
    assert answer.json()["error"]["message"]
    assert API_SECRET not in answer.text and OTHER_SECRET not in answer.text


def test_the_genuine_signature_still_works(hostile_server: Server) -> None:
    now = str(int(time.time()))
    good = _sign({"public_id": "sig", "tags": "a&b", "timestamp": now})
    assert _upload(hostile_server, good).status_code == 200
    upper = _sign({"public_id": "sig", "timestamp": now})
    upper["signature"] = upper["signature"].upper()  # the same hex digest: same signature
    assert _upload(hostile_server, upper).status_code == 200


def test_forged_delivery_signatures_are_401(hostile_server: Server) -> None:
    answer = httpx.post(
        f"{hostile_server.base_url}/v1_1/{CLOUD}/image/upload",
        data=signed({"public_id": "locked", "type": "authenticated"}),
        files={"file": ("l.png", PNG, "image/png")},
    )
    assert answer.status_code == 200, answer.text
    base = f"{hostile_server.base_url}/{CLOUD}/image/authenticated"
    to_sign = "c_scale,w_10/locked.png"
    good = cloudinary.utils.api_sign_request  # noqa: F841 - the SDK's API signing, not URLs
    from cloudlet.delivery.signatures import delivery_signature

    signature = delivery_signature(to_sign, API_SECRET)
    assert httpx.get(f"{base}/{signature}/{to_sign}").status_code == 200
    bare = signature[3:-2]
    forged = [
        f"s--{bare.swapcase()}--/{to_sign}",
        f"s--{bare[:7]}--/{to_sign}",
        f"s--{bare}A--/{to_sign}",
        f"{delivery_signature(to_sign, OTHER_SECRET)}/{to_sign}",
        f"{signature}/c_scale,w_10/e_blur/locked.png",
        f"{signature}/c_scale,w_100/locked.png",
        f"{signature}/locked.png",
        to_sign,
    ]
    for path in forged:
        refused = httpx.get(f"{base}/{path}")
        assert refused.status_code == 401, (path, refused.status_code, refused.text)
