"""One file through ingest, normalisation, OCR and splitting (``pipeline/run.py``)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.decision import BATCH_LEVEL
from pipeline.ingest import discover, display_name, sniff
from pipeline.model import Annex, FindingCode, SourceKind, TextLine
from pipeline.ocr.engine import OcrSettings
from pipeline.ocr.registry import create_engine
from pipeline.ocr.replay import RecordingEngine
from pipeline.pool import PagePool
from pipeline.run import (
    PageCache,
    ReportSpool,
    inspect_file,
    read_document,
    submission_id,
    submission_ids,
    without_reading,
)
from tests.readers import SAMPLES, SETTINGS, NoOcr
from tests.rulebook import RULES


class Broken:
    """An engine that fails on every page (under any fingerprint it is given)."""

    name = "broken"

    def __init__(self, fingerprint: str = "broken-1") -> None:
        self.fingerprint = fingerprint
        self.calls = 0

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        self.calls += 1
        raise RuntimeError("onnxruntime exploded")


def _read(path: Path, engine: object, cache: PageCache | None = None):  # type: ignore[no-untyped-def]
    (found,) = discover([path])
    return read_document(sniff(found, SETTINGS), SETTINGS, engine, RULES, cache=cache)  # type: ignore[arg-type]


def _stream(tmp_path: Path, *names: str) -> Path:
    stream = pdfium.PdfDocument.new()
    for name in names:
        stream.import_pages(pdfium.PdfDocument(SAMPLES / "electronic" / name))
    out = tmp_path / "stream.pdf"
    stream.save(out)
    return out


@pytest.mark.parametrize(
    ("name", "annex", "pages"),
    [
        ("P001.pdf", Annex.PILOT, 9),
        ("C003.pdf", Annex.CERTIFICATION, 6),
        ("P001.docx", Annex.PILOT, 9),
        ("C003.docx", Annex.CERTIFICATION, 6),
    ],
)
def test_electronic_copies_are_read_without_ocr(name: str, annex: Annex, pages: int) -> None:
    document = _read(SAMPLES / "electronic" / name, NoOcr())
    (submission,) = document.submissions
    assert submission.annex is annex
    assert submission.source.pages == (1, pages)
    assert submission.id == f"{Path(name).stem}-p001-{pages:03d}"
    assert {p.kind for p in submission.pages} <= {SourceKind.TEXT_LAYER, SourceKind.DOCX}
    assert [p.number for p in submission.pages] == list(range(1, pages + 1))
    assert not submission.findings


def test_a_stream_of_digital_forms_splits_into_submissions(tmp_path: Path) -> None:
    document = _read(_stream(tmp_path, "C003.pdf", "P001.pdf", "C007.pdf"), NoOcr())
    assert [(s.annex, s.source.pages) for s in document.submissions] == [
        (Annex.CERTIFICATION, (1, 6)),
        (Annex.PILOT, (7, 15)),
        (Annex.CERTIFICATION, (16, 21)),
    ]
    assert [s.id for s in document.submissions] == [
        "stream-p001-006",
        "stream-p007-015",
        "stream-p016-021",
    ]
    assert all(s.pages[0].number == 1 for s in document.submissions)


def test_a_stream_that_starts_mid_form_is_reported(tmp_path: Path) -> None:
    whole = pdfium.PdfDocument(SAMPLES / "electronic" / "P001.pdf")
    stream = pdfium.PdfDocument.new()
    stream.import_pages(whole, [6, 7, 8])  # the last three pages of a pilot form
    stream.import_pages(pdfium.PdfDocument(SAMPLES / "electronic" / "C003.pdf"))
    path = tmp_path / "mid.pdf"
    stream.save(path)
    fragment, form = _read(path, NoOcr()).submissions
    assert fragment.source.pages == (1, 3) and fragment.annex is Annex.UNKNOWN
    assert [f.code for f in fragment.findings] == [FindingCode.ANNEX_UNKNOWN]
    assert form.annex is Annex.CERTIFICATION and not form.findings


def test_a_page_the_engine_fails_on_is_a_finding_and_the_rest_goes_on(tmp_path: Path) -> None:
    engine = Broken()
    (submission,) = _read(SAMPLES / "batch" / "scan_0003.pdf", engine).submissions
    assert engine.calls == 6
    assert [f.code for f in submission.findings].count(FindingCode.PAGE_UNREADABLE) == 6
    assert submission.findings[0].page == 1 and "无法识别" in submission.findings[0].message


@pytest.mark.slow
def test_a_scanned_stream_is_read_upright_and_split_with_real_ocr(tmp_path: Path) -> None:
    """The end-to-end path on the committed scans: upside-down page, covers, cache."""
    engine = RecordingEngine(create_engine(OcrSettings(threads=2)))
    cache = PageCache(tmp_path, RULES)
    (submission,) = _read(SAMPLES / "batch" / "scan_0003.pdf", engine, cache).submissions
    truth = json.loads((SAMPLES / "truth" / "C003.json").read_text(encoding="utf-8"))
    scan = truth["sources"][0]
    assert submission.annex is Annex.CERTIFICATION
    upside_down = [p["number"] for p in scan["page_truth"] if p["upside_down"]]
    assert [p.number for p in submission.pages if p.rotation == 180] == upside_down
    text = "".join(line.text for page in submission.pages for line in page.lines)
    for key in ("uscc", "legal_rep", "center_name"):
        assert scan["fields"][key]["raw"] in text, key

    # an unchanged file is served from the page cache: no OCR at all the second time
    refusing = Broken(engine.fingerprint)
    again = _read(SAMPLES / "batch" / "scan_0003.pdf", refusing, cache)
    assert again.submissions == [submission]
    assert refusing.calls == 0

    # on worker processes (replaying what was just read) the pages come out the same
    frozen = tmp_path / "ocr.json"
    engine.save(frozen)
    replay = OcrSettings(kind="replay", replay_file=frozen)
    with PagePool(replay, tmp_path / "pool-cache", RULES, workers=2) as pool:
        (found,) = discover([SAMPLES / "batch" / "scan_0003.pdf"])
        pooled = read_document(sniff(found, SETTINGS), SETTINGS, pool.engine, RULES, pool=pool)
    assert pooled.submissions == [submission]


def test_inspect_of_a_file_that_is_not_a_document_reports_it_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "scan.pdf"
    bad.write_text("this is not a PDF", encoding="utf-8")
    (report,) = inspect_file(bad, SETTINGS, NoOcr(), RULES)  # type: ignore[arg-type]
    assert report.status == "fail"
    assert [f.code for f in report.findings] == [FindingCode.FILE_UNREADABLE]
    assert report.annex is Annex.UNKNOWN


def test_a_docx_over_the_page_cap_is_set_aside_once_its_pages_are_known(tmp_path: Path) -> None:
    """A DOCX's pages are known only when it is laid out (not at sniff): the cap holds
    there too, and the file is refused with the cap's reason, not read on."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for number in range(4):
        paragraph = document.add_paragraph(f"第{number + 1}页")
        if number < 3:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    path = tmp_path / "long.docx"
    document.save(str(path))

    settings = SETTINGS.model_copy(update={"max_pages": 2})
    (report,) = inspect_file(path, settings, NoOcr(), RULES)  # type: ignore[arg-type]
    assert [f.code for f in report.findings] == [FindingCode.FILE_UNREADABLE]
    assert "页数过多（超过上限 2 页）" in report.findings[0].message
    (report,) = inspect_file(path, SETTINGS, NoOcr(), RULES)  # type: ignore[arg-type]
    assert FindingCode.FILE_UNREADABLE not in [f.code for f in report.findings]


def test_a_spooled_report_comes_back_whole_and_its_lean_copy_keeps_all_but_the_reading(
    tmp_path: Path,
) -> None:
    (report,) = inspect_file(SAMPLES / "electronic" / "P001.pdf", SETTINGS, NoOcr(), RULES)
    assert any(page.lines for page in report.pages)
    spooled, lean = ReportSpool(tmp_path).put(report)

    assert spooled.load() == report
    assert lean == without_reading(report)
    assert not any(
        p.lines or p.boxes or p.seals or p.unread or p.tick_rows or p.line_ink for p in lean.pages
    )
    assert [p.model_dump(exclude=READING) for p in lean.pages] == [
        p.model_dump(exclude=READING) for p in report.pages
    ]
    assert lean.model_dump(exclude={"pages"}) == report.model_dump(exclude={"pages"})
    assert len(lean.model_dump_json()) * 4 < len(report.model_dump_json())


READING = {"lines", "boxes", "seals", "unread", "tick_rows", "line_ink"}


EMPTY = hashlib.sha256(b"").hexdigest()


def test_submission_ids_are_unique_across_a_batchs_files() -> None:
    """Every file of a batch names its submissions apart, quarantined ones included:
    the hostile folder of issue 14 and the applicant's two copies."""
    files = [
        ("P001.pdf", "a" * 64),
        ("P001.docx", "b" * 64),
        ("P002.pdf", "c" * 64),
        ("export.xlsx", "d" * 64),  # quarantined: FILE_UNREADABLE, id of its own too
        ("export.csv", "e" * 64),
        ("a.pdf", EMPTY),  # two empty scanner outputs of one stem
        ("a.tif", EMPTY),
        ("sub/x.pdf", "f" * 64),  # one file under two names that flatten alike
        ("sub_x.pdf", "f" * 64),
        ("扫描件.pdf", "f" * 64),  # sanitised alike, same content
        ("扫描表.pdf", "f" * 64),
        ("b.PDF", "1" * 64),
        ("b.pdf", "2" * 64),
    ]
    ids = submission_ids(files)
    assert sorted(ids) == sorted(name for name, _ in files)
    named = {name: ids[name].of(1, 9) for name, _ in files}
    assert len(set(named.values())) == len(files)
    # an ordinary file keeps its id; the applicant's two copies keep theirs
    assert named["P002.pdf"] == "P002-p001-009" == submission_id("P002.pdf", "c" * 64, 1, 9)
    assert (named["P001.pdf"], named["P001.docx"]) == ("P001-p001-009-pdf", "P001-p001-009-docx")
    assert (named["export.xlsx"], named["a.tif"]) == ("export-p001-009-xlsx", "a-p001-009-tif")
    assert re.fullmatch(r"sub_x-p001-009-pdf-[0-9a-f]{8}", named["sub/x.pdf"])
    # the same files, in any order, get the same ids: a re-run writes the same keys
    assert submission_ids(list(reversed(files))) == ids


# display names as ``discover`` makes them: parts made safe, joined by "/"
_NAMES = st.lists(st.text(alphabet="ab_-.pP01扫", max_size=6), min_size=1, max_size=3).map(
    display_name
)


@given(
    files=st.dictionaries(_NAMES, st.sampled_from(["a" * 64, "b" * 64, EMPTY]), max_size=12),
    ranges=st.lists(
        st.tuples(st.integers(1, 999), st.integers(0, 999)), min_size=1, max_size=4, unique=True
    ),
)
def test_no_two_files_share_a_submission_id(
    files: dict[str, str], ranges: list[tuple[int, int]]
) -> None:
    """Unique by construction, whatever the names (distinct, as ``discover`` makes them),
    however alike their content, whatever pages each file's submissions span."""
    ids = submission_ids(list(files.items()))
    made = [ids[name].of(first, first + more) for name in files for first, more in ranges]
    assert len(set(made)) == len(made)
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", sid) for sid in made)
    # none is the reserved place of the batch's own findings' decisions
    assert not any(sid.startswith("_") or sid == BATCH_LEVEL for sid in made)


def test_a_file_named_like_the_reserved_segment_gets_another_id() -> None:
    """``_batch`` (``decisions/{batch}/_batch/``) can be no submission's id: a stem is
    stripped of ``._-`` at both ends."""
    names = ["_batch.pdf", "__batch", "._batch.pdf", "sub/_batch.pdf", "_.pdf"]
    ids = submission_ids([(name, "a" * 64) for name in names])
    made = [ids[name].of(1, 9) for name in names]
    assert made[0].startswith("batch-")  # the name was changed: its sha256 appended
    assert not any(sid.startswith("_") for sid in made), made
