"""Fields read by geometry: off the electronic copies against the corpus truth, and blanks
and readings on scans made unsure by ink the OCR did not read (``Page.unread``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from shenbao_lab.bench.extract import same_value as _same
from shenbao_lab.generator.truth import Truth

from extractors.checks import check_fields
from extractors.fields import (
    _authority_unplaced,
    _doubt_date_order,
    _same_day_dates,
    extract,
    read_field,
)
from extractors.normalize import normalizer
from extractors.review import needs_review
from pipeline.config import ReadMethod
from pipeline.model import (
    Annex,
    Doubt,
    ExtractedField,
    FindingCode,
    Page,
    SealMark,
    SourceKind,
    Submission,
    SubmissionSource,
    TextLine,
    UnreadInk,
)
from tests.readers import SAMPLES, TEMPLATES, read_electronic
from tests.rulebook import RULES

CAMPAIGN = RULES.campaign
TRUTHS = sorted((SAMPLES / "truth").glob("[PC]*.json"))
NORMALIZE = normalizer(RULES)


@pytest.mark.parametrize("truth_file", TRUTHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", [SourceKind.TEXT_LAYER, SourceKind.DOCX])
def test_every_field_read_off_electronic_copies_is_the_truth(
    truth_file: Path, kind: SourceKind
) -> None:
    truth = Truth.model_validate_json(truth_file.read_text(encoding="utf-8"))
    source = next(s for s in truth.sources if s.kind is kind)
    fields = extract(read_electronic(SAMPLES / source.file), RULES).fields
    template = TEMPLATES[truth.annex]
    expected = {
        f.key
        for p in template.pages
        for f in map(template.field, p.fields)
        if f.method is not ReadMethod.CHECKBOX
    }
    wrong = {
        k: (fields[k].value, source.fields[k].value)
        for k in expected & set(fields)
        if not _same(fields[k].value, source.fields[k].value, NORMALIZE)
    }
    assert not wrong
    unread = {k for k in expected - set(fields) if source.fields[k].value not in (None, [])}
    assert not unread
    for key, field in fields.items():
        assert field.page is not None and field.bbox is not None, key
        assert field.confidence == 1.0, key  # text layers and DOCX are read exactly


# --- unread ink: a blank (or a reading cut short) where ink nobody read lies ------------

PILOT = TEMPLATES[Annex.PILOT]
CERTIFICATION = TEMPLATES[Annex.CERTIFICATION]
A4 = {"width_pt": 595.0, "height_pt": 842.0}


def _page(
    lines: list[TextLine], unread: list[UnreadInk], kind: SourceKind = SourceKind.SCAN
) -> Page:
    return Page(number=1, source_page=1, kind=kind, lines=tuple(lines), unread=tuple(unread), **A4)


def _line(text: str, bbox: tuple[float, float, float, float]) -> TextLine:
    return TextLine(text=text, bbox=bbox, confidence=0.99)


def _read(key: str, page: Page) -> ExtractedField:
    reading = read_field(PILOT.field(key), page, PILOT, RULES)
    assert reading is not None
    return reading


# The cover: 创新中心名称：[value under a seal, not read] and the next row's label and value.
COVER_LABEL = _line("创新中心名称：", (0.165, 0.429, 0.302, 0.450))
NEXT_ROW = [
    _line("运营单位（盖章）：", (0.167, 0.475, 0.321, 0.493)),
    _line("贵州乌江冶炼集团有限公司", (0.386, 0.472, 0.634, 0.494)),
]
SEAL_OVER_VALUE = UnreadInk(bbox=(0.329, 0.407, 0.752, 0.538), ink=0.08)


def test_a_blank_with_unread_ink_where_its_value_goes_is_not_sure() -> None:
    reading = _read("center_name", _page([COVER_LABEL, *NEXT_ROW], [SEAL_OVER_VALUE]))
    assert reading.value is None and reading.raw == ""
    assert needs_review(reading.confidence, RULES.review)
    # the check then asks a reviewer instead of asserting the field is missing
    submission = Submission(
        id="s-p001-001",
        annex=Annex.PILOT,
        source=SubmissionSource(file="s.pdf", sha256="0" * 64, pages=(1, 1)),
        pages=(_page([COVER_LABEL, *NEXT_ROW], [SEAL_OVER_VALUE]),),
        fields={"center_name": reading},
    )
    codes = {
        (f.code, f.field)
        for f in check_fields(
            submission,
            PILOT,
            CAMPAIGN,
            rules=RULES.checks,
            review=RULES.review,
            normalize=NORMALIZE,
        )
    }
    assert (FindingCode.FIELD_LOW_CONFIDENCE, "center_name") in codes
    assert (FindingCode.FIELD_MISSING, "center_name") not in codes


def test_a_blank_with_no_ink_there_stays_a_sure_blank() -> None:
    elsewhere = [
        UnreadInk(bbox=(0.48, 0.95, 0.52, 0.96), ink=0.12),  # a page number — 3 —
        UnreadInk(bbox=(0.40, 0.52, 0.60, 0.60), ink=0.1),  # ink on other rows
        UnreadInk(bbox=(0.05, 0.425, 0.12, 0.45), ink=0.3),  # left of the label
    ]
    for unread in ([], elsewhere):
        reading = _read("center_name", _page([COVER_LABEL, *NEXT_ROW], unread))
        assert reading.value is None and reading.confidence == 1.0
    # text layers and DOCX are read exactly: no ink to doubt them by
    page = _page([COVER_LABEL, *NEXT_ROW], [SEAL_OVER_VALUE], kind=SourceKind.TEXT_LAYER)
    assert _read("center_name", page).confidence == 1.0


@pytest.mark.parametrize("colon", ["：", ":", ";", "；", "，", ".", "、"])
def test_a_colon_misread_after_the_label_is_no_value(colon: str) -> None:
    """The OCR reads the label's colon as another mark (所属产业领域; on a scan): the mark
    is a separator, never the value; the value is the line right of the label."""
    label = _line(f"所属产业领域{colon}", (0.167, 0.599, 0.309, 0.624))
    value = _line("冶金", (0.387, 0.599, 0.441, 0.624))
    reading = _read("domain", _page([label, value], []))
    assert reading.value == "冶金", colon
    inline = _read(
        "domain", _page([_line(f"所属产业领域{colon}冶金", (0.167, 0.599, 0.45, 0.624))], [])
    )
    assert inline.value == "冶金", colon


# The commitment page: 牵头单位（盖章）with the date below it.
COMMIT_LABEL = _line("牵头单位（盖章）", (0.523, 0.322, 0.660, 0.345))


def test_a_blank_below_date_with_ink_under_its_label_is_not_sure() -> None:
    written = UnreadInk(bbox=(0.53, 0.36, 0.67, 0.39), ink=0.2)  # 2022年6月7日, unread
    assert needs_review(
        _read("commit_date", _page([COMMIT_LABEL], [written])).confidence, RULES.review
    )
    far_below = UnreadInk(bbox=(0.53, 0.60, 0.67, 0.63), ink=0.2)
    assert _read("commit_date", _page([COMMIT_LABEL], [far_below])).confidence == 1.0


def test_a_seal_over_the_first_row_under_a_below_label_makes_its_blank_unsure() -> None:
    """A grey copy's commitment page (tuned pen-circle, /tmp/s18-all P051, session 18): the
    lead's seal stamped over the date under 牵头单位（盖章）, nothing of it read; the seal's
    blob reaches one row under the label, not the band's three: the blank was sure and
    raised a false FIELD_MISSING."""
    label = _line("牵头单位(盖章)", (0.52447, 0.31637, 0.72387, 0.35357))
    seal = UnreadInk(bbox=(0.5366, 0.2617, 0.7927, 0.4036), ink=0.12)
    reading = _read("commit_date", _page([label], [seal]))
    assert reading.value is None and needs_review(reading.confidence, RULES.review)
    assert Doubt.BLANK_WITH_INK in {d.cue for d in reading.doubts}
    # a seal ending above the row under the label leaves the blank sure
    above = UnreadInk(bbox=(0.5366, 0.2617, 0.7927, 0.36), ink=0.12)
    assert _read("commit_date", _page([label], [above])).confidence == 1.0


def test_a_units_closing_bracket_read_as_the_colon_leaves_the_value_on_the_line() -> None:
    """推荐单位（盖章：铜仁市工业和信息化局 read as one line on a grey copy (tuned copier-grey,
    /tmp/s18-all P064, session 18): the ） under the seal's ring read as ：, the name after it
    was dropped as the rest of a unit the line began, a blank read sure."""
    line = _line("推荐单位（盖章：铜仁市工业和信息化局", (0.16133, 0.63489, 0.63565, 0.67123))
    reading = _read("recommender", _page([line], []))
    assert reading.value == "铜仁市工业和信息化局"
    # the unit begun and cut with nothing after it is still the label's, no value
    cut = _line("推荐单位（盖章", (0.16133, 0.63489, 0.40, 0.67123))
    assert _read("recommender", _page([cut], [])).value is None


def test_a_label_line_read_on_far_past_its_units_start_is_never_a_sure_blank() -> None:
    """推荐单位（盖重区今南州业和信息化局 read as one line on a grey cover (tuned
    grey-word-check-after, /tmp/s20-all P048, session 20): 章 and the value's start under the
    seal's ring read as 重区今. More characters than the unit's rest could be misread as are
    the value read badly — for review — not the unit misread before a blank read sure."""
    line = _line("推荐单位（盖重区今南州业和信息化局", (0.163, 0.626, 0.611, 0.671))
    reading = _read("recommender", _page([line], []))
    assert reading.value is not None and "南州业和信息化局" in str(reading.value)
    assert needs_review(reading.confidence, RULES.review)
    # the unit's rest misread in as many characters is still the label's: no value
    misread = _line("推荐单位（盖草）", (0.163, 0.626, 0.40, 0.671))
    assert _read("recommender", _page([misread], [])).value is None


def test_the_printed_marks_of_a_blank_date_the_ocr_missed_are_no_value() -> None:
    # 年 and 月 unread, 日 read: the form's printed blank, nothing written
    day = _line("日", (0.705, 0.355, 0.736, 0.38))
    marks = [
        UnreadInk(bbox=(0.563, 0.356, 0.581, 0.375), ink=0.37),
        UnreadInk(bbox=(0.640, 0.356, 0.655, 0.375), ink=0.38),
    ]
    reading = _read("commit_date", _page([COMMIT_LABEL, day], marks))
    assert reading.value is None and reading.confidence == 1.0
    # a year written before them is wider than a mark: not sure any more
    year = UnreadInk(bbox=(0.49, 0.356, 0.56, 0.376), ink=0.3)  # 2022, 15 mm
    reading = _read("commit_date", _page([COMMIT_LABEL, day], [*marks, year]))
    assert reading.value is None and needs_review(reading.confidence, RULES.review)


def test_a_reading_with_unread_ink_right_after_it_on_its_row_is_not_sure() -> None:
    date = _line("2022年6月1", (0.521, 0.363, 0.632, 0.387))
    sure = _read("commit_date", _page([COMMIT_LABEL, date], []))
    assert sure.value == "2022-06-01" and sure.confidence > 0.9
    cut_short = [
        UnreadInk(bbox=(0.634, 0.362, 0.66, 0.388), ink=0.25),  # 7日, written, unread
        UnreadInk(bbox=(0.621, 0.286, 0.822, 0.428), ink=0.12),  # a seal over its end
    ]
    for blob in cut_short:
        reading = _read("commit_date", _page([COMMIT_LABEL, date], [blob]))
        assert reading.value == "2022-06-01" and needs_review(reading.confidence, RULES.review), (
            blob
        )


def test_a_seal_ring_near_a_complete_reading_leaves_it_sure() -> None:
    date = _line("2022年6月7日", (0.531, 0.364, 0.668, 0.385))
    near = [
        UnreadInk(bbox=(0.673, 0.253, 0.873, 0.381), ink=0.16),  # its bottom arc beside
        UnreadInk(bbox=(0.66, 0.345, 0.70, 0.378), ink=0.18),  # a fragment above the end
        UnreadInk(bbox=(0.80, 0.364, 0.84, 0.385), ink=0.2),  # ink further along the row
        UnreadInk(bbox=(0.40, 0.30, 0.75, 0.45), ink=0.1),  # a seal around it all
    ]
    for blob in near:
        reading = _read("commit_date", _page([COMMIT_LABEL, date], [blob]))
        assert reading.confidence > 0.9, blob


def test_a_date_read_to_its_end_is_not_cut_short_by_a_seal_just_past_it() -> None:
    """A seal stamped just past a whole date (its ring's box beginning under the 日 and
    covering the row: greyscale, session-16 tuned corpus, copier-grey and
    grey-shaded-words-holes): nothing after 日 belongs to the date, the reading is sure;
    the same seal past a date without its 日 still is a reading that may have stopped."""
    seal = UnreadInk(bbox=(0.665, 0.259, 0.888, 0.42), ink=0.1)
    whole = _line("2022年6月7日", (0.529, 0.365, 0.67, 0.39))
    reading = _read("commit_date", _page([COMMIT_LABEL, whole], [seal]))
    assert reading.value == "2022-06-07" and reading.confidence > 0.9
    begun = _line("2022年6月1", (0.529, 0.365, 0.67, 0.39))
    reading = _read("commit_date", _page([COMMIT_LABEL, begun], [seal]))
    assert needs_review(reading.confidence, RULES.review)


# A seal over 贵州省 on a 1-bit cover (session 17, tuned corpus): the OCR read the name
# from 智能 on, the first characters hidden under the seal's ink.
COVER_ROWS = [
    _line("牵头单位", (0.165, 0.471, 0.255, 0.493)),
    _line("贵州黔源智能终端有限公司", (0.384, 0.465, 0.637, 0.494)),
    _line("所属产业领域", (0.165, 0.514, 0.278, 0.535)),
    _line("大数据为引领的电子信息", (0.387, 0.514, 0.613, 0.535)),
]
SEAL_OVER_START = UnreadInk(bbox=(0.262, 0.399, 0.463, 0.511), ink=0.2)


def test_a_value_starting_late_under_a_seal_is_not_sure() -> None:
    late = _line("智能终端制造业创新中心", (0.441, 0.426, 0.674, 0.446))
    reading = _read("center_name", _page([COVER_LABEL, late, *COVER_ROWS], [SEAL_OVER_START]))
    assert reading.value == "智能终端制造业创新中心"
    assert needs_review(reading.confidence, RULES.review)
    assert Doubt.INK_PRECEDES in {d.cue for d in reading.doubts}
    # no seal there: a value that merely starts late is read as it is
    alone = _read("center_name", _page([COVER_LABEL, late, *COVER_ROWS], []))
    assert Doubt.INK_PRECEDES not in {d.cue for d in alone.doubts}


def test_a_value_starting_late_right_of_a_found_seal_is_not_sure() -> None:
    """A 1-bit cover (tuned bw-turned-glyph-cross, s20-all P037): the seal found over the
    row as dark as the type, 毕节 of 毕节黔通农产品开发研究院 lost under it, the value read
    from the seal's edge on and no unread ink said so (the seal's own blob runs on past
    the value's start)."""
    late = _line("智能终端制造业创新中心", (0.441, 0.426, 0.674, 0.446))
    page = _page([COVER_LABEL, late, *COVER_ROWS], [])
    seal = SealMark(bbox=(0.235, 0.399, 0.44, 0.536), shape="round", colour="grey", confidence=0.69)
    reading = _read("center_name", page.model_copy(update={"seals": (seal,)}))
    assert needs_review(reading.confidence, RULES.review)
    assert Doubt.INK_PRECEDES in {d.cue for d in reading.doubts}
    # the same seal, the value read in full from where its neighbours start: sure
    whole = _line("贵州省智能终端制造业创新中心", (0.384, 0.426, 0.674, 0.446))
    page = _page([COVER_LABEL, whole, *COVER_ROWS], [])
    reading = _read("center_name", page.model_copy(update={"seals": (seal,)}))
    assert not needs_review(reading.confidence, RULES.review)
    # a seal half off the page's edge (骑缝章) is no seal over the row
    edge = seal.model_copy(update={"edge": "left"})
    page = _page([COVER_LABEL, late, *COVER_ROWS], [])
    reading = _read("center_name", page.model_copy(update={"seals": (edge,)}))
    assert Doubt.INK_PRECEDES not in {d.cue for d in reading.doubts}


def test_a_value_starting_with_its_neighbours_under_a_seal_stays_sure() -> None:
    """The seal's ink reaches the row's start as before, but the value starts where the
    values above and below it do: read in full."""
    whole = _line("贵州省智能终端制造业创新中心", (0.384, 0.426, 0.674, 0.446))
    seal = UnreadInk(bbox=(0.262, 0.399, 0.40, 0.511), ink=0.2)
    reading = _read("center_name", _page([COVER_LABEL, whole, *COVER_ROWS], [seal]))
    assert reading.value == "贵州省智能终端制造业创新中心"
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize("tail", ["（盖章）：", "(盖章):", "盖章）：", "（盖章）"])
def test_a_label_split_across_two_lines_is_not_kept_in_the_value(tail: str) -> None:
    """The OCR read 推荐单位 and （盖章）：黔东南州… as two lines: the label's end and its
    colon are the form's words, not the recommender's name."""
    label = _line("推荐单位", (0.167, 0.520, 0.260, 0.542))
    value = _line(f"{tail}黔东南州工业和信息化局", (0.262, 0.520, 0.600, 0.542))
    reading = _read("recommender", _page([label, value], []))
    assert reading.value == "黔东南州工业和信息化局"
    assert reading.raw == "黔东南州工业和信息化局"
    # a value that merely starts like a word of the label keeps it
    plain = _line("盖州市工业和信息化局", (0.262, 0.520, 0.600, 0.542))
    assert _read("recommender", _page([label, plain], [])).value == "盖州市工业和信息化局"


@pytest.mark.parametrize("tail", ["盖章)", "（盖章）：", "(盖章)"])
def test_a_label_cut_in_three_lines_leaves_its_tail_out_of_the_value(tail: str) -> None:
    """The OCR read 推荐单位 | 盖章) | 黔西南州… as three lines (a photocopy lost the （):
    the middle line is the rest of the label, the value is the line after it."""
    label = _line("推荐单位", (0.165, 0.645, 0.276, 0.671))
    rest = _line(tail, (0.288, 0.646, 0.349, 0.669))
    value = _line("黔西南州工业和信息化局", (0.356, 0.644, 0.658, 0.673))
    reading = _read("recommender", _page([label, rest, value], []))
    assert reading.value == "黔西南州工业和信息化局"
    assert reading.raw == "黔西南州工业和信息化局"


def test_a_label_and_a_list_both_wrapped_in_their_cells_are_read_whole() -> None:
    """省级及以上 / 创新平台 in the label cell, the list wrapped at the cell's end beside
    it: the label is found from its two lines, and the list's second line — beside the
    label's own second line, not a new row's label — is the list's."""
    label = [
        _line("省级及以上", (0.10, 0.400, 0.22, 0.415)),
        _line("创新平台", (0.10, 0.420, 0.20, 0.435)),
    ]
    value = [
        _line("贵州省工业互联网创新中心、贵州省工", (0.30, 0.400, 0.80, 0.415)),
        _line("业设计中心", (0.30, 0.420, 0.42, 0.435)),
    ]
    next_row = [
        _line("建设期总投资（万元）", (0.10, 0.445, 0.28, 0.460)),
        _line("5000", (0.30, 0.445, 0.36, 0.460)),
    ]
    reading = _read("platforms", _page([*label, *value, *next_row], []))
    assert reading.value == ["贵州省工业互联网创新中心", "贵州省工业设计中心"]


PLATFORM_LABEL = _line("省级及以上创新平台", (0.124, 0.537, 0.287, 0.561))
ADDRESS_ROW = [  # a value of the same column that reaches the cell's right edge
    _line("注册地址", (0.125, 0.269, 0.205, 0.291)),
    _line("贵州省黔东南苗族侗族自治州镇远县工业园路40号东区", (0.39, 0.270, 0.86, 0.290)),
]
PLATFORM_NEXT_ROW = [
    _line("建设期总投资（万元）", (0.129, 0.640, 0.292, 0.657)),
    _line("4578.00", (0.387, 0.638, 0.462, 0.660)),
]


ONE_A_LINE = (  # each platform on a line of its own, well short of the cell's edge
    [
        ("省级企业技术中心", (0.389, 0.540, 0.545, 0.561)),
        ("贵州省工程研究中心", (0.389, 0.565, 0.566, 0.586)),
        ("省级技术创新示范企业", (0.389, 0.590, 0.586, 0.611)),
    ],
    ["省级企业技术中心", "贵州省工程研究中心", "省级技术创新示范企业"],
)
WRAPPED_ITEM = (  # the first item too long for the cell: wrapped at its edge, one item
    [
        ("贵州省黔中经济区新型功能材料产业技术创新", (0.389, 0.540, 0.858, 0.561)),
        ("战略联盟", (0.389, 0.565, 0.466, 0.586)),
        ("省级企业技术中心", (0.389, 0.590, 0.545, 0.611)),
    ],
    ["贵州省黔中经济区新型功能材料产业技术创新战略联盟", "省级企业技术中心"],
)


@pytest.mark.parametrize(("lines", "items"), [ONE_A_LINE, WRAPPED_ITEM])
def test_a_list_one_item_a_line_is_read_as_its_items(
    lines: list[tuple[str, tuple[float, float, float, float]]], items: list[str]
) -> None:
    """A line break ends an item where its line ends well short of the cell's edge."""
    written = [_line(text, box) for text, box in lines]
    page = _page([*ADDRESS_ROW, PLATFORM_LABEL, *written, *PLATFORM_NEXT_ROW], [])
    assert _read("platforms", page).value == items


# The opinion page: 推荐单位（盖章）with the written date below it.
OPINION_LABEL = _line("推荐单位（盖章）", (0.533, 0.521, 0.696, 0.546))


@pytest.mark.parametrize(
    ("rereadings", "sure"),
    [
        (("2022年7月1日", "2022年7月11日"), False),  # read otherwise from one crop: review
        (("2022年7月1日", "2022年7月1日"), True),  # read alike every time
        (("2022年7月1日", "2022年月11日"), True),  # a re-reading that is no date says nothing
        # a re-reading whose year lies outside the call's (2012: a digit of the year
        # misread) agreeing on the month and day says nothing against the value
        (("2012年7月1日", "2022年7月1日"), True),
        (("2022年7月11日", "2012年7月1日"), False),  # one disagrees on the day: review
        (None, True),  # not read again (an engine that cannot)
    ],
)
def test_a_written_date_read_otherwise_from_another_crop_goes_to_review(
    rereadings: tuple[str, ...] | None, sure: bool
) -> None:
    date = TextLine(
        text="2022年7月1日",
        bbox=(0.498, 0.562, 0.747, 0.588),
        confidence=0.99,
        rereadings=rereadings,
    )
    reading = read_field(
        PILOT.field("recommend_date"), _page([OPINION_LABEL, date], []), PILOT, RULES
    )
    assert reading is not None and reading.value == "2022-07-01"
    assert needs_review(reading.confidence, RULES.review) is not sure
    if not sure:
        strongest = reading.doubts[0]
        assert (strongest.cue, strongest.detail) == (Doubt.REREAD, "2022年7月11日")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2022年了月15日", "2022-07-15"),  # a hurried 7 read 了: proposed, for review
        ("2022年了了月15日", None),  # 77月 is no month: still unread
        ("2022年月15日", None),  # nothing to take for a digit
    ],
)
def test_a_written_digit_read_as_a_character_is_proposed_for_review(
    text: str, value: str | None
) -> None:
    date = TextLine(text=text, bbox=(0.493, 0.561, 0.741, 0.586), confidence=0.95)
    reading = read_field(
        PILOT.field("recommend_date"), _page([OPINION_LABEL, date], []), PILOT, RULES
    )
    assert reading is not None and reading.value == value
    assert needs_review(reading.confidence, RULES.review)  # never sure
    if value is not None:
        assert (reading.doubts[0].cue, reading.doubts[0].detail) == (
            Doubt.WRITTEN_DIGIT,
            "2022年7月15日",
        )


@pytest.mark.parametrize(
    ("rereadings", "sure"),
    [
        (("2022年7月56日", "2022年7月16日"), True),  # one crop read the 7 itself
        (("2022年了月16日", "202年丁月16日"), False),  # the 了 again, or nothing that parses
        (("2022年7月16日", "2022年7月18日"), False),  # another date read: for review
    ],
)
def test_a_written_digit_a_re_reading_reads_as_the_digit_is_confirmed(
    rereadings: tuple[str, str], sure: bool
) -> None:
    """2022年了月16日 (a hurried 7 read 了) re-read 2022年7月16日 in another crop: the
    recogniser saw the 7, the proposal is the date read (session-18 tuned corpus)."""
    date = TextLine(
        text="2022年了月16日",
        bbox=(0.493, 0.561, 0.741, 0.586),
        confidence=0.95,
        rereadings=rereadings,
    )
    reading = read_field(
        PILOT.field("recommend_date"), _page([OPINION_LABEL, date], []), PILOT, RULES
    )
    assert reading is not None and reading.value == "2022-07-16"
    assert needs_review(reading.confidence, RULES.review) is not sure


def test_a_re_reading_of_a_line_with_its_label_is_taken_after_the_label() -> None:
    inline = TextLine(
        text="申报日期：2022年6月16日",
        bbox=(0.167, 0.70, 0.50, 0.72),
        confidence=0.99,
        rereadings=("申报日期：2022年6月16日", "申报日期:2022年6月26日"),
    )
    reading = _read("apply_date", _page([inline], []))
    assert reading.value == "2022-06-16"
    assert needs_review(reading.confidence, RULES.review)


def _dated(value: str, page: int) -> ExtractedField:
    return ExtractedField(value=value, raw=value, page=page, confidence=0.99)


@pytest.mark.parametrize("kind", [SourceKind.SCAN, SourceKind.TEXT_LAYER])
def test_a_recommendation_dated_before_the_application_sends_both_to_review(
    kind: SourceKind,
) -> None:
    """A written 7 read as 3: the recommendation (2022-03-14) before the application
    (2022-07-11) cannot be, so one of them is misread; on a born-digital copy it is what
    the paper says."""
    pages = {1: _page([], [], kind), 8: _page([], [], kind).model_copy(update={"number": 8})}
    fields = {"apply_date": _dated("2022-07-11", 1), "recommend_date": _dated("2022-03-14", 8)}
    doubted = _doubt_date_order(fields, PILOT, pages, RULES)
    if kind is SourceKind.TEXT_LAYER:
        assert doubted == fields
        return
    for key, other in (("apply_date", "推荐单位（盖章）"), ("recommend_date", "申报日期")):
        assert needs_review(doubted[key].confidence, RULES.review), key
        assert [(d.cue, d.detail) for d in doubted[key].doubts] == [(Doubt.OUT_OF_ORDER, other)]
    in_order = fields | {"recommend_date": _dated("2022-07-14", 8)}
    assert _doubt_date_order(in_order, PILOT, pages, RULES) == in_order


def _three_pages() -> dict[int, Page]:
    return {n: _page([], []).model_copy(update={"number": n}) for n in (1, 6, 8)}


def test_the_application_and_commitment_dates_read_alike_confirm_each_other() -> None:
    """承诺日期 read 2022年6月6 with unread ink after it (its 日, or a second digit: for
    review alone), the application on another page read 2022-06-06 surely: two readings of
    one date agreeing, neither goes to review (session-18 tuned corpus)."""
    unsure = _dated("2022-06-06", 6).model_copy(update={"confidence": 0.5, "doubts": ()})
    fields = {"apply_date": _dated("2022-06-06", 1), "commit_date": unsure}
    revised, confirmed = _same_day_dates(fields, _three_pages(), RULES)
    assert confirmed == {"apply_date", "commit_date"}
    assert not needs_review(revised["commit_date"].confidence, RULES.review)
    assert revised["commit_date"].confidence >= revised["apply_date"].confidence - 1e-9


@pytest.mark.parametrize(
    ("commit", "page"),
    [("2022-06-16", 6), ("2022-06-06", 1)],
    ids=["read otherwise", "on the same page"],
)
def test_dates_read_apart_or_on_one_page_confirm_nothing(commit: str, page: int) -> None:
    """Read as two dates (signed on two days, or one misread), or both off one page (not
    two independent readings): neither is revised."""
    unsure = _dated(commit, page).model_copy(update={"confidence": 0.5})
    fields = {"apply_date": _dated("2022-06-06", 1), "commit_date": unsure}
    revised, confirmed = _same_day_dates(fields, _three_pages(), RULES)
    assert revised == fields
    assert not confirmed


def test_dates_one_character_apart_by_one_lost_both_go_to_review() -> None:
    """承诺日期 read 2022年7月1日 at 1.0 (its 6 lost under a seal's ring on a 1-bit page;
    tuned bw-black-circle-holes, s20-all P028), the application read 2022年7月16日: not two
    days signed, a character lost in one of them — which, a reviewer sees. A digit read
    otherwise (7月6日 beside 7月8日) may be another day: nothing is said."""

    def read(raw: str, value: str, page: int) -> ExtractedField:
        return ExtractedField(value=value, raw=raw, page=page, confidence=1.0)

    fields = {
        "apply_date": read("2022年7月16日", "2022-07-16", 1),
        "commit_date": read("2022年7月1日", "2022-07-01", 6),
    }
    revised, confirmed = _same_day_dates(fields, _three_pages(), RULES)
    assert not confirmed
    for key, other in (("apply_date", "2022年7月1日"), ("commit_date", "2022年7月16日")):
        assert revised[key].value == fields[key].value
        assert needs_review(revised[key].confidence, RULES.review), key
        assert [(d.cue, d.detail) for d in revised[key].doubts] == [(Doubt.DISAGREE, other)]
    other_day = fields | {"commit_date": read("2022年7月18日", "2022-07-18", 6)}
    assert _same_day_dates(other_day, _three_pages(), RULES) == (other_day, frozenset())
    # a seal found over the shorter reading's row, none over the other's: it lost the 6
    boxed = {k: f.model_copy(update={"bbox": (0.52, 0.36, 0.67, 0.38)}) for k, f in fields.items()}
    pages = _three_pages()
    seal = SealMark(bbox=(0.6, 0.25, 0.8, 0.39), shape="round", colour="grey", confidence=0.69)
    pages[6] = pages[6].model_copy(update={"seals": (seal,)})
    revised, _ = _same_day_dates(boxed, pages, RULES)
    assert needs_review(revised["commit_date"].confidence, RULES.review)
    assert revised["apply_date"] == boxed["apply_date"]
    # the seal over the longer one's row instead: which lost or gained a character is
    # not told, both go to review
    pages = _three_pages()
    pages[1] = pages[1].model_copy(update={"seals": (seal,)})
    revised, _ = _same_day_dates(boxed, pages, RULES)
    assert all(needs_review(revised[k].confidence, RULES.review) for k in boxed)


def test_a_recommendation_before_a_confirmed_application_is_the_one_doubted() -> None:
    """A recommendation read 2022年1月15日 (written 7月15日) before an application read
    2022-07-09 on its page and on the commitment letter's: the application is read twice
    alike, the recommendation alone is sent to review; with the commitment read otherwise
    both are, as before."""
    fields = {
        "apply_date": _dated("2022-07-09", 1),
        "commit_date": _dated("2022-07-09", 6),
        "recommend_date": _dated("2022-01-15", 8),
    }
    revised, confirmed = _same_day_dates(fields, _three_pages(), RULES)
    doubted = _doubt_date_order(revised, PILOT, _three_pages(), RULES, confirmed)
    assert needs_review(doubted["recommend_date"].confidence, RULES.review)
    assert not needs_review(doubted["apply_date"].confidence, RULES.review)
    assert not doubted["apply_date"].doubts
    apart = fields | {"commit_date": _dated("2022-07-19", 6)}
    revised, confirmed = _same_day_dates(apart, _three_pages(), RULES)
    doubted = _doubt_date_order(revised, PILOT, _three_pages(), RULES, confirmed)
    assert needs_review(doubted["apply_date"].confidence, RULES.review)
    assert needs_review(doubted["recommend_date"].confidence, RULES.review)


def test_a_date_outside_the_calls_year_re_read_alike_inside_it_is_proposed() -> None:
    """A handwritten 2022 read 2021 (its 2 scored 0.41) and re-read 2022 at both margins
    (session-16 tuned corpus): the re-readings' date is proposed, for review; re-readings
    that disagree among themselves propose nothing."""
    label = _line("推荐单位（盖章)", (0.519, 0.51, 0.674, 0.531))
    date = _line("2021年7月8日", (0.485, 0.549, 0.726, 0.574)).model_copy(
        update={"rereadings": ("2022年7月8日", "2022年7月 8日")}
    )
    reading = _read("recommend_date", _page([label, date], []))
    assert reading.value == "2022-07-08"
    assert needs_review(reading.confidence, RULES.review)
    split = date.model_copy(update={"rereadings": ("2022年7月8日", "2022年7月9日")})
    reading = _read("recommend_date", _page([label, split], []))
    assert reading.value == "2021-07-08"
    assert needs_review(reading.confidence, RULES.review)


def test_out_of_order_dates_both_go_to_review_even_when_one_was_unsure() -> None:
    """Two dates out of order: either may be the misread one, however sure it was read. A
    handwritten 2022年7月14日 read 2022年7月4日 at 1.0 (its 1 lost) before an application
    sent to review for its own reading (session 16's style corpus): sure, it was wrong, so
    both go to review."""
    pages = {1: _page([], []), 8: _page([], []).model_copy(update={"number": 8})}
    unsure = _dated("2022-07-11", 1).model_copy(update={"confidence": 0.25})
    fields = {"apply_date": unsure, "recommend_date": _dated("2022-07-04", 8)}
    doubted = _doubt_date_order(fields, PILOT, pages, RULES)
    assert [d.cue for d in doubted["recommend_date"].doubts or ()] == [Doubt.OUT_OF_ORDER]
    assert doubted["apply_date"].doubts


@pytest.mark.parametrize(
    "cut", ["研发投入占营业收入比重（%", "研发投入占营业收入比重（", "研发投入占营业收入比重（%）"]
)
def test_a_label_whose_unit_wrapped_leaves_no_value_of_its_own(cut: str) -> None:
    """At 11–12 pt the label's unit wraps: 研发投入占营业收入比重（% on the line, ）below.
    The bracket is the label's, the value is the next cell's."""
    label = _line(cut, (0.125, 0.509, 0.375, 0.529))
    value = _line("4.90%", (0.386, 0.509, 0.453, 0.531))
    reading = _read("rd_ratio", _page([label, value], []))
    assert reading.value == 4.9 and not needs_review(reading.confidence, RULES.review)


def test_a_value_read_on_to_the_start_of_a_wrapped_unit_is_the_value() -> None:
    """No rule between label and value (黑体, spaced labels): the OCR reads 研发投入占营业收入
    比重（4.89% as one line, the unit's %）wrapped below. The （ is the label's."""
    line = _line("研发投入占营业收入比重（4.89%", (0.12, 0.537, 0.451, 0.559))
    wrapped = _line("%)", (0.117, 0.558, 0.16, 0.584))
    reading = _read("rd_ratio", _page([line, wrapped], []))
    assert reading.value == 4.89 and not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize("read", ["研发投入占营业收入比重（00", "研发投入占营业收入比重(%0"])
def test_a_misread_unit_begun_on_the_label_line_is_not_the_value_beside_it(read: str) -> None:
    """On 1-bit paper the unit is misread on the label's line (its ％ as 00, its ）as 0;
    the rest wrapped below); the value is the next cell's 6.76, never 0."""
    line = _line(read, (0.123, 0.513, 0.375, 0.533))
    value = _line("6.76", (0.38, 0.513, 0.436, 0.535))
    wrapped = _line(")", (0.123, 0.535, 0.139, 0.55))
    reading = _read("rd_ratio", _page([line, value, wrapped], []))
    assert reading.value == 6.76 and not needs_review(reading.confidence, RULES.review)


def test_the_rest_of_a_split_label_is_found_though_its_box_overlaps_the_label() -> None:
    """The OCR split 推荐单位【盖章）：黔西南州工业和信息化局 in two, the second box starting a
    little left of the first's end: it is still the line right of the label, and the value
    is after the label's end, not a sure blank."""
    label = _line("推荐单位", (0.161, 0.644, 0.278, 0.669))
    rest = _line("【盖章）：黔西南州工业和信息化局", (0.271, 0.644, 0.651, 0.669))
    reading = _read("recommender", _page([label, rest], []))
    assert reading.value == "黔西南州工业和信息化局"


def test_a_colon_misread_as_a_mark_after_the_label_leaves_the_value_to_the_next_cell() -> None:
    """其中：自筹资金（万元）_ — the colon read as _ — and 3,708.90 right of it: the value is
    3708.9, not a sure blank."""
    label = _line("其中：自筹资金（万元）_", (0.125, 0.651, 0.338, 0.671))
    value = _line("3,708.90", (0.387, 0.651, 0.471, 0.674))
    reading = _read("self_funds", _page([label, value], []))
    assert reading.value == 3708.9 and not needs_review(reading.confidence, RULES.review)


def test_a_tall_date_rising_into_the_labels_row_is_under_it_not_a_sure_blank() -> None:
    """运营单位(盖章) with the date read as one tall line (2022, the rest under a seal)
    starting just above the label's bottom: it is the value's place, read and unsure."""
    label = _line("运营单位(盖章)", (0.527, 0.324, 0.688, 0.35))
    date = _line("2022", (0.514, 0.339, 0.729, 0.41))
    reading = read_field(
        CERTIFICATION.field("commit_date"), _page([label, date], []), CERTIFICATION, RULES
    )
    assert reading is not None and reading.raw == "2022"
    assert needs_review(reading.confidence, RULES.review)


# --- a seal-slot label its own seal is stamped over -------------------------------------

COMMIT_DATE = _line("2022年7月12日", (0.531, 0.363, 0.680, 0.387))
SEAL_ON_LABEL = SealMark(
    bbox=(0.545, 0.287, 0.738, 0.424), shape="round", colour="grey", confidence=0.9
)


def _sealed_page(lines: list[TextLine], seals: tuple[SealMark, ...]) -> Page:
    return _page(lines, []).model_copy(update={"seals": seals})


@pytest.mark.parametrize(
    ("label", "seals", "sure"),
    [
        ("买单位（盖章）", (SEAL_ON_LABEL,), True),  # read in part under a found seal
        ("牵头单(盖章", (SEAL_ON_LABEL,), True),
        ("买单位（盖章）", (), False),  # in part, no seal found over it: a reviewer looks
    ],
)
def test_a_date_under_a_label_its_seal_left_in_part_is_read(
    label: str, seals: tuple[SealMark, ...], sure: bool
) -> None:
    page = _sealed_page([_line(label, (0.555, 0.322, 0.722, 0.348)), COMMIT_DATE], seals)
    reading = _read("commit_date", page)
    assert reading.value == "2022-07-12"
    assert needs_review(reading.confidence, RULES.review) is not sure
    assert Doubt.LABEL in {d.cue for d in reading.doubts or ()}


def test_a_date_whose_end_was_read_apart_nearer_the_label_is_read_from_its_start() -> None:
    # 推 | 单位（盖章） over 2022年7月 | 8日, the 8日 a hair higher: the line straight under
    # the label was the date's end, and the date was never attached (a grey seal over
    # the label, tuned grey-shaded-words-holes, s18-all P091, session 19)
    seal = SealMark(
        bbox=(0.56, 0.45, 0.75, 0.58), shape="round", colour="grey", confidence=0.9
    )  # fmt: skip
    lines = [
        _line("推", (0.531, 0.522, 0.562, 0.543)),
        _line("单位（盖章）", (0.548, 0.515, 0.69, 0.549)),
        _line("2022年7月", (0.493, 0.561, 0.672, 0.586)),
        _line("8日", (0.68, 0.56, 0.737, 0.583)),
    ]
    reading = _read("recommend_date", _sealed_page(lines, (seal,)))
    assert reading.value == "2022-07-08"
    assert not needs_review(reading.confidence, RULES.review)


def test_a_line_like_the_label_with_no_date_under_it_anchors_nothing() -> None:
    page = _sealed_page(
        [
            _line("买单位（盖章）", (0.555, 0.322, 0.722, 0.348)),
            _line("邓洋", (0.56, 0.363, 0.6, 0.387)),
        ],
        (SEAL_ON_LABEL,),
    )
    assert read_field(PILOT.field("commit_date"), page, PILOT, RULES) is None


def test_a_sentence_sharing_words_with_the_label_is_no_label() -> None:
    sentence = _line("本单位承诺所提交的申报材料真实", (0.16, 0.322, 0.87, 0.348))
    page = _sealed_page([sentence, COMMIT_DATE], ())
    assert read_field(PILOT.field("commit_date"), page, PILOT, RULES) is None


def test_a_date_in_part_in_a_seal_whose_label_no_line_reads_goes_to_review() -> None:
    # the day's end under the ring (a whole date there: the test after next)
    begun = COMMIT_DATE.model_copy(update={"text": "2022年7月1"})
    reading = _read("commit_date", _sealed_page([begun], (SEAL_ON_LABEL,)))
    assert reading.value == "2022-07-01"
    assert needs_review(reading.confidence, RULES.review)
    # no seal: no place to anchor to
    assert (
        read_field(PILOT.field("commit_date"), _sealed_page([COMMIT_DATE], ()), PILOT, RULES)
        is None
    )


# --- a date row a seal cuts, read again as one crop (TextLine.row_reading) --------------

OPINION_SEAL_LABEL = _line("推荐单位（盖章）", (0.526, 0.519, 0.680, 0.540))


def _opinion_row(pieces: list[tuple[str, tuple[float, float, float, float]]], again: str) -> Page:
    lines = [_line(text, bbox) for text, bbox in pieces]
    lines[0] = lines[0].model_copy(update={"row_reading": again})
    return _page([OPINION_SEAL_LABEL, *lines], [])


@pytest.mark.parametrize(
    ("pieces", "again", "value"),
    [
        # 2022年7月 | 日, the day under the seal: the row read whole proposes it
        (
            [("2022年7月", (0.484, 0.56, 0.672, 0.588)), ("日", (0.706, 0.566, 0.733, 0.584))],
            "2022年7月11日",
            "2022-07-11",
        ),
        # 2022年 | 6月 read 2022年5月8日 through the seal: a piece read otherwise, not taken
        (
            [("2022年", (0.489, 0.561, 0.594, 0.588)), ("6月", (0.61, 0.562, 0.662, 0.586))],
            "2022年5月8日",
            None,
        ),
        # the row's reading no date at all
        ([("2022年", (0.489, 0.561, 0.594, 0.588))], "2022年月", None),
    ],
)
def test_a_date_row_a_seal_cuts_is_proposed_from_its_whole_reading_for_review(
    pieces: list[tuple[str, tuple[float, float, float, float]]], again: str, value: str | None
) -> None:
    reading = read_field(PILOT.field("recommend_date"), _opinion_row(pieces, again), PILOT, RULES)
    assert reading is not None and reading.value == value
    assert needs_review(reading.confidence, RULES.review)  # never sure: it was under a seal
    if value is not None:
        assert reading.raw == again
        assert (Doubt.REREAD, again) in {(d.cue, d.detail) for d in reading.doubts or ()}


def test_a_whole_date_its_row_reads_alike_stays_sure() -> None:
    page = _opinion_row([("2022年7月11日", (0.484, 0.56, 0.70, 0.588))], "2022年7月11日")
    reading = read_field(PILOT.field("recommend_date"), page, PILOT, RULES)
    assert reading is not None and reading.value == "2022-07-11"
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize("label", ["牵头单位盖章)", "牵头单位盖章"])
def test_a_label_whose_brackets_a_seal_took_keeps_its_words_out_of_the_value(label: str) -> None:
    page = _page([_line(label, (0.524, 0.321, 0.691, 0.346)), COMMIT_DATE], [])
    reading = _read("commit_date", page)
    assert reading.value == "2022-07-12" and reading.raw == "2022年7月12日"


@pytest.mark.parametrize(
    ("pieces", "value"),
    [
        # a seal's ring between the year and the rest: one date, read as the OCR saw it
        (["2022年", "7月16日"], "2022-07-16"),
        # pieces that together make no date leave the reading as it was
        (["2022年", "有限公司"], None),
    ],
)
def test_a_date_read_in_pieces_along_its_row_is_joined(
    pieces: list[str], value: str | None
) -> None:
    year = _line(pieces[0], (0.489, 0.56, 0.589, 0.586))
    rest = _line(pieces[1], (0.606, 0.56, 0.74, 0.585))
    reading = read_field(
        PILOT.field("recommend_date"), _page([OPINION_SEAL_LABEL, year, rest], []), PILOT, RULES
    )
    assert reading is not None and reading.value == value
    if value is not None:
        assert reading.raw == "".join(pieces)
        assert not needs_review(reading.confidence, RULES.review)


def test_a_date_begun_left_of_a_seal_whose_label_no_line_reads_is_read_from_its_start() -> None:
    # no 推荐单位（盖章） read; the seal over it, the date's pieces under its middle, the
    # year outside the seal's left edge and the month (higher by a hair) inside it
    seal = SealMark(bbox=(0.543, 0.461, 0.734, 0.596), shape="round", colour="grey", confidence=0.9)
    year = _line("2022", (0.491, 0.559, 0.55, 0.582))
    month = _line("7月24日", (0.61, 0.558, 0.70, 0.581))
    page = _page([year, month], []).model_copy(update={"seals": (seal,)})
    reading = read_field(PILOT.field("recommend_date"), page, PILOT, RULES)
    # every digit read, the 年 under the seal: the pieces by their structure, for review
    assert reading is not None and reading.value == "2022-07-24"
    assert reading.raw == "2022年7月24日" and needs_review(reading.confidence, RULES.review)
    assert Doubt.DATE_COMPLETED in {d.cue for d in reading.doubts or ()}
    # its row read again whole through the seal: proposed, for review
    again = year.model_copy(update={"row_reading": "2022年7月24日"})
    page = page.model_copy(update={"lines": (again, month)})
    reading = read_field(PILOT.field("recommend_date"), page, PILOT, RULES)
    assert reading is not None and reading.value == "2022-07-24"
    assert needs_review(reading.confidence, RULES.review)


def test_a_whole_date_under_the_seal_that_hid_its_label_is_read_sure() -> None:
    """运营单位（盖章） under a greyscale seal whose ring took the whole label from the
    detector (session-16 tuned corpus, pen-slash): the page's one seal over a date read
    whole, to its 日, anchors it as surely as a label the seal left in part; a date begun
    only, or a page with two such seals, still goes to a reviewer."""
    seal = SealMark(bbox=(0.662, 0.293, 0.855, 0.429), shape="round", colour="grey", confidence=0.9)
    date = _line("2022年6月14日", (0.526, 0.365, 0.668, 0.386))
    page = _page([date], []).model_copy(update={"seals": (seal,)})
    reading = read_field(PILOT.field("commit_date"), page, PILOT, RULES)
    assert reading is not None and reading.value == "2022-06-14"
    assert not needs_review(reading.confidence, RULES.review)
    begun = _line("2022年6月14", (0.526, 0.365, 0.668, 0.386))
    reading = read_field(
        PILOT.field("commit_date"),
        _page([begun], []).model_copy(update={"seals": (seal,)}),
        PILOT,
        RULES,
    )
    assert reading is not None and needs_review(reading.confidence, RULES.review)
    other = SealMark(bbox=(0.1, 0.6, 0.3, 0.74), shape="round", colour="grey", confidence=0.9)
    second = _line("2022年6月15日", (0.05, 0.68, 0.2, 0.70))
    two = _page([date, second], []).model_copy(update={"seals": (seal, other)})
    reading = read_field(PILOT.field("commit_date"), two, PILOT, RULES)
    assert reading is not None and needs_review(reading.confidence, RULES.review)


# --- a cover label its seal hid whole (推荐单位（盖章）： under the authority's seal) -------

COVER_ABOVE = [
    _line("创新中心类型：", (0.17, 0.556, 0.309, 0.578)),
    _line("☑企业型 □院所型", (0.386, 0.555, 0.587, 0.58)),
    _line("组建模式：", (0.169, 0.6, 0.267, 0.621)),
]
COVER_BELOW = [
    _line("申报日期:", (0.169, 0.687, 0.269, 0.71)),
    _line("2022年7月5日", (0.386, 0.686, 0.527, 0.711)),
]
AUTHORITY_SEAL = SealMark(
    bbox=(0.30147, 0.5998, 0.49491, 0.73667),
    shape="round",
    colour="grey",
    confidence=0.7,
    text="贵阳市工位和信息化局",
)


def _cover(row: list[TextLine], seals: tuple[SealMark, ...] = (AUTHORITY_SEAL,)) -> Page:
    return _sealed_page([*COVER_ABOVE, *row, *COVER_BELOW], seals)


def test_a_value_whose_label_its_seal_hid_whole_is_read_where_the_form_puts_it() -> None:
    value = _line("贵阳市工业和信息化局", (0.376, 0.641, 0.601, 0.666))
    reading = _read("recommender", _cover([value]))
    assert reading.value == "贵阳市工业和信息化局"
    assert not needs_review(reading.confidence, RULES.review)  # the seal's lettering agrees
    # a seal whose lettering names someone else: the place is a guess, a reviewer looks
    other = AUTHORITY_SEAL.model_copy(update={"text": "贵州花溪智能终端有限公司"})
    reading = _read("recommender", _cover([value], (other,)))
    assert reading.value == "贵阳市工业和信息化局"
    assert needs_review(reading.confidence, RULES.review)
    # no seal over the row: no label hidden, nothing read
    assert read_field(PILOT.field("recommender"), _cover([value], ()), PILOT, RULES) is None


def test_an_option_row_standing_alone_under_the_seal_is_no_value() -> None:
    options = _line("独立法人 □公司+联盟", (0.386, 0.608, 0.615, 0.628))
    value = _line("贵阳市工业和信息化局", (0.376, 0.641, 0.601, 0.666))
    assert _read("recommender", _cover([options, value])).value == "贵阳市工业和信息化局"
    assert read_field(PILOT.field("recommender"), _cover([options]), PILOT, RULES) is None


def test_a_value_missing_the_start_its_seal_hid_is_the_one_authority_its_lettering_shows() -> None:
    seal = AUTHORITY_SEAL.model_copy(
        update={"bbox": (0.235, 0.588, 0.428, 0.725), "text": "遵义市工业和信息化局"}
    )
    remnant = _line("推荐单盖章", (0.16, 0.637, 0.36, 0.67))
    value = _line("义市工业和信息化局", (0.378, 0.638, 0.611, 0.668))
    reading = _read("recommender", _cover([remnant, value], (seal,)))
    assert (reading.value, reading.raw) == ("遵义市工业和信息化局", "义市工业和信息化局")
    assert not needs_review(reading.confidence, RULES.review)
    # a lettering without the lost 遵 (another city's name) does not agree: the start is
    # taken from it for review, the list's authority proposed
    other = seal.model_copy(update={"text": "兴义市工业和信息化局"})
    reading = _read("recommender", _cover([remnant, value], (other,)))
    assert reading.value == "遵义市工业和信息化局"
    assert needs_review(reading.confidence, RULES.review)
    assert Doubt.DISAGREE in {d.cue for d in reading.doubts or ()}


@pytest.mark.parametrize(
    ("read", "lettering", "value", "sure"),
    [
        ("黔西州工业和信息化局", "南州工信化局", "黔西南州工业和信息化局", True),
        ("铜市工业和信息化局", "铜仁工业和信息化制", "铜仁市工业和信息化局", True),
        # the place read whole, a character of the ending every authority shares lost:
        # sure without the lettering; a character of the place lost: proposed for review
        ("贵阳市业和信息化局", "", "贵阳市工业和信息化局", True),
        ("黔西南州工业和信化局", "", "黔西南州工业和信息化局", True),
        ("铜市工业和信息化局", "", "铜仁市工业和信息化局", False),
        # the lettering names another authority, or none: proposed for review
        ("黔西州工业和信息化局", "贵安新区经济发局", "黔西南州工业和信息化局", False),
        ("黔西州工业和信息化局", "", "黔西南州工业和信息化局", False),
        # one lost of 黔南州…, two of 黔东南州…: fits two, for review
        ("黔南州业和信息化局", "黔南州工业和信息化", "黔南州工业和信息化局", False),
        # 黔南州… with one lost, 黔东南州… with two: the one the lettering shows, for review
        ("南州工业和信息化局", "黔东南州工业和信料化局", "黔东南州工业和信息化局", False),
        ("南州工业和信息化局", "", "南州工业和信息化局", False),
        # fits five cities' authorities with two lost: the one the lettering shows is
        # proposed, for review; a lettering showing none of them proposes nothing
        ("市工业和信息化局", "毕节市工业和信息化", "毕节市工业和信息化局", False),
        ("市工业和信息化局", "工业和信息化", "市工业和信息化局", False),
    ],
)
def test_an_authority_read_with_characters_lost_under_its_seal(
    read: str, lettering: str, value: str, sure: bool
) -> None:
    label = _line("推荐单位（盖章）：", (0.167, 0.644, 0.312, 0.665))
    seal = AUTHORITY_SEAL.model_copy(update={"bbox": (0.26, 0.59, 0.457, 0.73), "text": lettering})
    reading = _read(
        "recommender", _cover([label, _line(read, (0.372, 0.644, 0.58, 0.669))], (seal,))
    )
    assert (reading.value, reading.raw) == (value, read)
    assert needs_review(reading.confidence, RULES.review) is not sure


def test_the_label_s_start_its_seal_cut_is_found_though_another_page_prints_the_same_label() -> (
    None
):
    # 推荐单 | 东南州工业和信息化局 under 黔东南州…'s seal: the opinion page's date is signed
    # under the same printed 推荐单位（盖章）, no label of the cover's
    seal = AUTHORITY_SEAL.model_copy(
        update={"bbox": (0.231, 0.599, 0.425, 0.736), "text": "黔东南州工业和信总化局"}
    )
    remnant = _line("推荐单", (0.16, 0.644, 0.241, 0.67))
    value = _line("东南州工业和信息化局", (0.363, 0.642, 0.634, 0.673))
    reading = _read("recommender", _cover([remnant, value], (seal,)))
    assert reading.value == "黔东南州工业和信息化局"
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    "pieces",
    [
        ["推荐单位", "(盖"],  # the bracket begun, the rest under the seal
        ["推荐单位从盖章）："],  # its bracket read as 从
    ],
)
def test_a_label_remnant_is_never_the_value(pieces: list[str]) -> None:
    x = 0.16
    lines = []
    for text in pieces:
        lines.append(_line(text, (x, 0.644, x + 0.026 * len(text), 0.667)))
        x += 0.026 * len(text) + 0.005
    value = _line("业和信息化局", (0.51, 0.647, 0.634, 0.669))
    reading = _read("recommender", _cover([*lines, value], ()))
    assert reading.raw == "业和信息化局"
    assert needs_review(reading.confidence, RULES.review)


def test_a_small_piece_of_seal_lettering_before_the_value_is_passed() -> None:
    # 可 (the ring's 局, half the row's height) between the label and the name
    seal = AUTHORITY_SEAL.model_copy(
        update={"bbox": (0.17, 0.567, 0.363, 0.704), "text": "东南州工业和信息化局"}
    )
    label = _line("推荐单位（盖章）", (0.168, 0.64, 0.311, 0.668))
    piece = _line("可", (0.318, 0.646, 0.352, 0.661))
    value = _line("黔东南州工业和信息化局", (0.387, 0.644, 0.59, 0.664))
    reading = _read("recommender", _cover([label, piece, value], (seal,)))
    assert reading.value == "黔东南州工业和信息化局"
    # of the row's height, it is no piece of lettering: the value, for review
    whole = _line("可", (0.318, 0.641, 0.352, 0.667))
    assert _read("recommender", _cover([label, whole, value], (seal,))).value == "可"


def test_the_end_of_a_label_its_seal_cut_is_kept_out_of_the_value() -> None:
    label = _line("推荐单位", (0.16, 0.642, 0.269, 0.669))
    rest = _line("章）：安顺市工业和信息化局", (0.265, 0.633, 0.615, 0.675))
    assert _read("recommender", _page([label, rest], [])).value == "安顺市工业和信息化局"


@pytest.mark.parametrize(
    ("read", "value"),
    [
        ("装备制造", "高端装备制造"),  # its start under a seal
        ("生态特色", "生态特色食品"),  # its end past the cell
        ("金融服务", "金融服务"),  # an option outside the list, written whole: kept as read
    ],
)
def test_a_cut_option_on_a_scan_is_proposed_for_review(read: str, value: str) -> None:
    label = _line("所属产业领域：", (0.169, 0.513, 0.309, 0.534))
    page = _page([label, _line(read, (0.39, 0.513, 0.62, 0.534))], [])
    reading = _read("domain", page)
    assert reading.value == value and reading.raw == read
    if value != read:
        assert needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    ("read", "value"),
    [("端装备制造", "高端装备制造"), ("生态特色品", "生态特色食品")],
)
def test_a_long_option_with_one_character_lost_is_that_option(read: str, value: str) -> None:
    """One character of a six-character option lost (under a seal, or dropped), the rest
    read in order and no other option near: a person reads the option at a glance
    (rules/plausibility.yaml ``choice_one_lost``)."""
    label = _line("所属产业领域：", (0.169, 0.513, 0.309, 0.534))
    page = _page([label, _line(read, (0.39, 0.513, 0.62, 0.534))], [])
    reading = _read("domain", page)
    assert reading.value == value and reading.raw == read
    assert not needs_review(reading.confidence, RULES.review)


@pytest.mark.parametrize(
    ("lettering", "sure"),
    [
        ("黔西南州工业和信息保局", True),  # holds 业和信: the seal's lettering read in
        ("贵州赤水智造有限公司", False),  # holds none of it: as before, for review
        (None, False),  # no seal over the row
    ],
)
def test_an_option_read_after_a_seal_s_lettering_over_its_row_is_that_option(
    lettering: str | None, sure: bool
) -> None:
    label = _line("所属产业领域：", (0.161, 0.597, 0.30, 0.631))
    value = _line("业和信高端装备制造", (0.31, 0.597, 0.531, 0.631))
    seals = (
        ()
        if lettering is None
        else (
            SealMark(
                bbox=(0.238, 0.597, 0.433, 0.735),
                shape="round",
                colour="grey",
                confidence=0.7,
                text=lettering,
            ),
        )
    )
    reading = _read("domain", _sealed_page([label, value], seals))
    assert reading.value == "高端装备制造"
    assert needs_review(reading.confidence, RULES.review) is not sure


def test_a_piece_of_seal_lettering_between_label_and_value_is_passed() -> None:
    seal = SealMark(
        bbox=(0.15466, 0.39759, 0.34685, 0.53358), shape="round", colour="grey", confidence=0.7
    )
    label = _line("创新中心名称", (0.16, 0.424, 0.28, 0.449))
    lettering = _line("有限", (0.294, 0.433, 0.345, 0.484))
    value = _line("贵州省冶金装备制造业创新中心", (0.38, 0.426, 0.634, 0.446))
    page = _sealed_page([label, lettering, value], (seal,))
    assert _read("center_name", page).value == "贵州省冶金装备制造业创新中心"
    # a value of the row's height inside the seal is the value
    short = _line("冶金", (0.294, 0.426, 0.34, 0.448))
    assert _read("center_name", _sealed_page([label, short, value], (seal,))).value == "冶金"


def test_seal_lettering_the_ocr_ran_into_the_label_is_not_the_value() -> None:
    seal = SealMark(
        bbox=(0.23135, 0.41594, 0.42726, 0.55456), shape="round", colour="grey", confidence=0.7
    )
    label = _line("创新中心名称匀冶炼", (0.161, 0.416, 0.377, 0.454))
    value = _line("贵州省铝及铝加工制造业创新中心", (0.387, 0.429, 0.662, 0.449))
    page = _sealed_page([label, value], (seal,))
    assert _read("center_name", page).value == "贵州省铝及铝加工制造业创新中心"
    # no seal there: the label's line holds its value
    assert _read("center_name", _sealed_page([label, value], ())).value == "匀冶炼"


# --- a label whose end its row's seal hid (a grey copy's cover) --------------------------


def _sealed_cover(label: str, seal_x0: float) -> Page:
    seal = SealMark(
        bbox=(seal_x0, 0.62, seal_x0 + 0.19, 0.76), shape="round", colour="grey", confidence=0.7
    )
    lines = [
        _line(label, (0.163, 0.689, 0.288, 0.715)),
        _line("2022年7月4日", (0.384, 0.69, 0.531, 0.715)),
    ]
    return _page(lines, []).model_copy(update={"seals": (seal,)})


def test_a_label_whose_end_a_seal_hid_is_read_by_its_start() -> None:
    """申报日 for 申报日期 on a grey cover, a seal over the row where 期 was: the date is read
    as under its label (no review for a clear date). No seal there, or one that begins
    past where the label ended, and the start alone is no label."""
    apply_date = PILOT.field("apply_date")
    read = read_field(apply_date, _sealed_cover("申报日", 0.27), PILOT, RULES)
    assert read is not None and read.value == "2022-07-04"
    assert read.confidence >= RULES.review.review_threshold
    assert read_field(apply_date, _sealed_cover("申报日", 0.6), PILOT, RULES) is None
    unsealed = _sealed_cover("申报日", 0.27).model_copy(update={"seals": ()})
    assert read_field(apply_date, unsealed, PILOT, RULES) is None


def test_a_start_two_labels_share_is_no_ones_label() -> None:
    """创新中心 begins both 创新中心名称 and 创新中心类型: under a seal it is neither's."""
    center_name = PILOT.field("center_name")
    assert read_field(center_name, _sealed_cover("创新中心", 0.2), PILOT, RULES) is None


@pytest.mark.parametrize(
    ("scores", "sure"),
    [
        # 月 scored 0.6 (capped 0.83 as a Chinese character): a mark the parse placed,
        # the digits carry the value (tuned bw-black-circle-holes, session-16 corpus)
        ((1.0,) * 4 + (0.99, 1.0, 0.6, 1.0, 1.0, 0.99), True),
        ((1.0,) * 4 + (0.99, 1.0, 1.0, 0.3, 1.0, 0.99), False),  # a digit at 0.30: review
    ],
)
def test_a_parsed_dates_marks_cap_nothing(scores: tuple[float, ...], sure: bool) -> None:
    date = TextLine(
        text="2022年7月11日",
        bbox=(0.498, 0.562, 0.747, 0.588),
        confidence=sum(scores) / len(scores),
        char_confidences=scores,
    )
    reading = read_field(
        PILOT.field("recommend_date"), _page([OPINION_LABEL, date], []), PILOT, RULES
    )
    assert reading is not None and reading.value == "2022-07-11"
    assert needs_review(reading.confidence, RULES.review) is not sure


@pytest.mark.parametrize(
    ("text", "weak", "sure"),
    [
        ("遵义市工业和信息化局", 0.64, True),  # one authority, none other near: in place
        ("遵义市工业和信息化局", 0.45, False),  # too weak a character: review
        ("黔南州工业和信息化局", 0.64, False),  # 黔东南州… is near: the 南 may hide a 东
        ("遵义县工业和信息化局", 0.64, False),  # off the list: judged as before
    ],
)
def test_an_authority_read_whole_is_not_doubted_for_a_character_a_little_weak(
    text: str, weak: float, sure: bool
) -> None:
    """遵义市工业和信息化局 on a greyscale copy, its 市 scored 0.63 (capped 0.86): right, and
    sent to review (session-16 tuned corpus)."""
    label = _line("推荐单位（盖章）：", (0.167, 0.520, 0.330, 0.542))
    scores = tuple(weak if i == 2 else 0.99 for i in range(len(text)))
    value = TextLine(
        text=text,
        bbox=(0.340, 0.520, 0.620, 0.542),
        confidence=sum(scores) / len(scores),
        char_confidences=scores,
    )
    reading = _read("recommender", _page([label, value], []))
    assert reading.value == text
    assert needs_review(reading.confidence, RULES.review) is not sure


@pytest.mark.parametrize(
    ("rereadings", "sure"),
    [
        # 11 re-read 1: two like digits merged by the recogniser's decoding, no sign
        # (founded 2004年11月26日, session-16 tuned corpus, sent to review for it)
        (("2022年7月1日", "2022年7月11日"), True),
        (("2022年7月2日", "2022年7月11日"), False),  # another digit: review
        (("2022年1月11日", "2022年7月11日"), False),  # the month otherwise: review
    ],
)
def test_a_re_reading_that_lost_one_of_two_like_characters_is_no_sign(
    rereadings: tuple[str, ...], sure: bool
) -> None:
    date = TextLine(
        text="2022年7月11日",
        bbox=(0.498, 0.562, 0.747, 0.588),
        confidence=0.99,
        rereadings=rereadings,
    )
    reading = read_field(
        PILOT.field("recommend_date"), _page([OPINION_LABEL, date], []), PILOT, RULES
    )
    assert reading is not None and reading.value == "2022-07-11"
    assert needs_review(reading.confidence, RULES.review) is not sure


def test_an_authority_s_end_read_as_a_line_of_its_own_is_joined() -> None:
    # 贵安新区经济 | 发展局, the boxes overlapping (a black copy): the authority, read whole
    label = _line("推荐单位（盖章", (0.161, 0.645, 0.344, 0.67))
    start = _line("贵安新区经济", (0.384, 0.643, 0.529, 0.669))
    end = _line("发展局", (0.51, 0.642, 0.599, 0.672))
    reading = _read("recommender", _cover([label, start, end], ()))
    assert reading.value == "贵安新区经济发展局"
    assert not needs_review(reading.confidence, RULES.review)
    # the start alone is an authority in part: never sure
    reading = _read("recommender", _cover([label, start], ()))
    assert reading.value == "贵安新区经济"
    assert needs_review(reading.confidence, RULES.review)


def test_the_label_s_rest_and_the_value_in_a_box_reaching_over_the_label_are_read() -> None:
    label = _line("推荐单位", (0.167, 0.647, 0.278, 0.673))
    rest = _line("(盖章)遵义市工业和信息化局", (0.262, 0.642, 0.628, 0.676))
    reading = _read("recommender", _cover([label, rest], ()))
    assert reading.value == "遵义市工业和信息化局"


def test_no_label_found_under_an_authority_s_seal_is_no_blank() -> None:
    # 推荐单买（董章） (no label variant) and no neighbouring label to bound the row: the
    # authority's seal on the cover says its name is printed there, unread
    garbled = _line("推荐单买（董章）", (0.167, 0.646, 0.328, 0.673))
    value = _line("水市工业和信息化局", (0.408, 0.643, 0.62, 0.671))
    seal = AUTHORITY_SEAL.model_copy(
        update={"bbox": (0.227, 0.615, 0.42, 0.752), "text": "六盘水市工业和信息化局"}
    )
    page = _sealed_page([garbled, value], (seal,))
    assert read_field(PILOT.field("recommender"), page, PILOT, RULES) is None
    got = _authority_unplaced(PILOT.field("recommender"), page, RULES)
    assert got is not None and got.value is None and needs_review(got.confidence, RULES.review)
    # a lead organisation's seal only (an exempt applicant's cover): nothing said
    lead = seal.model_copy(update={"text": "贵州织金特钢研究院"})
    page = _sealed_page([garbled, value], (lead,))
    assert _authority_unplaced(PILOT.field("recommender"), page, RULES) is None
    # another field is never so
    assert (
        _authority_unplaced(PILOT.field("lead_org"), _sealed_page([garbled], (seal,)), RULES)
        is None
    )


# --- a cover's rows: where a value's cell ends when the next row's label is hidden ------
# A greyscale photocopied certification cover (tuned grey-double-circle-copy, /tmp/s17-all
# C020, session 18): the recommender's seal is stamped over 所属产业领域, and the OCR read
# neither it nor any of it; the domain's value 现代化工 stands alone on its row, straight
# under the approval number's value.
CERT_COVER = [
    _line("创新中心名称:", (0.16989, 0.42863, 0.32467, 0.45385)),
    _line("贵州省精细磷化工制造业创新中心", (0.37848, 0.42607, 0.73942, 0.45513)),
    _line("运营单位（盖章）", (0.16868, 0.47265, 0.33857, 0.49744)),
    _line("贵州黔峰磷化有限责任公司", (0.38513, 0.46496, 0.67412, 0.50256)),
    _line("试点批复时间:", (0.16868, 0.51624, 0.32467, 0.54145)),
    _line("2020.4.17", (0.38694, 0.51496, 0.50181, 0.54145)),
    _line("试点批复文号:", (0.16868, 0.55983, 0.32285, 0.58504)),
    _line("黔工信科技〔2020〕40号", (0.39057, 0.56111, 0.65296, 0.58248)),
    _line("现代化工", (0.38875, 0.60256, 0.49335, 0.62863)),
    _line("推荐单位（盖章）", (0.16687, 0.64487, 0.34885, 0.67393)),
    _line("申请日期:", (0.16687, 0.68761, 0.27932, 0.71752)),
    _line("2022年6月12日", (0.39057, 0.69145, 0.552, 0.71624)),
]
SEAL_OVER_DOMAIN = SealMark(
    bbox=(0.20463, 0.6019, 0.40118, 0.74083), shape="round", colour="grey", confidence=0.9
)


def _cert_cover(lines: list[TextLine], seals: tuple[SealMark, ...] = (SEAL_OVER_DOMAIN,)) -> Page:
    return Page(
        number=1, source_page=1, kind=SourceKind.SCAN, lines=tuple(lines), seals=seals, **A4
    )


def _read_cert(key: str, page: Page) -> ExtractedField | None:
    return read_field(CERTIFICATION.field(key), page, CERTIFICATION, RULES)


def test_the_next_rows_value_is_not_run_on_where_its_label_went_unread() -> None:
    """现代化工 sits a whole row's pitch under the approval number (the cover's labels stand
    two line heights apart): the next row's value, not the number wrapped in its cell."""
    number = _read_cert("pilot_approval_no", _cert_cover(CERT_COVER))
    assert number is not None and number.raw == "黔工信科技〔2020〕40号"


def test_a_value_wrapped_at_a_lines_pitch_on_a_cover_is_still_joined() -> None:
    name = _line("贵州省精细磷化工制造业", (0.37848, 0.42607, 0.73942, 0.45513))
    wrapped = _line("创新中心", (0.37848, 0.45813, 0.50, 0.48513))  # 0.03 below: a line's pitch
    # (the lead unit's row left out: the wrapped line takes its place)
    lines = [t for t in CERT_COVER if "精细" not in t.text and t.bbox[1] not in (0.47265, 0.46496)]
    reading = _read_cert("center_name", _cert_cover([name, wrapped, *lines]))
    assert reading is not None and reading.raw == "贵州省精细磷化工制造业创新中心"


def test_a_choice_under_a_seal_that_hid_its_label_is_read_on_its_row() -> None:
    """The labels printed before and after the domain's bound its row; the row's line
    reads as one of the domain's options, under a seal: the domain, read sure."""
    domain = _read_cert("domain", _cert_cover(CERT_COVER))
    assert domain is not None and domain.value == "现代化工"
    assert not needs_review(domain.confidence, RULES.review)
    # a line one character from an option is proposed, for review
    near = [t if t.text != "现代化工" else _line("现代化", t.bbox) for t in CERT_COVER]
    proposed = _read_cert("domain", _cert_cover(near))
    assert proposed is not None and needs_review(proposed.confidence, RULES.review)
    # no seal over the row: nothing explains the missing label, nothing is read
    assert _read_cert("domain", _cert_cover(CERT_COVER, seals=())) is None
    # a line that is no option is not taken for the domain
    other = [t if t.text != "现代化工" else _line("黔东南州", t.bbox) for t in CERT_COVER]
    assert _read_cert("domain", _cert_cover(other)) is None


# --- dates on degraded copies (session 18) ------------------------------------------------


def test_a_label_the_detector_cut_along_its_row_is_one_label() -> None:
    """申请 | 日期 on a grey cover with spaced labels (the two boxes overlap): together the
    label, its date beside it read as under any label; two pieces making no label, none."""
    date = _line("2022年6月15日", (0.384, 0.691, 0.529, 0.712))
    pieces = [_line("申请", (0.163, 0.69, 0.24, 0.712)), _line("日期", (0.227, 0.69, 0.318, 0.712))]
    reading = read_field(
        CERTIFICATION.field("apply_date"), _page([*pieces, date], []), CERTIFICATION, RULES
    )
    assert reading is not None and reading.value == "2022-06-15"
    assert not needs_review(reading.confidence, RULES.review)
    other = [pieces[0], _line("金额", (0.227, 0.69, 0.318, 0.712))]
    assert (
        read_field(
            CERTIFICATION.field("apply_date"), _page([*other, date], []), CERTIFICATION, RULES
        )
        is None
    )
    # the second piece far along the row (not the label's own): no label
    far = [pieces[0], _line("日期", (0.45, 0.69, 0.54, 0.712))]
    assert (
        read_field(CERTIFICATION.field("apply_date"), _page(far, []), CERTIFICATION, RULES) is None
    )


def test_a_labels_end_read_alone_before_a_date_is_not_the_date() -> None:
    """申报 | 期 | 2022年7月13日, the seal over 日 (a 1-bit cover): 期 is the label's end, the
    date right of it the value."""
    seal = SealMark(bbox=(0.234, 0.589, 0.425, 0.724), shape="round", colour="grey", confidence=0.7)
    lines = [
        _line("申报", (0.161, 0.694, 0.234, 0.716)),
        _line("期", (0.285, 0.696, 0.311, 0.714)),
        _line("2022年7月13日", (0.387, 0.69, 0.528, 0.718)),
    ]
    reading = _read("apply_date", _sealed_page(lines, (seal,)))
    assert reading.value == "2022-07-13" and reading.raw == "2022年7月13日"


def test_a_piece_of_seal_lettering_above_a_date_is_passed() -> None:
    """金 of the seal's lettering read between 牵头单位（盖章） and the date under it."""
    seal = SealMark(bbox=(0.563, 0.286, 0.76, 0.426), shape="round", colour="grey", confidence=0.8)
    lines = [
        _line("牵头单位（盖章）", (0.527, 0.323, 0.691, 0.347)),
        _line("金", (0.568, 0.35, 0.599, 0.364)),
        _line("2022年7月22日", (0.527, 0.362, 0.68, 0.388)),
    ]
    reading = _read("commit_date", _sealed_page(lines, (seal,)))
    assert reading.value == "2022-07-22"
    assert not needs_review(reading.confidence, RULES.review)
    # no seal there: the line under the label is the value, and it is no date
    assert _read("commit_date", _sealed_page(lines, ())).value is None


@pytest.mark.parametrize(
    ("date", "sure"),
    [
        (["2022年7月17日"], True),  # read whole on one line: as under a label the seal cut
        (["2022年", "7月17日"], False),  # pieces the seal cuts: a digit may be lost, review
    ],
)
def test_a_label_start_with_a_seal_where_its_rest_would_be_anchors_its_date(
    date: list[str], sure: bool
) -> None:
    """牵头单 with the seal's ring from 位 on (no 30 % of the line under the seal)."""
    seal = SealMark(bbox=(0.589, 0.262, 0.78, 0.397), shape="round", colour="grey", confidence=0.8)
    boxes = (
        [(0.523, 0.36, 0.674, 0.386)]
        if len(date) == 1
        else [(0.523, 0.36, 0.6, 0.386), (0.61, 0.36, 0.674, 0.386)]
    )
    lines = [_line("牵头单", (0.524, 0.321, 0.59, 0.345))]
    lines += [_line(t, b) for t, b in zip(date, boxes, strict=True)]
    reading = _read("commit_date", _sealed_page(lines, (seal,)))
    assert reading.value == "2022-07-17"
    assert needs_review(reading.confidence, RULES.review) is not sure


@pytest.mark.parametrize(
    ("pieces", "rereadings", "again", "value"),
    [
        # 2022 | 6月13 (年 under the seal, the month's line a hair higher): every digit read
        (
            [("2022", (0.488, 0.556, 0.559, 0.585)), ("6月13", (0.603, 0.553, 0.716, 0.588))],
            {},
            None,
            "2022-06-13",
        ),
        # 2022年 | 月18日, the month under the ring, another crop of the piece reads 6月18日
        (
            [("2022年", (0.489, 0.558, 0.59, 0.584)), ("月18日", (0.628, 0.559, 0.743, 0.584))],
            {1: ("6月18日", "明月18日")},
            None,
            "2022-06-18",
        ),
        # ... two crops reading two months: nothing proposed
        (
            [("2022年", (0.489, 0.558, 0.59, 0.584)), ("月18日", (0.628, 0.559, 0.743, 0.584))],
            {1: ("6月18日", "7月18日")},
            None,
            None,
        ),
        # ... no crop reads the month: nothing proposed
        (
            [("2022年", (0.489, 0.558, 0.59, 0.584)), ("月18日", (0.628, 0.559, 0.743, 0.584))],
            {},
            None,
            None,
        ),
        # 2022 alone, the row read through the seal 2022無7月25日 (年 misread)
        ([("2022", (0.495, 0.559, 0.545, 0.581))], {}, "2022無7月25日", "2022-07-25"),
        # ... a day read without its 日 and one digit only (1 for 16?): nothing
        ([("2022", (0.495, 0.559, 0.545, 0.581))], {}, "20227月1", None),
    ],
)
def test_a_date_read_in_part_is_proposed_from_its_structure_for_review(
    pieces: list[tuple[str, tuple[float, float, float, float]]],
    rereadings: dict[int, tuple[str, ...]],
    again: str | None,
    value: str | None,
) -> None:
    lines = [_line(text, bbox) for text, bbox in pieces]
    for i, texts in rereadings.items():
        lines[i] = lines[i].model_copy(update={"rereadings": texts})
    if again is not None:
        lines[0] = lines[0].model_copy(update={"row_reading": again})
    reading = _read("recommend_date", _page([OPINION_SEAL_LABEL, *lines], []))
    assert reading.value == value
    assert needs_review(reading.confidence, RULES.review)  # never sure: read in part
    if value is not None:
        assert Doubt.DATE_COMPLETED in {d.cue for d in reading.doubts or ()}


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("022年7月16日", "2022-07-16"),  # the year's first digit under the seal
        ("22年7月22日", "2022-07-22"),
        ("2年7月22日", None),  # one digit: anything the seal left
        ("2072年1月20日", "2072-01-20"),  # a whole year outside the call: as read (out of range)
    ],
)
def test_an_apply_date_whose_years_start_a_seal_hid_is_proposed_for_review(
    raw: str, value: str | None
) -> None:
    page = _page(
        [
            _line("申报日期：", (0.165, 0.688, 0.271, 0.714)),
            _line(raw, (0.403, 0.688, 0.541, 0.712)),
        ],
        [],
    )
    reading = _read("apply_date", page)
    assert reading.value == value
    assert needs_review(reading.confidence, RULES.review)


def test_a_last_date_whose_label_its_seal_hid_whole_is_proposed_for_review() -> None:
    """申报日期 under the recommender's seal on a grey cover, no line reading any of it:
    the date on the row right under 推荐单位（盖章）, right of the seal's start, is read for
    review; with no seal over its row it is no one's."""
    seal = SealMark(bbox=(0.184, 0.615, 0.38, 0.754), shape="round", colour="grey", confidence=0.7)
    lines = [
        _line("推荐单位（盖章）", (0.164, 0.645, 0.308, 0.67)),
        _line("六盘水市工业和信息化局", (0.386, 0.646, 0.589, 0.666)),
        _line("2022年7月21日", (0.387, 0.691, 0.514, 0.709)),
    ]
    reading = _read("apply_date", _sealed_page(lines, (seal,)))
    assert reading.value == "2022-07-21"
    assert needs_review(reading.confidence, RULES.review)
    assert read_field(PILOT.field("apply_date"), _sealed_page(lines, ()), PILOT, RULES) is None
    # a date two rows further down (the form's own 二〇二二年六月 at its foot) is not it
    far = [lines[0], _line("2022年7月21日", (0.387, 0.80, 0.514, 0.82))]
    assert read_field(PILOT.field("apply_date"), _sealed_page(far, (seal,)), PILOT, RULES) is None
