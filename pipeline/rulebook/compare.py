"""The schema of ``rules/compare.yaml``: when paper and online mean the same."""

from __future__ import annotations

from pydantic import Field, field_validator

from pipeline.config import FieldType, Spec


class CompareRules(Spec):
    """The schema of ``rules/compare.yaml``."""

    skip: tuple[str, ...] = Field((), description="field keys never compared")
    money_tolerance: float = Field(ge=0.0, description="万元 amounts equal within this")
    percent_tolerance: float = Field(ge=0.0, description="percentages equal within this")
    integer_tolerance: float = Field(0.0, ge=0.0, description="counts equal within this")
    field_tolerances: dict[str, float] = Field(
        default_factory=dict, description="a field key's own tolerance, over its type's"
    )
    unit_slip_factor: float = Field(gt=1.0, description="元 entered as 万元: this many times")
    unit_slip_tolerance: float = Field(
        ge=0.0, lt=1.0, description="relative: how near the factor a ratio must be"
    )
    unit_slip_types: tuple[FieldType, ...] = Field(
        (FieldType.MONEY_WAN,), description="the types a unit slip is looked for in"
    )
    units: tuple[str, ...] = Field(
        (), description="a label's bracketed ending that is one of these is the value's unit"
    )
    type_units: dict[FieldType, str] = Field(
        default_factory=dict, description="a type's unit when its label prints none"
    )
    show_confidence_below: float = Field(
        ge=0.0, le=1.0, description="a paper reading less sure names its confidence"
    )
    one_glyph_types: tuple[FieldType, ...] = Field(
        (),
        description="the types whose scanned value differing from the online one in one "
        "character only, at one place, goes to review instead of a mismatch",
    )
    one_glyph_min_chars: int = Field(
        6, ge=2, description="... when the value is at least this many characters long"
    )

    @field_validator("field_tolerances")
    @classmethod
    def _not_negative(cls, value: dict[str, float]) -> dict[str, float]:
        for key, tolerance in value.items():
            if tolerance < 0:
                raise ValueError(f"{key}: a tolerance cannot be negative")
        return value

    def tolerance(self, field_type: FieldType, key: str | None = None) -> float | None:
        """How far apart two numbers of this type (or field) may be; None: not numeric."""
        if key is not None and key in self.field_tolerances:
            return self.field_tolerances[key]
        return {
            FieldType.MONEY_WAN: self.money_tolerance,
            FieldType.PERCENT: self.percent_tolerance,
            FieldType.INTEGER: self.integer_tolerance,
        }.get(field_type)
