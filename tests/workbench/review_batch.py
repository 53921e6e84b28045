"""A small stored batch for the batch and submission pages, written without OCR: a real
four-page PDF kept as the batch's original, reports whose findings point at marks drawn
on its pages, an unreadable report, a quarantined file and a batch-level finding.

Submission ``REVIEWED[0]`` (pages 1–2, 贵阳市, fail): a red square on page 1 under its
FIELD_MISMATCH finding, a blue square on page 2 under its SEAL_MISSING, a low-confidence
warning on page 2 and a FIELD_MISSING without a page; shown errors first, in report
order: mismatch, seal, missing, then the warning.

``REVIEWED[1]`` (pages 3–4, no city field, its address in 遵义市, needs review): page 4
was scanned upside down (rotation 180): the red square drawn at the PDF page's bottom
right is at the upright page's top left, where its finding's box is.

``REVIEWED[2]``: its report.json is not a report.
"""

from __future__ import annotations

import hashlib
import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pipeline.model import (
    Annex,
    ExtractedField,
    Finding,
    FindingCode,
    Manifest,
    ManifestEntry,
    OnlineExportRef,
    OnlineMatch,
    Page,
    Report,
    SourceKind,
    SubmissionSource,
    status_of,
)
from storage.base import (
    ObjectStore,
    evidence_key,
    json_bytes,
    manifest_key,
    original_key,
    report_key,
)

REVIEW_BATCH = "b-review"
REVIEWED = ("forms-p001-002", "forms-p003-004", "forms-p005-005")
WIDTH, HEIGHT = A4
RED_BOX = (0.1, 0.1, 0.2, 0.15)  # fractions of the upright page: x0, y0, x1, y1
BLUE_BOX = (0.6, 0.5, 0.8, 0.6)
LOW_BOX = (0.3, 0.7, 0.5, 0.75)  # nothing drawn there
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def _square(
    document: canvas.Canvas,
    box: tuple[float, float, float, float],
    rgb: tuple[float, float, float],
    *,
    turned: bool = False,
) -> None:
    x0, y0, x1, y1 = box
    if turned:  # upside down on the paper: the upright page's box seen from the other end
        x0, y0, x1, y1 = 1 - x1, 1 - y1, 1 - x0, 1 - y0
    document.setFillColorRGB(*rgb)
    document.rect(
        x0 * WIDTH, (1 - y1) * HEIGHT, (x1 - x0) * WIDTH, (y1 - y0) * HEIGHT, stroke=0, fill=1
    )


def forms_pdf() -> bytes:
    """Five A4 pages: marks on pages 1, 2 and (upside down) 4."""
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for number in range(1, 6):
        document.drawString(72, 40, f"page {number}")
        if number == 1:
            _square(document, RED_BOX, (1, 0, 0))
        elif number == 2:
            _square(document, BLUE_BOX, (0, 0, 1))
        elif number == 4:
            _square(document, RED_BOX, (1, 0, 0), turned=True)
        document.showPage()
    document.save()
    return buffer.getvalue()


def _page(
    number: int, source_page: int, *, rotation: int = 0, kind: SourceKind = SourceKind.TEXT_LAYER
) -> Page:
    return Page.model_validate(
        {
            "number": number,
            "source_page": source_page,
            "kind": kind,
            "width_pt": WIDTH,
            "height_pt": HEIGHT,
            "rotation": rotation,
        }
    )


def _field(value: object, confidence: float = 1.0, page: int = 1) -> ExtractedField:
    return ExtractedField.model_validate(
        {"value": value, "raw": str(value), "page": page, "confidence": confidence}
    )


def review_reports(sha256: str) -> list[Report]:
    first = (
        Finding.of(
            FindingCode.FIELD_MISMATCH,
            "研发投入：纸质 848.71 与网上填报 848.17 不一致",
            field="rd_spend",
            paper=848.71,
            online=848.17,
            page=1,
            bbox=RED_BOX,
            evidence=evidence_key(REVIEW_BATCH, REVIEWED[0], "finding-01.png"),
        ),
        Finding.of(
            FindingCode.FIELD_LOW_CONFIDENCE,
            "联系人 识别置信度低，需人工核对",
            field="contact",
            page=2,
            bbox=LOW_BOX,
        ),
        Finding.of(
            FindingCode.SEAL_MISSING,
            "牵头单位盖章处未见印章",
            slot="lead_org_seal",
            page=2,
            bbox=BLUE_BOX,
        ),
        Finding.of(FindingCode.FIELD_MISSING, "缺少 组建模式", field="setup_mode"),
    )
    second = (
        Finding.of(
            FindingCode.SEAL_UNVERIFIABLE,
            "印章文字无法辨认，需人工核对",
            slot="lead_org_seal",
            page=2,
            bbox=RED_BOX,
        ),
    )
    return [
        Report(
            batch=REVIEW_BATCH,
            submission_id=REVIEWED[0],
            annex=Annex.PILOT,
            source=SubmissionSource(file="forms.pdf", sha256=sha256, pages=(1, 2)),
            status=status_of(first),
            fields={
                "lead_org": _field("贵阳都匀农产品开发研究院有限公司"),
                "city": _field("贵阳市"),
                "rd_spend": _field(848.71),
                "contact": _field("何永刚", 0.41, page=2),
                "legal_rep": _field("余晓燕"),
            },
            online=OnlineMatch(matched_by="uscc", record_id="GZ2022-0108"),
            findings=first,
            pages=(_page(1, 1), _page(2, 2)),
        ),
        Report(
            batch=REVIEW_BATCH,
            submission_id=REVIEWED[1],
            annex=Annex.PILOT,
            source=SubmissionSource(file="forms.pdf", sha256=sha256, pages=(3, 4)),
            status=status_of(second),
            fields={
                "lead_org": _field("遵义<b>装备</b>有限公司"),
                "address": _field("贵州省遵义市汇川区大连路1号"),
            },
            findings=second,
            pages=(_page(1, 3), _page(2, 4, rotation=180, kind=SourceKind.SCAN)),
        ),
    ]


def put_review_batch(store: ObjectStore) -> None:
    """Write the batch, its original and its reports (see the module's docstring)."""
    pdf = forms_pdf()
    sha256 = hashlib.sha256(pdf).hexdigest()
    store.put_bytes(original_key(sha256), pdf)
    reports = review_reports(sha256)
    missing = Finding.of(
        FindingCode.PAPER_MISSING,
        "网上填报记录 GZ2022-0192 没有对应的纸质材料",
        key="GZ2022-0192",
    )
    manifest = Manifest(
        batch=REVIEW_BATCH,
        files=(
            ManifestEntry(
                file="forms.pdf",
                sha256=sha256,
                size=len(pdf),
                pages=5,
                state="processed",
                submissions=REVIEWED,
            ),
            ManifestEntry(
                file="broken.pdf", size=3, state="quarantined", reason="文件已损坏，无法打开"
            ),
        ),
        findings=(missing,),
    )
    store.put_bytes(manifest_key(REVIEW_BATCH), json_bytes(manifest))
    for report in reports:
        store.put_bytes(report_key(REVIEW_BATCH, report.submission_id), report.to_json().encode())
    store.put_bytes(report_key(REVIEW_BATCH, REVIEWED[2]), b'{"not": "a report"}')
    store.put_bytes(evidence_key(REVIEW_BATCH, REVIEWED[0], "finding-01.png"), PNG)


EXPORT_FILE = "online-export.csv"
# The filing REVIEWED[0] was matched to (GZ2022-0108) and another: 研发投入 848.17 against
# the paper's 848.71, 法定代表人 as on paper, 联系人 filed (the paper's reading is unsure),
# 手机 filed (the paper has no reading), no 注册地址 column (not compared).
EXPORT_CSV = (
    "申报编号,申报类型(试点/认定),牵头单位名称,所在市（州）,法定代表人,"
    "上年度研发投入（万元）,联系人,手机\n"
    "GZ2022-0108,试点,贵阳都匀农产品开发研究院有限公司,贵阳市,余晓燕,848.17,何勇刚,13985012345\n"
    "GZ2022-0192,试点,遵义装备有限公司,遵义市,王大明,120.5,李四,13600000000\n"
)


def put_review_export(store: ObjectStore, *, kept: bool = True) -> str:
    """Name the online export in the batch's manifest (as ``shenbao run --online`` does)
    and, when ``kept``, keep it under ``originals/{sha256}`` as run and reconcile do now;
    its sha256."""
    data = EXPORT_CSV.encode("utf-8")
    sha256 = hashlib.sha256(data).hexdigest()
    manifest = Manifest.model_validate_json(store.get_bytes(manifest_key(REVIEW_BATCH)))
    online = OnlineExportRef(file=EXPORT_FILE, sha256=sha256, size=len(data))
    store.put_bytes(
        manifest_key(REVIEW_BATCH), json_bytes(manifest.model_copy(update={"online": online}))
    )
    if kept:
        store.put_bytes(original_key(sha256), data)
    return sha256
