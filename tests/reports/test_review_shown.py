"""The reports show reviewers' decisions: report.html, index.html, summary.xlsx."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from pipeline.decision import Action, Decision, Seen, review_of
from pipeline.model import Manifest, ManifestEntry, Report, Severity
from reports.html import relative_link, render_index_html, render_report_html
from reports.xlsx import SHEET_DECISIONS, SHEET_SUBMISSIONS, render_summary_xlsx
from tests.readers import TEMPLATES

T0 = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)


def every_finding_decided(report: Report) -> Report:
    """Every error dismissed, every warning confirmed, by two reviewers."""
    decisions = [
        Decision(
            id=f"{n:012x}",
            batch=report.batch,
            submission=report.submission_id,
            finding=f.id or "",
            action=Action.DISMISS if f.severity is Severity.ERROR else Action.CONFIRM,
            reason="印章在附页，已核实" if f.severity is Severity.ERROR else "",
            user="li.na" if n % 2 else "wang.wu",
            time=T0 + dt.timedelta(minutes=n),
            report_sha256="b" * 64,
            seen=Seen.of(f),
        )
        for n, f in enumerate(report.findings)
        if f.severity is not Severity.INFO
    ]
    return report.model_copy(update={"review": review_of(report.findings, decisions)})


def test_report_html_shows_the_effective_status_and_each_decision(hand_built: Report) -> None:
    assert any(f.severity is Severity.ERROR for f in hand_built.findings)
    decided = every_finding_decided(hand_built)
    html = render_report_html(decided, TEMPLATES, review_threshold=0.9).decode()
    assert 'data-review-status="pass_reviewed"' in html and "复核结论：通过（已复核）" in html
    assert "印章在附页，已核实" in html and "li.na" in html and "2026-12-05 09:3" in html
    assert 'id="decisions"' in html
    # the checks' own verdict is still shown, as before
    assert 'data-status="fail"' in html
    plain = render_report_html(hand_built, TEMPLATES, review_threshold=0.9).decode()
    assert 'id="review-status"' not in plain and 'id="decisions"' not in plain


def test_index_and_summary_show_review_progress_and_the_decisions(hand_built: Report) -> None:
    decided = every_finding_decided(hand_built)
    manifest = Manifest(
        batch=decided.batch,
        files=(
            ManifestEntry(
                file=decided.source.file,
                sha256=decided.source.sha256,
                size=1,
                state="processed",
                submissions=(decided.submission_id,),
            ),
        ),
    )
    index = render_index_html(
        manifest,
        [decided],
        relative_link("batches/b1/index.html"),
        lambda r: "k",
        review_threshold=0.9,
    ).decode()
    assert decided.review is not None
    assert f"已复核 {decided.review.decided} 项，待复核 0 项" in index
    assert "通过（已复核）" in index

    book = load_workbook(io.BytesIO(render_summary_xlsx(manifest, [decided], TEMPLATES)))
    header = [c.value for c in book[SHEET_SUBMISSIONS][1]]
    row = [c.value for c in book[SHEET_SUBMISSIONS][2]]
    assert dict(zip(header, row, strict=True))["复核结论"] == "通过（已复核）"
    sheet = book[SHEET_DECISIONS]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == decided.review.decided
    assert {r[4] for r in rows} <= {"驳回", "确认"} and {r[7] for r in rows} <= {"li.na", "wang.wu"}
    assert all(r[9] == "有效" for r in rows)
