"""Tick groups marked outside the boxes: the option's words circled or underlined, or a ✓
written after them, the box left empty (issue 17: pen-circle, pen-underline, pen-beside);
or every other option struck out by pen, the chosen one left standing (pen-strike-others,
pen-circle-strike).

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
from pipeline.model import Annex, Doubt, Page, SealMark, SourceKind, TextLine, TickBox, TickRow
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
    mark: str | None,
    chosen: str,
    rng: np.random.Generator,
    struck: tuple[str, ...] = (),
) -> tuple[np.ndarray, list[tuple[str, float, float, float]]]:
    """The 单位性质 rows drawn as the generator lays them out (box, 1 mm, words, 4 mm),
    the chosen option marked ``mark`` and the options ``struck`` struck out as the
    generator strikes them; returns the image and each option's box (mm)."""
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
        if option in struck:
            # the pen starts a little before the words or just inside them, ends past them
            start = x + BOX_MM + 1.0 - float(rng.uniform(-0.3, 0.8))
            end = x + BOX_MM + 1.0 + words + float(rng.uniform(0.0, 1.2))
            ink = render_pen_mark("strike", _px(end - start), _px(BOX_MM * 0.8), rng)
            centre = ((start + end) / 2, top + BOX_MM * 0.42)
            angle = float(rng.uniform(-2, 2))
            at = (_px(centre[0]), _px(centre[1]))
            page, _ = stamp(page, ink, center=at, angle_deg=angle, rng=rng, opacity=1.0)
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
    return _as_read(image, boxes, lines)


def _as_read(image: np.ndarray, boxes: tuple[TickBox, ...], lines: list[TextLine]) -> Page:
    """The scanned page as read: its OCR lines, its boxes and the ink along their rows."""
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
    # ...nor where the OCR's line runs on by the √ it read, over paper (a √ typed straight
    # after the words would be ink there)
    em = next((t.bbox[2] - t.bbox[0]) / 5 for t in page.lines if t.text == "□外资企业")
    longer = tuple(
        line.model_copy(
            update={"text": "□外资企业√", "bbox": (*line.bbox[:2], line.bbox[2] + em, line.bbox[3])}
        )
        if line.text == "□外资企业"
        else line
        for line in page.lines
    )
    reading = _read(page.model_copy(update={"lines": longer}))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


# --- the others struck out ------------------------------------------------------------


def _others(chosen: str) -> tuple[str, ...]:
    return tuple(o for o in OPTIONS if o != chosen)


def test_strikes_are_recorded_and_level_glyph_strokes_are_not() -> None:
    """A pen line through an option's words is a strike on its row; the stand-in glyphs'
    own level strokes, at one height across every character but broken by the paper
    between characters, are not (nor is a blank form struck anywhere)."""
    image, placed = _form(None, "", np.random.default_rng(10))
    assert all(r.struck == () for r in _page(image, placed, "").tick_rows)
    image, placed = _form(None, "", np.random.default_rng(10), struck=("外资企业", "其他"))
    page = _page(image, placed, "")
    a, b = _words(placed, "外资企业")
    assert _share(page.tick_rows[0].struck, a, b) > 0.8
    a, b = _words(placed, "其他")
    assert _share(page.tick_rows[1].struck, a, b) > 0.6
    for option in ("国有企业", "民营企业", "科研院所"):
        assert _share(page.tick_rows[0].struck, *_words(placed, option)) == 0.0


def _share(spans: tuple[tuple[float, float], ...], a: float, b: float) -> float:
    return sum(max(0.0, min(e, b) - max(s, a)) for s, e in spans) / (b - a)


@pytest.mark.parametrize("chosen", ["国有企业", "科研院所", "其他"])
@pytest.mark.parametrize("mark", [None, "circle"])
def test_the_one_option_left_standing_is_the_choice(mark: str | None, chosen: str) -> None:
    rng = np.random.default_rng([23, len(chosen), mark is None])
    image, placed = _form(mark, chosen, rng, struck=_others(chosen))
    reading = _read(_page(image, placed, chosen))
    assert reading is not None and reading.value == chosen
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    "struck",
    [
        tuple(OPTIONS),  # every option struck: nothing left to choose
        ("国有企业", "民营企业", "外资企业", "科研院所"),  # two left standing
    ],
)
def test_strikes_that_leave_no_one_option_go_to_review(struck: tuple[str, ...]) -> None:
    image, placed = _form(None, "", np.random.default_rng(11), struck=struck)
    reading = _read(_page(image, placed, ""))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


def test_an_option_struck_in_part_is_doubt_not_a_reading() -> None:
    """Every other option struck, but one of them only over a third of its words (a pen
    that stopped, or a glyph's stroke taken for a strike): the one left is not sure."""
    image, placed = _form(None, "", np.random.default_rng(12), struck=_others("民营企业"))
    page = _page(image, placed, "民营企业")
    a, b = _words(placed, "国有企业")
    rows = list(page.tick_rows)
    rows[0] = rows[0].model_copy(
        update={"struck": (*_minus_span(rows[0].struck, (a + 0.35 * (b - a), b)),)}
    )
    reading = _read(page.model_copy(update={"tick_rows": tuple(rows)}))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


def test_a_struck_option_whose_mark_also_reaches_above_and_below_its_words_is_doubt() -> None:
    """Every other option read struck, but on one of them the stroke read as a strike
    also has ink above and below the words (a pen ✓ drawn over them crosses them; a
    strike runs through): the one left standing is not sure."""
    image, placed = _form(None, "", np.random.default_rng(12), struck=_others("民营企业"))
    page = _page(image, placed, "民营企业")
    assert _read(page).value == "民营企业"  # type: ignore[union-attr]
    a, b = _words(placed, "国有企业")
    rows = list(page.tick_rows)
    crossed = rows[0].model_copy(
        update={
            "above": (*rows[0].above, (a + 0.5 * (b - a), a + 0.8 * (b - a))),
            "below": (*rows[0].below, (a + 0.2 * (b - a), a + 0.5 * (b - a))),
        }
    )
    reading = _read(page.model_copy(update={"tick_rows": (crossed, *rows[1:])}))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)
    # ink above the struck words only (a ring's arc from the row above) changes nothing
    above = rows[0].model_copy(
        update={"above": (*rows[0].above, (a + 0.5 * (b - a), a + 0.8 * (b - a)))}
    )
    kept = _read(page.model_copy(update={"tick_rows": (above, *rows[1:])}))
    assert kept is not None and kept.value == "民营企业"


def _minus_span(
    spans: tuple[tuple[float, float], ...], cut: tuple[float, float]
) -> list[tuple[float, float]]:
    return [
        part
        for s, e in spans
        for part in ((s, min(e, cut[0])), (max(s, cut[1]), e))
        if part[1] > part[0]
    ]


def test_a_struck_option_also_ringed_is_doubt() -> None:
    """The ringed option struck as well (the others struck too): which stands is for a
    person to say."""
    image, placed = _form("circle", "民营企业", np.random.default_rng(13), struck=tuple(OPTIONS))
    reading = _read(_page(image, placed, "民营企业"))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


AFFILIATION = (("中央在黔企业", "省属企业", "市"), ("（州）属企业", "其他"))


def _wrapped_form(struck: tuple[str, ...], rng: np.random.Generator) -> Page:
    """隶属关系 in a narrow cell: □中央在黔企业 □省属企业 □市 / （州）属企业 □其他 (the
    option broken at the cell's edge runs on at the next row's start, with no box), the
    options ``struck`` struck out on every part; the page as read, one OCR line a part."""
    image = np.full((_px(PAGE_MM[1]), _px(PAGE_MM[0]), 3), 250, np.uint8)
    parts: list[tuple[str, float, float, float, bool]] = []  # text, x, top, words, boxed
    for r, row in enumerate(AFFILIATION):
        top = 15.0 + r * 1.75 * EM_MM + 0.15 * BOX_MM
        x = 80.0
        for text in row:
            boxed = not text.startswith("（")
            if boxed:
                box = (_px(x), _px(top)), (_px(x + BOX_MM), _px(top + BOX_MM))
                cv2.rectangle(image, *box, PRINT, 1)
            start = x + BOX_MM + 1.0 if boxed else x
            for i in range(len(text)):
                _glyph(image, start + i * EM_MM, top - 0.15 * BOX_MM + 0.2)  # as _form
            parts.append((text, x, top, len(text) * EM_MM, boxed))
            x = start + len(text) * EM_MM + 4.0
    page_image = Image.fromarray(image)
    for text, x, top, words, boxed in parts:
        if not any(o.startswith(text) or o.endswith(text) for o in struck):
            continue
        start = (x + BOX_MM + 1.0 if boxed else x) - float(rng.uniform(-0.3, 0.8))
        end = start + words + float(rng.uniform(0.5, 1.2))
        ink = render_pen_mark("strike", _px(end - start), _px(BOX_MM * 0.8), rng)
        centre = (_px((start + end) / 2), _px(top + BOX_MM * 0.42))
        page_image, _ = stamp(page_image, ink, center=centre, angle_deg=0.5, rng=rng, opacity=1.0)
    # a scan's slight blur: the generator's long pen line is a row of dots until scanned
    image = cv2.GaussianBlur(np.array(page_image.convert("RGB")), (3, 3), 0)
    boxes = image_boxes(image, DPI, RULES.tick_boxes)
    lines = [TextLine(text="隶属关系", bbox=(0.1, 15.0 / PAGE_MM[1], 0.2, 19.0 / PAGE_MM[1]))]
    for text, x, top, words, boxed in parts:
        end = ((x + BOX_MM + 1.0 if boxed else x) + words) / PAGE_MM[0]
        bbox = (x / PAGE_MM[0], (top - 0.6) / PAGE_MM[1], end, (top + 4.2) / PAGE_MM[1])
        lines.append(TextLine(text=("□" if boxed else "") + text, bbox=bbox))
    return _as_read(image, boxes, lines)


def _affiliation(page: Page):  # type: ignore[no-untyped-def]
    return read_checkbox(
        PILOT.field("affiliation"), page, PILOT, RULES.campaign, RULES.ticks, NORMALIZE
    )


@pytest.mark.parametrize("chosen", ["省属企业", "其他", "市（州）属企业"])
def test_an_option_wrapped_onto_the_next_line_is_struck_on_both_parts(chosen: str) -> None:
    """市 alone is shorter than a strike is looked for: the wrapped option is judged by
    both its parts, so struck it is out, and standing it is the choice."""
    names = ("中央在黔企业", "省属企业", "市（州）属企业", "其他")
    rng = np.random.default_rng([14, len(chosen)])  # a pen line run into a box can hide it
    page = _wrapped_form(tuple(o for o in names if o != chosen), rng)
    assert len(page.boxes) == 4
    reading = _affiliation(page)
    assert reading is not None and reading.value == chosen
    assert not needs_review(reading.confidence, RULES.review)


def test_a_wrapped_option_struck_on_its_first_part_only_is_doubt() -> None:
    """The others struck, but 市（州）属企业 only on 市 (其他 standing): the run-on part
    stands, so two options stand and a person would ask; so does the reader."""
    page = _wrapped_form(("中央在黔企业", "省属企业", "市"), np.random.default_rng(15))
    reading = _affiliation(page)
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


def test_a_struck_option_the_ocr_misread_keeps_its_box_by_the_printed_order() -> None:
    """The ring breaks 科研院所's box (one box fewer than options) and the strike through
    其他 makes the OCR read 共审: 其他's box is the one box left between its neighbours'
    in the printed order, so its strike is measured and the ringed option reads."""
    rng = np.random.default_rng(21)
    image, placed = _form("circle", "科研院所", rng, struck=_others("科研院所"))
    page = _page(image, placed, "科研院所")
    x = _words(placed, "科研院所")[0]
    lines = tuple(
        line.model_copy(update={"text": "□共审"}) if line.text == "□其他" else line
        for line in page.lines
    )
    boxes = tuple(b for b in page.boxes if not x - 0.03 < b.bbox[0] < x)
    assert len(boxes) == len(OPTIONS) - 1
    reading = _read(page.model_copy(update={"lines": lines, "boxes": boxes}))
    assert reading is not None and reading.value == "科研院所"
    assert not needs_review(reading.confidence, RULES.review)


def test_strikes_are_no_evidence_on_a_page_whose_ticked_words_read_struck() -> None:
    """Another group on the page has a ticked box whose own words read struck (type so
    dense that a level line fits through it): the strikes here are doubt, not a reading."""
    image, placed = _form(None, "", np.random.default_rng(22), struck=_others("民营企业"))
    page = _page(image, placed, "民营企业")
    assert _read(page).value == "民营企业"  # type: ignore[union-attr]
    row = page.tick_rows[0]
    shift = 0.5  # another group, lower on the page
    x0, y0, x1, y1 = page.boxes[0].bbox
    ticked = page.boxes[0].model_copy(update={"bbox": (x0, y0 + shift, x1, y1 + shift), "ink": 0.4})
    other = row.model_copy(
        update={"bbox": (row.bbox[0], row.bbox[1] + shift, row.bbox[2], row.bbox[3] + shift)}
    )
    fooled = page.model_copy(
        update={"boxes": (*page.boxes, ticked), "tick_rows": (*page.tick_rows, other)}
    )
    reading = _read(fooled)
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


def test_a_grey_seals_ring_along_a_row_is_no_strike() -> None:
    """A copy's grey seal stays on the image: its ring's top running level through the
    options' words is the ring, not strikes leaving one option standing (a red seal's ink
    is off the image, so what is found under it is the pen's)."""
    image, placed = _form(None, "", np.random.default_rng(31), struck=_others("国有企业"))
    page = _page(image, placed, "国有企业")
    reading = _read(page)
    assert reading is not None and reading.value == "国有企业"
    row = page.tick_rows[0]
    middle = (row.bbox[1] + row.bbox[3]) / 2
    a, b = 0.2, 0.1
    centre = sum(_words(placed, "外资企业")) / 2
    ring = (centre - a, middle, centre + a, middle + 2 * b)  # its top along the row
    for colour, sure in (("grey", False), ("red", True)):
        seal = SealMark(bbox=ring, shape="round", colour=colour, confidence=0.9)  # type: ignore[arg-type]
        reading = _read(page.model_copy(update={"seals": (seal,)}))
        assert reading is not None
        assert (
            reading.value == "国有企业" and not needs_review(reading.confidence, RULES.review)
        ) is sure


def test_a_band_a_grey_seals_ring_took_from_one_option_marks_no_other_surely() -> None:
    """A grey seal's ring taken off a row takes what lies on it with it: the feet (or the
    shading) under one option's words. That band then cannot show the options printed
    alike, and ink in it under another option is no sure underline (grey-shaded-words-
    holes: the ring under shaded 企业型 took its band below, 院所型's own feet read as its
    underline, sure and wrong). A blank the reviewer sees, never a reading."""
    image, placed = _form(None, "", np.random.default_rng(33))
    page = _page(image, placed, "")
    row = page.tick_rows[0]
    feet = (_words(placed, "国有企业"), _words(placed, "科研院所"))
    rows = (row.model_copy(update={"below": feet}), *page.tick_rows[1:])
    page = page.model_copy(update={"tick_rows": rows})
    assert _read(page).value is None  # type: ignore[union-attr]
    centre, half = sum(feet[0]) / 2, 0.03
    ring = (centre - half, row.bbox[3], centre + half, row.bbox[3] + 0.2)  # top under 国有企业
    seal = SealMark(bbox=ring, shape="round", colour="grey", confidence=0.9)
    reading = _read(page.model_copy(update={"seals": (seal,)}))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


def test_a_band_a_grey_seals_ring_took_leaves_the_words_own_ink_to_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same row, 国有企业's words clearly darker than print (Word's shading, read by
    ``tick_words``): the band the ring took is unsure of itself, no mark, so the words'
    ink reads 国有企业 (grey-shaded-words-holes, session 17). Ink nobody read round the
    group off the seal still leaves it to review."""
    import extractors.ticks as ticks
    from extractors.tick_words import WordsReading
    from pipeline.model import UnreadInk

    image, placed = _form(None, "", np.random.default_rng(33))
    page = _page(image, placed, "")
    row = page.tick_rows[0]
    feet = (_words(placed, "国有企业"), _words(placed, "科研院所"))
    rows = (row.model_copy(update={"below": feet}), *page.tick_rows[1:])
    page = page.model_copy(update={"tick_rows": rows})
    centre, half = sum(feet[0]) / 2, 0.03
    ring = (centre - half, row.bbox[3], centre + half, row.bbox[3] + 0.2)
    seal = SealMark(bbox=ring, shape="round", colour="grey", confidence=0.9)
    sealed = page.model_copy(update={"seals": (seal,)})

    def shaded(group, pairs, options, *args, **kwargs):  # type: ignore[no-untyped-def]
        chosen = next(o for o in options if o.name == "国有企业")
        return WordsReading((chosen, (feet[0][0], row.bbox[1], feet[0][1], row.bbox[3])), False)

    monkeypatch.setattr(ticks, "words_marked", shaded)
    reading = _read(sealed)
    assert reading is not None and reading.value == "国有企业"
    assert not needs_review(reading.confidence, RULES.review)
    # a pen's ink round the group, off the seal: review as before
    _, by0, bx1, by1 = page.boxes[0].bbox
    pen = UnreadInk(bbox=(bx1, by0 - 0.005, bx1 + 0.01, by1 + 0.005), ink=0.3)
    marked = sealed.model_copy(update={"unread": (pen,)})
    reading = _read(marked)
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


def test_ink_round_one_option_and_another_options_words_marked_leave_a_flagged_blank() -> None:
    """A pen ✓ drawn over 其他 whose strokes run up under the row above can read as a
    mark round another option; when the words' own ink clearly marks 其他 (a blue pen on
    a colour scan), the two cues disagree: a blank for review, never one read sure."""
    from pipeline.marks.line_ink import line_ink

    rng = np.random.default_rng([17, 4, 9])
    image, placed = _form("underline", "民营企业", rng)
    page = _page(image, placed, "民营企业")
    inks = line_ink(ink_mask(image, DPI, RULES.tick_boxes), DPI, page.lines, RULES.line_ink, image)
    page = page.model_copy(update={"line_ink": inks})
    alone = _read(page)
    assert alone is not None and alone.value == "民营企业"  # the underline alone reads
    other = next(i for i, line in enumerate(page.lines) if line.text == "□其他")
    # a tenth of 其他's ink coloured, as a blue pen's ✓ over print leaves it
    coloured = tuple(
        i.model_copy(update={"colour": tuple(0.1 for _ in i.shade)}) if i.line == other else i
        for i in inks
    )

    reading = _read(page.model_copy(update={"line_ink": coloured}))

    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)
    assert Doubt.TICK_WORDS_INK in [d.cue for d in reading.doubts]


def test_ink_round_one_option_while_another_options_words_stand_out_is_doubt() -> None:
    """The words of 其他 typed bold stand out (1.5 prints: noticed, not clear) while ink
    round 民营企业 reads as its mark: a person weighs both, the reader reads neither."""
    from pipeline.marks.line_ink import line_ink

    rng = np.random.default_rng([17, 4, 9])
    image, placed = _form("underline", "民营企业", rng)
    page = _page(image, placed, "民营企业")
    inks = line_ink(ink_mask(image, DPI, RULES.tick_boxes), DPI, page.lines, RULES.line_ink, image)
    other = next(i for i, line in enumerate(page.lines) if line.text == "□其他")
    heavier = tuple(
        i.model_copy(update={"shade": tuple(1.5 * v for v in i.shade)}) if i.line == other else i
        for i in inks
    )

    reading = _read(page.model_copy(update={"line_ink": heavier}))

    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)
    assert Doubt.TICK_WORDS_INK in [d.cue for d in reading.doubts]


def test_ink_under_a_row_inside_a_grey_seals_face_is_no_underline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A copy's grey seal whose top lies on the options' row, its ring just left of an
    option's words: its lettering under the row, half under those words, is the seal's,
    not a pen's mark round them, though the words' own middle lies outside the seal
    (tuned grey-highlighter-holes: the lettering under 独立法人 stood against the
    highlighted 公司+联盟 the words' ink read, and left a flagged blank). The same ink
    clear of any seal still stands against the words' cue: review, as before."""
    import extractors.ticks as ticks
    from extractors.tick_words import WordsReading

    image, placed = _form(None, "", np.random.default_rng(37))
    page = _page(image, placed, "")
    row = page.tick_rows[0]
    x0, x1 = _words(placed, "外资企业")
    lettering = (x0 - 0.02, x0 + 0.03)
    rows = (row.model_copy(update={"below": (lettering,)}), *page.tick_rows[1:])
    page = page.model_copy(update={"tick_rows": rows})
    k0, k1 = _words(placed, "科研院所")

    def highlighted(group, pairs, options, *args, **kwargs):  # type: ignore[no-untyped-def]
        chosen = next(o for o in options if o.name == "科研院所")
        return WordsReading((chosen, (k0, row.bbox[1], k1, row.bbox[3])), False)

    monkeypatch.setattr(ticks, "words_marked", highlighted)
    alone = _read(page)
    assert alone is not None and alone.value is None
    assert needs_review(alone.confidence, RULES.review)

    a, b = 0.1, 0.15
    cx = x0 - 0.05
    seal = (cx - a, row.bbox[1], cx + a, row.bbox[1] + 2 * b)

    def radius(x: float, y: float) -> float:
        return float(np.hypot((x - cx) / a, (y - row.bbox[1] - b) / b))

    # the lettering inside the face, off the ring's band; the words' middle outside it
    assert radius(sum(lettering) / 2, row.bbox[3]) < 1.0 - RULES.ticks.seal_ring
    assert radius((x0 + x1) / 2, (row.bbox[1] + row.bbox[3]) / 2) > 1.0 + RULES.ticks.seal_ring
    mark = SealMark(bbox=seal, shape="round", colour="grey", confidence=0.9)
    reading = _read(page.model_copy(update={"seals": (mark,)}))
    assert reading is not None and reading.value == "科研院所"
    assert not needs_review(reading.confidence, RULES.review)


def test_a_seals_blob_running_past_it_away_from_the_group_is_the_seals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A grey seal left of the options, over the label, joined to the label's characters
    in one blob of unread ink (tuned grey-highlighter-holes: 组建模式 under 推荐单位's
    seal, the blob 0.03 of the page wider than the seal on its left): the seal's, no mark
    round the group, and the highlighted words still read. The same blob running out over
    the options' columns is a mark a person weighs: review."""
    import extractors.ticks as ticks
    from extractors.tick_words import WordsReading
    from pipeline.model import UnreadInk

    image, placed = _form(None, "", np.random.default_rng(41))
    page = _page(image, placed, "")
    row = page.tick_rows[0]
    k0, k1 = _words(placed, "国有企业")

    def highlighted(group, pairs, options, *args, **kwargs):  # type: ignore[no-untyped-def]
        chosen = next(o for o in options if o.name == "国有企业")
        return WordsReading((chosen, (k0, row.bbox[1], k1, row.bbox[3])), False)

    monkeypatch.setattr(ticks, "words_marked", highlighted)
    first = min(b.bbox[0] for b in page.boxes)
    seal = (first - 0.2, row.bbox[1] - 0.05, first - 0.01, row.bbox[3] + 0.3)
    mark = SealMark(bbox=seal, shape="round", colour="grey", confidence=0.9)
    sealed = page.model_copy(update={"seals": (mark,)})
    assert _read(sealed).value == "国有企业"  # type: ignore[union-attr]

    label = UnreadInk(bbox=(seal[0] - 0.04, seal[1], seal[2], seal[3]), ink=0.15)
    reading = _read(sealed.model_copy(update={"unread": (label,)}))
    assert reading is not None and reading.value == "国有企业"
    assert not needs_review(reading.confidence, RULES.review)

    over = UnreadInk(bbox=(seal[0], seal[1], k1 + 0.01, seal[3]), ink=0.15)
    reading = _read(sealed.model_copy(update={"unread": (over,)}))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)
