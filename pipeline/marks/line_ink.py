"""Ink along the text lines of a scan, where the OCR may have lost a mark.

A form filled in Word may mark the chosen option with a glyph typed before its words and
no box at all (✔独立法人  公司+联盟  其他). The OCR often loses such a glyph and reads the
words alone, while a person sees at a glance which words carry a mark before them. The
page records, for each text line of a scan, the x-ranges where ink lies across the line's
middle (``LineInk``), from a little before the line's start to a little past its end:
the words' characters, and whatever the OCR did not read between them. Which option a
blob of ink belongs to — and whether it is a mark at all — is the extractors' decision
(``extractors/ticks.py``). Lengths are in the line's height, so type size and resolution
do not matter. Parameters are data (``rules/line_ink.yaml``: ``Rules.line_ink``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.marks.tick_rows import inked_spans
from pipeline.model import LineInk, TextLine
from pipeline.pixels import page_fractions
from pipeline.rulebook.marks import LineInkDetection


def line_ink(
    ink: np.ndarray, dpi: float, lines: Sequence[TextLine], rules: LineInkDetection
) -> tuple[LineInk, ...]:
    """The inked x-ranges across each text line of a scan.

    Args:
        ink: the page's ink mask (``tick_boxes.ink_mask`` of the image the lines were read
            on: seal-free, upright, deskewed), 255 ink, 0 paper.
        dpi: its resolution.
        lines: the page's text lines (page fractions).
        rules: the band, the reach and the thresholds (``Rules.line_ink``).

    Returns:
        One ``LineInk`` per line of at least ``min_chars`` characters, in the lines' order.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    height, width = ink.shape
    margin = round(rules.page_margin_mm * dpi / 25.4)
    column_ink = max(1, round(rules.column_ink_mm * dpi / 25.4))
    found: list[LineInk] = []
    for index, line in enumerate(lines):
        if len(line.text.strip()) < rules.min_chars:
            continue
        lx0, ly0, lx1, ly1 = line.bbox
        tall = (ly1 - ly0) * height
        if tall < 2:
            continue
        top = max(margin, round(ly0 * height + rules.band[0] * tall))
        bottom = min(height - margin, round(ly0 * height + rules.band[1] * tall))
        x0 = max(margin, round(lx0 * width - rules.reach * tall))
        x1 = min(width - margin, round(lx1 * width + rules.reach * tall))
        if bottom <= top or x1 <= x0:
            continue
        counts = np.count_nonzero(ink[top:bottom, x0:x1], axis=0)
        spans = inked_spans(
            counts >= column_ink,
            x0,
            width,
            round(rules.merge_gap * tall),
            max(1, round(rules.min_span * tall)),
        )
        found.append(
            LineInk(
                line=index,
                bbox=page_fractions((x0, top, x1, bottom), width, height),
                height=round(tall / width, 5),
                spans=spans,
            )
        )
    return tuple(found)
