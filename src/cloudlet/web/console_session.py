"""The Media Explorer's cookies, CSRF checks and response headers.

- The session cookie is ``HttpOnly``, ``SameSite=Strict``, ``Secure`` over HTTPS, and scoped to
  ``/console/{cloud}``: a browser never sends one cloud's session to another cloud's pages
  (and the server checks the binding anyway).
- Every state-changing request carries the session's CSRF token (``X-CSRF-Token`` header or a
  ``csrf_token`` form field) and, when the browser sends one, an ``Origin`` equal to ours.
- The sign-in form is protected by a double-submit token in its own short-lived cookie.
- Every page is sent with a Content-Security-Policy that allows only our own scripts, so an
  escaped-but-somehow-injected string could still not run.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from cloudlet.catalog.console import ConsoleSession
from cloudlet.catalog.model import Cloud
from cloudlet.errors import AuthenticationError
from cloudlet.services import console_auth
from cloudlet.web.context import deps_of, in_thread

SESSION_COOKIE = "cloudlet_session"
LOGIN_COOKIE = "cloudlet_login"
CSRF_HEADER = "x-csrf-token"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def cloud_path(cloud_name: str) -> str:
    """Where one cloud's console lives (also the session cookie's path)."""
    return f"/console/{cloud_name}"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, cloud: Cloud, token: str) -> None:
    """Hand the browser its new session token."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(console_auth.SESSION_TTL.total_seconds()),
        path=cloud_path(cloud.name),
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request, cloud_name: str) -> None:
    """Make the browser forget the session token."""
    response.delete_cookie(
        SESSION_COOKIE,
        path=cloud_path(cloud_name),
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )


def login_token(request: Request) -> str:
    """The sign-in form's double-submit token (the browser's, or a new one)."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def set_login_cookie(response: Response, request: Request, token: str) -> None:
    """Remember the sign-in form's token for ten minutes."""
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=600,
        path="/console",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )


def check_origin(request: Request) -> None:
    """A browser's ``Origin`` (when sent) must be this server's own."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin != expected:
        raise AuthenticationError("Cross-origin request refused")


def check_login_form(request: Request, given: str | None) -> None:
    """The sign-in form must echo the token of its cookie (login CSRF)."""
    check_origin(request)
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not given or not secrets.compare_digest(cookie, given):
        raise AuthenticationError("The sign-in form expired: reload the page and try again")


async def current(request: Request) -> tuple[Cloud, ConsoleSession]:
    """The cloud in the path and the browser's session, which must be bound to it
    (NotFoundError otherwise)."""
    deps = deps_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    return await in_thread(console_auth.session_for, deps, token, request.path_params["cloud"])


async def current_for_change(
    request: Request, form_token: str | None = None
) -> tuple[Cloud, ConsoleSession]:
    """``current`` for a state-changing request: Origin and CSRF token checked too."""
    cloud, session = await current(request)
    check_origin(request)
    console_auth.check_csrf(session, request.headers.get(CSRF_HEADER) or form_token)
    return cloud, session


def secured(response: Response) -> Response:
    """Add the console's security headers."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
