"""The batch flow really runs on Prefect: manifest, reports, index and summary in the store;
idempotent, versioned re-runs."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from prefect import flow
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from flows import batch as batch_module
from flows.batch import process_batch
from flows.tasks import retry_if_transient, step
from pipeline.errors import InputError, StorageError, TransientStorageError
from storage.base import ObjectStore
from storage.local_store import LocalStore
from storage.minio_store import MinioStore
from tests.readers import SAMPLES
from tests.seaweed import SeaweedServer
from usecases import publish as publish_module
from usecases import read as read_module

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
    assert second.written == 0 < first.written
    assert second.model_copy(update={"written": first.written}) == first
    assert (written.read_bytes(), written.stat().st_ino, written.stat().st_mtime_ns) == before
    reports = sorted((tmp_path / "store" / "reports").rglob("report.json"))
    assert len(reports) == 2
    stamps = [(r.stat().st_ino, r.stat().st_mtime_ns) for r in reports]
    process_batch(paths=[str(batch_folder)], store=store)
    assert [(r.stat().st_ino, r.stat().st_mtime_ns) for r in reports] == stamps


def test_a_given_batch_id_and_the_online_export_matched(
    electronic_batch: Path, tmp_path: Path
) -> None:
    result = process_batch(
        paths=[str(electronic_batch / "P001.pdf")],
        online=str(SAMPLES / "online" / "export.xlsx"),
        batch="2022-pilot-0801",
        store=str(tmp_path / "store"),
    )
    assert result.batch == "2022-pilot-0801"
    assert result.online is not None and result.online.file == "export.xlsx"
    reports = tmp_path / "store" / "reports" / "2022-pilot-0801"
    report = json.loads((reports / "P001-p001-009" / "report.json").read_text(encoding="utf-8"))
    assert report["online"] == {"matched_by": "uscc", "record_id": "GZ2022-0108", "score": 1.0}
    # the export's other filings have no paper in this batch: listed in index and summary
    index = (tmp_path / "store/batches/2022-pilot-0801/index.html").read_text(encoding="utf-8")
    assert 'id="paper-missing"' in index and "GZ2022-0192" in index
    book = load_workbook(tmp_path / "store/batches/2022-pilot-0801/summary.xlsx")
    codes = [row[2] for row in book["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert codes.count("PAPER_MISSING") == 11  # 12 filings, P001's matched


def test_a_file_without_its_filing_is_online_record_missing(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(SAMPLES / "electronic" / "P010.pdf", folder / "P010.pdf")  # no online row
    process_batch(
        paths=[str(folder)],
        online=str(SAMPLES / "online" / "export.xlsx"),
        batch="b2",
        store=str(tmp_path / "store"),
    )
    report = json.loads(
        (tmp_path / "store/reports/b2/P010-p001-009/report.json").read_text(encoding="utf-8")
    )
    assert report["online"] is None
    assert [f["code"] for f in report["findings"]] == ["ONLINE_RECORD_MISSING"]


def test_an_export_that_is_no_export_fails_the_run(batch_folder: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.xlsx"
    export.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match="XLSX"):
        process_batch(
            paths=[str(batch_folder)], online=str(export), batch="b3", store=str(tmp_path / "s")
        )


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"online": "missing.xlsx"}, InputError, "cannot read"),
        ({"batch": "../escape"}, InputError, "invalid batch id"),
        ({"store": "ftp://bucket"}, StorageError, "unsupported store URI scheme"),
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


class CountingStore:
    """A store that counts the objects written through it."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner
        self.puts: list[str] = []

    def put_bytes(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self.puts.append(key)
        self.inner.put_bytes(key, data, content_type)

    def get_bytes(self, key: str) -> bytes:
        return self.inner.get_bytes(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list(self, prefix: str = "") -> list[str]:
        return self.inner.list(prefix)

    def location(self, key: str) -> str:
        return self.inner.location(key)

    def check_writable(self) -> None:
        self.inner.check_writable()


@pytest.fixture
def electronic_batch(tmp_path: Path) -> Path:
    """Two electronic copies (no OCR) and a file that is not what it claims."""
    folder = tmp_path / "2022-pilot"
    folder.mkdir()
    for name in ("P001.pdf", "C003.docx"):
        shutil.copy(SAMPLES / "electronic" / name, folder / name)
    (folder / "notes.pdf").write_text("not a PDF", encoding="utf-8")
    return folder


def test_the_flow_writes_reports_evidence_index_summary_and_originals(
    electronic_batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    counting = CountingStore(LocalStore(root))
    monkeypatch.setattr(read_module, "open_store", lambda uri: counting)
    result = process_batch(paths=[str(electronic_batch)], batch="b1", store=str(root))

    assert result.index_key == "batches/b1/index.html"
    assert result.index_location == str(root / "batches" / "b1" / "index.html")
    index = (root / result.index_key).read_text(encoding="utf-8")
    assert 'href="../../reports/b1/P001-p001-009/report.html"' in index
    assert "notes.pdf" in index and "隔离文件（1）" in index
    book = load_workbook(root / "batches" / "b1" / "summary.xlsx")
    assert book.sheetnames == ["申报汇总", "问题清单", "隔离文件", "复核记录"]
    assert book["申报汇总"].max_row == 4  # header and three submissions (one FILE_UNREADABLE)

    for sid in ("P001-p001-009", "C003-p001-006"):
        folder = root / "reports" / "b1" / sid
        assert (folder / "report.json").is_file()
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert "通过" in html and 'id="findings"' in html
    # the text-layer PDF has crops of its fields; the DOCX has no page images
    evidence = sorted(p.name for p in (root / "reports/b1/P001-p001-009/evidence").iterdir())
    assert "field-uscc.png" in evidence
    assert not (root / "reports/b1/C003-p001-006/evidence").exists()
    originals = {p.name for p in (root / "originals").iterdir()}
    assert originals == {
        hashlib.sha256(p.read_bytes()).hexdigest() for p in electronic_batch.iterdir()
    }
    assert result.written == len(counting.puts) == len(set(counting.puts))

    # an unchanged re-run writes nothing at all, and renders no page to find that out
    counting.puts.clear()
    render = publish_module.normalised_page_images
    rendered: list[str] = []

    def counting_render(sniffed: object, *args: object, **kwargs: object) -> object:
        rendered.append(str(sniffed))
        return render(sniffed, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(publish_module, "normalised_page_images", counting_render)
    again = process_batch(paths=[str(electronic_batch)], batch="b1", store=str(root))
    assert counting.puts == [] and again.written == 0
    assert rendered == []

    # a changed report becomes current; the one it replaces is kept beside it
    report_json = root / "reports/b1/P001-p001-009/report.json"
    previous = report_json.read_bytes()
    report_json.write_bytes(previous.replace(b'"batch": "b1"', b'"batch": "b0"'))
    process_batch(paths=[str(electronic_batch)], batch="b1", store=str(root))
    assert report_json.read_bytes() == previous
    assert len(rendered) == 1  # only the changed report's file was rendered again
    (kept,) = (root / "reports/b1/P001-p001-009/versions").glob("report-0001-*.json")
    assert b'"batch": "b0"' in kept.read_bytes()


def test_the_flow_on_s3_links_the_index_with_presigned_urls(
    electronic_batch: Path,
    seaweed: SeaweedServer,
    bucket_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`shenbao run --store s3://bucket` against a real S3 server (SeaweedFS)."""
    settings = seaweed.settings()
    for name, value in {
        "MINIO_ENDPOINT": settings.endpoint,
        "MINIO_ACCESS_KEY": settings.access_key.get_secret_value(),
        "MINIO_SECRET_KEY": settings.secret_key.get_secret_value(),
        "MINIO_SECURE": "false",
        "MINIO_REGION": settings.region,
    }.items():
        monkeypatch.setenv(name, str(value))
    result = process_batch(
        paths=[str(electronic_batch)], batch="b1", store=f"s3://{bucket_name}/office"
    )

    assert result.index_location == f"s3://{bucket_name}/office/batches/b1/index.html"
    store = MinioStore(f"{bucket_name}", settings, prefix="office")
    keys = set(store.list())
    for sid in ("P001-p001-009", "C003-p001-006"):
        assert {f"reports/b1/{sid}/report.json", f"reports/b1/{sid}/report.html"} <= keys
    assert {"batches/b1/manifest.json", "batches/b1/summary.xlsx"} <= keys
    assert sum(key.startswith("originals/") for key in keys) == 3
    # the bucket is private: the index links to each report with a signed, expiring URL
    index = store.get_bytes("batches/b1/index.html").decode("utf-8")
    links = re.findall(r'href="([^"]+P001-p001-009/report\.html[^"]*)"', index)
    assert links and "X-Amz-Signature" in links[0]
    with urllib.request.urlopen(html.unescape(links[0]), timeout=10) as response:
        assert "申报材料审核报告" in response.read().decode("utf-8")

    # a re-run rewrites only the index (its links are signed anew), no report
    again = process_batch(
        paths=[str(electronic_batch)], batch="b1", store=f"s3://{bucket_name}/office"
    )
    assert again.written <= 1
    assert not [key for key in store.list("reports/") if "/versions/" in key]


def test_two_copies_of_one_form_in_a_batch(tmp_path: Path) -> None:
    """P001.pdf and P001.docx, one applicant's two copies: distinct ids, one filing for
    both, and compared with each other (faithful copies: no COPIES_DIFFER)."""
    folder = tmp_path / "batch"
    folder.mkdir()
    for name in ("P001.pdf", "P001.docx"):
        shutil.copy(SAMPLES / "electronic" / name, folder / name)
    process_batch(
        paths=[str(folder)],
        online=str(SAMPLES / "online" / "export.xlsx"),
        batch="b4",
        store=str(tmp_path / "store"),
    )
    reports = {
        p.parent.name: json.loads(p.read_text(encoding="utf-8"))
        for p in (tmp_path / "store/reports/b4").glob("*/report.json")
    }
    assert sorted(reports) == ["P001-p001-009-docx", "P001-p001-009-pdf"]
    for report in reports.values():
        assert report["online"]["record_id"] == "GZ2022-0108"
        assert report["findings"] == []


def test_a_failure_while_checking_fails_the_run_and_publishes_nothing(
    electronic_batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reports wait in the spool until the whole batch is checked: a run that fails
    half-way leaves no report, manifest or index behind, and no spooled report either."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in checking")

    monkeypatch.setattr(batch_module, "check_submissions", broken)
    monkeypatch.setenv("SHENBAO_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(RuntimeError, match="a bug in checking"):
        process_batch(paths=[str(electronic_batch)], batch="b9", store=str(tmp_path / "store"))
    assert not (tmp_path / "store" / "reports").exists()
    assert not (tmp_path / "store" / "batches").exists()
    assert list((tmp_path / "cache" / "spool").iterdir()) == []


def test_the_flows_own_runner_is_bounded() -> None:
    """A served deployment or a direct call runs on the flow's own runner: Prefect's
    default thread pool is unbounded, and would publish (render) every file at once."""
    runner = process_batch.task_runner
    assert isinstance(runner, ThreadPoolTaskRunner)
    assert runner._max_workers == batch_module.FLOW_THREADS == 4  # no public accessor


@pytest.fixture
def hostile_batch(tmp_path: Path) -> Path:
    """What a hostile tester put in one scan folder (issue 14): one real submission, the
    online export twice (same stem), two empty scanner outputs of one stem, a link to
    itself, and one file under two names that flatten alike."""
    folder = tmp_path / "hostile"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(SAMPLES / "electronic" / "P001.pdf", folder / "P001.pdf")
    for name in ("export.xlsx", "export.csv"):
        shutil.copy(SAMPLES / "online" / name, folder / name)
    (folder / "a.pdf").write_bytes(b"")
    (folder / "a.tif").write_bytes(b"")
    (folder / "loop.pdf").symlink_to(folder / "loop.pdf")
    shutil.copy(SAMPLES / "electronic" / "P002.pdf", folder / "sub" / "x.pdf")
    shutil.copy(SAMPLES / "electronic" / "P002.pdf", folder / "sub_x.pdf")
    return folder


def test_one_files_trouble_never_fails_the_batch(hostile_batch: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    online = str(SAMPLES / "online" / "export.xlsx")
    result = process_batch(paths=[str(hostile_batch)], online=online, batch="b14", store=str(store))

    manifest = json.loads((store / result.manifest_key).read_text(encoding="utf-8"))
    files = {f["file"]: f for f in manifest["files"]}
    assert sorted(files) == sorted(
        [
            "P001.pdf",
            "a.pdf",
            "a.tif",
            "export.csv",
            "export.xlsx",
            "loop.pdf",
            "sub/x.pdf",
            "sub_x.pdf",
        ]
    )
    processed = {"P001.pdf", "sub/x.pdf", "sub_x.pdf"}
    assert {name for name, f in files.items() if f["state"] == "processed"} == processed
    reasons = {name: f["reason"] for name, f in files.items() if name not in processed}
    assert all("--online" in reasons[name] for name in ("export.xlsx", "export.csv"))
    assert all("空文件" in reasons[name] for name in ("a.pdf", "a.tif"))
    assert "循环" in reasons["loop.pdf"] and files["loop.pdf"]["sha256"] is None
    assert (result.files, result.processed, result.quarantined) == (8, 3, 5)

    # every file that could be hashed has its reports, each under an id of its own
    ids = [sid for f in files.values() for sid in f["submissions"]]
    assert len(ids) == len(set(ids)) == 7
    assert files["P001.pdf"]["submissions"] == ["P001-p001-009"]  # an ordinary file's id
    assert files["loop.pdf"]["submissions"] == []
    for name, entry in files.items():
        for sid in entry["submissions"]:
            report = json.loads((store / "reports" / "b14" / sid / "report.json").read_bytes())
            assert report["source"]["file"] == name
            unreadable = [f for f in report["findings"] if f["code"] == "FILE_UNREADABLE"]
            assert bool(unreadable) == (name not in processed)
    # the same input gives the same keys: a re-run writes nothing
    again = process_batch(paths=[str(hostile_batch)], online=online, batch="b14", store=str(store))
    assert again.written == 0


def test_a_file_that_fails_while_read_is_quarantined(
    electronic_batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that cannot be read after it was sniffed (changed, moved, or a reader's
    bug): set aside with its reason, the other files published."""
    read_pages = batch_module.read_pages

    def failing(sniffed: object, *args: object, **kwargs: object) -> object:
        if sniffed.source.name == "C003.docx":  # type: ignore[attr-defined]
            raise RuntimeError("the reader fell over")
        return read_pages(sniffed, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch_module, "read_pages", failing)
    monkeypatch.setenv("SHENBAO_CACHE_DIR", str(tmp_path / "cache"))  # nothing cached yet
    store = tmp_path / "store"
    result = process_batch(paths=[str(electronic_batch)], batch="b15", store=str(store))

    assert (result.files, result.processed, result.quarantined) == (3, 1, 2)
    manifest = json.loads((store / result.manifest_key).read_text(encoding="utf-8"))
    (docx,) = [f for f in manifest["files"] if f["file"] == "C003.docx"]
    assert docx["state"] == "quarantined" and "读取" in docx["reason"]
    assert "the reader fell over" in docx["reason_en"]
    (sid,) = docx["submissions"]
    report = json.loads((store / "reports" / "b15" / sid / "report.json").read_bytes())
    assert [f["code"] for f in report["findings"]] == ["FILE_UNREADABLE"]
    assert (store / "reports" / "b15" / "P001-p001-009" / "report.json").is_file()
