"""The schema of ``rules/checks.yaml``: blanks, absent labels, consistency rules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from pipeline.config import Spec
from pipeline.model import FindingCode, SourceKind

FieldKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


# --- the rules as data -----------------------------------------------------------------


class RatioRule(Spec):
    """``field`` must equal ``numerator ÷ denominator × scale`` within ``tolerance``."""

    kind: Literal["ratio"]
    field: FieldKey
    numerator: FieldKey
    denominator: FieldKey
    scale: float = Field(100.0, gt=0)
    tolerance: float = Field(ge=0, description="in the field's own unit (percentage points)")
    formula: str | None = Field(
        None, description="how the message names the computation, e.g. 研发投入÷营业收入"
    )


class AtMostRule(Spec):
    """``field`` (a part) must not be larger than ``bound`` (its whole)."""

    kind: Literal["at_most"]
    field: FieldKey
    bound: FieldKey


ConsistencyRule = Annotated[RatioRule | AtMostRule, Field(discriminator="kind")]
AbsentLabelCode = Literal[FindingCode.FIELD_MISSING, FindingCode.FIELD_LOW_CONFIDENCE]


class CheckRules(Spec):
    """The schema of ``rules/checks.yaml``."""

    blank_marks: tuple[str, ...] = Field(description="a value made only of these is blank")
    absent_label: dict[SourceKind, AbsentLabelCode] = Field(
        description="the finding for a required field whose label is not on a present page"
    )
    label_units: tuple[str, ...] = Field(
        (), description="a label's trailing （unit） is moved from the label to the number"
    )
    label_drop_prefixes: tuple[str, ...] = ()
    consistency: tuple[ConsistencyRule, ...] = ()

    @field_validator("absent_label")
    @classmethod
    def _every_kind(
        cls, value: dict[SourceKind, AbsentLabelCode]
    ) -> dict[SourceKind, AbsentLabelCode]:
        missing = [kind.value for kind in SourceKind if kind not in value]
        if missing:
            raise ValueError(f"no code for page kind(s) {', '.join(missing)}")
        return value

    @field_validator("blank_marks")
    @classmethod
    def _marks_are_single_chars(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for mark in value:
            if len(mark) != 1:
                raise ValueError(f"{mark!r} is not a single character")
        return value
