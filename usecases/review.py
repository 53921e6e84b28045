"""Reviewers' decisions on a stored batch: record, list, apply (``shenbao.decision/1``).

A decision is written once, as its own object ``decisions/{batch}/{submission}/{time}-{id}.json``
(``storage.base.decision_key``), never overwritten: two reviewers deciding at once both
keep theirs, and the objects are the audit log (``decision_log``). What they make of a
report — its effective status, which findings are decided or open, which decision no
longer applies because its finding changed — is worked out from them whenever a report is
published (``reviewed``), so ``shenbao run`` and ``shenbao reconcile`` carry them over.

*correct* gives a field's right value: the submission is checked again from its pages as
read with that value in place of the reading (its paper checks and, with the batch's
online export, the online comparison), a new version of its report is published (the
earlier kept under ``versions/``), and the decision records the new report's sha256.

The batch's own findings (the manifest's: PAPER_MISSING, FILE_UNREADABLE) are confirmed
or dismissed the same way (``decide`` with no submission): their decisions lie under the
reserved ``decisions/{batch}/_batch/`` (``pipeline.decision.BATCH_LEVEL``), hold the
manifest's sha256 as the one the reviewer saw, and make the batch's own review
(``batch_review``), shown by the index and the summary and counted in the progress.

On the members table (成员单位表) a correction gives one member's cell: the decision's
``cell`` (row, column) and its ``value``, the cell's right text normalised as its column's
type. The table is rebuilt as read with every cell correction in force in place (the
latest per cell; one past the last row adds a member), its cells' findings worked out
again, and the checks that use the members (the online comparison, the seals' owners) run
again. The table's own doubt (FIELD_LOW_CONFIDENCE) is answered by a correction made on
that finding — the reviewer had the whole table before them —, not by one made on a cell's
finding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extractors.checks import check_fields
from extractors.fields import extract
from extractors.normalize import normalizer
from pipeline import ingest
from pipeline.config import FieldType, TableSpec
from pipeline.decision import (
    BATCH_LEVEL,
    CORRECTABLE,
    Action,
    Decision,
    Progress,
    Seen,
    effective,
    new_decision_id,
    progress_of,
    review_of,
    utc_now,
)
from pipeline.errors import InputError
from pipeline.files import write_atomic
from pipeline.model import (
    ExtractedField,
    FieldValue,
    Finding,
    FindingCode,
    Manifest,
    Member,
    MemberCell,
    OnlineRecord,
    Report,
    Review,
    Submission,
    status_of,
)
from pipeline.online import load_online_export
from pipeline.rulebook import Rules
from pipeline.run import SpooledReport, as_read, without_reading
from pipeline.settings import Settings
from storage.base import (
    ObjectMissingError,
    ObjectStore,
    decision_key,
    decisions_prefix,
    manifest_key,
    original_key,
    report_key,
)
from usecases.check import validation_context
from validators import validate, validate_online

log = logging.getLogger(__name__)

READING_CODES = frozenset(
    {FindingCode.FIELD_LOW_CONFIDENCE, FindingCode.FIELD_MISSING, FindingCode.FIELD_INVALID}
)
"""What the extraction says of a reading: a corrected value replaces the reading, so these
findings on its field are gone with it."""


# --- the decision objects --------------------------------------------------------------


def record_decision(store: ObjectStore, decision: Decision) -> str:
    """Write ``decision`` as a new object; its key.

    Raises:
        InputError: the key already holds a decision (a decision is never overwritten).
    """
    key = decision_key(decision.batch, decision.submission, decision.stamp, decision.id)
    if store.exists(key):
        raise InputError(f"decision {key} exists already: decisions are never overwritten")
    payload = json.loads(decision.model_dump_json(by_alias=True))
    data = (json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
    store.put_bytes(key, data, "application/json")
    return key


def load_decisions(
    store: ObjectStore, batch: str, submission: str | None = None, among: set[str] | None = None
) -> list[Decision]:
    """The decisions on a batch (or on one ``submission`` of it, or on those ``among``
    the given ones: the batch listed once, only theirs read), in time order.

    An object that is not a ``shenbao.decision/1`` of the place it lies in is logged and
    left out, never taken on trust.
    """
    decisions = []
    for key in store.list(decisions_prefix(batch, submission)):
        if among is not None and key.split("/")[2] not in among:
            continue
        try:
            decision = Decision.model_validate_json(store.get_bytes(key))
        except (ValidationError, ObjectMissingError) as exc:
            log.error("%s: not a decision, left out: %s", key, exc)
            continue
        expected = decision_key(decision.batch, decision.submission, decision.stamp, decision.id)
        if expected != key:
            log.error("%s: holds the decision of another place (%s), left out", key, expected)
            continue
        decisions.append(decision)
    return sorted(decisions, key=lambda d: d.order)


def decision_log(store: ObjectStore, batch: str) -> list[Decision]:
    """Every decision on the batch, in time order: the audit log."""
    return load_decisions(store, batch)


def reviewed(report: Report, decisions: Iterable[Decision]) -> Report:
    """``report`` with its ``review`` as ``decisions`` (of its submission) make it."""
    mine = [d for d in decisions if d.submission == report.submission_id]
    review = review_of(report.findings, mine, report.fields)
    if review == report.review:
        return report
    return report.model_copy(update={"review": review})


def batch_decisions(store: ObjectStore, batch: str) -> list[Decision]:
    """The decisions on the batch's own findings (``decisions/{batch}/_batch/``)."""
    return load_decisions(store, batch, BATCH_LEVEL)


def batch_review(store: ObjectStore, manifest: Manifest) -> Review | None:
    """The review of the batch's own findings (the manifest's) as the store's decisions on
    them make it: each decision kept while its finding is there with the same key and
    message, shown stale (需重新复核) when it changed; None when none is decided."""
    return review_of(manifest.findings, batch_decisions(store, manifest.batch))


def reviewed_from(store: ObjectStore, reports: list[Report]) -> list[Report]:
    """``reports`` (of one batch) each with the store's decisions on it (``reviewed``)."""
    if not reports:
        return reports
    by_submission: dict[str, list[Decision]] = {}
    among = {r.submission_id for r in reports}
    for decision in load_decisions(store, reports[0].batch, among=among):
        by_submission.setdefault(decision.submission, []).append(decision)
    return [reviewed(r, by_submission.get(r.submission_id, ())) for r in reports]


# --- corrections -----------------------------------------------------------------------


def corrected_value(report: Report, field: str, text: str, rules: Rules) -> FieldValue:
    """A reviewer's ``text`` for ``field``, normalised as the field's type.

    Raises:
        InputError: the report's form has no such field, the field is a table, or the text
            does not read as the field's type (a date that is no date).
    """
    template = rules.templates.get(report.annex)
    spec = next((f for f in template.fields if f.key == field), None) if template else None
    if spec is None:
        if member_table(report, field, rules) is not None:
            raise InputError(
                f"字段 {field} 是成员单位表，请指定要更正的行和列 / {field} is the members "
                "table: give the cell (row, column) to correct"
            )
        raise InputError(f"字段 {field} 不在该表单中，无法更正 / no field {field} on this form")
    campaign = rules.campaign
    choices = campaign.choices(spec.options_from) if spec.options_from else spec.options
    value = normalizer(rules).value(
        spec.type, text, choices=choices, equivalents=campaign.org_suffix_equivalents
    )
    if value is None or (spec.type is FieldType.CHOICE and not value):
        raise InputError(
            f"“{text}” 不是字段 {spec.label} 的有效值 / {text!r} does not read as {spec.type}"
        )
    if isinstance(value, list) and any(not isinstance(v, str) for v in value):
        raise InputError(f"字段 {spec.label} 是表格，请逐项复核 / {field} is a table")
    return value


def member_table(report: Report, field: str | None, rules: Rules) -> TableSpec | None:
    """The free-row table (the members table) of the report's form keyed ``field``; None
    when ``field`` is no such table."""
    template = rules.templates.get(report.annex)
    if template is None or field is None:
        return None
    return next((t for t in template.tables if t.key == field and not t.rows), None)


def members_of(report: Report, table: str) -> list[Member]:
    """The members as the report holds them (read, or corrected)."""
    read = report.fields.get(table)
    value = read.value if read is not None else None
    return [m for m in value if isinstance(m, Member)] if isinstance(value, list) else []


def corrected_cell(report: Report, table: str, cell: MemberCell, text: str, rules: Rules) -> str:
    """A reviewer's ``text`` for one member's ``cell`` of ``table``, normalised as its
    column's type (a name as an organisation's, a type as one of the printed choices, a
    credit code as one: upper case, no spaces).

    Raises:
        InputError: ``table`` is not the form's members table; the row is neither one of
            the rows the report holds nor the next (a member added); the text does not
            read as the column's type.
    """
    spec = member_table(report, table, rules)
    if spec is None:
        raise InputError(f"字段 {table} 不是成员单位表 / {table} is not the members table")
    rows = len(members_of(report, table))
    if cell.row > rows + 1:
        raise InputError(
            f"成员单位表只有{rows}行：可更正第1至{rows}行，或以第{rows + 1}行补充一家成员单位 / "
            f"the table has {rows} rows: correct one of them or add row {rows + 1}"
        )
    column = next(c for c in spec.columns if c.key == cell.column)
    campaign = rules.campaign
    value = normalizer(rules).value(
        column.type, text, choices=column.options, equivalents=campaign.org_suffix_equivalents
    )
    if not isinstance(value, str) or not value:
        raise InputError(
            f"“{text}” 不是{column.label}的有效值 / {text!r} does not read as {column.type}"
        )
    return value


def finding_cell(finding: Finding) -> MemberCell | None:
    """The member's cell a finding of the members table is about (its ``key``), if one."""
    return MemberCell.from_key(finding.key) if finding.field is not None else None


@dataclass
class Corrections:
    """The corrections in force on one submission (``corrections_in_force``)."""

    fields: dict[str, FieldValue] = field(default_factory=dict)
    """field → the right value (fields other than the members table)"""
    cells: dict[tuple[str, MemberCell], str] = field(default_factory=dict)
    """(table, cell) → the cell's right text: the latest correction of each cell"""
    answered: set[str] = field(default_factory=set)
    """tables whose own doubt (FIELD_LOW_CONFIDENCE) a correction made on it answered"""

    def __bool__(self) -> bool:
        return bool(self.fields or self.cells)

    def tables(self) -> set[str]:
        return {table for table, _ in self.cells}


def _with_corrections(submission: Submission, corrections: Corrections, rules: Rules) -> Submission:
    """The extracted ``submission`` with the reviewers' values in place of the readings."""
    fields = dict(submission.fields)
    for key, value in corrections.fields.items():
        old = fields.get(key)
        raw = "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
        fields[key] = ExtractedField(
            value=value,
            raw=raw,
            page=old.page if old else None,
            bbox=old.bbox if old else None,
            confidence=1.0,
        )
    tables = corrections.tables()
    for table in tables:
        fields[table] = _with_cells(fields.get(table), table, corrections)
    findings = tuple(
        f
        for f in submission.findings
        if f.code not in READING_CODES
        or (f.field not in corrections.fields and f.field not in tables)
    )
    corrected = submission.model_copy(update={"fields": fields, "findings": findings})
    if not tables or submission.annex not in rules.templates:
        return corrected
    # the corrected tables' own findings worked out again: the cells still blank or
    # malformed, the table's doubt while no correction answered it
    normalize = normalizer(rules)
    again = check_fields(
        corrected,
        rules.templates[submission.annex],
        rules.campaign,
        rules=rules.checks,
        review=rules.review,
        normalize=normalize,
    )
    return corrected.model_copy(
        update={"findings": (*findings, *(f for f in again if f.field in tables))}
    )


def _with_cells(
    read: ExtractedField | None, table: str, corrections: Corrections
) -> ExtractedField:
    """The members table ``read`` with the corrections of its cells in place (rows in
    order, so that rows added one after another follow each other)."""
    members = (
        [m for m in read.value if isinstance(m, Member)]
        if read is not None and isinstance(read.value, list)
        else []
    )
    cells = sorted(
        ((cell, text) for (key, cell), text in corrections.cells.items() if key == table),
        key=lambda item: (item[0].row, item[0].column),
    )
    for cell, text in cells:
        if cell.row == len(members) + 1:
            members.append(Member(name="", type="", uscc=""))
        if cell.row > len(members):
            log.warning("%s row %d: no such row now, correction not applied", table, cell.row)
            continue
        members[cell.row - 1] = members[cell.row - 1].model_copy(update={cell.column: text})
    answered = table in corrections.answered
    if read is None:
        return ExtractedField(value=members, raw="", confidence=1.0)
    return read.model_copy(
        update={
            "value": members,
            "confidence": 1.0 if answered else read.confidence,
            "doubts": () if answered else read.doubts,
        }
    )


def _alike(finding: Finding) -> str:
    return finding.model_dump_json(exclude={"id", "evidence"})


def recheck_corrected(
    report: Report,
    corrections: Corrections,
    rules: Rules,
    online: tuple[OnlineRecord, ...] | None,
) -> Report:
    """``report`` checked again with ``corrections`` (fields' and members' cells' right
    values) in place of its readings: extraction from the pages as read, the paper
    validators, and — with the batch's online export (``online``; None: the batch has
    none) — the comparison with the submission's filing. What the checks across the
    batch added besides (matching, copies) is kept as it was.

    Raises:
        InputError: the report has no pages to check again (a quarantined file).
    """
    submission = as_read(report)
    if submission is None:
        raise InputError(f"{report.submission_id} 无可复核的页面 / has no pages to check again")
    context = validation_context(rules, report.received)
    extracted = extract(submission, rules)
    before = validate(extracted, context)
    after = validate(_with_corrections(extracted, corrections, rules), context)
    before_found, after_found = list(before.findings), list(after.findings)
    if online is not None:
        match = report.online
        record = next((r for r in online if match and r.record_id == match.record_id), None)
        online_context = context.model_copy(update={"online": record})
        before_found += validate_online(before, online_context)
        after_found += validate_online(after, online_context)
    # what the batch checks added (matching, copies): the stored findings the checks of
    # the uncorrected submission do not give again. A reading's findings are never the
    # batch's: one the checks no longer give (a report stored before member cells were
    # keyed, its blank cell's finding without its cell) is not carried beside the new one
    machine = Counter(_alike(f) for f in before_found)
    kept = []
    for finding in report.findings:
        if machine[_alike(finding)] > 0:
            machine[_alike(finding)] -= 1
        elif finding.code not in READING_CODES:
            kept.append(finding)
    findings = (*after_found, *kept)
    update: dict[str, object] = {
        "fields": after.fields,
        "seals": after.seals,
        "findings": [f.model_dump() for f in findings],
        "status": status_of(findings),
    }
    data = report.model_dump(by_alias=True) | update
    data.pop("review", None)
    return Report.model_validate(data)


def stored_online(
    store: ObjectStore, manifest: Manifest, rules: Rules, export: Path | None = None
) -> tuple[OnlineRecord, ...] | None:
    """The online export the batch was last checked against: kept in the store (under
    ``originals/{sha256}``), or ``export`` (its sha256 must match); None when the batch
    has none.

    Raises:
        InputError: the batch has an export, but the store does not keep it and ``export``
            is not it.
    """
    ref = manifest.online
    if ref is None:
        return None
    if export is not None:
        data = export.read_bytes()
    else:
        try:
            data = store.get_bytes(original_key(ref.sha256))
        except ObjectMissingError:
            raise InputError(
                f"该批次核对所用的网上填报导出 {ref.file} 未存于存储中：请用 --online 指定该文件 / "
                f"the batch's online export {ref.file} is not in the store: give it with --online"
            ) from None
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise InputError(
            f"{export} 不是该批次核对所用的导出 {ref.file} / not the batch's export {ref.file}"
        )
    with tempfile.TemporaryDirectory(prefix="shenbao-export-") as folder:
        path = Path(folder) / Path(ref.file).name
        path.write_bytes(data)
        return load_online_export(path, rules.export_columns).records


def keep_export(store: ObjectStore, export: Path) -> bool:
    """Keep the online export under ``originals/{sha256}`` (once), so a correction can
    compare again with it; whether it was written."""
    data = export.read_bytes()
    key = original_key(hashlib.sha256(data).hexdigest())
    if store.exists(key):
        return False
    store.put_bytes(key, data, "application/octet-stream")
    return True


# --- deciding --------------------------------------------------------------------------


class Stored:
    """A stored report as a reviewer saw it: the report and the sha256 of its bytes."""

    def __init__(self, store: ObjectStore, batch: str, submission: str) -> None:
        key = report_key(batch, submission)
        try:
            data = store.get_bytes(key)
        except ObjectMissingError:
            raise InputError(
                f"批次 {batch} 中没有申报材料 {submission} / no report {key}"
            ) from None
        self.report = Report.model_validate_json(data)
        self.sha256 = hashlib.sha256(data).hexdigest()


def load_manifest(store: ObjectStore, batch: str) -> Manifest:
    return StoredManifest(store, batch).manifest


class StoredManifest:
    """A stored manifest as a reviewer saw it: the manifest and the sha256 of its bytes."""

    def __init__(self, store: ObjectStore, batch: str) -> None:
        try:
            data = store.get_bytes(manifest_key(batch))
        except ObjectMissingError:
            raise InputError(
                f"存储中没有批次 {batch} / the store holds no batch {batch!r}"
            ) from None
        self.manifest = Manifest.model_validate_json(data)
        self.sha256 = hashlib.sha256(data).hexdigest()


def decide(
    store: ObjectStore,
    rules: Rules,
    settings: Settings,
    *,
    batch: str,
    submission: str | None,
    finding: str,
    action: Action,
    user: str,
    reason: str = "",
    value: str | None = None,
    cell: MemberCell | None = None,
    online: Path | None = None,
    now: dt.datetime | None = None,
    republish: bool = True,
) -> Decision:
    """Record one reviewer's decision on a finding of a stored report, and publish what
    it changes: the report (a new version, with its review), its HTML, the batch's index
    and summary. *correct* first checks the submission again with the value
    (``recheck_corrected``). On a finding of the members table it corrects one member's
    ``cell``: the one the finding is about when it is a cell's (its ``key``), else the
    one given (``cell`` given always wins). With no ``submission``, the finding is one of
    the batch's own (``decide_batch_finding``).

    Raises:
        InputError: an unknown batch, submission or finding; a value where none is taken
            or none where one is needed; a dismiss without reason; a finding that is no
            field's reading corrected; a value that does not read as the field's type; a
            cell given for a field that is no table, or none for a finding of the table
            that is about no one cell.
    """
    from usecases.publish import publish_reports

    if submission is None:
        if value is not None or cell is not None:
            raise InputError(
                "批次问题只能确认或驳回，不能更正 / a batch's own finding takes no --value"
            )
        return decide_batch_finding(
            store,
            rules,
            batch=batch,
            finding=finding,
            action=action,
            user=user,
            reason=reason,
            now=now,
            republish=republish,
        )
    if submission == BATCH_LEVEL:
        raise InputError(
            f"{BATCH_LEVEL} 不是申报编号：批次问题请不指定 --submission / {BATCH_LEVEL} is no "
            "submission: leave out --submission for one of the batch's own findings"
        )
    manifest = load_manifest(store, batch)
    stored = Stored(store, batch, submission)
    report = stored.report
    target = next((f for f in report.findings if f.id == finding), None)
    if target is None:
        raise InputError(f"报告 {submission} 中没有问题 {finding} / no finding {finding}")
    earlier = effective(load_decisions(store, batch, submission)).get(finding)
    if action is not Action.CORRECT and (value is not None or cell is not None):
        raise InputError(f"{action} 不需要 --value / {action} takes no value")
    new_report: Report | None = None
    normalised: FieldValue = None
    if action is Action.CORRECT:
        if value is None or not value.strip():
            raise InputError("更正需要 --value / correct needs --value")
        if target.code not in CORRECTABLE or target.field is None:
            raise InputError(
                f"{target.code} 不是字段读取结果，不能更正 / {target.code} cannot be corrected"
            )
        corrections = corrections_in_force(load_decisions(store, batch, submission))
        if member_table(report, target.field, rules) is not None:
            cell = cell or finding_cell(target)
            if cell is None:
                raise InputError(
                    "请指定要更正的成员单位所在行和列（名称、类型或统一社会信用代码） / "
                    "give the member's cell to correct: --row N --column name|type|uscc"
                )
            normalised = corrected_cell(report, target.field, cell, value, rules)
            corrections.cells[(target.field, cell)] = normalised
            if target.code is FindingCode.FIELD_LOW_CONFIDENCE:
                corrections.answered.add(target.field)
        else:
            if cell is not None:
                raise InputError(
                    f"字段 {target.field} 不是成员单位表，不能指定行列 / "
                    f"{target.field} is no table: a cell is not taken"
                )
            normalised = corrected_value(report, target.field, value, rules)
            corrections.fields[target.field] = normalised
        new_report = recheck_corrected(
            report, corrections, rules, stored_online(store, manifest, rules, online)
        )
    decision = _new_decision(
        batch=batch,
        submission=submission,
        finding=finding,
        action=action,
        value=normalised,
        cell=cell,
        reason=reason,
        user=user,
        time=now or utc_now(),
        report_sha256=stored.sha256,
        seen=Seen.of(target),
        supersedes=earlier.id if earlier else None,
    )
    with tempfile.TemporaryDirectory(prefix="shenbao-review-") as folder:
        rendered = new_report is not None or republish
        sniffed = original_of(store, manifest, report, Path(folder), settings) if rendered else None
        if new_report is not None:
            # the corrected report first (its checks re-run), which the decision names;
            # then the report again with the decision in its review
            publish_reports(store, sniffed, [new_report], rules, settings)
            decision = decision.model_copy(
                update={"report_version": Stored(store, batch, submission).sha256}
            )
        record_decision(store, decision)
        if republish:
            republish_review(store, manifest, rules, settings, submission, sniffed)
    return decision


def _new_decision(**fields: Any) -> Decision:
    """A new decision with a fresh id; what the model refuses (a dismiss without its reason,
    a value where none is taken) is the reviewer's error, said as one line."""
    try:
        return Decision(id=new_decision_id(), **fields)
    except ValidationError as exc:
        raise InputError(f"无效的复核决定 / invalid decision: {exc.errors()[0]['msg']}") from None


def decide_batch_finding(
    store: ObjectStore,
    rules: Rules,
    *,
    batch: str,
    finding: str,
    action: Action,
    user: str,
    reason: str = "",
    now: dt.datetime | None = None,
    republish: bool = True,
) -> Decision:
    """Record one reviewer's decision on one of the batch's own findings (the manifest's:
    PAPER_MISSING, FILE_UNREADABLE): confirm or dismiss, never correct (no field's
    reading). The decision names the submission ``_batch``, holds the manifest's sha256 as
    the one seen and the finding's key and message as its evidence; then the batch's index
    and summary are published again (``republish``).

    Raises:
        InputError: an unknown batch or batch finding; *correct*; a dismiss without reason.
    """
    stored = StoredManifest(store, batch)
    manifest = stored.manifest
    target = next((f for f in manifest.findings if f.id == finding), None)
    if target is None:
        raise InputError(
            f"批次 {batch} 没有批次问题 {finding}（申报材料的问题需指定 --submission） / "
            f"no batch-level finding {finding} (a submission's finding needs --submission)"
        )
    if action is Action.CORRECT:
        raise InputError(
            f"批次问题 {target.code} 只能确认或驳回，不能更正 / a batch's own finding "
            "can be confirmed or dismissed, not corrected"
        )
    earlier = effective(batch_decisions(store, batch)).get(finding)
    decision = _new_decision(
        batch=batch,
        submission=BATCH_LEVEL,
        finding=finding,
        action=action,
        reason=reason,
        user=user,
        time=now or utc_now(),
        report_sha256=stored.sha256,
        seen=Seen.of(target, batch_level=True),
        supersedes=earlier.id if earlier else None,
    )
    record_decision(store, decision)
    if republish:
        republish_batch_pages(store, batch, rules)
    return decision


def republish_batch_pages(store: ObjectStore, batch: str, rules: Rules) -> None:
    """The batch's index and summary published again, with the store's decisions (after a
    decision on one of the batch's own findings)."""
    from usecases.publish import write_batch_pages
    from usecases.reconcile import load_reports

    manifest = load_manifest(store, batch)
    reports = [without_reading(r) for r in load_reports(store, manifest) if isinstance(r, Report)]
    write_batch_pages(store, manifest, reviewed_from(store, reports), rules)


def corrections_in_force(decisions: Iterable[Decision]) -> Corrections:
    """The values reviewers' corrections give a submission: each field's by the effective
    *correct* decision on its finding, latest last; each member's cell by the latest
    correction of that cell, whatever came after on its finding (a cell corrected on a
    FIELD_MISMATCH of the members, which another member keeps, stays corrected when the
    mismatch is then confirmed); and the tables a correction on their own doubt answered
    (``Corrections.answered``)."""
    out = Corrections()
    for decision in sorted(effective(decisions).values(), key=lambda d: d.order):
        if decision.action is not Action.CORRECT or decision.seen.field is None:
            continue
        if decision.cell is None:
            out.fields[decision.seen.field] = decision.value
    for decision in sorted(decisions, key=lambda d: d.order):
        table, cell = decision.seen.field, decision.cell
        if decision.action is not Action.CORRECT or table is None or cell is None:
            continue
        out.cells[(table, cell)] = str(decision.value)
        if decision.seen.code is FindingCode.FIELD_LOW_CONFIDENCE:
            out.answered.add(table)
    return out


def original_of(
    store: ObjectStore, manifest: Manifest, report: Report, folder: Path, settings: Settings
) -> ingest.SniffedFile | None:
    """The report's input file from the batch's kept originals, into ``folder`` (its
    evidence is cut from it); None when the store does not keep it."""
    from usecases.reconcile import fetch_original

    entry = next((e for e in manifest.files if e.file == report.source.file), None)
    sha256 = entry.sha256 if entry else None
    return fetch_original(store, report.source.file, sha256, folder, settings)


def republish_review(
    store: ObjectStore,
    manifest: Manifest,
    rules: Rules,
    settings: Settings,
    submission: str,
    sniffed: ingest.SniffedFile | None,
) -> None:
    """After a decision: the submission's report with its review (its evidence cut from
    ``sniffed``, its input file) and the batch's index and summary published again."""
    from usecases.publish import publish_reports

    report = Stored(store, manifest.batch, submission).report
    publish_reports(store, sniffed, [report], rules, settings)
    republish_batch_pages(store, manifest.batch, rules)


# --- re-runs: the corrections carried over ---------------------------------------------


def corrections_carried(
    store: ObjectStore,
    batch: str,
    waiting: list[tuple[SpooledReport, Report]],
    rules: Rules,
) -> list[tuple[SpooledReport, Report]]:
    """A re-run's reports (``waiting``, before the checks across the batch) with the
    corrections reviewers made to the batch's fields applied again: each such submission
    checked again with the values (``recheck_corrected``, paper checks; the online
    comparison follows in the batch checks), its spooled report replaced. A correction
    whose finding is now different is still applied; the report's review marks it.
    """
    by_submission: dict[str, list[Decision]] = {}
    for decision in load_decisions(store, batch):
        by_submission.setdefault(decision.submission, []).append(decision)
    out = []
    for spooled, lean in waiting:
        corrections = corrections_in_force(by_submission.get(lean.submission_id, ()))
        doubted = {f.field for f in lean.findings if f.code in READING_CODES}
        due = [
            key
            for key, value in corrections.fields.items()
            if key in doubted or key not in lean.fields or lean.fields[key].value != value
        ] + [
            f"{table}:{cell.key}"
            for (table, cell), text in corrections.cells.items()
            if table in doubted or _cell_text(lean, table, cell) != text
        ]
        if not due:
            out.append((spooled, lean))
            continue
        full = spooled.load()
        if as_read(full) is None:
            out.append((spooled, lean))
            continue
        fixed = recheck_corrected(full, corrections, rules, None)
        write_atomic(spooled.path, fixed.model_dump_json(by_alias=True).encode("utf-8"))
        out.append((spooled, without_reading(fixed)))
        log.info("%s: %d reviewers' corrections applied again", lean.submission_id, len(due))
    return out


def _cell_text(report: Report, table: str, cell: MemberCell) -> str | None:
    members = members_of(report, table)
    return getattr(members[cell.row - 1], cell.column) if cell.row <= len(members) else None


# --- how far review has got ------------------------------------------------------------


def batch_progress(store: ObjectStore, batch: str) -> dict[str, Progress]:
    """Each submission's review progress (findings decided, open, stale) as the store's
    decisions make it (not only the stored review block, which a decision made at the same
    moment elsewhere may not be in yet), in manifest order; sum the values for the
    batch's."""
    from usecases.reconcile import load_reports

    manifest = load_manifest(store, batch)
    reports = [r for r in load_reports(store, manifest) if isinstance(r, Report)]
    return {
        r.submission_id: progress_of(r.findings, r.review) for r in reviewed_from(store, reports)
    }


def batch_level_progress(store: ObjectStore, manifest: Manifest) -> Progress:
    """The review progress of the batch's own findings (the manifest's: decided, open,
    stale), as the store's decisions on them make it."""
    return progress_of(manifest.findings, batch_review(store, manifest))
