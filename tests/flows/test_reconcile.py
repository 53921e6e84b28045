"""``shenbao reconcile``: a stored batch re-checked against a newer export, no page read."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import onnxruntime
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from flows import reconcile as reconcile_module
from flows.batch import process_batch
from flows.cli import app
from flows.reconcile import reconcile_batch
from pipeline import run as run_module
from pipeline.errors import InputError
from tests.readers import SAMPLES

pytestmark = pytest.mark.usefixtures("prefect_harness")

P001 = "P001-p001-009"


@pytest.fixture(scope="module")
def stored_once(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    """A batch of two electronic copies and a quarantined file, run against the export."""
    root = tmp_path_factory.mktemp("reconcile")
    folder = root / "in"
    folder.mkdir()
    for name in ("P001.pdf", "C003.docx"):
        shutil.copy(SAMPLES / "electronic" / name, folder / name)
    (folder / "notes.pdf").write_text("not a PDF", encoding="utf-8")
    process_batch(
        paths=[str(folder)],
        online=str(SAMPLES / "online" / "export.csv"),
        batch="b1",
        store=str(root / "store"),
        received="2022-08-12",
    )
    return root


@pytest.fixture
def stored(stored_once: Path, tmp_path: Path) -> Path:
    """The stored batch, a copy of its own for each test (``tmp_path / "in"`` its inputs)."""
    shutil.copytree(stored_once / "in", tmp_path / "in")
    return Path(shutil.copytree(stored_once / "store", tmp_path / "store"))


def _newer_export(tmp_path: Path, record_id: str, column: str, value: str) -> Path:
    """The sample export with one cell changed, as the platform would export it again."""
    text = (SAMPLES / "online" / "export.csv").read_bytes().decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("申报编号")] == record_id:
            row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / "export-newer.csv"
    path.write_bytes(out.getvalue().encode("gb18030"))
    return path


@pytest.fixture
def no_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a page (text layer, DOCX or OCR) fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("reconcile must not read pages")

    monkeypatch.setattr(run_module, "read_page", refuse)
    monkeypatch.setattr(run_module, "read_document", refuse)
    monkeypatch.setattr(onnxruntime, "InferenceSession", refuse)


def _report(store: Path, sid: str) -> dict:  # type: ignore[type-arg]
    return json.loads((store / "reports" / "b1" / sid / "report.json").read_text("utf-8"))


@pytest.mark.usefixtures("no_reading")
def test_the_same_export_changes_nothing(stored: Path) -> None:
    before = {p: p.read_bytes() for p in stored.rglob("*") if p.is_file()}
    result = reconcile_batch(
        batch="b1", online=str(SAMPLES / "online" / "export.csv"), store=str(stored)
    )
    assert result.written == 0
    assert {p: p.read_bytes() for p in stored.rglob("*") if p.is_file()} == before
    assert (result.files, result.processed, result.quarantined) == (3, 2, 1)


@pytest.mark.usefixtures("no_reading")
def test_a_newer_export_gives_new_report_versions(stored: Path, tmp_path: Path) -> None:
    before = _report(stored, P001)
    assert before["findings"] == []
    newer = _newer_export(tmp_path, "GZ2022-0108", "法定代表人", "王小明")
    result = reconcile_batch(batch="b1", online=str(newer), store=str(stored))
    assert result.online is not None and result.online.file == "export-newer.csv"

    report = _report(stored, P001)
    (mismatch,) = report["findings"]
    assert (mismatch["code"], mismatch["field"], mismatch["online"]) == (
        "FIELD_MISMATCH",
        "legal_rep",
        "王小明",
    )
    assert mismatch["page"] is not None and mismatch["bbox"] is not None
    assert report["status"] == "fail" and report["received"] == "2022-08-12"
    assert report["engine"] == before["engine"]  # the reading is the batch run's
    # the report it replaces is kept; the evidence of the new finding is cut from the original
    (kept,) = (stored / "reports/b1" / P001 / "versions").glob("report-0001-*.json")
    assert json.loads(kept.read_text("utf-8"))["findings"] == []
    assert (stored / mismatch["evidence"]).is_file()
    # the manifest records the newer export; the summary and the index show the finding
    manifest = json.loads((stored / "batches/b1/manifest.json").read_text("utf-8"))
    assert manifest["online"]["file"] == "export-newer.csv"
    assert manifest["received"] == "2022-08-12"
    assert "王小明" in (stored / "reports/b1" / P001 / "report.html").read_text("utf-8")


def test_reconcile_equals_a_fresh_run_with_the_newer_export(stored: Path, tmp_path: Path) -> None:
    newer = _newer_export(tmp_path, "GZ2022-0122", "上年度营业收入（万元）", "109675.9")
    reconcile_batch(batch="b1", online=str(newer), store=str(stored))
    fresh = tmp_path / "fresh"
    process_batch(
        paths=[str(tmp_path / "in")],
        online=str(newer),
        batch="b1",
        store=str(fresh),
        received="2022-08-12",
    )
    for sid in (P001, "C003-p001-006"):
        assert _report(stored, sid) == _report(fresh, sid)
    codes = [(f["code"], f["field"]) for f in _report(stored, "C003-p001-006")["findings"]]
    assert ("FIELD_MISMATCH", "revenue") in codes


def test_a_missing_original_publishes_without_crops(stored: Path, tmp_path: Path) -> None:
    shutil.rmtree(stored / "originals")
    newer = _newer_export(tmp_path, "GZ2022-0108", "法定代表人", "王小明")
    reconcile_batch(batch="b1", online=str(newer), store=str(stored))
    (mismatch,) = _report(stored, P001)["findings"]
    assert mismatch["code"] == "FIELD_MISMATCH" and mismatch["evidence"] is None


def test_an_unknown_batch_fails_at_once(stored: Path) -> None:
    with pytest.raises(InputError, match="no batch 'b9'"):
        reconcile_module.check_reconcile("b9", str(SAMPLES / "online" / "export.csv"), str(stored))
    result = CliRunner().invoke(
        app,
        [
            "reconcile",
            "--batch",
            "b9",
            "--online",
            str(SAMPLES / "online" / "export.csv"),
            "--store",
            str(stored),
        ],
    )
    assert result.exit_code != 0
    assert "no batch 'b9'" in result.output


# --- batch-level findings in the manifest ------------------------------------------------


def _manifest(store: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((store / "batches/b1/manifest.json").read_text("utf-8"))


def _export_record_ids() -> set[str]:
    text = (SAMPLES / "online" / "export.csv").read_bytes().decode("gb18030")
    return {row["申报编号"] for row in csv.DictReader(io.StringIO(text))}


def _summary_codes_and_subjects(store: Path) -> list[tuple[str, str]]:
    book = load_workbook(store / "batches/b1/summary.xlsx")
    rows = book["问题清单"].iter_rows(min_row=2, values_only=True)
    return sorted((row[2], row[5]) for row in rows if row[0] is None)  # no submission


def test_the_manifest_holds_the_batch_findings_the_index_and_summary_show(stored: Path) -> None:
    manifest = _manifest(stored)
    matched = {_report(stored, sid)["online"]["record_id"] for sid in (P001, "C003-p001-006")}
    paper_missing = [f for f in manifest["findings"] if f["code"] == "PAPER_MISSING"]
    assert sorted(f["key"] for f in paper_missing) == sorted(_export_record_ids() - matched)
    assert "GZ2022-0192" in {f["key"] for f in paper_missing}
    assert all(f["severity"] == "error" and f["key"] in f["message"] for f in paper_missing)
    ids = [f["id"] for f in manifest["findings"]]
    assert len(set(ids)) == len(ids) and all(isinstance(i, str) for i in ids)
    # one source: the summary's batch findings and the index's are the manifest's
    assert _summary_codes_and_subjects(stored) == sorted(
        (f["code"], f["key"]) for f in manifest["findings"]
    )
    index = (stored / "batches/b1/index.html").read_text("utf-8")
    assert all(f["key"] in index for f in paper_missing)


def test_finding_ids_survive_a_reconcile(stored: Path, tmp_path: Path) -> None:
    before_manifest = _manifest(stored)
    sids = [sid for entry in before_manifest["files"] for sid in entry["submissions"]]
    assert len(sids) == 3  # P001, C003 and the quarantined file's FILE_UNREADABLE

    def ids(sid: str) -> dict[tuple[str, str | None, str | None], str]:
        return {
            (f["code"], f["field"], f["key"]): f["id"] for f in _report(stored, sid)["findings"]
        }

    before = {sid: ids(sid) for sid in sids}
    assert sum(map(len, before.values())) >= 1
    newer = _newer_export(tmp_path, "GZ2022-0122", "上年度营业收入（万元）", "109675.9")
    reconcile_batch(batch="b1", online=str(newer), store=str(stored))
    assert _manifest(stored)["findings"] == before_manifest["findings"]
    after = {sid: ids(sid) for sid in sids}
    for sid in sids:
        assert {k: after[sid][k] for k in before[sid]} == before[sid], sid
    assert ("FIELD_MISMATCH", "revenue", None) in after["C003-p001-006"]  # new, with an id


# --- a damaged stored report: named, skipped, the others reconciled ---------------------


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _break_the_schema(path: Path) -> None:
    report = json.loads(path.read_text("utf-8"))
    report["status"] = "maybe"
    del report["source"]
    path.write_text(json.dumps(report, ensure_ascii=False), "utf-8")


def _put_another_report(path: Path) -> None:
    shutil.copy(path.parent.parent / "C003-p001-006" / "report.json", path)


@pytest.mark.parametrize("damage", [_truncate, _break_the_schema, _put_another_report])
def test_a_damaged_report_is_named_skipped_and_the_others_reconciled(
    stored: Path, tmp_path: Path, damage: Callable[[Path], None], caplog: pytest.LogCaptureFixture
) -> None:
    damaged = stored / "reports/b1" / P001 / "report.json"
    damage(damaged)
    left = damaged.read_bytes()
    newer = _newer_export(tmp_path, "GZ2022-0122", "上年度营业收入（万元）", "109675.9")
    result = reconcile_batch(batch="b1", online=str(newer), store=str(stored))

    assert result.online is not None and result.online.file == "export-newer.csv"
    assert damaged.read_bytes() == left  # not overwritten, no version made of it
    assert not (damaged.parent / "versions").exists()
    codes = [(f["code"], f["field"]) for f in _report(stored, "C003-p001-006")["findings"]]
    assert ("FIELD_MISMATCH", "revenue") in codes  # the other one was reconciled
    manifest = _manifest(stored)
    assert manifest["online"]["file"] == "export-newer.csv"
    key = f"reports/b1/{P001}/report.json"
    (skipped,) = [f for f in manifest["findings"] if f["code"] != "PAPER_MISSING"]
    assert (skipped["code"], skipped["key"]) == ("FILE_UNREADABLE", key)
    assert P001 in skipped["message"] and key in skipped["message"] and skipped["id"]
    named = [r.getMessage() for r in caplog.records if key in r.getMessage()]
    assert len(named) == 1 and "\n" not in named[0]
    index = (stored / "batches/b1/index.html").read_text("utf-8")
    assert key in index


def test_every_damaged_report_is_named_and_the_run_completes(stored: Path, tmp_path: Path) -> None:
    _truncate(stored / "reports/b1" / P001 / "report.json")
    _break_the_schema(stored / "reports/b1/C003-p001-006/report.json")
    newer = _newer_export(tmp_path, "GZ2022-0122", "上年度营业收入（万元）", "109675.9")
    result = reconcile_batch(batch="b1", online=str(newer), store=str(stored))
    assert (result.files, result.processed, result.quarantined) == (3, 2, 1)
    skipped = [f["key"] for f in _manifest(stored)["findings"] if f["code"] == "FILE_UNREADABLE"]
    # in manifest order (C003.docx before P001.pdf)
    assert skipped == ["reports/b1/C003-p001-006/report.json", f"reports/b1/{P001}/report.json"]


def test_the_command_reconciles_past_a_damaged_report(stored: Path) -> None:
    _truncate(stored / "reports/b1" / P001 / "report.json")
    export = str(SAMPLES / "online" / "export.csv")
    result = CliRunner().invoke(
        app, ["reconcile", "--batch", "b1", "--online", export, "--store", str(stored)]
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "C003-p001-006" in result.output
