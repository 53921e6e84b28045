"""Checking a batch: what a read submission goes through before its report (extraction,
then the validators), then — across the batch — the match with its online filing.

One place for the batch and reconcile flows, ``shenbao inspect`` and the benches, so all
of them check a submission the same way. The validators cannot import the extractors (one layer), so
what they need from them — the organisation-name normaliser, the opinion classifier and
the review threshold — is handed over in their ``Context`` here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence

from pydantic import Field

from extractors.fields import extract
from extractors.nlp import pipeline, recommendation_stance, self_evaluation_claim
from extractors.normalize import normalizer
from pipeline.config import Choice, FieldType
from pipeline.model import (
    FieldValue,
    Finding,
    Frozen,
    OnlineMatch,
    OnlineRecord,
    Report,
    Submission,
    status_of,
)
from pipeline.rulebook import Rules
from pipeline.run import submission_of
from validators import Context, validate, validate_online
from validators.copies import copies_differ
from validators.matching import copy_groups, match_batch


def validation_context(rules: Rules, received: dt.date | None = None) -> Context:
    equivalents = rules.campaign.org_suffix_equivalents
    normalize = normalizer(rules)

    def normalize_value(field_type: FieldType, raw: str, choices: tuple[Choice, ...]) -> FieldValue:
        return normalize.value(field_type, raw, choices=choices, equivalents=equivalents)

    return Context(
        rules=rules,
        normalize_org=functools.partial(normalize.org_name, equivalents=equivalents),
        # the spaCy pipeline is built on the first opinion read, not with the context
        opinion_stance=lambda text: recommendation_stance(text, pipeline(rules)),
        self_eval_claim=lambda text: self_evaluation_claim(text, pipeline(rules)),
        normalize_value=normalize_value,
        received=received,
    )


def checker(rules: Rules, received: dt.date | None = None) -> Callable[[Submission], Submission]:
    """``submission → validate(extract(submission))`` with one context for the run."""
    context = validation_context(rules, received)

    def check(submission: Submission) -> Submission:
        return validate(extract(submission, rules), context)

    return check


def check_submission(submission: Submission, rules: Rules, received: dt.date | None) -> Submission:
    """Extraction and validation of one read submission (``checker``): a step on its own,
    which a flow can run anywhere (a cluster's worker) from its arguments alone."""
    return checker(rules, received)(submission)


class BatchCheck(Frozen):
    """What the checks across a batch add to its reports (``batch_check``)."""

    added: dict[str, tuple[Finding, ...]] = Field(
        description="findings added to each submission (by id): copies, matching, online"
    )
    online: dict[str, OnlineMatch | None] | None = Field(
        description="each submission's filing (None: none matched); None: no export given"
    )
    batch_findings: tuple[Finding, ...] = Field(
        (), description="findings of the batch itself (PAPER_MISSING)"
    )

    def apply(self, report: Report) -> Report:
        """``report`` with what the batch checks found of it: its added findings, its
        status following them, and (with an export) its ``online`` match. A report the
        batch checks did not see comes back as it was."""
        if report.submission_id not in self.added:
            return report
        findings = report.findings + self.added[report.submission_id]
        update: dict[str, object] = {"findings": findings, "status": status_of(findings)}
        if self.online is not None:
            update["online"] = self.online.get(report.submission_id)
        return Report.model_validate(report.model_dump(by_alias=True) | update)


def batch_check(
    reports: Sequence[Report],
    records: tuple[OnlineRecord, ...] | None,
    rules: Rules,
) -> BatchCheck:
    """What is checked across the batch, on the reports of its submissions.

    Copies of one applicant's form are compared with each other (COPIES_DIFFER). With the
    online export's ``records`` (None: no export given), each paper is matched to its
    filing across the batch: ``online`` set, ONLINE_RECORD_MISSING where there is none,
    and the ``online`` validators' findings (paper against its filing); the batch-level
    PAPER_MISSING beside them.

    Only the reports' fields, findings, source and annex are looked at, never their pages'
    reading: reports without it (``without_reading``) are checked the same.
    """
    context = validation_context(rules)
    submissions = [submission_of(r) for r in reports]
    added: dict[str, list[Finding]] = {s.id: [] for s in submissions}
    matches: dict[str, OnlineMatch | None] | None = None
    batch_findings: tuple[Finding, ...] = ()
    if records is None:
        groups = [g for g in copy_groups(submissions, context) if len(g) > 1]
    else:
        matched = match_batch(submissions, records, context)
        by_record = {r.record_id: r for r in records}
        matches = {}
        for submission in submissions:
            match = matches[submission.id] = matched.matches.get(submission.id)
            record = by_record[match.record_id] if match is not None else None
            added[submission.id] += matched.findings.get(submission.id, ())
            added[submission.id] += validate_online(
                submission, context.model_copy(update={"online": record})
            )
        by_id = {s.id: s for s in submissions}
        groups = [[by_id[sid] for sid in group] for group in matched.copies]
        batch_findings = matched.batch_findings
    for group in groups:
        for sid, found in copies_differ(group, context).items():
            added[sid] += found
    return BatchCheck(
        added={sid: tuple(found) for sid, found in added.items()},
        online=matches,
        batch_findings=batch_findings,
    )


def check_batch(
    reports: list[Report],
    records: tuple[OnlineRecord, ...] | None,
    rules: Rules,
) -> tuple[list[Report], tuple[Finding, ...]]:
    """``batch_check`` applied: the reports with what the batch checks found, and the
    batch-level findings (PAPER_MISSING) beside them."""
    found = batch_check(reports, records, rules)
    return [found.apply(r) for r in reports], found.batch_findings
