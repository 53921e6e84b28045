"""The schema of ``rules/second_reading.yaml``: which lines are read twice, and how."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from pipeline.config import Spec


class SecondReading(Spec):
    """The schema of ``rules/second_reading.yaml``."""

    pattern: str = Field(description="a line whose text this matches is read again")
    pads: tuple[float, ...] = Field(
        description="margins round the line, in line heights: one re-reading each"
    )
    max_lines: int = Field(ge=0, description="at most this many lines of a page re-read")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return value

    @field_validator("pads")
    @classmethod
    def _margins(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0.0 <= pad <= 3.0 for pad in value):
            raise ValueError("a margin is between 0 and 3 line heights")
        return value
