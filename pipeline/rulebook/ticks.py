"""The schema of ``rules/ticks.yaml``: tick-box ink levels and confidences."""

from __future__ import annotations

from pydantic import Field, model_validator

from pipeline.config import Spec


class TickConfidence(Spec):
    """How sure each kind of tick-box reading is."""

    exact: float = Field(ge=0.0, le=1.0)
    scan: float = Field(ge=0.0, le=1.0)
    mapped_by_text: float = Field(ge=0.0, le=1.0)
    disagreement: float = Field(ge=0.0, le=1.0)
    missing_boxes: float = Field(ge=0.0, le=1.0)
    ambiguous: float = Field(ge=0.0, le=1.0)
    several: float = Field(ge=0.0, le=1.0)
    text_only: float = Field(ge=0.0, le=1.0)
    marked_elsewhere: float = Field(ge=0.0, le=1.0)
    none_ticked: float = Field(ge=0.0, le=1.0)
    typed_glyph: float = Field(ge=0.0, le=1.0)


class TypedMarks(Spec):
    """What the OCR reads in front of an option's words where a box is typed, not ruled."""

    ticked: str = Field(min_length=1)
    empty: str = Field(min_length=1)

    @model_validator(mode="after")
    def _apart(self) -> TypedMarks:
        if set(self.ticked) & set(self.empty):
            raise ValueError("typed_marks: a character cannot be both ticked and empty")
        return self


class TickRules(Spec):
    """The schema of ``rules/ticks.yaml``."""

    ticked_ink: float = Field(gt=0.0, le=1.0)
    empty_ink: float = Field(ge=0.0, lt=1.0)
    label_match: float = Field(ge=0.0, le=100.0)
    wrap_depth: float = Field(ge=0.0)
    option_match: float = Field(ge=0.0, le=100.0)
    confidence: TickConfidence
    near_sides: float = Field(ge=0.0, description="unread ink this many box sides round")
    near_words: float = Field(ge=0.0, description="...and this many right of the last box")
    typed_marks: TypedMarks

    @model_validator(mode="after")
    def _ink_levels_ordered(self) -> TickRules:
        if self.empty_ink >= self.ticked_ink:
            raise ValueError("empty_ink must be below ticked_ink")
        return self
