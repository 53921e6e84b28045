"""The recommendation opinion: the corpus's expected findings, and each decision alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.model import Finding, FindingCode, SealMark, Submission, TextLine
from pipeline.rulebook import load_rules
from rules import RULES_DIR
from tests.rulebook import rules_folder
from tests.validators.corpus import (
    CAMPAIGN,
    CONTEXT,
    TEMPLATES,
    TRUTH_FILES,
    assert_codes_as_truth,
    codes,
    page_id,
    replace_page,
    scanned_submission,
    submission_of,
    with_field,
)
from validators import validate
from validators.opinion import find_box


@pytest.mark.parametrize("path", TRUTH_FILES, ids=[p.stem for p in TRUTH_FILES])
def test_recommendation_findings_of_each_scan_are_the_truths(path: Path) -> None:
    submission, source = scanned_submission(path)
    validated = validate(submission, CONTEXT)
    prefix = "RECOMMENDATION_"
    assert_codes_as_truth(
        codes(validated, prefix),
        sorted((f.code, f.slot) for f in source.expected_findings if f.code.startswith(prefix)),
        [(f.code, f.slot) for f in source.tolerated_findings if f.code.startswith(prefix)],
    )


def _recommendation(submission: Submission) -> list[str]:
    return [c for c, _ in codes(validate(submission, CONTEXT), "RECOMMENDATION_")]


def _with_opinion(submission: Submission, *texts: str, confidence: float = 1.0) -> Submission:
    """The opinion box written anew: the given lines under the heading."""
    number = page_id(submission, "opinion")
    page = submission.pages[number - 1]
    box = find_box(page, TEMPLATES[submission.annex].opinion, CONTEXT)
    kept = tuple(line for line in page.lines if line not in box.lines)
    written = tuple(
        TextLine(text=text, bbox=(0.17, y, 0.75, y + 0.025), confidence=confidence)
        for text, y in zip(texts, (0.2 + 0.03 * i for i in range(len(texts))), strict=True)
    )
    return replace_page(submission, number, lines=kept + written)


def test_the_box_holds_the_opinion_and_not_the_printed_text() -> None:
    p001 = submission_of("P001")
    page = p001.pages[page_id(p001, "opinion") - 1]
    box = find_box(page, TEMPLATES[p001.annex].opinion, CONTEXT)
    assert box.text == "经审核，申报材料真实、规范、完整，同意推荐该单位申报。"
    assert box.bbox is not None and box.page.number == page.number
    empty = find_box(
        submission_of("P004").pages[page_id(submission_of("P004"), "opinion") - 1],
        TEMPLATES[p001.annex].opinion,
        CONTEXT,
    )
    assert empty.lines == () and empty.bbox is None


@pytest.mark.parametrize(
    ("opinion", "expected"),
    [
        ("经审核，同意推荐。", []),
        ("经审核，不同意推荐。", ["RECOMMENDATION_UNFAVOURABLE"]),
        ("材料不全，不予推荐。", ["RECOMMENDATION_UNFAVOURABLE"]),
        ("该单位申报材料存在问题，暂缓推荐。", ["RECOMMENDATION_UNFAVOURABLE"]),
        ("情况属实。", ["RECOMMENDATION_UNFAVOURABLE"]),  # says nothing of recommending
    ],
)
def test_favourable_only_when_it_recommends_and_nothing_refuses(
    opinion: str, expected: list[str]
) -> None:
    assert _recommendation(_with_opinion(submission_of("P001"), opinion)) == expected


def test_a_negation_split_over_two_lines_still_refuses() -> None:
    p001 = _with_opinion(submission_of("P001"), "经审核，该单位材料不完整，不同", "意推荐。")
    assert _recommendation(p001) == ["RECOMMENDATION_UNFAVOURABLE"]


def _findings(submission: Submission) -> list[Finding]:
    """The opinion's findings: RECOMMENDATION_* and its own FIELD_LOW_CONFIDENCE."""
    return [
        f
        for f in validate(submission, CONTEXT).findings
        if f.code.startswith("RECOMMENDATION_")
        or (f.code is FindingCode.FIELD_LOW_CONFIDENCE and f.message.startswith("推荐意见："))
    ]


@pytest.mark.parametrize("misread", ["局", "司", "回"])
def test_a_favour_whose_lone_first_character_was_misread_sure_goes_to_review(
    misread: str,
) -> None:
    # A hand's 同意推荐 wrapped at the box's edge, its 同 left alone at the line's end and
    # read as another character, sure: no refusal, a reviewer looks.
    p001 = _with_opinion(
        submission_of("P001"),
        f"经审核，该单位申报材料真实有效，符合申报条件，{misread}",
        "意推荐。",
    )

    found = _findings(p001)
    assert [f.code for f in found] == [FindingCode.FIELD_LOW_CONFIDENCE]
    assert "同意推荐" in found[0].message and found[0].page is not None


@pytest.mark.parametrize(
    "opinion",
    [
        ("经审核，该单位材料不完整，不局", "意推荐。"),  # a refusal's 同 misread: its 不 kept
        ("经审核，暂缓推荐，局意推荐。",),
        ("情况属实。",),
    ],
)
def test_text_of_a_refusal_or_no_favour_at_all_stays_unfavourable(opinion: tuple[str, ...]) -> None:
    found = _findings(_with_opinion(submission_of("P001"), *opinion))
    assert [f.code for f in found] == [FindingCode.RECOMMENDATION_UNFAVOURABLE]


def test_an_unsure_opinion_without_a_recommending_phrase_is_not_decided() -> None:
    misread = "情况属宴，符合申报要求，同竟推荐。"  # 实 and 意 misread
    p001 = _with_opinion(submission_of("P001"), misread, confidence=0.5)
    assert _recommendation(p001) == []


def test_undated_only_when_the_date_is_surely_blank() -> None:
    p001 = submission_of("P001")
    assert _recommendation(with_field(p001, "recommend_date", None)) == ["RECOMMENDATION_UNDATED"]
    assert _recommendation(with_field(p001, "recommend_date", None, 0.4)) == []
    assert _recommendation(with_field(p001, "recommend_date", "2022-07-08", 0.95)) == []


def test_a_date_whose_place_was_not_found_is_for_review_not_undated() -> None:
    """The date's label under a seal or misread: the date is unknown, not blank."""
    p001 = submission_of("P001")
    fields = {k: v for k, v in p001.fields.items() if k != "recommend_date"}
    found = validate(p001.model_copy(update={"fields": fields}), CONTEXT).findings
    assert not [f for f in found if f.code is FindingCode.RECOMMENDATION_UNDATED]
    (review,) = [f for f in found if f.field == "recommend_date"]
    assert review.code is FindingCode.FIELD_LOW_CONFIDENCE
    assert review.page == page_id(p001, "opinion") and "需人工核对" in review.message


def test_a_date_the_extractors_already_sent_to_review_is_not_said_twice() -> None:
    """Its label not read on a scan, the extractors' FIELD_LOW_CONFIDENCE says so."""
    p001 = submission_of("P001")
    fields = {k: v for k, v in p001.fields.items() if k != "recommend_date"}
    unread = Finding.of(
        FindingCode.FIELD_LOW_CONFIDENCE,
        "推荐单位（盖章）：第8页未能识别到该栏目，需人工核对",
        field="recommend_date",
        page=page_id(p001, "opinion"),
    )
    checked = p001.model_copy(update={"fields": fields, "findings": (unread,)})
    found = validate(checked, CONTEXT).findings
    assert [f for f in found if f.field == "recommend_date"] == [unread]


def _opinion_seal(submission: Submission, text: str) -> Submission:
    number = page_id(submission, "opinion")
    (mark,) = submission.pages[number - 1].seals
    return replace_page(submission, number, seals=(mark.model_copy(update={"text": text}),))


def test_sealed_by_another_localitys_authority() -> None:
    p001 = submission_of("P001")  # 贵阳市
    wrong = validate(_opinion_seal(p001, "黔南州工业和信息化局"), CONTEXT)
    assert codes(wrong, "RECOMMENDATION_") == [("RECOMMENDATION_WRONG_AUTHORITY", None)]
    assert codes(wrong, "SEAL_") == [("SEAL_OWNER_MISMATCH", "recommender_opinion")]
    (finding,) = [f for f in wrong.findings if f.code is FindingCode.RECOMMENDATION_WRONG_AUTHORITY]
    assert "黔南州工业和信息化局" in finding.message and "贵阳市工业和信息化局" in finding.message
    assert finding.page == page_id(p001, "opinion") and finding.bbox is not None


def test_a_company_seal_on_the_opinion_is_no_authority_at_all() -> None:
    p001 = submission_of("P001")
    company = validate(_opinion_seal(p001, "贵阳都匀农产品开发研究院有限公司"), CONTEXT)
    assert codes(company, "RECOMMENDATION_") == []
    assert codes(company, "SEAL_") == [("SEAL_OWNER_MISMATCH", "recommender_opinion")]


def test_the_authoritys_long_name_is_its_own() -> None:
    """黔西南州 also seals as 黔西南布依族苗族自治州工业和信息化局 (campaign aliases)."""
    p008 = submission_of("P008")
    assert _recommendation(_opinion_seal(p008, "黔西南布依族苗族自治州工业和信息化局")) == []


@pytest.mark.parametrize("affiliation", CAMPAIGN.exempt_affiliations)
def test_exempt_applicants_need_no_recommendation(affiliation: str) -> None:
    p004 = submission_of("P004")  # empty box, no recommender seals
    assert _recommendation(p004) == ["RECOMMENDATION_MISSING"]
    exempt = with_field(p004, "affiliation", affiliation)
    validated = validate(exempt, CONTEXT)
    assert codes(validated, "RECOMMENDATION_") == [("RECOMMENDATION_EXEMPT", None)]
    (info,) = [f for f in validated.findings if f.code is FindingCode.RECOMMENDATION_EXEMPT]
    assert info.severity == "info"
    # a filled box of an exempt applicant is not judged either
    refused = _with_opinion(exempt, "不同意推荐。")
    assert _recommendation(refused) == ["RECOMMENDATION_EXEMPT"]


def test_an_unsure_affiliation_leaves_an_empty_box_undecided() -> None:
    p004 = with_field(submission_of("P004"), "affiliation", "其他", 0.5)
    assert _recommendation(p004) == []


def test_seal_lettering_in_the_box_is_not_an_opinion() -> None:
    """An authority's seal pressed into an empty box, its ring partly OCR'd."""
    p004 = submission_of("P004")
    number = page_id(p004, "opinion")
    seal = SealMark(
        bbox=(0.62, 0.44, 0.83, 0.585),
        shape="round",
        colour="red",
        confidence=0.95,
        text="黔东南州工业和信息化局",
        text_confidence=0.9,
    )
    ring = TextLine(text="工业和信息", bbox=(0.65, 0.45, 0.8, 0.48), confidence=0.95)
    page = p004.pages[number - 1]
    sealed = replace_page(p004, number, seals=(seal,), lines=(*page.lines, ring))
    assert _recommendation(sealed) == ["RECOMMENDATION_MISSING"]


def test_without_its_heading_the_box_starts_below_the_section_heading() -> None:
    p001 = submission_of("P001")
    number = page_id(p001, "opinion")
    page = p001.pages[number - 1]
    headless = tuple(line for line in page.lines if "主管部门" not in line.text)
    assert _recommendation(replace_page(p001, number, lines=headless)) == []
    p004 = submission_of("P004")
    number = page_id(p004, "opinion")
    page = p004.pages[number - 1]
    headless = tuple(line for line in page.lines if "主管部门" not in line.text)
    assert _recommendation(replace_page(p004, number, lines=headless)) == ["RECOMMENDATION_MISSING"]


def test_without_a_signature_line_the_box_ends_at_the_printed_note() -> None:
    p004 = submission_of("P004")
    number = page_id(p004, "opinion")
    page = p004.pages[number - 1]
    unsigned = tuple(line for line in page.lines if "盖章" not in line.text)
    assert _recommendation(replace_page(p004, number, lines=unsigned)) == ["RECOMMENDATION_MISSING"]


def test_opinion_rules_are_checked_at_load(tmp_path: Path) -> None:
    text = (RULES_DIR / "opinion.yaml").read_text(encoding="utf-8")
    broken = rules_folder(
        tmp_path, {"opinion.yaml": text.replace("date_line: '^", "date_line: '(^")}
    )
    with pytest.raises(ConfigError, match="date_line"):
        load_rules(broken)
    assert load_rules(RULES_DIR).opinion == CONTEXT.opinion_rules
