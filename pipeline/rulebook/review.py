"""The schema of ``rules/review.yaml``: below the threshold a reading is flagged, never decided."""

from __future__ import annotations

from pydantic import Field, model_validator

from pipeline.config import Spec
from pipeline.model import Doubt


class ReviewRules(Spec):
    """The schema of ``rules/review.yaml``."""

    review_threshold: float = Field(gt=0.0, lt=1.0)
    doubts: dict[Doubt, str] = Field(
        default_factory=dict, description="each cue in reviewers' words; {detail} its subject"
    )
    doubt_below: float = Field(
        1.0, gt=0.0, le=1.0, description="a cue is kept when it alone allows less than this"
    )
    doubts_shown: int = Field(3, ge=1, description="at most this many cues named")

    @model_validator(mode="after")
    def _every_cue_worded(self) -> ReviewRules:
        missing = [d.value for d in Doubt if d not in self.doubts]
        if self.doubts and missing:
            raise ValueError(f"doubts: no words for {', '.join(missing)}")
        return self
