"""Tick marks added in session 15 (issue 17) for the withheld families that replaced the
retired ones: the chosen option's words shaded grey in Word (every box left □), the other
options deleted so only the chosen words are left, the chosen words typed bold and
underlined (every box left □), a ◎ typed for the chosen □, and a heavy pen dot in the box.

Each mark is drawn where a person would read it as the choice, on the chosen option only;
a group left blank stays as printed; the values (the truth) never change with the mark.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from shenbao_lab.generator.layout import (
    PT,
    SHADING_GREY,
    UNDERLINE_PT,
    PageLayout,
    Text,
    TickBox,
)
from shenbao_lab.generator.paper import _Paper, mark_boxes, rasterise
from shenbao_lab.generator.pdf import ASCENT, render_pdf
from shenbao_lab.generator.styles import TickMark, load_styles

from pipeline.config import FieldSpec
from pipeline.model import Annex
from tests.lab.generator.paper_regions import box_inside, region, truly_marked_forms
from tests.lab.generator.withheld_history import (
    NEW_MARKS,
    NEW_WITHHELD,
    SESSION_15_MARKS,
    SESSION_15_RETIRED,
    other_choices,
)
from tests.rulebook import RULES

DPI = 200
OPTIONS = ["中央在黔企业", "省属企业", "市（州）属企业", "其他"]
WIDTHS = [40.0, 55.0, 62.0, 150.0]
CHOSEN = ["中央在黔企业", "市（州）属企业", "其他"]


def _spec(key: str = "affiliation") -> FieldSpec:
    return RULES.templates[Annex.PILOT].field(key)


def _group(
    mark: TickMark, width: float = 150.0, chosen: str | None = "省属企业", y: float = 20.0
) -> PageLayout:
    page = PageLayout("basic_info")
    page.tick_group(
        20, y, width, _spec(), OPTIONS, chosen, printed_tick=mark.typed, mark=mark,
        break_words=True,
    )  # fmt: skip
    return page


def _grey(page: PageLayout) -> np.ndarray:
    image = rasterise(render_pdf([page], title="t"), DPI).pop().convert("L")
    return np.asarray(image, dtype=np.float32)


PX = _Paper(Image.new("RGB", (1, 1)), DPI)  # only for its mm -> px


def _words(page: PageLayout) -> list[Text]:
    return [t for t in page.texts if t.role == "option:affiliation"]


def _glyphs(page: PageLayout) -> list[Text]:
    return [t for t in page.texts if t.role == "box:affiliation"]


def _chosen_parts(page: PageLayout) -> tuple[TickBox, list[Text]]:
    """The ticked box and the runs of its words (two where they run on at the next line)."""
    (box,) = [b for b in page.boxes if b.ticked]
    row = box.y - 0.15 * box.size  # the line the box is set on
    words = _words(page)
    head = next(
        t
        for t in words
        if t.x == pytest.approx(box.x + box.size + 1.0) and t.y == pytest.approx(row)
    )
    parts = [head]
    if box.run_on is not None:
        parts.append(next(t for t in words if t.x == 20 and t.y > head.y))
    assert "".join(t.text for t in parts) == box.option
    return box, parts


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# --- words shaded grey in Word -----------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("chosen", CHOSEN)
def test_shading_lies_behind_the_chosen_words_and_nothing_else(width: float, chosen: str) -> None:
    page = _group(TickMark.TYPED_SHADING, width, chosen)
    assert [t.text for t in _glyphs(page)] == ["□"] * 4  # every box left □
    _, parts = _chosen_parts(page)
    assert len(page.shades) == len(parts)  # both parts where the words run on
    for shade, words in zip(page.shades, parts, strict=True):
        x0, y0, x1, y1 = words.box
        assert (shade.x0, shade.x1) == (pytest.approx(x0), pytest.approx(x1))
        assert shade.y0 < y0 and shade.y1 > y1  # over the line's height
        assert shade.y1 - shade.y0 < 1.5 * (y1 - y0)  # not into the next line
    chosen_runs = {id(t) for t in parts}
    others = [t for t in _words(page) + _glyphs(page) if id(t) not in chosen_runs]
    for shade in page.shades:
        area = (shade.x0, shade.y0, shade.x1, shade.y1)
        assert not any(_overlaps(area, t.box) for t in others)
    assert not page.rules


def test_shading_prints_grey_behind_black_words() -> None:
    page = _group(TickMark.TYPED_SHADING)
    grey = _grey(page)
    (shade,) = page.shades
    shaded = grey[region(PX, shade.x0 + 0.1, shade.y0 + 0.1, shade.x1 - 0.1, shade.y1 - 0.1)]
    assert abs(float(np.median(shaded)) - 255 * SHADING_GREY) < 12  # Word's 25 % grey
    assert (shaded < 100).mean() > 0.05  # the words still printed black on it
    other = next(t for t in _words(page) if t.text == "市（州）属企业")
    x0, y0, x1, y1 = other.box
    assert float(np.median(grey[region(PX, x0, y0, x1, y1)])) > 245  # white paper elsewhere


# --- the other options deleted -----------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("chosen", CHOSEN)
def test_the_other_options_are_deleted_and_the_chosen_words_left_alone(
    width: float, chosen: str
) -> None:
    page = _group(TickMark.TYPED_OTHERS_DELETED, width, chosen)
    (words,) = _words(page)
    assert words.text == chosen and (words.x, words.y) == (20, 20)  # where the group began
    assert not _glyphs(page) and not page.rules and not page.shades  # no box left at all
    (box,) = page.boxes
    assert box.ticked and box.option == chosen and box.printed_tick
    grey = _grey(page)
    x0, y0, x1, y1 = words.box
    ink = grey < 128
    inside = region(PX, x0 - 0.3, y0 - 0.3, x1 + 0.3, y1 + 0.3)
    assert ink[inside].any()
    ink[inside] = False
    assert not ink.any()  # nothing printed but the chosen words


# --- words typed bold and underlined -----------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("chosen", CHOSEN)
def test_the_chosen_words_only_are_bold_and_underlined(width: float, chosen: str) -> None:
    page = _group(TickMark.TYPED_BOLD_UNDERLINE, width, chosen)
    assert [t.text for t in _glyphs(page)] == ["□"] * 4  # every box left □
    _, parts = _chosen_parts(page)
    assert [t for t in page.texts if t.bold] == parts
    assert len(page.rules) == len(parts)  # one underline a run of the words
    for rule, words in zip(page.rules, parts, strict=True):
        x0, y0, x1, _ = words.box
        em = words.size * PT
        assert (rule.x0, rule.x1) == (pytest.approx(x0), pytest.approx(x1))
        assert rule.y0 == rule.y1  # level
        assert (
            y0 + ASCENT * em < rule.y0 < y0 + 1.25 * em
        )  # under the baseline, above the next line
        assert rule.width == pytest.approx(UNDERLINE_PT * words.size)


def test_bold_underlined_words_print_heavier_with_a_line_under_them() -> None:
    chosen = _group(TickMark.TYPED_BOLD_UNDERLINE, y=20)
    plain = _group(TickMark.TYPED_BOLD_UNDERLINE, chosen=None, y=20)

    def measure(page: PageLayout) -> tuple[float, float]:
        words = next(t for t in _words(page) if t.text == "省属企业")
        x0, y0, x1, y1 = words.box
        ink = _grey(page) < 128
        body = float(ink[region(PX, x0, y0, x1, y0 + 0.95 * (y1 - y0))].mean())
        under = ink[region(PX, x0, y1 + 0.02, x1, y1 + 0.2 * (y1 - y0))]
        return body, float(under.any(axis=0).mean())  # the columns the line under covers

    (bold, underlined), (regular, bare) = measure(chosen), measure(plain)
    assert bold > 1.2 * regular  # bold: the strokes broader
    assert underlined > 0.95 and bare < 0.1  # a line under all of the words, none under others


# --- ◎ typed for □ -----------------------------------------------------------------------


def test_a_double_circle_is_typed_for_the_chosen_box_and_prints_as_rings() -> None:
    page = _group(TickMark.TYPED_DOUBLE_CIRCLE)
    glyphs = _glyphs(page)
    assert [t.text for t in glyphs] == ["□", "◎", "□", "□"]
    assert {t.font for t in glyphs} == {"song"}  # the text's own face (GB 2312 has ◎)
    assert not page.rules  # no ruled squares: the boxes are characters
    grey = _grey(page)

    def darkness(glyph: Text, r: float) -> float:
        """How much of the square ±r em about the glyph's middle is ink."""
        x0, y0, x1, _ = glyph.box
        em = glyph.size * PT
        cx, cy = (x0 + x1) / 2, y0 + em / 2
        return float(
            (grey[region(PX, cx - r * em, cy - r * em, cx + r * em, cy + r * em)] < 128).mean()
        )

    empty, rings = glyphs[0], glyphs[1]
    assert darkness(empty, 0.25) < 0.02 < 0.05 < darkness(rings, 0.25)  # an inner ring, no □
    assert darkness(rings, 0.12) < 0.05  # hollow in the middle: rings, not a ● or ■
    assert darkness(rings, 0.45) < 2 * darkness(empty, 0.45)  # about as much ink as □


# --- a heavy pen dot ---------------------------------------------------------------------


def _ink(image: Image.Image) -> np.ndarray:
    """Where the pen wrote: blue ink on the white page."""
    rgb = np.asarray(image, dtype=np.int16)
    return (rgb[..., 2] - rgb[..., 0]) > 40


def _pen(mark: TickMark, seed: int, chosen: str | None = "省属企业") -> tuple[PageLayout, _Paper]:
    page = _group(mark, chosen=chosen)
    paper = _Paper(Image.new("RGB", (1400, 600), "white"), DPI)
    mark_boxes(paper, page.boxes, np.random.default_rng(seed))
    return page, paper


@pytest.mark.parametrize("seed", range(6))
def test_a_pen_dot_is_a_solid_blot_inside_the_box(seed: int) -> None:
    page, paper = _pen(TickMark.PEN_DOT, seed)
    ink = _ink(paper.image)
    chosen = next(b for b in page.boxes if b.ticked)
    inside = ink[box_inside(paper, chosen, 0.0)]
    assert 0.15 < inside.mean() < 0.6  # a dot, not a fill
    ys, xs = np.nonzero(ink)
    margin = 0.12 * chosen.size  # within the box (a heavy hand may touch its border)
    assert paper.px(chosen.x - margin) < xs.min() and xs.max() < paper.px(
        chosen.x + chosen.size + margin
    )
    assert paper.px(chosen.y - margin) < ys.min() and ys.max() < paper.px(
        chosen.y + chosen.size + margin
    )
    cy, cx = float(ys.mean()), float(xs.mean())
    r = paper.px(0.12 * chosen.size)
    middle = ink[round(cy - r) : round(cy + r) + 1, round(cx - r) : round(cx + r) + 1]
    assert middle.mean() > 0.9  # solid in its middle (a scribble or a tick is open)
    for other in page.boxes:
        if other is not chosen:
            assert not ink[box_inside(paper, other, 0.0)].any()
    _, filled = _pen(TickMark.PEN_FILL, seed)
    assert _ink(filled.image)[box_inside(filled, chosen, 0.0)].mean() > inside.mean() + 0.15


# --- a group left blank, and whole forms -------------------------------------------------


@pytest.mark.parametrize("mark", SESSION_15_MARKS)
def test_a_group_left_blank_stays_as_printed(mark: TickMark) -> None:
    page, paper = _pen(mark, 0, chosen=None)
    assert [t.text for t in _words(page)] == OPTIONS  # nothing deleted
    assert not any(b.ticked for b in page.boxes) and len(page.boxes) == 4
    if mark.glyph_boxes:
        assert [t.text for t in _glyphs(page)] == ["□"] * 4
    assert not page.shades and not page.rules and not any(t.bold for t in page.texts)
    assert not _ink(paper.image).any()  # no pen on it


@pytest.mark.parametrize("mark", SESSION_15_MARKS)
def test_on_a_form_the_marked_option_is_the_value_the_truth_holds(mark: TickMark) -> None:
    for values, pages in truly_marked_forms(mark):
        for page in pages:
            for key in {b.field for b in page.boxes}:
                words = [t for t in page.texts if t.role == f"option:{key}"]
                value = str(values[key])
                if mark.deletes_others:  # only the value's words are left
                    assert "".join(t.text for t in words) == value, key
                marked = [t for t in words if t.bold or _shaded(page, t)]
                if mark.marks_words:  # the value's words, and only they, set apart
                    assert "".join(t.text for t in marked) == value, key
                else:
                    assert not marked, key


def _shaded(page: PageLayout, text: Text) -> bool:
    return any(_overlaps((s.x0, s.y0, s.x1, s.y1), text.box) for s in page.shades)


# --- the families ------------------------------------------------------------------------


def test_the_retired_families_are_tuned_and_the_new_withheld_ones_are_fresh() -> None:
    styles = load_styles()
    tuned = styles.of("tuned")
    tuned_marks = {m for f in tuned for m in f.ticks}
    withheld_marks = {m for f in styles.of("withheld") for m in f.ticks}
    for name in SESSION_15_RETIRED:
        f = styles.family(name)
        assert f.split == "tuned" and set(f.ticks) <= tuned_marks, name
    # bw-turned-glyph-cross's × typed over □ is still word-glyph-cross's: it types ☒ now
    assert styles.family("bw-turned-glyph-cross").ticks == (TickMark.TYPED_BALLOT_CROSS,)
    assert TickMark.TYPED_CROSS_GLYPH in withheld_marks - tuned_marks
    assert not set(NEW_MARKS) & tuned_marks
    tuned_other = set().union(*(other_choices(f) for f in tuned))
    for name in NEW_WITHHELD:
        f = styles.family(name)
        assert f.split == "withheld", name
        assert set(f.ticks) <= set(NEW_MARKS), name
        assert other_choices(f) - tuned_other, name  # more than its tick mark is new
    assert {m for name in NEW_WITHHELD for m in styles.family(name).ticks} == set(NEW_MARKS)
