"""Hidden characters (bidi controls, NUL, zero-width) in what the flows show people:
Prefect's artifacts and the command line's tables show them as markers, as the HTML
pages and summary.xlsx do (``reports.shown``)."""

from __future__ import annotations

import io

from rich.console import Console

from flows import artifacts
from pipeline.model import (
    Annex,
    Finding,
    FindingCode,
    Manifest,
    ManifestEntry,
    OnlineMatch,
    Page,
    Report,
    SourceKind,
    SubmissionSource,
    TextLine,
    status_of,
)

SHA = "ab" * 32
BATCH = "b1"
SPOOFED = "GZ2022-0\u202e351\u202c"  # displays as GZ2022-0153
SHOWN = "GZ2022-0⟨U+202E⟩351⟨U+202C⟩"
HIDDEN = ("\u202e", "\u202c", "\x00", "\u200b", "\ufeff")


def _report() -> Report:
    findings = (Finding.of(FindingCode.FIELD_MISMATCH, "名称\u200b不符\x00", key="lead_org"),)
    page = Page(
        number=1,
        source_page=1,
        kind=SourceKind.DOCX,
        width_pt=595,
        height_pt=842,
        lines=(TextLine(text="\ufeff第一行\u202e", bbox=(0.1, 0.1, 0.9, 0.12)),),
    )
    return Report(
        batch=BATCH,
        submission_id="P001\u200b-p001-009",
        annex=Annex.PILOT,
        source=SubmissionSource(file="P\x00001\u202e.pdf", sha256=SHA, pages=(1, 1)),
        status=status_of(findings),
        findings=findings,
        online=OnlineMatch(matched_by="uscc", record_id=SPOOFED),
        pages=(page,),
    )


def _manifest(report: Report) -> Manifest:
    return Manifest(
        batch=BATCH,
        files=(
            ManifestEntry(
                file=report.source.file,
                sha256=SHA,
                size=1,
                pages=1,
                state="processed",
                submissions=(report.submission_id,),
            ),
            ManifestEntry(
                file="坏\u202e文件.pdf", size=9, state="quarantined", reason="无法读取\x00"
            ),
        ),
    )


def _assert_shown(text: str) -> None:
    assert not [c for c in HIDDEN if c in text], text
    assert SHOWN in text


def test_the_table_artifact_shows_markers() -> None:
    (row,) = artifacts.submission_rows([_report()], lambda r: "https://x/report.html")
    cells = "".join(str(value) for value in row.values())
    _assert_shown(cells)
    assert row["提交编号"] == "P001⟨U+200B⟩-p001-009"
    assert row["文件"] == "P⟨U+0000⟩001⟨U+202E⟩.pdf"


def test_the_markdown_artifact_shows_markers() -> None:
    report = _report()
    missing = Finding.of(FindingCode.PAPER_MISSING, f"记录 {SPOOFED} 无纸质材料", key=SPOOFED)
    markdown = artifacts.summary_markdown(
        _manifest(report), [report], [missing], "https://x/index.html", lambda r: "https://x/r"
    )
    _assert_shown(markdown)
    assert "坏⟨U+202E⟩文件.pdf" in markdown and "无法读取⟨U+0000⟩" in markdown
    assert artifacts.escape_markdown("a\u202eb") == "a⟨U+202E⟩b"


def _printed(table: object) -> str:
    screen = io.StringIO()
    Console(file=screen, width=400).print(table)
    return screen.getvalue()


def test_the_command_lines_tables_show_markers() -> None:
    from flows.cli import _manifest_table, _report_summary, _submissions_table

    report = _report()
    submissions = _printed(_submissions_table(BATCH, [artifacts.row_of(report)]))
    _assert_shown(submissions)
    assert "P001⟨U+200B⟩-p001-009" in submissions
    files = _printed(_manifest_table(_manifest(report)))
    assert not [c for c in HIDDEN if c in files]
    assert "坏⟨U+202E⟩文件.pdf" in files and "P⟨U+0000⟩001⟨U+202E⟩.pdf" in files
    summary = _printed(_report_summary(report))
    assert not [c for c in HIDDEN if c in summary]
    assert "⟨U+FEFF⟩第一行⟨U+202E⟩" in summary and "名称⟨U+200B⟩不符⟨U+0000⟩" in summary
