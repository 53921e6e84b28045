"""Tick marks added in session 19 (issue 17) for the withheld families that replaced the
retired ones: a ✓ rubber stamp in violet stamp-pad ink pressed on the chosen box, and a
pen ✓ on the chosen box with, in about half the groups, another option's mistaken ✓
hidden under correction tape.

Each mark is drawn where a person would read it as the choice, on the chosen option only
(the tape hides a mistake, never the choice); a group left blank stays as printed; the
values (the truth) never change with the mark.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from shenbao_lab.generator.ink import (
    STAMP_INK,
    TAPE_WHITE,
    cover,
    render_check_stamp,
    render_tape,
    stamp,
)
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
    SESSION_19_MARKS,
    SESSION_19_RETIRED,
    SESSION_19_WITHHELD,
    SESSION_20_RETIRED,
    carried_dimensions,
    other_choices,
)
from tests.rulebook import RULES

DPI = 200
FORM_DPI = 100  # a whole page of pen marks
OPTIONS = ["中央在黔企业", "省属企业", "市（州）属企业", "其他"]
SIZE = 12.0  # pt: the taped family's type (its tape 5 mm on a 4 mm box)


def _spec(key: str = "affiliation") -> FieldSpec:
    return RULES.templates[Annex.PILOT].field(key)


def _group(mark: TickMark, width: float = 150.0, chosen: str | None = "省属企业") -> PageLayout:
    page = PageLayout("basic_info")
    page.tick_group(
        20, 20, width, _spec(), OPTIONS, chosen, printed_tick=mark.typed, mark=mark,
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


def _rgb(paper: _Paper) -> np.ndarray:
    return np.asarray(paper.image, dtype=np.int16)


def _grey(paper: _Paper) -> np.ndarray:
    return np.asarray(paper.image.convert("L"), dtype=np.float32)


def _violet(rgb: np.ndarray) -> np.ndarray:
    """Stamp-pad violet: blue and red both well above green (a seal's red has no blue, a
    ballpoint's blue no red)."""
    return (rgb[..., 0] - rgb[..., 1] > 15) & (rgb[..., 2] - rgb[..., 1] > 30)


def _blue(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 2] - rgb[..., 0]) > 40


def _chosen(page: PageLayout) -> TickBox:
    (box,) = [b for b in page.boxes if b.ticked]
    return box


# --- a ✓ rubber stamp ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_a_check_stamp_is_a_ring_with_a_check_inside_in_patchy_violet_ink(seed: int) -> None:
    size = 90
    image = render_check_stamp(size, np.random.default_rng(seed))
    rgba = np.asarray(image, dtype=np.float32)
    alpha = rgba[..., 3] / 255.0
    assert tuple(int(v) for v in rgba[alpha > 0.1][0, :3]) == STAMP_INK
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    r = np.hypot(xs - size / 2, ys - size / 2)
    theta = np.degrees(np.arctan2(ys - size / 2, xs - size / 2)) % 360
    # the ring: inked all round (a pen oval's ends overlap; a stamp's ring is whole)
    ring = (r > 0.36 * size) & (r < 0.5 * size)
    inked = [alpha[ring & (np.abs(theta - a) < 2.5)].max() > 0.25 for a in range(0, 360, 5)]
    assert sum(inked) >= 0.95 * len(inked)
    assert not (alpha[r > 0.52 * size] > 0.05).any()  # nothing outside the ring
    # the ✓ inside it: its turn below the middle, its arms wide
    inner = (alpha > 0.25) & (r < 0.35 * size)
    iy, ix = np.nonzero(inner)
    assert ix.size > 0.04 * size * size
    assert np.ptp(ix) > 0.35 * size and iy.max() > 0.6 * size
    # the pad's ink: patchy, not a pen's even line
    solid = alpha[alpha > 0.2]
    assert solid.std() / solid.mean() > 0.1
    assert 0.45 < float(np.median(solid)) < 0.98


@pytest.mark.parametrize("seed", range(6))
def test_a_check_stamp_lies_on_the_box_ringing_it_and_nothing_else(seed: int) -> None:
    page, paper, printed = _pen(TickMark.STAMP_CHECK, seed)
    rgb = _rgb(paper)
    violet = _violet(rgb)
    box = _chosen(page)
    s = box.size
    assert violet[box_inside(paper, box)].mean() > 0.08  # its ✓ on the box
    # its ring round the box, a little way out on every side, and no further
    mid0, mid1 = box.y + 0.15 * s, box.y + 0.85 * s
    c0, c1 = box.x + 0.15 * s, box.x + 0.85 * s
    sides = [
        (box.x - 0.8 * s, mid0, box.x - 0.15 * s, mid1),
        (box.x + 1.15 * s, mid0, box.x + 1.8 * s, mid1),
        (c0, box.y - 0.8 * s, c1, box.y - 0.15 * s),
        (c0, box.y + 1.15 * s, c1, box.y + 1.8 * s),
    ]
    for side in sides:
        assert violet[region(paper, *side)].any(), side
    near = np.zeros_like(violet)
    near[region(paper, box.x - 0.9 * s, box.y - 0.9 * s, box.x + 1.9 * s, box.y + 1.9 * s)] = True
    assert not (violet & ~near).any()
    # not to the next option; the other boxes and words as printed
    assert not violet[region(paper, box.x + s + 1.0 + box.label_w, 0, PAGE_W, PAGE_H)].any()
    changed = np.abs(_grey(paper) - _grey(printed)) > 40
    for other in page.boxes:
        if other is not box:
            assert not changed[region(paper, other.x - 0.3, other.y - 0.3, other.x + s + 0.3,
                                      other.y + s + 0.3)].any()  # fmt: skip
    # plainly seen in a greyscale scan, lighter than black print
    grey = _grey(paper)
    assert 60 < float(np.percentile(grey[violet], 10)) < 150


# --- correction tape over a mistaken ✓ ----------------------------------------------------


def test_tape_is_a_white_film_with_shadowed_edges_that_hides_what_it_covers() -> None:
    rng = np.random.default_rng(3)
    tape = np.asarray(render_tape(160, 40, rng), dtype=np.float32)
    body = tape[8:-8, 8:-8]
    assert (body[..., 3] / 255.0 > 0.9).all()
    assert (np.abs(body[..., :3] - np.asarray(TAPE_WHITE)) < 1).all()
    for edge in (tape[0], tape[-1]):  # the long edges: a grey shadow line
        assert (edge[4:-4, :3] < 200).all() and (edge[4:-4, 3] > 0.5 * 255).all()
    # laid on black print it hides it (a stamp's ink only darkens the page)
    page = Image.new("RGB", (300, 120), "white")
    page.paste((0, 0, 0), (60, 30, 240, 90))
    covered, _ = cover(page, render_tape(220, 80, rng), center=(150, 60), angle_deg=0.0)
    under = np.asarray(covered.convert("L"), dtype=np.float32)[35:85, 65:235]
    assert under.min() > 230
    inked, _ = stamp(page, render_tape(220, 80, rng), center=(150, 60), angle_deg=0.0, rng=rng)
    assert np.asarray(inked.convert("L"))[35:85, 65:235].max() < 30


def _border(paper: _Paper, box: TickBox) -> tuple[slice, slice]:
    return region(paper, box.x - 0.2, box.y - 0.2, box.x + box.size + 0.2, box.y + box.size + 0.2)


def test_a_taped_tick_hides_a_mistaken_box_and_the_choice_keeps_its_tick() -> None:
    taped_groups = plain_groups = 0
    for seed in range(16):
        page, paper, printed = _pen(TickMark.PEN_CHECK_TAPED, seed, chosen="市（州）属企业")
        grey, before = _grey(paper), _grey(printed)
        changed = np.abs(grey - before) > 40
        box = _chosen(page)
        s = box.size
        # the choice: a plain pen ✓, turned in the box, its flick up to its top edge
        ink = _blue(_rgb(paper))
        assert 0.04 < ink[box_inside(paper, box)].mean() < 0.45
        near = region(paper, box.x - 0.3 * s, box.y - 0.8 * s, box.x + 1.6 * s, box.y + 1.3 * s)
        ys, _ = np.nonzero(ink[near])
        assert ys.min() + near[0].start < paper.px(box.y + 0.1 * s)
        taped = [b for b in page.boxes if b is not box and changed[_border(paper, b)].any()]
        assert len(taped) <= 1  # one mistake a group at most
        if not taped:
            plain_groups += 1
            continue
        taped_groups += 1
        (wrong,) = taped
        # its rules and the ✓ on it hidden under the tape: no more than a faint ghost
        rules = (before < 100) & _mask(paper, _border(paper, wrong))
        assert rules.sum() > 0 and (grey[rules] > 200).mean() > 0.95
        assert grey[box_inside(paper, wrong)].min() > 200
        # the tape from before the box to just past it, its edges a thin grey shadow
        mid = wrong.y + 0.5 * s
        before_box = region(paper, wrong.x - 1.2, mid - 0.3 * s, wrong.x - 0.2, mid + 0.3 * s)
        assert changed[before_box].any() or (grey[before_box] > 245).all()
        above = region(paper, wrong.x, wrong.y - 0.3 * s, wrong.x + s, wrong.y - 0.02 * s)
        below = region(paper, wrong.x, wrong.y + 1.02 * s, wrong.x + s, wrong.y + 1.3 * s)
        assert grey[above].min() < 235 and grey[below].min() < 235
        # the words left as printed: the tape stops short of them
        words = region(paper, wrong.x + s + 1.0, wrong.y, wrong.x + s + 1.0 + wrong.label_w,
                       wrong.y + s)  # fmt: skip
        assert not changed[words].any()
        # and the group's other boxes untouched
        for other in page.boxes:
            if other is not box and other is not wrong:
                assert not changed[_border(paper, other)].any()
    assert taped_groups >= 4 and plain_groups >= 4  # both happen


def _mask(paper: _Paper, where: tuple[slice, slice]) -> np.ndarray:
    size = paper.image.size
    out = np.zeros((size[1], size[0]), dtype=bool)
    out[where] = True
    return out


# --- a group left blank, and whole forms -------------------------------------------------


@pytest.mark.parametrize("mark", SESSION_19_MARKS)
@pytest.mark.parametrize("seed", range(3))
def test_a_group_left_blank_stays_as_printed(mark: TickMark, seed: int) -> None:
    page = _group(mark, chosen=None)
    assert not any(b.ticked for b in page.boxes) and len(page.boxes) == 4
    ruled = _group(TickMark.PEN_CROSS, chosen=None)  # the print of any pen form
    assert [(t.text, t.x, t.y) for t in page.texts] == [(t.text, t.x, t.y) for t in ruled.texts]
    assert page.rules == ruled.rules and not page.shades
    paper = _Paper(Image.new("RGB", (1400, 600), "white"), DPI)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    assert not (_rgb(paper) < 250).any()  # no ink, no tape


def _near(box: TickBox) -> tuple[float, float, float, float]:
    """Where a mark on ``box`` may put ink or tape (mm): the box and a little round it."""
    pad = 0.9 * box.size
    return (box.x - pad - 1.6, box.y - pad, box.x + box.size + pad, box.y + box.size + pad)


@pytest.mark.parametrize("mark", SESSION_19_MARKS)
def test_on_a_form_the_mark_is_on_the_value_the_truth_holds_and_nowhere_else(
    mark: TickMark,
) -> None:
    taped = 0
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
            rgb = _rgb(paper)
            ink = (rgb < 245).any(axis=2)
            for box in page.boxes:
                if box.ticked:  # every chosen option carries the mark
                    assert ink[region(paper, *_near(box))].any()
            grey = np.asarray(paper.image.convert("L"), dtype=np.float32)
            for key in {b.field for b in page.boxes}:
                group = [b for b in page.boxes if b.field == key]
                # no other box carries ink (under tape, a faint ghost at most)
                inside = [grey[box_inside(paper, b)].min() for b in group if not b.ticked]
                marked = [v for v in inside if v < 200]
                assert not marked, key
                if mark is TickMark.STAMP_CHECK:
                    assert not any(ink[box_inside(paper, b)].any() for b in group if not b.ticked)
                if mark is TickMark.PEN_CHECK_TAPED:
                    # a taped box: the tape's edges, grey, above and below it
                    edged = [
                        b
                        for b in group
                        if not b.ticked
                        and ink[region(paper, b.x, b.y - 0.35 * b.size, b.x + b.size, b.y)].any()
                    ]
                    assert len(edged) <= 1, key
                    for b in edged:
                        where = region(paper, *_near(b))
                        spread = rgb[where].max(axis=-1) - rgb[where].min(axis=-1)
                        assert spread[ink[where]].max() < 40  # grey: the film's shadow
                        ink[where] = False
                    taped += len(edged)
            if mark is TickMark.STAMP_CHECK:
                assert _violet(rgb).sum() > 0.5 * ink.sum()  # the stamp's ink is violet
            for box in page.boxes:
                if box.ticked:
                    ink[region(paper, *_near(box))] = False
            assert not ink.any(), page.id  # nothing anywhere else on the page
    if mark is TickMark.PEN_CHECK_TAPED:
        assert taped >= 2


# --- the families ------------------------------------------------------------------------


def test_the_retired_families_are_tuned_and_the_new_withheld_ones_are_fresh() -> None:
    styles = load_styles()
    tuned = styles.of("tuned")
    tuned_marks = {m for f in tuned for m in f.ticks}
    # session 19's retired, and those of its new ones retired since (session 20's)
    for name in SESSION_19_RETIRED + SESSION_20_RETIRED:
        f = styles.family(name)
        assert f.split == "tuned" and set(f.ticks) <= tuned_marks, name
    assert not set(NEW_MARKS) & tuned_marks
    still = [n for n in SESSION_19_WITHHELD if n not in SESSION_20_RETIRED]
    assert still
    tuned_other = set().union(*(other_choices(f) for f in tuned))
    for name in SESSION_19_WITHHELD:
        f = styles.family(name)
        assert len(f.ticks) == 1 and f.ticks[0] in SESSION_19_MARKS, name
        if name in still:
            assert f.split == "withheld", name
            assert not set(f.ticks) & tuned_marks, name
            assert other_choices(f) - tuned_other, name  # more than its tick mark is new
    marks = {m for name in SESSION_19_WITHHELD for m in styles.family(name).ticks}
    assert marks == set(SESSION_19_MARKS)
    assert set(still) <= set(NEW_WITHHELD)
    assert {f.name for f in styles.of("withheld")} == set(NEW_WITHHELD) | {
        "word-glyph-check",
        "word-glyph-cross",
    }
    # no two withheld families share a mark
    withheld_marks = [m for f in styles.of("withheld") for m in f.ticks]
    assert len(withheld_marks) == len(set(withheld_marks))


def test_the_new_withheld_families_carry_the_dimensions_the_retired_took() -> None:
    styles = load_styles()
    retired = [styles.family(n) for n in SESSION_19_RETIRED]
    new = [styles.family(n) for n in SESSION_19_WITHHELD]
    tuned = styles.of("tuned")
    assert carried_dimensions(retired) <= carried_dimensions(new)
    assert {
        ("mode", "greyscale"),
        ("phone", True),
        ("turn", 90),
        ("holes", True),
        ("rules", "thick"),
        ("lines", "lines"),
        ("wrapped", True),
        ("spaced", True),
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
    others = [f for f in styles.families if f.name not in SESSION_19_WITHHELD]
    used_skews = {f.scan.max_skew_deg for f in others}
    used_jpeg = {f.scan.jpeg_quality for f in others}
    used_dpi = {d for f in others for d in f.scan.dpi}
    for f in new:  # its own skew, JPEG range and dpi: no other family's, tuned or withheld
        assert f.scan.max_skew_deg is not None and f.scan.max_skew_deg not in used_skews
        assert f.scan.jpeg_quality is not None and f.scan.jpeg_quality not in used_jpeg
        assert not set(f.scan.dpi) & used_dpi
        if TickMark.STAMP_CHECK in f.ticks:  # the stamp's violet is part of what one sees
            assert set(f.scan.modes) == {"house"} and not any(f.scan.photocopy)
