"""Tick marks added in session 18 (issue 17) for the withheld families that replaced the
retired ones: the chosen option's words coloured red in Word (every box left □), a ✓ with
a broad felt-tip marker lying over the box's rules, and a pen ✓ in two strokes that do
not touch (the pen lifted at its foot).

Each mark is drawn where a person would read it as the choice, on the chosen option only;
a group left blank stays as printed; the values (the truth) never change with the mark.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from shenbao_lab.generator.ink import render_lifted_tick, render_marker_tick, render_tick
from shenbao_lab.generator.layout import PAGE_H, PAGE_W, WORD_RED, PageLayout, Text, TickBox
from shenbao_lab.generator.paper import _Paper, mark_boxes, rasterise
from shenbao_lab.generator.pdf import render_pdf
from shenbao_lab.generator.styles import TickMark, load_styles

from pipeline.config import FieldSpec
from pipeline.model import Annex
from tests.lab.generator.paper_regions import box_inside, marked_form, region, truly_marked_forms
from tests.lab.generator.withheld_history import (
    NEW_MARKS,
    NEW_WITHHELD,
    SESSION_18_MARKS,
    SESSION_18_RETIRED,
    SESSION_18_WITHHELD,
    SESSION_19_RETIRED,
    carried_dimensions,
    other_choices,
)
from tests.rulebook import RULES

DPI = 200
FORM_DPI = 100  # a whole page of pen marks
OPTIONS = ["中央在黔企业", "省属企业", "市（州）属企业", "其他"]
WIDTHS = [40.0, 55.0, 62.0, 150.0]
CHOSEN = ["中央在黔企业", "市（州）属企业", "其他"]
PEN_MARKS = (TickMark.PEN_CHECK_MARKER, TickMark.PEN_CHECK_LIFTED)


def _spec(key: str = "affiliation") -> FieldSpec:
    return RULES.templates[Annex.PILOT].field(key)


def _group(mark: TickMark, width: float = 150.0, chosen: str | None = "省属企业") -> PageLayout:
    page = PageLayout("basic_info")
    page.tick_group(
        20, 20, width, _spec(), OPTIONS, chosen, printed_tick=mark.typed, mark=mark,
        break_words=True,
    )  # fmt: skip
    return page


def _printed(page: PageLayout) -> _Paper:
    """The page as printed (the PDF rasterised), before any pen."""
    return _Paper(rasterise(render_pdf([page], title="t"), DPI).pop(), DPI)


def _pen(
    mark: TickMark, seed: int, *, width: float = 150.0, chosen: str | None = "省属企业"
) -> tuple[PageLayout, _Paper]:
    """The group printed, then marked by pen."""
    page = _group(mark, width, chosen)
    paper = _printed(page)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    return page, paper


def _blank_pen(mark: TickMark, seed: int) -> tuple[PageLayout, _Paper]:
    """The group marked on white paper (no print): the pen's ink alone."""
    page = _group(mark)
    paper = _Paper(Image.new("RGB", (1400, 600), "white"), DPI)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    return page, paper


def _rgb(paper: _Paper) -> np.ndarray:
    return np.asarray(paper.image, dtype=np.int16)


def _grey(paper: _Paper) -> np.ndarray:
    return np.asarray(paper.image.convert("L"), dtype=np.float32)


def _red(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] - rgb[..., 2] > 80) & (rgb[..., 0] - rgb[..., 1] > 80)


def _blue(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 2] - rgb[..., 0]) > 40


def _words(page: PageLayout) -> list[Text]:
    return [t for t in page.texts if t.role == "option:affiliation"]


def _glyphs(page: PageLayout) -> list[Text]:
    return [t for t in page.texts if t.role == "box:affiliation"]


def _chosen(page: PageLayout) -> TickBox:
    (box,) = [b for b in page.boxes if b.ticked]
    return box


# --- the chosen words coloured red in Word -----------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("chosen", CHOSEN)
def test_the_chosen_words_only_are_red_and_every_box_is_left_empty(
    width: float, chosen: str
) -> None:
    page = _group(TickMark.TYPED_RED_WORDS, width, chosen)
    assert [t.text for t in _glyphs(page)] == ["□"] * 4  # every box left □
    assert all(t.colour is None for t in _glyphs(page))  # and black
    red = [t for t in page.texts if t.colour is not None]
    assert "".join(t.text for t in red) == chosen  # both parts where the words run on
    assert all(t.colour == WORD_RED and t.role == "option:affiliation" for t in red)
    box = _chosen(page)
    assert len(red) == (1 if box.run_on is None else 2)
    assert red[0].x == pytest.approx(box.x + box.size + 1.0)  # just after its own □
    assert not page.shades and not page.rules and not any(t.bold for t in page.texts)
    # the print is the blank form's: only the colour of the chosen words differs
    blank = _group(TickMark.TYPED_RED_WORDS, width, None)
    assert [(t.text, t.x, t.y) for t in page.texts] == [(t.text, t.x, t.y) for t in blank.texts]


@pytest.mark.parametrize("width", [55.0, 150.0])
def test_red_words_print_red_and_lighter_than_black_in_greyscale(width: float) -> None:
    chosen = "市（州）属企业"  # broken at the narrow cell's edge
    page = _group(TickMark.TYPED_RED_WORDS, width, chosen)
    paper = _printed(page)
    rgb, grey = _rgb(paper), _grey(paper)
    red = _red(rgb)
    dark = grey < 200
    parts = [t for t in page.texts if t.colour is not None]
    for words in parts:
        x0, y0, x1, y1 = words.box
        inside = region(paper, x0, y0, x1, y1)
        assert red[inside].sum() > 0.8 * dark[inside].sum()  # the words' strokes red
        red[inside] = False
    assert not red.any()  # nothing else red: not the □, not the other options
    # in a greyscale scan: darker than the paper, plainly lighter than black print
    coloured = np.zeros_like(dark)
    for words in parts:
        coloured[region(paper, *words.box)] = True
    black = dark & ~coloured
    assert 60 < float(np.percentile(grey[dark & coloured], 10)) < 140
    assert float(np.percentile(grey[black], 10)) < 40


# --- a felt-tip marker ✓ -------------------------------------------------------------------


def _stroke_width(alpha: np.ndarray) -> float:
    """A stroke's mean width (px): twice its area over its outline's length."""
    solid = (alpha > 128).astype(np.uint8)
    contours, _ = cv2.findContours(solid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    return 2.0 * float(solid.sum()) / sum(cv2.arcLength(c, True) for c in contours)


@pytest.mark.parametrize("seed", range(8))
def test_a_marker_tick_is_one_broad_solid_stroke(seed: int) -> None:
    alpha = np.asarray(render_marker_tick(60, np.random.default_rng(seed)))[..., 3]
    count, _ = cv2.connectedComponents((alpha > 12).astype(np.uint8), connectivity=8)
    assert count - 1 == 1  # one stroke
    pen = np.asarray(render_tick(60, np.random.default_rng(seed)))[..., 3]
    # broad: its stroke half as wide again as a ballpoint ✓'s of the same size, or more
    assert _stroke_width(alpha) > 1.5 * _stroke_width(pen)
    assert np.percentile(alpha[alpha > 128], 50) > 0.9 * 255  # solid black where it lies
    # bled: a soft fringe round the stroke (a ballpoint's edge is a pixel of antialiasing)
    assert ((alpha > 12) & (alpha < 128)).sum() > 0.25 * (alpha > 128).sum()


@pytest.mark.parametrize("seed", range(6))
def test_a_marker_tick_lies_over_the_box_and_its_rules(seed: int) -> None:
    page, paper = _pen(TickMark.PEN_CHECK_MARKER, seed)
    _, clean = _pen(TickMark.PEN_CHECK_MARKER, seed, chosen=None)
    grey, printed = _grey(paper), _grey(clean)
    ink = grey < printed - 40  # what the pen added to the print
    box = _chosen(page)
    assert ink[box_inside(paper, box)].mean() > 0.5  # most of the box blacked by the stroke
    # a felt tip's line: 0.7 mm or more (a ballpoint ✓ twice the box draws 0.5–0.6 mm)
    assert _stroke_width(np.where(ink, 255, 0)) > paper.px(0.7)
    ys, xs = np.nonzero(ink)
    assert ys.min() < paper.px(box.y)  # the flick runs out past the top edge
    assert paper.px(box.y + 0.6 * box.size) < ys.max() < paper.px(box.y + 1.2 * box.size)
    assert paper.px(box.x - 0.45 * box.size) < xs.min()  # set down at the box's left edge
    assert xs.max() < paper.px(box.x + box.size + 1.0 + 0.6 * box.label_w)  # not to the next
    # the broad stroke lies over the box's rules where it crosses them: on a rule, the
    # pen's ink runs across it (a ballpoint's thin line leaves the rule showing beside it)
    rule = 0.25  # mm either side of the box's border
    x0, y0, x1, y1 = box.x - rule, box.y - rule, box.x + box.size + rule, box.y + box.size + rule
    border = np.zeros_like(ink)
    border[region(paper, x0, y0, x1, y1)] = True
    border[box_inside(paper, box, rule)] = False
    assert (ink & border).sum() > paper.px(0.8) ** 2  # a blot of the rule covered
    assert grey[ink].min() < 60  # black
    for other in page.boxes:
        if other is not box:
            assert not ink[box_inside(paper, other, 0.0)].any()


# --- a ✓ in two strokes, the pen lifted ------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("size", [32, 48, 64])
def test_a_lifted_tick_is_two_strokes_that_never_touch(seed: int, size: int) -> None:
    alpha = np.asarray(render_lifted_tick(size, np.random.default_rng(seed)))[..., 3]
    count, labels = cv2.connectedComponents((alpha > 0).astype(np.uint8), connectivity=8)
    assert count - 1 == 2  # two strokes, not even their faintest edges touching
    (short, long_) = sorted(
        (np.column_stack(np.nonzero(labels == i)) for i in (1, 2)), key=lambda p: p[:, 1].min()
    )
    # the short one down from the left, the long one up to the right past it
    assert np.ptp(long_[:, 0]) > 1.1 * np.ptp(short[:, 0])
    assert long_[:, 0].min() < short[:, 0].min()  # its flick higher than the first's start
    assert long_[:, 1].max() > short[:, 1].max()
    # their feet apart by a visible gap (more than the pen is wide)
    gap = min(np.hypot(*(a - b)) for a in short[::3] for b in long_[::3])
    assert gap > 0.05 * size
    # a ballpoint's line, as a pen ✓'s
    pen = np.asarray(render_tick(size, np.random.default_rng(seed)))[..., 3]
    assert 0.5 * (pen > 128).sum() < (alpha > 128).sum() < 1.5 * (pen > 128).sum()


@pytest.mark.parametrize("seed", range(6))
def test_a_lifted_tick_turns_in_the_box_and_flicks_out_past_its_top(seed: int) -> None:
    page, paper = _blank_pen(TickMark.PEN_CHECK_LIFTED, seed)
    ink = _blue(_rgb(paper))
    box = _chosen(page)
    assert ink[box_inside(paper, box)].mean() > 0.03
    count, _ = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    assert count - 1 == 2  # on the paper too: two strokes apart
    ys, xs = np.nonzero(ink)
    assert ys.min() < paper.px(box.y)  # the flick runs out past the top edge
    assert paper.px(box.y + 0.6 * box.size) < ys.max() < paper.px(box.y + 1.2 * box.size)
    assert paper.px(box.x - 0.3 * box.size) < xs.min()
    assert xs.max() < paper.px(box.x + box.size + 1.0 + 0.5 * box.label_w)  # not to the next
    for other in page.boxes:
        if other is not box:
            assert not ink[box_inside(paper, other, 0.0)].any()


# --- a group left blank, and whole forms -------------------------------------------------


@pytest.mark.parametrize("mark", SESSION_18_MARKS)
@pytest.mark.parametrize("seed", range(3))
def test_a_group_left_blank_stays_as_printed(mark: TickMark, seed: int) -> None:
    page = _group(mark, chosen=None)
    assert [t.text for t in _words(page)] == OPTIONS
    assert not any(b.ticked for b in page.boxes) and len(page.boxes) == 4
    assert not page.shades and not page.rules and not any(t.bold for t in page.texts)
    assert all(t.colour is None for t in page.texts)  # nothing coloured
    if mark.glyph_boxes:
        assert [t.text for t in _glyphs(page)] == ["□"] * 4
    else:  # the print of any pen form
        ruled = _group(TickMark.PEN_CROSS, chosen=None)
        assert [t.text for t in page.texts] == [t.text for t in ruled.texts] == OPTIONS
    paper = _Paper(Image.new("RGB", (1400, 600), "white"), DPI)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    assert not (_rgb(paper) < 250).any()  # no pen of any colour on it


def _near(box: TickBox) -> tuple[float, float, float, float]:
    """Where a pen mark on ``box`` may put ink (mm): the box and a little round it."""
    pad = 0.9 * box.size
    return (box.x - pad, box.y - pad, box.x + box.size + pad, box.y + box.size + pad)


@pytest.mark.parametrize("mark", SESSION_18_MARKS)
def test_on_a_form_the_mark_is_on_the_value_the_truth_holds_and_nowhere_else(
    mark: TickMark,
) -> None:
    for index, (values, pages) in enumerate(truly_marked_forms(mark), start=1):
        # the print is another mark's of its kind: only the mark differs
        _, other_pages = marked_form(
            TickMark.TYPED_BOLD_UNDERLINE if mark.typed else TickMark.PEN_CROSS, index
        )
        for page, other in zip(pages, other_pages, strict=True):
            assert [(t.text, t.x, t.y) for t in page.texts] == [
                (t.text, t.x, t.y) for t in other.texts
            ]
            assert not page.shades
            if not mark.typed:
                assert page.rules == other.rules
        for page in pages:
            for key in {b.field for b in page.boxes}:
                words = [t for t in page.texts if t.role == f"option:{key}"]
                red = "".join(t.text for t in words if t.colour is not None)
                # the value's words, and only they, coloured red (by the red-words mark)
                assert red == (str(values[key]) if mark.typed else ""), key
            assert all(t.colour is None for t in page.texts if not t.role.startswith("option:"))
            if not page.boxes or mark.typed:
                continue
            size = (round(PAGE_W / 25.4 * FORM_DPI), round(PAGE_H / 25.4 * FORM_DPI))
            paper = _Paper(Image.new("RGB", size, "white"), FORM_DPI)
            mark_boxes(paper, page.boxes, np.random.default_rng(index))
            ink = (_rgb(paper) < 245).any(axis=2)
            for box in page.boxes:
                if box.ticked:  # every chosen option carries the mark
                    assert ink[region(paper, *_near(box))].any()
                else:  # and no other box has any
                    assert not ink[box_inside(paper, box, 0.0)].any(), box.option
            for box in page.boxes:
                if box.ticked:
                    ink[region(paper, *_near(box))] = False
            assert not ink.any(), page.id  # nothing anywhere else on the page


# --- the families ------------------------------------------------------------------------


def test_the_retired_families_are_tuned_and_the_new_withheld_ones_are_fresh() -> None:
    styles = load_styles()
    tuned = styles.of("tuned")
    tuned_marks = {m for f in tuned for m in f.ticks}
    # session 18's retired, and those of its new ones retired since (session 19's)
    for name in SESSION_18_RETIRED + SESSION_19_RETIRED:
        f = styles.family(name)
        assert f.split == "tuned" and set(f.ticks) <= tuned_marks, name
    assert not set(NEW_MARKS) & tuned_marks
    still = [n for n in SESSION_18_WITHHELD if n not in SESSION_19_RETIRED]
    assert still
    tuned_other = set().union(*(other_choices(f) for f in tuned))
    for name in SESSION_18_WITHHELD:
        f = styles.family(name)
        assert len(f.ticks) == 1 and f.ticks[0] in SESSION_18_MARKS, name
        if name in still:
            assert f.split == "withheld", name
            assert not set(f.ticks) & tuned_marks, name
            assert other_choices(f) - tuned_other, name  # more than its tick mark is new
    marks = {m for name in SESSION_18_WITHHELD for m in styles.family(name).ticks}
    assert marks == set(SESSION_18_MARKS)
    assert set(still) <= set(NEW_WITHHELD)
    assert {f.name for f in styles.of("withheld")} == set(NEW_WITHHELD) | {
        "word-glyph-check",
        "word-glyph-cross",
    }


def test_the_new_withheld_families_carry_the_dimensions_the_retired_took() -> None:
    styles = load_styles()
    retired = [styles.family(n) for n in SESSION_18_RETIRED]
    new = [styles.family(n) for n in SESSION_18_WITHHELD]
    tuned = styles.of("tuned")
    assert carried_dimensions(retired) <= carried_dimensions(new)
    assert {
        ("mode", "greyscale"),
        ("phone", True),
        ("turn", 90),
        ("turn", 270),
        ("holes", True),
        ("shadow", True),
        ("rules", "thick"),
        ("rules", "no_vertical"),
        ("lines", "lines"),
        ("wrapped", True),
        ("hand", "heavy"),
        ("hand", "backhand"),
        ("ink", "blue"),
    } <= carried_dimensions(new)
    # every dimension the tuned split carries, the withheld split carries too (and every
    # scan mode and ruling)
    tuned_carried, withheld_carried = (
        carried_dimensions(list(tuned)),
        carried_dimensions(list(styles.of("withheld"))),
    )
    assert {k for k, _ in tuned_carried} <= {k for k, _ in withheld_carried}
    for kind in ("mode", "rules"):
        assert {c for c in tuned_carried if c[0] == kind} <= withheld_carried, kind
    tuned_skews = {f.scan.max_skew_deg for f in tuned}
    tuned_jpeg = {f.scan.jpeg_quality for f in tuned}
    tuned_dpi = {d for f in tuned for d in f.scan.dpi}
    for f in new:  # its own skew, JPEG range and dpi
        if TickMark.TYPED_RED_WORDS in f.ticks:  # red print is what a person reads it by
            assert set(f.scan.modes) == {"house"} and not any(f.scan.photocopy)
        if f.name in SESSION_19_RETIRED:
            continue  # tuned since: its choices are the tuned split's now
        assert f.scan.max_skew_deg is not None and f.scan.max_skew_deg not in tuned_skews
        assert f.scan.jpeg_quality is not None and f.scan.jpeg_quality not in tuned_jpeg
        assert not set(f.scan.dpi) & tuned_dpi
