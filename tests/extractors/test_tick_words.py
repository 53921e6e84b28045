"""Tick groups read off the ink the options' words carry (``extractors/tick_words.py``)."""

from __future__ import annotations

import pytest

from extractors.review import needs_review
from pipeline.model import Doubt, LineInk, Page, SealMark, TextLine
from tests.extractors.test_ticks import _line, _org_nature, _org_nature_page
from tests.rulebook import RULES

HEIGHT = 0.018  # the options' lines' height, a page-width fraction (as LineInk's)
PRINT = 0.2  # the darkness printed words carry over their line's height
PAPER = 0.01
NAMES = ["国有企业", "民营企业", "外资企业", "科研院所", "高等院校", "其他"]


def _ink(index: int, line: TextLine, darkness: float, height: float = HEIGHT) -> LineInk:
    """The darkness profile of one line: paper, ``darkness`` over its text, paper."""
    step = 0.25 * height
    x0, y0, x1, y1 = line.bbox
    start = x0 - 2 * height
    count = round((x1 - x0 + 4 * height) / step)
    shade = tuple(darkness if x0 <= start + (i + 0.5) * step <= x1 else PAPER for i in range(count))
    return LineInk(
        line=index,
        bbox=(start, y0, start + count * step, y1),
        height=height,
        step=step,
        shade=shade,
    )


def _page(dark: dict[str, float], inks: list[float] | None = None) -> Page:
    """The 单位性质 group, every box empty unless ``inks`` says, the options' words at
    print unless ``dark`` names them, and five more printed lines of their size (the
    page's expectation)."""
    page = _org_nature_page(inks or [0.0] * 6)
    others = [_line("注册地址：", 0.128, 0.3 + 0.03 * i, 0.2, 0.313 + 0.03 * i) for i in range(5)]
    lines = (*page.lines, *others)
    profiles = []
    for index, line in enumerate(lines):
        darkness = dark.get(line.text, PRINT)
        profiles.append(_ink(index, line, darkness))
    return page.model_copy(update={"lines": lines, "line_ink": tuple(profiles)})


def test_the_one_option_whose_words_are_shaded_is_read_sure() -> None:
    # Word's 25 % shading behind 民营企业: its words twice as dark as print.
    reading = _org_nature(_page({"民营企业": 2 * PRINT}))

    assert reading is not None and reading.value == "民营企业" and reading.raw == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)
    assert reading.doubts == ()


def test_words_at_print_leave_a_sure_blank_without_the_words_cue() -> None:
    reading = _org_nature(_page({}))

    assert reading is not None and reading.value is None
    assert Doubt.TICK_WORDS_INK not in [d.cue for d in reading.doubts]


@pytest.mark.parametrize(
    ("dark", "why"),
    [
        ({"民营企业": 1.5 * PRINT}, "a thin ✓ over the words: darker, not clearly"),
        ({"民营企业": 2 * PRINT, "其他": 2 * PRINT}, "two options' words shaded"),
        ({"民营企业": 2.6 * PRINT, "其他": 1.9 * PRINT}, "another option not at print"),
    ],
)
def test_words_that_stand_out_without_being_clear_leave_a_flagged_blank_saying_why(
    dark: dict[str, float], why: str
) -> None:
    reading = _org_nature(_page(dark))

    assert reading is not None and reading.value is None, why
    assert needs_review(reading.confidence, RULES.review), why
    assert Doubt.TICK_WORDS_INK in [d.cue for d in reading.doubts], why


def test_a_ticked_box_decides_before_the_words_ink() -> None:
    # 科研院所's box ticked; 民营企业's words darker (type set bold by the form, say).
    reading = _org_nature(_page({"民营企业": 2 * PRINT}, [0.0, 0.0, 0.0, 0.31, 0.0, 0.0]))

    assert reading is not None and reading.value == "科研院所"


def test_too_few_printed_lines_of_the_groups_size_decide_nothing() -> None:
    page = _page({"民营企业": 2 * PRINT})
    # Only the group's own six lines keep their profile: no expectation of print.
    kept = tuple(i for i in page.line_ink if page.lines[i.line].text in NAMES[:4])
    reading = _org_nature(page.model_copy(update={"line_ink": kept}))

    assert reading is not None and reading.value is None


def test_words_under_a_seal_decide_nothing() -> None:
    # A copy's grey seal stamped over 民营企业: its ring darkens the words, no mark.
    page = _page({"民营企业": 2 * PRINT})
    seal = SealMark(bbox=(0.5, 0.17, 0.6, 0.24), shape="round", colour="grey", confidence=0.9)
    reading = _org_nature(page.model_copy(update={"seals": (seal,)}))

    assert reading is not None and reading.value is None


def test_a_red_seal_over_the_words_is_off_the_measured_image_and_does_not_stop_the_cue() -> None:
    page = _page({"民营企业": 2 * PRINT})
    seal = SealMark(bbox=(0.5, 0.17, 0.6, 0.24), shape="round", colour="red", confidence=0.9)
    reading = _org_nature(page.model_copy(update={"seals": (seal,)}))

    assert reading is not None and reading.value == "民营企业"


def test_words_a_grey_seals_ring_reaches_in_part_are_measured_where_it_does_not() -> None:
    # A copy's grey seal below the row, its ring reaching the last third of 民营企业's
    # words and the start of 外资企业's: each is measured on the steps it leaves clear.
    page = _page({"民营企业": 2 * PRINT})
    seal = SealMark(bbox=(0.55, 0.205, 0.65, 0.29), shape="round", colour="grey", confidence=0.9)
    reading = _org_nature(page.model_copy(update={"seals": (seal,)}))

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)
    # the same seal a little higher covers most of 民营企业's words: too covered to judge
    over = SealMark(bbox=(0.52, 0.19, 0.62, 0.27), shape="round", colour="grey", confidence=0.9)
    covered = _org_nature(page.model_copy(update={"seals": (over,)}))
    assert covered is not None and covered.value is None
