"""The schema of ``rules/campaign_rules.yaml``: the campaign's rules as data."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from pipeline.config import Regex, Spec
from pipeline.model import Annex


class PaperDeadlineRule(StrEnum):
    """How an annex's paper deadline follows from the campaign's facts."""

    WORKING_DAYS_AFTER_TRAINING = "working_days_after_training"
    FIXED_DATE = "fixed_date"


class CampaignRules(Spec):
    """The schema of ``rules/campaign_rules.yaml``."""

    paper_deadlines: dict[Literal[Annex.PILOT, Annex.CERTIFICATION], PaperDeadlineRule] = Field(
        description="each annex's paper-deadline rule; an annex not listed has none checked"
    )
    kpi_table: str = Field(description="the template table whose fixed rows are the KPIs")
    kpi_target_column: str = Field("target", description="the KPI table's target column")
    kpi_actual_column: str = Field("actual", description="the KPI table's actual column")
    self_eval_section: str = Field(description="the template section of the conclusion")
    heading_match: float = Field(ge=0.0, le=100.0, description="the section's heading line")
    next_heading_match: float = Field(
        ge=0.0, le=100.0, description="ratio of a whole line to another heading: text ends"
    )
    page_number_line: Regex = Field(description="a line wholly matching it is a page number")
    wordless_line: Regex = Field(description="a line wholly matching it carries no word")
    quote_chars: int = Field(
        80, ge=10, description="at most this much of the conclusion is quoted in a message"
    )
