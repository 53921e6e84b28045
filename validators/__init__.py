"""Validators: small pure functions ``(Submission, Context) -> list[Finding]``, by name.

``validate`` runs the ``paper`` validators over an extracted submission and returns it with
their findings appended and its ``seals`` (the seal-slot assignments) set;
``validate_online`` runs the ``online`` ones once the batch is matched, with the filing in
``Context.online``.
"""

from __future__ import annotations

import validators.compare  # noqa: F401  (registers the online_fields validator)
from pipeline.model import Finding, Submission
from validators import campaign_rules as campaign_rules  # registers its validators
from validators import opinion, seal_slots
from validators.registry import (
    CheckStage,
    Context,
    Stance,
    Validator,
    ValueNormalizer,
    registered,
    run_validator,
    validator,
)

__all__ = [
    "CheckStage",
    "Context",
    "Stance",
    "Validator",
    "ValueNormalizer",
    "opinion",
    "registered",
    "run_validator",
    "seal_slots",
    "validate",
    "validate_online",
    "validator",
]


def validate(
    submission: Submission, context: Context, names: tuple[str, ...] | None = None
) -> Submission:
    """Run the validators (all, or those named) over a submission.

    Returns a new submission: the validators' findings after the extraction's, and
    ``seals`` set to each scanned page's seal marks with the slot each satisfies.
    """
    findings: list[Finding] = []
    for name in names if names is not None else registered("paper"):
        findings += run_validator(name, submission, context)
    return submission.model_copy(
        update={
            "findings": (*submission.findings, *findings),
            "seals": seal_slots.seal_records(submission, context),
        }
    )


def validate_online(submission: Submission, context: Context) -> list[Finding]:
    """The ``online`` validators' findings for a submission matched (or not) to its filing,
    which ``context.online`` carries (None: the paper has no filing)."""
    findings: list[Finding] = []
    for name in registered("online"):
        findings += run_validator(name, submission, context)
    return findings
