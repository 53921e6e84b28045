"""The checks across a batch see only what a lean report keeps, so a batch can hold its
submissions without their pages' reading while the full reports wait on disk."""

from __future__ import annotations

import pytest

from pipeline.model import FindingCode, OnlineRecord, Report
from pipeline.online import load_online_export
from pipeline.run import inspect_file, submission_ids, without_reading
from tests.readers import SAMPLES, SETTINGS, NoOcr
from tests.rulebook import RULES
from usecases.check import batch_check, check_batch, checker

FILES = ("P001.pdf", "P001.docx", "P004.pdf", "P010.pdf", "C003.pdf", "C003.docx")


@pytest.fixture(scope="module")
def reports() -> list[Report]:
    """Electronic copies, extracted and validated, their ids unique across the batch."""
    check = checker(RULES)
    read = [
        inspect_file(SAMPLES / "electronic" / f, SETTINGS, NoOcr(), RULES, check=check)
        for f in FILES
    ]
    ids = submission_ids([(f, "0" * 64) for f in FILES])
    return [
        report.model_copy(update={"submission_id": ids[f].of(*report.source.pages)})
        for f, file_reports in zip(FILES, read, strict=True)
        for report in file_reports
    ]


@pytest.fixture(scope="module")
def records() -> tuple[OnlineRecord, ...]:
    return load_online_export(SAMPLES / "online" / "export.xlsx", RULES.export_columns).records


@pytest.mark.parametrize("with_export", [True, False], ids=["export", "no-export"])
def test_lean_reports_are_checked_as_the_full_ones(
    reports: list[Report], records: tuple[OnlineRecord, ...], with_export: bool
) -> None:
    given = records if with_export else None
    full, batch_findings = check_batch(reports, given, RULES)
    found = batch_check([without_reading(r) for r in reports], given, RULES)

    assert [found.apply(r) for r in reports] == full
    assert found.batch_findings == batch_findings
    added = [
        f.code
        for new, old in zip(full, reports, strict=True)
        for f in new.findings[len(old.findings) :]
    ]
    if with_export:
        assert all(r.online is not None for r in full if not r.submission_id.startswith("P010"))
        assert FindingCode.ONLINE_RECORD_MISSING in added  # P010 has no filing
        assert FindingCode.FIELD_MISMATCH in added
        assert any(f.code is FindingCode.PAPER_MISSING for f in batch_findings)
    else:
        assert all(r.online is None for r in full) and not batch_findings


def test_a_report_the_batch_checks_did_not_see_is_left_as_it_was(reports: list[Report]) -> None:
    found = batch_check(reports[:2], None, RULES)
    assert found.apply(reports[-1]) is reports[-1]
