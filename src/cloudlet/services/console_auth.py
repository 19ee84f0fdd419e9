"""Media Explorer sign-in: console users with scrypt-hashed passwords, and sessions.

A session is a random 256-bit token handed to the browser once, in a cookie; the catalog keeps
only its SHA-256, the cloud it is bound to, its CSRF token and its expiry. Signing in always
makes a new token (a token planted before sign-in is never promoted: no session fixation),
and ends the session the browser had before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from cloudlet.catalog.console import ConsoleSession, ConsoleUser
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AuthenticationError, BadRequestError, NotFoundError
from cloudlet.services.deps import Deps

SESSION_TTL = timedelta(hours=12)
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
# scrypt with N=2^14, r=8, p=1 (16 MiB, ~50 ms): the interactive-login parameters of RFC 7914
_N, _R, _P = 2**14, 8, 1
_SIGN_IN_FAILED = "Wrong cloud, username or password"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of the password with a fresh 16-byte salt."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, digest)]
    return "$".join(["scrypt", str(_N), str(_R), str(_P), *encoded])


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a ``hash_password`` result (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(got, expected)


# Compared against when the user does not exist, so that both answers take as long.
_DUMMY_HASH = hash_password("not a password", salt=b"\0" * 16)


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadRequestError(f"The password must have at least {MIN_PASSWORD} characters")


def create_user(deps: Deps, cloud: Cloud, username: str, password: str) -> ConsoleUser:
    """Add a console user to the cloud (AlreadyExistsError if the name is taken)."""
    if not _USERNAME.match(username):
        raise BadRequestError(
            f"Invalid username {username!r}: 1-64 letters, digits and . _ @ + - "
            "(starting with a letter or digit)"
        )
    _check_new_password(password)
    return deps.catalog.create_console_user(cloud.id, username, hash_password(password), deps.now())


def set_password(deps: Deps, cloud: Cloud, username: str, password: str) -> None:
    """Give the user a new password; their open sessions end."""
    _check_new_password(password)
    deps.catalog.set_console_password(cloud.id, username, hash_password(password))


@dataclass(frozen=True)
class SignedIn:
    """A new session: the token for the cookie (shown once) and the stored session."""

    token: str
    session: ConsoleSession


def token_hash(token: str) -> str:
    """What the catalog stores of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign_in(
    deps: Deps, cloud_name: str, username: str, password: str, *, replaces: str | None = None
) -> tuple[Cloud, SignedIn]:
    """Check the credentials and open a new session bound to the cloud; ``replaces`` is the
    token the browser held before (that session ends). AuthenticationError on any mismatch,
    with one message whichever part was wrong."""
    cloud = deps.catalog.get_cloud(cloud_name)
    user = deps.catalog.get_console_user(cloud.id, username) if cloud else None
    ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if cloud is None or user is None or not ok:
        raise AuthenticationError(_SIGN_IN_FAILED)
    token = secrets.token_urlsafe(32)
    now = deps.now()
    session = ConsoleSession(
        token_hash=token_hash(token),
        user_id=user.id,
        username=user.username,
        cloud_id=cloud.id,
        csrf_token=secrets.token_urlsafe(32),
        inspect={"on": False, "calls": []},
        expires_at=now + SESSION_TTL,
    )
    old = token_hash(replaces) if replaces else None
    deps.catalog.create_console_session(session, now, replaces=old)
    return cloud, SignedIn(token, session)


def session_for(deps: Deps, token: str | None, cloud_name: str) -> tuple[Cloud, ConsoleSession]:
    """The cloud and the live session of ``token``, which must be bound to that very cloud;
    NotFoundError otherwise (another cloud's session reveals nothing about this one)."""
    cloud = deps.catalog.get_cloud(cloud_name)
    session = deps.catalog.get_console_session(token_hash(token), deps.now()) if token else None
    if cloud is None or session is None or session.cloud_id != cloud.id:
        raise NotFoundError("Not signed in to this cloud")
    return cloud, session


def sign_out(deps: Deps, token: str | None) -> None:
    """End the session of ``token`` (if any)."""
    if token:
        deps.catalog.delete_console_session(token_hash(token))


def check_csrf(session: ConsoleSession, given: str | None) -> None:
    """A state-changing request must echo the session's CSRF token."""
    if not given or not hmac.compare_digest(given.encode(), session.csrf_token.encode()):
        raise AuthenticationError("Missing or wrong CSRF token: reload the page")


def named_cloud(deps: Deps, cloud_name: str) -> Cloud:
    """The cloud a user command names (NotFoundError)."""
    cloud = deps.catalog.get_cloud(cloud_name)
    if cloud is None:
        raise NotFoundError(f"Unknown cloud {cloud_name!r}")
    return cloud
