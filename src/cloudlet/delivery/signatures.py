"""Every signature Cloudinary's protocol uses, computed and verified.

Pure functions over strings and bytes (standard library only):

- API request signatures (Upload API and signed download URLs, protocol §2.1, §2.8):
  :func:`string_to_sign`, :func:`sign_params`, :func:`verify_api_signature`,
  :func:`api_signature_error`.
- The ``signature`` field in upload responses (§2.4): :func:`response_signature`.
- Signed delivery URLs ``s--XXXXXXXX--`` (§2.5): :func:`delivery_signature`,
  :func:`verify_delivery_signature`.
- Token-based access ``__cld_token__`` (§2.6): :func:`generate_auth_token`,
  :func:`auth_token_valid`.
- Search URLs (§2.7): :func:`search_signature`.
- Webhook notifications (§4.1): :func:`notification_signature`.

Every comparison of a secret-derived value is constant-time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from urllib.parse import unquote

__all__ = [
    "AUTH_TOKEN_NAME",
    "EXCLUDED_PARAMS",
    "api_signature_error",
    "auth_token_valid",
    "delivery_signature",
    "generate_auth_token",
    "locale_sort_key",
    "notification_signature",
    "response_signature",
    "search_signature",
    "sign_params",
    "string_to_sign",
    "verify_api_signature",
    "verify_delivery_signature",
]

EXCLUDED_PARAMS: frozenset[str] = frozenset(
    {"file", "cloud_name", "resource_type", "api_key", "signature"}
)
"""Parameters that are never part of an API string to sign."""

AUTH_TOKEN_NAME = "__cld_token__"
"""Query parameter that carries a token (§2.6)."""

_ALGORITHMS = frozenset({"sha1", "sha256"})
_HEX_LENGTHS = {40: "sha1", 64: "sha256"}
_SHORT_URL_SIGNATURE = 8
_LONG_URL_SIGNATURE = 32
_DELIVERY_SEGMENT_RE = re.compile(r"s--([A-Za-z0-9_-]+)--")
_TOKEN_UNSAFE = frozenset(" \"#%&'/:;<=>?@[\\]^`{|}~")

SignableParams = Mapping[str, str | Sequence[str]]


def _digest(data: bytes, algorithm: str) -> bytes:
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"Unsupported signature algorithm {algorithm!r}")
    return hashlib.new(algorithm, data).digest()


def _hex(text: str, algorithm: str) -> str:
    return _digest(text.encode("utf-8"), algorithm).hex()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _joined(value: str | Sequence[str]) -> str:
    return value if isinstance(value, str) else ",".join(value)


# The order JavaScript's ``localeCompare`` gives printable ASCII (ICU root collation, primary
# strength): punctuation, then digits, then letters with case ignored.
_LOCALE_ORDER = {
    char: rank
    for rank, char in enumerate(
        "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
    )
}


def locale_sort_key(key: str) -> tuple[tuple[int, ...], tuple[bool, ...]]:
    """Sort key approximating JavaScript's ``a.localeCompare(b)`` on parameter names.

    The Node SDK orders the string to sign this way: ``a_1 < a1 < ab < Bz`` where a plain sort
    gives ``Bz < a1 < a_1 < ab``. Case only breaks ties (lower case first)."""
    primary = tuple(_LOCALE_ORDER.get(char.lower(), 1000 + ord(char)) for char in key)
    return primary, tuple(char.isupper() for char in key)


def string_to_sign(
    params: SignableParams,
    *,
    version: int = 2,
    exclude: Collection[str] = EXCLUDED_PARAMS,
    node_order: bool = False,
) -> str:
    """Build the API string to sign (protocol §2.1).

    Keys in ``exclude`` and empty values are dropped, lists are comma-joined, each pair becomes
    ``k=v`` (with ``&`` escaped to ``%26`` from signature version 2 on), and the pairs are
    sorted and joined with ``&``. ``params`` must already be keyed by base name (``tags``, not
    ``tags[]``), as :meth:`cloudlet.web.params.Params.signable` returns them. The pairs are
    sorted as strings (pycloudinary) or, with ``node_order``, by :func:`locale_sort_key` of
    their names (the Node SDK).
    """
    pairs = []
    for key, value in params.items():
        text = _joined(value)
        if key in exclude or not text:
            continue
        part = f"{key}={text}"
        pairs.append((key, part.replace("&", "%26") if version >= 2 else part))
    if node_order:
        return "&".join(part for _, part in sorted(pairs, key=lambda p: locale_sort_key(p[0])))
    return "&".join(sorted(part for _, part in pairs))


def sign_params(
    params: SignableParams, api_secret: str, *, algorithm: str = "sha1", version: int = 2
) -> str:
    """Return the hex API signature of ``params``: ``hex(hash(string_to_sign + api_secret))``."""
    return _hex(string_to_sign(params, version=version) + api_secret, algorithm)


def verify_api_signature(
    params: SignableParams,
    api_secret: str,
    signature: str,
    *,
    non_signable: Collection[str] = (),
) -> bool:
    """Check an API request signature the way any SDK may have produced it.

    The algorithm follows from the length (40 hex digits: SHA-1, 64: SHA-256); only signature
    version 2 is accepted. Version 1 differs only when a value contains ``&``, and there it is
    ambiguous: ``{public_id: "a", tags: "b"}`` and ``{public_id: "a&tags=b"}`` sign the same
    string, so a captured signature would cover a request with parameters moved into a value
    (found by tests/reliability). Both key orders are accepted (pycloudinary's plain sort,
    the Node SDK's ``localeCompare``). With
    ``non_signable`` (pycloudinary 1.46.3 leaves ``notification_url`` and ``batch_id`` unsigned on
    the tags/context/metadata actions) the string without those keys is tried first, then the
    full one.
    """
    algorithm = _HEX_LENGTHS.get(len(signature))
    if algorithm is None:
        return False
    wanted = signature.lower()
    exclusions = [EXCLUDED_PARAMS | frozenset(non_signable)] if non_signable else []
    exclusions.append(EXCLUDED_PARAMS)
    candidates = {
        string_to_sign(params, exclude=exclude, node_order=node_order)
        for exclude in exclusions
        for node_order in (False, True)
    }
    found = False
    for text in sorted(candidates):
        # no early exit: every candidate costs the same whatever matched
        found |= _same(_hex(text + api_secret, algorithm), wanted)
    return found


def api_signature_error(params: SignableParams, signature: str) -> str:
    """Cloudinary's message for a signature that does not verify (sent with HTTP 401)."""
    return f"Invalid Signature {signature}. String to sign - '{string_to_sign(params)}'."


def response_signature(
    public_id: str, version: int, api_secret: str, *, algorithm: str = "sha1"
) -> str:
    """The ``signature`` field of upload/explicit responses (§2.4, signature version 1)."""
    to_sign = string_to_sign({"public_id": public_id, "version": str(version)}, version=1)
    return _hex(to_sign + api_secret, algorithm)


def _url_signature(to_sign: str, api_secret: str, algorithm: str, length: int) -> str:
    digest = _digest((to_sign + api_secret).encode("utf-8"), algorithm)
    return base64.urlsafe_b64encode(digest).decode("ascii")[:length]


def delivery_signature(
    to_sign: str, api_secret: str, *, algorithm: str = "sha1", long: bool = False
) -> str:
    """Return the delivery URL segment ``s--XXXXXXXX--`` for ``to_sign`` (§2.5).

    ``to_sign`` is ``transformation/public_id.format`` as it appears in the URL (still
    escaped, without the version). ``long`` gives the 32-character SHA-256 form.
    """
    if long:
        return f"s--{_url_signature(to_sign, api_secret, 'sha256', _LONG_URL_SIGNATURE)}--"
    return f"s--{_url_signature(to_sign, api_secret, algorithm, _SHORT_URL_SIGNATURE)}--"


def verify_delivery_signature(segment: str, to_sign: str, api_secret: str) -> bool:
    """Check a delivery signature: 8-char SHA-1, 8-char SHA-256 or 32-char SHA-256.

    ``segment`` is the whole ``s--…--`` path segment (the bare signature is accepted too).
    """
    match = _DELIVERY_SEGMENT_RE.fullmatch(segment)
    given = match.group(1) if match else segment
    if len(given) == _SHORT_URL_SIGNATURE:
        candidates = ["sha1", "sha256"]
    elif len(given) == _LONG_URL_SIGNATURE:
        candidates = ["sha256"]
    else:
        return False
    found = False
    for algorithm in candidates:
        found |= _same(_url_signature(to_sign, api_secret, algorithm, len(given)), given)
    return found


def search_signature(ttl: int, b64query: str, api_secret: str) -> str:
    """The signature segment of a search URL (§2.7): ``hex(sha256(ttl + b64query + secret))``."""
    return _hex(f"{ttl}{b64query}{api_secret}", "sha256")


def notification_signature(
    body: bytes, timestamp: int, api_secret: str, *, algorithm: str = "sha1"
) -> str:
    """``X-Cld-Signature`` of a webhook (§4.1): ``hex(hash(body + timestamp + secret))``."""
    return _digest(body + f"{timestamp}{api_secret}".encode(), algorithm).hex()


# --- token-based access (__cld_token__) ---------------------------------------------------


def _token_escape(text: str) -> str:
    """Percent-encode the characters the token signer escapes, with lower-case hex."""
    return "".join(f"%{ord(ch):02x}" if ch in _TOKEN_UNSAFE else ch for ch in text)


def _token_hmac(message: str, key_hex: str) -> str:
    key = bytes.fromhex(key_hex)
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def generate_auth_token(
    *,
    key_hex: str,
    expiration: int,
    start_time: int | None = None,
    acl: str | Sequence[str] | None = None,
    url: str | None = None,
    ip: str | None = None,
) -> str:
    """Build a token value (what follows ``__cld_token__=``) as the SDKs do (§2.6).

    With ``acl`` (one pattern or several, ``*`` as wildcard) the token carries the escaped
    acls joined by ``!``; otherwise ``url`` (a URL path) is signed but not carried.
    """
    if acl is None and url is None:
        raise ValueError("Must provide either acl or url")
    parts = [] if ip is None else [f"ip={ip}"]
    if start_time is not None:
        parts.append(f"st={start_time}")
    parts.append(f"exp={expiration}")
    if acl is not None:
        acls = [acl] if isinstance(acl, str) else list(acl)
        parts.append("acl=" + "!".join(_token_escape(a) for a in acls))
    signed = parts if acl is not None else [*parts, f"url={_token_escape(url or '')}"]
    return "~".join([*parts, f"hmac={_token_hmac('~'.join(signed), key_hex)}"])


def _token_fields(token: str) -> list[tuple[str, str]] | None:
    if token.startswith(AUTH_TOKEN_NAME + "="):
        token = token[len(AUTH_TOKEN_NAME) + 1 :]
    fields = []
    for part in token.split("~"):
        name, sep, value = part.partition("=")
        if not sep:
            return None
        fields.append((name, value))
    return fields


def _signed_acl(acl: str) -> str:
    """The acl text as it was signed: tokens read from a decoded query arrive unescaped."""
    if any(ch in _TOKEN_UNSAFE and ch != "%" for ch in acl):
        return _token_escape(acl)
    return acl


def _acl_matches(signed_acl: str, url_path: str) -> bool:
    """Glob-match the path against ``!``-separated escaped acls (``*``: any run of characters).

    Both the raw path and its percent-decoded form are tried: acls are usually written
    against the readable path (``/image/upload/my file.jpg``).
    """
    paths = {_token_escape(url_path), _token_escape(unquote(url_path))}
    for pattern in signed_acl.split("!"):
        regex = re.compile(".*".join(re.escape(piece) for piece in pattern.split("*")))
        if any(regex.fullmatch(path) for path in paths):
            return True
    return False


def _within_window(fields: Mapping[str, str], now: int) -> bool:
    try:
        expiration = int(fields["exp"])
        start = int(fields.get("st", now))
    except (KeyError, ValueError):
        return False
    return start <= now < expiration


def _token_message(parts: Iterable[tuple[str, str]]) -> str:
    return "~".join(f"{name}={value}" for name, value in parts)


def auth_token_valid(
    token: str, url_path: str, key_hex: str, now: int, *, client_ip: str | None = None
) -> bool:
    """Verify a ``__cld_token__`` value for a request to ``url_path`` at time ``now`` (§2.6).

    ``token`` is the parameter value (a leading ``__cld_token__=`` is tolerated), raw or
    query-decoded. ``url_path`` is the raw request path (still percent-escaped, as the SDK
    signed it). The token is valid from ``st`` (inclusive) until ``exp`` (exclusive). With an
    ``acl`` the path must match one of its ``!``-separated patterns; otherwise the hmac must
    cover ``url=<escaped path>``. When the token names an ``ip`` and ``client_ip`` is given,
    they must be equal.
    """
    fields = _token_fields(token)
    if not fields or fields[-1][0] != "hmac":
        return False
    *parts, (_, given) = fields
    named = dict(parts)
    if not _within_window(named, now):
        return False
    if client_ip is not None and "ip" in named and named["ip"] != client_ip:
        return False
    if "acl" in named:
        acl = _signed_acl(named["acl"])
        parts = [(name, acl if name == "acl" else value) for name, value in parts]
        if not _acl_matches(acl, url_path):
            return False
    else:
        parts.append(("url", _token_escape(url_path)))
    try:
        expected = _token_hmac(_token_message(parts), key_hex)
    except ValueError:
        return False
    return _same(expected, given.lower())
