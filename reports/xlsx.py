"""``summary.xlsx``: what office staff open first — submissions, findings, quarantined files.

Three sheets with Chinese headers, the header row frozen, filters on, widths set. The
bytes are the same for the same input (fixed document dates and zip timestamps), so a
re-run of an unchanged batch rewrites nothing. Text from documents never becomes a
formula, not even once the sheet is re-saved as CSV: text starting like one (``=``,
``+``, ``-``, ``@``) gets a leading ``'`` (``shown.cell_text``), and its hidden characters
show as markers, as in the HTML pages.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from pipeline.config import TemplateSpec
from pipeline.decision import ACTION_LABELS, REVIEW_STATUS_LABELS
from pipeline.model import Annex, FieldValue, Finding, Manifest, Report, Review, Severity
from reports.html import format_value
from reports.labels import (
    ANNEX_LABELS,
    CODE_LABELS,
    KEY_FIELDS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    field_labels,
    label_of,
    member_column_labels,
    seal_slot_labels,
    section_labels,
)
from reports.shown import cell_text

# The one date the workbook claims: fixed, so the same batch gives the same bytes.
FIXED_DATE = dt.datetime(2022, 1, 1)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MIN_WIDTH, MAX_WIDTH = 6, 60
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E4E4E7")
_WRAP = Alignment(wrap_text=True, vertical="top")

SHEET_SUBMISSIONS = "申报汇总"
SHEET_FINDINGS = "问题清单"
SHEET_QUARANTINED = "隔离文件"
SHEET_DECISIONS = "复核记录"
BATCH_ROW = "（批次）"
"""The 申报编号 of a decision on one of the batch's own findings (it has no submission)."""


def render_summary_xlsx(
    manifest: Manifest,
    reports: Sequence[Report],
    templates: Mapping[Annex, TemplateSpec],
    batch_findings: Sequence[Finding] = (),
    *,
    batch_review: Review | None = None,
) -> bytes:
    """The batch summary workbook.

    Args:
        manifest: every input file of the batch (the quarantined ones fill sheet 3).
        reports: the batch's reports, one row each on sheet 1, their findings on sheet 2.
        templates: the forms, for the printed labels of fields and seal slots.
        batch_findings: findings of the batch itself (PAPER_MISSING: an online filing
            with no paper), on sheet 2 without a submission.

    Sheet 4 (复核记录) holds the reviewers' decisions in force on each report (its
    ``review``), then those on the batch's own findings (``batch_review``:
    ``usecases.review.batch_review``; 申报编号 "（批次）", 填报项 the finding's key); every
    decision ever made is the store's ``decisions/`` (``review log``).
    """
    labels = field_labels(templates)
    columns = member_column_labels(templates)
    slots = seal_slot_labels(templates)
    sections = section_labels(templates)
    book = Workbook()
    submissions = book.active
    assert submissions is not None  # a new workbook has its first sheet
    submissions.title = SHEET_SUBMISSIONS
    _fill(
        submissions,
        ["申报编号", "文件", "页码", "页数", "申报类型", "审核结论", "错误", "警告", "提示"]
        + [label_of(key, labels) for key in KEY_FIELDS]
        + ["网上填报编号", "复核结论"],
        [
            [
                r.submission_id,
                r.source.file,
                f"{r.source.pages[0]}–{r.source.pages[1]}",
                r.source.pages[1] - r.source.pages[0] + 1,
                ANNEX_LABELS[r.annex],
                STATUS_LABELS[r.status],
                *(sum(f.severity is s for f in r.findings) for s in Severity),
                *(_cell_value(r.fields[k].value) if k in r.fields else None for k in KEY_FIELDS),
                r.online.record_id if r.online else None,
                REVIEW_STATUS_LABELS[r.review.status] if r.review else None,
            ]
            for r in reports
        ],
    )

    def _finding_row(submission: str | None, file: str | None, f: Finding) -> list[object]:
        """One row of the findings sheet; a batch's own findings have no submission."""
        return [
            submission,
            file,
            f.code.value,
            SEVERITY_LABELS[f.severity],
            CODE_LABELS[f.code],
            _subject(f.field, f.slot, f.section, f.key, labels, slots, sections),
            f.page,
            _cell_value(f.paper),
            _cell_value(f.online),
            f.message,
        ]

    _fill(
        book.create_sheet(SHEET_FINDINGS),
        [
            "申报编号",
            "文件",
            "问题代码",
            "严重程度",
            "问题",
            "填报项/印章位置",
            "页码",
            "纸质材料",
            "网上填报",
            "说明",
        ],
        [
            *(_finding_row(r.submission_id, r.source.file, f) for r in reports for f in r.findings),
            *(_finding_row(None, None, f) for f in batch_findings),
        ],
    )
    _fill(
        book.create_sheet(SHEET_QUARANTINED),
        ["文件", "大小（字节）", "SHA-256", "原因"],
        [[e.file, e.size, e.sha256, e.reason] for e in manifest.files if e.state == "quarantined"],
    )
    keys = {f.id: f.key for f in batch_findings}
    _fill(
        book.create_sheet(SHEET_DECISIONS),
        [
            "申报编号",
            "问题编号",
            "问题代码",
            "填报项",
            "复核决定",
            "更正值",
            "理由",
            "复核人",
            "时间（UTC）",
            "状态",
        ],
        [
            [
                r.submission_id,
                d.finding,
                d.code.value,
                (label_of(d.field, labels) if d.field else "")
                + (
                    f"第{d.cell.row}行·{columns.get(d.cell.column, d.cell.column)}"
                    if d.cell
                    else ""
                )
                or None,
                ACTION_LABELS[d.action],
                _cell_value(d.value),
                d.reason or None,
                d.user,
                d.time.strftime("%Y-%m-%d %H:%M:%S"),
                "问题已变化，需重新复核" if d.stale else "有效",
            ]
            for r in reports
            if r.review is not None
            for d in sorted(r.review.decisions, key=lambda d: (d.time, d.decision))
        ]
        + [
            [
                BATCH_ROW,
                d.finding,
                d.code.value,
                keys.get(d.finding),
                ACTION_LABELS[d.action],
                None,
                d.reason or None,
                d.user,
                d.time.strftime("%Y-%m-%d %H:%M:%S"),
                "问题已变化，需重新复核" if d.stale else "有效",
            ]
            for d in sorted(
                batch_review.decisions if batch_review else (), key=lambda d: (d.time, d.decision)
            )
        ],
    )
    return _deterministic_bytes(book)


def _subject(
    field: str | None,
    slot: str | None,
    section: str | None,
    key: str | None,
    labels: Mapping[str, str],
    slots: Mapping[str, str],
    sections: Mapping[str, str],
) -> str | None:
    if field:
        return label_of(field, labels)
    if slot:
        return label_of(slot, slots)
    if section:
        return label_of(section, sections)
    return key


def _cell_value(value: FieldValue) -> str | int | float | None:
    """Numbers stay numbers (so staff can sort and sum); lists become lines of text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    return format_value(value)


def _fill(sheet: Worksheet, header: list[str], rows: list[list[Any]]) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    rows = [[_safe(value) for value in row] for row in rows]
    for row in rows:
        sheet.append(row)
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = _WRAP
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(1, len(rows) + 1)}"
    for index, title in enumerate(header, start=1):
        values = [title] + [row[index - 1] for row in rows]
        width = max(_display_width(value) for value in values) + 2
        sheet.column_dimensions[get_column_letter(index)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width)
        )


def _safe(value: Any) -> Any:
    """Text as a cell shows it: never a formula, no hidden character (none a workbook
    cannot hold either); numbers as they are."""
    if isinstance(value, str):
        return cell_text(value)
    return value


def _display_width(value: Any) -> int:
    """Columns a value needs: CJK and full-width characters take two, the longest line."""
    if value is None:
        return 0
    lines = str(value).split("\n")
    return max(
        sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines
    )


def _deterministic_bytes(book: Workbook) -> bytes:
    """The workbook as bytes that depend on its content only."""
    book.properties.creator = "shenbao"
    book.properties.created = FIXED_DATE
    book.properties.modified = FIXED_DATE
    raw = io.BytesIO()
    # ExcelWriter directly: ``Workbook.save`` would stamp the current time as modified.
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    # The zip entries carry the time they were written: rewritten with a fixed one.
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return fixed.getvalue()
