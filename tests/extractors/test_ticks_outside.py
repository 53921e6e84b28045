"""Tick groups marked outside the boxes: the option's words circled or underlined, or a ✓
written after them, the box left empty (issue 17: pen-circle, pen-underline, pen-beside).

The fixtures are small generated rows: printed boxes and stand-in glyphs laid out as the
form prints the 单位性质 group, the chosen option marked with the generator's own pen
strokes (``render_pen_mark``, ``render_tick``), the ink along the rows measured by
``tick_rows`` and the group read by ``read_checkbox`` against OCR-like lines.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from shenbao_lab.generator.ink import render_pen_mark, render_tick, stamp

from extractors.normalize import normalizer
from extractors.review import needs_review
from extractors.ticks import read_checkbox
from pipeline.marks.tick_boxes import image_boxes, ink_mask
from pipeline.marks.tick_rows import tick_rows
from pipeline.model import Annex, Page, SourceKind, TextLine, TickBox, TickRow
from tests.readers import TEMPLATES
from tests.rulebook import RULES

PILOT = TEMPLATES[Annex.PILOT]
NORMALIZE = normalizer(RULES)
DPI = 200.0
PAGE_MM = (210.0, 60.0)
BOX_MM = 3.5
EM_MM = 3.7
OPTIONS = ["国有企业", "民营企业", "外资企业", "科研院所", "高等院校", "其他"]
ROWS = [OPTIONS[:4], OPTIONS[4:]]
PRINT = (30, 30, 30)


def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def _glyph(image: np.ndarray, x: float, y: float) -> None:
    """A stand-in for a printed character (strokes, no frame) with its top-left at mm."""
    x0, y0, side = _px(x + 0.2), _px(y), _px(EM_MM - 0.5)
    cv2.line(image, (x0, y0 + side // 4), (x0 + side, y0 + side // 4), PRINT, 2)
    cv2.line(image, (x0 + side // 3, y0), (x0 + side // 4, y0 + side), PRINT, 2)
    cv2.line(image, (x0 + 2 * side // 3, y0 + side // 3), (x0 + side, y0 + side), PRINT, 2)


def _form(
    mark: str | None, chosen: str, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[str, float, float, float]]]:
    """The 单位性质 rows drawn as the generator lays them out (box, 1 mm, words, 4 mm),
    the chosen option marked ``mark``; returns the image and each option's box (mm)."""
    image = np.full((_px(PAGE_MM[1]), _px(PAGE_MM[0]), 3), 250, np.uint8)
    placed = []
    for r, row in enumerate(ROWS):
        y = 15.0 + r * 1.75 * EM_MM
        x = 80.0
        for option in row:
            top = y + 0.15 * BOX_MM
            cv2.rectangle(image, (_px(x), _px(top)), (_px(x + BOX_MM), _px(top + BOX_MM)), PRINT, 1)
            for i in range(len(option)):
                _glyph(image, x + BOX_MM + 1.0 + i * EM_MM, y + 0.2)
            placed.append((option, x, top, len(option) * EM_MM))
            x += BOX_MM + 1.0 + len(option) * EM_MM + 4.0
    page = Image.fromarray(image)
    for option, x, top, words in placed:
        if option != chosen or mark is None:
            continue
        if mark == "beside":
            ink = render_tick(_px(BOX_MM), rng)
            centre = (x + BOX_MM + 1.0 + words + 0.3 + BOX_MM * 0.5, top + BOX_MM * 0.4)
        elif mark == "circle":
            wide = BOX_MM + 1.0 + words + 4.0
            ink = render_pen_mark("circle", _px(wide), _px(BOX_MM * 2.0), rng)
            centre = (x + (BOX_MM + 1.0 + words) / 2, top + BOX_MM / 2)
        else:
            ink = render_pen_mark("underline", _px(words + 1.0), _px(1.6), rng)
            centre = (x + BOX_MM + 1.0 + words / 2, top + BOX_MM + 0.9)
        page, _ = stamp(
            page, ink, center=(_px(centre[0]), _px(centre[1])), angle_deg=1.0, rng=rng, opacity=1.0
        )
    return np.array(page.convert("RGB")), placed


def _page(image: np.ndarray, placed: list[tuple[str, float, float, float]], read: str) -> Page:
    """The page as read: the boxes found in the image, the ink along their rows, and one
    OCR line per option (``read`` replaces the chosen option's text, as the OCR reads it)."""
    boxes = image_boxes(image, DPI, RULES.tick_boxes)
    height, width = image.shape[:2]
    lines = [TextLine(text="单位性质", bbox=(0.1, 15.0 / PAGE_MM[1], 0.2, 19.0 / PAGE_MM[1]))]
    for option, x, top, words in placed:
        text = read if read.startswith(option) else option
        end = x + BOX_MM + 1.0 + words + (EM_MM if len(text) > len(option) else 0.0)
        lines.append(
            TextLine(
                text="□" + text,
                bbox=(
                    x / PAGE_MM[0],
                    (top - 0.6) / PAGE_MM[1],
                    end / PAGE_MM[0],
                    (top + 4.2) / PAGE_MM[1],
                ),
            )
        )
    del height, width
    return Page(
        number=3,
        source_page=3,
        kind=SourceKind.SCAN,
        width_pt=595,
        height_pt=595 * PAGE_MM[1] / PAGE_MM[0],
        lines=tuple(lines),
        boxes=boxes,
        tick_rows=tick_rows(ink_mask(image, DPI, RULES.tick_boxes), DPI, boxes, RULES.tick_rows),
    )


def _read(page: Page):  # type: ignore[no-untyped-def]
    return read_checkbox(
        PILOT.field("org_nature"), page, PILOT, RULES.campaign, RULES.ticks, NORMALIZE
    )


@pytest.mark.parametrize("chosen", ["民营企业", "科研院所", "高等院校", "其他"])
@pytest.mark.parametrize("mark", ["circle", "underline", "beside"])
def test_a_mark_outside_the_box_reads_as_the_chosen_option(mark: str, chosen: str) -> None:
    rng = np.random.default_rng([17, len(chosen), len(mark)])
    image, placed = _form(mark, chosen, rng)
    # the OCR takes a ✓ written after the words into their line (科研院所√)
    page = _page(image, placed, chosen + "√" if mark == "beside" else chosen)
    reading = _read(page)
    assert reading is not None
    assert reading.value == chosen
    assert not needs_review(reading.confidence, RULES.review)


def test_a_ring_that_breaks_its_box_still_reads() -> None:
    """A ring drawn across the chosen box's border leaves it unfound: the option is
    placed by its words and read all the same."""
    rng = np.random.default_rng(3)
    image, placed = _form("circle", "外资企业", rng)
    page = _page(image, placed, "外资企业")
    page = page.model_copy(
        update={"boxes": tuple(b for b in page.boxes if not 0.48 < b.bbox[0] < 0.56)}
    )
    reading = _read(page)
    assert reading is not None and reading.value == "外资企业"
    assert not needs_review(reading.confidence, RULES.review)


def test_no_mark_anywhere_stays_a_blank() -> None:
    image, placed = _form(None, "", np.random.default_rng(1))
    page = _page(image, placed, "")
    assert all(not r.above and not r.below for r in page.tick_rows)
    reading = _read(page)
    assert reading is not None and reading.value is None


def _with_strokes(page: Page, above: list[tuple[float, float]], row: int = 0) -> Page:
    rows = list(page.tick_rows)
    rows[row] = rows[row].model_copy(update={"above": tuple(above)})
    return page.model_copy(update={"tick_rows": tuple(rows)})


def _words(placed: list[tuple[str, float, float, float]], option: str) -> tuple[float, float]:
    (x, words) = next((x, w) for o, x, _, w in placed if o == option)
    return ((x + BOX_MM + 1.0) / PAGE_MM[0], (x + BOX_MM + 1.0 + words) / PAGE_MM[0])


def test_two_options_marked_go_to_review_never_a_guess() -> None:
    rng = np.random.default_rng(5)
    image, placed = _form("underline", "民营企业", rng)
    page = _page(image, placed, "民营企业")
    page = _with_strokes(page, [_words(placed, "外资企业")])
    reading = _read(page)
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


def test_a_stroke_over_half_the_words_of_another_option_is_doubt() -> None:
    rng = np.random.default_rng(6)
    image, placed = _form("underline", "民营企业", rng)
    page = _page(image, placed, "民营企业")
    a, b = _words(placed, "国有企业")
    page = _with_strokes(page, [(a, a + 0.3 * (b - a))])
    reading = _read(page)
    assert reading is not None and needs_review(reading.confidence, RULES.review)


def test_a_rule_through_the_bands_is_no_mark() -> None:
    """A table's rule running through a band covers every option: it is taken away when
    the page is read, and a range longer than any mark is never one option's."""
    rng = np.random.default_rng(7)
    image, placed = _form("underline", "科研院所", rng)
    top = placed[0][2]
    y = _px(top - 0.3 * BOX_MM)
    cv2.line(image, (_px(20), y), (_px(200), y), PRINT, 2)
    page = _page(image, placed, "科研院所")
    assert all(b - a < 0.2 for a, b in page.tick_rows[0].above)
    reading = _read(page)
    assert reading is not None and reading.value == "科研院所"
    long = _with_strokes(page, [(0.3, 0.95)])
    assert _read(long).value == "科研院所"  # type: ignore[union-attr]


def test_a_stroke_both_rows_see_is_neither_rows_but_no_sure_blank() -> None:
    """A stroke seen below 民营企业 and above the row under it (an underline run deep, a
    ring's arc) belongs to neither row for sure: no reading, and no sure blank."""
    rng = np.random.default_rng(8)
    image, placed = _form("underline", "民营企业", rng)
    page = _page(image, placed, "民营企业")
    below = page.tick_rows[0].below
    page = _with_strokes(page, list(below), row=1)
    reading = _read(page)
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


def test_rows_record_the_bands_in_page_fractions() -> None:
    rng = np.random.default_rng(9)
    image, placed = _form("underline", "科研院所", rng)
    boxes = image_boxes(image, DPI, RULES.tick_boxes)
    assert len(boxes) == 6
    rows = tick_rows(ink_mask(image, DPI, RULES.tick_boxes), DPI, boxes, RULES.tick_rows)
    assert [
        len([b for b in boxes if r.bbox[1] <= (b.bbox[1] + b.bbox[3]) / 2 <= r.bbox[3]])
        for r in rows
    ] == [4, 2]
    a, b = _words(placed, "科研院所")
    under = sum(max(0.0, min(e, b) - max(s, a)) for s, e in rows[0].below) / (b - a)
    assert under > 0.8
    assert isinstance(rows[0], TickRow) and rows[0].side == pytest.approx(
        BOX_MM / PAGE_MM[0], rel=0.15
    )
    assert all(isinstance(b, TickBox) for b in boxes)


def test_a_ring_through_a_word_costs_the_ocr_a_character_and_still_reads() -> None:
    """The OCR reads 外资企□ under the ring (its box broken too): the words are placed
    with one character misread, never two."""
    rng = np.random.default_rng(3)
    image, placed = _form("circle", "外资企业", rng)
    page = _page(image, placed, "外资企业")
    boxes = tuple(b for b in page.boxes if not 0.48 < b.bbox[0] < 0.56)

    def misread(text: str) -> Page:
        lines = tuple(
            line.model_copy(update={"text": "□" + text}) if line.text == "□外资企业" else line
            for line in page.lines
        )
        return page.model_copy(update={"boxes": boxes, "lines": lines})

    reading = _read(misread("外资企口"))
    assert reading is not None and reading.value == "外资企业"
    assert not needs_review(reading.confidence, RULES.review)
    unplaced = _read(misread("外资口口"))
    assert unplaced is not None and unplaced.value is None
    assert needs_review(unplaced.confidence, RULES.review)


def test_a_check_read_before_the_next_options_words_is_not_a_mark_after_these() -> None:
    """外资企业 √科研院所: a √ followed straight by words is the next option's box typed as
    √, not a ✓ written after 外资企业; neither is read for sure. Nor is a √ the OCR read
    after the words where the gap after them holds no ink."""
    image, placed = _form(None, "", np.random.default_rng(4))
    page = _page(image, placed, "")
    lines = tuple(
        line.model_copy(update={"text": "□外资企业 √科研院所"})
        if line.text == "□外资企业"
        else line
        for line in page.lines
        if line.text != "□科研院所"
    )
    reading = _read(page.model_copy(update={"lines": lines}))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)
    beside = tuple(
        line.model_copy(update={"text": "□外资企业√"}) if line.text == "□外资企业" else line
        for line in page.lines
    )
    # a ✓ the OCR read after the words with no ink in the gap after them: review
    reading = _read(page.model_copy(update={"lines": beside}))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)
