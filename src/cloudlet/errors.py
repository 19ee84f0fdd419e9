"""One exception tree for Cloudlet.

Every error a service can raise carries the HTTP status the SDKs map and a public message
that is safe to show to the caller. Only ``cloudlet.web`` turns them into responses::

    CloudletError (500)
    ├── BadRequestError (400)          malformed or invalid input
    │   └── FileTooLargeError (400)    over the configured maximum
    ├── AuthenticationError (401)      missing/invalid credentials or signature
    ├── NotAllowedError (403)          credentials fine, action refused
    ├── NotFoundError (404)            unknown cloud, asset, preset, ...
    ├── AlreadyExistsError (409)       Admin API only: the thing exists
    └── RateLimitedError (420)

Upload API calls must answer only 200/400/401/403/404/420/500 (the Node and Java SDKs parse
nothing else), so services raise ``AlreadyExistsError`` only from Admin API use cases.
"""

from __future__ import annotations


class CloudletError(Exception):
    """Base class: an error with an HTTP status and a public message."""

    status: int = 500

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class BadRequestError(CloudletError):
    """The request is malformed or its parameters are invalid."""

    status = 400


class FileTooLargeError(BadRequestError):
    """The uploaded file is larger than the configured maximum."""


class AuthenticationError(CloudletError):
    """Missing or invalid credentials, signature or timestamp."""

    status = 401


class NotAllowedError(CloudletError):
    """The caller is known but the action is not permitted."""

    status = 403


class NotFoundError(CloudletError):
    """The cloud, asset or other named thing does not exist."""

    status = 404


class AlreadyExistsError(CloudletError):
    """The thing to create already exists (Admin API only)."""

    status = 409


class RateLimitedError(CloudletError):
    """Too many requests in the current window."""

    status = 420
