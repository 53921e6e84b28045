"""What a read submission goes through before its report: extraction, then the validators,
then — across the batch — the match with its online filing.

One place for the batch flow, ``shenbao inspect`` and the benches, so all of them check
a submission the same way. The validators cannot import the extractors (one layer), so
what they need from them — the organisation-name normaliser, the opinion classifier and
the review threshold — is handed over in their ``Context`` here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from shenbao.extractors.fields import extract
from shenbao.extractors.nlp import recommendation_stance, self_evaluation_claim
from shenbao.extractors.normalize import normalize_org_name, normalize_value
from shenbao.extractors.review import load_review_rules
from shenbao.pipeline.config import Campaign, Choice, FieldType, TemplateSpec
from shenbao.pipeline.model import (
    Annex,
    FieldValue,
    Finding,
    OnlineMatch,
    OnlineRecord,
    Report,
    Submission,
    status_of,
)
from shenbao.validators import Context, validate, validate_online
from shenbao.validators.copies import copies_differ
from shenbao.validators.matching import copy_groups, match_batch


def validation_context(
    templates: dict[Annex, TemplateSpec], campaign: Campaign, received: dt.date | None = None
) -> Context:
    def normalize(field_type: FieldType, raw: str, choices: tuple[Choice, ...]) -> FieldValue:
        return normalize_value(
            field_type, raw, choices=choices, equivalents=campaign.org_suffix_equivalents
        )

    return Context(
        templates=templates,
        campaign=campaign,
        review_threshold=load_review_rules().review_threshold,
        normalize_org=functools.partial(
            normalize_org_name, equivalents=campaign.org_suffix_equivalents
        ),
        opinion_stance=recommendation_stance,
        self_eval_claim=self_evaluation_claim,
        normalize_value=normalize,
        received=received,
    )


def checker(
    templates: dict[Annex, TemplateSpec], campaign: Campaign, received: dt.date | None = None
) -> Callable[[Submission], Submission]:
    """``submission → validate(extract(submission))`` with one context for the run."""
    context = validation_context(templates, campaign, received)

    def check(submission: Submission) -> Submission:
        return validate(extract(submission, templates, campaign), context)

    return check


def check_batch(
    reports: list[Report],
    records: tuple[OnlineRecord, ...] | None,
    templates: dict[Annex, TemplateSpec],
    campaign: Campaign,
) -> tuple[list[Report], tuple[Finding, ...]]:
    """What is checked across the batch, on the reports of its submissions.

    Copies of one applicant's form are compared with each other (COPIES_DIFFER). With the
    online export's ``records`` (None: no export given), each paper is matched to its
    filing across the batch: ``online`` set, ONLINE_RECORD_MISSING where there is none,
    and the ``online`` validators' findings (paper against its filing); the batch-level
    PAPER_MISSING is returned beside the reports.
    """
    context = validation_context(templates, campaign)
    submissions = [_submission_of(r) for r in reports]
    added: dict[str, list[Finding]] = {s.id: [] for s in submissions}
    matches: dict[str, OnlineMatch | None] = {}
    batch_findings: tuple[Finding, ...] = ()
    if records is None:
        groups = [g for g in copy_groups(submissions, context) if len(g) > 1]
    else:
        matched = match_batch(submissions, records, context)
        by_record = {r.record_id: r for r in records}
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
    out = []
    for report in reports:
        findings = report.findings + tuple(added[report.submission_id])
        update: dict[str, object] = {"findings": findings, "status": status_of(findings)}
        if records is not None:
            update["online"] = matches.get(report.submission_id)
        out.append(Report.model_validate(report.model_dump(by_alias=True) | update))
    return out, batch_findings


def _submission_of(report: Report) -> Submission:
    """What matching needs of a report, as the submission it was built from."""
    return Submission(
        id=report.submission_id,
        annex=report.annex,
        source=report.source,
        pages=report.pages,
        fields=report.fields,
        seals=report.seals,
        findings=report.findings,
        page_order=report.page_order,
    )
