"""Validators: small pure functions ``(Submission, Context) -> list[Finding]``, by name.

``validate`` runs every registered validator over an extracted submission and returns it
with their findings appended and its ``seals`` (the seal-slot assignments) set.
"""

from __future__ import annotations

from shenbao.pipeline.model import Finding, Submission
from shenbao.validators import opinion, seals
from shenbao.validators.registry import (
    Context,
    Stance,
    Validator,
    registered,
    run_validator,
    validator,
)

__all__ = [
    "Context",
    "Stance",
    "Validator",
    "opinion",
    "registered",
    "run_validator",
    "seals",
    "validate",
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
    for name in names if names is not None else registered():
        findings += run_validator(name, submission, context)
    return submission.model_copy(
        update={
            "findings": (*submission.findings, *findings),
            "seals": seals.seal_records(submission, context),
        }
    )
