"""The review threshold: below it, a reading is flagged, never decided (rules/review.yaml)."""

from __future__ import annotations

from pipeline.rulebook.review import ReviewRules


def needs_review(confidence: float, rules: ReviewRules) -> bool:
    """Whether a reading of this confidence must go to a reviewer instead of a decision."""
    return confidence < rules.review_threshold
