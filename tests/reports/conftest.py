"""Reports to render: from the committed corpus (no OCR) and hand-built ones.

The corpus reports come from the electronic copies (text layer, DOCX) and from the frozen
OCR of ``scan_0008`` (a pilot form with a page fed upside down, a missing section and a
bad check digit), split and extracted as the pipeline does; the scan's evidence images
are rebuilt from the PDF with the recorded turn and deskew.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from extractors.fields import extract
from pipeline.model import (
    Annex,
    EngineInfo,
    ExtractedField,
    Finding,
    FindingCode,
    Member,
    OnlineMatch,
    Page,
    PageOrder,
    Report,
    Seal,
    SourceKind,
    SubmissionSource,
    TextLine,
    status_of,
)
from pipeline.pages import render_page_image
from pipeline.preprocess import upright_page
from pipeline.run import assemble, build_report
from reports import page_evidence, page_marks, thumbnail_png
from tests.extractors.golden.record import load_frozen
from tests.readers import SAMPLES, TEMPLATES, read_electronic
from tests.rulebook import RULES

SCAN = "scan_0008.pdf"
HOSTILE = "<script>alert(1)</script>"
SHA = "ab" * 32


@cache
def electronic_report(name: str) -> Report:
    """The report of one electronic copy of the corpus (``P001.pdf``, ``C003.docx`` …)."""
    submission = read_electronic(SAMPLES / "electronic" / name)
    return build_report(extract(submission, RULES), "b1", None, TEMPLATES)


@cache
def scan_reports() -> tuple[Report, ...]:
    """The reports of ``scan_0008.pdf`` from its frozen OCR (no ONNX)."""
    frozen = load_frozen(SCAN)
    document = assemble(SCAN, frozen.sha256, list(frozen.pages), TEMPLATES)
    engine = EngineInfo(ocr=frozen.engine)
    return tuple(
        build_report(extract(s, RULES), "b1", None, TEMPLATES).model_copy(update={"engine": engine})
        for s in document.submissions
    )


def normalised_image(report: Report, page: Page, dpi: int = 200) -> np.ndarray:
    """A scan page of the corpus as normalisation left it, rebuilt from the PDF."""
    image = render_page_image(SAMPLES / "batch" / report.source.file, page.source_page, dpi)
    return upright_page(image, page.rotation, page.skew_deg)


@cache
def scan_evidence() -> tuple[dict[str, bytes], dict[int, bytes]]:
    """Crops and thumbnails of the scan's report, as the batch flow makes them."""
    (report,) = scan_reports()
    crops: dict[str, bytes] = {}
    thumbnails: dict[int, bytes] = {}
    for page in report.pages:
        image = normalised_image(report, page, dpi=200)
        crops.update(page_evidence(report, page.number, image))
        thumbnails[page.number] = thumbnail_png(image, page_marks(report, page.number))
    return crops, thumbnails


def page_image(width: int = 600, height: int = 848) -> np.ndarray:
    """A white page with a black bar where ``hand_built_report``'s boxes point."""
    image = np.full((height, width, 3), 255, np.uint8)
    image[int(0.30 * height) : int(0.33 * height), int(0.2 * width) : int(0.6 * width)] = 0
    return image


def hand_built_report() -> Report:
    """A report with every finding code, hostile text, seals, a scan and a DOCX page."""
    box = (0.2, 0.3, 0.6, 0.33)
    pages = (
        Page(
            number=1,
            source_page=1,
            kind=SourceKind.SCAN,
            width_pt=595,
            height_pt=842,
            rotation=180,
            skew_deg=0.5,
            lines=(TextLine(text="统一社会信用代码 915200002144341460", bbox=box),),
            template_page="basic_info",
        ),
        Page(
            number=2,
            source_page=2,
            kind=SourceKind.DOCX,
            width_pt=595,
            height_pt=842,
            lines=(
                TextLine(text=f"上年度营业收入 {HOSTILE}", bbox=(0.1, 0.2, 0.9, 0.22)),
                TextLine(text="建设期总投资 300", bbox=(0.1, 0.5, 0.9, 0.52)),
            ),
            template_page="cover",
        ),
    )
    findings = []
    for code in FindingCode:
        on_docx = code is FindingCode.FIELD_MISMATCH
        findings.append(
            Finding.of(
                code,
                f"{code.value} 的说明 {HOSTILE}",
                field="revenue" if code.value.startswith("FIELD") or on_docx else None,
                slot="lead_org_cover" if code.value.startswith("SEAL") else None,
                section="members" if code is FindingCode.SECTION_MISSING else None,
                paper=123456.78 if on_docx else None,
                online=f"12345.68{HOSTILE}" if on_docx else None,
                page=2 if on_docx else 1,
                bbox=(0.1, 0.19, 0.9, 0.23) if on_docx else box,
            )
        )
    return Report(
        batch="b1",
        submission_id="hand-p001-002",
        annex=Annex.PILOT,
        source=SubmissionSource(file=f"{HOSTILE}.pdf", sha256=SHA, pages=(1, 2)),
        status=status_of(findings),
        fields={
            "center_name": ExtractedField(value=HOSTILE, raw=HOSTILE, page=1, confidence=0.99),
            "uscc": ExtractedField(
                value="915200002144341460",
                raw="915200002144341460",
                page=1,
                bbox=box,
                confidence=0.5,
            ),
            "revenue": ExtractedField(value=123456.78, raw="123,456.78", page=2, confidence=1.0),
            "members": ExtractedField(
                value=[Member(name="甲公司", type="企业", uscc="91520000214434146R")],
                raw="甲公司",
                page=1,
                confidence=0.95,
            ),
            "lead_org": ExtractedField(value='=HYPERLINK("http://x")', raw="=1+1", confidence=1.0),
        },
        seals=(
            Seal(
                slot="lead_org_cover",
                page=1,
                bbox=box,
                text=HOSTILE,
                owner_match=False,
                confidence=0.9,
            ),
            Seal(slot=None, page=1, bbox=box, confidence=0.4),
        ),
        online=OnlineMatch(matched_by="uscc", record_id="GZ2022-0153"),
        findings=tuple(findings),
        pages=pages,
        page_order=PageOrder(
            in_order=False, found=("basic_info", None), expected=("cover", "basic_info")
        ),
    )


@pytest.fixture
def hand_built() -> Report:
    return hand_built_report()
