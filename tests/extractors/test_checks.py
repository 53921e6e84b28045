"""FIELD_MISSING, FIELD_INVALID and FIELD_LOW_CONFIDENCE over extracted fields.

Two halves: the corpus (all 24 electronic copies must give exactly the FIELD_* findings
their truth expects), and hand-built submissions, one rule and its edges at a time.
"""

from __future__ import annotations

import logging
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml
from shenbao_lab.generator.truth import SourceTruth, Truth

from extractors.checks import check_fields
from extractors.fields import extract
from extractors.normalize import normalizer
from pipeline.config import ReadMethod, TemplateSpec, load_yaml
from pipeline.errors import ConfigError
from pipeline.model import (
    Annex,
    ExtractedField,
    FieldValue,
    Finding,
    FindingCode,
    Member,
    Page,
    Severity,
    SourceKind,
    Submission,
    SubmissionSource,
    TextLine,
)
from pipeline.rulebook import load_rules
from pipeline.rulebook.checks import AtMostRule, CheckRules, RatioRule
from pipeline.rulebook.review import ReviewRules
from rules import RULES_DIR
from tests.readers import SAMPLES, TEMPLATES, read_electronic
from tests.rulebook import RULES

CAMPAIGN = RULES.campaign
PILOT = TEMPLATES[Annex.PILOT]
CERTIFICATION = TEMPLATES[Annex.CERTIFICATION]
THRESHOLD = RULES.review.review_threshold
CHECKED = {FindingCode.FIELD_MISSING, FindingCode.FIELD_INVALID, FindingCode.FIELD_LOW_CONFIDENCE}
BOX = (0.39, 0.40, 0.46, 0.42)
NORMALIZE = normalizer(RULES)


# --- the corpus --------------------------------------------------------------------------

ELECTRONIC = sorted((SAMPLES / "electronic").iterdir())


@cache
def _truth(applicant: str) -> Truth:
    path = SAMPLES / "truth" / f"{applicant}.json"
    return Truth.model_validate_json(path.read_text(encoding="utf-8"))


def _source(path: Path) -> SourceTruth:
    rel = path.relative_to(SAMPLES).as_posix()
    return next(s for s in _truth(path.stem).sources if s.file == rel)


@cache
def _extracted(path: Path) -> Submission:
    return extract(read_electronic(path), RULES)


def _built_by_others(template: TemplateSpec) -> set[str]:
    """Keys that the tick-box and table readers (being built alongside) put in ``fields``."""
    keys = {f.key for f in template.fields if f.method is ReadMethod.CHECKBOX}
    for table in template.tables:
        if not table.rows:
            keys.add(table.key)
        keys |= {f"{r.key}_{c.key}" for r in table.rows for c in table.columns[1:]}
    return keys


@cache
def _not_extracted_yet() -> frozenset[str]:
    """Tick-box and table keys that no electronic copy has in ``fields`` yet: their readers
    have not landed. Once a reader lands, its keys drop out of here and are checked too."""
    waiting = set().union(*map(_built_by_others, TEMPLATES.values()))
    for path in ELECTRONIC:
        waiting -= set(_extracted(path).fields)
    return frozenset(waiting)


def _field_checks(submission: Submission) -> tuple[Finding, ...]:
    """``check_fields`` on the template of the submission's annex, with the shipped rules."""
    template = TEMPLATES[submission.annex]
    return check_fields(
        submission,
        template,
        CAMPAIGN,
        rules=RULES.checks,
        review=RULES.review,
        normalize=NORMALIZE,
    )


def _keyed(findings: tuple[Finding, ...] | list[Finding]) -> Counter[tuple[str, str | None]]:
    return Counter((f.code.value, f.field) for f in findings if f.code in CHECKED)


def test_the_corpus_has_all_24_electronic_copies() -> None:
    assert len(ELECTRONIC) == 24


@pytest.mark.parametrize("path", ELECTRONIC, ids=lambda p: p.name)
def test_electronic_copy_gives_exactly_the_expected_field_findings(path: Path) -> None:
    submission = _extracted(path)
    source = _source(path)
    findings = _field_checks(submission)
    waiting = _not_extracted_yet()
    got = _keyed([f for f in findings if f.field not in waiting])
    assert got == _keyed_expected(source)
    for finding in findings:
        if finding.field in waiting:
            # Until their reader lands, such a key is absent from a present page: nothing else.
            assert finding.code is FindingCode.FIELD_MISSING and finding.paper is None
            continue
        assert finding.field in submission.fields
        read = submission.fields[finding.field]
        assert (finding.page, finding.bbox) == (read.page, read.bbox)
        assert finding.page is not None and finding.bbox is not None


def _keyed_expected(source: SourceTruth) -> Counter[tuple[str, str | None]]:
    return Counter((e.code.value, e.field) for e in source.expected_findings if e.code in CHECKED)


@pytest.mark.parametrize("path", ELECTRONIC, ids=lambda p: p.name)
def test_truth_values_in_every_field_give_exactly_the_expected_findings(path: Path) -> None:
    """The same with every key the truth knows, ticks and tables included (members' codes,
    KPI cells): what check_fields will say once every reader is in."""
    submission = _extracted(path)
    source = _source(path)
    fields = {
        key: ExtractedField(
            value=truth.value,
            raw=truth.raw,
            page=submission.fields[key].page if key in submission.fields else None,
            bbox=submission.fields[key].bbox if key in submission.fields else None,
            confidence=1.0,
        )
        for key, truth in source.fields.items()
    }
    with_truth = submission.model_copy(update={"fields": fields})
    findings = _field_checks(with_truth)
    assert _keyed(findings) == _keyed_expected(source)


def test_the_planted_faults_read_as_reviewers_expect() -> None:
    messages = {
        (path.stem, f.field): f.message
        for path in ELECTRONIC
        if path.suffix == ".pdf"
        for f in check_fields(
            _extracted(path),
            TEMPLATES[_extracted(path).annex],
            CAMPAIGN,
            rules=RULES.checks,
            review=RULES.review,
            normalize=NORMALIZE,
        )
        if f.field not in _not_extracted_yet()
    }
    assert messages == {
        ("C012", "rd_ratio"): "研发投入占营业收入比重：填报7.67%，按研发投入÷营业收入计算为4.47%，"
        "相差超过0.1个百分点",
        ("P006", "mobile"): "手机「1800706219」不是有效的手机号码（应为11位大陆手机号）",
        ("P008", "uscc"): "统一社会信用代码「915223001369762136」校验位不正确（应为T）",
        ("P011", "email"): "电子邮箱：纸质材料未填写",
    }


# --- hand-built submissions --------------------------------------------------------------


def _field(
    value: FieldValue,
    raw: str | None = None,
    *,
    confidence: float = 1.0,
    page: int = 3,
    bbox: tuple[float, float, float, float] = BOX,
) -> ExtractedField:
    if raw is None:
        raw = "" if value is None or isinstance(value, list) else str(value)
    return ExtractedField(value=value, raw=raw, page=page, bbox=bbox, confidence=confidence)


def _submission(
    fields: dict[str, ExtractedField],
    pages: tuple[Page, ...] = (),
    annex: Annex = Annex.PILOT,
) -> Submission:
    return Submission(
        id="hand-built",
        annex=annex,
        source=SubmissionSource(file="hand.pdf", sha256="0" * 64, pages=(1, 9)),
        pages=pages,
        fields=fields,
    )


def _page(number: int, kind: SourceKind, *texts: str) -> Page:
    lines = tuple(
        TextLine(text=text, bbox=(0.1, 0.05 + 0.03 * i, 0.5, 0.07 + 0.03 * i))
        for i, text in enumerate(texts)
    )
    return Page(
        number=number, source_page=number, kind=kind, width_pt=595, height_pt=842, lines=lines
    )


def _check(
    fields: dict[str, ExtractedField],
    *,
    pages: tuple[Page, ...] = (),
    template: TemplateSpec = PILOT,
    rules: CheckRules | None = None,
    review: ReviewRules | None = None,
) -> tuple[Finding, ...]:
    return check_fields(
        _submission(fields, pages, template.annex),
        template,
        CAMPAIGN,
        rules=rules or RULES.checks,
        review=review or RULES.review,
        normalize=NORMALIZE,
    )


def _codes(findings: tuple[Finding, ...]) -> list[tuple[FindingCode, str | None]]:
    return [(f.code, f.field) for f in findings]


FIGURES = {
    "revenue": _field(10967.59),
    "rd_spend": _field(930.06),
    "rd_ratio": _field(8.48, page=3, bbox=(0.39, 0.52, 0.42, 0.53)),
    "rd_staff": _field(384),
    "senior_staff": _field(72),
    "total_invest": _field(9772.0),
    "self_funds": _field(7635.64),
}


def test_sound_figures_give_nothing() -> None:
    assert _check(FIGURES) == ()


# FIELD_MISSING -------------------------------------------------------------------------


def test_a_blank_required_field_is_missing_with_its_evidence() -> None:
    (finding,) = _check({"email": _field(None, "")})
    assert finding.code is FindingCode.FIELD_MISSING
    assert finding.severity is Severity.ERROR
    assert (finding.field, finding.page, finding.bbox, finding.paper) == ("email", 3, BOX, None)
    assert finding.message == "电子邮箱：纸质材料未填写"


@pytest.mark.parametrize(
    ("key", "value", "raw"),
    [
        ("commit_date", None, "年 月 日"),  # the printed blanks of an unfilled date
        ("email", "无", "无"),  # kept as read by fields.py, and means "not filled"
        ("revenue", None, "—"),
        ("address", "/", "/"),
        ("legal_rep", "", ""),
    ],
)
def test_blank_marks_alone_are_a_blank(key: str, value: FieldValue, raw: str) -> None:
    assert _codes(_check({key: _field(value, raw)})) == [(FindingCode.FIELD_MISSING, key)]


@pytest.mark.parametrize(
    ("key", "value"),
    [("platforms", None), ("platforms", []), ("recommender", None), ("recommend_date", None)],
)
def test_a_blank_optional_field_is_no_finding(key: str, value: FieldValue) -> None:
    assert _check({key: _field(value, "年" if key == "recommend_date" else "")}) == ()


def test_the_units_of_a_label_are_not_in_the_message() -> None:
    (finding,) = _check({"revenue": _field(None, "")})
    assert finding.message == "上年度营业收入：纸质材料未填写"


def test_tick_groups_and_tables_are_blank_when_empty() -> None:
    findings = _check(
        {
            "center_type": _field(None, "", page=1),
            "members": _field([], "", page=4),
            "kpi_talent_actual": _field(None, "", page=4),
        },
        template=PILOT,
    )
    assert _codes(findings) == [
        (FindingCode.FIELD_MISSING, "center_type"),
        (FindingCode.FIELD_MISSING, "members"),
    ]  # a pilot form has no KPI table: an unknown key is never "missing"
    assert [f.message for f in findings] == [
        "创新中心类型：纸质材料未填写",
        "成员单位表：纸质材料未填写",
    ]
    (kpi,) = _check({"kpi_talent_actual": _field(None, "", page=4)}, template=CERTIFICATION)
    assert kpi.code is FindingCode.FIELD_MISSING
    assert kpi.message == "培养引进人才（实际完成值）：纸质材料未填写"


def test_a_blank_cell_in_a_member_row_is_missing() -> None:
    members = [
        Member(name="贵州大学", type="高校", uscc="12520600669200653F"),
        Member(name="贵州省科学院", type="科研院所", uscc=""),
    ]
    (finding,) = _check({"members": _field(members, page=4)})
    assert (finding.code, finding.field, finding.page) == (FindingCode.FIELD_MISSING, "members", 4)
    assert finding.message == "成员单位表第2行「贵州省科学院」：统一社会信用代码未填写"


def test_text_that_is_not_a_number_is_invalid_not_missing() -> None:
    (finding,) = _check({"revenue": _field(None, "待审计")})
    assert finding.code is FindingCode.FIELD_INVALID
    assert finding.paper == "待审计"
    assert finding.message == "上年度营业收入：填写内容「待审计」无法识别为金额"


# The label not found --------------------------------------------------------------------

BASIC_INFO_TEXT = _page(3, SourceKind.TEXT_LAYER, "一、基本情况表", "统一社会信用代码")
BASIC_INFO_SCAN = _page(3, SourceKind.SCAN, "一、基本情况表", "统一社会信用代码")


def test_a_required_field_absent_from_a_present_born_digital_page_is_missing() -> None:
    findings = _check({}, pages=(BASIC_INFO_TEXT,))
    keys = {f.field for f in findings}
    assert "email" in keys and "mobile" in keys
    assert "platforms" not in keys  # optional
    assert "apply_date" not in keys  # on the cover, which is not there: SECTION_MISSING's
    email = next(f for f in findings if f.field == "email")
    assert (email.code, email.page, email.bbox) == (FindingCode.FIELD_MISSING, 3, None)
    assert email.message == "电子邮箱：第3页未找到该栏目"


def test_a_field_absent_from_a_present_scan_page_goes_to_review() -> None:
    findings = _check({}, pages=(BASIC_INFO_SCAN,))
    email = next(f for f in findings if f.field == "email")
    assert email.code is FindingCode.FIELD_LOW_CONFIDENCE
    assert email.severity is Severity.WARNING
    assert email.message == "电子邮箱：第3页未能识别到该栏目，需人工核对"
    assert {f.code for f in findings} == {FindingCode.FIELD_LOW_CONFIDENCE}


def test_an_optional_field_whose_label_a_scan_did_not_read_goes_to_review() -> None:
    # 推荐单位（盖章） is printed on every cover, though an exempt applicant leaves it blank:
    # on a scan its label not read leaves the value unread, blank or not (a 1-bit cover
    # read it 推荐单传理章）, the recommender nowhere: s18-all tuned P054, session 19)
    cover = ("贵州省制造业创新中心建设试点", "申报书")
    scan = _check({}, pages=(_page(1, SourceKind.SCAN, *cover),))
    recommender = next(f for f in scan if f.field == "recommender")
    assert recommender.code is FindingCode.FIELD_LOW_CONFIDENCE
    assert recommender.message == "推荐单位（盖章）：第1页未能识别到该栏目，需人工核对"
    # on a born-digital cover the text is exact: an optional row not there is no finding
    text = _check({}, pages=(_page(1, SourceKind.TEXT_LAYER, *cover),))
    assert "recommender" not in {f.field for f in text}
    assert "apply_date" in {f.field for f in text}  # required


def test_a_missing_page_is_not_reported_again_per_field() -> None:
    assert _check({}) == ()  # no page found at all: SECTION_MISSING covers it


def test_a_field_printed_twice_needs_reading_once() -> None:
    cover = _page(1, SourceKind.TEXT_LAYER, "贵州省制造业创新中心建设试点", "申报书")
    findings = _check({"center_name": _field("贵州省某创新中心", page=1)}, pages=(cover,))
    assert "center_name" not in {f.field for f in findings}
    assert "apply_date" in {f.field for f in findings}  # printed on the cover, read nowhere


def test_a_blank_is_missing_and_an_absent_label_is_missing_too_but_say_so_apart() -> None:
    findings = _check({"email": _field(None, "")}, pages=(BASIC_INFO_TEXT,))
    by_key = {f.field: f.message for f in findings}
    assert by_key["email"] == "电子邮箱：纸质材料未填写"
    assert by_key["mobile"] == "手机：第3页未找到该栏目"


# FIELD_INVALID: codes, mobiles, e-mails --------------------------------------------------


def test_a_uscc_with_a_wrong_check_character_names_the_right_one() -> None:
    (finding,) = _check({"uscc": _field("915223001369762136")})
    assert finding.code is FindingCode.FIELD_INVALID
    assert finding.paper == "915223001369762136"
    assert finding.message == "统一社会信用代码「915223001369762136」校验位不正确（应为T）"


@pytest.mark.parametrize("code", ["91520100882828271", "9152010088282827IX", "915201008828282710X"])
def test_a_uscc_of_the_wrong_shape_is_invalid(code: str) -> None:
    (finding,) = _check({"uscc": _field(code)})
    assert finding.code is FindingCode.FIELD_INVALID
    assert "格式不正确" in finding.message


@pytest.mark.parametrize("code", ["91520100882828271X", "91520100882828271x", "9152230076569194XX"])
def test_a_right_uscc_is_no_finding(code: str) -> None:
    assert _check({"uscc": _field(code)}) == ()


def test_a_members_uscc_is_checked_too() -> None:
    members = [
        Member(name="贵州大学", type="高校", uscc="12520600669200653F"),
        Member(name="贵州乌江电池材料有限责任公司", type="企业", uscc="91520400055285875M"),
    ]
    (finding,) = _check({"members": _field(members, page=4, bbox=(0.1, 0.1, 0.9, 0.4))})
    assert (finding.code, finding.field) == (FindingCode.FIELD_INVALID, "members")
    assert (finding.page, finding.bbox, finding.paper) == (
        4,
        (0.1, 0.1, 0.9, 0.4),
        "91520400055285875M",
    )
    assert finding.message == (
        "成员单位表第2行「贵州乌江电池材料有限责任公司」：统一社会信用代码「91520400055285875M」"
        "校验位不正确（应为N）"
    )


@pytest.mark.parametrize("mobile", ["1800706219", "12345678901", "138123456789", "0851-8658"])
def test_a_number_that_is_no_mainland_mobile_is_invalid(mobile: str) -> None:
    (finding,) = _check({"mobile": _field(mobile)})
    assert finding.code is FindingCode.FIELD_INVALID
    assert finding.message == f"手机「{mobile}」不是有效的手机号码（应为11位大陆手机号）"


@pytest.mark.parametrize("mobile", ["13812345678", "+86 138-1234-5678", "19912345678"])
def test_a_mainland_mobile_is_no_finding(mobile: str) -> None:
    assert _check({"mobile": _field(mobile)}) == ()


@pytest.mark.parametrize("email", ["li153@126", "li153.126.com", "li 153@@126.com", "@qq.com"])
def test_a_malformed_email_is_invalid(email: str) -> None:
    (finding,) = _check({"email": _field(email)})
    assert finding.code is FindingCode.FIELD_INVALID
    assert finding.message == f"电子邮箱「{email}」不是有效的电子邮箱地址"


@pytest.mark.parametrize("email", ["li153@126.com", "Li.153@Sina.COM.cn", "ma959@qq.com"])
def test_a_wellformed_email_is_no_finding(email: str) -> None:
    assert _check({"email": _field(email)}) == ()


# FIELD_INVALID: consistency ---------------------------------------------------------------


def _figures(**changes: ExtractedField | None) -> dict[str, ExtractedField]:
    merged = {**FIGURES, **changes}
    return {k: v for k, v in merged.items() if v is not None}


def test_an_inconsistent_rd_ratio_names_both_figures_on_its_own_evidence() -> None:
    (finding,) = _check(_figures(rd_spend=_field(944.06)))
    assert (finding.code, finding.field, finding.paper) == (
        FindingCode.FIELD_INVALID,
        "rd_ratio",
        8.48,
    )
    assert (finding.page, finding.bbox) == (3, (0.39, 0.52, 0.42, 0.53))
    assert finding.message == (
        "研发投入占营业收入比重：填报8.48%，按研发投入÷营业收入计算为8.61%，相差超过0.1个百分点"
    )


@pytest.mark.parametrize(
    ("declared", "flagged"),
    [
        (8.48, False),  # 930.06 ÷ 10967.59 × 100 = 8.4801…, rounded as printed
        (8.5, False),  # rounded to one decimal
        (8.58, False),  # 0.0999 off
        (8.38, True),  # 0.1001 off
        (8.59, True),  # 0.1099 off
        (8.0, True),  # rounded to a whole number: 0.48 off
        (0.0848, True),  # written as a fraction, not a percentage
    ],
)
def test_rd_ratio_tolerance_allows_rounding_only(declared: float, flagged: bool) -> None:
    findings = _check(_figures(rd_ratio=_field(declared)))
    assert _codes(findings) == ([(FindingCode.FIELD_INVALID, "rd_ratio")] if flagged else [])


def test_a_difference_of_exactly_the_tolerance_still_agrees() -> None:
    exact = _figures(revenue=_field(1000.0), rd_spend=_field(85.0))  # 8.5%
    assert _check({**exact, "rd_ratio": _field(8.4)}) == ()
    assert _check({**exact, "rd_ratio": _field(8.6)}) == ()
    assert _codes(_check({**exact, "rd_ratio": _field(8.39)})) == [
        (FindingCode.FIELD_INVALID, "rd_ratio")
    ]


@pytest.mark.parametrize("revenue", [_field(0.0), _field(0), _field(None, ""), None])
def test_no_revenue_means_no_ratio_verdict(revenue: ExtractedField | None) -> None:
    findings = _check(_figures(revenue=revenue))
    assert FindingCode.FIELD_INVALID not in {f.code for f in findings}


def test_a_tolerance_from_the_rules() -> None:
    rules = RULES.checks.model_copy(
        update={
            "consistency": (
                RatioRule(
                    kind="ratio",
                    field="rd_ratio",
                    numerator="rd_spend",
                    denominator="revenue",
                    tolerance=0.5,
                ),
            )
        }
    )
    figures = _figures(rd_ratio=_field(8.9))
    assert _check(figures, rules=rules) == ()
    assert _codes(_check(figures)) == [(FindingCode.FIELD_INVALID, "rd_ratio")]
    (default_wording,) = _check(_figures(rd_ratio=_field(9.9)), rules=rules)
    assert (
        "按上年度研发投入÷上年度营业收入计算为8.48%，相差超过0.5个百分点" in default_wording.message
    )


def test_more_senior_staff_than_rd_staff_is_invalid_on_senior_staff() -> None:
    (finding,) = _check(_figures(senior_staff=_field(72, page=3), rd_staff=_field(50)))
    assert (finding.code, finding.field, finding.paper) == (
        FindingCode.FIELD_INVALID,
        "senior_staff",
        72,
    )
    assert finding.message == "高级职称：填报72人，超过研发人员数50人"
    assert _check(_figures(senior_staff=_field(50), rd_staff=_field(50))) == ()


def test_self_funds_above_total_invest_is_invalid_on_self_funds() -> None:
    (finding,) = _check(_figures(total_invest=_field(7000.0)))
    assert (finding.code, finding.field) == (FindingCode.FIELD_INVALID, "self_funds")
    assert finding.message == "自筹资金：填报7635.64万元，超过建设期总投资7000.00万元"
    assert _check(_figures(self_funds=_field(9772.0))) == ()


def test_the_consistency_rules_name_fields_both_forms_print() -> None:
    for rule in RULES.checks.consistency:
        keys = (
            (rule.field, rule.numerator, rule.denominator)
            if isinstance(rule, RatioRule)
            else (rule.field, rule.bound)
        )
        for template in (PILOT, CERTIFICATION):
            assert set(keys) <= {f.key for f in template.fields}, rule


# FIELD_LOW_CONFIDENCE --------------------------------------------------------------------


def test_an_unsure_reading_is_flagged_for_review_and_nothing_else() -> None:
    (finding,) = _check({"uscc": _field("915223001369762136", confidence=0.62)})
    assert finding.code is FindingCode.FIELD_LOW_CONFIDENCE
    assert finding.severity is Severity.WARNING
    assert (finding.page, finding.bbox, finding.paper) == (3, BOX, "915223001369762136")
    assert finding.message == (
        f"统一社会信用代码：识别结果「915223001369762136」置信度0.62，"
        f"低于复核阈值{THRESHOLD:.2f}，需人工核对"
    )


def test_an_unsure_blank_is_not_called_missing() -> None:
    findings = _check({"email": _field(None, "", confidence=0.5)})
    assert _codes(findings) == [(FindingCode.FIELD_LOW_CONFIDENCE, "email")]
    assert "（空白）" in findings[0].message


def test_the_threshold_itself_is_sure_enough() -> None:
    assert _check({"mobile": _field("13812345678", confidence=THRESHOLD)}) == ()
    below = _check({"mobile": _field("13812345678", confidence=THRESHOLD - 0.01)})
    assert _codes(below) == [(FindingCode.FIELD_LOW_CONFIDENCE, "mobile")]


@pytest.mark.parametrize("unsure", ["rd_spend", "revenue", "rd_ratio"])
def test_a_ratio_needing_an_unsure_figure_is_skipped(unsure: str) -> None:
    figures = _figures(rd_spend=_field(944.06))  # inconsistent when all are sure
    figures[unsure] = figures[unsure].model_copy(update={"confidence": 0.5})
    assert _codes(_check(figures)) == [(FindingCode.FIELD_LOW_CONFIDENCE, unsure)]


@pytest.mark.parametrize("unsure", ["senior_staff", "rd_staff"])
def test_a_bound_needing_an_unsure_figure_is_skipped(unsure: str) -> None:
    figures = _figures(senior_staff=_field(500))
    figures[unsure] = figures[unsure].model_copy(update={"confidence": 0.3})
    assert _codes(_check(figures)) == [(FindingCode.FIELD_LOW_CONFIDENCE, unsure)]


def test_a_review_threshold_can_be_passed_in() -> None:
    strict = ReviewRules(review_threshold=0.99)
    assert _codes(_check({"mobile": _field("13812345678", confidence=0.95)}, review=strict)) == [
        (FindingCode.FIELD_LOW_CONFIDENCE, "mobile")
    ]


# Findings in general ------------------------------------------------------------------------


def test_findings_come_in_template_order_with_consistency_last() -> None:
    fields = {
        **_figures(total_invest=_field(7000.0)),
        "email": _field("bad@"),
        "uscc": _field("915223001369762136"),
        "mobile": _field(None, ""),
    }
    assert [f.field for f in _check(fields)] == ["uscc", "mobile", "email", "self_funds"]


def test_an_unknown_key_gets_only_the_confidence_check() -> None:
    assert _check({"stamp_colour": _field("红")}) == ()
    (finding,) = _check({"stamp_colour": _field("红", confidence=0.2)})
    assert (finding.code, finding.field) == (FindingCode.FIELD_LOW_CONFIDENCE, "stamp_colour")


def test_no_value_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="extractors.checks")
    findings = _check({"mobile": _field("1800706219"), "uscc": _field("915223001369762136")})
    assert len(findings) == 2
    assert caplog.records  # it does log: the codes and keys
    assert "1800706219" not in caplog.text
    assert "915223001369762136" not in caplog.text


# The rules file ---------------------------------------------------------------------------


def test_the_shipped_rules_load() -> None:
    rules = load_rules(RULES_DIR).checks
    assert rules.absent_label[SourceKind.SCAN] is FindingCode.FIELD_LOW_CONFIDENCE
    assert {type(r) for r in rules.consistency} == {RatioRule, AtMostRule}


ABSENT_LABEL = {
    "scan": "FIELD_LOW_CONFIDENCE",
    "text_layer": "FIELD_MISSING",
    "docx": "FIELD_MISSING",
}
VALID_RULES: dict[str, object] = {
    "blank_marks": ["年"],
    "absent_label": ABSENT_LABEL,
    "consistency": [{"kind": "at_most", "field": "senior_staff", "bound": "rd_staff"}],
}


def test_a_minimal_rules_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(yaml.safe_dump(VALID_RULES, allow_unicode=True), encoding="utf-8")
    rules = load_yaml(path, CheckRules)
    assert rules.consistency == (
        AtMostRule(kind="at_most", field="senior_staff", bound="rd_staff"),
    )


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"absent_label": {"scan": "FIELD_MISSING"}}, "absent_label: Value error, no code for"),
        (
            {"absent_label": {**ABSENT_LABEL, "scan": "FIELD_INVALID"}},
            "absent_label.scan",
        ),
        (
            {
                "consistency": [
                    {
                        "kind": "ratio",
                        "field": "rd_ratio",
                        "numerator": "rd_spend",
                        "denominator": "revenue",
                        "tolerance": -0.1,
                    }
                ]
            },
            "consistency.0.ratio.tolerance",
        ),
        ({"consistency": [{"kind": "sum", "field": "a", "parts": ["b"]}]}, "consistency.0"),
        (
            {"consistency": [{"kind": "at_most", "field": "Senior", "bound": "rd_staff"}]},
            "consistency.0.at_most.field",
        ),
        ({"blank_marks": ["年月"]}, "blank_marks"),
        ({"tolerance": 0.1}, "tolerance: Extra inputs are not permitted"),
    ],
)
def test_a_malformed_rules_file_fails_at_load_naming_the_key(
    tmp_path: Path, change: dict[str, object], complaint: str
) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(yaml.safe_dump({**VALID_RULES, **change}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_yaml(path, CheckRules)
    assert str(path) in str(raised.value)
    assert complaint in str(raised.value)
