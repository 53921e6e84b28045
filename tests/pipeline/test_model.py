"""The typed chain: frozen models, fixed severities, status derived from findings."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from pipeline.model import (
    Annex,
    ExtractedField,
    Finding,
    FindingCode,
    Manifest,
    Report,
    Severity,
    Status,
    SubmissionSource,
    status_of,
)

SOURCE = SubmissionSource(file="scan_0007.pdf", sha256="a" * 64, pages=(1, 26))


def _report(*findings: Finding, submission_id: str = "scan_0007-p001-026") -> Report:
    return Report(
        batch="2022-pilot-0801",
        submission_id=submission_id,
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


MISMATCH = Finding.of(
    FindingCode.FIELD_MISMATCH,
    "上年度营业收入：纸质材料为123456.78万元，网上填报为12345.68万元",
    field="revenue",
    paper=123456.78,
    online=12345.68,
    page=3,
    bbox=(0.31, 0.22, 0.62, 0.24),
)


def test_report_json_matches_the_contract_shape() -> None:
    field = ExtractedField(
        value=123456.78, raw="123,456.78", page=3, bbox=(0.31, 0.22, 0.62, 0.24), confidence=0.97
    )
    report = _report(MISMATCH).model_copy(update={"fields": {"revenue": field}})
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


# --- finding ids: a reviewer's decision must find its finding again after a re-run -------

SEAL = Finding.of(FindingCode.SEAL_MISSING, "封面缺少牵头单位公章", slot="lead_org_cover", page=1)


def _ids(holder: Report | Manifest) -> list[str | None]:
    return [f.id for f in holder.findings]


def test_every_finding_of_a_report_has_an_id_stored_with_it() -> None:
    report = _report(MISMATCH, SEAL)
    ids = _ids(report)
    assert all(isinstance(i, str) and re.fullmatch(r"[0-9a-f]{12}", i) for i in ids), ids
    stored = json.loads(report.to_json())
    assert [f["id"] for f in stored["findings"]] == ids
    assert _ids(Report.model_validate_json(report.to_json())) == ids


def test_a_finding_id_survives_a_rerun_whatever_changes_without_meaning() -> None:
    again = MISMATCH.model_copy(
        update={
            "message": "上年度营业收入不一致（措辞改了）",
            "paper": 123456.79,
            "online": 12345.69,
            "page": 4,
            "bbox": (0.3, 0.2, 0.6, 0.25),
            "evidence": "reports/b/s/evidence/finding-01.png",
        }
    )
    seal_again = SEAL.model_copy(update={"message": "缺章", "page": 2})
    assert _ids(_report(MISMATCH, SEAL)) == _ids(_report(again, seal_again))
    # another finding before it (a new check) does not move it
    extra = Finding.of(FindingCode.FIELD_MISSING, "缺少联系人", field="contact")
    assert _ids(_report(extra, MISMATCH, SEAL))[1:] == _ids(_report(MISMATCH, SEAL))
    # a hand-set id is not kept: the id is computed from what the finding is about
    forged = MISMATCH.model_copy(update={"id": "000000000000"})
    assert _ids(_report(forged)) == _ids(_report(MISMATCH))


def test_finding_ids_tell_findings_apart() -> None:
    other_field = MISMATCH.model_copy(update={"field": "legal_rep"})
    other_code = Finding.of(
        FindingCode.FIELD_INVALID, "统一社会信用代码校验位错误", field="revenue"
    )
    copies = [
        Finding.of(FindingCode.COPIES_DIFFER, "两份纸质材料不一致", field="revenue", key=other)
        for other in ("P001-p001-009-pdf", "P001-p001-009-docx")
    ]
    twice = Finding.of(FindingCode.FIELD_INVALID, "合计不符", field="revenue")
    report = _report(MISMATCH, other_field, other_code, *copies, twice)
    ids = _ids(report)
    assert len(set(ids)) == len(ids)  # even the same code on the same field, twice
    # the same finding in another submission is another finding
    assert _ids(_report(MISMATCH, submission_id="scan_0008-p001-009")) != _ids(_report(MISMATCH))
    # and the order of two alike is kept: the first keeps the id it had alone
    assert ids[2] == _ids(_report(other_code))[0]


def _paper_missing(record_id: str, message: str = "") -> Finding:
    return Finding.of(
        FindingCode.PAPER_MISSING,
        message or f"网上填报记录 {record_id} 没有对应的纸质材料",
        key=record_id,
    )


def test_the_manifest_carries_the_batch_findings_with_ids() -> None:
    manifest = Manifest(
        batch="b1", files=(), findings=(_paper_missing("GZ2022-0192"), _paper_missing("R2"))
    )
    stored = json.loads(manifest.model_dump_json(by_alias=True))
    assert [(f["code"], f["key"]) for f in stored["findings"]] == [
        ("PAPER_MISSING", "GZ2022-0192"),
        ("PAPER_MISSING", "R2"),
    ]
    ids = [f["id"] for f in stored["findings"]]
    assert len(set(ids)) == 2 and None not in ids
    assert _ids(Manifest.model_validate(stored)) == ids
    reworded = Manifest(batch="b1", files=(), findings=(_paper_missing("GZ2022-0192", "改了"),))
    assert _ids(reworded) == ids[:1]
    # batch-level, not a submission's: the same finding in a report has another id
    report = _report(_paper_missing("GZ2022-0192"))
    assert _ids(report) != ids[:1]
    # a manifest written before it carried findings still reads
    assert Manifest.model_validate({"schema": "shenbao.manifest/1", "batch": "b", "files": []})
