"""The batch flow really runs on Prefect: manifest in the store, idempotent re-runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from prefect import flow
from prefect.states import Failed

from shenbao.flows.batch import process_batch, retry_if_transient, step
from shenbao.pipeline.errors import InputError, StorageError, TransientStorageError

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def batch_folder(tmp_path: Path, pdf_bytes: Callable[..., bytes]) -> Path:
    folder = tmp_path / "2022-pilot"
    folder.mkdir()
    (folder / "scan_0001.pdf").write_bytes(pdf_bytes(pages=2))
    (folder / "notes.pdf").write_text("not a PDF", encoding="utf-8")
    return folder


def test_the_flow_writes_the_manifest(batch_folder: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = process_batch(paths=[str(batch_folder)], online=None, batch=None, store=str(store))
    assert result.batch.startswith("2022-pilot-")
    assert (result.files, result.processed, result.quarantined) == (2, 1, 1)
    assert result.manifest_key == f"batches/{result.batch}/manifest.json"
    path = store / result.manifest_key
    assert result.manifest_location == str(path)
    manifest = json.loads(path.read_text(encoding="utf-8"))
    assert manifest["schema"] == "shenbao.manifest/1"
    files = {f["file"]: f for f in manifest["files"]}
    assert files["scan_0001.pdf"]["state"] == "processed"
    assert files["scan_0001.pdf"]["pages"] == 2
    assert files["notes.pdf"]["state"] == "quarantined"
    assert "PDF" in files["notes.pdf"]["reason"]
    # every file has a report: the scan its pages, the quarantined one FILE_UNREADABLE
    (scan_id,) = files["scan_0001.pdf"]["submissions"]
    (notes_id,) = files["notes.pdf"]["submissions"]
    scan = json.loads((store / "reports" / result.batch / scan_id / "report.json").read_text())
    assert [p["number"] for p in scan["pages"]] == [1, 2]
    assert scan["engine"]["ocr"].startswith("rapidocr")
    notes = json.loads((store / "reports" / result.batch / notes_id / "report.json").read_text())
    assert [f["code"] for f in notes["findings"]] == ["FILE_UNREADABLE"]
    assert notes["status"] == "fail"


def test_a_rerun_is_idempotent(batch_folder: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    first = process_batch(paths=[str(batch_folder)], store=store)
    written = tmp_path / "store" / first.manifest_key
    before = written.read_bytes(), written.stat().st_ino, written.stat().st_mtime_ns
    second = process_batch(paths=[str(batch_folder)], store=store)
    assert second == first
    assert (written.read_bytes(), written.stat().st_ino, written.stat().st_mtime_ns) == before
    reports = sorted((tmp_path / "store" / "reports").rglob("report.json"))
    assert len(reports) == 2
    stamps = [(r.stat().st_ino, r.stat().st_mtime_ns) for r in reports]
    process_batch(paths=[str(batch_folder)], store=store)
    assert [(r.stat().st_ino, r.stat().st_mtime_ns) for r in reports] == stamps


def test_a_given_batch_id_and_a_recorded_online_export(batch_folder: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.xlsx"
    export.write_bytes(b"PK\x03\x04 not really a workbook yet")
    result = process_batch(
        paths=[str(batch_folder / "scan_0001.pdf")],
        online=str(export),
        batch="2022-pilot-0801",
        store=str(tmp_path / "store"),
    )
    assert result.batch == "2022-pilot-0801"
    assert result.online is not None and result.online.file == "export.xlsx"
    assert (tmp_path / "store" / "batches" / "2022-pilot-0801" / "manifest.json").is_file()


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"online": "missing.xlsx"}, InputError, "cannot read"),
        ({"batch": "../escape"}, InputError, "invalid batch id"),
        ({"store": "s3://bucket"}, StorageError, "not implemented yet"),
    ],
)
def test_run_failures_raise(
    batch_folder: Path,
    tmp_path: Path,
    arguments: dict[str, str],
    error: type[Exception],
    message: str,
) -> None:
    arguments = {"store": str(tmp_path / "store"), **arguments}
    with pytest.raises(error, match=message):
        process_batch(paths=[str(batch_folder)], **arguments)
    assert not (tmp_path / "store" / "batches").exists()


def test_only_transient_errors_are_retried() -> None:
    calls: list[str] = []

    def flaky(error: Exception) -> str:
        calls.append(type(error).__name__)
        if len(calls) == 1 or not error.retryable:  # type: ignore[attr-defined]
            raise error
        return "written"

    flaky_step = step(flaky).with_options(retry_delay_seconds=0)

    @flow
    def attempt(error: Exception) -> str:
        return flaky_step(error)

    assert attempt(TransientStorageError("connection reset")) == "written"
    assert calls == ["TransientStorageError", "TransientStorageError"]
    calls.clear()
    with pytest.raises(InputError):
        attempt(InputError("not a PDF"))
    assert calls == ["InputError"]


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (TransientStorageError("reset"), True),
        (StorageError("permission denied"), False),
        (InputError("bad"), False),
        (ValueError("bug"), False),
    ],
)
def test_retry_condition(error: Exception, retry: bool) -> None:
    assert retry_if_transient(None, None, Failed(data=error)) is retry
