"""Tick marks added in session 17 (issue 17) for the withheld families that replaced the
retired ones: a ✓ in pencil, a ✓ on the chosen box with another option's ✓ scratched out
(a correction), and a small pen oval round the chosen box alone.

Each mark is drawn where a person would read it as the choice; a correction's scratched
box is the only other ink, and it reads as scratched out (dense), never as a clean mark;
a group left blank stays as printed; the values (the truth) never change with the mark.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image
from shenbao_lab.generator.ink import render_pencil_tick, render_tick
from shenbao_lab.generator.layout import PAGE_H, PAGE_W, PageLayout, TickBox
from shenbao_lab.generator.paper import _Paper, mark_boxes
from shenbao_lab.generator.styles import StyleFamily, TickMark, load_styles

from pipeline.config import FieldSpec
from pipeline.model import Annex
from tests.lab.generator.paper_regions import box_inside, marked_form, region, truly_marked_forms
from tests.lab.generator.withheld_history import (
    NEW_MARKS,
    NEW_WITHHELD,
    SESSION_17_MARKS,
    SESSION_17_RETIRED,
    SESSION_17_WITHHELD,
    SESSION_18_RETIRED,
    other_choices,
)
from tests.rulebook import RULES

DPI = 200
FORM_DPI = 100  # a whole page of pen marks
OPTIONS = ["中央在黔企业", "省属企业", "市（州）属企业", "其他"]


def _spec(key: str = "affiliation") -> FieldSpec:
    return RULES.templates[Annex.PILOT].field(key)


def _pen(
    mark: TickMark, seed: int, *, width: float = 150.0, chosen: str | None = "省属企业"
) -> tuple[PageLayout, _Paper]:
    """The group marked on white paper."""
    page = PageLayout("basic_info")
    page.tick_group(
        20, 20, width, _spec(), OPTIONS, chosen, printed_tick=mark.typed, mark=mark,
        break_words=True,
    )  # fmt: skip
    paper = _Paper(Image.new("RGB", (1400, 600), "white"), DPI)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    return page, paper


def _rgb(paper: _Paper) -> np.ndarray:
    return np.asarray(paper.image, dtype=np.int16)


def _ink(paper: _Paper, below: int = 245) -> np.ndarray:
    return (_rgb(paper) < below).any(axis=2)


def _chosen(page: PageLayout) -> TickBox:
    (box,) = [b for b in page.boxes if b.ticked]
    return box


# --- a ✓ in pencil -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_a_pencil_tick_is_broken_and_speckled(seed: int) -> None:
    alpha = np.asarray(render_pencil_tick(48, np.random.default_rng(seed)))[..., 3]
    count, _ = cv2.connectedComponents((alpha > 12).astype(np.uint8), connectivity=8)
    assert count - 1 >= 2  # the point skipped: the ✓ is in pieces
    pen = np.asarray(render_tick(48, np.random.default_rng(seed)))[..., 3]
    stroke = alpha[pen > 200].astype(np.float64)  # where a pen would lay solid ink
    nonzero = stroke[stroke > 0]
    assert nonzero.std() / nonzero.mean() > 0.12  # the paper's grain: uneven, not solid
    assert alpha.max() < 0.95 * 255  # never a pen's full strength


@pytest.mark.parametrize("seed", range(6))
def test_a_pencil_tick_is_grey_on_the_box_and_lighter_than_a_pens(seed: int) -> None:
    page, paper = _pen(TickMark.PEN_CHECK_PENCIL, seed)
    rgb = _rgb(paper)
    ink = _ink(paper)
    box = _chosen(page)
    assert ink[box_inside(paper, box)].mean() > 0.03
    spread = rgb[ink].max(axis=1) - rgb[ink].min(axis=1)
    assert np.median(spread) <= 8  # graphite: grey, no ink's colour
    ys, xs = np.nonzero(ink)
    assert ys.min() < paper.px(box.y)  # the flick runs out past the top edge
    assert paper.px(box.y + 0.6 * box.size) < ys.max() < paper.px(box.y + 1.2 * box.size)
    assert paper.px(box.x - 0.25 * box.size) < xs.min()
    assert xs.max() < paper.px(box.x + box.size + 1.0 + 0.5 * box.label_w)  # not to the next
    for other in page.boxes:
        if other is not box:
            assert not ink[box_inside(paper, other, 0.0)].any()
    grey = np.asarray(paper.image.convert("L"), dtype=np.float32)
    _, pen = _pen(TickMark.PEN_CHECK_LARGE, seed)
    pen_grey = np.asarray(pen.image.convert("L"), dtype=np.float32)
    # lighter than a pen's ✓ but still plainly seen on the paper
    assert grey[ink].min() > 75 and float(np.percentile(grey[ink], 10)) < 200
    assert float(np.median(grey[ink])) > float(np.median(pen_grey[_ink(pen)])) + 30


# --- a correction: another option's ✓ scratched out ------------------------------------


def _coverage(paper: _Paper, box: TickBox) -> float:
    return float(_ink(paper, 200)[box_inside(paper, box)].mean())


def test_a_correction_scratches_out_another_box_in_some_groups_only() -> None:
    corrected = clean = 0
    for seed in range(16):
        page, paper = _pen(TickMark.PEN_CHECK_CORRECTED, seed)
        box = _chosen(page)
        ink = _ink(paper)
        assert 0.04 < _coverage(paper, box) < 0.45  # the final choice: a clean ✓, open
        above = region(paper, box.x, box.y - 0.5 * box.size, box.x + 1.4 * box.size, box.y)
        assert ink[above].any()  # its flick out past the top
        marked = [b for b in page.boxes if b is not box and ink[box_inside(paper, b, 0.0)].any()]
        assert len(marked) <= 1  # at most one mistaken ✓, scratched out
        if not marked:
            clean += 1
            continue
        corrected += 1
        (scratched,) = marked
        assert _coverage(paper, scratched) > 0.6  # blacked out, unlike the clean ✓
        assert _coverage(paper, scratched) > _coverage(paper, box) + 0.3
        s = scratched  # the scratch runs a little past the box on both sides
        row = ink[region(paper, s.x - 0.5 * s.size, s.y, s.x + 1.5 * s.size, s.y + s.size)]
        cols = np.nonzero(row.any(axis=0))[0]
        assert cols.min() < paper.px(0.45 * s.size) and cols.max() > paper.px(1.05 * s.size)
    assert corrected >= 4 and clean >= 4  # about half the groups


# --- an oval round the box alone -------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_an_oval_rings_the_box_alone_and_leaves_it_empty(seed: int) -> None:
    page, paper = _pen(TickMark.PEN_RING_BOX, seed)
    ink = _ink(paper)
    box = _chosen(page)
    # the box left empty (the oval may graze a corner of it)
    assert not ink[box_inside(paper, box, 0.2 * box.size)].any()
    x0, y0, x1, y1 = box.x, box.y, box.x + box.size, box.y + box.size
    pad = 0.75 * box.size
    for side in (  # ink on every side of the box, just outside it
        (x0 - pad, y0, x0, y1),
        (x1, y0, x1 + pad, y1),
        (x0, y0 - pad, x1, y0),
        (x0, y1, x1, y1 + pad),
    ):
        assert ink[region(paper, *side)].any(), side
    ys, xs = np.nonzero(ink)  # round the box, not the words (a pen_circle's takes them in)
    assert paper.px(x0 - pad) < xs.min() and xs.max() < paper.px(x1 + pad)
    assert paper.px(y0 - pad) < ys.min() and ys.max() < paper.px(y1 + pad)
    for other in page.boxes:
        if other is not box:
            assert not ink[box_inside(paper, other, 0.0)].any()
    _, circled = _pen(TickMark.PEN_CIRCLE, seed)
    assert np.nonzero(_ink(circled))[1].max() > paper.px(x1 + 1.0 + 0.9 * box.label_w)


# --- a group left blank, and whole forms -------------------------------------------------


@pytest.mark.parametrize("mark", SESSION_17_MARKS)
@pytest.mark.parametrize("seed", range(3))
def test_a_group_left_blank_stays_as_printed(mark: TickMark, seed: int) -> None:
    page, paper = _pen(mark, seed, chosen=None)
    ruled, _ = _pen(TickMark.PEN_CROSS, seed, chosen=None)
    assert not mark.typed and not mark.glyph_boxes  # drawn by pen on ruled boxes
    assert [t.text for t in page.texts] == [t.text for t in ruled.texts] == OPTIONS
    assert not any(b.ticked for b in page.boxes) and len(page.boxes) == 4
    assert not page.shades and not page.rules and not any(t.bold for t in page.texts)
    assert not (_rgb(paper) < 250).any()  # no ink of any colour: nothing to correct


def _near(box: TickBox) -> tuple[float, float, float, float]:
    """Where a mark on ``box`` may put ink (mm): the box and a little round it."""
    pad = 0.8 * box.size
    return (box.x - pad, box.y - pad, box.x + box.size + pad, box.y + box.size + pad)


@pytest.mark.parametrize("mark", SESSION_17_MARKS)
def test_on_a_form_the_mark_is_on_the_value_the_truth_holds_and_nowhere_else(
    mark: TickMark,
) -> None:
    scratched_groups = 0
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
            dense = (_rgb(paper) < 200).any(axis=2)
            inked = []
            chosen = {b.field: b for b in page.boxes if b.ticked}
            for box in page.boxes:
                if box.ticked:  # every chosen option carries the mark
                    assert ink[region(paper, *_near(box))].any()
                elif ink[box_inside(paper, box, 0.0)].any():
                    # only a correction's mistaken ✓, scratched out, one a group at most
                    assert mark is TickMark.PEN_CHECK_CORRECTED, box.option
                    blacked = dense[box_inside(paper, box)].mean()
                    final = dense[box_inside(paper, chosen[box.field])].mean()
                    assert blacked > 0.6 and blacked > final + 0.2, box.option
                    assert box.field not in {b.field for b in inked}
                    inked.append(box)
            scratched_groups += len(inked)
            for box in [b for b in page.boxes if b.ticked] + inked:
                ink[region(paper, *_near(box))] = False
            assert not ink.any(), page.id  # nothing anywhere else on the page
    if mark is TickMark.PEN_CHECK_CORRECTED:
        assert scratched_groups >= 1


# --- the families ------------------------------------------------------------------------


def test_the_retired_families_are_tuned_and_the_new_withheld_ones_are_fresh() -> None:
    styles = load_styles()
    tuned = styles.of("tuned")
    tuned_marks = {m for f in tuned for m in f.ticks}
    # session 17's retired, and those of its new ones retired since (session 18's)
    for name in SESSION_17_RETIRED + SESSION_18_RETIRED:
        f = styles.family(name)
        assert f.split == "tuned" and set(f.ticks) <= tuned_marks, name
    assert not set(NEW_MARKS) & tuned_marks
    still = [n for n in SESSION_17_WITHHELD if n not in SESSION_18_RETIRED]
    assert still
    tuned_other = set().union(*(other_choices(f) for f in tuned))
    for name in SESSION_17_WITHHELD:
        f = styles.family(name)
        assert len(f.ticks) == 1 and f.ticks[0] in SESSION_17_MARKS, name
        if name in still:
            assert f.split == "withheld", name
            assert not set(f.ticks) & tuned_marks, name
            assert other_choices(f) - tuned_other, name  # more than its tick mark is new
    marks = {m for name in SESSION_17_WITHHELD for m in styles.family(name).ticks}
    assert marks == set(SESSION_17_MARKS)
    assert set(still) <= set(NEW_WITHHELD)
    assert {f.name for f in styles.of("withheld")} >= set(NEW_WITHHELD)


def _carried(families: list[StyleFamily]) -> set[tuple[str, object]]:
    out: set[tuple[str, object]] = set()
    for f in families:
        out |= {("mode", m) for m in f.scan.modes if m != "house"}
        out |= {("turned", True) for t in f.scan.turns if t}
        out |= {("holes", h) for h in f.scan.punched_holes if h}
        out |= {("shadow", h) for h in f.scan.binding_shadow if h}
        out |= {("photocopy", p) for p in f.scan.photocopy if p}
        out |= {("phone", p) for p in f.scan.phone_photo if p}
        out |= {("rules", r) for r in f.tables.rules if r != "house"}
        out |= {("merged", m) for m in f.tables.merged_cells if m}
        out |= {("lines", x) for x in f.tables.lists if x != "house"}
        out |= {("wrapped", w) for w in f.type.wrapped_options if w}
        out |= {("spaced", s) for s in f.type.spaced_labels if s}
        out |= {("hand", h.value) for h in f.handwriting.hands if h.value != "house"}
    return out


def test_the_new_withheld_families_carry_the_dimensions_the_retired_took() -> None:
    styles = load_styles()
    retired = [styles.family(n) for n in SESSION_17_RETIRED]
    new = [styles.family(n) for n in SESSION_17_WITHHELD]
    tuned = styles.of("tuned")
    assert _carried(retired) <= _carried(new)
    assert {("mode", "greyscale"), ("photocopy", True), ("phone", True)} <= _carried(new)
    # every dimension the tuned split carries, the withheld split carries too (and every
    # scan mode and ruling)
    tuned_carried, withheld_carried = _carried(list(tuned)), _carried(list(styles.of("withheld")))
    assert {k for k, _ in tuned_carried} <= {k for k, _ in withheld_carried}
    for kind in ("mode", "rules"):
        assert {c for c in tuned_carried if c[0] == kind} <= withheld_carried, kind
    tuned_skews = {f.scan.max_skew_deg for f in tuned}
    tuned_jpeg = {f.scan.jpeg_quality for f in tuned}
    tuned_dpi = {d for f in tuned for d in f.scan.dpi}
    for f in new:  # its own skew, JPEG range and dpi
        if f.name in SESSION_18_RETIRED:
            continue  # tuned since: its choices are the tuned split's now
        assert f.scan.max_skew_deg is not None and f.scan.max_skew_deg not in tuned_skews
        assert f.scan.jpeg_quality is not None and f.scan.jpeg_quality not in tuned_jpeg
        assert not set(f.scan.dpi) & tuned_dpi
        if TickMark.PEN_CHECK_PENCIL in f.ticks:  # a pencil's grey breaks up in 1-bit
            assert "bilevel" not in f.scan.modes
