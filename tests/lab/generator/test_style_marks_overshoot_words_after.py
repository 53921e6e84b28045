"""Tick marks added in session 14 (issue 17) for the withheld families that replaced the
retired ones: a big pen × overshooting the box on every side, a pen ✓ over the chosen
option's words (the box left empty), a √ typed after the chosen option's words (every box
left □), a ● typed for the chosen □, and an open pen scribble over the box.

Each mark is drawn where a person would read it as the choice, on the chosen option only;
the values (the truth) never change with the mark.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from shenbao_lab.generator.layout import AFTER_GAP, PageLayout, Text
from shenbao_lab.generator.paper import _Paper, mark_boxes, rasterise
from shenbao_lab.generator.pdf import render_pdf
from shenbao_lab.generator.styles import TickMark, load_styles

from pipeline.config import FieldSpec
from pipeline.model import Annex
from tests.lab.generator.paper_regions import box_inside, region, truly_marked_forms
from tests.lab.generator.withheld_history import (
    SESSION_14_MARKS,
    SESSION_14_RETIRED,
    SESSION_14_WITHHELD,
    SESSION_15_RETIRED,
    SESSION_17_RETIRED,
    other_choices,
)
from tests.rulebook import RULES

DPI = 200
OPTIONS = ["国有企业", "民营企业", "外资企业"]


def _spec(key: str = "org_nature") -> FieldSpec:
    return RULES.templates[Annex.PILOT].field(key)


def _ink(image: Image.Image) -> np.ndarray:
    """Where the pen wrote: blue ink on the white page."""
    rgb = np.asarray(image, dtype=np.int16)
    return (rgb[..., 2] - rgb[..., 0]) > 40


def _pen(mark: TickMark, seed: int) -> tuple[PageLayout, _Paper]:
    page = PageLayout("basic_info")
    page.tick_group(20, 20, 150.0, _spec(), OPTIONS, "民营企业", printed_tick=False, mark=mark)
    paper = _Paper(Image.new("RGB", (1400, 600), "white"), DPI)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    return page, paper


# --- pen marks ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_a_big_cross_runs_out_past_every_side_of_the_box(seed: int) -> None:
    page, paper = _pen(TickMark.PEN_CROSS_OVERSHOOT, seed)
    ink = _ink(paper.image)
    first, chosen, third = page.boxes
    assert ink[box_inside(paper, chosen)].mean() > 0.04  # through the box
    ys, xs = np.nonzero(ink)
    out = 0.2 * chosen.size  # its arms end well past each side
    assert xs.min() < paper.px(chosen.x - out) and xs.max() > paper.px(chosen.x + chosen.size + out)
    assert ys.min() < paper.px(chosen.y - out) and ys.max() > paper.px(chosen.y + chosen.size + out)
    assert xs.max() - xs.min() > paper.px(1.4 * chosen.size)  # a pen × stays about the box
    for other in (first, third):  # nothing on the options not chosen
        assert not ink[box_inside(paper, other, 0.0)].any()
    _, small = _pen(TickMark.PEN_CROSS, seed)
    sys, sxs = np.nonzero(_ink(small.image))
    assert np.ptp(xs) > 1.3 * np.ptp(sxs) and np.ptp(ys) > 1.3 * np.ptp(sys)


@pytest.mark.parametrize("seed", range(6))
def test_a_tick_on_the_words_lies_over_them_and_leaves_the_box_empty(seed: int) -> None:
    page, paper = _pen(TickMark.PEN_CHECK_WORDS, seed)
    ink = _ink(paper.image)
    chosen = page.boxes[1]
    for box in page.boxes:
        assert ink[box_inside(paper, box, 0.0)].mean() < 0.005  # every box left empty
    ys, xs = np.nonzero(ink)
    words = (chosen.x + chosen.size + 1.0, chosen.x + chosen.size + 1.0 + chosen.label_w)
    assert paper.px(words[0]) <= xs.min() and xs.max() <= paper.px(words[1])  # on the words
    assert np.ptp(ys) > paper.px(1.1 * chosen.size)  # taller than the words' line
    mid_row = paper.px(chosen.y + chosen.size / 2)
    assert ys.min() < mid_row < ys.max()  # across the words, not above or under them
    assert paper.px(chosen.y - chosen.size) < ys.min()
    assert ys.max() < paper.px(chosen.y + 1.6 * chosen.size)


@pytest.mark.parametrize("seed", range(6))
def test_a_scribble_covers_the_box_openly_unlike_a_fill(seed: int) -> None:
    page, paper = _pen(TickMark.PEN_SCRIBBLE, seed)
    ink = _ink(paper.image)
    first, chosen, third = page.boxes
    inside = ink[box_inside(paper, chosen)]
    assert 0.1 < inside.mean() < 0.5  # much of the box inked, the paper showing between
    h, w = inside.shape
    for quarter in (inside[: h // 2, : w // 2], inside[: h // 2, w // 2 :]):
        assert quarter.mean() > 0.03  # over the whole box, not one stroke in a corner
    for quarter in (inside[h // 2 :, : w // 2], inside[h // 2 :, w // 2 :]):
        assert quarter.mean() > 0.03
    _, filled = _pen(TickMark.PEN_FILL, seed)
    assert _ink(filled.image)[box_inside(filled, chosen)].mean() > inside.mean() + 0.2
    for other in (first, third):
        assert not ink[box_inside(paper, other, 0.0)].any()


# --- typed marks -------------------------------------------------------------------------


def _typed(mark: TickMark, width: float = 150.0, chosen: str = "民营企业") -> PageLayout:
    page = PageLayout("basic_info")
    options = ["中央在黔企业", "省属企业", "市（州）属企业", "其他"]
    page.tick_group(
        20, 20, width, _spec("affiliation"), options, chosen, printed_tick=True, mark=mark,
        break_words=True,
    )  # fmt: skip
    return page


@pytest.mark.parametrize("width", [40.0, 48.0, 55.0, 62.0, 70.0, 150.0])
@pytest.mark.parametrize("chosen", ["中央在黔企业", "市（州）属企业", "其他"])
def test_a_check_typed_after_the_words_follows_the_chosen_option_only(
    width: float, chosen: str
) -> None:
    page = _typed(TickMark.TYPED_CHECK_AFTER, width, chosen)
    glyphs = [t for t in page.texts if t.role == "box:affiliation"]
    assert [t.text for t in glyphs].count("□") == 4  # every box left □
    (check,) = [t for t in glyphs if t.text == "√"]
    words = [t for t in page.texts if t.role == "option:affiliation"]
    assert "".join(t.text for t in words) == "中央在黔企业省属企业市（州）属企业其他"
    # the last run of the chosen option's words (the rest of them, where they run on)
    (box,) = [b for b in page.boxes if b.ticked]
    assert box.option == chosen
    row = box.y - 0.15 * box.size  # the line the box is set on
    head = next(t for t in words if t.x == box.x + box.size + 1.0 and t.y == pytest.approx(row))
    last = head
    if box.run_on is not None:
        last = next(t for t in words if t.x == 20 and t.y > head.y)
        assert head.text + last.text == chosen
    else:
        assert head.text == chosen
    assert check.x == pytest.approx(last.box[2] + AFTER_GAP) and check.y == last.y
    ends = [t.box[2] for t in (*words, check)]
    assert max(ends) <= 20 + width + 0.01  # nothing past the cell's edge
    later = [t for t in words + glyphs if t.y == check.y and t.x > check.x]
    assert all(t.x >= check.box[2] for t in later)  # the √ never overlaps what follows


def test_a_black_circle_is_typed_for_the_chosen_box_and_prints_solid() -> None:
    page = _typed(TickMark.TYPED_BLACK_CIRCLE, chosen="省属企业")
    glyphs = [t for t in page.texts if t.role == "box:affiliation"]
    assert [t.text for t in glyphs] == ["□", "●", "□", "□"]
    assert {t.font for t in glyphs} == {"song"}  # the text's own face (GB 2312 has ●)
    image = rasterise(render_pdf([page], title="t"), DPI).pop().convert("L")
    grey = np.asarray(image, dtype=np.float32)
    paper = _Paper(image, DPI)

    def darkness(glyph: Text) -> float:
        """How much of the glyph's middle (a third of its size each way) is ink."""
        x0, y0, x1, y1 = glyph.box
        cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 6
        return float((grey[region(paper, cx - r, cy - r, cx + r, cy + r)] < 128).mean())

    empty, dot = glyphs[0], glyphs[1]
    assert darkness(dot) > 0.9 and darkness(empty) < 0.05  # solid, where □ is open
    assert not page.rules  # no ruled squares: the boxes are characters


def test_a_typed_check_after_renders_where_the_layout_puts_it() -> None:
    page = _typed(TickMark.TYPED_CHECK_AFTER, chosen="其他")
    (check,) = [t for t in page.texts if t.text == "√"]
    image = rasterise(render_pdf([page], title="t"), DPI).pop().convert("L")
    grey = np.asarray(image, dtype=np.float32)
    paper = _Paper(image, DPI)
    x0, y0, x1, y1 = check.box
    assert (grey[region(paper, x0, y0, x1, y1)] < 128).any()  # ink where the √ is set
    gap = region(paper, x0 - AFTER_GAP, y0, x0 - 0.05, y1)
    assert (grey[gap] < 128).mean() < 0.2  # just after the words, not on them


# --- on a whole form: the chosen option, and only it, carries the mark --------------------


@pytest.mark.parametrize("mark", SESSION_14_MARKS)
def test_on_a_form_the_marked_option_is_the_value_the_truth_holds(mark: TickMark) -> None:
    for values, pages in truly_marked_forms(mark):
        if mark is TickMark.TYPED_CHECK_AFTER:
            for page in pages:
                checks = [t for t in page.texts if t.text == "√"]
                for check in checks:  # each right after its group's chosen words
                    key = check.role.removeprefix("box:")
                    before = [
                        t
                        for t in page.texts
                        if t.role == f"option:{key}"
                        and t.y == check.y
                        and t.box[2] == pytest.approx(check.x - AFTER_GAP)
                    ]
                    assert len(before) == 1 and str(values[key]).endswith(before[0].text)


# --- the families ------------------------------------------------------------------------


def test_session_14s_families_are_retired_or_still_withheld_and_fresh() -> None:
    styles = load_styles()
    tuned = styles.of("tuned")
    for name in SESSION_14_RETIRED:
        assert styles.family(name).split == "tuned"
    tuned_marks = {m for f in tuned for m in f.ticks}
    assert {TickMark.PEN_STRIKE_OTHERS, TickMark.PEN_CHECK_FAINT} <= tuned_marks
    tuned_other = set().union(*(other_choices(f) for f in tuned))
    for name in SESSION_14_WITHHELD:
        f = styles.family(name)
        assert set(f.ticks) <= set(SESSION_14_MARKS), name
        if name in SESSION_15_RETIRED + SESSION_17_RETIRED:  # retired since, its mark with it
            assert f.split == "tuned" and set(f.ticks) <= tuned_marks, name
            continue
        assert f.split == "withheld", name
        assert not set(f.ticks) & tuned_marks, name
        assert other_choices(f) - tuned_other, name  # more than its tick mark is new
