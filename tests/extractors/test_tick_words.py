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
STROKE = 0.1  # printed strokes' width, in line heights
NAMES = ["国有企业", "民营企业", "外资企业", "科研院所", "高等院校", "其他"]


def _ink(
    index: int,
    line: TextLine,
    darkness: float,
    height: float = HEIGHT,
    tint: float = 0.0,
    stroke: float = 0.0,
    colour: float = 0.0,
    chroma: float = 0.0,
    pen: float = 0.0,
) -> LineInk:
    """The darkness profile of one line: paper, ``darkness`` over its text, paper (and,
    over its text, the ground ``tint`` and the strokes' width ``stroke``)."""
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
        tint=tuple(tint if d != PAPER else 0.0 for d in shade),
        stroke=tuple(stroke if d != PAPER else 0.0 for d in shade),
        colour=tuple(colour if d != PAPER else 0.0 for d in shade),
        chroma=tuple(chroma if d != PAPER else 0.0 for d in shade),
        pen=tuple(pen if d != PAPER else 0.0 for d in shade),
    )


def _page(
    dark: dict[str, float],
    inks: list[float] | None = None,
    tints: dict[str, float] | None = None,
    strokes: dict[str, float] | None = None,
    colours: dict[str, float] | None = None,
    chromas: dict[str, float] | None = None,
    read: dict[str, str] | None = None,
    pens: dict[str, float] | None = None,
) -> Page:
    """The 单位性质 group, every box empty unless ``inks`` says, the options' words at
    print unless ``dark`` names them, and five more printed lines of their size (the
    page's expectation); ``read`` names what the OCR read of an option's words instead."""
    page = _org_nature_page(inks or [0.0] * 6)
    others = [_line("注册地址：", 0.128, 0.3 + 0.03 * i, 0.2, 0.313 + 0.03 * i) for i in range(5)]
    lines = (*page.lines, *others)
    profiles = []
    for index, line in enumerate(lines):
        darkness = dark.get(line.text, PRINT)
        tint = (tints or {}).get(line.text, PAPER)
        stroke = (strokes or {}).get(line.text, STROKE)
        colour = (colours or {}).get(line.text, 0.0)
        chroma = (chromas or {}).get(line.text, 0.0)
        pen = (pens or {}).get(line.text, 0.0)
        profiles.append(
            _ink(
                index,
                line,
                darkness,
                tint=tint,
                stroke=stroke,
                colour=colour,
                chroma=chroma,
                pen=pen,
            )
        )
    lines = tuple(
        line.model_copy(update={"text": (read or {}).get(line.text, line.text)}) for line in lines
    )
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


def test_the_one_option_on_a_tinted_ground_is_read_sure() -> None:
    # A yellow highlighter over 民营企业, light grey on a greyscale scan: its words barely
    # darker than print (1.2), but the ground between their strokes is tinted (0.12).
    reading = _org_nature(_page({"民营企业": 1.2 * PRINT}, tints={"民营企业": 0.12}))

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    ("tints", "why"),
    [
        ({"民营企业": 0.12, "外资企业": 0.12}, "two options on a tinted ground"),
        ({"民营企业": 0.12, "外资企业": 0.08}, "another option's ground not paper"),
        ({"民营企业": 0.015}, "a ground a little off paper (a photo's light)"),
    ],
)
def test_a_tint_not_alone_on_one_option_reads_nothing(tints: dict[str, float], why: str) -> None:
    reading = _org_nature(_page({}, tints=tints))

    assert reading is not None and reading.value is None, why


def test_words_heavier_than_the_groups_others_in_ink_and_strokes_are_read_sure() -> None:
    # 民营企业 typed bold (and underlined): 1.5 times the others' ink, short of the page's
    # `marked`, and its strokes twice as thick.
    reading = _org_nature(_page({"民营企业": 1.5 * PRINT}, strokes={"民营企业": 2 * STROKE}))

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    ("dark", "strokes", "why"),
    [
        ({"民营企业": 1.5 * PRINT}, {}, "more ink, strokes alike: a thin ✓ over the words"),
        ({}, {"民营企业": 2 * STROKE}, "thicker strokes, no more ink"),
        ({"民营企业": 1.5 * PRINT}, {"外资企业": 2 * STROKE}, "the ink and the strokes disagree"),
        (
            {"民营企业": 1.5 * PRINT, "外资企业": 1.3 * PRINT},
            {"民营企业": 2 * STROKE},
            "ink not alone",
        ),
    ],
)
def test_words_not_clearly_heavier_read_nothing(
    dark: dict[str, float], strokes: dict[str, float], why: str
) -> None:
    reading = _org_nature(_page(dark, strokes=strokes))

    assert reading is not None and reading.value is None, why


def test_a_tint_and_heavier_words_on_two_options_leave_a_flagged_blank() -> None:
    reading = _org_nature(
        _page(
            {"外资企业": 1.5 * PRINT},
            tints={"民营企业": 0.12},
            strokes={"外资企业": 2 * STROKE},
        )
    )

    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)
    assert Doubt.TICK_WORDS_INK in [d.cue for d in reading.doubts]


def test_ink_round_the_group_only_on_the_option_its_words_mark_is_no_doubt() -> None:
    # An underline under the words typed bold: the outside cue sees a stroke under that
    # option alone, which marks what the words' ink marks.
    from extractors.ticks import _only_on, _Outside
    from pipeline.config import Choice

    chosen, other = Choice(name="民营企业"), Choice(name="国有企业")
    assert _only_on(_Outside(None, True, seen=(chosen,)), chosen, unread=False)
    assert not _only_on(_Outside(None, True, seen=(other,)), chosen, unread=False)
    assert not _only_on(_Outside(None, True, seen=(chosen, other)), chosen, unread=False)
    assert not _only_on(_Outside(None, True, seen=(chosen,), strikes=1), chosen, unread=False)
    assert not _only_on(_Outside(None, True, seen=(chosen,)), chosen, unread=True)
    assert not _only_on(None, chosen, unread=False)


def test_the_one_option_whose_words_carry_a_pens_colour_is_read_sure() -> None:
    # A blue pen's ✓ over 民营企业 on a phone photo: its words barely heavier than print,
    # 8 % of their ink blue; the other options' black.
    reading = _org_nature(_page({"民营企业": 1.2 * PRINT}, colours={"民营企业": 0.08}))

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    ("colours", "why"),
    [
        ({"民营企业": 0.08, "外资企业": 0.06}, "two options' words coloured (struck, say)"),
        ({"民营企业": 0.015}, "a few coloured pixels: a photo's cast"),
    ],
)
def test_colour_not_alone_on_one_option_reads_nothing(colours: dict[str, float], why: str) -> None:
    reading = _org_nature(_page({}, colours=colours))

    assert reading is not None and reading.value is None, why


def test_a_pens_colour_on_one_options_words_with_the_paper_taken_for_white_is_read() -> None:
    # A small blurred blue ✓ over 民营企业 on a phone photo under a warm cast: in HSV terms
    # (``colour``) its words 0.02 coloured, every other option's print 0.015 (the cast on
    # dark print): no reading; with the paper taken for white (``pen``) the others' print
    # is black and 民营企业's words carry 0.024 of a pen's colour.
    hsv = {name: 0.015 for name in NAMES} | {"民营企业": 0.02}
    reading = _org_nature(_page({}, colours=hsv, pens={"民营企业": 0.024}))

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)
    assert _org_nature(_page({}, colours=hsv)).value is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("pens", "why"),
    [
        ({"民营企业": 0.05, "外资企业": 0.01}, "a pen's colour on two options' words (a ring)"),
        ({"民营企业": 0.01}, "a few pixels: short of a pen's stroke"),
    ],
)
def test_a_pens_colour_not_alone_on_one_option_reads_nothing(
    pens: dict[str, float], why: str
) -> None:
    reading = _org_nature(_page({}, pens=pens))

    assert reading is not None and reading.value is None, why


def test_a_pens_colour_beside_words_under_a_seal_reads_nothing() -> None:
    # 外资企业's words under a grey seal: whether they carry a pen's colour is unknown.
    page = _page({}, pens={"民营企业": 0.05})
    seal = SealMark(bbox=(0.5, 0.17, 0.6, 0.24), shape="round", colour="grey", confidence=0.9)
    reading = _org_nature(page.model_copy(update={"seals": (seal,)}))

    assert reading is not None and reading.value is None


def test_unread_ink_only_inside_a_grey_seal_beside_the_group_leaves_the_words_to_read() -> None:
    # A copy's grey seal stamped left of and above the row (the cover's seal beside
    # 创新中心类型): its ring's ink nobody read lies by the boxes, inside the seal.
    from pipeline.model import UnreadInk

    page = _page({}, tints={"民营企业": 0.08})
    seal = SealMark(bbox=(0.25, 0.1, 0.385, 0.205), shape="round", colour="grey", confidence=0.9)
    ring = UnreadInk(bbox=(0.36, 0.186, 0.382, 0.2), ink=0.3)
    reading = _org_nature(page.model_copy(update={"seals": (seal,), "unread": (ring,)}))

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)
    # the same ink with no seal found there is a mark nobody read: review
    unsealed = _org_nature(page.model_copy(update={"unread": (ring,)}))
    assert unsealed is not None and unsealed.value is None
    assert Doubt.TICK_MARKED_ELSEWHERE in [d.cue for d in unsealed.doubts]


def test_words_a_grey_seal_covers_on_a_tinted_ground_are_read_by_the_tint() -> None:
    # A copy's grey seal stamped over 民营企业, which a highlighter marks: the seal's ring
    # leaves the words' ink unmeasured, not the ground between their strokes.
    page = _page({"民营企业": 2 * PRINT}, tints={"民营企业": 0.12})
    seal = SealMark(bbox=(0.5, 0.17, 0.6, 0.24), shape="round", colour="grey", confidence=0.9)
    reading = _org_nature(page.model_copy(update={"seals": (seal,)}))

    assert reading is not None and reading.value == "民营企业"
    # a ground tinted on two options under the seal decides nothing
    both = _page({"民营企业": 2 * PRINT}, tints={"民营企业": 0.12, "外资企业": 0.1})
    unclear = _org_nature(both.model_copy(update={"seals": (seal,)}))
    assert unclear is not None and unclear.value is None


def test_an_options_words_read_with_a_character_lost_are_still_measured() -> None:
    # A pen ✓ over 外资企业 cost the OCR its 资 (外企业): the words are still found, and
    # their pen's colour read.
    page = _page({}, colours={"外资企业": 0.2})
    lines = tuple(
        line.model_copy(update={"text": "外企业"}) if line.text == "外资企业" else line
        for line in page.lines
    )
    inks = tuple(
        i.model_copy(update={"colour": tuple(0.2 if c > 0 else 0.0 for c in i.colour)})
        if lines[i.line].text == "外企业"
        else i
        for i in page.line_ink
    )
    reading = _org_nature(page.model_copy(update={"lines": lines, "line_ink": inks}))

    assert reading is not None and reading.value == "外资企业"


def test_ink_joined_to_a_grey_seal_off_the_groups_rows_is_the_seals() -> None:
    # A copy's grey seal above the row, its ring touching a rule to its right: one blob of
    # unread ink wider than the seal, ending above the boxes.
    from pipeline.model import UnreadInk

    page = _page({}, tints={"民营企业": 0.08})
    seal = SealMark(bbox=(0.25, 0.1, 0.385, 0.205), shape="round", colour="grey", confidence=0.9)
    joined = UnreadInk(bbox=(0.3, 0.15, 0.55, 0.197), ink=0.2)
    reading = _org_nature(page.model_copy(update={"seals": (seal,), "unread": (joined,)}))

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)
    # the same blob reaching down across the options' row may be a mark: review
    across = UnreadInk(bbox=(0.3, 0.15, 0.55, 0.205), ink=0.2)
    unsure = _org_nature(page.model_copy(update={"seals": (seal,), "unread": (across,)}))
    assert unsure is not None and unsure.value is None
    assert Doubt.TICK_MARKED_ELSEWHERE in [d.cue for d in unsure.doubts]


def _text_only_page(tint: float) -> Page:
    """The 单位性质 group with no box found, its boxes read as □ in the text (a phone
    photo's blurred squares), 其他's words on a ground ``tint``."""
    label = _line("单位性质", 0.128, 0.197, 0.195, 0.209)
    rows = (
        _line("□国有企业 □民营企业 □外资企业 □科研院所", 0.39, 0.198, 0.79, 0.211),
        _line("□高等院校", 0.39, 0.219, 0.49, 0.232),
        _line("□其他", 0.497, 0.219, 0.56, 0.232),
    )
    others = [_line("注册地址：", 0.128, 0.3 + 0.03 * i, 0.2, 0.313 + 0.03 * i) for i in range(5)]
    lines = (label, *rows, *others)
    profiles = tuple(
        _ink(i, line, PRINT, tint=tint if line.text == "□其他" else PAPER, stroke=STROKE)
        for i, line in enumerate(lines)
    )
    page = _org_nature_page([0.0] * 6)
    return page.model_copy(update={"lines": lines, "boxes": (), "line_ink": profiles})


def test_boxes_read_only_as_characters_and_one_options_words_marked_read_it_for_review() -> None:
    reading = _org_nature(_text_only_page(0.12))

    assert reading is not None and reading.value == "其他"
    # the boxes themselves were not seen: always for review, saying so
    assert needs_review(reading.confidence, RULES.review)
    assert Doubt.TICK_TEXT_ONLY in [d.cue for d in reading.doubts]
    plain = _org_nature(_text_only_page(PAPER))
    assert plain is not None and plain.value is None


def test_the_one_option_whose_words_are_printed_red_is_read_sure() -> None:
    # The chosen words coloured red in Word, every box left □: 90 % of their ink coloured
    # (lighter than print in grey), the other options' words black.
    reading = _org_nature(_page({"民营企业": 0.7 * PRINT}, chromas={"民营企业": 0.9}))

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)


def test_red_words_the_ocr_did_not_read_are_found_after_their_box() -> None:
    # Red is off the image the OCR reads: 民营企业's words came back as one stray
    # character. They lie after their box, where the line's ink is red.
    page = _page({"民营企业": 0.7 * PRINT}, chromas={"民营企业": 0.9}, read={"民营企业": "氏"})
    reading = _org_nature(page)

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)
    # placed so, the words' darkness alone decides nothing (measured where they should be)
    dark = _org_nature(_page({"民营企业": 2 * PRINT}, read={"民营企业": "氏"}))
    assert dark is not None and dark.value is None


@pytest.mark.parametrize(
    ("chromas", "why"),
    [
        ({"民营企业": 0.9, "其他": 0.85}, "two options' words coloured"),
        ({"民营企业": 0.25}, "a few coloured strokes on the words, not words printed red"),
    ],
)
def test_coloured_words_not_alone_or_not_clear_leave_a_flagged_blank(
    chromas: dict[str, float], why: str
) -> None:
    reading = _org_nature(_page({}, chromas=chromas))

    assert reading is not None and reading.value is None, why
    assert needs_review(reading.confidence, RULES.review), why
    assert Doubt.TICK_WORDS_INK in [d.cue for d in reading.doubts], why


def test_a_red_seal_over_another_options_words_leaves_red_words_unread_and_flagged() -> None:
    # A red seal's ring over 外资企业: whether its words are red cannot be told there, so
    # 民营企业's red is no sure choice (and a seal's red is never a choice).
    page = _page({"民营企业": 0.7 * PRINT}, chromas={"民营企业": 0.9, "外资企业": 0.6})
    seal = SealMark(bbox=(0.6, 0.17, 0.7, 0.24), shape="round", colour="red", confidence=0.9)
    reading = _org_nature(page.model_copy(update={"seals": (seal,)}))

    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)


def test_words_heavier_only_than_lighter_words_beside_them_are_not_read() -> None:
    # The chosen words printed red, grey on a greyscale scan: 民营企业 lighter than print,
    # the others at print. None is heavier than print: nothing is read sure.
    light = {name: 0.65 * PRINT for name in NAMES if name != "国有企业"}
    thin = {name: 0.6 * STROKE for name in NAMES if name != "国有企业"}
    reading = _org_nature(_page(light, strokes=thin))

    assert reading is not None and reading.value != "国有企业"


def _center_type_typed(chroma_after: float, tail: str = " □") -> Page:
    """The cover's 创新中心类型 row typed with □ glyphs the box finder did not find, the
    OCR's line ending at the second □: 院所型's words printed red, off its image."""
    from tests.extractors.test_ticks import _scan_page

    label = _line("创新中心类型", 0.128, 0.55, 0.25, 0.57)
    row = _line("□企业型" + tail, 0.39, 0.551, 0.39 + 0.0168 * (4 + len(tail)), 0.569)
    others = [_line("注册地址：", 0.128, 0.3 + 0.03 * i, 0.2, 0.313 + 0.03 * i) for i in range(5)]
    lines = (label, row, *others)
    profiles = []
    for index, line in enumerate(lines):
        ink = _ink(index, line, PRINT, stroke=STROKE)
        if index == 1:
            # measured to two heights past the line's end: red there, black before
            start, step, end = ink.bbox[0], ink.step, row.bbox[2]
            chroma = tuple(
                chroma_after if start + (k + 0.5) * step > end else 0.0 for k in range(60)
            )
            shade = tuple(PRINT for _ in range(60))
            ink = ink.model_copy(update={"shade": shade, "chroma": chroma})
        profiles.append(ink)
    return _scan_page(lines).model_copy(update={"line_ink": tuple(profiles)})


def _center_type(page: Page):  # type: ignore[no-untyped-def]
    from tests.extractors.test_ticks import CAMPAIGN, NORMALIZE, PILOT, read_checkbox

    return read_checkbox(PILOT.field("center_type"), page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE)


def test_red_words_after_a_bare_typed_box_are_read_sure() -> None:
    reading = _center_type(_center_type_typed(0.9))

    assert reading is not None and reading.value == "院所型"
    assert not needs_review(reading.confidence, RULES.review)


def test_a_bare_typed_box_with_black_or_no_words_after_it_reads_nothing_sure() -> None:
    plain = _center_type(_center_type_typed(0.0))
    assert plain is not None and plain.value is None
    assert needs_review(plain.confidence, RULES.review)
    # a little colour there (a seal's fringe, a pen's stroke): not words printed red
    faint = _center_type(_center_type_typed(0.25))
    assert faint is not None and faint.value is None
    assert Doubt.TICK_WORDS_INK in [d.cue for d in faint.doubts]


def test_words_lighter_than_every_other_options_on_a_greyscale_scan_leave_a_flagged_blank() -> None:
    # The chosen words printed red, greyed by the scan: 民营企业 at 0.65 of print.
    page = _page({"民营企业": 0.65 * PRINT})
    grey = _org_nature(page.model_copy(update={"greyscale": True}))

    assert grey is not None and grey.value is None
    assert needs_review(grey.confidence, RULES.review)
    assert Doubt.TICK_WORDS_INK in [d.cue for d in grey.doubts]
    # on a colour scan the words' colour is measured instead: lighter alone is no doubt
    colour = _org_nature(page)
    assert colour is not None and Doubt.TICK_WORDS_INK not in [d.cue for d in colour.doubts]
    # words a little lighter (fewer strokes) are print
    plain = _org_nature(_page({"民营企业": 0.9 * PRINT}).model_copy(update={"greyscale": True}))
    assert plain is not None and Doubt.TICK_WORDS_INK not in [d.cue for d in plain.doubts]
