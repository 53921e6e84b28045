"""The S3 backend on a real server (SeaweedFS): metadata, multipart, links, and faults."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import urllib3
from minio.error import S3Error
from pydantic import SecretStr

from pipeline.errors import StorageError, TransientStorageError
from pipeline.settings import MinioSettings
from storage.base import manifest_key, put_versioned, report_key, versions_of
from storage.local_store import open_store
from storage.minio_store import SHA256_META, MinioStore
from tests.seaweed import DEFAULT_PORTS, SECRET_KEY, SeaweedServer, free_ports
from tests.storage.unwritable import deny_writes


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record of every logger (the SDK's and urllib3's too), down to DEBUG."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


class CountingCalls:
    """Wraps one SDK method to count calls, optionally failing the first few."""

    def __init__(self, method: Callable[..., Any], failures: list[BaseException] | None = None):
        self.method = method
        self.failures = list(failures or [])
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.method(*args, **kwargs)


READ_TIMEOUT = urllib3.exceptions.ReadTimeoutError(None, "/", "read timed out")  # type: ignore[arg-type]


def s3_error(status: int, code: str) -> S3Error:
    response = urllib3.HTTPResponse(body=b"", status=status)
    return S3Error(response, code, f"{code} from the test", "/", "req-1", None, "b", "k")


def test_the_server_keeps_to_its_own_ports(seaweed: SeaweedServer) -> None:
    listening = seaweed.listening_ports()
    assert listening, "weed mini listens on nothing"
    assert listening <= set(seaweed.ports.values()), listening - set(seaweed.ports.values())
    assert not listening & DEFAULT_PORTS
    rss = seaweed.rss_mb()
    print(f"\nweed mini: started in {seaweed.start_seconds[0]:.2f} s, resident {rss:.0f} MiB")
    assert seaweed.start_seconds[0] < 30 and rss < 1024


def test_the_bucket_is_created_when_absent(seaweed: SeaweedServer, bucket_name: str) -> None:
    client = seaweed.client()
    assert not client.bucket_exists(bucket_name)
    store = MinioStore(bucket_name, seaweed.settings())
    assert client.bucket_exists(bucket_name)
    store.put_bytes("a/b.txt", b"1")
    again = MinioStore(bucket_name, seaweed.settings())  # an existing bucket is fine
    assert again.get_bytes("a/b.txt") == b"1"


def test_content_type_and_sha256_in_the_metadata(
    s3_store: MinioStore, seaweed: SeaweedServer
) -> None:
    data = '{"status": "fail", "message": "纸质材料为123456.78万元"}'.encode()
    key = report_key("b1", "s1")
    s3_store.put_bytes(key, data, "application/json")
    info = s3_store.head(key)
    assert info is not None
    assert (info.size, info.content_type) == (len(data), "application/json")
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    raw = seaweed.client().stat_object(s3_store.bucket, key)
    assert raw.metadata is not None and raw.metadata[SHA256_META] == info.sha256
    assert s3_store.head("a/missing") is None


def test_an_unchanged_object_is_not_rewritten_nor_downloaded(
    s3_store: MinioStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = manifest_key("b1")
    s3_store.put_bytes(key, b"{}", "application/json")
    puts = CountingCalls(s3_store._client.put_object)
    monkeypatch.setattr(s3_store._client, "put_object", puts)
    downloads = CountingCalls(s3_store._client.get_object)
    monkeypatch.setattr(s3_store._client, "get_object", downloads)
    s3_store.put_bytes(key, b"{}", "application/json")
    assert puts.calls == 0
    s3_store.put_bytes(key, b"{}", "text/plain")  # same bytes, another type: rewritten
    s3_store.put_bytes(key, b"{ }", "text/plain")
    assert (puts.calls, downloads.calls) == (2, 0)  # decided by stat, never by a download
    monkeypatch.undo()
    info = s3_store.head(key)
    assert info is not None and info.content_type == "text/plain"
    assert s3_store.get_bytes(key) == b"{ }"


def test_a_large_object_goes_up_in_parts(s3_store: MinioStore, seaweed: SeaweedServer) -> None:
    part_size = s3_store.settings.part_size
    data = os.urandom(part_size + 123_457)
    key = "originals/" + hashlib.sha256(data).hexdigest()
    s3_store.put_bytes(key, data, "application/pdf")
    raw = seaweed.client().stat_object(s3_store.bucket, key)
    assert raw.etag is not None and raw.etag.endswith("-2")  # two parts: a multipart upload
    assert s3_store.get_bytes(key) == data
    info = s3_store.head(key)
    assert info is not None and info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.content_type == "application/pdf" and info.size == len(data)


def test_the_uri_prefix_holds_every_key(seaweed: SeaweedServer, bucket_name: str) -> None:
    store = open_store(f"s3://{bucket_name}/tenant/2022", seaweed.settings())
    assert isinstance(store, MinioStore)
    store.put_bytes(manifest_key("b1"), b"{}")
    assert store.list() == ["batches/b1/manifest.json"]
    assert store.location("batches/b1/manifest.json") == (
        f"s3://{bucket_name}/tenant/2022/batches/b1/manifest.json"
    )
    raw = [o.object_name for o in seaweed.client().list_objects(bucket_name, recursive=True)]
    assert raw == ["tenant/2022/batches/b1/manifest.json"]
    assert repr(store) == f"MinioStore('s3://{bucket_name}/tenant/2022' at {seaweed.endpoint})"


def test_presigned_links_work_without_credentials_and_expire(s3_store: MinioStore) -> None:
    key = report_key("b1", "s1").replace(".json", ".html")
    s3_store.put_bytes(key, "<h1>申报</h1>".encode(), "text/html; charset=utf-8")
    url = s3_store.presigned_url(key, timedelta(minutes=5))
    assert SECRET_KEY not in url and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.read().decode() == "<h1>申报</h1>"
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    short = s3_store.presigned_url(key, timedelta(seconds=1))
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(short, timeout=5)
    assert expired.value.code == 403
    with pytest.raises(StorageError, match="1 s to 7 days"):
        s3_store.presigned_url(key, timedelta(days=8))


def test_open_store_reads_the_environment(
    seaweed: SeaweedServer, bucket_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = seaweed.settings()
    monkeypatch.setenv("MINIO_ENDPOINT", settings.endpoint)
    monkeypatch.setenv("MINIO_ACCESS_KEY", settings.access_key.get_secret_value())
    monkeypatch.setenv("MINIO_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("MINIO_SECURE", "false")
    monkeypatch.setenv("MINIO_ATTEMPTS", "2")
    store = open_store(f"s3://{bucket_name}")
    assert isinstance(store, MinioStore) and store.settings.attempts == 2
    store.put_bytes("a/b", b"1")
    assert store.location("a/b") == f"s3://{bucket_name}/a/b"
    shown = f"{store!r} {store} {store.settings!r} {store.settings.model_dump_json()}"
    assert SECRET_KEY not in shown
    copy = pickle.loads(pickle.dumps(store))  # a worker process gets a working store
    assert copy.get_bytes("a/b") == b"1" and repr(copy) == repr(store)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://", "without a bucket"),
        ("s3:///prefix", "without a bucket"),
        ("s3://Bad_Bucket", "invalid S3 bucket name"),
        ("s3://ab", "invalid S3 bucket name"),
        ("s3://bucket?versionId=1", "no query or fragment"),
        ("s3://bucket/../escape", "unsafe object key part"),
        ("s3://bucket/a//b", "empty part"),
        ("s3://bucket/．．", "look-alike"),
    ],
)
def test_open_store_refuses_malformed_s3_uris(
    uri: str, message: str, seaweed: SeaweedServer
) -> None:
    with pytest.raises(StorageError, match=message):
        open_store(uri, seaweed.settings())


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9000", "127.0.0.1:9000/path", ""])
def test_an_endpoint_with_a_scheme_or_path_is_refused(endpoint: str) -> None:
    settings = MinioSettings(endpoint=endpoint, secure=False)
    with pytest.raises(StorageError, match="MINIO_ENDPOINT must be host"):
        MinioStore("shenbao-bucket", settings)


# --- faults ---------------------------------------------------------------------------


def test_server_down_at_start_fails_fast_and_clearly(seaweed: SeaweedServer) -> None:
    (nobody,) = free_ports(1)
    settings = seaweed.settings(endpoint=f"127.0.0.1:{nobody}", attempts=3, backoff_s=0.05)
    began = time.monotonic()
    with pytest.raises(TransientStorageError) as failed:
        open_store("s3://shenbao-reports", settings)
    elapsed = time.monotonic() - began
    message = str(failed.value)
    assert message.startswith(f"S3 store at 127.0.0.1:{nobody} not reachable: connection refused")
    assert "gave up after 3 tries" in message and "\n" not in message
    assert failed.value.retryable
    assert elapsed < 2, elapsed


@pytest.mark.parametrize(
    ("access_key", "secret_key", "code"),
    [
        ("shenbao-test-access", "wrong-secret-Zq81xK", "SignatureDoesNotMatch"),
        ("wrong-access-Hy72", "wrong-secret-Zq81xK", "InvalidAccessKeyId"),
    ],
)
def test_wrong_credentials_fail_at_once_without_showing_the_secret(
    seaweed: SeaweedServer,
    bucket_name: str,
    all_logs: pytest.LogCaptureFixture,
    access_key: str,
    secret_key: str,
    code: str,
) -> None:
    settings = seaweed.settings(
        access_key=SecretStr(access_key),
        secret_key=SecretStr(secret_key),
        attempts=5,
        backoff_s=1.0,  # a retry would show in the time taken
    )
    began = time.monotonic()
    with pytest.raises(StorageError) as failed:
        open_store(f"s3://{bucket_name}", settings)
    assert time.monotonic() - began < 1.0
    assert not isinstance(failed.value, TransientStorageError)
    message = str(failed.value)
    assert message.startswith(f"S3 store at {seaweed.endpoint} refused the credentials ({code})")
    assert "MINIO_SECRET_KEY" in message and "\n" not in message
    everything = "".join(traceback.format_exception(failed.value))  # the SDK's errors too
    for secret in (secret_key, SECRET_KEY):
        assert secret not in everything
        assert secret not in all_logs.text
        assert secret not in repr(settings)
    assert access_key not in message


def test_transient_failures_are_retried_with_backoff(
    s3_store: MinioStore, monkeypatch: pytest.MonkeyPatch, all_logs: pytest.LogCaptureFixture
) -> None:
    put = CountingCalls(
        s3_store._client.put_object,
        [
            s3_error(503, "SlowDown"),
            urllib3.exceptions.ProtocolError(
                "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
            ),
        ],
    )
    monkeypatch.setattr(s3_store._client, "put_object", put)
    s3_store.put_bytes("a/b.json", b"{}", "application/json")
    assert put.calls == 3
    retries = [r.getMessage() for r in all_logs.records if r.name.endswith("minio_store")]
    assert len(retries) == 2
    assert "HTTP 503 SlowDown" in retries[0] and "try 2 of 3" in retries[0]
    assert "connection reset" in retries[1] and "try 3 of 3" in retries[1]
    monkeypatch.undo()
    assert s3_store.get_bytes("a/b.json") == b"{}"


@pytest.mark.parametrize(
    ("failure", "kind", "message"),
    [
        (s3_error(500, "InternalError"), TransientStorageError, "failing: HTTP 500"),
        (READ_TIMEOUT, TransientStorageError, "no answer in time"),
        (s3_error(403, "AccessDenied"), StorageError, "denied access"),
        (s3_error(400, "InvalidArgument"), StorageError, "refused put"),
        (s3_error(400, "KeyTooLongError"), StorageError, "KeyTooLongError"),
    ],
)
def test_permanent_failures_are_not_retried_and_transient_ones_give_up(
    s3_store: MinioStore,
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
    kind: type[StorageError],
    message: str,
) -> None:
    attempts = s3_store.settings.attempts
    put = CountingCalls(s3_store._client.put_object, [failure] * attempts)
    monkeypatch.setattr(s3_store._client, "put_object", put)
    with pytest.raises(StorageError, match=message) as failed:
        s3_store.put_bytes("a/b.json", b"{}")
    assert type(failed.value) is kind
    assert put.calls == (attempts if kind is TransientStorageError else 1)
    assert failed.value.file == "a/b.json"


def test_a_missing_bucket_on_read_is_a_permanent_error(seaweed: SeaweedServer) -> None:
    store = MinioStore("shenbao-never-made", seaweed.settings(attempts=5), create_bucket=False)
    began = time.monotonic()
    with pytest.raises(StorageError, match="has no bucket 'shenbao-never-made'") as failed:
        store.get_bytes("a/b")
    assert not isinstance(failed.value, TransientStorageError)
    assert time.monotonic() - began < 1.0  # not retried
    assert not seaweed.client().bucket_exists("shenbao-never-made")


def test_server_killed_mid_batch_then_a_rerun_completes(
    seaweed: SeaweedServer, bucket_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MinioStore(bucket_name, seaweed.settings(attempts=3, backoff_s=0.02))
    submissions = [f"scan_{n:04d}-p001-026" for n in range(10)]
    keys = [report_key("b1", submission) for submission in submissions]
    for key in keys:  # the first run, complete
        put_versioned(store, key, b'{"status": "pass"}\n', "application/json")
    store.put_bytes(manifest_key("b1"), b'{"run": 1}\n', "application/json")

    def reconcile(reached: Callable[[int], None] = lambda index: None) -> None:
        """A second run with a new report for every submission, then its manifest."""
        for index, key in enumerate(keys):
            reached(index)
            put_versioned(store, key, b'{"status": "fail"}\n', "application/json")
        store.put_bytes(manifest_key("b1"), b'{"run": 2}\n', "application/json")

    def kill_at_the_sixth(index: int) -> None:
        if index == 5:
            seaweed.kill()

    try:
        with pytest.raises(TransientStorageError, match="not reachable"):
            reconcile(kill_at_the_sixth)
    finally:
        seaweed.start()  # the same folder and ports: the session's server again

    puts = CountingCalls(store._client.put_object)
    monkeypatch.setattr(store._client, "put_object", puts)
    reconcile()
    monkeypatch.undo()

    versions = [version for key in keys for version in versions_of(store, key)]
    assert store.list() == sorted([*keys, *versions, manifest_key("b1")])
    assert len(versions) == len(keys)  # each earlier report kept exactly once
    for key in keys:
        assert store.get_bytes(key) == b'{"status": "fail"}\n'
        (kept,) = versions_of(store, key)
        assert store.get_bytes(kept) == b'{"status": "pass"}\n'
    assert store.get_bytes(manifest_key("b1")) == b'{"run": 2}\n'
    # The re-run wrote only what the killed run had not: 5 reports, their 5 versions and
    # the manifest; the 5 finished before the kill were left alone.
    assert puts.calls == 11


def test_a_bucket_that_refuses_writes_fails_the_write_probe(
    s3_store: MinioStore, seaweed: SeaweedServer
) -> None:
    """Read-only for these credentials: the bucket's policy denies every put (SeaweedFS
    enforces an explicit deny even for its admin)."""
    s3_store.put_bytes("a/b.json", b"{}")  # writable so far
    s3_store.check_writable()
    deny_writes(seaweed.client(), s3_store.bucket)
    began = time.monotonic()
    with pytest.raises(StorageError, match="denied access") as failed:
        s3_store.check_writable()
    assert not isinstance(failed.value, TransientStorageError)
    assert time.monotonic() - began < 1.0  # not retried
    assert "write probe" in str(failed.value) and "\n" not in str(failed.value)
    assert SECRET_KEY not in str(failed.value)
    assert s3_store.get_bytes("a/b.json") == b"{}"  # reading still works


def test_a_full_server_fails_at_once_saying_so(
    s3_store: MinioStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MinIO answers a write to a full drive with 507 XMinioStorageFull: a 5xx, but trying
    again within the run cannot help."""
    put = CountingCalls(s3_store._client.put_object, [s3_error(507, "XMinioStorageFull")] * 3)
    monkeypatch.setattr(s3_store._client, "put_object", put)
    with pytest.raises(StorageError, match="has no space left") as failed:
        s3_store.check_writable()
    assert not isinstance(failed.value, TransientStorageError)
    assert put.calls == 1
