"""The review threshold: below it, a reading is flagged, never decided (rules/review.yaml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field

from pipeline.config import Spec, load_yaml
from rules import RULES_DIR

DEFAULT_REVIEW_PATH = RULES_DIR / "review.yaml"


class ReviewRules(Spec):
    """The schema of ``rules/review.yaml``."""

    review_threshold: float = Field(gt=0.0, lt=1.0)


@lru_cache(maxsize=4)
def load_review_rules(path: Path = DEFAULT_REVIEW_PATH) -> ReviewRules:
    return load_yaml(path, ReviewRules)


def needs_review(confidence: float, rules: ReviewRules | None = None) -> bool:
    """Whether a reading of this confidence must go to a reviewer instead of a decision."""
    return confidence < (rules or load_review_rules()).review_threshold
