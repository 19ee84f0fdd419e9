"""One contract suite for every ``Storage`` backend, written against the abstract interface.

Add a backend by appending a factory to ``BACKENDS``; tests that need to reach inside one
backend (failure injection, files on disk) are at the end and name it explicitly.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from cloudlet.errors import BadRequestError, NotFoundError
from cloudlet.storage.base import Storage
from cloudlet.storage.cache import DiskCache
from cloudlet.storage.local import TEMP_PREFIX, LocalStorage
from cloudlet.storage.s3 import S3Storage, parse_s3_url


def _local(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    return LocalStorage(tmp_path / "blobs", tmp_path / "staging")


def _s3(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """A fresh key prefix on the session's S3 server (tests/s3server.py)."""
    url = request.getfixturevalue("s3_storage_url")
    cache = DiskCache(tmp_path / "cache", 64 * 1024 * 1024)
    client = request.getfixturevalue("s3_client")
    return S3Storage(parse_s3_url(url), tmp_path / "staging", cache, client)


BACKENDS: list[Callable[[pytest.FixtureRequest, Path], Storage]] = [_local, _s3]


@pytest.fixture(params=BACKENDS, ids=lambda factory: factory.__name__.lstrip("_"))
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    return request.param(request, tmp_path)


def _read(storage: Storage, key: str) -> bytes:
    with storage.open(key) as file:
        return file.read()


def _stage(storage: Storage, data: bytes, suffix: str = "") -> Path:
    path = storage.new_staging_path(suffix)
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------- reads and writes


def test_put_bytes_then_read(storage):
    storage.put_bytes("image/upload/sample.jpg", b"\xff\xd8 jpeg bytes")
    assert storage.exists("image/upload/sample.jpg")
    assert storage.size("image/upload/sample.jpg") == 13
    assert _read(storage, "image/upload/sample.jpg") == b"\xff\xd8 jpeg bytes"


def test_put_bytes_not_durable_is_still_atomic_and_readable(storage):
    storage.put_bytes("1/derived/ab/render", b"old")
    storage.put_bytes("1/derived/ab/render", b"rendered bytes", durable=False)
    assert _read(storage, "1/derived/ab/render") == b"rendered bytes"
    assert storage.intact("1/derived/ab/render", 14)
    assert list(storage.iter_keys()) == ["1/derived/ab/render"]


def test_empty_blob(storage):
    storage.put_bytes("empty", b"")
    assert storage.exists("empty")
    assert storage.size("empty") == 0
    assert _read(storage, "empty") == b""


def test_put_file_consumes_the_staging_file(storage):
    source = _stage(storage, b"staged", ".png")
    storage.put_file("a/b.png", source)
    assert not source.exists()
    assert _read(storage, "a/b.png") == b"staged"


def test_staging_paths_are_fresh(storage):
    first, second = storage.new_staging_path(".jpg"), storage.new_staging_path(".jpg")
    assert first != second
    assert not first.exists() and first.parent.is_dir()
    assert first.name.endswith(".jpg")


def test_open_returns_a_binary_file(storage):
    storage.put_bytes("k", b"0123456789")
    with storage.open("k") as file:
        file.seek(5)
        assert file.read(3) == b"567"


def test_local_path_holds_the_blob_or_is_none(storage):
    storage.put_bytes("dir/blob.bin", b"bytes")
    path = storage.local_path("dir/blob.bin")
    assert path is None or path.read_bytes() == b"bytes"


def test_overwrite(storage):
    storage.put_bytes("k.txt", b"old and longer")
    storage.put_bytes("k.txt", b"new")
    assert _read(storage, "k.txt") == b"new"
    storage.put_file("k.txt", _stage(storage, b"newest"))
    assert _read(storage, "k.txt") == b"newest"
    assert storage.size("k.txt") == 6
    assert list(storage.iter_keys()) == ["k.txt"]


@pytest.mark.parametrize("call", ["open", "size", "local_path"])
def test_missing_blobs_are_not_found(storage, call):
    with pytest.raises(NotFoundError):
        getattr(storage, call)("no/such/key")


def test_a_folder_is_not_a_blob(storage):
    storage.put_bytes("folder/inner", b"x")
    assert not storage.exists("folder")
    with pytest.raises(NotFoundError):
        storage.open("folder")
    assert storage.delete("folder") is False
    assert storage.exists("folder/inner")


def test_unicode_keys(storage):
    key = "ünïcødé/名前 with spaces/😀 émoji+%20.jpg"
    storage.put_bytes(key, b"u")
    assert storage.exists(key)
    assert _read(storage, key) == b"u"
    assert list(storage.iter_keys("ünïcødé/")) == [key]
    assert storage.delete(key)


# ------------------------------------------------------------------------------- delete


def test_delete(storage):
    storage.put_bytes("a/b/c.jpg", b"x")
    assert storage.delete("a/b/c.jpg") is True
    assert not storage.exists("a/b/c.jpg")
    assert storage.delete("a/b/c.jpg") is False
    assert list(storage.iter_keys()) == []


def test_delete_keeps_siblings(storage):
    storage.put_bytes("a/b/c.jpg", b"c")
    storage.put_bytes("a/d.jpg", b"d")
    storage.delete("a/b/c.jpg")
    assert list(storage.iter_keys()) == ["a/d.jpg"]


def test_a_deleted_folder_can_become_a_blob(storage):
    storage.put_bytes("deep/er/key", b"x")
    storage.delete("deep/er/key")
    storage.put_bytes("deep", b"now a blob")
    assert _read(storage, "deep") == b"now a blob"


# ---------------------------------------------------------------------------- iter_keys

KEYS = ["a/b/c.jpg", "a/b/d.jpg", "a/bc.jpg", "ab.jpg", "x/y/z.png"]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", KEYS),
        ("a/", ["a/b/c.jpg", "a/b/d.jpg", "a/bc.jpg"]),
        ("a/b", ["a/b/c.jpg", "a/b/d.jpg", "a/bc.jpg"]),
        ("a/b/", ["a/b/c.jpg", "a/b/d.jpg"]),
        ("a", ["a/b/c.jpg", "a/b/d.jpg", "a/bc.jpg", "ab.jpg"]),
        ("a/b/c.jpg", ["a/b/c.jpg"]),
        ("x/y/", ["x/y/z.png"]),
        ("nothing", []),
        ("nothing/here/", []),
        ("ab.jpg/", []),
    ],
)
def test_iter_keys_with_prefix(storage, prefix, expected):
    for key in KEYS:
        storage.put_bytes(key, key.encode())
    assert sorted(storage.iter_keys(prefix)) == sorted(expected)


def test_iter_keys_skips_staging_files(storage):
    _stage(storage, b"not committed yet")
    storage.put_file("committed", _stage(storage, b"done"))
    assert list(storage.iter_keys()) == ["committed"]


# -------------------------------------------------------------------------------- keys

BAD_KEYS = [
    "",
    "../x",
    "a/../../x",
    "a/..",
    "..",
    ".",
    "a/./b",
    "/etc/passwd",
    "a//b",
    "a/",
    "a\\b",
    "..\\x",
    "a\0b",
    "a\nb",
    "a\x7fb",
    "a/\udc80",
    "x" * 1025,
    "a/" + "y" * 256,
    f"a/{TEMP_PREFIX}hidden",
]


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.parametrize(
    "call",
    [
        lambda s, k: s.put_bytes(k, b"x"),
        lambda s, k: s.put_file(k, _stage(s, b"x")),
        lambda s, k: s.open(k),
        lambda s, k: s.exists(k),
        lambda s, k: s.size(k),
        lambda s, k: s.delete(k),
        lambda s, k: s.local_path(k),
    ],
    ids=["put_bytes", "put_file", "open", "exists", "size", "delete", "local_path"],
)
def test_bad_keys_are_refused(storage, key, call):
    with pytest.raises(BadRequestError):
        call(storage, key)
    assert list(storage.iter_keys()) == []


@pytest.mark.parametrize("prefix", ["../", "a/../../", "/etc/", "a//"])
def test_bad_prefixes_are_refused(storage, prefix):
    with pytest.raises(BadRequestError):
        list(storage.iter_keys(prefix))


def test_longest_allowed_key(storage):
    key = "/".join(["d" * 200] * 5) + "/" + "f" * 19
    assert len(key) == 1024
    storage.put_bytes(key, b"x")
    assert list(storage.iter_keys()) == [key]


# --------------------------------------------------------------------------- atomicity


def test_concurrent_writers_never_expose_partial_blobs(storage):
    payloads = [bytes([i]) * 300_000 for i in range(6)]
    storage.put_bytes("hot", payloads[0])
    errors: list[str] = []
    stop = threading.Event()

    def write(payload: bytes) -> None:
        for _ in range(5):
            storage.put_bytes("hot", payload)

    def read() -> None:
        while not stop.is_set():
            if _read(storage, "hot") not in payloads:
                errors.append("partial or mixed blob seen")

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reader.join()
    assert errors == []
    assert _read(storage, "hot") in payloads
    assert list(storage.iter_keys()) == ["hot"]


# ------------------------------------------------------------- LocalStorage specifics


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "blobs", tmp_path / "staging")


def _leftovers(local: LocalStorage) -> list[str]:
    found = []
    for base in (local.root, local.staging):
        if base.exists():
            found += [p.name for p in base.rglob("*") if p.name.startswith(TEMP_PREFIX)]
    return found


def test_local_blobs_live_at_root_slash_key(local):
    local.put_bytes("image/upload/v1/sample.jpg", b"x")
    path = local.local_path("image/upload/v1/sample.jpg")
    assert path == local.root / "image" / "upload" / "v1" / "sample.jpg"
    assert path.read_bytes() == b"x"


def test_local_intact_sees_a_missing_or_short_blob(local):
    # what a power loss may leave of a blob written with durable=False
    local.put_bytes("d/render", b"0123456789", durable=False)
    assert local.intact("d/render", 10)
    local.local_path("d/render").write_bytes(b"01234")
    assert not local.intact("d/render", 10)
    local.local_path("d/render").write_bytes(b"")
    assert not local.intact("d/render", 10)
    local.delete("d/render")
    assert not local.intact("d/render", 10)


def test_local_not_durable_writes_skip_every_fsync(local, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    local.put_bytes("new/dir/render", b"x", durable=False)
    assert synced == []
    local.put_bytes("new/dir/original", b"x")
    assert len(synced) >= 2  # the file and its directory


def test_local_put_file_leaves_no_temp_files(local):
    local.put_file("a/b.jpg", _stage(local, b"staged"))
    local.put_bytes("a/c.jpg", b"bytes")
    assert _leftovers(local) == []
    assert sorted(p.name for p in (local.root / "a").iterdir()) == ["b.jpg", "c.jpg"]


def test_local_failed_write_leaves_no_partial_blob(local, monkeypatch):
    local.put_bytes("kept", b"old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        local.put_bytes("new", b"partial?")
    with pytest.raises(OSError, match="No space"):
        local.put_bytes("kept", b"partial?")
    staged = _stage(local, b"staged")
    with pytest.raises(OSError, match="No space"):
        local.put_file("new", staged)
    monkeypatch.undo()

    assert not local.exists("new")
    assert _read(local, "kept") == b"old"
    assert staged.exists()  # a failed put_file leaves its source for the caller to retry
    staged.unlink()
    assert _leftovers(local) == []
    assert list(local.iter_keys()) == ["kept"]


def test_local_write_failing_midway_leaves_no_temp_file(local, monkeypatch):
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="I/O error"):
        local.put_bytes("k", b"data")
    monkeypatch.undo()
    assert not local.exists("k")
    assert _leftovers(local) == []


def test_local_write_survives_a_parent_pruned_while_it_creates_folders(local, monkeypatch):
    """A concurrent delete may remove an emptied parent between the check and the mkdir of
    its child; the write starts its folders again instead of failing."""
    local.put_bytes("a/other", b"x")
    real_mkdir, pruned = Path.mkdir, []

    def mkdir_after_prune(self: Path, *args: object, **kwargs: object) -> None:
        if self.name == "b" and not pruned:
            local.delete("a/other")  # empties and prunes "a"
            pruned.append(self)
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir_after_prune)
    local.put_bytes("a/b/c.jpg", b"data")
    assert pruned and _read(local, "a/b/c.jpg") == b"data"
    assert list(local.iter_keys()) == ["a/b/c.jpg"]


def test_local_delete_prunes_empty_folders_up_to_root(local):
    local.put_bytes("a/b/c/d.jpg", b"x")
    local.put_bytes("a/keep.jpg", b"x")
    local.delete("a/b/c/d.jpg")
    assert not (local.root / "a" / "b").exists()
    assert (local.root / "a").is_dir()
    local.delete("a/keep.jpg")
    assert local.root.is_dir()
    assert list(local.root.iterdir()) == []


def test_local_refuses_symlinks_out_of_root(local, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    local.root.mkdir(parents=True)
    (local.root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(BadRequestError):
        local.put_bytes("link/escaped", b"x")
    with pytest.raises(BadRequestError):
        local.exists("link/escaped")
    assert list(outside.iterdir()) == []


def test_local_key_under_an_existing_blob_is_refused(local):
    local.put_bytes("a", b"blob")
    with pytest.raises(BadRequestError):
        local.put_bytes("a/b", b"x")
    local.put_bytes("c/d", b"x")
    with pytest.raises(BadRequestError):
        local.put_bytes("c", b"x")
    assert sorted(local.iter_keys()) == ["a", "c/d"]


def test_local_skips_stray_temp_files(local):
    local.put_bytes("a/b", b"x")
    (local.root / "a" / f"{TEMP_PREFIX}crashed").write_bytes(b"half")
    assert list(local.iter_keys()) == ["a/b"]


def test_local_staging_inside_root_is_not_listed(tmp_path):
    store = LocalStorage(tmp_path / "data", tmp_path / "data" / "staging")
    store.new_staging_path().write_bytes(b"x")
    (store.staging / "stray").write_bytes(b"x")
    store.put_bytes("k", b"v")
    assert list(store.iter_keys()) == ["k"]
