"""report.json is checked against the report schema before it is written."""

from __future__ import annotations

import json

import pytest

from pipeline.model import Report
from reports.validate import InvalidReportError, check_report_json
from storage.base import json_bytes
from tests.reports.conftest import electronic_report, scan_reports


def test_reports_as_stored_pass(hand_built: Report) -> None:
    for report in [hand_built, electronic_report("C003.docx"), *scan_reports()]:
        assert check_report_json(json_bytes(report))["submission_id"] == report.submission_id


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(status="bogus"), "status"),
        (lambda d: d["source"].update(sha256="short"), "source/sha256"),
        (lambda d: d.update(unexpected=1), "(root)"),
        (lambda d: d["findings"][0].update(bbox=[0.5]), "findings/0/bbox"),
    ],
)
def test_a_broken_report_is_refused_with_where(hand_built: Report, change, path: str) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(json_bytes(hand_built))
    change(document)
    with pytest.raises(InvalidReportError, match=path):
        check_report_json(json.dumps(document).encode())


def test_not_json_is_refused() -> None:
    with pytest.raises(InvalidReportError, match="not JSON"):
        check_report_json(b"{")
