"""A reviewer's decision on one finding (``shenbao.decision/1``), and what decisions mean.

A decision is a new immutable object in the store, never overwritten
(``decisions/{batch}/{submission}/{time}-{id}.json``, ``storage.base.decision_key``): the
decisions are the audit log. Here are the model and pure functions over it:

- ``effective``: the decision in force per finding, the latest (by time, then id)
  superseding earlier ones, none deleted;
- ``still_applies``: whether a decision still holds for the finding as it is now (the same
  evidence as the decision saw: its paper and online values and page); one that does not
  is *stale*, its finding back to review (``re-review``);
- ``review_of``: a report's review block: the effective status (``ReviewStatus``, beside
  the report's own ``status``, which stays the machine's verdict) and counts decided/open.

A batch's own findings (the manifest's: PAPER_MISSING, FILE_UNREADABLE) are decided the
same way; their decisions name the reserved submission ``BATCH_LEVEL`` (``_batch``), which
no submission id can be, and hold the manifest's sha256 where a report's would be.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

from pydantic import (
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from pipeline.model import (
    Action,
    ExtractedField,
    FieldValue,
    Finding,
    FindingCode,
    FindingReview,
    Frozen,
    Member,
    MemberCell,
    PageNumber,
    Review,
    ReviewStatus,
    Severity,
    without_cell,
)

__all__ = [
    "BATCH_LEVEL",
    "Action",
    "Decision",
    "FindingReview",
    "Progress",
    "Review",
    "ReviewStatus",
    "Seen",
    "effective",
    "progress_of",
    "review_of",
    "still_applies",
]

DECISION_SCHEMA_ID: Final = "shenbao.decision/1"

BATCH_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"  # pipeline.ingest.BATCH_ID_PATTERN
SUBMISSION_PATTERN: Final = r"^[A-Za-z0-9_.-]{1,120}$"  # pipeline.model.Submission.id
ID_PATTERN: Final = r"^[0-9a-f]{12}$"
BATCH_LEVEL: Final = "_batch"
"""The submission segment of a decision on one of the batch's own findings (the manifest's):
``decisions/{batch}/_batch/{time}-{id}.json``. No submission id starts with ``_`` (its
stem is stripped of ``._-`` at both ends: ``pipeline.run.submission_ids``), so it can be
no submission's."""
USER_PATTERN: Final = r"^[A-Za-z0-9_.@-]{1,64}$"

CORRECTABLE: Final = frozenset(
    {
        FindingCode.FIELD_LOW_CONFIDENCE,
        FindingCode.FIELD_MISMATCH,
        FindingCode.FIELD_INVALID,
        FindingCode.FIELD_MISSING,
        FindingCode.COPIES_DIFFER,
    }
)
"""Findings about one field's reading: *correct* gives the field's right value (on the
members table: one member's cell, ``Decision.cell``)."""


ACTION_LABELS: Final = {Action.CONFIRM: "确认", Action.DISMISS: "驳回", Action.CORRECT: "更正"}


class Seen(Frozen):
    """What the decision saw of its finding: the evidence a later run's finding is held to."""

    code: FindingCode
    field: str | None = None
    paper: FieldValue = None
    online: FieldValue = None
    page: PageNumber | None = None
    key: str | None = Field(
        None, description="a batch's own finding: its key (the filing's 申报编号, an object key)"
    )
    message: str | None = Field(
        None,
        description="a batch's own finding: its message, which is its evidence (the "
        "filing's annex, lead organisation and centre for PAPER_MISSING); None for a "
        "submission's finding, whose evidence is its values and page",
    )

    @classmethod
    def of(cls, finding: Finding, *, batch_level: bool = False) -> Seen:
        """The evidence of ``finding``; of a batch's own finding (``batch_level``) its key
        and message besides, since it has no values or page."""
        return cls(
            code=finding.code,
            field=finding.field,
            paper=finding.paper,
            online=finding.online,
            page=finding.page,
            key=finding.key if batch_level else None,
            message=finding.message if batch_level else None,
        )


def new_decision_id() -> str:
    """A random decision id: 12 hex characters (48 bits)."""
    return uuid.uuid4().hex[:12]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Decision(Frozen):
    """One reviewer's decision on one finding of one submission (``shenbao.decision/1``)."""

    schema_: Literal["shenbao.decision/1"] = Field(DECISION_SCHEMA_ID, alias="schema")
    id: str = Field(pattern=ID_PATTERN, description="random, 12 hex characters")
    batch: str = Field(pattern=BATCH_PATTERN)
    submission: str = Field(
        pattern=SUBMISSION_PATTERN,
        description="the submission whose report holds the finding; ``_batch`` for one of "
        "the batch's own findings (the manifest's)",
    )
    finding: str = Field(pattern=ID_PATTERN, description="the finding's stable id")
    action: Action
    value: FieldValue = Field(
        None,
        description="correct: the field's right value, normalised as the field's type (on "
        "the members table: the right text of the one cell ``cell`` names, normalised as "
        "its column's type); None for confirm and dismiss",
    )
    cell: MemberCell | None = Field(
        None,
        description="correct, on a finding of the members table only: the member's cell "
        "``value`` is for (row, column); the other cells stay as read or as other "
        "corrections made them. Omitted otherwise",
    )
    reason: str = Field("", max_length=2000, description="free text; required for dismiss")
    user: str = Field(pattern=USER_PATTERN, description="who decided (auth/users.json)")
    time: dt.datetime = Field(description="when, UTC")
    report_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="sha256 of the report.json the reviewer saw when deciding; of the "
        "batch's manifest.json for one of the batch's own findings",
    )
    seen: Seen = Field(description="the finding as the reviewer saw it")
    supersedes: str | None = Field(
        None, pattern=ID_PATTERN, description="the decision on this finding it replaces, if any"
    )
    report_version: str | None = Field(
        None,
        description="correct: sha256 of the report.json the correction produced (the new "
        "version, its checks re-run)",
    )

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("time")
    @classmethod
    def _utc(cls, time: dt.datetime) -> dt.datetime:
        if time.tzinfo is None:
            raise ValueError("a decision's time needs a time zone (UTC)")
        return time.astimezone(dt.UTC)

    @model_validator(mode="after")
    def _action_needs(self) -> Decision:
        if self.action is Action.DISMISS and not self.reason.strip():
            raise ValueError("dismiss needs a reason")
        if self.action is Action.CORRECT:
            if self.value is None or self.value == "" or self.value == []:
                raise ValueError("correct needs the right value")
            if self.seen.code not in CORRECTABLE or self.seen.field is None:
                raise ValueError(
                    f"{self.seen.code} is not a field's reading: it cannot be corrected"
                )
            if self.cell is not None and not isinstance(self.value, str):
                raise ValueError("a member's cell is corrected with one text")
        elif self.value is not None or self.cell is not None:
            raise ValueError(f"{self.action} takes no value")
        if self.supersedes == self.id:
            raise ValueError("a decision cannot supersede itself")
        return self

    @property
    def batch_level(self) -> bool:
        """Whether the decision is on one of the batch's own findings (the manifest's)."""
        return self.submission == BATCH_LEVEL

    @property
    def stamp(self) -> str:
        """The time as the key's sortable first part: ``20261205T165000123456Z``."""
        return self.time.strftime("%Y%m%dT%H%M%S%fZ")

    @property
    def order(self) -> tuple[dt.datetime, str]:
        return (self.time, self.id)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)

    @model_serializer(mode="wrap")
    def _omit_no_cell(self, handler: SerializerFunctionWrapHandler) -> Any:
        return without_cell(self.cell, handler(self))


def effective(decisions: Iterable[Decision]) -> dict[str, Decision]:
    """The decision in force per finding id: the latest by time (then id); earlier ones
    stay in the store and the log, superseded."""
    out: dict[str, Decision] = {}
    for decision in sorted(decisions, key=lambda d: d.order):
        out[decision.finding] = decision
    return out


def still_applies(decision: Decision, finding: Finding) -> bool:
    """Whether ``decision`` holds for ``finding`` as it is now: the same finding (id) with
    the same evidence it saw (code, field, paper and online values, page; for a batch's
    own finding its key and message). A changed finding goes back to review; its decision
    is kept in the log."""
    return decision.finding == finding.id and decision.seen == Seen.of(
        finding, batch_level=decision.batch_level
    )


REVIEW_STATUS_LABELS: Final = {
    ReviewStatus.PASS: "通过",
    ReviewStatus.NEEDS_REVIEW: "需人工复核",
    ReviewStatus.FAIL: "不通过",
    ReviewStatus.PASS_REVIEWED: "通过（已复核）",
}


REVIEWED: Final = frozenset({Severity.ERROR, Severity.WARNING})
"""Findings that call for a decision (info findings do not)."""


def _shown(decision: Decision, *, stale: bool) -> FindingReview:
    """A decision as a report's review shows it."""
    return FindingReview(
        finding=decision.finding,
        decision=decision.id,
        code=decision.seen.code,
        field=decision.seen.field,
        action=decision.action,
        user=decision.user,
        time=decision.time,
        reason=decision.reason,
        value=decision.value,
        cell=decision.cell,
        stale=stale,
    )


def holds(decision: Decision, field: ExtractedField | None) -> bool:
    """Whether ``field`` (as now read or corrected) holds what correction ``decision``
    gave it: the field's value, or the member's cell it names."""
    if field is None:
        return False
    cell = decision.cell
    if cell is None:
        return field.value == decision.value
    members = field.value if isinstance(field.value, list) else []
    if not 1 <= cell.row <= len(members):
        return False
    member = members[cell.row - 1]
    return isinstance(member, Member) and getattr(member, cell.column) == decision.value


def review_of(
    findings: Sequence[Finding],
    decisions: Iterable[Decision],
    fields: Mapping[str, ExtractedField] | None = None,
) -> Review | None:
    """The review of a report's ``findings`` and ``fields`` under ``decisions`` (its
    submission's, any order); None when no decision touches its findings.

    A finding is *decided* when its effective decision still applies; *open* otherwise
    (none, or stale). It *stands* when open or confirmed. The effective status: ``fail``
    while an error stands; else ``needs_review`` while a warning is open; else
    ``pass_reviewed`` (通过（已复核）).

    A correction whose finding is gone (the corrected value cleared it) is shown while the
    field holds its value, and as stale (to re-review) when the field reads otherwise.
    """
    by_finding = effective(decisions)
    shown: list[FindingReview] = []
    decided = open_ = stale = 0
    error_stands = warning_open = False
    for finding in findings:
        if finding.severity not in REVIEWED:
            continue
        decision = by_finding.get(finding.id or "")
        applies = decision is not None and still_applies(decision, finding)
        if decision is not None:
            shown.append(_shown(decision, stale=not applies))
        if applies:
            decided += 1
        else:
            open_ += 1
            stale += decision is not None
        stands = not applies or (decision is not None and decision.action is Action.CONFIRM)
        if finding.severity is Severity.ERROR and stands:
            error_stands = True
        if finding.severity is Severity.WARNING and not applies:
            warning_open = True
    present = {f.id for f in findings}
    for decision in by_finding.values():
        if decision.action is not Action.CORRECT or decision.finding in present:
            continue
        applies = holds(decision, (fields or {}).get(decision.seen.field or ""))
        shown.append(_shown(decision, stale=not applies))
        if applies:
            decided += 1
        else:  # the field reads otherwise now: to review again
            stale += 1
            warning_open = True
    if not shown:
        return None
    if error_stands:
        effective_status = ReviewStatus.FAIL
    elif warning_open:
        effective_status = ReviewStatus.NEEDS_REVIEW
    else:
        effective_status = ReviewStatus.PASS_REVIEWED
    return Review(
        status=effective_status,
        decided=decided,
        open=open_,
        stale=stale,
        decisions=tuple(shown),
    )


class Progress(Frozen):
    """How far review has got: findings (errors, warnings) decided and open."""

    decided: int = 0
    open: int = 0
    stale: int = 0

    def __add__(self, other: Progress) -> Progress:
        return Progress(
            decided=self.decided + other.decided,
            open=self.open + other.open,
            stale=self.stale + other.stale,
        )


def progress_of(findings: Sequence[Finding], review: Review | None) -> Progress:
    """One report's progress (its ``review``, None: nothing decided); add them for a batch."""
    if review is None:
        return Progress(open=sum(f.severity in REVIEWED for f in findings))
    return Progress(decided=review.decided, open=review.open, stale=review.stale)
