"""A per-process memory of delivery answers, so a repeated delivery URL costs no catalog query.

An entry holds what is needed to answer a delivery URL again (the blob, its headers, and the
access rule to re-check); it is valid while the catalog's delivery generation
(``cloudlet.catalog.generation``) has not moved. Every catalog write that may change an
answer (a delete, rename, overwrite, derivative delete, cloud setting or named transformation
change, …) moves it after its commit, so every process on the machine drops its whole memory
at its next request. An answer found while a write was under way is never kept: the
generation is read *before* the catalog is asked, and the entry is stored only if it has not
moved since.

Size is bounded twice: by a number of entries and by the bytes of small blobs kept in memory;
the oldest entries go first.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cloudlet.catalog.generation import Generation
from cloudlet.catalog.model import Cloud
from cloudlet.delivery import signatures
from cloudlet.delivery.url import DeliveryRequest

V = TypeVar("V")


class HitCache(Generic[V]):
    """Entries keyed by anything hashable, dropped together when the generation moves.

    Lookups and stores are meant for one thread (the event loop); the catalog work that
    produces a value may run elsewhere between ``generation()`` and ``put``."""

    def __init__(self, generation: Generation, max_entries: int, max_bytes: int) -> None:
        self._generation = generation
        self._seen = generation.value
        self._entries: dict[Hashable, tuple[V, int]] = {}
        self._bytes = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    def generation(self) -> int:
        """The generation to hand back to ``put``: read it before asking the catalog."""
        return self._generation.value

    def get(self, key: Hashable) -> V | None:
        """The value stored under ``key`` if the catalog has not changed since."""
        if self._generation.value != self._seen:
            self._forget_all()
            return None
        found = self._entries.get(key)
        return None if found is None else found[0]

    def put(self, key: Hashable, value: V, since: int, size: int = 0) -> bool:
        """Store ``value`` (which holds ``size`` bytes of blob) found by catalog work that
        began at generation ``since``; refused if the catalog changed meanwhile or the value
        alone is over the memory bound."""
        if self.max_entries <= 0 or size > self.max_bytes:
            return False
        current = self._generation.value
        if current != self._seen:
            self._forget_all()
        if since != current:
            return False
        self._drop(key)
        while self._entries and (
            len(self._entries) >= self.max_entries or self._bytes + size > self.max_bytes
        ):
            self._drop(next(iter(self._entries)))
        self._entries[key] = (value, size)
        self._bytes += size
        return True

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """Bytes of blobs held in memory by the entries."""
        return self._bytes

    def _drop(self, key: Hashable) -> None:
        gone = self._entries.pop(key, None)
        if gone is not None:
            self._bytes -= gone[1]

    def _forget_all(self) -> None:
        self._entries = {}
        self._bytes = 0
        self._seen = self._generation.value


@dataclass(frozen=True, slots=True)
class AccessRule:
    """What a remembered answer must still check on every request: nothing (public
    ``upload`` URLs), the URL's signature, or the time-limited auth token."""

    kind: str  # "open", "signed" or "token"
    secret: str = ""  # the cloud's API secret (signed) or auth token key (token)
    signature: str = ""
    signed_texts: tuple[str, ...] = ()
    raw_path: str = ""

    def allows(self, token: str | None, now: int) -> bool:
        """Whether the request passes; False sends it down the full path (which answers
        with the precise error)."""
        if self.kind == "open":
            return True
        if self.kind == "signed":
            return any(
                signatures.verify_delivery_signature(self.signature, text, self.secret)
                for text in self.signed_texts
            )
        if not token:
            return False
        return signatures.auth_token_valid(token, self.raw_path, self.secret, now)


OPEN = AccessRule("open")


def access_rule(cloud: Cloud, request: DeliveryRequest) -> AccessRule:
    """The checks a request that passed ``services.delivery``'s access check must pass again
    (the same decisions, in the same order)."""
    if request.signature is not None:
        return AccessRule(
            "signed",
            cloud.api_secret,
            request.signature,
            request.to_sign_candidates,
        )
    if request.type == "upload":
        return OPEN
    key = str(cloud.settings.get("auth_token_key") or "")
    return AccessRule("token", key, raw_path=request.raw_path)
