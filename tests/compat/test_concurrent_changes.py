"""Many SDK clients renaming, tagging, rendering and deleting overlapping assets at once.

Every name is used by one asset only (rename targets are fresh), so each acknowledged answer
says exactly which asset it changed. Afterwards the catalog must agree with every acknowledged
write (the rename chain, the tags, the deletions), the URLs must follow, and ``cloudlet fsck``
must find the store and the catalog consistent (no orphaned or missing blob).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import cloudinary.api
import cloudinary.uploader
import cloudinary.utils
import httpx
from cloudinary.exceptions import Error as CloudinaryError
from tests.compat.helpers import make_png
from tests.compat.server import Server

THREADS = 6
OPS_PER_THREAD = 30
ASSETS = 12


@dataclass
class Log:
    """What the server acknowledged, by name (a name belongs to one asset only)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    renames: dict[str, str] = field(default_factory=dict)  # from → to
    destroyed: set[str] = field(default_factory=set)
    tags: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    failures: list[str] = field(default_factory=list)


def _client(seed: int, prefix: str, names: list[str], log: Log) -> None:
    rng = random.Random(seed)
    for step in range(OPS_PER_THREAD):
        with log.lock:
            live = [n for n in names if n not in log.destroyed and n not in log.renames]
        if not live:
            return
        picked = rng.sample(live, min(len(live), 3))
        action = rng.choice(["rename", "tag", "tag", "render", "destroy"])
        try:
            _act(action, picked, f"{prefix}/r{seed}_{step}", f"t{seed}_{step}", names, log)
        except CloudinaryError as error:
            # losing a race (the asset was renamed or deleted first) is a clean 404
            if "not found" not in str(error).lower():
                with log.lock:
                    log.failures.append(f"{action} {picked}: {error}")


def _act(action: str, picked: list[str], target: str, tag: str, names: list[str], log: Log) -> None:
    if action == "rename":
        answer = cloudinary.uploader.rename(picked[0], target)
        assert answer["public_id"] == target
        with log.lock:
            log.renames[picked[0]] = target
            names.append(target)
    elif action == "tag":
        answer = cloudinary.uploader.add_tag(tag, picked)
        with log.lock:
            for name in answer["public_ids"]:
                log.tags[name].add(tag)
    elif action == "render":
        url = cloudinary.utils.cloudinary_url(picked[0], width=20, height=20, crop="fill")[0]
        status = httpx.get(url).status_code
        if status not in (200, 404):
            with log.lock:
                log.failures.append(f"render {url}: {status}")
    else:
        if cloudinary.uploader.destroy(picked[0])["result"] == "ok":
            with log.lock:
                log.destroyed.add(picked[0])


def _last_traceback(server: Server) -> str:
    """The server's last logged traceback, to say why a request failed."""
    text = (server.data_dir / "server.log").read_text(errors="replace")
    return text[text.rfind("Traceback") :][-3000:] if "Traceback" in text else ""


def _chain(start: str, log: Log) -> list[str]:
    names = [start]
    while names[-1] in log.renames:
        names.append(log.renames[names[-1]])
    return names


def test_concurrent_renames_tags_and_deletes_stay_consistent(
    sdk: object, server: Server, tmp_path: Path
) -> None:
    prefix = f"conc{uuid.uuid4().hex[:8]}"
    png = make_png(tmp_path / "a.png", 64, 48)
    originals = [
        cloudinary.uploader.upload(str(png), public_id=f"{prefix}/a{i}")["public_id"]
        for i in range(ASSETS)
    ]
    names, log = list(originals), Log()
    clients = [
        threading.Thread(target=_client, args=(seed, prefix, names, log)) for seed in range(THREADS)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=120)
    assert not any(c.is_alive() for c in clients)
    assert not log.failures, (log.failures, _last_traceback(server))

    listed = cloudinary.api.resources(
        type="upload", prefix=prefix + "/", max_results=500, tags=True
    )
    found = {r["public_id"]: set(r.get("tags", [])) for r in listed["resources"]}
    expected: dict[str, set[str]] = {}
    for original in originals:
        chain = _chain(original, log)
        gone = [n for n in chain if n in log.destroyed]
        assert gone in ([], [chain[-1]]), chain  # only the last name can have been destroyed
        if not gone:
            expected[chain[-1]] = set().union(*(log.tags[n] for n in chain))
    assert found == expected
    assert log.renames and log.destroyed and any(log.tags.values())  # the races did happen

    for name in list(expected)[:4] + sorted(log.destroyed)[:4] + list(log.renames)[:4]:
        status = httpx.get(cloudinary.utils.cloudinary_url(name, format="png")[0]).status_code
        assert status == (200 if name in expected else 404), name
    check = server.cli("fsck")
    assert check.returncode == 0, check.stdout + check.stderr
