"""The S3 backend: the ``minio`` SDK against MinIO or any S3-compatible server.

Same keys as the local store, under an optional prefix (``s3://bucket/prefix``). Each
object carries its content type and the sha256 of its bytes (``x-amz-meta-sha256``), so
rewriting unchanged bytes is decided by a stat, without a download. Transient failures
(connection refused or reset, timeouts, 5xx, SlowDown) are retried with exponential
backoff, and become a ``TransientStorageError`` once the tries are spent; permanent ones
(wrong credentials, a missing bucket, an invalid name) raise a ``StorageError`` at once.
The SDK's own retries are switched off, so the settings' ``attempts`` is the only count.

Credentials stay inside the SDK client: never in a message, a log line or ``repr``.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple, TypeVar

import certifi
import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import check_bucket_name

from pipeline.errors import StorageError, TransientStorageError
from pipeline.settings import MinioSettings
from storage.base import (
    MAX_KEY_BYTES,
    WRITE_PROBE,
    ObjectMissingError,
    check_key,
    check_key_part,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

SHA256_META = "x-amz-meta-sha256"
S3_MAX_KEY_BYTES = 1024

# Codes a server sends when trying again later can succeed.
_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "InternalError",
        "ServiceUnavailable",
        "RequestTimeout",
        "Throttling",
        "ThrottlingException",
        "RequestThrottled",
        "TooManyRequests",
        "OperationAborted",
        "XMinioServerNotInitialized",
    }
)
_WRONG_CREDENTIALS = frozenset(
    {"SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken"}
)
_MISSING_OBJECT = frozenset({"NoSuchKey", "NoSuchObject"})
# A server (or bucket) out of space: not worth retrying within a run, though sent as a 5xx.
_STORAGE_FULL = frozenset({"XMinioStorageFull", "QuotaExceeded", "XMinioAdminBucketQuotaExceeded"})
_BUCKET_TAKEN = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
# What the SDK and its transport raise; ValueError is its check of names and arguments.
_SDK_ERRORS = (
    S3Error,
    ServerError,
    InvalidResponseError,
    urllib3.exceptions.HTTPError,
    OSError,
    ValueError,
)


class ObjectInfo(NamedTuple):
    """What a stat tells about an object."""

    size: int
    content_type: str | None
    sha256: str | None  # None when another tool wrote the object without it


class _Failure(NamedTuple):
    transient: bool
    unreachable: bool  # the server was not reached at all
    reason: str  # short, for people; never a credential
    code: str | None = None


class MinioStore:
    """An ``ObjectStore`` on an S3 bucket, optionally under a key prefix.

    Args:
        bucket: the bucket; created when absent (unless ``create_bucket`` is False).
        settings: endpoint, credentials, retries, part size (``MINIO_*`` environment).
        prefix: a key prefix inside the bucket (``s3://bucket/prefix``), checked like keys.
        create_bucket: check the server at once, creating the bucket when absent; this is
            where a wrong endpoint or wrong credentials are reported.

    Raises:
        StorageError: the bucket name, prefix or endpoint is invalid, the credentials are
            refused, or the bucket cannot be created.
        TransientStorageError: the server is not reachable.
    """

    def __init__(
        self,
        bucket: str,
        settings: MinioSettings,
        prefix: str = "",
        *,
        create_bucket: bool = True,
    ) -> None:
        try:
            check_bucket_name(bucket, strict=True)
        except ValueError as exc:
            raise StorageError(
                f"invalid S3 bucket name {bucket!r}: 3-63 lowercase letters, digits, "
                "dots and hyphens, starting and ending with a letter or digit"
            ) from exc
        self.bucket = bucket
        self.prefix = _checked_prefix(prefix)
        self.settings = settings
        self._client = _client(settings)
        if create_bucket:
            self._ensure_bucket()

    def __repr__(self) -> str:
        return f"MinioStore({self.location_root!r} at {self.settings.endpoint})"

    # Worker processes (a Dask task runner) get the settings and build their own client.
    def __getstate__(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "prefix": self.prefix, "settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.bucket = state["bucket"]
        self.prefix = state["prefix"]
        self.settings = state["settings"]
        self._client = _client(self.settings)

    @property
    def location_root(self) -> str:
        """``s3://bucket/prefix``: where the store's keys live."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        """Store ``data`` under ``key`` unless it holds exactly that already (by sha256).

        Objects larger than the settings' ``part_size`` go up in parts (multipart).

        Raises:
            StorageError: the key is unsafe, or the server refused the write.
            TransientStorageError: the server stayed unreachable or failing for every try.
        """
        name = self._name(key)
        digest = hashlib.sha256(data).hexdigest()
        current = self._head(name, key)
        if current is not None and (current.sha256, current.content_type) == (
            digest,
            content_type,
        ):
            return
        self._call(
            "put",
            key,
            lambda: self._client.put_object(
                self.bucket,
                name,
                io.BytesIO(data),  # a fresh stream for every try
                len(data),
                content_type=content_type,
                metadata={SHA256_META: digest},
                part_size=self.settings.part_size,
            ),
        )

    def get_bytes(self, key: str) -> bytes:
        """The bytes under ``key``.

        Raises:
            ObjectMissingError: no object has that key.
            StorageError: the bucket is missing or access is refused.
            TransientStorageError: the server stayed unreachable or failing for every try.
        """
        name = self._name(key)

        def read() -> bytes | None:
            try:
                response = self._client.get_object(self.bucket, name)
            except S3Error as exc:
                if exc.code in _MISSING_OBJECT:
                    return None
                raise
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        data = self._call("get", key, read)
        if data is None:
            raise ObjectMissingError(f"no object {key!r} in {self.location_root}", file=key)
        return data

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""
        return self._head(self._name(key), key) is not None

    def head(self, key: str) -> ObjectInfo | None:
        """Size, content type and sha256 of the object under ``key``; None when absent."""
        return self._head(self._name(key), key)

    def list(self, prefix: str = "") -> list[str]:
        """Every key that starts with ``prefix`` (a plain string prefix), sorted."""
        folder = prefix.rpartition("/")[0]
        if folder:
            check_key(folder)
        names = self._call(
            "list",
            prefix or "/",
            lambda: [
                item.object_name
                for item in self._client.list_objects(
                    self.bucket, prefix=self.prefix + prefix, recursive=True
                )
                if item.object_name and not item.is_dir
            ],
        )
        return sorted(name.removeprefix(self.prefix) for name in names)

    def location(self, key: str) -> str:
        """``s3://bucket/prefix/key``."""
        return f"s3://{self.bucket}/{self._name(key)}"

    def check_writable(self) -> None:
        """Put a probe object under the store's prefix and remove it again.

        A removal refused (a policy allowing writes but no deletes) is only logged: the
        store can be written, which is what a run needs.

        Raises:
            StorageError: the write was refused (read-only credentials or bucket policy,
                a full server); the message names why.
            TransientStorageError: the server stayed unreachable or failing.
        """
        name = self.prefix + WRITE_PROBE
        data = b"shenbao write probe\n"
        self._call(
            "write probe",
            WRITE_PROBE,
            lambda: self._client.put_object(self.bucket, name, io.BytesIO(data), len(data)),
        )
        try:
            self._call(
                "remove probe", WRITE_PROBE, lambda: self._client.remove_object(self.bucket, name)
            )
        except StorageError as exc:
            logger.warning("%s; the probe object stays", exc)

    def presigned_url(self, key: str, expires: timedelta | None = None) -> str:
        """A time-limited GET link to ``key`` for people without credentials (the index).

        Args:
            key: the object.
            expires: how long the link works; by default the settings' ``link_expiry_s``.
                S3 allows at most seven days.
        """
        name = self._name(key)
        lifetime = expires or timedelta(seconds=self.settings.link_expiry_s)
        if not timedelta(seconds=1) <= lifetime <= timedelta(days=7):
            raise StorageError(f"a presigned link lasts 1 s to 7 days, not {lifetime}")
        return self._call(
            "sign",
            key,
            lambda: self._client.presigned_get_object(self.bucket, name, expires=lifetime),
        )

    def _name(self, key: str) -> str:
        name = self.prefix + check_key(key)
        if len(name.encode("utf-8")) > S3_MAX_KEY_BYTES:
            raise StorageError(f"object key {key!r} is too long for S3 with its prefix")
        return name

    def _head(self, name: str, key: str) -> ObjectInfo | None:
        def stat() -> ObjectInfo | None:
            try:
                found = self._client.stat_object(self.bucket, name)
            except S3Error as exc:
                if exc.code in _MISSING_OBJECT:
                    return None
                raise
            metadata = found.metadata or {}
            return ObjectInfo(
                size=found.size or 0,
                content_type=found.content_type,
                sha256=metadata.get(SHA256_META),
            )

        return self._call("stat", key, stat)

    def _ensure_bucket(self) -> None:
        def ensure() -> None:
            # A listing, not HEAD: a HEAD's 403 has no body to tell wrong credentials from a
            # policy. Keys never start with a dot, so this lists nothing, cheaply.
            probe = f"{self.prefix}.shenbao-probe"
            try:
                next(iter(self._client.list_objects(self.bucket, prefix=probe)), None)
                return
            except S3Error as exc:
                if exc.code != "NoSuchBucket":
                    raise
            try:
                self._client.make_bucket(self.bucket)
            except S3Error as exc:
                if exc.code not in _BUCKET_TAKEN:  # another writer made it meanwhile
                    raise

        self._call("open", None, ensure)

    def _call(self, action: str, key: str | None, operation: Callable[[], T]) -> T:
        """Run one S3 operation, retrying transient failures with exponential backoff."""
        attempts = self.settings.attempts
        for attempt in range(1, attempts + 1):
            try:
                return operation()
            except _SDK_ERRORS as exc:
                failure = _failure(exc)
                if not failure.transient:
                    raise self._error(StorageError, action, key, failure) from exc
                if attempt == attempts:
                    raise self._error(
                        TransientStorageError, action, key, failure, attempts
                    ) from exc
                delay = min(
                    self.settings.backoff_max_s, self.settings.backoff_s * 2 ** (attempt - 1)
                )
                delay *= random.uniform(0.5, 1.0)  # jitter: parallel writers do not retry in step
                logger.warning(
                    "S3 store at %s: %s %s failed (%s); try %d of %d in %.2f s",
                    self.settings.endpoint,
                    action,
                    self._target(key),
                    failure.reason,
                    attempt + 1,
                    attempts,
                    delay,
                )
                time.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    def _target(self, key: str | None) -> str:
        return self.location_root if key is None else f"{key!r} in {self.location_root}"

    def _error(
        self,
        kind: type[StorageError],
        action: str,
        key: str | None,
        failure: _Failure,
        attempts: int = 1,
    ) -> StorageError:
        at = f"S3 store at {self.settings.endpoint}"
        what = f"{action} {self._target(key)}"
        if failure.code in _WRONG_CREDENTIALS:
            message = (
                f"{at} refused the credentials ({failure.code}): check MINIO_ACCESS_KEY and "
                f"MINIO_SECRET_KEY ({what})"
            )
        elif failure.code == "AccessDenied":
            message = (
                f"{at} denied access (AccessDenied): check MINIO_ACCESS_KEY, MINIO_SECRET_KEY "
                f"and the bucket's policy ({what})"
            )
        elif failure.code in _STORAGE_FULL:
            message = (
                f"{at} has no space left ({failure.code}): free space or raise the quota ({what})"
            )
        elif failure.code == "NoSuchBucket":
            message = f"{at} has no bucket {self.bucket!r} ({what})"
        elif failure.transient:
            state = "not reachable" if failure.unreachable else "failing"
            message = f"{at} {state}: {failure.reason} ({what}; gave up after {attempts} tries)"
        else:
            message = f"{at} refused {what}: {failure.reason}"
        return kind(message, file=key)


def open_minio_store(uri: str, settings: MinioSettings) -> MinioStore:
    """The store an ``s3://bucket[/prefix]`` URI names, checked against the server.

    Raises:
        StorageError: the URI is malformed, or the server refuses the credentials.
        TransientStorageError: the server is not reachable.
    """
    rest = uri.split("://", 1)[1]
    if "?" in rest or "#" in rest:
        raise StorageError(
            f"S3 store URIs take no query or fragment: s3://bucket[/prefix], got {uri!r}"
        )
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise StorageError(f"S3 store URI without a bucket: {uri!r}; use s3://bucket[/prefix]")
    return MinioStore(bucket, settings, prefix)


def _checked_prefix(prefix: str) -> str:
    parts = [part for part in prefix.strip("/").split("/") if part] if prefix.strip("/") else []
    if "//" in prefix.strip("/"):
        raise StorageError(f"S3 key prefix {prefix!r} holds an empty part")
    for part in parts:
        check_key_part(part)
    joined = "/".join(parts)
    if len(joined.encode("utf-8")) + MAX_KEY_BYTES > S3_MAX_KEY_BYTES:
        raise StorageError(f"S3 key prefix {prefix!r} leaves too little room for keys")
    return f"{joined}/" if joined else ""


def _client(settings: MinioSettings) -> Minio:
    endpoint = settings.endpoint
    if not endpoint or "/" in endpoint or "@" in endpoint:
        raise StorageError(
            f"MINIO_ENDPOINT must be host[:port], without scheme or path (got {endpoint!r}); "
            "MINIO_SECURE chooses HTTPS"
        )
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s),
        maxsize=16,
        retries=False,  # ours are the only retries: the SDK's would multiply them
        cert_reqs="CERT_REQUIRED",
        ca_certs=str(settings.ca_file) if settings.ca_file else certifi.where(),
    )
    access_key = settings.access_key.get_secret_value()
    try:
        return Minio(
            endpoint,
            access_key=access_key or None,
            secret_key=settings.secret_key.get_secret_value() if access_key else None,
            secure=settings.secure,
            region=settings.region,
            http_client=http,
        )
    except ValueError as exc:
        raise StorageError(f"invalid MINIO_ENDPOINT {endpoint!r}: {exc}") from None


def _failure(exc: BaseException) -> _Failure:
    """Sort an SDK or transport error into transient or permanent, with a short reason."""
    if isinstance(exc, S3Error):
        status = exc.response.status if exc.response is not None else 0
        transient = exc.code not in _STORAGE_FULL and (
            exc.code in _TRANSIENT_CODES or status >= 500 or status == 429
        )
        reason = f"{exc.code}" + (f" ({exc.message})" if exc.message else "")
        return _Failure(transient, False, f"HTTP {status} {reason}", exc.code)
    if isinstance(exc, ServerError):
        status = exc.status_code
        return _Failure(status >= 500 or status == 429, False, f"HTTP {status}")
    if isinstance(exc, InvalidResponseError):
        # A non-XML answer, e.g. a proxy's HTML error page; its body is not worth a line.
        status = int(getattr(exc, "_code", 0) or 0)
        return _Failure(status >= 500 or status == 429, False, f"HTTP {status}, not S3")
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return _failure(exc.reason)
    if isinstance(exc, urllib3.exceptions.SSLError):
        return _Failure(False, True, f"TLS failed: {_os_reason(exc) or exc}")
    if isinstance(exc, urllib3.exceptions.LocationParseError):
        return _Failure(False, True, "invalid endpoint")
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return _Failure(True, True, "host name not resolved")
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # before its base class
        return _Failure(True, True, _os_reason(exc) or "connection failed")
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return _Failure(True, True, "connection timed out")
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return _Failure(True, False, "no answer in time")
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return _Failure(True, False, _os_reason(exc) or type(exc).__name__)
    return _Failure(False, False, str(exc) or type(exc).__name__)


_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed while sending",
    errno.ETIMEDOUT: "timed out",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
}


def _os_reason(exc: BaseException) -> str | None:
    """The operating system's word for a transport failure, from anywhere in the chain."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return _ERRNO_REASONS.get(current.errno) or (current.strerror or "").lower() or None
        if isinstance(current, ConnectionError | TimeoutError):
            return "connection lost" if isinstance(current, ConnectionError) else "timed out"
        pending.extend(
            linked
            for linked in (current.__cause__, current.__context__, *current.args)
            if isinstance(linked, BaseException)
        )
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return "connection lost"
    return None
