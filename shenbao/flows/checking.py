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
from shenbao.extractors.nlp import recommendation_stance
from shenbao.extractors.normalize import normalize_org_name, normalize_value
from shenbao.extractors.review import load_review_rules
from shenbao.pipeline.config import Campaign, Choice, FieldType, TemplateSpec
from shenbao.pipeline.model import (
    Annex,
    FieldValue,
    Finding,
    OnlineRecord,
    Report,
    Submission,
    status_of,
)
from shenbao.validators import Context, validate, validate_online
from shenbao.validators.matching import match_batch


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


def with_online(
    reports: list[Report],
    records: tuple[OnlineRecord, ...],
    templates: dict[Annex, TemplateSpec],
    campaign: Campaign,
) -> tuple[list[Report], tuple[Finding, ...]]:
    """The reports matched to their online filings across the batch: ``online`` set,
    ONLINE_RECORD_MISSING added where there is none, the ``online`` validators' findings
    (paper against its filing); and the batch's PAPER_MISSING."""
    context = validation_context(templates, campaign)
    submissions = [_submission_of(r) for r in reports]
    matched = match_batch(submissions, records, context)
    by_id = {r.record_id: r for r in records}
    out = []
    for report, submission in zip(reports, submissions, strict=True):
        match = matched.matches.get(report.submission_id)
        record = by_id[match.record_id] if match is not None else None
        findings = (
            report.findings
            + matched.findings.get(report.submission_id, ())
            + tuple(validate_online(submission, context.model_copy(update={"online": record})))
        )
        out.append(
            Report.model_validate(
                report.model_dump(by_alias=True)
                | {
                    "online": matched.matches.get(report.submission_id),
                    "findings": findings,
                    "status": status_of(findings),
                }
            )
        )
    return out, matched.batch_findings


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
