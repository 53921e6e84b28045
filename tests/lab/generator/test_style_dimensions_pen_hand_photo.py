"""Style dimensions added in session 13 (issue 17): pen strikes and slashes, faint ticks,
options broken at a narrow cell's edge, list items a line each, hands and inks for the
opinion and its date, and a phone photo of the page.

Each is data in ``styles.yaml``, checked when loaded, drawn once per submission from the
style's own stream; the house draws none of them, and the truth (the values) never
changes with the look.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw
from shenbao_lab.generator.applicant import make_applicant
from shenbao_lab.generator.corpus import Context
from shenbao_lab.generator.fonts import fonts
from shenbao_lab.generator.ink import HANDS, INKS, render_handwriting
from shenbao_lab.generator.layout import (
    LABEL_COLUMN,
    MARGIN,
    PAGE_H,
    WIDE_LABEL_COLUMN,
    FormLayout,
    PageLayout,
    TickBox,
)
from shenbao_lab.generator.paper import _Paper, mark_boxes
from shenbao_lab.generator.scanner import phone_photo, warp_box
from shenbao_lab.generator.styles import (
    HOUSE,
    Hand,
    Style,
    TickMark,
    TypeStyle,
    draw_style,
    load_styles,
)

from pipeline.config import FieldSpec
from pipeline.model import Annex
from tests.lab.generator.paper_regions import box_inside, region
from tests.lab.generator.withheld_history import NEW_WITHHELD
from tests.rulebook import RULES

DPI = 200
OPTIONS = ["国有企业", "民营企业", "外资企业"]


def _ink(image: Image.Image) -> np.ndarray:
    """Where the pen wrote: blue ink on the white page."""
    rgb = np.asarray(image, dtype=np.int16)
    return (rgb[..., 2] - rgb[..., 0]) > 40


def _spec(key: str = "org_nature") -> FieldSpec:
    return RULES.templates[Annex.PILOT].field(key)


def _group(
    mark: TickMark, chosen: str | None, *, width: float = 150.0, options: list[str] = OPTIONS
) -> tuple[PageLayout, _Paper]:
    page = PageLayout("basic_info")
    page.tick_group(
        20, 20, width, _spec(), options, chosen, printed_tick=False, mark=mark, break_words=True
    )
    paper = _Paper(Image.new("RGB", (1400, 600), "white"), DPI)
    mark_boxes(paper, page.boxes, np.random.default_rng(4))
    return page, paper


def _words(paper: _Paper, box: TickBox) -> tuple[slice, slice]:
    x = box.x + box.size + 1.0
    return region(paper, x, box.y - 0.2, x + box.label_w, box.y + box.size)


def _struck(ink: np.ndarray, paper: _Paper, box: TickBox) -> bool:
    """A pen line runs through the words: most of their columns have ink."""
    return float(ink[_words(paper, box)].any(axis=0).mean()) > 0.85


# --- tick marks ------------------------------------------------------------------------


@pytest.mark.parametrize("mark", [TickMark.PEN_CIRCLE_STRIKE, TickMark.PEN_STRIKE_OTHERS])
def test_the_options_not_chosen_are_struck_through_their_words(mark: TickMark) -> None:
    page, paper = _group(mark, "民营企业")
    ink = _ink(paper.image)
    first, chosen, third = page.boxes
    assert _struck(ink, paper, first) and _struck(ink, paper, third)
    assert not _struck(ink, paper, chosen)
    for box in page.boxes:  # the boxes themselves stay (nearly) empty
        assert ink[box_inside(paper, box)].mean() < 0.03
    ring = ink[region(paper, chosen.x - 2, chosen.y - 3, chosen.x - 0.3, chosen.y + 5)]
    if mark is TickMark.PEN_CIRCLE_STRIKE:  # the chosen option is ringed
        assert ring.any()
    else:  # nothing on the one left standing
        assert not ring.any() and not ink[_words(paper, chosen)].any()


def test_a_group_left_blank_is_not_struck() -> None:
    _, paper = _group(TickMark.PEN_STRIKE_OTHERS, None)
    assert not _ink(paper.image).any()


def test_a_slash_runs_corner_to_corner_through_the_box() -> None:
    page, paper = _group(TickMark.PEN_SLASH, "民营企业")
    ink = _ink(paper.image)
    box = page.boxes[1]
    half = box.size / 2
    low_left = ink[region(paper, box.x, box.y + half, box.x + half, box.y + box.size)].mean()
    up_right = ink[region(paper, box.x + half, box.y, box.x + box.size, box.y + half)].mean()
    up_left = ink[region(paper, box.x, box.y, box.x + half * 0.6, box.y + half * 0.6)].mean()
    assert low_left > 0.04 and up_right > 0.04
    assert up_left < 0.01  # a /, not a × or a fill
    assert not ink[box_inside(paper, page.boxes[0])].any()


def test_a_faint_tick_is_small_inside_the_box_and_paler_than_a_pen_tick() -> None:
    page, paper = _group(TickMark.PEN_CHECK_FAINT, "民营企业")
    _, pen = _group(TickMark.PEN_CHECK_LARGE, "民营企业")
    box = page.boxes[1]
    grey = np.asarray(paper.image.convert("L"), dtype=np.float32)
    inked = grey < 250
    ys, xs = np.nonzero(inked)
    assert xs.size
    pad = 0.25 * box.size
    assert paper.px(box.x - pad) <= xs.min() and xs.max() <= paper.px(box.x + box.size + pad)
    assert paper.px(box.y - pad) <= ys.min() and ys.max() <= paper.px(box.y + box.size + pad)
    pen_grey = np.asarray(pen.image.convert("L"), dtype=np.float32)
    assert grey.min() > pen_grey.min() + 40  # its darkest stroke is far lighter


# --- options broken at a narrow cell's edge ---------------------------------------------


def test_an_option_that_does_not_fit_is_broken_and_runs_on_at_the_next_line() -> None:
    options = ["中央在黔企业", "省属企业", "市（州）属企业", "其他"]
    for width in (40.0, 48.0, 55.0, 62.0, 70.0):
        page = PageLayout("basic_info")
        page.tick_group(
            20, 20, width, _spec("affiliation"), options, "其他", printed_tick=True,
            break_words=True,
        )  # fmt: skip
        runs = [t for t in page.texts if t.role == "option:affiliation"]
        assert "".join(t.text for t in runs) == "".join(options)  # every word, in order
        assert all(t.box[2] <= 20 + width + 0.01 for t in runs)  # none past the cell's edge
        for box in page.boxes:
            if box.run_on is None:
                continue
            head = next(t for t in runs if t.x == box.x + box.size + 1.0 and t.y < box.y)
            tail = next(t for t in runs if t.x == 20 and t.y > head.y)
            assert head.text + tail.text == box.option
            assert box.run_on[0] == 20 and box.run_on[1] > box.y
            assert not head.text.endswith("（") and not tail.text.startswith("）")
    house = PageLayout("basic_info")
    house.tick_group(20, 20, 55.0, _spec("affiliation"), options, "其他", printed_tick=True)
    assert {t.text for t in house.texts if t.role == "option:affiliation"} == set(options)


def _layout(style: Style, annex: Annex = Annex.PILOT, index: int = 1) -> dict[str, PageLayout]:
    ctx = Context(RULES.templates, RULES.campaign, RULES.export_columns)
    template = ctx.templates[annex]
    rng = np.random.default_rng([5, 0])
    applicant = make_applicant(index, annex, template, ctx.campaign, ctx.online_keys, rng)
    pages = FormLayout(applicant, template, ctx.campaign, paper=True, style=style).pages()
    return {p.id: p for p in pages}


def _styled(**changes: object) -> Style:
    return Style(family="t", split="tuned", ticks=TickMark.TYPED_CHECK).model_copy(update=changes)


def test_a_narrow_option_cell_breaks_the_basic_information_groups() -> None:
    wide = _styled(type=TypeStyle(size=12.0, wrapped_options=True))
    basic = _layout(wide)["basic_info"]
    label_ends = [t.box[2] for t in basic.texts if t.role.startswith("label:")]
    assert max(label_ends) < MARGIN + WIDE_LABEL_COLUMN
    boxes = [b for b in basic.boxes if b.field == "org_nature"]
    assert min(b.x for b in boxes) > MARGIN + WIDE_LABEL_COLUMN
    assert any(b.run_on is not None for b in basic.boxes)
    house = _layout(HOUSE)["basic_info"]
    assert min(b.x for b in house.boxes if b.field == "org_nature") < MARGIN + WIDE_LABEL_COLUMN
    assert min(b.x for b in house.boxes) > MARGIN + LABEL_COLUMN
    assert all(b.run_on is None for b in house.boxes)
    for annex in (Annex.PILOT, Annex.CERTIFICATION):  # still on the sheet
        for page in _layout(wide, annex).values():
            ink = [t.box[3] for t in page.texts if t.role != "page_number"]
            assert max(ink, default=0.0) < PAGE_H - 16, page.id


# --- list items a line each -------------------------------------------------------------


def test_a_list_cell_sets_each_item_on_a_line_of_its_own() -> None:
    ctx = Context(RULES.templates, RULES.campaign, RULES.export_columns)
    template = ctx.templates[Annex.PILOT]
    for index in range(1, 12):
        rng = np.random.default_rng([5, 0])
        applicant = make_applicant(index, Annex.PILOT, template, ctx.campaign, ctx.online_keys, rng)
        items = applicant.values.get("platforms") or []
        if len(items) >= 2:
            break
    else:
        pytest.fail("no applicant with two platforms")
    pages = FormLayout(
        applicant, template, ctx.campaign, paper=True, style=_styled(lists="lines")
    ).pages()
    runs = [t for p in pages for t in p.texts if t.role == "value:platforms"]
    assert "".join(t.text for t in runs) == "".join(str(i) for i in items)  # no separator
    assert len({t.y for t in runs}) >= len(items)  # a line (or more) each
    starts = {round(t.y, 3) for t in runs if any(t.text == str(i)[: len(t.text)] for i in items)}
    assert len(starts) >= len(items)
    house = FormLayout(applicant, template, ctx.campaign, paper=True, style=HOUSE).pages()
    joined = "".join(t.text for p in house for t in p.texts if t.role == "value:platforms")
    assert joined == applicant.printed["platforms"]  # the house joins them in one run


# --- merged cells -----------------------------------------------------------------------


def test_a_run_of_members_of_one_type_shares_a_merged_type_cell() -> None:
    ctx = Context(RULES.templates, RULES.campaign, RULES.export_columns)
    template = ctx.templates[Annex.PILOT]
    for index in range(1, 40):
        rng = np.random.default_rng([5, index])
        applicant = make_applicant(index, Annex.PILOT, template, ctx.campaign, ctx.online_keys, rng)
        kinds = [m.type for m in applicant.values.get("members") or []]  # type: ignore[union-attr]
        if any(a == b for a, b in itertools.pairwise(kinds)):
            break
    else:
        pytest.fail("no applicant with two members of one type in a row")

    def members(style: Style) -> PageLayout:
        pages = FormLayout(applicant, template, ctx.campaign, paper=True, style=style).pages()
        return next(p for p in pages if p.id == "members")

    house, merged = members(HOUSE), members(_styled(merged_cells=True))
    house_types = [t for t in house.texts if t.role == "members.type"]
    merged_types = [t for t in merged.texts if t.role == "members.type"]
    assert [t.text for t in house_types] == kinds  # the house writes each row's type
    runs = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    assert [t.text for t in merged_types] == runs  # once per run
    names = [t for t in merged.texts if t.role == "members.name"]
    assert [t.text for t in names] == [t.text for t in house.texts if t.role == "members.name"]
    # the type column's x span; a rule crossing it between two rows of a run is gone
    col = (house_types[0].x - 5, house_types[0].box[2] + 5)
    across = [r for r in merged.rules if r.y0 == r.y1 and r.x0 < col[0] and r.x1 > col[1]]
    house_across = [r for r in house.rules if r.y0 == r.y1 and r.x0 < col[0] and r.x1 > col[1]]
    assert len(house_across) - len(across) == len(kinds) - len(runs)
    for t in merged_types:  # a merged run's type sits between the rows of its run
        run = [n for n in names if abs(n.y - t.y) < 20]
        assert run and min(n.y for n in run) <= t.y + 0.01


# --- hands and inks ---------------------------------------------------------------------


def _written(
    hand: str, text: str = "川川川川川川", ink: str = "house", seed: int = 7
) -> np.ndarray:
    image, _ = render_handwriting(
        text,
        char_px=40,
        max_width_px=2000,
        rng=np.random.default_rng(seed),
        font_path=fonts().hei_otf,
        ink=INKS[ink],
        hand=HANDS[hand],
    )
    return np.asarray(image)


def _lean(rgba: np.ndarray) -> float:
    """Mean dx/dy of the strokes (image y down): negative when their tops lean right."""
    mask = (rgba[..., 3] > 128).astype(np.uint8)
    n, labels = cv2.connectedComponents(mask)
    slopes = []
    for i in range(1, n):
        ys, xs = np.nonzero(labels == i)
        if ys.size > 30 and np.ptp(ys) > 2 * np.ptp(xs):  # a tall stroke: 川's
            slopes.append(float(np.polyfit(ys, xs, 1)[0]))
    assert len(slopes) >= 6
    return float(np.mean(slopes))


def test_every_hand_is_named_and_the_house_hand_is_the_default() -> None:
    assert set(HANDS) == {h.value for h in Hand}
    house, _ = render_handwriting(
        "同意推荐", char_px=40, max_width_px=800, rng=np.random.default_rng(2),
        font_path=fonts().hei_otf,
    )  # fmt: skip
    same, _ = render_handwriting(
        "同意推荐", char_px=40, max_width_px=800, rng=np.random.default_rng(2),
        font_path=fonts().hei_otf, hand=HANDS["house"], ink=INKS["house"],
    )  # fmt: skip
    assert house.tobytes() == same.tobytes()


def test_hands_lean_weigh_and_colour_their_strokes_their_own_way() -> None:
    # 川's strokes, averaged over a few writings: a slant drawn per writing in the hand's range
    lean = {h: float(np.mean([_lean(_written(h, seed=s)) for s in range(4)])) for h in HANDS}
    assert lean["backhand"] > 0.03  # tops lean left
    assert lean["hurried"] < lean["house"] < lean["neat"] < lean["backhand"]
    area = {h: float((_written(h, "同意推荐该单位申报")[..., 3] > 128).sum()) for h in HANDS}
    assert area["heavy"] > 1.3 * area["house"]  # a broad pen
    assert area["hurried"] < area["house"]  # a fine pen
    blue, black = _written("house", ink="blue"), _written("house", ink="black")
    for rgba, bluish in ((blue, True), (black, False)):
        rgb = rgba[rgba[..., 3] > 200][:, :3].astype(np.int16)
        assert (float(np.median(rgb[:, 2] - rgb[:, 0])) > 60) is bluish


# --- the phone photo --------------------------------------------------------------------


def test_a_phone_photo_keeps_the_page_where_its_homography_says() -> None:
    page = Image.new("RGB", (800, 1100), "white")
    box = (300, 400, 500, 460)
    ImageDraw.Draw(page).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill="black")
    photo, homography = phone_photo(page, np.random.default_rng(5), dpi=100)
    again, _ = phone_photo(page, np.random.default_rng(5), dpi=100)
    assert photo.tobytes() == again.tobytes()
    rgb = np.asarray(photo, dtype=np.float32)
    grey = rgb.mean(axis=2)
    ys, xs = np.nonzero(grey[200:900, 150:650] < 60)  # away from the desk round the page
    found = (xs.min() + 150, ys.min() + 200, xs.max() + 151, ys.max() + 201)
    assert np.allclose(found, warp_box(box, homography), atol=3)
    assert found != box  # it moved
    corners = [grey[:6, :6], grey[:6, -6:], grey[-6:, :6], grey[-6:, -6:]]
    paper = grey[500:700, 200:600]
    assert sum(float(c.mean()) < float(paper.mean()) - 40 for c in corners) >= 3  # the desk
    lit = grey[200:900, 150:650]
    assert float(lit.max() - lit.min()) > 20  # uneven light across the sheet
    means = rgb[500:700, 200:600].reshape(-1, 3).mean(axis=0)
    assert float(means.max() - means.min()) > 3  # a colour cast


# --- the families -----------------------------------------------------------------------

# session 13's new withheld families were retired to tuned in session 14, and most of
# session 14's in session 15; the withheld ones that carry the hands, list lines, merged
# cells, wrapped options and phone photos now are the newest (withheld_history.py)


def test_every_new_dimension_has_a_tuned_family_and_the_new_withheld_ones_are_fresh() -> None:
    styles = load_styles()
    tuned = styles.of("tuned")
    tuned_marks = {m for f in tuned for m in f.ticks}
    for mark in (TickMark.PEN_SLASH, TickMark.PEN_CIRCLE_STRIKE):
        assert mark in tuned_marks
    assert any(True in f.type.wrapped_options for f in tuned)
    assert any("lines" in f.tables.lists for f in tuned)
    assert any(True in f.tables.merged_cells for f in tuned)
    assert any(True in f.scan.phone_photo for f in tuned)
    assert any(set(f.handwriting.hands) - {Hand.HOUSE} for f in tuned)
    assert any(set(f.handwriting.inks) - {"house"} for f in tuned)
    tuned_choices = {("tick", m.value) for m in tuned_marks}
    tuned_choices |= {("hand", h.value) for f in tuned for h in f.handwriting.hands}
    tuned_choices |= {("ink", i) for f in tuned for i in f.handwriting.inks}
    for name in NEW_WITHHELD:
        f = styles.family(name)
        assert f.split == "withheld"
        own = {("tick", m.value) for m in f.ticks}
        own |= {("hand", h.value) for h in f.handwriting.hands}
        own |= {("ink", i) for i in f.handwriting.inks}
        assert own - tuned_choices, name
        assert not set(f.ticks) & tuned_marks  # no withheld mark seen while tuning


def test_the_new_dimensions_are_drawn_within_the_familys_choices() -> None:
    styles = load_styles()
    families = styles.of("all")
    seen = set()
    for seed in (101, 7):
        for i in range(2 * len(families)):
            style = draw_style("all", seed, i)
            f = styles.family(style.family)
            assert style.hand in f.handwriting.hands and style.ink in f.handwriting.inks
            assert style.lists in f.tables.lists
            assert style.merged_cells in f.tables.merged_cells
            assert style.type.wrapped_options in f.type.wrapped_options
            assert style.scan.phone_photo in f.scan.phone_photo
            seen.add(style.family)
    assert set(NEW_WITHHELD) <= seen
    assert draw_style("house", 7, 0) == HOUSE
