"""summary.xlsx opened back: sheets, headers, filters, frozen header, widths, same bytes."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from pipeline.model import Manifest, ManifestEntry, Report
from reports.labels import field_labels, label_of
from reports.xlsx import (
    MAX_WIDTH,
    MIN_WIDTH,
    SHEET_DECISIONS,
    SHEET_FINDINGS,
    SHEET_QUARANTINED,
    SHEET_SUBMISSIONS,
    render_summary_xlsx,
)
from tests.readers import TEMPLATES
from tests.reports.conftest import electronic_report, scan_reports


@pytest.fixture
def reports(hand_built: Report) -> list[Report]:
    return [
        electronic_report("P001.pdf"),
        electronic_report("C003.docx"),
        *scan_reports(),
        hand_built,
    ]


@pytest.fixture
def manifest(reports: list[Report]) -> Manifest:
    files = [
        ManifestEntry(
            file=r.source.file,
            sha256=r.source.sha256,
            size=1,
            state="processed",
            submissions=(r.submission_id,),
        )
        for r in reports
    ]
    files.append(
        ManifestEntry(
            file="坏文件.pdf",
            size=9,
            state="quarantined",
            reason="扩展名为.pdf，但内容不是有效的PDF\x07",
            reason_en="not a PDF",
        )
    )
    return Manifest(batch="b1", files=tuple(files))


def test_the_summary_has_its_four_sheets(manifest: Manifest, reports: list[Report]) -> None:
    book = load_workbook(io.BytesIO(render_summary_xlsx(manifest, reports, TEMPLATES)))
    assert book.sheetnames == [
        SHEET_SUBMISSIONS,
        SHEET_FINDINGS,
        SHEET_QUARANTINED,
        SHEET_DECISIONS,
    ]
    assert book[SHEET_DECISIONS].max_row == 1  # nothing decided: the header alone

    submissions = book[SHEET_SUBMISSIONS]
    header = [c.value for c in submissions[1]]
    assert header[:6] == ["申报编号", "文件", "页码", "页数", "申报类型", "审核结论"]
    assert {"创新中心名称", "牵头单位名称", "统一社会信用代码", "所在市（州）"} <= set(header)
    rows = list(submissions.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [r.submission_id for r in reports]
    p001 = dict(zip(header, rows[0], strict=True))
    assert p001["审核结论"] == "通过" and p001["统一社会信用代码"] == "91520100198287093A"
    assert p001["页数"] == 9 and p001["错误"] == 0

    findings = book[SHEET_FINDINGS]
    assert [c.value for c in findings[1]][:3] == ["申报编号", "文件", "问题代码"]
    assert findings.max_row - 1 == sum(len(r.findings) for r in reports)
    codes = {row[2] for row in findings.iter_rows(min_row=2, values_only=True)}
    assert "FIELD_INVALID" in codes and "COPIES_DIFFER" in codes

    quarantined = book[SHEET_QUARANTINED]
    assert list(quarantined.iter_rows(min_row=2, values_only=True)) == [
        ("坏文件.pdf", 9, None, "扩展名为.pdf，但内容不是有效的PDF⟨U+0007⟩")  # shown, not dropped
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
        assert sheet.auto_filter.ref.endswith(str(sheet.max_row))
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(MIN_WIDTH <= w <= MAX_WIDTH for w in widths)
    # CJK counts double: the center name column is wider than the page count column
    assert submissions.column_dimensions["J"].width > submissions.column_dimensions["D"].width


def test_document_text_never_becomes_a_formula(manifest: Manifest, hand_built: Report) -> None:
    book = load_workbook(io.BytesIO(render_summary_xlsx(manifest, [hand_built], TEMPLATES)))
    sheet = book[SHEET_SUBMISSIONS]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("牵头单位名称") + 1)
    assert cell.value == '\'=HYPERLINK("http://x")' and cell.data_type == "s"


def test_the_same_batch_gives_the_same_bytes(manifest: Manifest, reports: list[Report]) -> None:
    first = render_summary_xlsx(manifest, reports, TEMPLATES)
    assert render_summary_xlsx(manifest, reports, TEMPLATES) == first
    book = load_workbook(io.BytesIO(first))
    assert book.properties.modified.year == 2022 and book.properties.created.year == 2022


def test_an_empty_batch_still_makes_a_workbook() -> None:
    book = load_workbook(
        io.BytesIO(render_summary_xlsx(Manifest(batch="b", files=()), [], TEMPLATES))
    )
    assert book[SHEET_SUBMISSIONS].max_row == 1
    assert book[SHEET_FINDINGS].auto_filter.ref == "A1:J1"


def test_formula_like_and_hidden_text_stays_text_even_as_csv(
    manifest: Manifest, hand_built: Report
) -> None:
    """OWASP: a cell that starts with = + - @ (or tab, CR) gets a leading quote, so that it
    stays text when the sheet is saved as CSV (where a text cell's type is lost); numbers,
    negative ones too, stay numbers. Hidden characters show as markers, as in the HTML."""
    from pipeline.model import Finding, FindingCode, OnlineMatch

    fields = hand_built.fields
    report = hand_built.model_copy(
        update={
            "online": OnlineMatch(matched_by="uscc", record_id="GZ2022-0\u202e351\u202c"),
            "fields": fields
            | {
                "center_name": fields["center_name"].model_copy(update={"value": "+1"}),
                "uscc": fields["uscc"].model_copy(update={"value": "@SUM(A1:A9)"}),
                "city": fields["uscc"].model_copy(update={"value": "-2+3"}),
                "domain": fields["uscc"].model_copy(update={"value": "\t=1+1"}),
                "legal_rep": fields["uscc"].model_copy(update={"value": "张\x00三\u200b"}),
                "contact": fields["uscc"].model_copy(update={"value": -2.5}),
            },
            "findings": (Finding.of(FindingCode.FIELD_MISMATCH, "=1+1", paper=-3, online="-3"),),
        }
    )
    book = load_workbook(io.BytesIO(render_summary_xlsx(manifest, [report], TEMPLATES)))
    sheet = book[SHEET_SUBMISSIONS]
    row = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    shown = {title: (cell.value, cell.data_type) for title, cell in row.items()}
    labels = field_labels(TEMPLATES)
    assert shown[label_of("center_name", labels)] == ("'+1", "s")
    assert shown[label_of("uscc", labels)] == ("'@SUM(A1:A9)", "s")
    assert shown[label_of("city", labels)] == ("'-2+3", "s")
    assert shown[label_of("domain", labels)] == ("'\t=1+1", "s")
    assert shown["网上填报编号"] == ("GZ2022-0⟨U+202E⟩351⟨U+202C⟩", "s")
    values = [cell.value for cell in sheet[2]]
    assert "张⟨U+0000⟩三⟨U+200B⟩" in values
    assert -2.5 in values  # a number stays a number
    (finding,) = book[SHEET_FINDINGS].iter_rows(min_row=2)
    assert [c.value for c in finding][-3:] == [-3, "'-3", "'=1+1"]
    assert finding[-3].data_type == "n"
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
