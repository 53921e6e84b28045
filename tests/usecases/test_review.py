"""Reviewers' decisions on a stored batch: objects written once, corrections re-checked,
decisions carried over a re-run, on the local store and on S3 (SeaweedFS)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import ingest
from pipeline.decision import Action, Decision, ReviewStatus
from pipeline.errors import InputError
from pipeline.model import FindingCode, Report
from pipeline.online import load_online_export
from pipeline.run import ReportSpool, inspect_file
from storage.base import ObjectStore, decisions_prefix, report_key, versions_of
from storage.local_store import LocalStore
from tests.readers import SAMPLES, SETTINGS, NoOcr
from tests.rulebook import RULES
from usecases.check import checker
from usecases.publish import check_and_publish
from usecases.read import export_ref
from usecases.review import (
    batch_progress,
    decide,
    decision_log,
    keep_export,
    load_decisions,
    record_decision,
)

BATCH = "b1"
P001 = "P001-p001-009"
T0 = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


def export_with(tmp_path: Path, column: str | None = None, value: str = "") -> Path:
    """The sample export, P001's filing (GZ2022-0108) with one cell changed."""
    text = (SAMPLES / "online" / "export.csv").read_bytes().decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for row in rows[1:]:
        if column and row[header.index("申报编号")] == "GZ2022-0108":
            row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / f"export-{column or 'same'}.csv"
    path.write_bytes(out.getvalue().encode("gb18030"))
    return path


def publish(
    store: ObjectStore,
    tmp_path: Path,
    export: Path,
    edit: Callable[[Report], Report] | None = None,
) -> list[Report]:
    """P001.pdf run as batch ``b1`` against ``export`` (its reports ``edit``-ed as read)."""
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / "P001.pdf").write_bytes((SAMPLES / "electronic" / "P001.pdf").read_bytes())
    sniffed = [ingest.sniff(found, SETTINGS) for found in ingest.discover([folder])]
    reports = inspect_file(folder / "P001.pdf", SETTINGS, NoOcr(), RULES, batch=BATCH)
    check = checker(RULES)
    from pipeline.run import as_read, build_report

    built = []
    for report in reports:
        if edit is not None:
            report = edit(report)
        submission = as_read(report)
        assert submission is not None
        built.append(build_report(check(submission), BATCH, None, RULES.templates))
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir(exist_ok=True)
    spool = ReportSpool(spool_dir)
    waiting = [spool.put(r) for r in built]
    records = load_online_export(export, RULES.export_columns).records
    keep_export(store, export)
    _, _, published = check_and_publish(
        store, BATCH, export_ref(str(export)), records, None, sniffed, waiting, RULES, SETTINGS
    )
    return published


def stored_report(store: ObjectStore) -> Report:
    return Report.model_validate_json(store.get_bytes(report_key(BATCH, P001)))


def unsure_legal_rep(report: Report) -> Report:
    """The report as if the legal representative's name had been read unsure."""
    pages = []
    for page in report.pages:
        lines = tuple(
            line.model_copy(update={"confidence": 0.3, "char_confidences": None})
            if "余晓燕" in line.text
            else line
            for line in page.lines
        )
        pages.append(page.model_copy(update={"lines": lines}))
    return report.model_copy(update={"pages": tuple(pages)})


def finding_of(report: Report, code: FindingCode, field: str) -> str:
    found = [f for f in report.findings if f.code is code and f.field == field]
    assert len(found) == 1, report.findings
    assert found[0].id is not None
    return found[0].id


def test_a_correction_clears_a_mismatch_in_a_new_report_version(
    store: ObjectStore, tmp_path: Path
) -> None:
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    before = stored_report(store)
    mismatch = finding_of(before, FindingCode.FIELD_MISMATCH, "legal_rep")
    assert before.status == "fail" and before.review is None

    made = decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=P001,
        finding=mismatch,
        action=Action.CORRECT,
        value="王大明",
        reason="纸质材料上为王大明，识别有误",
        user="li.na",
    )

    after = stored_report(store)
    assert after.fields["legal_rep"].value == "王大明"
    assert not any(f.code is FindingCode.FIELD_MISMATCH for f in after.findings)
    assert after.status == "pass"
    assert after.review is not None and after.review.status is ReviewStatus.PASS_REVIEWED
    assert after.review.decisions[0].action is Action.CORRECT
    assert len(versions_of(store, report_key(BATCH, P001))) >= 1  # the earlier kept
    # the decision names the report it saw and the version it produced
    assert made.report_sha256 != made.report_version
    (key,) = store.list(decisions_prefix(BATCH, P001))
    assert key.endswith(f"-{made.id}.json") and key.startswith("decisions/b1/P001-p001-009/")
    assert Decision.model_validate_json(store.get_bytes(key)) == made
    html = store.get_bytes(f"reports/{BATCH}/{P001}/report.html").decode()
    assert "通过（已复核）" in html and "li.na" in html
    index = store.get_bytes(f"batches/{BATCH}/index.html").decode()
    assert "通过（已复核）" in index


def test_a_correction_can_raise_a_mismatch(store: ObjectStore, tmp_path: Path) -> None:
    publish(store, tmp_path, export_with(tmp_path), edit=unsure_legal_rep)
    before = stored_report(store)
    unsure = finding_of(before, FindingCode.FIELD_LOW_CONFIDENCE, "legal_rep")
    assert not any(f.code is FindingCode.FIELD_MISMATCH for f in before.findings)

    decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=P001,
        finding=unsure,
        action=Action.CORRECT,
        value="张三",
        user="li.na",
    )

    after = stored_report(store)
    assert not any(f.code is FindingCode.FIELD_LOW_CONFIDENCE for f in after.findings)
    raised = [f for f in after.findings if f.code is FindingCode.FIELD_MISMATCH]
    assert [(f.field, f.paper, f.online) for f in raised] == [("legal_rep", "张三", "余晓燕")]
    assert after.review is not None and after.review.status is ReviewStatus.FAIL


def test_two_reviewers_at_once_both_keep_their_decisions_and_the_log_has_both(
    store: ObjectStore, tmp_path: Path
) -> None:
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    mismatch = finding_of(stored_report(store), FindingCode.FIELD_MISMATCH, "legal_rep")
    common = {"batch": BATCH, "submission": P001, "finding": mismatch, "now": T0}
    first = decide(
        store, RULES, SETTINGS, action=Action.CONFIRM, user="li.na", republish=False, **common
    )
    second = decide(
        store,
        RULES,
        SETTINGS,
        action=Action.DISMISS,
        reason="网上填报有误",
        user="wang.wu",
        **common,
    )
    assert first.id != second.id
    assert {d.id for d in decision_log(store, BATCH)} == {first.id, second.id}
    assert second.supersedes is None or second.supersedes == first.id
    (progress,) = batch_progress(store, BATCH).values()
    assert (progress.decided, progress.open) == (1, 0)  # the dismissal is in force
    assert len(store.list(decisions_prefix(BATCH))) == 2


def test_a_decision_object_is_never_overwritten(store: ObjectStore, tmp_path: Path) -> None:
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    mismatch = finding_of(stored_report(store), FindingCode.FIELD_MISMATCH, "legal_rep")
    made = decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=P001,
        finding=mismatch,
        action=Action.CONFIRM,
        user="li.na",
        republish=False,
    )
    with pytest.raises(InputError, match="never overwritten"):
        record_decision(store, made.model_copy(update={"user": "mallory"}))
    assert load_decisions(store, BATCH, P001) == [made]


def test_wrong_decisions_are_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    mismatch = finding_of(stored_report(store), FindingCode.FIELD_MISMATCH, "legal_rep")
    common = {"batch": BATCH, "submission": P001, "user": "li.na"}
    with pytest.raises(InputError, match="reason"):
        decide(store, RULES, SETTINGS, finding=mismatch, action=Action.DISMISS, **common)
    with pytest.raises(InputError, match="no finding"):
        decide(store, RULES, SETTINGS, finding="0" * 12, action=Action.CONFIRM, **common)
    with pytest.raises(InputError, match="takes no value"):
        decide(store, RULES, SETTINGS, finding=mismatch, action=Action.CONFIRM, value="x", **common)
    assert store.list(decisions_prefix(BATCH)) == []


def test_a_rerun_keeps_a_decision_whose_finding_is_unchanged_and_reopens_a_changed_one(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    mismatch = finding_of(stored_report(store), FindingCode.FIELD_MISMATCH, "legal_rep")
    decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=P001,
        finding=mismatch,
        action=Action.DISMISS,
        reason="网上填报有误，已通知企业",
        user="li.na",
    )
    # the same export again: the same finding, the same evidence — the decision stands
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    kept = stored_report(store)
    assert kept.review is not None and kept.review.status is ReviewStatus.PASS_REVIEWED
    assert (kept.review.decided, kept.review.open, kept.review.stale) == (1, 0, 0)
    # a newer export with another online value: the same finding id, other evidence
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "赵六"))
    changed = stored_report(store)
    assert finding_of(changed, FindingCode.FIELD_MISMATCH, "legal_rep") == mismatch
    assert changed.review is not None and changed.review.status is ReviewStatus.FAIL
    assert changed.review.stale == 1 and changed.review.decisions[0].stale
    assert len(decision_log(store, BATCH)) == 1  # nothing deleted


def test_a_rerun_applies_a_correction_again(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path), edit=unsure_legal_rep)
    unsure = finding_of(stored_report(store), FindingCode.FIELD_LOW_CONFIDENCE, "legal_rep")
    decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=P001,
        finding=unsure,
        action=Action.CORRECT,
        value="余晓燕",
        user="li.na",
    )
    assert stored_report(store).status == "pass"
    publish(store, tmp_path, export_with(tmp_path), edit=unsure_legal_rep)  # read as before
    again = stored_report(store)
    assert again.fields["legal_rep"].value == "余晓燕" and again.status == "pass"
    assert again.review is not None and again.review.status is ReviewStatus.PASS_REVIEWED
    assert json.loads(store.get_bytes(report_key(BATCH, P001)))["review"]["decided"] == 1
