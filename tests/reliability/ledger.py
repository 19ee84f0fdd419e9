"""A ledger of the writes a server acknowledged, and the check that the final catalog agrees.

Every write to one public id is recorded with when it started and when its answer came:

- ``acked``: the server answered 2xx, so the write happened somewhere inside that interval;
- ``maybe``: no answer came (the connection died with a kill -9), so the write may or may not
  have happened, but not after the answer's time (the process that would do it was gone);
- a write the server refused with a 4xx is not recorded: it changed nothing.

A write sets the id to a value: an etag (the md5 of the bytes uploaded), ``ABSENT`` (a delete,
or the source of a rename) or ``ANY`` (the target of a rename: some uploaded asset, which one
the answer does not say). The final value of an id must be the value of a write that could
have been the last: one no acknowledged write *started* after it ended. Only concurrent (or
unanswered) writes leave a choice; sequential ones leave exactly one answer. An id nobody
acknowledged a write to may also still hold its first value (absent).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

ABSENT = "<absent>"
ANY = "<any uploaded asset>"


@dataclass(frozen=True)
class Write:
    """One write to one public id."""

    public_id: str
    value: str  # an etag, ABSENT or ANY
    start: float
    end: float
    acked: bool
    what: str  # e.g. "upload", "rename from", "destroy": for messages


@dataclass
class TagWrite:
    """``add_tag`` acknowledged on an id: the tag must be on it at the end unless a write to
    the id could have come after the tag (then the tag may be gone with the old asset)."""

    public_id: str
    tag: str
    start: float


@dataclass
class Ledger:
    """What was sent and what was acknowledged, safe to fill from many threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    writes: dict[str, list[Write]] = field(default_factory=lambda: defaultdict(list))
    tags: list[TagWrite] = field(default_factory=list)
    uploaded: set[str] = field(default_factory=set)  # every etag ever sent, acked or not
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    transport_errors: int = 0
    failures: list[str] = field(default_factory=list)  # anything that must not happen

    def write(self, public_id: str, value: str, start: float, *, acked: bool, what: str) -> None:
        """Record one write that ended now."""
        entry = Write(public_id, value, start, time.monotonic(), acked, what)
        with self.lock:
            self.writes[public_id].append(entry)

    def sent(self, etag: str) -> None:
        """An upload of these bytes was attempted."""
        with self.lock:
            self.uploaded.add(etag)

    def tagged(self, public_id: str, tag: str, start: float) -> None:
        with self.lock:
            self.tags.append(TagWrite(public_id, tag, start))

    def answered(self, status: int) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1

    def lost_connection(self) -> None:
        with self.lock:
            self.requests += 1
            self.transport_errors += 1

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def candidates(writes: list[Write]) -> set[str]:
    """The values an id may hold at the end, given every write recorded for it."""
    acked = [w for w in writes if w.acked]
    if not acked:
        return {ABSENT} | {w.value for w in writes}
    last_start = max(w.start for w in acked)
    return {w.value for w in writes if w.end >= last_start}


def matches(value: str, allowed: set[str], uploaded: set[str]) -> bool:
    """Whether a final value (an etag or ABSENT) is one of ``allowed``."""
    if value in allowed:
        return True
    return ANY in allowed and value != ABSENT and value in uploaded


def mismatches(ledger: Ledger, final: dict[str, str]) -> list[str]:
    """Every id whose final value (``final``: public id → etag; missing ids are absent) no
    write explains, and every final etag that was never uploaded."""
    problems = []
    for public_id, writes in sorted(ledger.writes.items()):
        value = final.get(public_id, ABSENT)
        allowed = candidates(writes)
        if not matches(value, allowed, ledger.uploaded):
            problems.append(f"{public_id}: holds {value}, expected one of {sorted(allowed)}")
    for public_id, etag in sorted(final.items()):
        if etag not in ledger.uploaded:
            problems.append(f"{public_id}: etag {etag} was never uploaded")
        elif public_id not in ledger.writes:
            problems.append(f"{public_id}: present but never written")
    return problems


def tag_checks(ledger: Ledger, final_tags: dict[str, set[str]]) -> tuple[int, list[str]]:
    """(how many acknowledged tags could be checked, the ones missing). A tag is checked when
    no write to its id ended after the tag call started."""
    checked, missing = 0, []
    for entry in ledger.tags:
        later = [w for w in ledger.writes.get(entry.public_id, []) if w.end >= entry.start]
        if later:
            continue  # the asset may have been replaced, renamed or deleted since
        checked += 1
        if entry.tag not in final_tags.get(entry.public_id, set()):
            missing.append(f"{entry.public_id}: acknowledged tag {entry.tag} is missing")
    return checked, missing
