"""Matching paper to online: the committed corpus against its truth, and each rule alone."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from shenbao_lab.generator.truth import BatchTruth

from pipeline.errors import ConfigError
from pipeline.model import (
    Annex,
    Finding,
    FindingCode,
    OnlineRecord,
    Submission,
    SubmissionSource,
)
from pipeline.online import load_online_export
from pipeline.rulebook import load_rules
from tests.readers import SAMPLES
from tests.rulebook import rules_folder
from tests.validators.corpus import CONTEXT, TRUTH_FILES, scanned_submission, truth, with_field
from validators.matching import MatchResult, match_batch, normalize_uscc

RULES = CONTEXT.rules.matching


@functools.cache
def _corpus() -> tuple[tuple[Submission, ...], MatchResult]:
    submissions = tuple(scanned_submission(path)[0] for path in TRUTH_FILES)
    export = load_online_export(SAMPLES / "online" / "export.xlsx", CONTEXT.rules.export_columns)
    return submissions, match_batch(submissions, export.records, CONTEXT)


def _paper(
    sid: str,
    annex: Annex = Annex.PILOT,
    *,
    uscc: str | None = None,
    org: str | None = None,
    center: str | None = None,
    uscc_confidence: float = 1.0,
) -> Submission:
    submission = Submission(
        id=sid,
        annex=annex,
        source=SubmissionSource(file=f"{sid}.pdf", sha256="0" * 64, pages=(1, 1)),
    )
    if uscc is not None:
        submission = with_field(submission, "uscc", uscc, uscc_confidence)
    if org is not None:
        submission = with_field(submission, "lead_org", org)
    if center is not None:
        submission = with_field(submission, "center_name", center)
    return submission


def _filing(
    rid: str,
    annex: Annex = Annex.PILOT,
    *,
    uscc: str | None = None,
    org: str | None = None,
    center: str | None = None,
) -> OnlineRecord:
    fields = {"uscc": uscc, "lead_org": org, "center_name": center}
    return OnlineRecord(
        record_id=rid,
        annex=annex,
        row=2,
        fields={k: v for k, v in fields.items() if v is not None},
    )


def _codes(findings: tuple[Finding, ...]) -> list[str]:
    return [f.code.value for f in findings]


# --- the committed corpus -----------------------------------------------------------------


@pytest.mark.parametrize("path", TRUTH_FILES, ids=[p.stem for p in TRUTH_FILES])
def test_each_scan_matches_its_filing_as_the_truth_says(path: Path) -> None:
    t = truth(path)
    submission, source = scanned_submission(path)
    _, result = _corpus()
    match = result.match(submission.id)
    expected_missing = [
        f for f in source.expected_findings if f.code == FindingCode.ONLINE_RECORD_MISSING
    ]
    if t.online.present:
        assert match is not None, result.reasons.get(submission.id)
        assert match.record_id == t.online.record_id
        assert submission.id not in result.findings
        assert not expected_missing
    else:
        assert match is None
        assert _codes(result.findings[submission.id]) == ["ONLINE_RECORD_MISSING"]
        assert expected_missing


def test_p010_without_a_filing_says_what_was_tried() -> None:
    submissions, result = _corpus()
    p010 = next(s for s in submissions if s.id == "scan_0010-p001-009")
    (finding,) = result.findings[p010.id]
    assert finding.code is FindingCode.ONLINE_RECORD_MISSING
    assert finding.severity.value == "error"
    assert "915206000985314078" in finding.message
    assert "牵头单位名称" in finding.message and "创新中心名称" in finding.message


def test_the_filing_without_paper_is_paper_missing_at_batch_level() -> None:
    _, result = _corpus()
    batch = BatchTruth.model_validate_json(
        (SAMPLES / "truth" / "batch.json").read_text(encoding="utf-8")
    )
    expected = sorted((f.code, f.key) for f in batch.expected_batch_findings)
    assert expected == [("PAPER_MISSING", "GZ2022-0192")]
    assert sorted((f.code.value, f.key) for f in result.batch_findings) == expected
    assert [r.record_id for r in result.unmatched_records] == ["GZ2022-0192"]
    assert "GZ2022-0192" in result.batch_findings[0].message


def test_the_planted_wrong_uscc_still_matches_by_organisation_name() -> None:
    t = truth(SAMPLES / "truth" / "P008.json")
    assert "uscc_bad_check_digit" in t.faults
    submission, _ = scanned_submission(SAMPLES / "truth" / "P008.json")
    assert normalize_uscc(submission.fields["uscc"].value) != normalize_uscc(
        t.online.values["uscc"]
    )
    _, result = _corpus()
    match = result.match(submission.id)
    assert match is not None
    assert match.record_id == "GZ2022-0157"
    assert match.matched_by == "org_name"
    assert match.score == 1.0


def test_the_sure_usccs_of_the_corpus_match_by_uscc() -> None:
    submissions, result = _corpus()
    by_basis = {s.id: m.matched_by for s in submissions if (m := result.match(s.id)) is not None}
    assert by_basis.pop("scan_0008-p001-009") == "org_name"
    assert set(by_basis.values()) == {"uscc"}
    assert len(by_basis) == 10


# --- each rule alone ----------------------------------------------------------------------


def test_uscc_is_compared_upper_case_without_spaces() -> None:
    paper = _paper("a", uscc="91520100 19828 7093a", org="甲公司")
    result = match_batch([paper], [_filing("R1", uscc="91520100198287093A", org="乙")], CONTEXT)
    assert result.match("a") is not None
    assert result.match("a").matched_by == "uscc"  # type: ignore[union-attr]


def test_one_filing_is_never_matched_to_two_papers() -> None:
    papers = [
        _paper("a", org="贵州黔源建材有限责任公司"),
        _paper("b", org="贵州黔源建材科技有限责任公司"),
    ]
    result = match_batch(papers, [_filing("R1", org="贵州黔源建材有限责任公司")], CONTEXT)
    assert result.match("a") is not None and result.match("a").record_id == "R1"  # type: ignore[union-attr]
    assert result.match("b") is None
    assert _codes(result.findings["b"]) == ["ONLINE_RECORD_MISSING"]
    assert "R1" in result.reasons["b"]
    assert not result.batch_findings


def test_two_papers_with_the_same_uscc_are_not_guessed() -> None:
    papers = [
        _paper("a", uscc="91520100198287093A"),
        _paper("b", uscc="91520100198287093A"),
    ]
    result = match_batch(papers, [_filing("R1", uscc="91520100198287093A")], CONTEXT)
    assert result.match("a") is None and result.match("b") is None
    assert "多份纸质材料" in result.reasons["a"]
    assert _codes(result.batch_findings) == ["PAPER_MISSING"]


def test_two_copies_of_one_form_both_get_the_filing() -> None:
    org, center = "贵州黔源建材有限责任公司", "贵州省绿色建材制造业创新中心"
    papers = [
        _paper("a", uscc="91520100198287093A", org=org, center=center),
        _paper("b", uscc="91520100198287093A", org=org, center=center),
        _paper("c", uscc="91520100198287093A", org=org, center=center, uscc_confidence=0.5),
    ]
    result = match_batch(papers, [_filing("R1", uscc="91520100198287093A")], CONTEXT)
    assert result.copies == (("a", "b", "c"),)
    assert {result.match(s).record_id for s in "abc"} == {"R1"}  # type: ignore[union-attr]
    assert {result.match(s).matched_by for s in "abc"} == {"uscc"}  # type: ignore[union-attr]
    assert not result.findings and not result.batch_findings


def test_copies_without_a_filing_all_get_online_record_missing() -> None:
    org, center = "贵州黔源建材有限责任公司", "贵州省绿色建材制造业创新中心"
    papers = [_paper(s, org=org, center=center) for s in "ab"]
    result = match_batch(papers, [_filing("R1", org="遵义医科大学")], CONTEXT)
    assert result.copies == (("a", "b"),)
    assert _codes(result.findings["a"]) == _codes(result.findings["b"]) == ["ONLINE_RECORD_MISSING"]


@pytest.mark.parametrize(
    ("b_uscc", "b_org", "b_center", "b_annex"),
    [
        ("91520100198287094B", None, None, Annex.PILOT),  # a different sure USCC
        (None, "贵州黔源新材料有限责任公司", None, Annex.PILOT),  # another organisation
        (None, None, "贵州省新型建材制造业创新中心", Annex.PILOT),  # another centre
        (None, None, None, Annex.CERTIFICATION),  # the other annex
    ],
)
def test_papers_are_copies_only_when_nothing_tells_them_apart(
    b_uscc: str | None, b_org: str | None, b_center: str | None, b_annex: Annex
) -> None:
    org, center, uscc = (
        "贵州黔源建材有限责任公司",
        "贵州省绿色建材制造业创新中心",
        "91520100198287093A",
    )
    a = _paper("a", uscc=uscc, org=org, center=center)
    b = _paper("b", b_annex, uscc=b_uscc or uscc, org=b_org or org, center=b_center or center)
    assert match_batch([a, b], [], CONTEXT).copies == ()


def test_a_near_tie_between_two_filings_is_left_unmatched() -> None:
    paper = _paper("a", org="贵州黔源建材有限公司")
    filings = [
        _filing("R1", org="贵州黔源建材有限公司一"),
        _filing("R2", org="贵州黔源建材有限公司二"),
    ]
    result = match_batch([paper], filings, CONTEXT)
    assert result.match("a") is None
    assert "R1" in result.reasons["a"] and "R2" in result.reasons["a"]
    assert "未判定" in result.reasons["a"]
    assert _codes(result.findings["a"]) == ["ONLINE_RECORD_MISSING"]
    assert sorted(f.key for f in result.batch_findings) == ["R1", "R2"]


def test_a_clear_winner_beats_the_margin() -> None:
    paper = _paper("a", org="贵州黔源建材有限公司")
    filings = [
        _filing("R1", org="贵州黔源建材有限公司"),
        _filing("R2", org="贵州黔源建材科技有限公司"),  # about 91: above the threshold
    ]
    result = match_batch([paper], filings, CONTEXT)
    match = result.match("a")
    assert match is not None
    assert (match.record_id, match.matched_by, match.score) == ("R1", "org_name", 1.0)


def test_an_unsure_uscc_is_not_used() -> None:
    threshold = CONTEXT.review_threshold
    papers = [_paper("a", uscc="91520100198287093A", uscc_confidence=threshold / 2)]
    filings = [_filing("R1", uscc="91520100198287093A", org="甲研究院")]
    result = match_batch(papers, filings, CONTEXT)
    assert result.match("a") is None
    assert "低于复核阈值" in result.reasons["a"]
    sure = match_batch([_paper("a", uscc="91520100198287093A")], filings, CONTEXT)
    assert sure.match("a") is not None


def test_an_unsure_uscc_falls_through_to_the_organisation_name() -> None:
    paper = _paper("a", uscc="91520100198287093B", org="甲研究院", uscc_confidence=0.1)
    filings = [
        _filing("R1", uscc="91520100198287093B", org="乙研究院"),
        _filing("R2", uscc="91520100198287093A", org="甲研究院"),
    ]
    result = match_batch([paper], filings, CONTEXT)
    assert result.match("a") is not None
    assert result.match("a").record_id == "R2"  # type: ignore[union-attr]


def test_matching_stays_within_the_annex() -> None:
    paper = _paper("a", Annex.CERTIFICATION, uscc="91520100198287093A", org="甲研究院")
    filing = _filing("R1", Annex.PILOT, uscc="91520100198287093A", org="甲研究院")
    result = match_batch([paper], [filing], CONTEXT)
    assert result.match("a") is None
    assert _codes(result.findings["a"]) == ["ONLINE_RECORD_MISSING"]
    assert _codes(result.batch_findings) == ["PAPER_MISSING"]


def test_the_centre_name_is_the_last_resort() -> None:
    paper = _paper("a", center="贵州省绿色建材制造业创新中心")
    filings = [
        _filing("R1", org="甲", center="贵州省绿色建材制造业创新中心"),
        _filing("R2", org="乙", center="贵州省特种钢材制造业创新中心"),
    ]
    result = match_batch([paper], filings, CONTEXT)
    match = result.match("a")
    assert match is not None
    assert (match.record_id, match.matched_by) == ("R1", "center_name")


USCC_A, USCC_B = "91520100MA6DKQ7X3T", "91520300MA6HE1KT8J"
CENTRE = "贵州省绿色建材制造业创新中心"


def test_a_filing_of_another_applicant_with_the_same_centre_name_is_not_matched() -> None:
    """Two applicants may propose centres of one name: a filing whose credit code and
    organisation both differ from the paper's sure readings is someone else's, and the
    paper is left without a filing (ONLINE_RECORD_MISSING, the filing PAPER_MISSING)
    instead of being compared field by field with another applicant's data."""
    paper = _paper("a", uscc=USCC_A, org="贵州黔源建材有限公司", center=CENTRE)
    other = _filing("R1", uscc=USCC_B, org="遵义市恒达新材料有限责任公司", center=CENTRE)
    result = match_batch([paper], [other], CONTEXT)
    assert result.match("a") is None
    assert "应为其他申报单位的记录" in result.reasons["a"]
    assert _codes(result.batch_findings) == ["PAPER_MISSING"]


@pytest.mark.parametrize(
    ("uscc", "org"),
    [
        (USCC_A, "遵义市恒达新材料有限责任公司"),  # the organisation typed otherwise online
        (USCC_B, "贵州黔源建材有限公司"),  # the credit code typed otherwise online
    ],
)
def test_one_field_typed_otherwise_online_still_matches_by_the_centre_name(
    uscc: str, org: str
) -> None:
    paper = _paper("a", uscc=USCC_A, org="贵州黔源建材有限公司", center=CENTRE)
    mine = _filing("R1", uscc=uscc, org=org, center=CENTRE)
    match = match_batch([paper], [mine], CONTEXT).match("a")
    assert match is not None and match.record_id == "R1"


def test_unknown_annex_and_unreadable_files_get_no_online_record_missing() -> None:
    unknown = _paper("u", Annex.UNKNOWN, org="甲研究院")
    unreadable = _paper("x", org="乙研究院").model_copy(
        update={"findings": (Finding.of(FindingCode.FILE_UNREADABLE, "文件无法处理", key="x"),)}
    )
    result = match_batch([unknown, unreadable], [_filing("R1", org="乙研究院")], CONTEXT)
    assert result.match("u") is None and result.match("x") is None
    assert result.findings == {}
    assert set(result.reasons) == {"u", "x"}
    assert [f.key for f in result.batch_findings] == ["R1"]


def test_repeated_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        match_batch([_paper("a"), _paper("a")], [], CONTEXT)


def test_the_rules_are_checked_at_load(tmp_path: Path) -> None:
    assert RULES.org_name.margin < RULES.org_name.threshold
    bad = rules_folder(
        tmp_path,
        {
            "matching.yaml": "org_name: {threshold: 85, margin: 90}\n"
            "center_name: {threshold: 90, margin: 5}\nunsure_names: true\n"
        },
    )
    with pytest.raises(ConfigError):
        load_rules(bad)
