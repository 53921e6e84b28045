"""``shenbao run`` and ``shenbao reconcile`` carry reviewers' decisions over."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flows.batch import process_batch
from flows.reconcile import reconcile_batch
from pipeline.decision import Action
from pipeline.model import FindingCode, Manifest, Report
from storage.base import manifest_key, report_key
from storage.local_store import LocalStore
from tests.readers import SAMPLES, SETTINGS
from tests.rulebook import RULES
from tests.usecases.test_review import export_with
from usecases.review import decide, decision_log

pytestmark = pytest.mark.usefixtures("prefect_harness")

P001 = "P001-p001-009"


def _report(store: Path) -> Report:
    return Report.model_validate_json((store / report_key("b1", P001)).read_bytes())


@pytest.fixture
def mismatched(tmp_path: Path) -> tuple[Path, Path, str]:
    """A batch run against an export whose legal representative differs from the paper:
    its store, the export, and the FIELD_MISMATCH's id."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "electronic" / "P001.pdf", folder / "P001.pdf")
    export = export_with(tmp_path, "法定代表人", "王大明")
    store = tmp_path / "store"
    process_batch(paths=[str(folder)], online=str(export), batch="b1", store=str(store))
    (mismatch,) = [f.id for f in _report(store).findings if f.code is FindingCode.FIELD_MISMATCH]
    assert mismatch is not None
    return store, export, mismatch


def test_run_and_reconcile_keep_a_decision_on_an_unchanged_finding(
    mismatched: tuple[Path, Path, str], tmp_path: Path
) -> None:
    store, export, mismatch = mismatched
    decide(
        LocalStore(store),
        RULES,
        SETTINGS,
        batch="b1",
        submission=P001,
        finding=mismatch,
        action=Action.DISMISS,
        reason="网上填报有误，已通知企业更正",
        user="li.na",
    )
    assert _report(store).review is not None
    process_batch(paths=[str(tmp_path / "in")], online=str(export), batch="b1", store=str(store))
    reran = _report(store)
    assert reran.review is not None and reran.review.status == "pass_reviewed"
    reconcile_batch(batch="b1", online=str(export), store=str(store))
    reconciled = _report(store)
    assert reconciled.review is not None and reconciled.review.status == "pass_reviewed"
    index = (store / "batches/b1/index.html").read_text("utf-8")
    assert "通过（已复核）" in index


def test_reconcile_marks_a_changed_finding_for_re_review(
    mismatched: tuple[Path, Path, str], tmp_path: Path
) -> None:
    store, _, mismatch = mismatched
    decide(
        LocalStore(store),
        RULES,
        SETTINGS,
        batch="b1",
        submission=P001,
        finding=mismatch,
        action=Action.DISMISS,
        reason="网上填报有误",
        user="li.na",
    )
    newer = tmp_path / "newer"
    newer.mkdir()
    reconcile_batch(
        batch="b1", online=str(export_with(newer, "法定代表人", "赵六")), store=str(store)
    )
    report = _report(store)
    assert report.review is not None and report.review.status == "fail"
    assert report.review.stale == 1 and report.review.decisions[0].stale
    assert "需重新复核" in (store / report_key("b1", P001).replace(".json", ".html")).read_text(
        "utf-8"
    )
    assert len(decision_log(LocalStore(store), "b1")) == 1


def test_reconcile_applies_a_correction_again(
    mismatched: tuple[Path, Path, str], tmp_path: Path
) -> None:
    store, export, mismatch = mismatched
    decide(
        LocalStore(store),
        RULES,
        SETTINGS,
        batch="b1",
        submission=P001,
        finding=mismatch,
        action=Action.CORRECT,
        value="王大明",
        user="li.na",
    )
    reconcile_batch(batch="b1", online=str(export), store=str(store))
    report = _report(store)
    assert report.fields["legal_rep"].value == "王大明" and report.status == "pass"
    assert report.review is not None and report.review.status == "pass_reviewed"
    assert json.loads((store / report_key("b1", P001)).read_text("utf-8"))["review"]["decided"] == 1


def test_run_and_reconcile_keep_a_batch_decision_and_reopen_it_when_its_filing_changed(
    mismatched: tuple[Path, Path, str], tmp_path: Path
) -> None:
    store, export, _ = mismatched
    manifest = Manifest.model_validate_json((store / manifest_key("b1")).read_bytes())
    own = next(f.id for f in manifest.findings if f.key == "GZ2022-0115")
    decide(
        LocalStore(store),
        RULES,
        SETTINGS,
        batch="b1",
        submission=None,
        finding=own or "",
        action=Action.DISMISS,
        reason="该中心已撤回申报",
        user="li.na",
    )
    process_batch(paths=[str(tmp_path / "in")], online=str(export), batch="b1", store=str(store))
    reconcile_batch(batch="b1", online=str(export), store=str(store))
    index = (store / "batches/b1/index.html").read_text("utf-8")
    assert "驳回 · li.na" in index and "需重新复核" not in index
    newer = tmp_path / "newer"
    newer.mkdir()
    changed = export_with(newer, "牵头单位名称", "贵州另一家公司", "GZ2022-0115")
    reconcile_batch(batch="b1", online=str(changed), store=str(store))
    index = (store / "batches/b1/index.html").read_text("utf-8")
    assert "需重新复核" in index and "该中心已撤回申报" in index
    assert len(decision_log(LocalStore(store), "b1")) == 1
