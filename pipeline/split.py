"""Splitting a scanner stream into submissions at each form's cover page.

Staff feed a stack of paper through the scanner and get one PDF with several
submissions in it. Each form starts with its cover, whose title lines (the template's
``cover_lines``) are printed large near the top: a page whose upper half reads as all of
one template's title lines starts a submission of that annex. Pages before the first
cover are a fragment (the stream started mid-form) and are reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.config import TemplateSpec
from pipeline.model import Annex, Page

COVER_MATCH = 85.0  # rapidfuzz partial_ratio a title line must reach
COVER_REGION = 0.55  # the cover's title sits in the upper part of the page


@dataclass(frozen=True)
class PageRange:
    """A run of consecutive pages (1-based file page numbers, inclusive) of one submission."""

    first: int
    last: int
    annex: Annex
    starts_at_cover: bool


def _squeeze(text: str) -> str:
    return "".join(text.split())


def cover_annex(page: Page, templates: dict[Annex, TemplateSpec]) -> Annex | None:
    """The annex whose cover this page is, or None when it is no cover."""
    upper = _squeeze("".join(t.text for t in page.lines if t.bbox[1] < COVER_REGION))
    if not upper:
        return None
    best: tuple[float, Annex] | None = None
    for annex, template in templates.items():
        scores = [fuzz.partial_ratio(_squeeze(line), upper) for line in template.cover_lines]
        worst = min(scores)
        if worst >= COVER_MATCH and (best is None or worst > best[0]):
            best = (worst, annex)
    return best[1] if best else None


def split_stream(pages: list[Page], templates: dict[Annex, TemplateSpec]) -> list[PageRange]:
    """Page ranges, one per submission, in file order; every page belongs to exactly one."""
    if not pages:
        return []
    ranges: list[PageRange] = []
    first = pages[0].source_page
    annex: Annex | None = cover_annex(pages[0], templates)
    starts_at_cover = annex is not None
    for page in pages[1:]:
        found = cover_annex(page, templates)
        if found is None:
            continue
        ranges.append(
            PageRange(first, page.source_page - 1, annex or Annex.UNKNOWN, starts_at_cover)
        )
        first, annex, starts_at_cover = page.source_page, found, True
    ranges.append(PageRange(first, pages[-1].source_page, annex or Annex.UNKNOWN, starts_at_cover))
    return ranges
