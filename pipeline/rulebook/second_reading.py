"""The schema of ``rules/second_reading.yaml``: which lines are read twice, and how."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from pipeline.config import Spec


def _regular_expression(value: str) -> str:
    """``value`` when it compiles as a regular expression."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from exc
    return value


class RowReading(Spec):
    """A date line a seal cuts, its row read again as one crop (``second_reading.row_readings``)."""

    start: str = Field(description="a line whose text this matches begins a written date")
    whole: str = Field(description="a row whose joined text this matches holds a whole date")
    gap: float = Field(ge=0.0, description="character widths between two pieces of one row")
    reach: float = Field(
        ge=0.0, description="character widths past the row's end a seal may begin and cut it"
    )
    pad: float = Field(ge=0.0, le=3.0, description="margin round the row's crop, line heights")
    row_overlap: float = Field(gt=0.0, le=1.0, description="share of a height to share a row")
    end: str = Field(description="a last piece whose text this matches ends the date")

    @field_validator("start", "whole", "end")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return _regular_expression(value)


class SecondReading(Spec):
    """The schema of ``rules/second_reading.yaml``."""

    pattern: str = Field(description="a line whose text this matches is read again")
    pads: tuple[float, ...] = Field(
        description="margins round the line, in line heights: one re-reading each"
    )
    max_lines: int = Field(ge=0, description="at most this many lines of a page re-read")
    row: RowReading

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return _regular_expression(value)

    @field_validator("pads")
    @classmethod
    def _margins(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0.0 <= pad <= 3.0 for pad in value):
            raise ValueError("a margin is between 0 and 3 line heights")
        return value
