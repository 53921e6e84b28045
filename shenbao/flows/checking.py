"""What a read submission goes through before its report: extraction, then the validators.

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
from shenbao.pipeline.model import Annex, Submission
from shenbao.validators import Context, validate


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
