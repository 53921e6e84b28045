"""Tick groups found when the OCR read their label in pieces or not at all, and groups
with nothing read going to review (tuned s17-all, session 18: 组建模式 on grey and 1-bit
covers came back as no field at all, read neither blank nor flagged)."""

from __future__ import annotations

from extractors.review import needs_review
from extractors.ticks import _spaced_pieces_joined, read_checkbox
from pipeline.model import Doubt, ExtractedField, Page, SealMark, TextLine, TickBox
from tests.extractors.test_ticks import CAMPAIGN, NORMALIZE, PILOT, _box, _line, _scan_page
from tests.rulebook import RULES


def _read(key: str, page: Page) -> ExtractedField | None:
    return read_checkbox(
        PILOT.field(key),
        page,
        PILOT,
        CAMPAIGN,
        RULES.ticks,
        NORMALIZE,
        RULES.plausibility.label_remnant,
    )


# 单 位 性 质 spaced out, read as two pieces; its six options on two rows, 科研院所 ticked.
_ORG_ROWS = (
    _line("□国有企业□民营企业□外资企业", 0.386, 0.208, 0.745, 0.227),
    _line("☑科研院所□高等院校 □其他", 0.387, 0.232, 0.706, 0.254),
    _line("隶属关系：", 0.121, 0.262, 0.285, 0.288),
)
_ORG_BOXES = (
    _box(0.390, 0.214, 0.0),
    _box(0.514, 0.214, 0.0),
    _box(0.638, 0.214, 0.0),
    _box(0.390, 0.238, 0.53),
    _box(0.514, 0.239, 0.0),
    _box(0.638, 0.239, 0.0),
)


def test_a_spaced_label_read_in_pieces_is_one_label() -> None:
    pieces = (_line("单", 0.127, 0.21, 0.151, 0.226), _line("位性质：", 0.143, 0.206, 0.281, 0.231))
    reading = _read("org_nature", _scan_page((*pieces, *_ORG_ROWS), _ORG_BOXES, 3))

    assert reading is not None and reading.value == "科研院所"
    assert not needs_review(reading.confidence, RULES.review)


def test_pieces_that_do_not_begin_the_label_or_stand_far_apart_are_not_joined() -> None:
    def joined(*pieces: TextLine) -> bool:
        page = _scan_page((*pieces, *_ORG_ROWS), _ORG_BOXES, 3)
        return (
            _spaced_pieces_joined(PILOT.field("org_nature"), page, RULES.ticks, NORMALIZE)
            is not page
        )

    assert joined(
        _line("单", 0.127, 0.21, 0.151, 0.226), _line("位性质：", 0.143, 0.206, 0.281, 0.231)
    )
    # 单 then 位置: no label of the field begins so
    assert not joined(
        _line("单", 0.127, 0.21, 0.151, 0.226), _line("位置", 0.143, 0.206, 0.281, 0.231)
    )
    # 单 at the page's left edge, 位性质 0.2 of the width away: two things
    assert not joined(
        _line("单", 0.02, 0.21, 0.044, 0.226), _line("位性质：", 0.25, 0.206, 0.36, 0.231)
    )
    # 单 and 位性质 on different rows
    assert not joined(
        _line("单", 0.127, 0.18, 0.151, 0.196), _line("位性质：", 0.143, 0.206, 0.281, 0.231)
    )


# 组 建 模 式 on a grey cover, a grey seal over 模式 and 独立法人's box; 公司+联盟 ticked.
_SEAL = SealMark(bbox=(0.234, 0.589, 0.425, 0.724), shape="round", colour="grey", confidence=0.8)  # type: ignore[arg-type]
_TICKED = TickBox(bbox=(0.5106, 0.6114, 0.5269, 0.6229), ink=0.96, source="image")


def _cover(*lines: TextLine) -> Page:
    head = (
        _line("创新中心类型", 0.161, 0.56, 0.292, 0.585),
        _line("推荐单", 0.161, 0.65, 0.231, 0.671),
    )
    page = _scan_page((*head, *lines), (_TICKED,))
    return page.model_copy(update={"seals": (_SEAL,)})


def test_a_spaced_labels_start_under_a_seal_finds_its_group() -> None:
    page = _cover(
        _line("组", 0.161, 0.606, 0.196, 0.628),
        _line("建", 0.203, 0.61, 0.227, 0.625),
        _line("立法人 公司+联盟", 0.408, 0.606, 0.63, 0.628),
    )
    reading = _read("setup_mode", page)

    # the chosen box read; the other option's box under the seal not found: for review
    assert reading is not None and reading.value == "公司+联盟"
    assert needs_review(reading.confidence, RULES.review)
    assert Doubt.TICK_MISSING_BOXES in [d.cue for d in reading.doubts]


def test_one_option_beside_the_labels_first_character_finds_its_group() -> None:
    page = _cover(
        _line("组", 0.165, 0.604, 0.196, 0.624), _line("☑公司+联盟", 0.512, 0.601, 0.651, 0.626)
    )
    reading = _read("setup_mode", page)

    assert reading is not None and reading.value == "公司+联盟"
    # a seal's lettering read between the label's start and the option: the row's first
    page = _cover(
        _line("组", 0.169, 0.6, 0.207, 0.62),
        _line("式", 0.288, 0.6, 0.323, 0.62),
        _line("业租", 0.345, 0.592, 0.421, 0.623),
        _line("☑公司+联盟", 0.505, 0.598, 0.637, 0.622),
    )
    lettered = _read("setup_mode", page)
    assert lettered is not None and lettered.value == "公司+联盟"
    # ...but beside a line that begins no label of the field, no group
    other = _cover(
        _line("推", 0.165, 0.604, 0.196, 0.624), _line("☑公司+联盟", 0.512, 0.601, 0.651, 0.626)
    )
    assert _read("setup_mode", other) is None


def test_a_label_read_with_nothing_of_its_group_seen_is_a_blank_to_review() -> None:
    # the boxes under a seal, unfound, the words merged with its lettering (业和联盟)
    page = _cover(
        _line("组建模式：", 0.169, 0.601, 0.261, 0.623),
        _line("业和联盟", 0.321, 0.597, 0.486, 0.631),
    ).model_copy(update={"boxes": ()})
    reading = _read("setup_mode", page)

    assert reading is not None and reading.value is None and reading.raw == ""
    assert needs_review(reading.confidence, RULES.review)
    assert [d.cue for d in reading.doubts] == [Doubt.TICK_MISSING_BOXES]


def test_a_bold_character_soon_after_a_box_is_no_box() -> None:
    # 属 of □省属企业 in bold 1-bit type found as a scribbled box 1.9 box widths after 省属
    # 企业's □ (the next option's box stands 3.4 or more widths on): a character of the
    # words; 市（州）属企业's ☒ alone is ticked.
    lines = (
        _line("隶属关系", 0.113, 0.261, 0.271, 0.286),
        _line("口中央在黔企业口省属企业市（州）属企业", 0.378, 0.263, 0.84, 0.284),
        _line("□其他", 0.376, 0.285, 0.457, 0.311),
    )
    boxes = (
        _box(0.385, 0.269, 0.0),
        _box(0.549, 0.268, 0.0),
        _box(0.595, 0.268, 1.0),
        _box(0.673, 0.267, 1.0),
        _box(0.385, 0.294, 0.0),
    )
    reading = _read("affiliation", _scan_page(lines, boxes, 3))

    assert reading is not None and reading.value == "市（州）属企业"
    assert not needs_review(reading.confidence, RULES.review)

    # the same glyph where an option's box could stand (4 widths on): not left out
    far = (*boxes[:2], _box(0.631, 0.268, 1.0), *boxes[3:])
    several = _read("affiliation", _scan_page(lines, far, 3))
    assert several is not None and needs_review(several.confidence, RULES.review)


def _setup_mode_pale(seal: SealMark | None) -> ExtractedField | None:
    """组建模式 on a phone photo: a faint ✓ in 公司+联盟's box (pale 0.15), and 独立法人's
    box with a trace of pale ink where a seal's ring crosses it (0.43)."""
    page = _scan_page(
        (
            _line("组建模式:", 0.169, 0.585, 0.264, 0.608),
            _line("独立法人 公司+联盟", 0.373, 0.584, 0.62, 0.613),
        ),
        (
            TickBox(bbox=(0.382, 0.593, 0.402, 0.607), ink=0.0, pale=0.43, source="image"),
            TickBox(bbox=(0.501, 0.594, 0.52, 0.608), ink=0.0, pale=0.15, source="image"),
        ),
    )
    seals = () if seal is None else (seal,)
    return _read("setup_mode", page.model_copy(update={"seals": seals}))


def test_pale_ink_in_a_box_a_seal_crosses_does_not_stand_against_a_faint_tick() -> None:
    for colour in ("red", "grey"):
        seal = SealMark(
            bbox=(0.293, 0.568, 0.489, 0.707), shape="round", colour=colour, confidence=0.9
        )  # type: ignore[arg-type]
        reading = _setup_mode_pale(seal)
        assert reading is not None and reading.value == "公司+联盟", colour
        assert not needs_review(reading.confidence, RULES.review)
    # with no seal there, two boxes hold pale ink: for review
    bare = _setup_mode_pale(None)
    assert bare is not None and needs_review(bare.confidence, RULES.review)
    # a seal over both boxes: neither pale mark stands alone, for review as before
    both = SealMark(bbox=(0.3, 0.52, 0.6, 0.68), shape="round", colour="red", confidence=0.9)  # type: ignore[arg-type]
    unsure = _setup_mode_pale(both)
    assert unsure is not None and needs_review(unsure.confidence, RULES.review)


def _setup_mode_dark(seal: SealMark | None) -> ExtractedField | None:
    """组建模式 on a greyscale copy (tuned grey-highlighter-holes, /tmp/s18-all P075,
    session 18): 独立法人's box dark (ink 0.51), 公司+联盟's clean; the chosen words
    highlighted, which the grey 推荐单位 seal over the row keeps the words' cue from
    judging."""
    page = _scan_page(
        (
            _line("组建模式:", 0.163, 0.6, 0.255, 0.621),
            _line("独立法人 公司+联盟", 0.38, 0.6, 0.62, 0.622),
        ),
        (
            TickBox(bbox=(0.388, 0.606, 0.407, 0.618), ink=0.51, pale=0.68, source="image"),
            TickBox(bbox=(0.503, 0.606, 0.521, 0.619), ink=0.0, pale=0.0, source="image"),
        ),
    )
    seals = () if seal is None else (seal,)
    return _read("setup_mode", page.model_copy(update={"seals": seals}))


def test_a_box_dark_only_inside_a_grey_seals_face_is_not_read_sure() -> None:
    grey = SealMark(bbox=(0.264, 0.581, 0.455, 0.716), shape="round", colour="grey", confidence=0.7)  # type: ignore[arg-type]
    doubted = _setup_mode_dark(grey)
    assert doubted is not None and doubted.value == "独立法人"
    assert needs_review(doubted.confidence, RULES.review)
    assert Doubt.TICK_WORDS_INK in {d.cue for d in doubted.doubts}
    # a red seal is taken off the image (its lettering is no ink in the box), and no seal
    # at all: the dark box reads sure, as before
    red = grey.model_copy(update={"colour": "red"})
    for seal in (red, None):
        sure = _setup_mode_dark(seal)
        assert sure is not None and sure.value == "独立法人"
        assert not needs_review(sure.confidence, RULES.review)
