"""Upload sources that are not files: remote URLs and ``data:`` URIs.

``fetch_url`` is the one place where the server makes requests to addresses its callers choose,
so it guards against server-side request forgery: see its docstring.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

import httpx

from cloudlet.errors import BadRequestError, FileTooLargeError

REMOTE_PREFIXES = ("http://", "https://", "ftp://", "s3://", "gs://", "data:")
UNSUPPORTED_SCHEMES = frozenset({"ftp", "s3", "gs"})
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Cloudlet (+https://github.com/cloudlet)"

_IPV4_BLOCKED = [
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", includes the unspecified address
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT (shared address space)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, includes the cloud metadata 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments (some clouds' metadata, e.g. 192.0.0.192)
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes broadcast
    )
]
_IPV6_BLOCKED = [
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible addresses
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID, ...
        "2001:db8::/32",  # documentation
        "64:ff9b:1::/48",  # local-use NAT64
        "fc00::/7",  # unique local, includes AWS metadata fd00:ec2::254
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
]
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class AddressNotAllowedError(BadRequestError):
    """A URL resolves to an address outgoing requests may not reach (see ``fetch_url``)."""


@dataclass(frozen=True)
class FetchedFile:
    """What ``fetch_url`` or ``decode_data_uri`` wrote: the name the source suggests (``file``
    when it suggests none), its declared media type and its size in bytes."""

    filename: str
    content_type: str | None
    bytes: int


def is_remote_source(value: str) -> bool:
    """Whether an upload's ``file`` parameter names a remote source (http, https, ftp, s3, gs
    URL or data URI) rather than carrying the file itself. The scheme is case-insensitive."""
    return value.lstrip()[:8].lower().startswith(REMOTE_PREFIXES)


# ------------------------------------------------------------------------- address guard


def is_public_address(address: str) -> bool:
    """Whether ``address`` (an IPv4 or IPv6 literal) is a public unicast address that an
    upload-from-URL may reach. IPv4 addresses embedded in IPv6 (mapped, 6to4, NAT64) are judged
    by the IPv4 address they carry."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(str(embedded))
    blocked = _IPV4_BLOCKED if ip.version == 4 else _IPV6_BLOCKED
    if ip in _METADATA_ADDRESSES or any(ip in network for network in blocked):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def resolve_public_address(url: httpx.URL) -> str:
    """The address to connect to for ``url``: its host resolved, every resolved address
    checked, the first returned. BadRequestError if any is not public (a name that resolves to
    one public and one private address is refused: the client could be steered to either)."""
    host, port = url.raw_host.decode("ascii"), url.port or _default_port(url.scheme)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise BadRequestError(f"Resource not found - {url}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise AddressNotAllowedError(f"Remote address not allowed - {url}")
    return addresses[0]


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


# -------------------------------------------------------------------------------- fetch


def fetch_url(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    timeout_s: float,
    allow_private: bool,
    verify: ssl.SSLContext | bool = True,
) -> FetchedFile:
    """Download ``url`` (http or https) to ``dest``, streaming, and describe it.

    Errors (all BadRequestError; ``dest`` is removed on any failure): ftp/s3/gs URLs are not
    supported by this server; a non-2xx answer is ``Resource not found - <url>``; over
    ``max_bytes`` (declared or streamed) is FileTooLargeError; more than ``timeout_s`` for any
    network step, or more than 4x ``timeout_s`` in all, is a timeout; more than 5 redirects.

    Server-side request forgery: unless ``allow_private``, the host of the URL and of every
    redirect hop (redirects are followed by hand) is resolved and refused if ANY of its
    addresses is loopback, private, link-local, shared (100.64/10), multicast, reserved,
    unspecified, unique-local or site-local IPv6, an IPv4 one of those inside IPv6 (mapped,
    6to4, NAT64) or a cloud metadata address (``is_public_address``). The connection is then
    made to the very address that was checked: the URL's host is replaced by that IP while the
    ``Host`` header and the TLS SNI name (``sni_hostname``, which is also the name the
    certificate is verified against) keep the original name. So DNS rebinding between check and
    connect is closed. What remains: only the first resolved address is tried (no fallback to
    the others); proxies from the environment are ignored (``trust_env=False``) since they
    would bypass the check; and a public address that forwards inward (a misconfigured NAT or
    open proxy) cannot be detected here. ``verify`` is passed to httpx (tests pass their CA).
    """
    start = _parse_http_url(url)
    deadline = time.monotonic() + 4 * timeout_s
    try:
        with _client(timeout_s, verify) as client:
            content_type, size = _fetch(
                client, start, url, dest, max_bytes, deadline, allow_private
            )
    except httpx.TimeoutException as exc:
        dest.unlink(missing_ok=True)
        raise BadRequestError(f"Timeout fetching {url}") from exc
    except httpx.HTTPError as exc:
        dest.unlink(missing_ok=True)
        raise BadRequestError(f"Resource not found - {url}") from exc
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return FetchedFile(_url_filename(start), content_type, size)


def _parse_http_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise BadRequestError(f"Invalid URL - {url}") from exc
    if parsed.scheme in UNSUPPORTED_SCHEMES:
        raise BadRequestError(f"{parsed.scheme}:// URLs are not supported by this server")
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise BadRequestError(f"Invalid URL - {url}")
    return parsed


def _client(timeout_s: float, verify: ssl.SSLContext | bool) -> httpx.Client:
    return httpx.Client(
        follow_redirects=False,
        trust_env=False,
        verify=verify,
        timeout=httpx.Timeout(timeout_s),
        # no connection reuse: a pooled connection to a pinned IP would carry the TLS
        # identity (SNI, certificate) of whichever host opened it
        limits=httpx.Limits(max_keepalive_connections=0),
        # identity: store the bytes as published, and max_bytes counts what lands on disk
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
    )


def _fetch(
    client: httpx.Client,
    current: httpx.URL,
    original: str,
    dest: Path,
    max_bytes: int,
    deadline: float,
    allow_private: bool,
) -> tuple[str | None, int]:
    """Follow up to MAX_REDIRECTS redirects, then stream the body; (content type, size)."""
    for _ in range(MAX_REDIRECTS + 1):
        request = _pinned_request(client, current, allow_private)
        response = client.send(request, stream=True)
        try:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                current = _parse_http_url(str(current.join(location)))
                continue
            if not 200 <= response.status_code < 300:
                raise BadRequestError(f"Resource not found - {original}")
            size = _stream_to(response, dest, max_bytes, deadline, original)
            return _media_type(response.headers.get("content-type")), size
        finally:
            response.close()
    raise BadRequestError(f"Too many redirects - {original}")


def _pinned_request(
    client: httpx.Client,
    url: httpx.URL,
    allow_private: bool,
    method: str = "GET",
    **options: Any,
) -> httpx.Request:
    """A request for ``url`` that connects to an address checked by the guard (see
    fetch_url); ``options`` (content, headers) go to httpx."""
    if allow_private:
        return client.build_request(method, url, **options)
    address = resolve_public_address(url)
    if address == url.host:  # an IP literal: nothing to pin
        return client.build_request(method, url, **options)
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    headers = {**options.pop("headers", {}), "Host": url.netloc.decode("ascii")}
    return client.build_request(
        method, url.copy_with(host=address), headers=headers, extensions=extensions, **options
    )


def post_guarded(
    url: str,
    content: bytes,
    headers: Mapping[str, str],
    *,
    timeout_s: float,
    allow_private: bool,
) -> httpx.Response:
    """POST ``content`` to a URL a caller chose (a webhook), behind the same guard as
    ``fetch_url``: unless ``allow_private``, AddressNotAllowedError for loopback, private,
    link-local, metadata and the other refused addresses, and the connection goes to the
    checked address. Redirects are not followed. httpx errors propagate."""
    target = _parse_http_url(url)
    with _client(timeout_s, True) as client:
        request = _pinned_request(
            client, target, allow_private, "POST", content=content, headers=dict(headers)
        )
        return client.send(request)


def _stream_to(
    response: httpx.Response, dest: Path, max_bytes: int, deadline: float, url: str
) -> int:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    size = 0
    with dest.open("wb") as file:
        for chunk in response.iter_bytes():  # as the network delivers: keeps deadline checks
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            if time.monotonic() > deadline:
                raise BadRequestError(f"Timeout fetching {url}")
            file.write(chunk)
    return size


def _too_large(max_bytes: int) -> FileTooLargeError:
    return FileTooLargeError(f"File size too large. Maximum is {max_bytes}.")


def _media_type(header: str | None) -> str | None:
    media_type = (header or "").split(";", 1)[0].strip().lower()
    return media_type or None


def _url_filename(url: httpx.URL) -> str:
    """The last path segment, percent-decoded and made safe; ``file`` when there is none."""
    segment = url.raw_path.split(b"?", 1)[0].rsplit(b"/", 1)[-1].decode("ascii", "replace")
    return _safe_filename(unquote(segment))


def _safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name if name not in ("", ".", "..") else "file"


# ---------------------------------------------------------------------------- data URIs

_DATA_URI = re.compile(r"data:(?P<params>[^,]*),(?P<data>.*)", re.IGNORECASE | re.DOTALL)
_MEDIA_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+")
_WHITESPACE = re.compile(r"\s+")


def decode_data_uri(uri: str, dest: Path, *, max_bytes: int) -> FetchedFile:
    """Write the payload of ``data:[<mime>][;param=value]*[;base64],<data>`` to ``dest``.

    Base64 payloads may lack padding, contain whitespace and use the URL-safe alphabet; other
    payloads are percent-decoded. BadRequestError("Invalid data URI") when malformed,
    FileTooLargeError over ``max_bytes`` (checked before decoding)."""
    match = _DATA_URI.fullmatch(uri.strip())
    if match is None:
        raise BadRequestError("Invalid data URI")
    params = [p.strip() for p in match["params"].split(";")]
    is_base64 = len(params) > 1 and params[-1].lower() == "base64"
    media_type = params[0].lower() if params[0] else None
    if media_type is not None and not _MEDIA_TYPE.fullmatch(media_type):
        raise BadRequestError("Invalid data URI")
    data = _decode_base64(match["data"], max_bytes) if is_base64 else _decode_text(match["data"])
    if len(data) > max_bytes:
        raise FileTooLargeError(f"File size too large. Got {len(data)}. Maximum is {max_bytes}.")
    dest.write_bytes(data)
    return FetchedFile("file", media_type, len(data))


def _decode_base64(payload: str, max_bytes: int) -> bytes:
    compact = _WHITESPACE.sub("", unquote(payload) if "%" in payload else payload)
    if len(compact) // 4 * 3 > max_bytes + 3:
        raise FileTooLargeError(f"File size too large. Maximum is {max_bytes}.")
    compact = compact.rstrip("=")
    if len(compact) % 4 == 1:
        raise BadRequestError("Invalid data URI")
    padded = compact + "=" * (-len(compact) % 4)
    altchars = b"-_" if ("-" in compact or "_" in compact) else None
    try:
        return base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequestError("Invalid data URI") from exc


def _decode_text(payload: str) -> bytes:
    try:
        return unquote_to_bytes(payload)
    except (TypeError, ValueError) as exc:
        raise BadRequestError("Invalid data URI") from exc
