"""The typed chain: frozen models, fixed severities, status derived from findings."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from shenbao.pipeline.model import (
    Annex,
    ExtractedField,
    Finding,
    FindingCode,
    Report,
    Severity,
    Status,
    SubmissionSource,
    status_of,
)

SOURCE = SubmissionSource(file="scan_0007.pdf", sha256="a" * 64, pages=(1, 26))


def _report(*findings: Finding) -> Report:
    return Report(
        batch="2022-pilot-0801",
        submission_id="scan_0007-p001-026",
        annex=Annex.PILOT,
        source=SOURCE,
        status=status_of(findings),
        findings=findings,
    )


def test_every_code_has_the_severity_design_md_gives_it() -> None:
    warnings = {
        FindingCode.FIELD_LOW_CONFIDENCE,
        FindingCode.SEAL_UNVERIFIABLE,
        FindingCode.RECOMMENDATION_UNDATED,
        FindingCode.KPI_BELOW_TARGET,
    }
    for code in FindingCode:
        expected = (
            Severity.WARNING
            if code in warnings
            else Severity.INFO
            if code is FindingCode.RECOMMENDATION_EXEMPT
            else Severity.ERROR
        )
        assert code.severity is expected, code


def test_a_finding_cannot_carry_another_severity() -> None:
    with pytest.raises(ValidationError, match="has severity error"):
        Finding(code=FindingCode.SEAL_MISSING, severity=Severity.WARNING, message="缺少公章")


@pytest.mark.parametrize(
    ("codes", "status"),
    [
        ((), Status.PASS),
        ((FindingCode.RECOMMENDATION_EXEMPT,), Status.PASS),
        ((FindingCode.KPI_BELOW_TARGET, FindingCode.RECOMMENDATION_EXEMPT), Status.NEEDS_REVIEW),
        ((FindingCode.FIELD_LOW_CONFIDENCE, FindingCode.FIELD_MISMATCH), Status.FAIL),
    ],
)
def test_status_follows_the_worst_finding(codes: tuple[FindingCode, ...], status: Status) -> None:
    findings = tuple(Finding.of(code, "说明") for code in codes)
    assert _report(*findings).status is status


def test_a_report_whose_status_contradicts_its_findings_is_refused() -> None:
    with pytest.raises(ValidationError, match="contradicts"):
        Report(
            batch="b",
            submission_id="s",
            annex=Annex.PILOT,
            source=SOURCE,
            status=Status.PASS,
            findings=(Finding.of(FindingCode.SEAL_MISSING, "缺少公章"),),
        )


def test_bbox_must_be_page_fractions() -> None:
    with pytest.raises(ValidationError, match="page fractions"):
        ExtractedField(value="x", raw="x", page=1, bbox=(0.5, 0.2, 0.4, 0.3), confidence=0.9)
    with pytest.raises(ValidationError):
        ExtractedField(value="x", raw="x", page=1, bbox=(0.1, 0.2, 1.4, 0.3), confidence=0.9)


def test_models_are_frozen() -> None:
    report = _report()
    with pytest.raises(ValidationError):
        report.status = Status.FAIL  # type: ignore[misc]


def test_report_json_matches_the_contract_shape() -> None:
    field = ExtractedField(
        value=123456.78, raw="123,456.78", page=3, bbox=(0.31, 0.22, 0.62, 0.24), confidence=0.97
    )
    finding = Finding.of(
        FindingCode.FIELD_MISMATCH,
        "上年度营业收入：纸质材料为123456.78万元，网上填报为12345.68万元",
        field="revenue",
        paper=123456.78,
        online=12345.68,
        page=3,
        bbox=(0.31, 0.22, 0.62, 0.24),
    )
    report = _report(finding).model_copy(update={"fields": {"revenue": field}})
    data = json.loads(report.to_json())
    assert data["schema"] == "shenbao.report/1"
    assert data["status"] == "fail"
    assert data["fields"]["revenue"] == {
        "value": 123456.78,
        "raw": "123,456.78",
        "page": 3,
        "bbox": [0.31, 0.22, 0.62, 0.24],
        "confidence": 0.97,
    }
    assert data["findings"][0]["severity"] == "error"
    assert "纸质材料" in report.to_json()  # Chinese kept readable, not \u-escaped
    assert Report.model_validate(data) == report
