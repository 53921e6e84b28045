"""Tick marks added in session 16 (issue 17) for the withheld families that replaced the
retired ones: the chosen option's words run over with a yellow highlighter (the box left
empty), the chosen box hatched with a few parallel pen strokes, and a ✓ in red ballpoint.

Each mark is drawn where a person would read it as the choice, on the chosen option only;
a group left blank stays as printed; the values (the truth) never change with the mark.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from shenbao_lab.generator.ink import render_pen_mark
from shenbao_lab.generator.layout import PAGE_H, PAGE_W, PageLayout, TickBox
from shenbao_lab.generator.paper import _Paper, mark_boxes, rasterise
from shenbao_lab.generator.pdf import render_pdf
from shenbao_lab.generator.styles import StyleFamily, TickMark, load_styles

from pipeline.config import FieldSpec
from pipeline.model import Annex
from tests.lab.generator.paper_regions import box_inside, marked_form, region, truly_marked_forms
from tests.lab.generator.withheld_history import (
    NEW_WITHHELD,
    SESSION_16_MARKS,
    SESSION_16_RETIRED,
    SESSION_16_WITHHELD,
    SESSION_17_RETIRED,
    SESSION_18_RETIRED,
    SESSION_20_RETIRED,
    other_choices,
)
from tests.rulebook import RULES

DPI = 200
FORM_DPI = 100  # a whole page of pen marks
OPTIONS = ["中央在黔企业", "省属企业", "市（州）属企业", "其他"]
WIDTHS = [40.0, 55.0, 62.0, 150.0]
CHOSEN = ["中央在黔企业", "市（州）属企业", "其他"]


def _spec(key: str = "affiliation") -> FieldSpec:
    return RULES.templates[Annex.PILOT].field(key)


def _group(mark: TickMark, width: float = 150.0, chosen: str | None = "省属企业") -> PageLayout:
    page = PageLayout("basic_info")
    page.tick_group(
        20, 20, width, _spec(), OPTIONS, chosen, printed_tick=mark.typed, mark=mark,
        break_words=True,
    )  # fmt: skip
    return page


def _pen(
    mark: TickMark,
    seed: int,
    *,
    width: float = 150.0,
    chosen: str | None = "省属企业",
    printed: bool = False,
) -> tuple[PageLayout, _Paper]:
    """The group marked on white paper (or on the printed page, ``printed``)."""
    page = _group(mark, width, chosen)
    if printed:
        image = rasterise(render_pdf([page], title="t"), DPI).pop()
    else:
        image = Image.new("RGB", (1400, 600), "white")
    paper = _Paper(image, DPI)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    return page, paper


def _rgb(paper: _Paper) -> np.ndarray:
    return np.asarray(paper.image, dtype=np.int16)


def _chosen(page: PageLayout) -> TickBox:
    (box,) = [b for b in page.boxes if b.ticked]
    return box


def _runs(box: TickBox) -> list[tuple[float, float, float, float]]:
    """The em boxes (mm) of an option's words: one, or two where they run on below."""
    em = box.size / 0.95
    runs = [(box.x + box.size + 1.0, box.y, box.label_w)]
    if box.run_on is not None:
        runs.append(box.run_on)
    return [(x, y - 0.15 * box.size, x + w, y - 0.15 * box.size + em) for x, y, w in runs]


# --- a highlighter over the chosen words ------------------------------------------------


def _yellow(paper: _Paper) -> np.ndarray:
    rgb = _rgb(paper)
    return (rgb[..., 0] + rgb[..., 1]) / 2 - rgb[..., 2] > 60


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("chosen", CHOSEN)
def test_a_highlighter_runs_over_the_chosen_words_and_nothing_else(
    width: float, chosen: str
) -> None:
    page, paper = _pen(TickMark.PEN_HIGHLIGHT, 3, width=width, chosen=chosen)
    yellow = _yellow(paper)
    box = _chosen(page)
    assert len(_runs(box)) == (2 if box.run_on else 1)
    rest = yellow.copy()
    for x0, y0, x1, y1 in _runs(box):  # every part of the words, over their line
        em = y1 - y0
        words = yellow[region(paper, x0 + 0.3, y0 + 0.15 * em, x1 - 0.3, y1 - 0.15 * em)]
        assert words.mean() > 0.95
        # from just before the words to just past them, as tall as their line
        rest[region(paper, x0 - 1.5, y0 - 0.3 * em, x1 + 1.5, y1 + 0.3 * em)] = False
    assert not rest.any()  # nowhere else: not on the next line, not on other options
    for other in page.boxes:
        assert not yellow[box_inside(paper, other, 0.0)].any()  # every box left empty
        if other is not box:
            for x0, y0, x1, y1 in _runs(other):
                assert not yellow[region(paper, x0 + 0.3, y0, x1, y1)].any()


def test_the_highlighted_words_stay_black_on_a_light_grey_in_a_greyscale_scan() -> None:
    page, paper = _pen(TickMark.PEN_HIGHLIGHT, 5, printed=True)
    _, plain = _pen(TickMark.PEN_HIGHLIGHT, 5, chosen=None, printed=True)
    grey = np.asarray(paper.image.convert("L"), dtype=np.float32)
    bare = np.asarray(plain.image.convert("L"), dtype=np.float32)
    ((x0, y0, x1, y1),) = _runs(_chosen(page))
    words = region(paper, x0, y0, x1, y1)
    band = grey[words][bare[words] > 250]  # the paper between the strokes
    assert 200 < float(np.median(band)) < 235  # a light grey a person sees, not white
    # the printed strokes stay as dark as they were: the highlighter is translucent
    assert (grey[words] < 100).sum() >= 0.97 * (bare[words] < 100).sum() > 0


# --- the box hatched ---------------------------------------------------------------------


def _blue(paper: _Paper) -> np.ndarray:
    """Where the pen wrote: blue-black ink on the white page."""
    rgb = _rgb(paper)
    return (rgb[..., 2] - rgb[..., 0]) > 40


@pytest.mark.parametrize("seed", range(8))
def test_hatching_is_a_few_separate_parallel_strokes_across_the_box(seed: int) -> None:
    ink = np.asarray(render_pen_mark("hatch", 40, 40, np.random.default_rng(seed)))[..., 3] > 20
    count, labels = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    assert 3 <= count - 1 <= 5  # three to five strokes, the pen lifted between them
    for stroke in range(1, count):
        ys, xs = np.nonzero(labels == stroke)
        cov = np.cov(np.stack([xs, ys]).astype(np.float64))
        angle = np.degrees(0.5 * np.arctan2(2 * cov[0, 1], cov[0, 0] - cov[1, 1]))
        assert -60 < angle < -30  # a /: rising to the right (y runs down)


@pytest.mark.parametrize("seed", range(6))
def test_a_hatched_box_is_open_and_reaches_across_the_box(seed: int) -> None:
    page, paper = _pen(TickMark.PEN_HATCH, seed)
    ink = _blue(paper)
    box = _chosen(page)
    inside = ink[box_inside(paper, box, 0.0)]
    assert 0.12 < inside.mean() < 0.55  # the paper shows between the strokes
    assert inside.any(axis=0).mean() > 0.8 and inside.any(axis=1).mean() > 0.8  # side to side
    ys, xs = np.nonzero(ink)
    margin = 0.15 * box.size  # within the box (the strokes may touch its border)
    assert paper.px(box.x - margin) < xs.min() and xs.max() < paper.px(box.x + box.size + margin)
    assert paper.px(box.y - margin) < ys.min() and ys.max() < paper.px(box.y + box.size + margin)
    for other in page.boxes:
        if other is not box:
            assert not ink[box_inside(paper, other, 0.0)].any()
    _, filled = _pen(TickMark.PEN_FILL, seed)
    assert _blue(filled)[box_inside(filled, box, 0.0)].mean() > inside.mean() + 0.15


# --- a ✓ in red ballpoint ----------------------------------------------------------------


def _red(paper: _Paper) -> np.ndarray:
    rgb = _rgb(paper)
    return (rgb[..., 0] - rgb[..., 2] > 80) & (rgb[..., 0] - rgb[..., 1] > 80)


@pytest.mark.parametrize("seed", range(6))
def test_a_red_tick_turns_in_the_box_and_flicks_out_past_its_top(seed: int) -> None:
    page, paper = _pen(TickMark.PEN_CHECK_RED, seed)
    red = _red(paper)
    box = _chosen(page)
    assert red[box_inside(paper, box)].mean() > 0.04
    ys, xs = np.nonzero(red)
    assert ys.min() < paper.px(box.y)  # the flick runs out past the top edge
    assert paper.px(box.y + 0.6 * box.size) < ys.max() < paper.px(box.y + 1.15 * box.size)
    assert paper.px(box.x - 0.25 * box.size) < xs.min()
    assert xs.max() < paper.px(box.x + box.size + 1.0 + 0.5 * box.label_w)  # not to the next
    assert not _blue(paper).any()  # a red pen, nothing else
    for other in page.boxes:
        if other is not box:
            assert not red[box_inside(paper, other, 0.0)].any()
    grey = np.asarray(paper.image.convert("L"), dtype=np.float32)
    assert grey[red].min() < 110  # with no colour in the scan, a dark ✓ as any pen's


# --- a group left blank, and whole forms -------------------------------------------------


@pytest.mark.parametrize("mark", SESSION_16_MARKS)
def test_a_group_left_blank_stays_as_printed(mark: TickMark) -> None:
    page, paper = _pen(mark, 0, chosen=None)
    ruled, _ = _pen(TickMark.PEN_CROSS, 0, chosen=None)
    assert not mark.typed and not mark.glyph_boxes  # drawn by pen on ruled boxes
    assert [t.text for t in page.texts] == [t.text for t in ruled.texts] == OPTIONS
    assert not any(b.ticked for b in page.boxes) and len(page.boxes) == 4
    assert not page.shades and not page.rules and not any(t.bold for t in page.texts)
    assert not (_rgb(paper) < 250).any()  # no ink of any colour on it


def _near(box: TickBox, mark: TickMark) -> list[tuple[float, float, float, float]]:
    """Where a mark on ``box`` may put ink (mm): the box and a little round it, or, for a
    highlighter, its words."""
    if mark is TickMark.PEN_HIGHLIGHT:
        return [(x0 - 1.5, y0 - 1.2, x1 + 1.5, y1 + 1.2) for x0, y0, x1, y1 in _runs(box)]
    pad = 0.8 * box.size
    return [(box.x - pad, box.y - pad, box.x + box.size + pad, box.y + box.size + pad)]


@pytest.mark.parametrize("mark", SESSION_16_MARKS)
def test_on_a_form_the_mark_is_on_the_value_the_truth_holds_and_nowhere_else(
    mark: TickMark,
) -> None:
    for index, (_, pages) in enumerate(truly_marked_forms(mark), start=1):
        # the print is a pen form's: only the pen differs from another pen mark's
        _, crossed = marked_form(TickMark.PEN_CROSS, index)
        for page, other in zip(pages, crossed, strict=True):
            assert [(t.text, t.x, t.y) for t in page.texts] == [
                (t.text, t.x, t.y) for t in other.texts
            ]
            assert page.rules == other.rules and not page.shades
        for page in pages:
            if not page.boxes:
                continue
            size = (round(PAGE_W / 25.4 * FORM_DPI), round(PAGE_H / 25.4 * FORM_DPI))
            paper = _Paper(Image.new("RGB", size, "white"), FORM_DPI)
            mark_boxes(paper, page.boxes, np.random.default_rng(index))
            ink = (_rgb(paper) < 245).any(axis=2)
            for box in page.boxes:
                if box.ticked:  # every chosen option carries the mark
                    assert any(ink[region(paper, *near)].any() for near in _near(box, mark))
                else:  # and no other box has any
                    assert not ink[box_inside(paper, box, 0.0)].any(), box.option
            for box in page.boxes:
                if box.ticked:
                    for near in _near(box, mark):
                        ink[region(paper, *near)] = False
            assert not ink.any(), page.id  # nothing anywhere else on the page


# --- the families ------------------------------------------------------------------------


def test_the_retired_families_are_tuned_and_the_new_withheld_ones_are_fresh() -> None:
    styles = load_styles()
    tuned = styles.of("tuned")
    tuned_marks = {m for f in tuned for m in f.ticks}
    # session 16's retired, and its new ones, every one retired since (sessions 17, 18
    # and 20)
    since = SESSION_17_RETIRED + SESSION_18_RETIRED + SESSION_20_RETIRED
    for name in SESSION_16_RETIRED + since:
        f = styles.family(name)
        assert f.split == "tuned" and set(f.ticks) <= tuned_marks, name
    still = [n for n in SESSION_16_WITHHELD if n not in since]
    assert not still  # the hatched box, the last of them, retired in session 20
    tuned_other = set().union(*(other_choices(f) for f in tuned))
    for name in SESSION_16_WITHHELD:
        f = styles.family(name)
        assert len(f.ticks) == 1 and f.ticks[0] in SESSION_16_MARKS, name
        if name in still:
            assert f.split == "withheld", name
            assert not set(f.ticks) & tuned_marks, name
            assert other_choices(f) - tuned_other, name  # more than its tick mark is new
    marks = {m for name in SESSION_16_WITHHELD for m in styles.family(name).ticks}
    assert marks == set(SESSION_16_MARKS)
    assert set(still) <= set(NEW_WITHHELD)


def test_the_new_withheld_families_carry_the_dimensions_the_retired_took() -> None:
    styles = load_styles()
    retired = [styles.family(n) for n in SESSION_16_RETIRED]
    new = [styles.family(n) for n in SESSION_16_WITHHELD]
    tuned = styles.of("tuned")

    def carried(families: list[StyleFamily]) -> set[tuple[str, object]]:
        out: set[tuple[str, object]] = set()
        for f in families:
            out |= {("mode", m) for m in f.scan.modes if m != "house"}
            out |= {("turned", True) for t in f.scan.turns if t}
            out |= {("holes", h) for h in f.scan.punched_holes if h}
            out |= {("shadow", h) for h in f.scan.binding_shadow if h}
            out |= {("rules", r) for r in f.tables.rules if r != "house"}
            out |= {("merged", m) for m in f.tables.merged_cells if m}
            out |= {("lines", x) for x in f.tables.lists if x != "house"}
            out |= {("wrapped", w) for w in f.type.wrapped_options if w}
        return out

    assert carried(retired) <= carried(new)
    assert {("mode", "greyscale"), ("mode", "bilevel")} <= carried(new)
    assert {t for f in new for t in f.scan.turns} >= {90, 180, 270}
    tuned_skews = {f.scan.max_skew_deg for f in tuned}
    tuned_jpeg = {f.scan.jpeg_quality for f in tuned}
    for f in new:  # its own skew, and its own JPEG range where it sets one
        if f.name in SESSION_17_RETIRED + SESSION_18_RETIRED + SESSION_20_RETIRED:
            continue  # tuned since: its choices are the tuned split's now
        assert f.scan.max_skew_deg is not None and f.scan.max_skew_deg not in tuned_skews
        assert f.scan.jpeg_quality is None or f.scan.jpeg_quality not in tuned_jpeg
    for f in new:
        if TickMark.PEN_HIGHLIGHT in f.ticks:  # a highlighter's yellow vanishes in 1-bit
            assert "bilevel" not in f.scan.modes
