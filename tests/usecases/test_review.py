"""Reviewers' decisions on a stored batch: objects written once, corrections re-checked,
decisions carried over a re-run, on the local store and on S3 (SeaweedFS)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline import ingest
from pipeline.decision import BATCH_LEVEL, Action, Decision, Progress, ReviewStatus
from pipeline.errors import InputError
from pipeline.model import FindingCode, Manifest, Report
from pipeline.online import load_online_export
from pipeline.run import ReportSpool, inspect_file
from storage.base import (
    ObjectStore,
    decisions_prefix,
    manifest_key,
    report_key,
    summary_key,
    versions_of,
)
from storage.local_store import LocalStore
from tests.readers import SAMPLES, SETTINGS, NoOcr
from tests.rulebook import RULES
from usecases.check import checker
from usecases.publish import check_and_publish
from usecases.read import export_ref
from usecases.review import (
    batch_level_progress,
    batch_progress,
    batch_review,
    decide,
    decision_log,
    keep_export,
    load_decisions,
    record_decision,
)

BATCH = "b1"
P001 = "P001-p001-009"
T0 = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


def export_with(
    tmp_path: Path, column: str | None = None, value: str = "", record: str = "GZ2022-0108"
) -> Path:
    """The sample export, one filing's (P001's, GZ2022-0108, unless ``record``) cell
    changed."""
    text = (SAMPLES / "online" / "export.csv").read_bytes().decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for row in rows[1:]:
        if column and row[header.index("申报编号")] == record:
            row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / f"export-{record}-{column or 'same'}-{value}.csv"
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


# --- the batch's own findings (the manifest's) ------------------------------------------


def stored_manifest(store: ObjectStore) -> tuple[Manifest, str]:
    """The batch's manifest and the sha256 of its bytes."""
    data = store.get_bytes(manifest_key(BATCH))
    return Manifest.model_validate_json(data), hashlib.sha256(data).hexdigest()


def paper_missing(manifest: Manifest, record: str) -> str:
    """The id of the PAPER_MISSING of filing ``record``."""
    (found,) = [
        f.id for f in manifest.findings if f.code is FindingCode.PAPER_MISSING and f.key == record
    ]
    assert found is not None
    return found


def decisions_sheet(store: ObjectStore) -> list[tuple[object, ...]]:
    book = load_workbook(io.BytesIO(store.get_bytes(summary_key(BATCH))))
    return [tuple(row) for row in book["复核记录"].iter_rows(min_row=2, values_only=True)]


def test_a_batch_finding_is_confirmed_or_dismissed_in_the_reserved_place(
    store: ObjectStore, tmp_path: Path
) -> None:
    publish(store, tmp_path, export_with(tmp_path))
    manifest, sha256 = stored_manifest(store)
    own = [f for f in manifest.findings if f.code is FindingCode.PAPER_MISSING]
    assert len(own) >= 2  # the sample export's other filings have no paper in this batch
    assert batch_level_progress(store, manifest) == Progress(open=len(own))
    first, second = paper_missing(manifest, "GZ2022-0115"), paper_missing(manifest, "GZ2022-0122")

    confirmed = decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=None,
        finding=first,
        action=Action.CONFIRM,
        user="li.na",
        now=T0,
    )
    dismissed = decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=None,
        finding=second,
        action=Action.DISMISS,
        reason="纸质材料已另行寄到，待补录",
        user="wang.wu",
        now=T0 + dt.timedelta(minutes=1),
    )

    # objects in the reserved segment, the manifest's sha256 as the one seen
    keys = store.list(decisions_prefix(BATCH, BATCH_LEVEL))
    assert len(keys) == 2 and all(k.startswith("decisions/b1/_batch/") for k in keys)
    assert Decision.model_validate_json(store.get_bytes(keys[0])) == confirmed
    assert confirmed.submission == "_batch" and confirmed.batch_level
    assert confirmed.report_sha256 == sha256 == dismissed.report_sha256
    finding = next(f for f in manifest.findings if f.id == first)
    assert confirmed.seen.key == "GZ2022-0115" and confirmed.seen.message == finding.message
    assert [d.id for d in decision_log(store, BATCH)] == [confirmed.id, dismissed.id]
    # counted apart from the submissions', and the submissions' untouched
    assert batch_level_progress(store, manifest) == Progress(decided=2, open=len(own) - 2)
    (progress,) = batch_progress(store, BATCH).values()
    assert progress.decided == 0
    # the index and the summary show who decided and when
    index = store.get_bytes(f"batches/{BATCH}/index.html").decode()
    assert "确认 · li.na · 2026-12-05 09:00 UTC" in index
    assert "驳回 · wang.wu" in index and "纸质材料已另行寄到" in index
    assert "待复核" in index[index.index("GZ2022-0129") :]  # one not decided
    rows = decisions_sheet(store)
    assert [r[:5] for r in rows] == [
        ("（批次）", first, "PAPER_MISSING", "GZ2022-0115", "确认"),
        ("（批次）", second, "PAPER_MISSING", "GZ2022-0122", "驳回"),
    ]
    assert rows[1][6:] == ("纸质材料已另行寄到，待补录", "wang.wu", "2026-12-05 09:01:00", "有效")


def test_wrong_decisions_on_a_batch_finding_are_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path, "法定代表人", "王大明"))
    manifest, _ = stored_manifest(store)
    own = paper_missing(manifest, "GZ2022-0115")
    common = {"batch": BATCH, "user": "li.na"}
    with pytest.raises(InputError, match="reason"):
        decide(
            store, RULES, SETTINGS, submission=None, finding=own, action=Action.DISMISS, **common
        )
    with pytest.raises(InputError, match="not corrected"):
        decide(
            store, RULES, SETTINGS, submission=None, finding=own, action=Action.CORRECT, **common
        )
    with pytest.raises(InputError, match="takes no --value"):
        decide(
            store,
            RULES,
            SETTINGS,
            submission=None,
            finding=own,
            action=Action.CONFIRM,
            value="x",
            **common,
        )
    # a submission's finding is not the batch's, and the batch's is not a submission's
    theirs = finding_of(stored_report(store), FindingCode.FIELD_MISMATCH, "legal_rep")
    with pytest.raises(InputError, match="needs --submission"):
        decide(
            store, RULES, SETTINGS, submission=None, finding=theirs, action=Action.CONFIRM, **common
        )
    with pytest.raises(InputError, match="no finding"):
        decide(
            store, RULES, SETTINGS, submission=P001, finding=own, action=Action.CONFIRM, **common
        )
    with pytest.raises(InputError, match="leave out --submission"):
        decide(
            store,
            RULES,
            SETTINGS,
            submission=BATCH_LEVEL,
            finding=own,
            action=Action.CONFIRM,
            **common,
        )
    assert store.list(decisions_prefix(BATCH)) == []


def test_a_rerun_keeps_a_batch_decision_and_reopens_it_when_its_filing_changed(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path))
    manifest, _ = stored_manifest(store)
    own = paper_missing(manifest, "GZ2022-0115")
    decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=None,
        finding=own,
        action=Action.DISMISS,
        reason="该中心已撤回申报",
        user="li.na",
    )
    # the same export again: the same finding, the same evidence — the decision stands
    publish(store, tmp_path, export_with(tmp_path))
    kept, _ = stored_manifest(store)
    review = batch_review(store, kept)
    assert review is not None and (review.decided, review.stale) == (1, 0)
    assert "需重新复核" not in store.get_bytes(f"batches/{BATCH}/index.html").decode()
    # the filing names another lead organisation now: the same finding id, other evidence
    publish(store, tmp_path, export_with(tmp_path, "牵头单位名称", "贵州另一家公司", "GZ2022-0115"))
    changed, _ = stored_manifest(store)
    assert paper_missing(changed, "GZ2022-0115") == own
    review = batch_review(store, changed)
    assert review is not None and (review.decided, review.stale) == (0, 1)
    assert review.decisions[0].stale
    progress = batch_level_progress(store, changed)
    assert (progress.decided, progress.stale) == (0, 1)
    assert progress.open == sum(f.code is FindingCode.PAPER_MISSING for f in changed.findings)
    index = store.get_bytes(f"batches/{BATCH}/index.html").decode()
    assert "需重新复核" in index and "该中心已撤回申报" in index
    assert decisions_sheet(store)[0][-1] == "问题已变化，需重新复核"
    assert len(decision_log(store, BATCH)) == 1  # nothing deleted


def test_a_batch_finding_gone_in_a_rerun_leaves_its_decision_in_the_log_only(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path / "store")
    publish(store, tmp_path, export_with(tmp_path))
    manifest, _ = stored_manifest(store)
    own = paper_missing(manifest, "GZ2022-0115")
    decide(
        store,
        RULES,
        SETTINGS,
        batch=BATCH,
        submission=None,
        finding=own,
        action=Action.CONFIRM,
        user="li.na",
    )
    # the filing is gone from the export (its 申报编号 now another's): no finding to hold
    publish(store, tmp_path, export_with(tmp_path, "申报编号", "GZ2022-9999", "GZ2022-0115"))
    after, _ = stored_manifest(store)
    assert own not in {f.id for f in after.findings}
    assert batch_review(store, after) is None
    assert len(decision_log(store, BATCH)) == 1
