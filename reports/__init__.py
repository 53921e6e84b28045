"""Presentation of reports for people: ``report.html``, evidence crops, ``index.html``,
``summary.xlsx``. Pure functions returning bytes; the flows decide where they go.

Layer: below ``flows``, above ``extractors``/``storage``/``pipeline``; never imports flows.
"""

from __future__ import annotations

from reports.evidence import (
    EvidenceCrop,
    attach_evidence,
    crop_png,
    page_evidence,
    page_marks,
    pages_with_crops,
    plan_evidence,
    source_page,
    text_under,
    thumbnail_png,
)
from reports.html import (
    LinkFor,
    relative_link,
    render_index_html,
    render_report_html,
)
from reports.xlsx import render_summary_xlsx

__all__ = [
    "EvidenceCrop",
    "LinkFor",
    "attach_evidence",
    "crop_png",
    "page_evidence",
    "page_marks",
    "pages_with_crops",
    "plan_evidence",
    "relative_link",
    "render_index_html",
    "render_report_html",
    "render_summary_xlsx",
    "source_page",
    "text_under",
    "thumbnail_png",
]
