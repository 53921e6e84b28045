"""The validator registry: small pure functions ``(Submission, Context) -> list[Finding]``.

A validator registers under the name the templates and configuration use
(``@validator("seals")``); ``validators.validate`` runs every registered one.
Nothing here does I/O once the ``Context`` is built.

Validators and extractors sit side by side in one layer and must not import each other,
so what a validator needs from the extractors (the organisation-name normaliser, the
Matcher-based opinion classifier, the review threshold) is handed in through the
``Context`` by the caller that can see both (the flows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.config import Campaign, Choice, FieldType, TemplateSpec
from pipeline.model import (
    Annex,
    ExtractedField,
    FieldValue,
    Finding,
    OnlineRecord,
    Submission,
)
from pipeline.rulebook import Rules
from pipeline.rulebook.thresholds import OpinionRules, SealRules

Stance = Literal["favourable", "unfavourable", "none"]
"""What a recommendation opinion says (the values of ``extractors.nlp.Stance``)."""

CheckStage = Literal["paper", "online"]
"""When a validator runs: ``paper`` on each submission as read (``validate``); ``online``
once the batch is matched, with the submission's filing in ``Context.online``
(``validate_online``)."""

ValueNormalizer = Callable[[FieldType, str, tuple[Choice, ...]], FieldValue]
"""``(field type, raw text, closed choices) -> normalised value`` (``Normalizer.value``)."""


class Context(BaseModel):
    """Everything a validator may consult besides the submission itself; immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    rules: Rules = Field(description="the run's rules: the forms, the campaign, the thresholds")
    normalize_org: Callable[[str], str] = Field(
        description="organisation-name normaliser (extractors.normalize.Normalizer.org_name "
        "with the campaign's suffix equivalents)"
    )
    opinion_stance: Callable[[str], str] = Field(
        description="the Matcher-based classifier of an opinion's text "
        "(extractors.nlp.recommendation_stance): favourable / unfavourable / none"
    )
    self_eval_claim: Callable[[str], str] = Field(
        description="the Matcher-based classifier of a self-evaluation conclusion's text "
        "(extractors.nlp.self_evaluation_claim): met / not_met / unknown"
    )
    normalize_value: ValueNormalizer = Field(
        description="the extractors' value normaliser (extractors.normalize.Normalizer.value "
        "with the campaign's suffix equivalents): the online side is normalised exactly as "
        "the paper side was"
    )
    online: OnlineRecord | None = Field(
        None, description="the submission's matched online filing (``online`` validators only)"
    )
    received: dt.date | None = Field(
        None, description="the day the batch's paper was received, when staff gave it"
    )

    @property
    def templates(self) -> dict[Annex, TemplateSpec]:
        return self.rules.templates

    @property
    def campaign(self) -> Campaign:
        return self.rules.campaign

    @property
    def review_threshold(self) -> float:
        """A field read with less confidence is unsure: never decided on (review.yaml)."""
        return self.rules.review.review_threshold

    @property
    def seal_rules(self) -> SealRules:
        return self.rules.seals

    @property
    def opinion_rules(self) -> OpinionRules:
        return self.rules.opinion

    def template(self, submission: Submission) -> TemplateSpec | None:
        return self.templates.get(submission.annex)

    def sure(self, submission: Submission, key: str) -> ExtractedField | None:
        """A field read with enough confidence to decide on, else None."""
        found = submission.fields.get(key)
        if found is None or found.confidence < self.review_threshold:
            return None
        return found

    def stance(self, text: str) -> Stance:
        value = str(self.opinion_stance(text))
        if value not in ("favourable", "unfavourable", "none"):
            raise ValueError(f"opinion classifier gave {value!r}")
        return value  # type: ignore[return-value]


Validator = Callable[[Submission, Context], list[Finding]]

_REGISTRY: dict[str, Validator] = {}
_STAGES: dict[str, CheckStage] = {}


def validator(name: str, stage: CheckStage = "paper") -> Callable[[Validator], Validator]:
    """Register a validator under ``name``; a name registered twice is a programming error."""

    def register(fn: Validator) -> Validator:
        if name in _REGISTRY:
            raise ValueError(f"validator {name!r} is registered twice")
        _REGISTRY[name] = fn
        _STAGES[name] = stage
        return fn

    return register


def registered(stage: CheckStage | None = None) -> tuple[str, ...]:
    """The registered validators' names (of one stage, or all), in the order they run."""
    return tuple(n for n in _REGISTRY if stage is None or _STAGES[n] == stage)


def run_validator(name: str, submission: Submission, context: Context) -> list[Finding]:
    """One validator by name; an unknown name raises ``KeyError`` naming the known ones."""
    if name not in _REGISTRY:
        raise KeyError(f"no validator {name!r}; known: {', '.join(registered())}")
    return _REGISTRY[name](submission, context)
