"""One suite, both backends: the local folder and S3 (SeaweedFS) keep the same contract."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.errors import StorageError
from storage.base import (
    ObjectMissingError,
    ObjectStore,
    VersionedWrite,
    put_versioned,
    report_key,
    versions_key,
    versions_of,
)
from storage.local_store import LocalStore
from storage.minio_store import MinioStore

Store = LocalStore | MinioStore

REPORT = report_key("2022-pilot-0801", "scan_0007-p001-026")

# Keys that would leave the layout (or look as if they do) once joined, decoded or folded.
HOSTILE_KEYS = [
    "../escape",
    "reports/../../escape",
    "reports/b/../../../etc/passwd",
    "/etc/passwd",
    "/abs/report.json",
    "reports//report.json",
    "reports/",
    "a\\..\\b",
    "reports/b/\x00.json",
    "reports/b\nc/report.json",
    "reports/\x1b[31mred",
    ".hidden",
    "reports/./b",
    "reports/..",
    "x" * 201,
    "reports/" + "长" * 67 + "/report.json",  # 201 bytes of UTF-8
    "/".join(["a"] * 460),  # every part short, the whole key too long
    "reports/\u202egnp.exe",  # right-to-left override
    "reports/a\u200bb",  # zero-width space
    "．．／．．／etc/passwd",  # full-width full stops and solidus: NFKC makes ../../
    "reports/．．/x",
    "reports/\uff0fetc",  # full-width solidus
    "reports/a\u2215b",  # division slash
    "reports/a\u2044b",  # fraction slash
    "reports/a\uff3cb",  # full-width reverse solidus
    "reports/\u2025/x",  # two dot leader: NFKC ..
    "reports/\ufe52hidden",  # small full stop: NFKC .
]

# Odd but legal parts: stored and listed exactly as given, inside the layout.
ODD_KEYS = [
    "reports/b/申报书（终稿）/report.json",
    "reports/b/with space/report.json",
    "reports/b/%2e%2e%2fescape/report.json",
    "reports/b/a?b#c&d=e/report.json",
    "reports/b/~user/report.json",
    "reports/b/" + "x" * 200,
]


def raw_keys(store: Store) -> list[str]:
    """Everything the backend holds, looked at behind the store's back."""
    if isinstance(store, LocalStore):
        return sorted(
            p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file()
        )
    client = store._client
    return sorted(
        item.object_name or ""
        for item in client.list_objects(store.bucket, prefix="", recursive=True)
    )


def test_round_trip_listing_and_location(any_store: Store) -> None:
    assert isinstance(any_store, ObjectStore)
    any_store.put_bytes("batches/b1/manifest.json", b"{}", "application/json")
    any_store.put_bytes(REPORT, "申报".encode(), "application/json")
    any_store.put_bytes("originals/" + "0" * 64, b"%PDF-1.7")
    assert any_store.get_bytes(REPORT).decode() == "申报"
    assert any_store.get_bytes("originals/" + "0" * 64) == b"%PDF-1.7"
    assert any_store.exists("batches/b1/manifest.json")
    assert not any_store.exists("batches/b1/nothing.json")
    assert not any_store.exists("batches/b1")  # a folder is not an object
    assert any_store.list() == ["batches/b1/manifest.json", "originals/" + "0" * 64, REPORT]
    assert any_store.list("reports/") == [REPORT]
    assert any_store.list("batches/b") == ["batches/b1/manifest.json"]
    assert any_store.list("nothing/") == []
    location = any_store.location(REPORT)
    assert location.endswith("reports/2022-pilot-0801/scan_0007-p001-026/report.json")
    if isinstance(any_store, MinioStore):
        assert location == f"s3://{any_store.bucket}/{REPORT}"


def test_missing_object(any_store: Store) -> None:
    with pytest.raises(ObjectMissingError, match="no object"):
        any_store.get_bytes(REPORT)


def test_empty_object(any_store: Store) -> None:
    any_store.put_bytes("batches/b1/empty.txt", b"")
    assert any_store.exists("batches/b1/empty.txt")
    assert any_store.get_bytes("batches/b1/empty.txt") == b""


def test_rewriting_changes_content_and_same_bytes_are_idempotent(any_store: Store) -> None:
    any_store.put_bytes(REPORT, b"one", "application/json")
    any_store.put_bytes(REPORT, b"one", "application/json")
    assert any_store.get_bytes(REPORT) == b"one"
    any_store.put_bytes(REPORT, b"two", "application/json")
    assert any_store.get_bytes(REPORT) == b"two"
    assert any_store.list() == [REPORT]


def test_versioning_keeps_every_earlier_report(any_store: Store) -> None:
    first, second, third = b'{"v": 1}\n', b'{"v": 2}\n', b'{"v": 3}\n'
    created = put_versioned(any_store, REPORT, first, "application/json")
    assert created == VersionedWrite(REPORT, written=True, kept_as=None)
    assert put_versioned(any_store, REPORT, first, "application/json") == VersionedWrite(
        REPORT, written=False, kept_as=None
    )
    assert any_store.list() == [REPORT]  # unchanged: nothing written, no version kept

    replaced = put_versioned(any_store, REPORT, second, "application/json")
    kept_first = versions_key(REPORT, 1, hashlib.sha256(first).hexdigest())
    assert kept_first == (
        "reports/2022-pilot-0801/scan_0007-p001-026/versions/report-0001-"
        f"{hashlib.sha256(first).hexdigest()[:8]}.json"
    )
    assert replaced == VersionedWrite(REPORT, written=True, kept_as=kept_first)
    put_versioned(any_store, REPORT, third, "application/json")
    put_versioned(any_store, REPORT, third, "application/json")

    kept = versions_of(any_store, REPORT)
    assert [any_store.get_bytes(key) for key in kept] == [first, second]
    assert any_store.get_bytes(REPORT) == third
    assert sorted(any_store.list()) == sorted([REPORT, *kept])

    # Back to an earlier content: still a new version, numbered on, the old ones untouched.
    back = put_versioned(any_store, REPORT, first, "application/json")
    assert back.kept_as is not None and "/report-0003-" in back.kept_as
    assert [any_store.get_bytes(key) for key in versions_of(any_store, REPORT)] == [
        first,
        second,
        third,
    ]


def test_versions_of_neighbours_stay_apart(any_store: Store) -> None:
    html = REPORT.replace("report.json", "report.html")
    put_versioned(any_store, REPORT, b"json 1", "application/json")
    put_versioned(any_store, html, b"html 1", "text/html")
    put_versioned(any_store, REPORT, b"json 2", "application/json")
    put_versioned(any_store, html, b"html 2", "text/html")
    assert [any_store.get_bytes(k) for k in versions_of(any_store, REPORT)] == [b"json 1"]
    assert [any_store.get_bytes(k) for k in versions_of(any_store, html)] == [b"html 1"]
    assert versions_of(any_store, REPORT)[0].endswith(".json")
    assert versions_of(any_store, html)[0].endswith(".html")


def test_a_run_that_died_between_keeping_and_replacing_is_completed(any_store: Store) -> None:
    put_versioned(any_store, REPORT, b"old", "application/json")

    class DiesOnReplace:
        """The store, failing exactly when the current report is about to be replaced."""

        def __getattr__(self, name: str) -> object:
            return getattr(any_store, name)

        def put_bytes(self, key: str, data: bytes, content_type: str = "") -> None:
            if key == REPORT:
                raise StorageError("lost the store")
            any_store.put_bytes(key, data, content_type)

    with pytest.raises(StorageError, match="lost the store"):
        put_versioned(DiesOnReplace(), REPORT, b"new", "application/json")  # type: ignore[arg-type]
    assert len(versions_of(any_store, REPORT)) == 1
    result = put_versioned(any_store, REPORT, b"new", "application/json")
    assert result.written and result.kept_as == versions_of(any_store, REPORT)[0]
    assert len(versions_of(any_store, REPORT)) == 1  # the old report kept once, not twice
    assert any_store.get_bytes(REPORT) == b"new"


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_never_leave_the_layout(any_store: Store, tmp_path: Path, key: str) -> None:
    with pytest.raises(StorageError):
        any_store.put_bytes(key, b"x")
    with pytest.raises(StorageError):
        any_store.get_bytes(key)
    with pytest.raises(StorageError):
        any_store.exists(key)
    with pytest.raises(StorageError):
        any_store.location(key)
    with pytest.raises(StorageError):
        put_versioned(any_store, key, b"x")
    assert raw_keys(any_store) == []
    # Nothing beside the store either (the local store's root is tmp_path/store).
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["store"])


def test_odd_but_legal_keys_are_stored_exactly_as_given(any_store: Store) -> None:
    for number, key in enumerate(ODD_KEYS):
        any_store.put_bytes(key, str(number).encode())
    assert any_store.list() == sorted(ODD_KEYS)
    assert raw_keys(any_store) == sorted(ODD_KEYS)
    for number, key in enumerate(ODD_KEYS):
        assert any_store.get_bytes(key) == str(number).encode()


def test_a_writable_store_passes_the_write_probe_and_keeps_nothing(any_store: Store) -> None:
    any_store.put_bytes(REPORT, b"{}")
    before = raw_keys(any_store)
    any_store.check_writable()
    any_store.check_writable()  # again: the probe was removed, not left to be skipped
    assert raw_keys(any_store) == before
    if isinstance(any_store, LocalStore):  # no temporary file left either
        assert sorted(p.name for p in any_store.root.iterdir()) == ["reports"]
