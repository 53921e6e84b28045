"""Where on a test's generated paper to look: a region in millimetres, a box's inside; and
a whole pilot form laid out with one tick mark."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from shenbao_lab.generator.applicant import make_applicant
from shenbao_lab.generator.corpus import Context
from shenbao_lab.generator.layout import FormLayout, PageLayout, TickBox
from shenbao_lab.generator.paper import _Paper
from shenbao_lab.generator.styles import Style, TickMark

from pipeline.model import Annex
from tests.rulebook import RULES


def region(paper: _Paper, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
    """The pixels of a region given in millimetres on ``paper``."""
    return slice(round(paper.px(y0)), round(paper.px(y1))), slice(
        round(paper.px(x0)), round(paper.px(x1))
    )


def box_inside(paper: _Paper, box: TickBox, inset: float = 0.4) -> tuple[slice, slice]:
    """The pixels inside ``box``, ``inset`` millimetres in from its border."""
    return region(
        paper, box.x + inset, box.y + inset, box.x + box.size - inset, box.y + box.size - inset
    )


def marked_form(mark: TickMark, index: int) -> tuple[dict[str, object], list[PageLayout]]:
    """Applicant ``index``'s pilot form laid out on paper with every box marked ``mark``:
    the applicant's values (the truth) and the pages."""
    ctx = Context(RULES.templates, RULES.campaign, RULES.export_columns)
    template = ctx.templates[Annex.PILOT]
    rng = np.random.default_rng([5, index])
    applicant = make_applicant(index, Annex.PILOT, template, ctx.campaign, ctx.online_keys, rng)
    style = Style(family="w", split="withheld", ticks=mark)
    pages = FormLayout(applicant, template, ctx.campaign, paper=True, style=style).pages()
    return dict(applicant.values), pages


def truly_marked_forms(mark: TickMark) -> Iterator[tuple[dict[str, object], list[PageLayout]]]:
    """Three applicants' forms marked ``mark``, each checked first: every box carries the
    mark, typed or drawn as the mark is, and in each group exactly the truth's option is
    ticked. Yields the values and the pages for a test's own checks."""
    for index in (1, 2, 3):
        values, pages = marked_form(mark, index)
        boxes = [b for p in pages for b in p.boxes]
        assert boxes and all(b.mark is mark for b in boxes)
        assert all(b.printed_tick is mark.typed for b in boxes)
        for key in {b.field for b in boxes}:
            ticked = [b.option for b in boxes if b.field == key and b.ticked]
            assert ticked == [str(values[key])], key
        yield values, pages
