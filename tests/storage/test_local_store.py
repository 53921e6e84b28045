"""The local-directory store: atomic, confined to its root, idempotent, hostile keys refused."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from pipeline.errors import StorageError
from pipeline.model import Manifest, ManifestEntry
from storage import local_store
from storage.base import (
    ObjectMissingError,
    ObjectStore,
    check_key,
    json_bytes,
    manifest_key,
    safe_key,
)
from storage.local_store import LocalStore, open_store
from tests.storage.unwritable import WAYS, unwritable

HOSTILE_KEYS = [
    "",
    "../escape",
    "batches/../../escape",
    "/etc/passwd",
    "batches//manifest.json",
    "batches/",
    "a\\..\\b",
    "a/\x00b",
    "a/b\nc",
    ".hidden",
    "a/./b",
    "a/..",
    "x" * 201,
    "a/\u202eb",
]


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "store")


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_round_trip_and_listing(store: LocalStore) -> None:
    assert isinstance(store, ObjectStore)
    store.put_bytes("batches/b1/manifest.json", b"{}", "application/json")
    store.put_bytes("reports/b1/s1/report.json", "申报".encode())
    store.put_bytes("originals/" + "0" * 64, b"pdf")
    assert store.get_bytes("reports/b1/s1/report.json").decode() == "申报"
    assert store.exists("batches/b1/manifest.json")
    assert not store.exists("batches/b1/nothing.json")
    assert not store.exists("batches/b1")  # a folder is not an object
    assert store.list() == [
        "batches/b1/manifest.json",
        "originals/" + "0" * 64,
        "reports/b1/s1/report.json",
    ]
    assert store.list("reports/") == ["reports/b1/s1/report.json"]
    assert store.list("batches/b") == ["batches/b1/manifest.json"]
    assert store.list("nothing/") == []
    assert store.location("batches/b1/manifest.json") == str(
        store.root / "batches" / "b1" / "manifest.json"
    )


def test_missing_object(store: LocalStore) -> None:
    with pytest.raises(ObjectMissingError, match="no object"):
        store.get_bytes("batches/b1/manifest.json")


def test_writing_the_same_bytes_leaves_the_file_alone(store: LocalStore) -> None:
    store.put_bytes("batches/b1/manifest.json", b"one")
    path = store.root / "batches" / "b1" / "manifest.json"
    before = path.stat()
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    store.put_bytes("batches/b1/manifest.json", b"one")
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, 1_000_000_000)
    store.put_bytes("batches/b1/manifest.json", b"two")
    assert path.read_bytes() == b"two"


def test_a_failed_write_keeps_the_old_object_and_no_debris(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_bytes("batches/b1/manifest.json", b"old")

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(StorageError, match="No space left"):
        store.put_bytes("batches/b1/manifest.json", b"new")
    assert store.get_bytes("batches/b1/manifest.json") == b"old"
    assert _files(store.root) == ["batches/b1/manifest.json"]


def test_no_temporary_files_remain_or_are_listed(store: LocalStore) -> None:
    store.put_bytes("a/b", b"1")
    (store.root / "a" / ".b.123.tmp").write_bytes(b"half")  # a crashed writer's leftover
    assert store.list() == ["a/b"]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_are_refused(store: LocalStore, tmp_path: Path, key: str) -> None:
    with pytest.raises(StorageError):
        store.put_bytes(key, b"x")
    with pytest.raises(StorageError):
        store.get_bytes(key)
    with pytest.raises(StorageError):
        store.exists(key)
    assert _files(tmp_path) == []


def test_a_link_inside_the_store_cannot_lead_out(store: LocalStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (store.root / "batches").symlink_to(outside, target_is_directory=True)
    with pytest.raises(StorageError, match="outside the store"):
        store.put_bytes("batches/b1/manifest.json", b"x")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    ("parts", "key"),
    [
        (("batches", "b1", "manifest.json"), "batches/b1/manifest.json"),
        (("reports", "批次", "s-1", "report.json"), "reports/批次/s-1/report.json"),
    ],
)
def test_safe_key(parts: tuple[str, ...], key: str) -> None:
    assert safe_key(*parts) == key
    assert check_key(key) == key


@pytest.mark.parametrize("part", ["", ".", "..", "a/b", "a\\b", "/abs", "a\x01", ".env", "é" * 101])
def test_safe_key_refuses(part: str) -> None:
    with pytest.raises(StorageError, match="unsafe object key part"):
        safe_key("batches", part, "manifest.json")


def test_manifest_key_and_stable_json() -> None:
    assert manifest_key("b1") == "batches/b1/manifest.json"
    with pytest.raises(StorageError):
        manifest_key("../b1")
    manifest = Manifest(
        batch="b1",
        files=(
            ManifestEntry(
                file="申报.pdf", size=0, state="quarantined", reason="空文件", reason_en="empty"
            ),
        ),
    )
    data = json_bytes(manifest)
    assert data == json_bytes(Manifest.model_validate_json(data))
    text = data.decode()
    assert '"schema": "shenbao.manifest/1"' in text and "申报.pdf" in text
    assert text.index('"batch"') < text.index('"files"') < text.index('"schema"')


def test_open_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_store("var/store")
    assert isinstance(relative, LocalStore) and relative.root == tmp_path / "var" / "store"
    absolute = open_store(f"file://{tmp_path}/abs%20store")
    assert isinstance(absolute, LocalStore) and absolute.root == tmp_path / "abs store"
    assert open_store(str(tmp_path / "plain")).root == tmp_path / "plain"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://", "without a bucket"),
        ("file://relative/store", "absolute path"),
        ("ftp://host/store", "unsupported store URI scheme"),
        ("  ", "empty store URI"),
    ],
)
def test_open_store_refuses(uri: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        open_store(uri)


@pytest.mark.parametrize("way", WAYS)
def test_a_store_that_cannot_be_written_fails_the_write_probe(store: LocalStore, way: str) -> None:
    with unwritable(store.root, way), pytest.raises(StorageError) as failed:
        store.check_writable()
    message = str(failed.value)
    assert str(store.root) in message and "cannot be written" in message
    assert "permission denied" in message or "read-only" in message
    assert list(store.root.iterdir()) == []


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        (errno.ENOSPC, "no space left on device"),
        (errno.EROFS, "read-only file system"),
        (errno.EDQUOT, "disk quota exceeded"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_the_write_probe_names_why_it_failed(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch, code: int, cause: str
) -> None:
    """A full disk (or a read-only mount) cannot be made in a test: the write it refuses
    is, as the operating system would refuse it."""

    def refused(path: Path, data: bytes, *, durable: bool = False) -> None:
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(local_store, "write_atomic", refused)
    with pytest.raises(StorageError, match=f"cannot be written: {cause}$"):
        store.check_writable()
