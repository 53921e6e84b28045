"""The schema of ``rules/review.yaml``: below the threshold a reading is flagged, never decided."""

from __future__ import annotations

from pydantic import Field

from pipeline.config import Spec


class ReviewRules(Spec):
    """The schema of ``rules/review.yaml``."""

    review_threshold: float = Field(gt=0.0, lt=1.0)
