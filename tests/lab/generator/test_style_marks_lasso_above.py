"""Tick marks added in session 20 (issue 17) for the withheld families that replaced the
retired ones: the chosen option's words looped round by hand with the box left empty
(the loop's arcs running into the rows above and below), and a small pen √ written above
the chosen option's words, between the rows, the box left empty.

Each mark is drawn where a person would read it as the choice, on the chosen option only;
a group left blank stays as printed; the values (the truth) never change with the mark.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from shenbao_lab.generator.ink import render_pen_mark
from shenbao_lab.generator.layout import PAGE_H, PAGE_W, PageLayout, TickBox
from shenbao_lab.generator.paper import _Paper, mark_boxes, rasterise
from shenbao_lab.generator.pdf import render_pdf
from shenbao_lab.generator.styles import TickMark, load_styles

from pipeline.config import FieldSpec
from pipeline.model import Annex
from tests.lab.generator.paper_regions import box_inside, marked_form, region, truly_marked_forms
from tests.lab.generator.withheld_history import (
    NEW_MARKS,
    NEW_WITHHELD,
    SESSION_20_MARKS,
    SESSION_20_RETIRED,
    SESSION_20_WITHHELD,
    carried_dimensions,
    other_choices,
)
from tests.rulebook import RULES

DPI = 200
FORM_DPI = 100  # a whole page of pen marks
OPTIONS = ["中央在黔企业", "省属企业", "市（州）属企业", "其他"]
SIZE = 12.0  # pt


def _spec(key: str = "affiliation") -> FieldSpec:
    return RULES.templates[Annex.PILOT].field(key)


def _group(
    mark: TickMark, width: float = 150.0, chosen: str | None = "省属企业", y: float = 20.0
) -> PageLayout:
    page = PageLayout("basic_info")
    page.tick_group(
        20, y, width, _spec(), OPTIONS, chosen, printed_tick=mark.typed, mark=mark,
        size=SIZE, break_words=True,
    )  # fmt: skip
    return page


def _printed(page: PageLayout) -> _Paper:
    """The page as printed (the PDF rasterised), before any pen."""
    return _Paper(rasterise(render_pdf([page], title="t"), DPI).pop(), DPI)


def _pen(
    mark: TickMark, seed: int, *, width: float = 150.0, chosen: str | None = "省属企业"
) -> tuple[PageLayout, _Paper, _Paper]:
    """The group printed, then marked: the layout, the marked paper and the print alone."""
    page = _group(mark, width, chosen)
    paper = _printed(page)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    return page, paper, _printed(_group(mark, width, None))


def _grey(paper: _Paper) -> np.ndarray:
    return np.asarray(paper.image.convert("L"), dtype=np.float32)


def _ink(paper: _Paper, printed: _Paper) -> np.ndarray:
    """Where the pen changed the printed page."""
    return np.abs(_grey(paper) - _grey(printed)) > 40


def _chosen(page: PageLayout) -> TickBox:
    (box,) = [b for b in page.boxes if b.ticked]
    return box


def _em(box: TickBox) -> float:
    return box.size / 0.95  # the type's size in mm (a box is 0.95 of it)


def _runs(box: TickBox) -> list[tuple[float, float, float]]:
    """The chosen words' runs (x, line top, width) in mm: the first after the box, and
    the rest where they run on at the next line."""
    runs = [(box.x + box.size + 1.0, box.y - 0.15 * box.size, box.label_w)]
    if box.run_on is not None:
        x, y, width = box.run_on
        runs.append((x, y - 0.15 * box.size, width))
    return runs


def _ys_xs(mask: np.ndarray, paper: _Paper) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.nonzero(mask)
    return ys / paper.dpi * 25.4, xs / paper.dpi * 25.4  # mm


# --- a loop round the words ----------------------------------------------------------------


def _polar(alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each inked pixel's angle (degrees) and radius about the canvas's middle, the radius
    in units of the loop's nominal half-axes (0.4 of the width, 0.36 of the height)."""
    h, w = alpha.shape
    ys, xs = np.nonzero(alpha > 0.3)
    dx, dy = (xs + 0.5 - w / 2) / (0.4 * w), (ys + 0.5 - h / 2) / (0.36 * h)
    return np.degrees(np.arctan2(dy, dx)) % 360, np.hypot(dx, dy)


@pytest.mark.parametrize("seed", range(8))
def test_a_lasso_is_one_hand_loop_round_its_middle_with_a_tail(seed: int) -> None:
    w, h = 300, 160
    image = render_pen_mark("lasso", w, h, np.random.default_rng(seed))
    again = render_pen_mark("lasso", w, h, np.random.default_rng(seed))
    assert np.array_equal(np.asarray(image), np.asarray(again))  # the seed decides it
    alpha = np.asarray(image, dtype=np.float32)[..., 3] / 255.0
    theta, r = _polar(alpha)
    # closed: inked all round, near its nominal ring; the middle (the words) clear
    around = [((theta // 5) == k).any() for k in range(72)]
    assert all(around)
    assert not (r < 0.7).any()
    # nothing cut off at the canvas's edges
    assert alpha[:2].max() < 0.05 and alpha[-2:].max() < 0.05
    assert alpha[:, :2].max() < 0.05 and alpha[:, -2:].max() < 0.05
    # a hand's loop, not an oval: its top and bottom wander, its ends stay put
    ys, xs = np.nonzero(alpha > 0.3)
    top = [ys[(xs == x) & (ys < h / 2)].min() for x in range(int(0.3 * w), int(0.7 * w), 6)]
    assert np.ptp(top) > 0.02 * h
    assert abs(xs.min() - 0.1 * w) < 0.04 * w and abs(xs.max() - 0.9 * w) < 0.04 * w
    # swung on past its start and flicked away up: a tail reaching above the loop's top
    # arc where the loop overlaps itself (two strokes cross the top arc there)
    assert ys.min() < h / 2 - 0.36 * h * 0.9
    # a ballpoint's line: where it passes the loop's left end, as wide as the pen
    crossing = (alpha[h // 2, : int(0.3 * w)] > 0.3).sum()
    assert 1 <= crossing <= 0.04 * h + 2


@pytest.mark.parametrize("seed", range(8))
def test_a_lasso_rings_the_chosen_words_and_leaves_the_box_empty(seed: int) -> None:
    page, paper, printed = _pen(TickMark.PEN_LASSO_WORDS, seed)
    ink = _ink(paper, printed)
    box = _chosen(page)
    (x, top, width), em = _runs(box)[0], _em(box)
    middle, end = top + 0.5 * em, x + width
    # the box left empty (the loop's left end at most on its right rule)
    s = box.size
    assert not ink[region(paper, box.x - 0.5, box.y - 0.5, box.x + 0.6 * s, box.y + s + 0.5)].any()
    # the loop on every side of the words: before them, past them, above and below
    sides = [
        (box.x + s, middle - 0.2 * em, x, middle + 0.2 * em),
        (end, middle - 0.2 * em, end + 3.8, middle + 0.2 * em),
        (x + 0.3 * width, middle - 1.6 * em, end - 0.3 * width, top),
        (x + 0.3 * width, top + em, end - 0.3 * width, middle + 1.6 * em),
    ]
    for side in sides:
        assert ink[region(paper, *side)].any(), side
    # its arcs run out into the rows above and below (past the words' own line by a
    # third of the type's size or more), the tail no further than 1.9 of it from their middle
    ys, xs = _ys_xs(ink, paper)
    assert ys.min() < top - 0.35 * em and ys.max() > top + em + 0.35 * em
    assert ys.min() > middle - 1.9 * em and ys.max() < middle + 1.9 * em
    assert xs.min() > x - 1.6 and xs.max() < end + 3.8
    # the other options' boxes untouched (the next one starts 4 mm past the words)
    for other in page.boxes:
        if other is not box:
            inner = region(
                paper, other.x - 0.3, other.y - 0.3, other.x + s + 0.3, other.y + s + 0.3
            )
            assert not ink[inner].any()


@pytest.mark.parametrize("seed", range(6))
def test_words_broken_at_the_line_end_are_looped_in_both_parts(seed: int) -> None:
    page, paper, printed = _pen(TickMark.PEN_LASSO_WORDS, seed, width=70.0, chosen="市（州）属企业")
    box = _chosen(page)
    assert box.run_on is not None
    ink = _ink(paper, printed)
    em = _em(box)
    for x, top, width in _runs(box):
        middle = top + 0.5 * em
        before = region(paper, x - 1.6, middle - 0.2 * em, x, middle + 0.2 * em)
        after = region(paper, x + width, middle - 0.2 * em, x + width + 3.8, middle + 0.2 * em)
        assert ink[before].any() and ink[after].any()
    assert not ink[box_inside(paper, box)][:, : round(paper.px(0.6 * box.size))].any()


# --- a √ above the words -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("chosen", ["省属企业", "其他", "中央在黔企业"])
def test_a_check_above_sits_over_the_chosen_words_between_the_rows(seed: int, chosen: str) -> None:
    page, paper, printed = _pen(TickMark.PEN_CHECK_ABOVE, seed, chosen=chosen)
    ink = _ink(paper, printed)
    box = _chosen(page)
    (x, top, width), em, s = _runs(box)[0], _em(box), box.size
    ys, xs = _ys_xs(ink, paper)
    assert ys.size > 0
    # wholly above the words' line, in the space between it and the line above (at most
    # touching the bottom of that line's characters)
    assert ys.max() < top + 0.1
    assert ys.min() > top - 1.1 * em
    # a √ about the box's size: taller than half of it, no taller than the box
    assert 0.5 * s < np.ptp(ys) < 1.05 * s and 0.5 * s < np.ptp(xs) < 1.1 * s
    # over the chosen words, not the box
    assert xs.min() > x - 1.0 and xs.max() < x + width + 1.0
    assert abs(float(np.median(xs)) - (x + width / 2)) < 0.2 * width + 0.5 * s
    assert not ink[box_inside(paper, box, inset=-0.3)].any()
    # its foot lower than its start, its flick the highest point: a ✓'s shape
    foot_x = xs[np.argmax(ys)]
    assert xs.min() < foot_x < xs.max()
    assert xs[np.argmin(ys)] > foot_x
    # the words, the box and the other options as printed
    below = region(paper, 0, top + 0.1, PAGE_W, PAGE_H)
    assert not ink[below].any()


# --- a group left blank, and whole forms -------------------------------------------------


@pytest.mark.parametrize("mark", SESSION_20_MARKS)
@pytest.mark.parametrize("seed", range(3))
def test_a_group_left_blank_stays_as_printed(mark: TickMark, seed: int) -> None:
    page = _group(mark, chosen=None)
    assert not any(b.ticked for b in page.boxes) and len(page.boxes) == 4
    ruled = _group(TickMark.PEN_CROSS, chosen=None)  # the print of any pen form
    assert [(t.text, t.x, t.y) for t in page.texts] == [(t.text, t.x, t.y) for t in ruled.texts]
    assert page.rules == ruled.rules and not page.shades
    paper = _Paper(Image.new("RGB", (1400, 600), "white"), DPI)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    assert not (np.asarray(paper.image) < 250).any()  # no ink


def _near(mark: TickMark, box: TickBox) -> list[tuple[float, float, float, float]]:
    """Where ``mark`` on ``box`` may put ink (mm): round each run of the words for a
    loop, the space above their first run for a √."""
    em = _em(box)
    out = []
    for x, top, width in _runs(box):
        if mark is TickMark.PEN_LASSO_WORDS:
            middle = top + 0.5 * em
            out.append((x - 1.6, middle - 1.9 * em, x + width + 3.8, middle + 1.9 * em))
        else:
            out.append((x - 1.0, top - 1.1 * em, x + width + 1.0, top + 0.1))
            break
    return out


@pytest.mark.parametrize("mark", SESSION_20_MARKS)
def test_on_a_form_the_mark_is_on_the_value_the_truth_holds_and_nowhere_else(
    mark: TickMark,
) -> None:
    for index, (_, pages) in enumerate(truly_marked_forms(mark), start=1):
        # the print is a pen form's: only the mark differs
        _, other_pages = marked_form(TickMark.PEN_CROSS, index)
        for page, other in zip(pages, other_pages, strict=True):
            assert [(t.text, t.x, t.y) for t in page.texts] == [
                (t.text, t.x, t.y) for t in other.texts
            ]
            assert page.rules == other.rules and not page.shades
            if not page.boxes:
                continue
            size = (round(PAGE_W / 25.4 * FORM_DPI), round(PAGE_H / 25.4 * FORM_DPI))
            paper = _Paper(Image.new("RGB", size, "white"), FORM_DPI)
            mark_boxes(paper, page.boxes, np.random.default_rng(index))
            ink = (np.asarray(paper.image) < 245).any(axis=2)
            for box in page.boxes:
                if box.ticked:
                    # the mark round or above the chosen words, the box's left half empty
                    half = region(paper, box.x + 0.4, box.y + 0.4, box.x + 0.5 * box.size,
                                  box.y + box.size - 0.4)  # fmt: skip
                    assert not ink[half].any(), (page.id, box.option)
                    assert any(ink[region(paper, *near)].any() for near in _near(mark, box))
                else:  # another option's box: at most a loop's arc passing through it
                    assert ink[box_inside(paper, box)].mean() < 0.15, (page.id, box.option)
            if mark is TickMark.PEN_CHECK_ABOVE:
                # between the lines: on no printed text (a cell's rule it may cross)
                for text in page.texts:
                    assert not ink[region(paper, *text.box)].any(), (page.id, text.text)
            for box in page.boxes:
                if box.ticked:
                    for near in _near(mark, box):
                        ink[region(paper, *near)] = False
            assert not ink.any(), page.id  # nothing anywhere else on the page


# --- the families ------------------------------------------------------------------------


def test_the_retired_families_are_tuned_and_the_new_withheld_ones_are_fresh() -> None:
    styles = load_styles()
    tuned = styles.of("tuned")
    tuned_marks = {m for f in tuned for m in f.ticks}
    for name in SESSION_20_RETIRED:
        f = styles.family(name)
        assert f.split == "tuned" and set(f.ticks) <= tuned_marks, name
    assert {TickMark.PEN_HATCH, TickMark.PEN_CHECK_TAPED} <= tuned_marks
    assert not set(NEW_MARKS) & tuned_marks
    tuned_other = set().union(*(other_choices(f) for f in tuned))
    for name in SESSION_20_WITHHELD:
        f = styles.family(name)
        assert f.split == "withheld", name
        assert len(f.ticks) == 1 and f.ticks[0] in SESSION_20_MARKS, name
        assert other_choices(f) - tuned_other, name  # more than its tick mark is new
    marks = {m for name in SESSION_20_WITHHELD for m in styles.family(name).ticks}
    assert marks == set(SESSION_20_MARKS)
    # marks the generator never drew before this session
    older = {m for f in styles.families if f.name not in SESSION_20_WITHHELD for m in f.ticks}
    assert not marks & older
    assert set(SESSION_20_WITHHELD) <= set(NEW_WITHHELD)
    assert {f.name for f in styles.of("withheld")} == set(NEW_WITHHELD) | {
        "word-glyph-check",
        "word-glyph-cross",
    }
    # no two withheld families share a mark
    withheld_marks = [m for f in styles.of("withheld") for m in f.ticks]
    assert len(withheld_marks) == len(set(withheld_marks))


def test_the_new_withheld_families_carry_the_dimensions_the_retired_took() -> None:
    styles = load_styles()
    retired = [styles.family(n) for n in SESSION_20_RETIRED]
    new = [styles.family(n) for n in SESSION_20_WITHHELD]
    assert carried_dimensions(retired) <= carried_dimensions(new)
    assert {
        ("mode", "bilevel"),
        ("mode", "greyscale"),
        ("turn", 90),
        ("turn", 180),
        ("holes", True),
        ("rules", "double"),
        ("rules", "thick"),
        ("merged", True),
        ("lines", "lines"),
        ("spaced", True),
    } <= carried_dimensions(new)
    # every dimension the tuned split carries, the withheld split carries too (and every
    # scan mode and ruling)
    tuned = styles.of("tuned")
    tuned_carried, withheld_carried = (
        carried_dimensions(list(tuned)),
        carried_dimensions(list(styles.of("withheld"))),
    )
    assert {k for k, _ in tuned_carried} <= {k for k, _ in withheld_carried}
    for kind in ("mode", "rules"):
        assert {c for c in tuned_carried if c[0] == kind} <= withheld_carried, kind
    others = [f for f in styles.families if f.name not in SESSION_20_WITHHELD]
    used_skews = {f.scan.max_skew_deg for f in others}
    used_jpeg = {f.scan.jpeg_quality for f in others}
    used_dpi = {d for f in others for d in f.scan.dpi}
    for f in new:  # its own skew and dpi, no other family's, tuned or withheld
        assert f.scan.max_skew_deg is not None and f.scan.max_skew_deg not in used_skews
        assert f.scan.dpi != ("house",) and not set(f.scan.dpi) & used_dpi
        if "bilevel" in f.scan.modes:  # a 1-bit page is stored as a bitmap, no JPEG
            assert f.scan.jpeg_quality is None
        else:  # and its own JPEG range
            assert f.scan.jpeg_quality is not None and f.scan.jpeg_quality not in used_jpeg
