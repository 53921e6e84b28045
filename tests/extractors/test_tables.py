"""The members table and the KPI table read as rows: the corpus's electronic copies against
their truth, and hand-built pages for wrapped cells, unreadable cells and OCR noise."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from shenbao_lab.generator.truth import Truth

from extractors.nlp import gazetteer
from extractors.normalize import normalizer
from extractors.review import needs_review
from extractors.table_grid import bands
from extractors.tables import read_tables
from pipeline.config import TableSpec
from pipeline.model import (
    Annex,
    ExtractedField,
    Member,
    Page,
    SourceKind,
    Submission,
    TextLine,
)
from tests.readers import SAMPLES, TEMPLATES, read_electronic, truth_of
from tests.rulebook import RULES

CAMPAIGN = RULES.campaign
PILOT = TEMPLATES[Annex.PILOT]
CERTIFICATION = TEMPLATES[Annex.CERTIFICATION]
TRUTHS = sorted((SAMPLES / "truth").glob("[PC]*.json"))
NORMALIZE = normalizer(RULES)


def _is_table_field(key: str) -> bool:
    return key == "members" or key.startswith("kpi_")


@pytest.mark.parametrize("truth_file", TRUTHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("kind", [SourceKind.TEXT_LAYER, SourceKind.DOCX])
def test_tables_of_electronic_copies_equal_the_truth(truth_file: Path, kind: SourceKind) -> None:
    truth, source = truth_of(truth_file, kind)
    submission = read_electronic(SAMPLES / source.file)
    fields = read_tables(submission, TEMPLATES[truth.annex], CAMPAIGN, NORMALIZE)
    expected = {k: v for k, v in source.fields.items() if _is_table_field(k)}
    assert expected, "every applicant has members or KPIs"
    assert set(fields) == set(expected)
    table_page = 4  # members (附件1) and KPIs (附件2) are both the form's fourth page
    for key, truth_field in expected.items():
        read = fields[key]
        assert read.value == truth_field.value, key
        if key != "members":
            assert read.raw == truth_field.raw, key
        assert read.page == table_page
        assert read.bbox is not None
        assert read.confidence == 1.0, key


# --- hand-built pages ------------------------------------------------------------------


def _line(text: str, x0: float, y0: float, x1: float, y1: float, conf: float = 1.0) -> TextLine:
    return TextLine(text=text, bbox=(x0, y0, x1, y1), confidence=conf)


def _page(lines: list[TextLine], kind: SourceKind = SourceKind.SCAN, number: int = 1) -> Page:
    return Page(
        number=number,
        source_page=number,
        kind=kind,
        width_pt=595,
        height_pt=842,
        lines=tuple(lines),
    )


def _submission(*pages: Page, annex: Annex = Annex.PILOT) -> Submission:
    return Submission(
        id="t-p001-001",
        annex=annex,
        source={"file": "t.pdf", "sha256": "0" * 64, "pages": (1, len(pages))},
        pages=pages,
    )


# Column centres as the generator prints the members table (text centred in its cell).
_INDEX, _NAME, _TYPE, _USCC = 0.152, 0.347, 0.595, 0.781
_ROW = 0.027  # a one-line row's pitch
_WRAP = 0.019  # a cell's second line, below its first


def _centred(text: str, centre: float, y: float, conf: float = 1.0, h: float = 0.012) -> TextLine:
    half = 0.0085 * len(text)
    return _line(text, round(centre - half, 4), round(y, 4), round(centre + half, 4), y + h, conf)


def _members_header(y: float = 0.117) -> list[TextLine]:
    return [
        _centred("成员单位表", 0.5, 0.074, h=0.017),
        _centred("序号", _INDEX, y),
        _centred("单位名称", _NAME, y),
        _centred("单位类型（企业/科研", _TYPE, y),
        _centred("统一社会信用代码", _USCC, y),
        _centred("院所/高校/其他）", _TYPE, y + _WRAP),
    ]


def _member_row(y: float, index: str, name: str, kind: str, uscc: str) -> list[TextLine]:
    cells = [(index, _INDEX), (name, _NAME), (kind, _TYPE), (uscc, _USCC)]
    return [_centred(text, x, y) for text, x in cells if text]


def _members(lines: list[TextLine], kind: SourceKind = SourceKind.SCAN) -> ExtractedField:
    fields = read_tables(_submission(_page(lines, kind)), PILOT, CAMPAIGN, NORMALIZE)
    return fields["members"]


USCC_A = "915203002772189699"
USCC_B = "12520100096586789H"
USCC_C = "1252030017343582XD"


def test_a_name_wrapped_in_its_cell_and_a_wrapped_header_are_joined() -> None:
    y = 0.163
    lines = [
        *_members_header(),
        *_member_row(y, "1", "贵州省黔中经济区新型功能材料", "企业", USCC_A),
        _centred("产业技术研究有限公司", _NAME, y + _WRAP),
        *_member_row(y + _ROW + _WRAP, "2", "贵州省材料产业技术研究院", "科研院所", USCC_B),
        *_member_row(y + 2 * _ROW + _WRAP, "3", "遵义医科大学", "高校", USCC_C),
        _centred("— 4 —", 0.5, 0.949),  # the page number is not a row
    ]
    members = _members(lines)
    assert members.value == [
        Member(name="贵州省黔中经济区新型功能材料产业技术研究有限公司", type="企业", uscc=USCC_A),
        Member(name="贵州省材料产业技术研究院", type="科研院所", uscc=USCC_B),
        Member(name="遵义医科大学", type="高校", uscc=USCC_C),
    ]
    assert not needs_review(members.confidence, RULES.review)
    assert members.page == 1
    assert members.bbox is not None and members.bbox[1] < 0.12 and members.bbox[3] < 0.3


def test_a_row_with_an_unreadable_cell_is_kept_and_flagged() -> None:
    y = 0.163
    lines = [
        *_members_header(),
        *_member_row(y, "1", "贵州花溪茶业有限公司", "企业", USCC_A),
        *_member_row(y + _ROW, "2", "贵州省材料产业技术研究院", "科研院所", ""),  # lost
        *_member_row(y + 2 * _ROW, "3", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members(lines)
    assert isinstance(members.value, list) and len(members.value) == 3
    assert members.value[1] == Member(name="贵州省材料产业技术研究院", type="科研院所", uscc="")
    assert needs_review(members.confidence, RULES.review)
    # On a born-digital page a blank cell is blank, not unread: nothing to review.
    assert not needs_review(_members(lines, SourceKind.TEXT_LAYER).confidence, RULES.review)


def test_a_code_failing_its_check_digit_on_a_scan_is_flagged() -> None:
    misread = USCC_A[:-1] + "8"
    lines = [*_members_header(), *_member_row(0.163, "1", "贵州花溪茶业有限公司", "企业", misread)]
    members = _members(lines)
    assert isinstance(members.value, list) and members.value[0].uscc == misread
    assert needs_review(members.confidence, RULES.review)


@pytest.mark.parametrize(
    ("printed", "value", "sure"),
    [
        ("企业", "企业", True),
        ("高等院校", "高校", True),  # an alias of the template's choice
        ("科研院听", "科研院所", False),  # one character misread: the choice, for review
        ("合作社", "合作社", False),  # none of the choices: kept as read, for review
    ],
)
def test_member_types_are_the_headers_choices(printed: str, value: str, sure: bool) -> None:
    lines = [*_members_header(), *_member_row(0.163, "1", "贵州花溪茶业有限公司", printed, USCC_A)]
    members = _members(lines)
    assert isinstance(members.value, list) and members.value[0].type == value
    assert needs_review(members.confidence, RULES.review) is not sure


def test_a_skipped_number_means_a_lost_row() -> None:
    lines = [
        *_members_header(),
        *_member_row(0.163, "1", "贵州花溪茶业有限公司", "企业", USCC_A),
        *_member_row(0.163 + _ROW, "3", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members(lines)
    assert isinstance(members.value, list) and len(members.value) == 2
    assert needs_review(members.confidence, RULES.review)


def test_a_number_the_ocr_missed_is_no_lost_row() -> None:
    lines = [
        *_members_header(),
        *_member_row(0.163, "", "贵州花溪茶业有限公司", "企业", USCC_A),  # "1" not read
        *_member_row(0.163 + _ROW, "2", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members(lines)
    assert isinstance(members.value, list) and len(members.value) == 2
    assert not needs_review(members.confidence, RULES.review)


def test_a_lost_header_cell_is_placed_between_its_neighbours() -> None:
    header = [t for t in _members_header() if t.text != "序号"]
    rows = [
        *_member_row(0.163, "1", "贵州花溪茶业有限公司", "企业", USCC_A),
        *_member_row(0.163 + _ROW, "2", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members([*header, *rows])
    assert members.value == [
        Member(name="贵州花溪茶业有限公司", type="企业", uscc=USCC_A),
        Member(name="遵义医科大学", type="高校", uscc=USCC_C),
    ]
    assert not needs_review(members.confidence, RULES.review)  # 序号 is not part of the value
    # Without the name's header its cells are placed by inference: right, but for review.
    header = [t for t in _members_header() if t.text != "单位名称"]
    members = _members([*header, *rows])
    assert isinstance(members.value, list) and members.value[0].name == "贵州花溪茶业有限公司"
    assert needs_review(members.confidence, RULES.review)


def test_a_cell_in_pieces_far_apart_is_flagged() -> None:
    lines = [
        *_members_header(),
        *_member_row(0.163, "1", "", "企业", USCC_A),
        _line("贵州花溪", 0.22, 0.163, 0.28, 0.175),
        _line("茶业有限公司", 0.37, 0.163, 0.47, 0.175),  # a gap of many characters
    ]
    members = _members(lines)
    assert isinstance(members.value, list) and members.value[0].name == "贵州花溪茶业有限公司"
    assert needs_review(members.confidence, RULES.review)


def test_no_members_table_gives_no_field() -> None:
    page = _page([_line("一、基本情况表", 0.4, 0.07, 0.6, 0.09)])
    assert "members" not in read_tables(_submission(page), PILOT, CAMPAIGN, NORMALIZE)


def test_an_empty_members_table_is_blank_not_a_list() -> None:
    members = _members(_members_header(), SourceKind.TEXT_LAYER)
    assert members.value is None


# --- KPIs ------------------------------------------------------------------------------

_LABEL, _TARGET, _ACTUAL = 0.286, 0.56, 0.774


def _kpi_page(rows: list[tuple[str, str, str]], kind: SourceKind = SourceKind.SCAN) -> Page:
    lines = [
        _line("二、试点建设目标完成情况", 0.115, 0.071, 0.401, 0.092),
        _centred("指标", _LABEL, 0.11, h=0.024),
        _centred("试点方案目标值", _TARGET, 0.11, h=0.024),
        _centred("实际完成值", _ACTUAL, 0.11, h=0.024),
    ]
    y = 0.139
    for label, target, actual in rows:
        for text, x in ((label, _LABEL), (target, _TARGET), (actual, _ACTUAL)):
            if text:
                lines.append(_centred(text, x, y, conf=0.97, h=0.022))
        y += _ROW
    lines += [
        _line("三、自评结论", 0.111, y + 0.03, 0.262, y + 0.055),
        _line("研发投入10万元，已达到认定条件。", 0.147, y + 0.07, 0.879, y + 0.09),
    ]
    return _page(lines, kind)


def test_kpi_rows_are_found_by_their_labels_in_any_order_and_typed_by_row() -> None:
    page = _kpi_page(
        [
            ("申请发明专利 (项)", "54", "73"),  # OCR: a space, half-width brackets
            ("研发投入(万元)", "18030.00", "21,055.59"),
            ("突破共性关键技术（项)", "5", "5"),
            ("制定标准（项）", "3", "4"),
            ("成果转化与孵化企业（家）", "1", "2"),
            ("培养引进人才（人）", "89", "80"),
            ("服务企业数（家）", "39", "47"),
        ]
    )
    fields = read_tables(
        _submission(page, annex=Annex.CERTIFICATION), CERTIFICATION, CAMPAIGN, NORMALIZE
    )
    assert len(fields) == 14
    assert fields["kpi_rd_spend_target"].value == 18030.0
    assert fields["kpi_rd_spend_actual"].value == 21055.59
    assert fields["kpi_rd_spend_actual"].raw == "21,055.59"
    assert fields["kpi_patents_target"].value == 54
    assert fields["kpi_patents_actual"].value == 73
    assert fields["kpi_served_actual"].value == 47
    patents = fields["kpi_patents_target"]
    assert patents.page == 1 and patents.bbox is not None
    assert patents.bbox[0] > 0.5 and patents.bbox[1] < 0.15  # its own cell, first row
    assert all(not needs_review(f.confidence, RULES.review) for f in fields.values())


def test_a_blank_kpi_cell_and_an_unread_row_are_for_review() -> None:
    page = _kpi_page(
        [
            ("研发投入（万元）", "18030.00", ""),  # the actual value left blank (or not read)
            ("突破共性关键技术（项）", "5", "5"),
            ("申请发明专利（项）", "54", "七十三"),
            ("制定标准（项）", "3", "4"),
            ("成果转化与孵化企业（家）", "1", "2"),
            ("培养引进人才（人）", "89", "8O"),  # O for 0: not a number
            # 服务企业数 is not on the page at all
        ]
    )
    fields = read_tables(
        _submission(page, annex=Annex.CERTIFICATION), CERTIFICATION, CAMPAIGN, NORMALIZE
    )
    blank = fields["kpi_rd_spend_actual"]
    assert blank.value is None and blank.raw == ""
    assert blank.bbox is not None and blank.bbox[0] > 0.6  # where the blank cell is
    assert needs_review(blank.confidence, RULES.review)
    assert fields["kpi_patents_actual"].value == 73  # Chinese numerals are numbers
    assert fields["kpi_talent_actual"].value is None
    assert needs_review(fields["kpi_talent_actual"].confidence, RULES.review)
    assert fields["kpi_served_target"].value is None
    assert fields["kpi_served_target"].confidence == 0.0
    # The self-evaluation below the table is not read as a row.
    assert fields["kpi_key_tech_actual"].value == 5


def test_a_lost_kpi_header_cell_does_not_run_two_columns_together() -> None:
    page = _kpi_page([("研发投入（万元）", "18030.00", "21,055.59"), ("制定标准（项）", "3", "4")])
    lines = tuple(t for t in page.lines if t.text != "试点方案目标值")
    headless = page.model_copy(update={"lines": lines})
    fields = read_tables(
        _submission(headless, annex=Annex.CERTIFICATION), CERTIFICATION, CAMPAIGN, NORMALIZE
    )
    assert fields["kpi_rd_spend_target"].value == 18030.0
    assert fields["kpi_rd_spend_actual"].value == 21055.59
    assert fields["kpi_standards_actual"].value == 4
    assert needs_review(
        fields["kpi_standards_target"].confidence, RULES.review
    )  # its column was inferred
    assert not needs_review(fields["kpi_standards_actual"].confidence, RULES.review)


def test_a_blank_kpi_cell_on_a_born_digital_page_is_blank_for_sure() -> None:
    page = _kpi_page([("研发投入（万元）", "18030.00", "")], SourceKind.TEXT_LAYER)
    fields = read_tables(
        _submission(page, annex=Annex.CERTIFICATION), CERTIFICATION, CAMPAIGN, NORMALIZE
    )
    assert fields["kpi_rd_spend_actual"].value is None
    assert fields["kpi_rd_spend_actual"].confidence == 1.0


def test_the_table_is_found_when_its_heading_was_not_read() -> None:
    truth = Truth.model_validate_json((SAMPLES / "truth" / "P001.json").read_text("utf-8"))
    source = next(s for s in truth.sources if s.kind is SourceKind.TEXT_LAYER)
    submission = read_electronic(SAMPLES / source.file)
    pages = tuple(
        p.model_copy(update={"lines": tuple(t for t in p.lines if t.text != "成员单位表")})
        for p in submission.pages
    )
    headless = submission.model_copy(update={"pages": pages})
    assert (
        read_tables(headless, PILOT, CAMPAIGN, NORMALIZE)["members"].value
        == source.fields["members"].value
    )


def test_bands_group_the_pieces_of_one_printed_line() -> None:
    pieces = [
        _line("贵州花溪", 0.2, 0.100, 0.3, 0.120),
        _line("1", 0.13, 0.102, 0.15, 0.121),
        _line("茶业有限公司", 0.31, 0.099, 0.45, 0.119),
        _line("2", 0.13, 0.128, 0.15, 0.148),
    ]
    assert [[t.text for t in band] for band in bands(pieces)] == [
        ["1", "贵州花溪", "茶业有限公司"],
        ["2"],
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"columns": ({"key": "kind", "label": "单位类型", "type": "choice"},)}, "needs options"),
        ({"columns": ({"key": "name", "label": "单位名称", "type": "org_name"},)}, "members"),
        ({"reading": {"wrap_pitch": 1.5}}, "wrap_pitch"),
    ],
)
def test_a_malformed_table_fails_at_load(change: dict[str, object], message: str) -> None:
    members = PILOT.table("members").model_dump() | change
    with pytest.raises(ValidationError, match=message):
        TableSpec.model_validate(members)


def test_a_name_wrapped_in_a_cell_centred_in_its_row_stays_whole() -> None:
    """Cells centred vertically (Word's 中部居中): the wrapped name's first line sits above
    the row's other cells and its second line below them; both are that row's name."""
    y = 0.163
    middle = y + _ROW + _WRAP / 2  # the second row, made taller by its wrapped name
    lines = [
        *_members_header(),
        *_member_row(y, "1", "贵州省材料产业技术研究院", "科研院所", USCC_B),
        _centred("贵州省黔中经济区新型功能材料", _NAME, middle - _WRAP / 2),
        *_member_row(middle, "2", "", "企业", USCC_A),
        _centred("产业技术研究有限公司", _NAME, middle + _WRAP / 2),
        *_member_row(middle + _ROW + _WRAP / 2, "3", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members(lines)
    assert members.value == [
        Member(name="贵州省材料产业技术研究院", type="科研院所", uscc=USCC_B),
        Member(name="贵州省黔中经济区新型功能材料产业技术研究有限公司", type="企业", uscc=USCC_A),
        Member(name="遵义医科大学", type="高校", uscc=USCC_C),
    ]
    assert not needs_review(members.confidence, RULES.review)


def test_a_credit_code_wrapped_in_a_narrow_cell_is_one_code_not_a_row() -> None:
    """In large type the 18th character of a code wraps onto the cell's second line: it
    ends the row's code; a line that would make the code too long is a row of its own."""
    y = 0.163
    lines = [
        *_members_header(),
        *_member_row(y, "1", "贵州省材料产业技术研究院", "科研院所", USCC_B[:17]),
        _centred(USCC_B[17:], _USCC, y + _WRAP),
        *_member_row(y + _ROW + _WRAP, "2", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members(lines)
    assert members.value == [
        Member(name="贵州省材料产业技术研究院", type="科研院所", uscc=USCC_B),
        Member(name="遵义医科大学", type="高校", uscc=USCC_C),
    ]


def test_a_wrapped_code_end_with_a_speck_after_it_still_ends_the_code() -> None:
    """A photocopy's speck read after the wrapped end (417. on session 15's style corpus)
    is no character of the code: the line still ends the row's code."""
    y = 0.163
    lines = [
        *_members_header(),
        *_member_row(y, "1", "贵州省材料产业技术研究院", "科研院所", USCC_B[:15]),
        _centred(USCC_B[15:] + ".", _USCC, y + _WRAP),
        *_member_row(y + _ROW + _WRAP, "2", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members(lines)
    assert members.value == [
        Member(name="贵州省材料产业技术研究院", type="科研院所", uscc=USCC_B),
        Member(name="遵义医科大学", type="高校", uscc=USCC_C),
    ]


def test_a_wrapped_name_beside_a_wrapped_code_end_stays_in_its_row() -> None:
    """In large type both the name and the code wrap: the band holding the name's end
    and the code's last characters is the row's, not a row of its own."""
    y = 0.163
    lines = [
        *_members_header(),
        *_member_row(y, "1", "贵州云岭汽车科技股份有限公", "企业", USCC_A[:14]),
        _centred("司", _NAME, y + _WRAP),
        _centred(USCC_A[14:], _USCC, y + _WRAP),
        *_member_row(y + _ROW + _WRAP, "2", "遵义医科大学", "高校", USCC_C[:14]),
        _centred(USCC_C[14:], _USCC, y + _ROW + 2 * _WRAP),
    ]
    members = _members(lines)
    assert members.value == [
        Member(name="贵州云岭汽车科技股份有限公司", type="企业", uscc=USCC_A),
        Member(name="遵义医科大学", type="高校", uscc=USCC_C),
    ]


@pytest.mark.parametrize(
    ("type_lines", "uscc_lines"),
    [
        (("单位类型（企业/", "科研院所/高校/", "其他）"), ("统一社会信用代码",)),
        # its first line too short to read as the label on its own once joined
        (("单位类型（企", "业/科研院所/", "高校/其他）"), ("统一社会信用代", "码")),
    ],
)
def test_a_header_wrapped_over_three_lines_is_joined_and_no_row(
    type_lines: tuple[str, ...], uscc_lines: tuple[str, ...]
) -> None:
    """At 14 pt 单位类型（企业/科研院所/高校/其他） takes three lines of its cell: each
    joined line brings the header closer to the label; none is read as a member."""
    y = 0.117
    header = [
        _centred("成员单位表", 0.5, 0.074, h=0.017),
        _centred("序号", _INDEX, y),
        _centred("单位名称", _NAME, y),
        *(_centred(text, _TYPE, y + i * _WRAP) for i, text in enumerate(type_lines)),
        *(_centred(text, _USCC, y + i * _WRAP) for i, text in enumerate(uscc_lines)),
    ]
    row = 0.117 + 3 * _WRAP + 0.01
    lines = [
        *header,
        *_member_row(row, "1", "贵州省材料产业技术研究院", "科研院所", USCC_B),
        *_member_row(row + _ROW, "2", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members(lines)
    assert members.value == [
        Member(name="贵州省材料产业技术研究院", type="科研院所", uscc=USCC_B),
        Member(name="遵义医科大学", type="高校", uscc=USCC_C),
    ]
    assert not needs_review(members.confidence, RULES.review)


# --- merged cells ------------------------------------------------------------------------

USCC_D = "91520900400655620P"
USCC_E = "915204007671351704"
USCC_F = "12520600052611823F"


def test_a_merged_type_cell_gives_its_value_to_every_row_it_spans() -> None:
    # 1 高校 in its own row; 企业 once, centred across rows 2-4 (on row 3's line); 科研院所
    # once, centred across rows 5-6 (between their lines): no rules read, only the text.
    y = 0.163
    rows = [
        ("1", "贵州民族大学", "高校", USCC_A),
        ("2", "贵安新区织金电池材料有限责任公司", "", USCC_B),
        ("3", "贵州兴义新材料集团有限公司", "企业", USCC_C),
        ("4", "贵州娄山电池材料有限责任公司", "", USCC_D),
        ("5", "贵州省分析测试研究院", "", USCC_E),
        ("6", "贵州省材料产业技术研究院", "", USCC_F),
    ]
    lines = [*_members_header()]
    for i, row in enumerate(rows):
        lines += _member_row(y + i * _ROW, *row)
    lines.append(_centred("科研院所", _TYPE, y + 4.5 * _ROW))
    members = _members(lines)
    assert members.value is not None
    kinds = ["高校", "企业", "企业", "企业", "科研院所", "科研院所"]
    assert [m.type for m in members.value] == kinds
    assert [m.name for m in members.value] == [r[1] for r in rows]  # no row of its own
    assert not needs_review(members.confidence, RULES.review)


@pytest.mark.parametrize("numbered", [True, False])
def test_rows_with_their_own_type_cells_keep_them_beside_a_merged_one(numbered: bool) -> None:
    # with no 序号 written the rows' pitch is still their own: 高校 and 科研院所 one row
    # apart are two cells, not one wrapped one
    y = 0.163
    index = ["1", "2", "3", "4", "5"] if numbered else [""] * 5
    lines = [
        *_members_header(),
        *_member_row(y, index[0], "贵州民族大学", "高校", USCC_A),
        *_member_row(y + _ROW, index[1], "贵安新区织金电池材料有限责任公司", "", USCC_B),
        *_member_row(y + 2 * _ROW, index[2], "贵州兴义新材料集团有限公司", "", USCC_C),
        _centred("企业", _TYPE, y + 1.5 * _ROW),
        *_member_row(y + 3 * _ROW, index[3], "贵州省分析测试研究院", "科研院所", USCC_D),
        *_member_row(y + 4 * _ROW, index[4], "贵州大学", "高校", USCC_E),
    ]
    members = _members(lines)
    assert members.value is not None
    assert [m.type for m in members.value] == ["高校", "企业", "企业", "科研院所", "高校"]


def test_a_merged_cell_set_at_the_top_of_two_tall_rows_is_both_rows() -> None:
    # Codes wrapped on two lines make every row two lines tall, each cell set at its
    # row's top. 企业 once for rows 3-4, its row's height centred across the two: its line
    # stands half a row below row 3's own line, half a line above the middle of the two
    # rows' text (the OCR's box a little higher still: copy-scribble-hurried, s20 seed 7).
    y, pitch = 0.163, _ROW + _WRAP
    rows = [
        ("1", "贵州省轻工业科学研究所", "科研院所", USCC_B),
        ("2", "贵州师范大学", "高校", USCC_C),
        ("3", "贵州苗岭电池材料有限公司", "", USCC_A),
        ("4", "贵安新区黔通电池材料股份有", "", USCC_D),
    ]
    lines = [*_members_header()]
    for i, (index, name, kind, uscc) in enumerate(rows):
        top = y + i * pitch
        lines += _member_row(top, index, name, kind, uscc[:14])
        lines.append(_centred(uscc[14:], _USCC, top + _WRAP))
    lines.append(_centred("限公司", _NAME, y + 3 * pitch + _WRAP))
    lines.append(_centred("企业", _TYPE, y + 2 * pitch + pitch / 2 - 0.0025))
    members = _members(lines)
    assert members.value is not None
    assert [m.type for m in members.value] == ["科研院所", "高校", "企业", "企业"]
    assert members.value[3].name == "贵安新区黔通电池材料股份有限公司"
    assert not needs_review(members.confidence, RULES.review)


def test_a_blank_type_cell_beside_a_row_centred_one_stays_blank() -> None:
    # 企业 on row 2's line, row 3 blank between it and row 4's own cell: no run of rows
    # without their own cell has its middle at 企业 but row 2 itself, so row 3 stays blank
    # (and is reviewed): a blank is not filled from a neighbour.
    y = 0.163
    lines = [
        *_members_header(),
        *_member_row(y, "1", "贵州民族大学", "高校", USCC_A),
        *_member_row(y + _ROW, "2", "贵安新区织金电池材料有限责任公司", "企业", USCC_B),
        *_member_row(y + 2 * _ROW, "3", "贵州兴义新材料集团有限公司", "", USCC_C),
        *_member_row(y + 3 * _ROW, "4", "贵州省分析测试研究院", "科研院所", USCC_D),
    ]
    members = _members(lines)
    assert members.value is not None
    assert [m.type for m in members.value] == ["高校", "企业", "", "科研院所"]
    assert needs_review(members.confidence, RULES.review)


def test_type_cells_a_row_apart_are_two_cells_with_no_numbering_read() -> None:
    # no 序号 read: the rows' own pitch (not a guess from the line height, here large)
    # tells 高校 and 企业 one row apart from a cell wrapped onto two lines
    y, tall = 0.163, 0.02
    rows = [("贵州民族大学", "高校", USCC_A), ("贵州兴义新材料集团有限公司", "企业", USCC_B)]
    lines = [*_members_header()]
    for i, row in enumerate(rows):
        for text, x in zip(row, (_NAME, _TYPE, _USCC), strict=True):
            lines.append(_centred(text, x, y + i * _ROW, h=tall))
    header = {"序号", "单位名称", "单位类型（企业/科研", "院所/高校/其他）", "统一社会信用代码"}
    lines = [
        _centred(t.text, (t.bbox[0] + t.bbox[2]) / 2, t.bbox[1], h=tall) if t.text in header else t
        for t in lines
    ]
    members = _members(lines)
    assert members.value is not None
    assert [m.type for m in members.value] == ["高校", "企业"]


def test_two_header_labels_read_as_one_line_are_two_columns() -> None:
    # No rule between the type and code headers: the OCR reads them as one line with a
    # space; the codes must not run into the type cells.
    drop = ("单位类型（企业/科研", "统一社会信用代码", "院所/高校/其他）")
    header = [t for t in _members_header() if t.text not in drop]
    header.append(_centred("业/科研院所/高校/其他）", _TYPE, 0.117 + _WRAP))
    x0, x1 = _TYPE - 0.0085 * 6, _USCC + 0.0085 * 8
    header.append(_line("单位类型（企 统一社会信用代码", x0, 0.117, x1, 0.129))
    rows = [
        *_member_row(0.163, "1", "贵州花溪茶业有限公司", "企业", USCC_A),
        *_member_row(0.163 + _ROW, "2", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members([*header, *rows])
    assert members.value == [
        Member(name="贵州花溪茶业有限公司", type="企业", uscc=USCC_A),
        Member(name="遵义医科大学", type="高校", uscc=USCC_C),
    ]
    assert not needs_review(members.confidence, RULES.review)


def test_a_spaced_out_header_label_is_not_split() -> None:
    header = [t for t in _members_header() if t.text != "单位名称"]
    header.append(_centred("单 位 名 称", _NAME, 0.117))
    rows = [*_member_row(0.163, "1", "贵州花溪茶业有限公司", "企业", USCC_A)]
    members = _members([*header, *rows])
    assert members.value == [Member(name="贵州花溪茶业有限公司", type="企业", uscc=USCC_A)]
    assert not needs_review(members.confidence, RULES.review)


def _scored(text: str, centre: float, y: float, low: int | None = None) -> TextLine:
    """A name line with character scores, the character at ``low`` scored 0.91."""
    line = _centred(text, centre, y)
    scores = tuple(0.91 if i == low else 0.999 for i in range(len(text)))
    return line.model_copy(update={"char_confidences": scores})


@pytest.mark.parametrize(
    ("name", "low", "sure"),
    [
        ("贵州漏潭酿造股份有限公司", 2, False),  # 漏 doubted, 湄潭 a place: for review
        ("贵州漏潭酿造股份有限公司", None, True),  # printed clearly: read as it is
        ("铜仁黔通茶业集团有限公司", 3, False),  # 通 doubted: 黔南 misread, or a brand
        ("铜仁黔通茶业集团有限公司", 6, True),  # a doubted character far from any place
        ("贵州湄潭酿造股份有限公司", 2, True),  # the place itself
    ],
)
def test_a_member_name_one_doubted_character_from_a_place_is_for_review(
    name: str, low: int | None, sure: bool
) -> None:
    places = ("贵州省", "贵州", "湄潭县", "湄潭", "黔南", "铜仁")
    lines = [
        *_members_header(),
        *_member_row(0.163, "1", "", "企业", USCC_A),
        _scored(name, _NAME, 0.163, low),
    ]
    fields = read_tables(_submission(_page(lines)), PILOT, CAMPAIGN, NORMALIZE, places)
    members = fields["members"]
    assert isinstance(members.value, list) and members.value[0].name == name
    assert needs_review(members.confidence, RULES.review) is not sure


@pytest.mark.parametrize(
    ("name", "value", "sure"),
    [
        # one character from 有限责任公司: proposed with it, for review
        ("贵州云岭酿造有限贵任公司", "贵州云岭酿造有限责任公司", False),
        ("贵州云岭酿造有限责任公司", "贵州云岭酿造有限责任公司", True),
        # one from 研究院 / 研究所, too short to tell from a real ending: as read
        ("贵州省机械工程研究会", "贵州省机械工程研究会", True),
    ],
)
def test_a_member_name_one_character_from_a_long_suffix_ends_with_it(
    name: str, value: str, sure: bool
) -> None:
    lines = [
        *_members_header(),
        *_member_row(0.163, "1", "", "企业", USCC_A),
        _scored(name, _NAME, 0.163, None),
    ]
    fields = read_tables(
        _submission(_page(lines)),
        PILOT,
        CAMPAIGN,
        NORMALIZE,
        (),
        RULES.plausibility,
        gazetteer(RULES).org_suffixes,
    )
    members = fields["members"]
    assert isinstance(members.value, list) and members.value[0].name == value
    assert needs_review(members.confidence, RULES.review) is not sure


USCC_0E = "91520600444914700E"  # its 17th character a 0 beside the check letter


@pytest.mark.parametrize(("end", "sure"), [("0E", True), ("OE", True), ("1E", False)])
def test_a_code_passing_its_check_is_sure_whatever_its_pieces_scored(end: str, sure: bool) -> None:
    """The code's last characters wrapped onto the cell's second line and scored low (0
    read as O): a code that passes its check character is the code printed; one that
    fails it stays for review."""
    y = 0.163
    lines = [
        *_members_header(),
        *_member_row(y, "1", "贵州花溪茶业有限公司", "企业", USCC_0E[:16]),
        _centred(end, _USCC, y + _WRAP, conf=0.82),
        *_member_row(y + _ROW + _WRAP, "2", "遵义医科大学", "高校", USCC_C),
    ]
    members = _members(lines)
    assert isinstance(members.value, list)
    assert members.value[0].uscc == (USCC_0E if sure else USCC_0E[:16] + end)
    assert needs_review(members.confidence, RULES.review) is not sure


def _page_scored(page: Page, scores: dict[str, tuple[float, ...]]) -> Page:
    """The page with character scores on the lines whose text is a key (line score their
    mean, as rapidocr gives it)."""
    lines = tuple(
        t.model_copy(
            update={
                "char_confidences": scores[t.text],
                "confidence": sum(scores[t.text]) / len(scores[t.text]),
            }
        )
        if t.text in scores
        else t
        for t in page.lines
    )
    return page.model_copy(update={"lines": lines})


def test_a_kpi_cell_on_a_scan_is_judged_by_its_characters() -> None:
    # 11 read with a line score of 0.67 (a ruling in the crop drags it down), its digits
    # 0.62 and 0.72: sure, as a field's digits are (rules/plausibility.yaml characters);
    # a digit scored 0.30 is still for review
    page = _kpi_page([("突破共性关键技术（项）", "5", "11"), ("制定标准（项）", "3", "4")])
    page = _page_scored(page, {"11": (0.62, 0.72), "3": (0.30,)})
    fields = read_tables(
        _submission(page, annex=Annex.CERTIFICATION),
        CERTIFICATION,
        CAMPAIGN,
        NORMALIZE,
        judge=RULES.plausibility,
    )
    assert fields["kpi_key_tech_actual"].value == 11
    assert not needs_review(fields["kpi_key_tech_actual"].confidence, RULES.review)
    assert needs_review(fields["kpi_standards_target"].confidence, RULES.review)
    # without the judge (as before), the line's score speaks
    plain = read_tables(
        _submission(page, annex=Annex.CERTIFICATION), CERTIFICATION, CAMPAIGN, NORMALIZE
    )
    assert needs_review(plain["kpi_key_tech_actual"].confidence, RULES.review)


def test_a_speck_read_as_a_dot_at_a_counts_end_is_proposed_for_review() -> None:
    page = _kpi_page(
        [
            ("制定标准（项）", "3", ".5"),
            ("成果转化与孵化企业（家）", "1", "6."),
            ("培养引进人才（人）", "89", "7.1"),
        ]
    )
    fields = read_tables(
        _submission(page, annex=Annex.CERTIFICATION), CERTIFICATION, CAMPAIGN, NORMALIZE
    )
    for key, value in (("kpi_standards_actual", 5), ("kpi_incubated_actual", 6)):
        assert fields[key].value == value
        assert needs_review(fields[key].confidence, RULES.review)
    # a dot between digits is no speck at an end: not read as a count
    assert fields["kpi_talent_actual"].value is None
    assert needs_review(fields["kpi_talent_actual"].confidence, RULES.review)


@pytest.mark.parametrize("kind", [SourceKind.SCAN, SourceKind.TEXT_LAYER])
def test_a_members_code_with_i_for_1_on_a_scan_is_proposed_for_review(kind: SourceKind) -> None:
    """1252040093620819IR for 12520400936208191R (a 1-bit turned page: tuned
    bw-turned-glyph-cross, /tmp/s20-all P085): no code holds an I and with 1 it passes its
    check character, so on a scan that code is proposed, for review; a born-digital copy
    keeps the I a typist typed (its FIELD_INVALID is the checks')."""
    read, meant = "1252040093620819IR", "12520400936208191R"
    lines = [*_members_header(), *_member_row(0.163, "1", "贵州理工学院", "高校", read)]
    members = _members(lines, kind)
    assert members.value is not None
    assert members.value[0].uscc == (meant if kind is SourceKind.SCAN else read)
    if kind is SourceKind.SCAN:
        assert needs_review(members.confidence, RULES.review)
        assert any(d.detail == read for d in members.doubts)
