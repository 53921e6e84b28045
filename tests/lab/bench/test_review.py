"""``shenbao bench review``: the decision per finding from the truth, and a small stored
batch cleared by keyboard in Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from shenbao_lab.bench.review import DISMISS_REASON, Choice, bench_review, choose, load_truths

from pipeline.decision import Action, Decision
from pipeline.model import Finding, FindingCode
from storage.base import decisions_prefix
from storage.local_store import LocalStore
from tests.workbench.review_batch import REVIEW_BATCH, put_review_batch

TRUTH: dict[str, Any] = {
    "expected_findings": [
        {"code": "SEAL_MISSING", "field": None, "key": None, "section": None,
         "slot": "lead_org_cover"},
        {"code": "FIELD_MISMATCH", "field": "revenue", "key": None, "section": None,
         "slot": None},
    ],
    "fields": {
        "revenue": {"raw": "39795.05", "value": 39795.05},
        "legal_rep": {"raw": "余晓燕", "value": "余晓燕"},
        "recommend_date": {"raw": "2022年7月10日", "value": "2022-07-10"},
        "members": {"raw": "", "value": [{"name": "贵州师范大学"}]},
    },
}  # fmt: skip


def _finding(code: FindingCode, **subject: object) -> Finding:
    return Finding.of(code, "问题", **subject)


def test_a_planted_fault_is_confirmed() -> None:
    seal = _finding(FindingCode.SEAL_MISSING, slot="lead_org_cover")
    mismatch = _finding(FindingCode.FIELD_MISMATCH, field="revenue", paper=39795.05)
    assert choose(seal, TRUTH) == Choice(Action.CONFIRM)
    assert choose(mismatch, TRUTH) == Choice(Action.CONFIRM)


def test_a_wrong_or_unsure_reading_is_corrected_to_the_truth() -> None:
    wrong = _finding(FindingCode.FIELD_MISMATCH, field="legal_rep", paper="余晓蒸")
    missing = _finding(FindingCode.FIELD_MISSING, field="legal_rep")
    unsure_but_right = _finding(
        FindingCode.FIELD_LOW_CONFIDENCE, field="recommend_date", paper="2022-07-10"
    )
    assert choose(wrong, TRUTH) == Choice(Action.CORRECT, value="余晓燕")
    assert choose(missing, TRUTH) == Choice(Action.CORRECT, value="余晓燕")
    assert choose(unsure_but_right, TRUTH) == Choice(Action.CORRECT, value="2022-07-10")


def test_a_finding_the_truth_does_not_hold_is_dismissed_with_a_reason() -> None:
    right_but_flagged = _finding(FindingCode.FIELD_MISMATCH, field="legal_rep", paper="余晓燕")
    seal_there = _finding(FindingCode.SEAL_MISSING, slot="recommender_cover")
    a_list = _finding(FindingCode.FIELD_MISMATCH, field="members", paper=["贵州大学"])
    for finding in (right_but_flagged, seal_there, a_list):
        assert choose(finding, TRUTH) == Choice(Action.DISMISS, reason=DISMISS_REASON)


def test_without_a_truth_every_finding_is_confirmed() -> None:
    assert choose(_finding(FindingCode.SEAL_MISSING, slot="x"), None) == Choice(Action.CONFIRM)


def test_the_truths_are_the_scanned_sources_by_submission(tmp_path: Path) -> None:
    (tmp_path / "truth").mkdir()
    sources = [
        {"kind": "scan", "submission_id": "scan_0001-p001-009", "fields": {}},
        {"kind": "docx", "submission_id": None, "fields": {}},
    ]
    truth = {"schema": "shenbao.truth/1", "annex": "pilot", "sources": sources}
    (tmp_path / "truth" / "P001.json").write_text(json.dumps(truth), encoding="utf-8")
    (tmp_path / "truth" / "batch.json").write_text('{"schema": "shenbao.truth.batch/1"}')
    assert load_truths(tmp_path) == {"scan_0001-p001-009": sources[0]}


@pytest.mark.skipif(
    not Path("/usr/bin/chromium").is_file() and shutil.which("chromium") is None,
    reason="chromium is not installed (apt-get install chromium)",
)
def test_a_stored_batch_is_cleared_by_keyboard(tmp_path: Path) -> None:
    """The workbench tests' small batch (no truth: every open finding confirmed by ``c``):
    every finding decided, one decision object each, the batch page shows 0 open."""
    store = LocalStore(tmp_path / "store")
    put_review_batch(store)
    shot = tmp_path / "page.png"
    figures = bench_review(tmp_path, str(tmp_path / "store"), shot, progress=lambda _: None)
    assert figures.batch == REVIEW_BATCH
    assert figures.findings_open_at_start > 0
    assert figures.decisions == figures.findings_open_at_start
    assert figures.by_action == {"confirm": figures.decisions, "dismiss": 0, "correct": 0}
    assert figures.open_at_end == 0 and figures.refused == 0
    objects = [
        Decision.model_validate_json(store.get_bytes(key))
        for key in store.list(decisions_prefix(REVIEW_BATCH))
    ]
    assert len(objects) == figures.decision_objects == figures.decisions
    assert {d.user for d in objects} == {"bench-reviewer"}
    assert shot.read_bytes().startswith(b"\x89PNG")
