"""Tick-box fields decided by the ink in each box: hand-made pages and the whole corpus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shenbao_lab.generator.truth import Truth

from extractors.fields import _doubt_blank_ticks, extract
from extractors.normalize import normalizer
from extractors.review import needs_review
from extractors.ticks import _printed_bands, read_checkbox
from pipeline.config import ReadMethod
from pipeline.errors import ConfigError
from pipeline.marks.tick_boxes import image_boxes
from pipeline.model import (
    Annex,
    Doubt,
    ExtractedField,
    LineInk,
    Page,
    SealMark,
    SourceKind,
    Submission,
    TextLine,
    TickBox,
    TickRow,
    UnreadInk,
)
from pipeline.ocr.engine import OcrSettings
from pipeline.ocr.registry import create_engine
from pipeline.pages import SourcePage, render_page_image
from pipeline.preprocess import normalise_page
from pipeline.read import read_page
from pipeline.rulebook import load_rules
from rules import RULES_DIR
from tests.readers import SAMPLES, TEMPLATES, read_electronic, truth_of
from tests.rulebook import RULES, rules_folder

CAMPAIGN = RULES.campaign
PILOT = TEMPLATES[Annex.PILOT]
TRUTHS = sorted((SAMPLES / "truth").glob("[PC]*.json"))
NORMALIZE = normalizer(RULES)


def _line(text: str, x0: float, y0: float, x1: float, y1: float) -> TextLine:
    return TextLine(text=text, bbox=(x0, y0, x1, y1))


def _box(x0: float, y0: float, ink: float, source: str = "image") -> TickBox:
    return TickBox(bbox=(x0, y0, x0 + 0.016, y0 + 0.011), ink=ink, source=source)  # type: ignore[arg-type]


def _scan_page(
    lines: tuple[TextLine, ...], boxes: tuple[TickBox, ...] = (), number: int = 1
) -> Page:
    """An A4 scanned page holding ``lines`` and ``boxes``."""
    return Page(
        number=number,
        source_page=number,
        kind=SourceKind.SCAN,
        width_pt=595,
        height_pt=842,
        lines=lines,
        boxes=boxes,
    )


def _org_nature_page(inks: list[float], *, extra: list[TickBox] = ()) -> Page:  # type: ignore[assignment]
    """The 单位性质 row of the basic-information table: six options on two rows."""
    xs = [0.39, 0.497, 0.604, 0.711, 0.39, 0.497]
    ys = [0.199, 0.199, 0.199, 0.199, 0.22, 0.22]
    names = ["国有企业", "民营企业", "外资企业", "科研院所", "高等院校", "其他"]
    lines = [
        _line("单位性质", 0.128, 0.197, 0.195, 0.209),
        _line("隶属关系", 0.128, 0.246, 0.195, 0.258),
        *(
            _line(name, x + 0.02, y - 0.001, x + 0.02 + 0.0168 * len(name), y + 0.012)
            for x, y, name in zip(xs, ys, names, strict=True)
        ),
    ]
    boxes = [_box(x, y, ink) for x, y, ink in zip(xs, ys, inks, strict=True)]
    # The next label's own boxes, which must stay out of this group.
    boxes += [_box(0.39, 0.247, 0.3), _box(0.531, 0.247, 0.0)]
    return _scan_page(
        tuple(lines), tuple(sorted([*boxes, *extra], key=lambda b: (b.bbox[1], b.bbox[0]))), 3
    )


def _org_nature(page: Page):  # type: ignore[no-untyped-def]
    return read_checkbox(PILOT.field("org_nature"), page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE)


def test_one_clear_tick_reads_as_the_options_printed_name() -> None:
    reading = _org_nature(_org_nature_page([0.0, 0.0, 0.0, 0.31, 0.0, 0.0]))

    assert reading is not None
    assert reading.value == "科研院所" and reading.raw == "科研院所"
    assert reading.bbox == pytest.approx((0.711, 0.199, 0.727, 0.21))
    assert not needs_review(reading.confidence, RULES.review)


def test_a_tick_on_the_wrapped_row_belongs_to_the_group() -> None:
    reading = _org_nature(_org_nature_page([0.0, 0.0, 0.0, 0.0, 0.0, 0.4]))

    assert reading is not None and reading.value == "其他"
    assert not needs_review(reading.confidence, RULES.review)


def test_the_wrapped_row_above_is_not_taken_by_a_tall_label_below() -> None:
    """OCR can make the next label's box tall enough to reach the group above's wrapped row
    (held-out corpus, scan_0002): those boxes stay with the label they are under."""
    page = _org_nature_page([0.0, 0.3, 0.0, 0.0, 0.0, 0.0])
    tall = tuple(
        _line("隶属关系", 0.122, 0.237, 0.205, 0.264) if line.text == "隶属关系" else line
        for line in page.lines
    )
    affiliation = read_checkbox(
        PILOT.field("affiliation"),
        page.model_copy(update={"lines": tall}),
        PILOT,
        CAMPAIGN,
        RULES.ticks,
        NORMALIZE,
    )

    # Only its own row's two boxes (of four options: so it goes to review, and says so);
    # with the row above taken it would have mapped 高等院校/其他's boxes to its options.
    assert affiliation is not None
    assert affiliation.bbox == pytest.approx((0.39, 0.247, 0.547, 0.258))
    assert needs_review(affiliation.confidence, RULES.review)
    org_nature = _org_nature(page.model_copy(update={"lines": tall}))
    assert org_nature is not None and org_nature.value == "民营企业"


def test_no_box_ticked_is_a_blank_not_a_guess() -> None:
    reading = _org_nature(_org_nature_page([0.0] * 6))

    assert reading is not None
    assert reading.value is None and reading.raw == ""
    assert reading.page == 3
    assert not needs_review(reading.confidence, RULES.review)  # a blank, surely


@pytest.mark.parametrize(
    ("blob", "why"),
    [
        ((0.704, 0.19, 0.77, 0.196), "an arc of a pen circle above 科研院所"),
        ((0.786, 0.198, 0.8, 0.21), "a ✓ right after 科研院所's words"),
    ],
)
def test_no_box_ticked_but_ink_round_the_options_is_not_a_sure_blank(
    blob: tuple[float, float, float, float], why: str
) -> None:
    """The option circled, or ticked beside its words: no box carries ink, but ink nobody
    read lies among the options; the field goes to review instead of a sure blank."""
    page = _org_nature_page([0.0] * 6).model_copy(
        update={"unread": (UnreadInk(bbox=blob, ink=0.2),)}
    )
    reading = _org_nature(page)

    assert reading is not None
    assert reading.value is None
    assert needs_review(reading.confidence, RULES.review), why
    far = _org_nature_page([0.0] * 6).model_copy(
        update={"unread": (UnreadInk(bbox=(0.1, 0.6, 0.2, 0.62), ink=0.2),)}
    )
    assert not needs_review(_org_nature(far).confidence, RULES.review)  # ink elsewhere


@pytest.mark.parametrize("written", ["√", "V", "丿", "✓"])
def test_no_box_ticked_but_a_mark_read_after_an_options_words_is_not_a_sure_blank(
    written: str,
) -> None:
    """A ✓ beside the words instead of in the box: OCR takes it into the option's line
    (科研院所√, or V, 丿). More than the printed words right of a box is no blank."""
    page = _org_nature_page([0.0] * 6)
    lines = tuple(
        line.model_copy(
            update={
                "text": line.text + written,
                "bbox": (*line.bbox[:2], line.bbox[2] + 0.017, line.bbox[3]),
            }
        )
        if line.text == "科研院所"
        else line
        for line in page.lines
    )
    reading = _org_nature(page.model_copy(update={"lines": lines}))

    assert reading is not None
    assert reading.value is None
    assert needs_review(reading.confidence, RULES.review)
    # punctuation after the words is no mark
    dotted = tuple(
        line.model_copy(update={"text": line.text + "。"}) if line.text == "其他" else line
        for line in page.lines
    )
    plain = _org_nature(page.model_copy(update={"lines": dotted}))
    assert plain is not None and not needs_review(plain.confidence, RULES.review)


def _blank(page: int, confidence: float = 0.98) -> ExtractedField:
    return ExtractedField(value=None, raw="", page=page, confidence=confidence)


def test_a_scan_with_no_tick_group_ticked_sends_every_blank_to_review() -> None:
    """Every choice of the form read blank: the marks were made some way the boxes do not
    show (an underline, a circle), or nothing was ticked; a person decides which."""
    scan = _org_nature_page([0.0] * 6)
    pages = {3: scan, 1: scan.model_copy(update={"number": 1})}
    blanks = {
        "org_nature": _blank(3),
        "affiliation": _blank(3),
        "center_type": _blank(1),
        "setup_mode": _blank(1),
        "center_name": ExtractedField(value="x", raw="x", page=1, confidence=0.99),
    }
    doubted = _doubt_blank_ticks(blanks, PILOT, pages, RULES)
    for key in ("org_nature", "affiliation", "center_type", "setup_mode"):
        assert needs_review(doubted[key].confidence, RULES.review), key
    assert doubted["center_name"] == blanks["center_name"]
    # one group read ticked in its box: the applicant's ticks are seen, the other blanks
    # are sure
    inked = _org_nature_page([0.3] + [0.0] * 5)
    in_box = {3: inked, 1: pages[1]}
    ticked = blanks | {
        "org_nature": ExtractedField(
            value="国有企业", raw="国有企业", page=3, bbox=inked.boxes[0].bbox, confidence=0.98
        )
    }
    assert _doubt_blank_ticks(ticked, PILOT, in_box, RULES) == ticked
    # one group read by a mark outside its boxes (a ring, an underline): a blank beside it
    # may be such a mark missed, so it is not sure; the reading itself stands
    outside = blanks | {
        "org_nature": ExtractedField(
            value="国有企业", raw="国有企业", page=3, bbox=(0.4, 0.2, 0.5, 0.21), confidence=0.95
        )
    }
    doubted = _doubt_blank_ticks(outside, PILOT, in_box, RULES)
    assert doubted["org_nature"] == outside["org_nature"]
    for key in ("affiliation", "center_type", "setup_mode"):
        assert needs_review(doubted[key].confidence, RULES.review), key
    # an electronic copy is read exactly: its blanks are what the file holds
    digital = {n: p.model_copy(update={"kind": SourceKind.TEXT_LAYER}) for n, p in pages.items()}
    exact = {k: f.model_copy(update={"confidence": 1.0}) for k, f in blanks.items()}
    assert _doubt_blank_ticks(exact, PILOT, digital, RULES) == exact


@pytest.mark.parametrize(
    ("inks", "why", "cue"),
    [
        ([0.3, 0.0, 0.0, 0.31, 0.0, 0.0], "two boxes ticked", Doubt.TICK_SEVERAL),
        (
            [0.0, 0.0, 0.0, 0.31, 0.06, 0.0],
            "a smudge, neither tick nor empty",
            Doubt.TICK_AMBIGUOUS,
        ),
        ([0.0, 0.0, 0.06, 0.0, 0.0, 0.0], "only a smudge", Doubt.TICK_AMBIGUOUS),
    ],
)
def test_unclear_ink_goes_to_review(inks: list[float], why: str, cue: Doubt) -> None:
    reading = _org_nature(_org_nature_page(inks))

    assert reading is not None
    assert needs_review(reading.confidence, RULES.review), why
    assert reading.doubts[0].cue is cue, why  # the reviewer is told why
    assert (
        reading.value
        == ["国有企业", "民营企业", "外资企业", "科研院所", "高等院校", "其他"][
            int(np.argmax(inks))
        ]
    )


def _pale_page(inks: list[float], pales: list[float]) -> Page:
    page = _org_nature_page(inks)
    group = [b for b in page.boxes if b.bbox[1] < 0.24]  # 单位性质's six, in reading order
    paled = {id(b): p for b, p in zip(group, pales, strict=True)}
    return page.model_copy(
        update={
            "boxes": tuple(
                b.model_copy(update={"pale": max(paled.get(id(b), b.ink), b.ink)})
                for b in page.boxes
            )
        }
    )


def test_a_faint_tick_clear_of_its_neighbours_empty_state_reads_at_a_glance() -> None:
    """A small ✓ in pale ink darkens no box past ``ticked_ink``; its box's pale ink while
    every other box of the group is clean is a reading a person makes at a glance."""
    reading = _org_nature(_pale_page([0.0, 0.0, 0.0, 0.004, 0.0, 0.0], [0, 0, 0, 0.19, 0, 0]))

    assert reading is not None and reading.value == "科研院所"
    assert reading.confidence == RULES.ticks.confidence.pale
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    ("pales", "why"),
    [
        ([0.0, 0.0, 0.0, 0.04, 0.0, 0.0], "faint, but not clearly a mark"),
        ([0.0, 0.15, 0.0, 0.19, 0.0, 0.0], "two boxes faintly marked"),
        ([0.0, 0.0, 0.0, 0.19, 0.0, 0.03], "another box not clearly empty"),
    ],
)
def test_faint_ink_not_clear_of_the_other_boxes_goes_to_review(
    pales: list[float], why: str
) -> None:
    reading = _org_nature(_pale_page([0.0] * 6, pales))

    assert reading is not None
    assert needs_review(reading.confidence, RULES.review), why
    assert reading.doubts[0].cue is Doubt.TICK_AMBIGUOUS, why
    assert reading.value == "科研院所", why  # the likeliest, proposed to the reviewer


def test_dark_ink_short_of_a_tick_stays_unclear_when_its_pale_ink_is_short_of_a_stroke() -> None:
    # a smudge or a stroke grazing the box: some dark ink, a little pale round it
    reading = _org_nature(_pale_page([0.0, 0.0, 0.0, 0.05, 0.0, 0.0], [0, 0, 0, 0.1, 0, 0]))

    assert reading is not None and reading.value == "科研院所"
    assert needs_review(reading.confidence, RULES.review)
    assert reading.doubts[0].cue is Doubt.TICK_AMBIGUOUS


def test_a_pencil_tick_dark_in_places_pale_across_the_box_reads_beside_empty_boxes() -> None:
    """A ✓ in pencil: a few grains darker than a tick needs, its stroke pale across the
    box (``pale.short_of_tick``), every other box of the group empty by both measures."""
    reading = _org_nature(_pale_page([0.0, 0.0, 0.0, 0.07, 0.0, 0.0], [0, 0, 0, 0.2, 0, 0]))

    assert reading is not None and reading.value == "科研院所"
    assert reading.confidence == RULES.ticks.confidence.pale
    # ...but not when another box is not clearly empty
    unclear = _org_nature(_pale_page([0.0, 0.0, 0.0, 0.07, 0.0, 0.0], [0, 0.04, 0, 0.2, 0, 0]))
    assert unclear is not None and needs_review(unclear.confidence, RULES.review)


def _ringed_page(inks: list[float], ringed: list[bool]) -> Page:
    page = _org_nature_page(inks)
    group = [b for b in page.boxes if b.bbox[1] < 0.24]
    rings = {id(b): r for b, r in zip(group, ringed, strict=True)}
    return page.model_copy(
        update={
            "boxes": tuple(
                b.model_copy(update={"ringed": rings.get(id(b), False)}) for b in page.boxes
            )
        }
    )


def test_a_pen_ring_round_one_empty_box_reads_as_its_option() -> None:
    reading = _org_nature(_ringed_page([0.0] * 6, [False, False, False, True, False, False]))

    assert reading is not None and reading.value == "科研院所"
    assert reading.confidence == RULES.ticks.confidence.ringed
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    ("inks", "ringed", "value", "sure"),
    [
        ([0.0] * 6, [False, True, False, True, False, False], None, False),
        (
            [0.0, 0.0, 0.0, 0.0, 0.31, 0.0],
            [False, False, False, True, False, False],
            "高等院校",
            False,
        ),
        ([0.0, 0.0, 0.0, 0.0, 0.05, 0.0], [False, False, False, True, False, False], None, False),
    ],
    ids=["two rings", "a tick in another box", "ink in another box"],
)
def test_a_ring_beside_other_marks_decides_nothing_alone(
    inks: list[float], ringed: list[bool], value: str | None, sure: bool
) -> None:
    reading = _org_nature(_ringed_page(inks, ringed))

    assert reading is not None
    if value is not None:
        assert reading.value == value  # the tick decides, as before
    else:
        assert needs_review(reading.confidence, RULES.review)


def test_pale_ink_does_not_weigh_against_a_box_ticked_in_dark_ink() -> None:
    # a ring's pale edge or a photo's grey in another box: the dark tick decides as before
    reading = _org_nature(_pale_page([0.0, 0.0, 0.0, 0.31, 0.0, 0.0], [0, 0.05, 0, 0.4, 0, 0]))

    assert reading is not None and reading.value == "科研院所"
    assert reading.confidence == RULES.ticks.confidence.scan


def test_a_character_taken_for_a_box_is_left_out_by_the_text_beside_it() -> None:
    # A square found over a character after the last option (白 of 白酒, inked inside):
    # seven boxes for six options, the seventh followed by no option's name.
    glyph = _box(0.80, 0.199, 0.25)
    page = _org_nature_page([0.0, 0.0, 0.0, 0.33, 0.0, 0.0], extra=[glyph])
    page = page.model_copy(update={"lines": (*page.lines, _line("白酒", 0.80, 0.198, 0.834, 0.21))})

    reading = _org_nature(page)

    assert reading is not None and reading.value == "科研院所"
    assert not needs_review(reading.confidence, RULES.review)


def test_a_box_not_found_sends_the_field_to_review() -> None:
    page = _org_nature_page([0.0, 0.0, 0.0, 0.33, 0.0, 0.0])
    missing = page.boxes[1]  # 民营企业's box
    page = page.model_copy(update={"boxes": tuple(b for b in page.boxes if b is not missing)})

    reading = _org_nature(page)

    assert reading is not None and reading.value == "科研院所"
    assert needs_review(reading.confidence, RULES.review)
    assert reading.doubts[0].cue is Doubt.TICK_MISSING_BOXES


def test_text_contradicting_the_printed_order_goes_to_review() -> None:
    page = _org_nature_page([0.0, 0.0, 0.0, 0.33, 0.0, 0.0])
    swapped = tuple(
        line.model_copy(
            update={"text": {"民营企业": "外资企业", "外资企业": "民营企业"}[line.text]}
        )
        if line.text in ("民营企业", "外资企业")
        else line
        for line in page.lines
    )

    reading = _org_nature(page.model_copy(update={"lines": swapped}))

    assert reading is not None and reading.value == "科研院所"
    assert needs_review(reading.confidence, RULES.review)
    assert reading.doubts[0].cue is Doubt.TICK_ORDER


def test_no_label_on_the_page_reads_nothing() -> None:
    page = _org_nature_page([0.0, 0.0, 0.0, 0.33, 0.0, 0.0])
    without = tuple(line for line in page.lines if line.text != "单位性质")

    assert _org_nature(page.model_copy(update={"lines": without})) is None


def _center_type_page(*texts: tuple[str, float]) -> Page:
    """The 创新中心类型 row of a scan with no box found: only the OCR's lines."""
    return _scan_page(
        (
            _line("创新中心类型：", 0.16, 0.559, 0.304, 0.584),
            *(_line(t, x, 0.559, x + 0.024 * len(t), 0.584) for t, x in texts),
        )
    )


def _center_type(page: Page) -> ExtractedField | None:
    return read_checkbox(PILOT.field("center_type"), page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE)


def test_without_boxes_typed_glyphs_before_every_option_read_at_a_glance() -> None:
    # □ and ☑ typed in a symbol font too small to be found as boxes: the OCR reads them.
    reading = _center_type(_center_type_page(("□企业型 ☑院所型", 0.38)))

    assert reading is not None and reading.value == "院所型" and reading.raw == "院所型"
    assert not needs_review(reading.confidence, RULES.review)


def test_a_check_typed_before_the_chosen_words_with_no_boxes_reads_at_a_glance() -> None:
    reading = _center_type(_center_type_page(("企业型", 0.38), ("✔院所型", 0.52)))

    assert reading is not None and reading.value == "院所型"
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize("texts", [(("企业型", 0.38), ("院所型", 0.52)), (("企业型院所型", 0.38),)])
def test_words_alone_with_no_box_and_no_mark_read_are_an_unsure_blank(
    texts: tuple[tuple[str, float], ...],
) -> None:
    """No box and no mark read before any option's words: the ✔ typed before the chosen
    words may be lost by the OCR. A blank, sent to review rather than left unread."""
    reading = _center_type(_center_type_page(*texts))

    assert reading is not None and reading.value is None and reading.raw == ""
    assert needs_review(reading.confidence, RULES.review)
    assert [d.cue for d in reading.doubts] == [Doubt.TICK_TEXT_ONLY]


@pytest.mark.parametrize(
    ("texts", "why"),
    [
        ((("企业型✔院所型", 0.38),), "a mark straight after the words before: whose is it?"),
        ((("☑企业型 ☑院所型", 0.38),), "two options typed ticked"),
        ((("□企业型 院所型", 0.38),), "a typed □ before one option, nothing read before the other"),
    ],
)
def test_typed_marks_that_do_not_add_up_go_to_review(
    texts: tuple[tuple[str, float], ...], why: str
) -> None:
    reading = _center_type(_center_type_page(*texts))

    assert reading is not None, why
    assert needs_review(reading.confidence, RULES.review), why


def _typed_in_place(page: Page, glyph: str) -> Page:
    """The page with 民营企业's □ typed over as ``glyph``: no box found there, the glyph
    read before the words."""
    missing = page.boxes[1]
    lines = tuple(
        _line(glyph + "民营企业", 0.497, 0.198, 0.517 + 0.0168 * 4, 0.211)
        if t.text == "民营企业"
        else t
        for t in page.lines
    )
    return page.model_copy(
        update={"boxes": tuple(b for b in page.boxes if b is not missing), "lines": lines}
    )


def test_a_typed_mark_in_place_of_a_box_completes_the_boxes_found() -> None:
    # □ glyphs found as boxes (all empty); 民营企业's □ typed over as √, no box there.
    page = _typed_in_place(_org_nature_page([0.0] * 6), "√")

    reading = _org_nature(page)

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)
    assert reading.bbox[0] < 0.51  # the mark's place, before the words


def test_a_black_circle_typed_for_the_box_is_a_typed_tick() -> None:
    # □ glyphs found as boxes (all empty); 民营企业's □ typed as ●, read before the words.
    reading = _org_nature(_typed_in_place(_org_nature_page([0.0] * 6), "●"))

    assert reading is not None and reading.value == "民营企业"
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    ("text", "sure"),
    [
        ("□企业型×院所型", True),  # × only ever fills a box: 院所型's, its □ typed over
        ("□企业型●院所型", True),
        ("□企业型√院所型", False),  # a √ may be typed after 企业型's words
        ("企业型×院所型", False),  # 企业型's box not there either: whose is the ×?
    ],
)
def test_a_box_mark_joined_to_the_words_before_stands_in_the_next_box(
    text: str, sure: bool
) -> None:
    reading = _center_type(_center_type_page((text, 0.38)))

    assert reading is not None
    if sure:
        assert reading.value == "院所型"
        assert not needs_review(reading.confidence, RULES.review)
    else:
        assert needs_review(reading.confidence, RULES.review)


def test_a_square_glyph_right_after_a_box_is_no_box() -> None:
    """国 of □国有企业 in bold type on a coarse scan, taken for a marked box 0.4 side after
    国有企业's □: the first character of the words, never 民营企业's box ticked."""
    glyph = TickBox(bbox=(0.4104, 0.199, 0.4214, 0.21), ink=0.7, source="image")
    page = _org_nature_page([0.0] * 6, extra=[glyph])

    reading = _org_nature(page)

    assert reading is not None and reading.value is None
    # with the rule off, the square is read as a ticked box
    loose = RULES.ticks.model_copy(update={"box_gap": 0.01})
    misread = read_checkbox(PILOT.field("org_nature"), page, PILOT, CAMPAIGN, loose, NORMALIZE)
    assert misread is not None and misread.value is not None


def _crossed_page(above: tuple[tuple[float, float], ...], below_words: float) -> Page:
    """创新中心类型 with 企业型's box crossed out of sight by a big pen × (not found: the
    OCR line starts at its place), 院所型's box found empty; the ×'s arms inked above
    企业型's box place and a little below its words."""
    side = 0.0193
    row = TickRow(
        bbox=(0.2544, 0.5628, 0.7764, 0.5765),
        side=side,
        above=above,
        across=((0.38, 0.462), (0.4864, 0.4882), (0.5039, 0.5057), (0.5106, 0.571)),
        below=((0.38, 0.38 + below_words), (0.4864, 0.5057)),
    )
    return _scan_page(
        (
            _line("创新中心类型：", 0.16, 0.559, 0.304, 0.584),
            _line("企业型□院所型", 0.38, 0.5564, 0.571, 0.5812),
        ),
        (TickBox(bbox=(0.4864, 0.5628, 0.5057, 0.5765), ink=0.0, source="image"),),
    ).model_copy(update={"tick_rows": (row,)})


def test_ink_above_the_one_box_place_no_other_shows_is_the_mark() -> None:
    crossed = _center_type(_crossed_page(((0.352, 0.36), (0.368, 0.376)), 0.015))
    assert crossed is not None and crossed.value == "企业型"
    assert not needs_review(crossed.confidence, RULES.review)
    # the same ink above 院所型's box too: no option stands out
    both = _center_type(
        _crossed_page(((0.352, 0.36), (0.368, 0.376), (0.48, 0.492), (0.5, 0.51)), 0.015)
    )
    assert both is not None and needs_review(both.confidence, RULES.review)
    # a speck above the box place only (under place_alone): not a mark
    speck = _center_type(_crossed_page(((0.352, 0.356),), 0.015))
    assert speck is not None and needs_review(speck.confidence, RULES.review)


def _setup_mode_under_seal(seals: tuple[SealMark, ...]) -> ExtractedField | None:
    """组建模式 on a greyscale scan (session 16, grey-faint-tick-skewed): 独立法人's box found
    empty, a grey seal's lettering inked above and below 法人, 公司+联盟's box broken by the
    seal's ring (not found) with a faint ✓ in it no band shows."""
    row = TickRow(
        bbox=(0.1432, 0.6084, 0.6979, 0.6229),
        side=0.02054,
        above=((0.4622, 0.4834),),
        across=((0.1722, 0.2514), (0.3897, 0.3915), (0.4157, 0.4943), (0.539, 0.6296)),
        below=((0.3897, 0.4103), (0.4175, 0.4242), (0.464, 0.4991)),
    )
    page = _scan_page(
        (
            _line("组建模式：", 0.16495, 0.60239, 0.26586, 0.62505),
            _line("□独立法人", 0.3855, 0.59983, 0.49668, 0.62634),
            _line("公司+联盟", 0.50332, 0.60111, 0.63384, 0.62634),
        ),
        (TickBox(bbox=(0.3897, 0.6084, 0.4103, 0.6229), ink=0.0, source="image"),),
    ).model_copy(update={"tick_rows": (row,), "seals": seals})
    return read_checkbox(PILOT.field("setup_mode"), page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE)


def test_a_grey_seals_lettering_over_one_options_words_is_no_sure_mark() -> None:
    """The odd one out (a stroke above one option's words alone) is a pen's mark only off
    a seal: inside a grey seal its lettering runs over the words, never 独立法人 sure."""
    bare = _setup_mode_under_seal(())
    assert bare is not None and bare.value == "独立法人"  # what the bands alone show
    for colour, sure in (("grey", False), ("black", False), ("red", True)):
        seal = SealMark(
            bbox=(0.31707, 0.57236, 0.51072, 0.70938), shape="round", colour=colour, confidence=0.7
        )  # type: ignore[arg-type]
        reading = _setup_mode_under_seal((seal,))
        assert reading is not None
        assert (reading.value == "独立法人") is sure
        assert needs_review(reading.confidence, RULES.review) is not sure
    # a seal elsewhere on the page leaves the reading as it was
    away = SealMark(bbox=(0.6, 0.75, 0.8, 0.89), shape="round", colour="grey", confidence=0.7)  # type: ignore[arg-type]
    kept = _setup_mode_under_seal((away,))
    assert kept is not None and kept.value == "独立法人"


def _setup_mode_both_boxes(seals: tuple[SealMark, ...], pale: float) -> ExtractedField | None:
    """The same row once 公司+联盟's box beside the seal's ring is found too (session 17):
    both boxes empty of dark ink, ``pale`` the faint ✓ in 公司+联盟's; the seal's lettering
    above and below 独立法人's words."""
    row = TickRow(
        bbox=(0.1541, 0.6088, 0.8079, 0.6227),
        side=0.01964,
        above=((0.3275, 0.3366), (0.4616, 0.4834), (0.4918, 0.5009)),
        across=(
            (0.1722, 0.2514),
            (0.255, 0.2586),
            (0.3184, 0.3293),
            (0.3897, 0.3915),
            (0.4091, 0.4109),
            (0.4157, 0.4943),
            (0.4991, 0.5148),
            (0.5323, 0.5341),
            (0.539, 0.5571),
            (0.5613, 0.6296),
        ),
        below=(
            (0.316, 0.3239),
            (0.3281, 0.3553),
            (0.3897, 0.4103),
            (0.4175, 0.4242),
            (0.464, 0.4755),
            (0.4792, 0.4991),
            (0.5045, 0.5341),
        ),
    )
    page = _scan_page(
        (
            _line("组建模式：", 0.16495, 0.60239, 0.26586, 0.62505),
            _line("□独立法人", 0.3855, 0.59983, 0.49668, 0.62634),
            _line("公司+联盟", 0.50332, 0.60111, 0.63384, 0.62634),
        ),
        (
            TickBox(bbox=(0.3897, 0.6084, 0.4103, 0.6229), ink=0.0, source="image"),
            TickBox(bbox=(0.5142, 0.6092, 0.5329, 0.6225), ink=0.0, pale=pale, source="image"),
        ),
    ).model_copy(update={"tick_rows": (row,), "seals": seals})
    return read_checkbox(PILOT.field("setup_mode"), page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE)


def test_a_mark_round_words_under_a_grey_seal_is_never_sure() -> None:
    """Strokes round an option's words inside a grey or black seal may be its lettering:
    every box found, none ticked, they make the blank unsure, never that option sure; the
    faint ✓ in the other box is read as before."""
    bare = _setup_mode_both_boxes((), 0.0)
    assert bare is not None and bare.value == "独立法人"  # what the bands alone show
    for colour, sure in (("grey", False), ("black", False), ("red", True)):
        seal = SealMark(
            bbox=(0.31707, 0.57236, 0.51072, 0.70938), shape="round", colour=colour, confidence=0.7
        )  # type: ignore[arg-type]
        reading = _setup_mode_both_boxes((seal,), 0.0)
        assert reading is not None
        assert (reading.value == "独立法人") is sure
        assert needs_review(reading.confidence, RULES.review) is not sure
        faint = _setup_mode_both_boxes((seal,), 0.1746)
        assert faint is not None
        if not sure:
            assert faint.value == "公司+联盟"
            assert not needs_review(faint.confidence, RULES.review)


def test_a_square_inside_an_options_words_is_no_box() -> None:
    """属 of 市（州）属企业, solid in bold 1-bit type, taken for a filled box inside the words
    the OCR read (省属企业's □ typed over as × and not found): never 市（州）属企业 ticked."""
    lines = (
        _line("隶属关系", 0.117, 0.26, 0.278, 0.285),
        _line("☐中央在黔企业省属企业☐市（州）属企业", 0.382, 0.261, 0.8435, 0.2826),
        _line("□其他", 0.38, 0.285, 0.4586, 0.3074),
    )
    boxes = (
        TickBox(bbox=(0.3879, 0.2655, 0.406, 0.2783), ink=0.0, source="image"),
        TickBox(bbox=(0.6755, 0.2655, 0.6937, 0.2783), ink=0.0, source="image"),
        TickBox(bbox=(0.7813, 0.2651, 0.797, 0.2762), ink=1.0, source="image"),
        TickBox(bbox=(0.3879, 0.2907, 0.406, 0.3031), ink=0.0, source="image"),
    )
    reading = read_checkbox(
        PILOT.field("affiliation"),
        _scan_page(lines, boxes, 3),
        PILOT,
        CAMPAIGN,
        RULES.ticks,
        NORMALIZE,
    )

    assert reading is not None and reading.value != "市（州）属企业"
    assert needs_review(reading.confidence, RULES.review)


def test_a_band_every_option_shows_alike_is_print() -> None:
    quiet, inked = ((0.0, 0.0), (0.6, 0.6)), ((0.0, 0.0), (0.0, 0.0))
    # the band below inked over every option's words (type's feet below typed □s)
    assert _printed_bands([quiet, quiet, quiet], 0.15) == (False, True)
    # ...over all but one of four: still the print (one option's words misplaced)
    assert _printed_bands([quiet, quiet, quiet, inked], 0.15) == (False, True)
    # ...over one of two, or two of three: a mark may be there
    assert _printed_bands([quiet, inked], 0.15) == (False, False)
    assert _printed_bands([quiet, quiet, inked], 0.15) == (False, False)


def test_a_typed_mark_beside_a_ticked_box_is_two_ticks() -> None:
    page = _typed_in_place(_org_nature_page([0.0, 0.0, 0.0, 0.33, 0.0, 0.0]), "×")

    reading = _org_nature(page)

    assert reading is not None and reading.raw == "民营企业、科研院所"
    assert needs_review(reading.confidence, RULES.review)


def test_a_docx_line_holding_label_and_glyphs_reads_exactly() -> None:
    line = _line("创新中心类型：□企业型 ☑院所型", 0.1, 0.185, 0.9, 0.203)
    from pipeline.marks.tick_boxes import glyph_boxes

    page = Page(
        number=1,
        source_page=1,
        kind=SourceKind.DOCX,
        width_pt=595,
        height_pt=842,
        lines=(line, _line("组建模式：☑独立法人 □公司+联盟", 0.1, 0.2075, 0.9, 0.2255)),
    )
    page = page.model_copy(update={"boxes": glyph_boxes(page.lines, RULES.tick_boxes)})

    center_type = read_checkbox(
        PILOT.field("center_type"), page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE
    )
    setup_mode = read_checkbox(
        PILOT.field("setup_mode"), page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE
    )

    assert center_type is not None and center_type.value == "院所型"
    assert setup_mode is not None and setup_mode.value == "独立法人"
    assert center_type.confidence == setup_mode.confidence == 1.0


def test_rules_that_would_let_an_unsure_reading_pass_fail_at_load(tmp_path: Path) -> None:
    assert RULES.ticks.ticked_ink > RULES.ticks.empty_ink
    text = (RULES_DIR / "ticks.yaml").read_text(encoding="utf-8")
    bad = rules_folder(
        tmp_path / "a", {"ticks.yaml": text.replace("several: 0.4", "several: 0.95")}
    )
    with pytest.raises(ConfigError, match="several"):
        load_rules(bad)
    bad = rules_folder(
        tmp_path / "b", {"ticks.yaml": text.replace("empty_ink: 0.03", "empty_ink: 0.5")}
    )
    with pytest.raises(ConfigError, match="empty_ink"):
        load_rules(bad)


# --- the corpus ------------------------------------------------------------------------


def _checkbox_keys(annex: Annex) -> list[str]:
    template = TEMPLATES[annex]
    keys = [k for p in template.pages for k in p.fields]
    return [k for k in dict.fromkeys(keys) if template.field(k).method is ReadMethod.CHECKBOX]


@pytest.mark.parametrize("truth_file", TRUTHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", [SourceKind.TEXT_LAYER, SourceKind.DOCX])
def test_every_tick_box_field_of_the_electronic_copies_is_the_truth(
    truth_file: Path, kind: SourceKind
) -> None:
    truth, source = truth_of(truth_file, kind)

    fields = extract(read_electronic(SAMPLES / source.file), RULES).fields

    for key in _checkbox_keys(truth.annex):
        assert fields[key].value == source.fields[key].value, key
        assert fields[key].confidence == 1.0, key


def _truth_lines(page_truth: object, normalised: object) -> tuple[TextLine, ...]:
    """The truth's text lines (source-scan fractions) moved into the normalised page."""
    width, height = normalised.source_size  # type: ignore[attr-defined]
    out_h, out_w = normalised.ocr_image.shape[:2]  # type: ignore[attr-defined]
    lines = []
    for line in page_truth.lines:  # type: ignore[attr-defined]
        x0, y0, x1, y1 = line.bbox
        corners = np.array([[x * width, y * height, 1.0] for x in (x0, x1) for y in (y0, y1)]).T
        moved = normalised.transform @ corners  # type: ignore[attr-defined]
        xs, ys = np.clip(moved[0] / out_w, 0, 1), np.clip(moved[1] / out_h, 0, 1)
        lines.append(TextLine(text=line.text, bbox=(xs.min(), ys.min(), xs.max(), ys.max())))
    return tuple(lines)


@pytest.mark.slow
@pytest.mark.parametrize("truth_file", TRUTHS, ids=lambda p: p.stem)
def test_every_tick_box_field_of_the_scans_is_the_truth(truth_file: Path) -> None:
    """Boxes and ink from the real scans; the text is the truth's (no OCR, so fast)."""
    truth = Truth.model_validate_json(truth_file.read_text(encoding="utf-8"))
    source = next(s for s in truth.sources if s.kind is SourceKind.SCAN)
    template = TEMPLATES[truth.annex]
    first = source.pages[0]
    read: dict[str, object] = {}
    for page_truth in source.page_truth:
        spec = next((p for p in template.pages if p.id == page_truth.template_page), None)
        keys = [k for k in (spec.fields if spec else ()) if k in _checkbox_keys(truth.annex)]
        if not keys:
            continue
        image = render_page_image(SAMPLES / source.file, page_truth.file_page, 200)
        normalised = normalise_page(image, 200.0)
        page = Page(
            number=page_truth.file_page - first + 1,
            source_page=page_truth.file_page,
            kind=SourceKind.SCAN,
            width_pt=595,
            height_pt=842,
            lines=_truth_lines(page_truth, normalised),
            boxes=image_boxes(normalised.ocr_image, normalised.dpi, RULES.tick_boxes),
        )
        for key in keys:
            reading = read_checkbox(
                template.field(key), page, template, CAMPAIGN, RULES.ticks, NORMALIZE
            )
            assert reading is not None, key
            assert not needs_review(reading.confidence, RULES.review), key
            read[key] = reading.value
    assert read == {k: source.fields[k].value for k in _checkbox_keys(truth.annex)}


@pytest.mark.slow
def test_a_degraded_scan_end_to_end_with_the_real_ocr() -> None:
    """scan_0004 (degraded): the cover and the table through normalisation, OCR and ticks."""
    truth = Truth.model_validate_json((SAMPLES / "truth" / "P004.json").read_text("utf-8"))
    source = next(s for s in truth.sources if s.kind is SourceKind.SCAN)
    engine = create_engine(OcrSettings())
    pages = []
    for number in (1, 3):
        image = render_page_image(SAMPLES / source.file, number, 200)
        scan = SourcePage(
            file_page=number,
            kind=SourceKind.SCAN,
            width_pt=595,
            height_pt=842,
            image=image,
            dpi=200.0,
        )
        pages.append(read_page(scan, engine, RULES).page)
    submission = Submission.model_validate(
        {
            "id": "scan_0004-p001-009",
            "annex": Annex.PILOT,
            "source": {"file": "scan_0004.pdf", "sha256": "0" * 64, "pages": (1, 9)},
            "pages": pages,
        }
    )
    for page in submission.pages:
        for key in PILOT.page("cover" if page.number == 1 else "basic_info").fields:
            spec = PILOT.field(key)
            if spec.method is not ReadMethod.CHECKBOX:
                continue
            reading = read_checkbox(spec, page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE)
            assert reading is not None, key
            assert reading.value == source.fields[key].value, key
            assert not needs_review(reading.confidence, RULES.review), key


def test_a_misread_label_is_found_by_its_own_options() -> None:
    """隶属关系 read 求属关系 off a thin 1-bit scan: the line holding options no other tick
    field prints (中央在黔企业, 省属企业) names the group; its ■ still reads."""
    spec = PILOT.field("affiliation")
    lines = (
        TextLine(text="求属关系", bbox=(0.129, 0.255, 0.213, 0.277)),
        TextLine(text="□中央在黔企业□省属企业□市（州）属企业", bbox=(0.39, 0.255, 0.821, 0.275)),
        TextLine(text="■其他", bbox=(0.39, 0.277, 0.462, 0.3)),
        TextLine(text="注册地址", bbox=(0.127, 0.307, 0.213, 0.33)),
    )
    page = _scan_page(lines)
    reading = read_checkbox(spec, page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE)

    assert reading is not None and reading.value == "其他"
    assert [d.cue for d in reading.doubts] == [Doubt.LABEL]
    # the options of a field printed beside another's are not its own: no label, no group
    other = page.model_copy(update={"lines": lines[1:2]})
    wrong = read_checkbox(PILOT.field("org_nature"), other, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE)
    assert wrong is None


def test_words_the_ocr_spread_over_a_box_it_did_not_read_still_name_its_option() -> None:
    """■其他 read as 其他, the line begun over the ■: its words follow the box."""
    spec = PILOT.field("affiliation")
    lines = (
        TextLine(text="隶属关系", bbox=(0.129, 0.255, 0.213, 0.277)),
        TextLine(text="□中央在黔企业□省属企业□市（州）属企业", bbox=(0.39, 0.255, 0.821, 0.275)),
        TextLine(text="其他", bbox=(0.39, 0.277, 0.462, 0.3)),
    )
    ticked = TickBox(bbox=(0.3976, 0.2826, 0.4133, 0.2937), ink=1.0, source="image")
    page = _scan_page(lines, (ticked,))
    reading = read_checkbox(spec, page, PILOT, CAMPAIGN, RULES.ticks, NORMALIZE)

    assert reading is not None and reading.value == "其他"
    assert not needs_review(reading.confidence, RULES.review)


# --- a glyph typed before the chosen words, lost by the OCR (Page.line_ink) ---------------

EM = 0.02  # the type's em, as a page-width fraction
HEIGHT = 0.03  # the OCR line's height, the same way


def _chars(x: float, n: int) -> list[tuple[float, float]]:
    """The ink of ``n`` characters set solid from ``x``: each 0.9 em with paper between."""
    return [(round(x + i * EM, 4), round(x + i * EM + 0.9 * EM, 4)) for i in range(n)]


def _glyph_page(spans: list[tuple[float, float]], text: str = "企业型院所型") -> Page:
    """The 创新中心类型 row with no box: the OCR read ``text`` as one line over the ink,
    the ink measured across it (``spans``)."""
    x0, x1 = spans[0][0], spans[-1][1]
    page = _center_type_page()
    line = _line(text, x0, 0.559, x1, 0.584)
    lines = (*page.lines, line)
    band = (x0 - 2 * HEIGHT, 0.564, x1 + 2 * HEIGHT, 0.579)
    ink = LineInk(line=len(lines) - 1, bbox=band, height=HEIGHT, spans=tuple(spans))
    return page.model_copy(update={"lines": lines, "line_ink": (ink,)})


def test_a_check_lost_by_the_ocr_before_the_chosen_words_is_read_from_the_ink() -> None:
    # 企业型, a box's width of paper, ✔ (0.8 em) joined to 院所型 by 0.3 em of paper.
    spans = [*_chars(0.40, 3), (0.48, 0.496), *_chars(0.502, 3)]

    reading = _center_type(_glyph_page(spans))

    assert reading is not None and reading.value == "院所型" and reading.raw == "院所型"
    assert not needs_review(reading.confidence, RULES.review)
    assert reading.doubts == ()


def test_a_check_standing_apart_before_the_first_option_is_read_from_the_ink() -> None:
    # ✔ at the line's start, 0.6 em of paper before 企业型; 院所型 two ems further on.
    spans = [(0.40, 0.416), *_chars(0.428, 3), *_chars(0.528, 3)]

    reading = _center_type(_glyph_page(spans))

    assert reading is not None and reading.value == "企业型"
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    ("spans", "why"),
    [
        ([*_chars(0.40, 3), *_chars(0.50, 3)], "no glyph anywhere: unticked, or lost for good"),
        (
            [*_chars(0.40, 3), (0.4625, 0.4785), *_chars(0.52, 3)],
            "a ✓ typed after 企业型 (paper on its far side): not a mark before 院所型",
        ),
        (
            [(0.40, 0.416), *_chars(0.422, 3), (0.50, 0.516), *_chars(0.522, 3)],
            "a glyph before both options",
        ),
        (
            [*_chars(0.40, 3), (0.47, 0.476), *_chars(0.482, 3)],
            "ink before 院所型 too narrow for a glyph, too wide for nothing",
        ),
    ],
)
def test_ink_round_words_read_alone_that_marks_no_one_option_stays_for_review(
    spans: list[tuple[float, float]], why: str
) -> None:
    reading = _center_type(_glyph_page(spans))

    assert reading is not None and reading.value is None, why
    assert needs_review(reading.confidence, RULES.review), why
    assert [d.cue for d in reading.doubts] == [Doubt.TICK_TEXT_ONLY], why


def test_a_check_read_joined_to_the_words_before_is_sure_only_when_the_ink_says_whose() -> None:
    # The OCR read 企业型✔院所型: its ✔ right after 企业型. The ink puts it before 院所型
    # (paper before it, its words right after): sure. Ink after 企业型: still for review.
    before = [*_chars(0.40, 3), (0.48, 0.496), *_chars(0.502, 3)]
    after = [*_chars(0.40, 3), (0.4625, 0.4785), *_chars(0.52, 3)]

    sure = _center_type(_glyph_page(before, "企业型✔院所型"))
    unsure = _center_type(_glyph_page(after, "企业型✔院所型"))

    assert sure is not None and sure.value == "院所型"
    assert not needs_review(sure.confidence, RULES.review)
    assert unsure is not None and needs_review(unsure.confidence, RULES.review)
    assert [d.cue for d in unsure.doubts] == [Doubt.TICK_TEXT_ONLY]


def test_a_seals_lettering_read_under_the_label_does_not_take_its_boxes() -> None:
    # A copy's grey seal over the label column: its lettering read as a line (区经洗) just
    # under 创新中心类型, starting right of the column; the row's boxes stay the label's.
    lines = (
        _line("创新中心类型：", 0.169, 0.56, 0.332, 0.585),
        _line("企业型", 0.413, 0.561, 0.48, 0.582),
        _line("院所型", 0.53, 0.561, 0.61, 0.582),
        _line("区经洗", 0.306, 0.571, 0.432, 0.614),
        _line("组建模式：", 0.165, 0.602, 0.3, 0.63),
    )
    boxes = (_box(0.395, 0.568, 0.0), _box(0.511, 0.566, 0.41))
    page = _scan_page(lines, boxes)
    # the lettering line took the row: nothing of the group seen, a blank to review
    lost = _center_type(page)
    assert lost is not None and lost.value is None
    assert needs_review(lost.confidence, RULES.review)
    assert [d.cue for d in lost.doubts] == [Doubt.TICK_MISSING_BOXES]
    seal = SealMark(bbox=(0.261, 0.54, 0.458, 0.715), shape="round", colour="grey", confidence=0.9)
    reading = _center_type(page.model_copy(update={"seals": (seal,)}))
    assert reading is not None and reading.value == "院所型" and reading.confidence >= 0.9
    # a label under the seal, flush in its column, still ends the group above
    flush = _line("组建模式：", 0.169, 0.6, 0.3, 0.628)
    page = _scan_page((*lines[:3], flush), (*boxes, _box(0.395, 0.606, 0.5)))
    reading = _center_type(page.model_copy(update={"seals": (seal,)}))
    assert reading is not None and reading.value == "院所型"


def test_one_option_left_printed_alone_in_its_group_is_the_choice() -> None:
    """The other options deleted in Word, boxes and words: the cell holds one option's
    words and nothing else, which a person reads at a glance."""
    reading = _center_type(_center_type_page(("院所型", 0.38)))

    assert reading is not None and reading.value == "院所型" and reading.raw == "院所型"
    assert not needs_review(reading.confidence, RULES.review)


def test_one_option_read_alone_beside_ink_on_its_line_the_ocr_did_not_read_is_no_choice() -> None:
    """企业型 read alone where □院所型 was printed red (off the image the OCR reads) and a
    blurred photo lost the boxes: the line's ink runs on past the words read. A blank to
    review, never 企业型 sure; the same line's ink within its words reads as before."""
    from pipeline.model import LineInk

    page = _center_type_page(("企业型", 0.38)).model_copy(update={"greyscale": False})
    index = next(i for i, t in enumerate(page.lines) if t.text == "企业型")
    x0, _, x1, _ = page.lines[index].bbox  # 0.38-0.452; the line's height 0.025
    beside = LineInk(
        line=index,
        bbox=(x0 - 0.05, 0.565, x1 + 0.05, 0.578),
        height=0.025,
        spans=((0.386, 0.449), (0.467, 0.475), (0.481, 0.502)),
    )
    alone = beside.model_copy(update={"spans": ((0.386, 0.449),)})

    reading = _center_type(page.model_copy(update={"line_ink": (beside,)}))
    assert reading is not None and reading.value is None
    assert needs_review(reading.confidence, RULES.review)
    kept = _center_type(page.model_copy(update={"line_ink": (alone,)}))
    assert kept is not None and kept.value == "企业型"
    assert not needs_review(kept.confidence, RULES.review)
    # the ink beside inside a found seal's box (its ring crossing the line), or on a
    # greyscale scan (red print read grey there): the one option left is read as before
    seal = SealMark(bbox=(0.46, 0.5, 0.6, 0.62), shape="round", colour="black", confidence=0.9)
    for other in (
        page.model_copy(update={"line_ink": (beside,), "seals": (seal,)}),
        page.model_copy(update={"line_ink": (beside,), "greyscale": True}),
    ):
        read = _center_type(other)
        assert read is not None and read.value == "企业型"


@pytest.mark.parametrize(
    ("texts", "unread", "why"),
    [
        ((("院所型", 0.38),), True, "ink the OCR did not read beside the words: lost words?"),
        ((("院所型 其它", 0.38),), False, "more than the option's words"),
        ((("院所", 0.38),), False, "the words read short of the option"),
    ],
)
def test_one_option_read_alone_is_no_choice_unless_the_rest_is_clearly_absent(
    texts: tuple[tuple[str, float], ...], unread: bool, why: str
) -> None:
    page = _center_type_page(*texts)
    if unread:
        page = page.model_copy(
            update={"unread": (UnreadInk(bbox=(0.5, 0.56, 0.56, 0.583), ink=0.3),)}
        )

    reading = _center_type(page)

    assert (
        reading is None or reading.value is None or needs_review(reading.confidence, RULES.review)
    ), why
