"""Blobs in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, …), with a local disk cache.

Selected by ``CLOUDLET_STORAGE_URL=s3://bucket/prefix?endpoint_url=…`` (see
docs/storage.md). S3 writes are atomic by nature: an object appears complete (a single PUT,
or a multipart upload once it is completed) or not at all. Every blob written or read on
this machine is also kept in a bounded ``DiskCache``, and ``local_path`` answers from it
(downloading on a miss), so delivery, rendering and face detection work on local files as
with ``LocalStorage``; uploads are staged on local disk as there.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

from cloudlet.errors import BadRequestError, CloudletError, NotFoundError
from cloudlet.storage.base import Storage
from cloudlet.storage.cache import DiskCache
from cloudlet.storage.keys import (
    TEMP_PREFIX,
    check_staging_suffix,
    validate_key,
    validate_prefix,
)

log = logging.getLogger("cloudlet.storage")
MB = 1024 * 1024
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_LOCK_STRIPES = 64
_OPTIONS = {
    "endpoint_url",
    "region",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "addressing_style",
    "multipart_threshold_mb",
    "multipart_chunk_mb",
}


@dataclass(frozen=True)
class S3Location:
    """What ``CLOUDLET_STORAGE_URL=s3://…`` says: the bucket, the key prefix, and how to
    reach and sign for it (``None``: boto3's usual lookup, e.g. ``AWS_*`` variables)."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    addressing_style: str = "auto"
    multipart_threshold: int = 64 * MB
    multipart_chunk: int = 16 * MB


def parse_s3_url(url: str) -> S3Location:
    """``s3://bucket[/prefix][?option=value&…]`` as an S3Location; BadRequestError when it
    is not one (unknown options included, so that a typo is not silently ignored)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise BadRequestError(
            f"CLOUDLET_STORAGE_URL must look like s3://bucket/prefix, got {url!r}"
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - _OPTIONS)
    if unknown:
        raise BadRequestError(f"CLOUDLET_STORAGE_URL: unknown option(s) {', '.join(unknown)}")
    prefix = parts.path.strip("/")
    if prefix:
        validate_key(prefix)
    style = query.get("addressing_style", "auto")
    if style not in ("auto", "path", "virtual"):
        raise BadRequestError("CLOUDLET_STORAGE_URL: addressing_style is auto, path or virtual")
    threshold = _megabytes(query, "multipart_threshold_mb", 64)
    chunk = _megabytes(query, "multipart_chunk_mb", 16)
    if chunk < 5 * MB:
        raise BadRequestError("CLOUDLET_STORAGE_URL: multipart_chunk_mb must be at least 5")
    return S3Location(
        bucket=parts.hostname,
        prefix=prefix,
        endpoint_url=query.get("endpoint_url") or None,
        region=query.get("region") or None,
        access_key_id=query.get("access_key_id") or None,
        secret_access_key=query.get("secret_access_key") or None,
        session_token=query.get("session_token") or None,
        addressing_style=style,
        multipart_threshold=threshold,
        multipart_chunk=chunk,
    )


def _megabytes(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequestError(f"CLOUDLET_STORAGE_URL: {name} must be a whole number of MB")
    return int(raw) * MB


def _client(location: S3Location) -> Any:
    """A boto3 S3 client (thread-safe; one per process)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise BadRequestError(
            "CLOUDLET_STORAGE_URL=s3://… needs boto3: pip install 'cloudlet[s3]'"
        ) from exc
    config = Config(
        s3={"addressing_style": location.addressing_style},
        retries={"max_attempts": 5, "mode": "standard"},
        max_pool_connections=32,
        connect_timeout=5,
        read_timeout=60,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=location.endpoint_url,
        region_name=location.region,
        aws_access_key_id=location.access_key_id,
        aws_secret_access_key=location.secret_access_key,
        aws_session_token=location.session_token,
        config=config,
    )


class S3Storage(Storage):
    """Blobs as objects ``{prefix}/{key}`` in one bucket; uploads stream into ``staging`` on
    local disk first; ``cache`` keeps local copies of what this machine reads and writes."""

    def __init__(
        self, location: S3Location, staging: Path, cache: DiskCache, client: Any = None
    ) -> None:
        self.client = client or _client(location)  # first: a clear message without boto3
        from boto3.s3.transfer import TransferConfig

        self.location = location
        self.bucket = location.bucket
        self.prefix = f"{location.prefix}/" if location.prefix else ""
        self.staging = Path(staging)
        self.cache = cache
        self.transfer = TransferConfig(
            multipart_threshold=location.multipart_threshold,
            multipart_chunksize=location.multipart_chunk,
            max_concurrency=4,
        )
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def _object(self, key: str) -> str:
        validate_key(key)
        return self.prefix + key

    # ------------------------------------------------------------------------- staging

    def new_staging_path(self, suffix: str = "") -> Path:
        """A fresh path in the local staging directory (created on demand)."""
        check_staging_suffix(suffix)
        self.staging.mkdir(parents=True, exist_ok=True)
        return self.staging / f"{TEMP_PREFIX}{secrets.token_hex(16)}{suffix}"

    # -------------------------------------------------------------------------- writes

    def put_file(self, key: str, source: Path) -> None:
        """Upload ``source`` (multipart past the threshold), then keep it as the cached copy.
        On failure ``source`` is left in place."""
        name = self._object(key)
        with _errors(key):
            self.client.upload_file(str(source), self.bucket, name, Config=self.transfer)
        try:
            self.cache.adopt(key, source)
        except OSError:
            log.warning("could not cache %s", key, exc_info=True)
            source.unlink(missing_ok=True)

    def put_bytes(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Upload ``data`` (one PUT, or multipart past the threshold) and cache a copy; a
        PUT is durable when it returns, so ``durable`` changes nothing here."""
        name = self._object(key)
        with _errors(key):
            if len(data) >= self.location.multipart_threshold:
                self.client.upload_fileobj(
                    io.BytesIO(data), self.bucket, name, Config=self.transfer
                )
            else:
                self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        try:
            self.cache.put_bytes(key, data)
        except OSError:
            log.warning("could not cache %s", key, exc_info=True)

    # --------------------------------------------------------------------------- reads

    def open(self, key: str) -> BinaryIO:
        """The blob opened for reading (from the local copy, downloaded if needed)."""
        for _ in range(2):
            try:
                return self.local_path(key).open("rb")
            except FileNotFoundError:
                continue  # evicted in between: download again
        raise CloudletError(f"Blob store error: could not keep a local copy of {key}")

    def local_path(self, key: str) -> Path:
        """The local copy of the blob, downloaded on a miss; NotFoundError if absent."""
        name = self._object(key)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        with self._locks[hash(key) % _LOCK_STRIPES]:  # one download per key at a time
            cached = self.cache.get(key)
            return cached if cached is not None else self._download(key, name)

    def _download(self, key: str, name: str) -> Path:
        tmp = self.cache.new_temp()
        try:
            with _errors(key):
                self.client.download_file(self.bucket, name, str(tmp), Config=self.transfer)
            return self.cache.adopt(key, tmp)
        finally:
            tmp.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether the bucket holds the key (asks S3, not the cache)."""
        return self._head(key) is not None

    def size(self, key: str) -> int:
        """The object's size; NotFoundError if absent."""
        head = self._head(key)
        if head is None:
            raise NotFoundError(f"Blob not found: {key}")
        return int(head["ContentLength"])

    def _head(self, key: str) -> dict[str, Any] | None:
        name = self._object(key)
        try:
            with _errors(key):
                head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=name)
                return head
        except NotFoundError:
            return None

    def md5(self, key: str) -> str:
        """The MD5 of the object's bytes, streamed from S3 (not the cache: fsck checks what
        the bucket holds; S3's ETag is not an MD5 for multipart or KMS-encrypted objects)."""
        name = self._object(key)
        digest = hashlib.md5(usedforsecurity=False)
        with _errors(key):
            body = self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
            for chunk in body.iter_chunks(1024 * 1024):
                digest.update(chunk)
        return digest.hexdigest()

    # -------------------------------------------------------------------- delete, list

    def delete(self, key: str) -> bool:
        """Remove the object and the local copy; True if the object existed."""
        name = self._object(key)
        self.cache.discard(key)
        if self._head(key) is None:
            return False
        with _errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=name)
        return True

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with ``prefix``, listed page by page."""
        validate_prefix(prefix)
        return self._list(prefix)

    def _list(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        with _errors(prefix):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix) :]
                    if not any(s.startswith(TEMP_PREFIX) for s in key.split("/")):
                        yield key

    def check(self) -> None:
        """Raise unless the bucket can be reached with these credentials."""
        with _errors(self.bucket):
            self.client.head_bucket(Bucket=self.bucket)


@contextmanager
def _errors(key: str) -> Iterator[None]:
    """Translate botocore's errors: a missing object is NotFoundError, anything else is a
    CloudletError (500) naming only the error code, never credentials or endpoints."""
    try:
        yield
    except (CloudletError, FileNotFoundError):
        raise
    except Exception as exc:
        code = _error_code(exc)
        if code is None:
            raise  # not botocore's: let it through as it is
        if code in _NOT_FOUND:
            raise NotFoundError(f"Blob not found: {key}") from exc
        log.error("S3 error on %s: %s", key, exc)
        raise CloudletError(f"Blob store error ({code})") from exc


def _error_code(exc: BaseException) -> str | None:
    """The S3 error code of a botocore/s3transfer error, or None for other exceptions."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    if isinstance(exc, BotoCoreError):
        return type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and type(exc).__module__.startswith("s3transfer"):
        return _error_code(cause) or type(exc).__name__
    return None
