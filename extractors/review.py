"""The review threshold: below it, a reading is flagged, never decided (rules/review.yaml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipeline.config import load_yaml
from pipeline.rulebook.review import ReviewRules
from rules import RULES_DIR

DEFAULT_REVIEW_PATH = RULES_DIR / "review.yaml"


@lru_cache(maxsize=4)
def load_review_rules(path: Path = DEFAULT_REVIEW_PATH) -> ReviewRules:
    return load_yaml(path, ReviewRules)


def needs_review(confidence: float, rules: ReviewRules | None = None) -> bool:
    """Whether a reading of this confidence must go to a reviewer instead of a decision."""
    return confidence < (rules or load_review_rules()).review_threshold
