"""What a read submission goes through before its report: extraction, then the validators,
then — across the batch — the match with its online filing.

One place for the batch flow, ``shenbao inspect`` and the benches, so all of them check
a submission the same way. The validators cannot import the extractors (one layer), so
what they need from them — the organisation-name normaliser, the opinion classifier and
the review threshold — is handed over in their ``Context`` here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from shenbao.extractors.fields import extract
from shenbao.extractors.nlp import recommendation_stance
from shenbao.extractors.normalize import normalize_org_name
from shenbao.extractors.review import load_review_rules
from shenbao.pipeline.config import Campaign, TemplateSpec
from shenbao.pipeline.model import Annex, Finding, OnlineRecord, Report, Submission, status_of
from shenbao.validators import Context, validate
from shenbao.validators.matching import match_batch


def validation_context(templates: dict[Annex, TemplateSpec], campaign: Campaign) -> Context:
    return Context(
        templates=templates,
        campaign=campaign,
        review_threshold=load_review_rules().review_threshold,
        normalize_org=functools.partial(
            normalize_org_name, equivalents=campaign.org_suffix_equivalents
        ),
        opinion_stance=recommendation_stance,
    )


def checker(
    templates: dict[Annex, TemplateSpec], campaign: Campaign
) -> Callable[[Submission], Submission]:
    """``submission → validate(extract(submission))`` with one context for the run."""
    context = validation_context(templates, campaign)

    def check(submission: Submission) -> Submission:
        return validate(extract(submission, templates, campaign), context)

    return check


def with_online(
    reports: list[Report],
    records: tuple[OnlineRecord, ...],
    templates: dict[Annex, TemplateSpec],
    campaign: Campaign,
) -> tuple[list[Report], tuple[Finding, ...]]:
    """The reports matched to their online filings across the batch: ``online`` set and
    ONLINE_RECORD_MISSING added where there is none; and the batch's PAPER_MISSING."""
    matched = match_batch(
        [_submission_of(r) for r in reports], records, validation_context(templates, campaign)
    )
    out = []
    for report in reports:
        findings = report.findings + matched.findings.get(report.submission_id, ())
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
