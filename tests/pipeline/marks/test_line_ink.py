"""Ink across the text lines of a scan (``pipeline/marks/line_ink.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.marks.line_ink import line_ink
from pipeline.model import TextLine
from tests.rulebook import RULES

DPI = 200.0
H = 30  # a line's height in pixels (about 11 pt at 200 dpi)


def _page(blobs: list[tuple[int, int]], rule_x: int | None = None) -> np.ndarray:
    """An ink mask 400 × 1000 px with blobs (x0, x1) across the row 100–130 (characters
    and a glyph), and optionally a table's vertical rule 2 px wide."""
    ink = np.zeros((400, 1000), np.uint8)
    for x0, x1 in blobs:
        ink[104:126, x0:x1] = 255
    if rule_x is not None:
        ink[:, rule_x : rule_x + 2] = 255
    return ink


def _line(text: str, x0: int, x1: int) -> TextLine:
    return TextLine(text=text, bbox=(x0 / 1000, 100 / 400, x1 / 1000, 130 / 400))


def test_a_glyph_the_ocr_left_out_of_its_line_is_ink_before_the_line() -> None:
    # ✔ at 260-280, then 企业型 (three characters 300-360), the OCR's line only the words.
    chars = [(300, 318), (321, 339), (342, 360)]
    ink = _page([(260, 280), *chars])

    (found,) = line_ink(ink, DPI, [_line("企业型", 300, 360)], RULES.line_ink)

    assert found.line == 0
    assert found.bbox[0] < 0.26 and found.bbox[2] > 0.36
    assert found.height == pytest.approx(H / 1000, abs=1e-4)
    assert found.spans[0] == (0.26, 0.28)  # the glyph, outside the OCR's box
    assert found.spans[-1][1] == 0.36
    assert all(b - a >= RULES.line_ink.min_span * H / 1000 for a, b in found.spans)


def test_a_table_rule_and_specks_are_not_ink_of_the_line() -> None:
    ink = _page([(300, 318), (321, 339), (250, 251)], rule_x=270)

    (found,) = line_ink(ink, DPI, [_line("企业", 300, 340)], RULES.line_ink)

    assert found.spans and all(a >= 0.3 for a, _ in found.spans)


def test_short_lines_are_not_measured_and_dpi_must_be_positive() -> None:
    ink = _page([(300, 318)])

    assert line_ink(ink, DPI, [_line("企", 300, 318)], RULES.line_ink) == ()
    with pytest.raises(ValueError):
        line_ink(ink, 0.0, [_line("企业", 300, 340)], RULES.line_ink)
