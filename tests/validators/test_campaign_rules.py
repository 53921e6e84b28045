"""The campaign's rules: deadlines, the domain, the KPIs and the self-evaluation — the
corpus's expected findings, each rule alone, and the self-evaluation classifier."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import chinese_calendar
import pytest

from extractors.fields import extract
from extractors.nlp import SelfEvalClaim, pipeline, self_evaluation_claim
from pipeline.config import Campaign
from pipeline.errors import ConfigError
from pipeline.model import (
    Annex,
    Finding,
    FindingCode,
    OnlineRecord,
    Page,
    SourceKind,
    Submission,
    SubmissionSource,
    TextLine,
)
from pipeline.online import load_online_export
from pipeline.rulebook import load_rules
from rules import RULES_DIR
from tests.readers import read_electronic
from tests.rulebook import RULES, rules_folder
from tests.validators.corpus import (
    CAMPAIGN,
    CONTEXT,
    SAMPLES,
    TEMPLATES,
    TRUTH_FILES,
    assert_codes_as_truth,
    page_id,
    replace_page,
    scanned_submission,
    truth,
    with_field,
)
from validators import Context, run_validator
from validators.campaign_rules import (
    find_self_evaluation,
    nth_working_day_after,
    paper_deadline,
)

CODES = (
    FindingCode.DEADLINE_MISSED,
    FindingCode.DOMAIN_INELIGIBLE,
    FindingCode.KPI_BELOW_TARGET,
    FindingCode.SELF_EVAL_INCONSISTENT,
)
PAPER = ("paper_deadline", "domain", "kpis", "self_evaluation")
ONLINE = ("online_deadline",)


def _run(names: tuple[str, ...], submission: Submission, context: Context) -> list[Finding]:
    return [f for name in names for f in run_validator(name, submission, context)]


def _keys(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return sorted((f.code.value, f.field or f.key) for f in findings if f.code in CODES)


# --- the corpus ------------------------------------------------------------------------


@functools.cache
def _online_records() -> dict[str, OnlineRecord]:
    export = load_online_export(SAMPLES / "online" / "export.xlsx", RULES.export_columns)
    return {r.record_id: r for r in export.records}


@functools.cache
def _electronic(file: str) -> Submission:
    return extract(read_electronic(SAMPLES / file), RULES)


SOURCES = [
    (path, kind)
    for path in TRUTH_FILES
    for kind in (SourceKind.TEXT_LAYER, SourceKind.DOCX, SourceKind.SCAN)
]


@pytest.mark.parametrize(("path", "kind"), SOURCES, ids=[f"{p.stem}-{k.value}" for p, k in SOURCES])
def test_campaign_findings_of_each_copy_are_the_truths(path: Path, kind: SourceKind) -> None:
    t = truth(path)
    source = next(s for s in t.sources if s.kind is kind)
    if kind is SourceKind.SCAN:
        submission, _ = scanned_submission(path)  # frozen OCR or the truth's own lines
    else:
        submission = _electronic(source.file)
    record = _online_records().get(t.online.record_id) if t.online.present else None
    assert (record is not None) is t.online.present
    found = _run(PAPER, submission, CONTEXT) + _run(
        ONLINE, submission, CONTEXT.model_copy(update={"online": record})
    )
    assert_codes_as_truth(
        _keys(found),
        sorted((f.code, f.field or f.key) for f in source.expected_findings if f.code in CODES),
        [(f.code, f.field or f.key) for f in source.tolerated_findings if f.code in CODES],
    )
    if kind is not SourceKind.SCAN:  # hand-built scans carry the truth's values, no places
        for finding in found:  # each names its evidence on paper, but the filing's time
            if finding.key != "online":
                assert finding.page is not None and finding.bbox is not None, finding


@pytest.mark.parametrize("path", [p for p in TRUTH_FILES if p.stem.startswith("C")])
def test_the_corpus_conclusions_classify_as_generated(path: Path) -> None:
    t = truth(path)
    for source in t.sources:
        if source.kind is SourceKind.SCAN:
            submission, _ = scanned_submission(path)
        else:
            submission = _electronic(source.file)
        found = find_self_evaluation(submission, TEMPLATES[Annex.CERTIFICATION], CONTEXT)
        assert found is not None and found.lines, source.file
        expected = "met" if t.self_eval_claims_met else "not_met"
        assert self_evaluation_claim(found.text, pipeline(RULES)) == expected, (
            source.file,
            found.text,
        )


# --- the online deadline ---------------------------------------------------------------


def _bare(annex: Annex = Annex.PILOT, pages: tuple[Page, ...] = ()) -> Submission:
    return Submission(
        id="t-p001-001",
        annex=annex,
        source=SubmissionSource(file="t.pdf", sha256="0" * 64, pages=(1, max(1, len(pages)))),
        pages=pages,
    )


def _filed(submitted_at: str | None) -> Context:
    record = OnlineRecord(
        record_id="GZ2022-0001",
        annex=Annex.PILOT,
        row=2,
        fields={},
        submitted_at=submitted_at,
    )
    return CONTEXT.model_copy(update={"online": record})


@pytest.mark.parametrize(
    ("submitted_at", "late"),
    [
        ("2022-07-29T23:59:59+08:00", None),  # exactly at the deadline
        ("2022-07-29T09:00:00+08:00", None),
        ("2022-07-29T15:59:59+00:00", None),  # the same moment, written in UTC
        ("2022-07-30T00:00:00+08:00", "逾期1秒"),
        ("2022-07-29T16:00:00+00:00", "逾期1秒"),  # 2022-07-30 00:00:00 in Shanghai
        ("2022-07-31T06:10:33+08:00", "逾期1天6小时10分34秒"),
    ],
)
def test_online_filing_after_the_deadline(submitted_at: str, late: str | None) -> None:
    found = run_validator("online_deadline", _bare(), _filed(submitted_at))
    if late is None:
        assert found == []
        return
    (finding,) = found
    assert finding.code is FindingCode.DEADLINE_MISSED and finding.key == "online"
    assert finding.severity.value == "error" and finding.online == submitted_at
    assert "2022年7月29日 23:59:59" in finding.message and late in finding.message
    if submitted_at.endswith("+00:00"):
        assert "2022年7月30日 00:00:00" in finding.message  # shown in Asia/Shanghai


@pytest.mark.parametrize("submitted_at", [None, "", "七月三十日"])
def test_no_or_unreadable_submission_time_says_nothing(submitted_at: str | None) -> None:
    assert run_validator("online_deadline", _bare(), _filed(submitted_at)) == []


def test_no_filing_says_nothing() -> None:
    assert run_validator("online_deadline", _bare(), CONTEXT) == []


# --- the paper deadline ----------------------------------------------------------------


def _campaign(**update: object) -> Campaign:
    return CAMPAIGN.model_copy(update=update)


def _received(day: dt.date | None, campaign: Campaign = CAMPAIGN) -> Context:
    rules = CONTEXT.rules.model_copy(update={"campaign": campaign})
    return CONTEXT.model_copy(update={"received": day, "rules": rules})


def test_the_pilot_deadline_counts_chinese_working_days_across_national_day() -> None:
    # Training on Thu 2022-09-29. Counted by hand: 09-30 (1); 10-01..10-07 国庆 off;
    # Sat 10-08 and Sun 10-09 调休 working days (2, 3); 10-10..10-14 (4–8); the weekend
    # 10-15/16 off; 10-17 (9), 10-18 (10).
    assert chinese_calendar.is_workday(dt.date(2022, 10, 8))
    assert chinese_calendar.is_workday(dt.date(2022, 10, 9))
    assert not chinese_calendar.is_workday(dt.date(2022, 10, 3))
    assert nth_working_day_after(dt.date(2022, 9, 29), 10) == dt.date(2022, 10, 18)
    campaign = _campaign(training_date=dt.date(2022, 9, 29))
    deadline = paper_deadline(Annex.PILOT, campaign, RULES.campaign_rules)
    assert deadline is not None and deadline.due == dt.date(2022, 10, 18)
    assert "10个工作日" in deadline.rule and "2022年9月29日" in deadline.rule


def test_the_training_day_itself_is_not_counted() -> None:
    # the campaign's own: Wed 2022-08-03 → 08-04, 05, 08–12, 15, 16, 17
    deadline = paper_deadline(Annex.PILOT, CAMPAIGN, RULES.campaign_rules)
    assert deadline is not None and deadline.due == dt.date(2022, 8, 17)
    assert nth_working_day_after(dt.date(2022, 8, 3), 1) == dt.date(2022, 8, 4)
    assert nth_working_day_after(dt.date(2022, 8, 5), 1) == dt.date(2022, 8, 8)  # a Friday


@pytest.mark.parametrize(
    ("received", "late"),
    [
        (dt.date(2022, 10, 17), False),
        (dt.date(2022, 10, 18), False),  # the last day itself
        (dt.date(2022, 10, 19), True),
    ],
)
def test_pilot_paper_after_its_deadline(received: dt.date, late: bool) -> None:
    context = _received(received, _campaign(training_date=dt.date(2022, 9, 29)))
    found = run_validator("paper_deadline", _bare(Annex.PILOT), context)
    assert bool(found) is late
    if late:
        (finding,) = found
        assert finding.code is FindingCode.DEADLINE_MISSED and finding.key == "paper"
        assert "2022年10月18日" in finding.message and "2022年10月19日" in finding.message
        assert "工作日" in finding.message and "逾期1天" in finding.message


@pytest.mark.parametrize(
    ("received", "late"),
    [
        (dt.date(2022, 6, 29), False),
        (dt.date(2022, 6, 30), False),  # by 2022-06-30: the day itself is in time
        (dt.date(2022, 7, 1), True),
        (dt.date(2022, 8, 1), True),
    ],
)
def test_certification_paper_after_june_30(received: dt.date, late: bool) -> None:
    found = run_validator("paper_deadline", _bare(Annex.CERTIFICATION), _received(received))
    assert bool(found) is late
    if late:
        assert found[0].key == "paper" and "2022年6月30日" in found[0].message


def test_no_receipt_day_unknown_annex_or_unannounced_training_say_nothing() -> None:
    assert run_validator("paper_deadline", _bare(Annex.PILOT), _received(None)) == []
    late = dt.date(2030, 1, 1)
    assert run_validator("paper_deadline", _bare(Annex.UNKNOWN), _received(late)) == []
    unannounced = _received(late, _campaign(training_date=None))
    assert run_validator("paper_deadline", _bare(Annex.PILOT), unannounced) == []
    assert paper_deadline(Annex.PILOT, _campaign(training_date=None), RULES.campaign_rules) is None


def test_a_year_without_holiday_data_is_a_config_error_not_a_guess() -> None:
    campaign = _campaign(training_date=dt.date(2099, 7, 1))
    with pytest.raises(ConfigError, match="chinesecalendar"):
        paper_deadline(Annex.PILOT, campaign, RULES.campaign_rules)
    context = _received(dt.date(2099, 8, 1), campaign)
    with pytest.raises(ConfigError, match="training_date"):
        run_validator("paper_deadline", _bare(Annex.PILOT), context)
    # the certification's deadline is a fixed day: no calendar needed
    assert paper_deadline(Annex.CERTIFICATION, campaign, RULES.campaign_rules) is not None


# --- the domain ------------------------------------------------------------------------


def _c003() -> Submission:
    return _electronic("electronic/C003.pdf")


@pytest.mark.parametrize(
    ("value", "confidence", "ineligible"),
    [
        ("房地产开发", 1.0, True),
        ("房地产开发", 0.5, False),  # unsure: FIELD_LOW_CONFIDENCE says so, not us
        ("新材料", 1.0, False),
        ("新 材 料", 1.0, False),  # normalised as the extractors normalise
        ("大数据为引领的电子信息", 1.0, False),
        (None, 1.0, False),  # blank: FIELD_MISSING's
        (["新材料", "金融服务"], 1.0, True),
        (["新材料", "冶金"], 1.0, False),
    ],
)
def test_domain_outside_the_notices_groups(
    value: object, confidence: float, ineligible: bool
) -> None:
    c003 = with_field(_c003(), "domain", value, confidence)
    found = run_validator("domain", c003, CONTEXT)
    assert bool(found) is ineligible
    if ineligible:
        (finding,) = found
        assert finding.code is FindingCode.DOMAIN_INELIGIBLE and finding.field == "domain"
        assert "四大重点领域" in finding.message and "转型升级领域" in finding.message
        assert ("金融服务" if isinstance(value, list) else "房地产开发") in finding.message


def test_domain_finding_carries_the_papers_evidence() -> None:
    c003 = _c003()
    read = c003.fields["domain"]
    fields = dict(c003.fields)
    fields["domain"] = read.model_copy(update={"value": "房地产开发", "raw": "房地产开发"})
    (finding,) = run_validator("domain", c003.model_copy(update={"fields": fields}), CONTEXT)
    assert (finding.page, finding.bbox) == (read.page, read.bbox) and finding.page == 1
    assert finding.paper == "房地产开发"


# --- the KPIs --------------------------------------------------------------------------


def _kpi(submission: Submission, row: str, target: object, actual: object) -> Submission:
    base = submission.fields[f"{row}_actual"]
    fields = dict(submission.fields)
    for column, value in (("target", target), ("actual", actual)):
        fields[f"{row}_{column}"] = base.model_copy(update={"value": value, "raw": str(value)})
    return submission.model_copy(update={"fields": fields})


def test_each_kpi_below_target_is_a_warning_on_its_actual() -> None:
    c003 = _kpi(_c003(), "kpi_rd_spend", 18030.0, 17999.5)
    found = run_validator("kpis", c003, CONTEXT)
    assert _keys(found) == [
        ("KPI_BELOW_TARGET", "kpi_rd_spend"),
        ("KPI_BELOW_TARGET", "kpi_talent"),
    ]
    rd = next(f for f in found if f.field == "kpi_rd_spend")
    actual = c003.fields["kpi_rd_spend_actual"]
    assert rd.severity.value == "warning" and (rd.page, rd.bbox) == (actual.page, actual.bbox)
    assert "17999.5" in rd.message and "18030" in rd.message and "研发投入" in rd.message
    talent = next(f for f in found if f.field == "kpi_talent")
    assert "80" in talent.message and "89" in talent.message and talent.paper == 80


@pytest.mark.parametrize(
    ("target_conf", "actual_conf", "actual", "expected"),
    [
        (1.0, 1.0, 89, []),  # met exactly
        (1.0, 1.0, 95, []),
        (1.0, 0.5, 80, []),  # unsure actual
        (0.5, 1.0, 80, []),  # unsure target
        (1.0, 1.0, None, []),  # blank actual
    ],
)
def test_a_kpi_is_below_target_only_when_both_are_sure(
    target_conf: float, actual_conf: float, actual: object, expected: list[str]
) -> None:
    c003 = with_field(_c003(), "kpi_talent_target", 89, target_conf)
    c003 = with_field(c003, "kpi_talent_actual", actual, actual_conf)
    assert [f.field for f in run_validator("kpis", c003, CONTEXT)] == expected


def test_the_pilot_has_no_kpis() -> None:
    p001 = _electronic("electronic/P001.pdf")
    p001 = with_field(with_field(p001, "kpi_talent_target", 9), "kpi_talent_actual", 1)
    assert run_validator("kpis", p001, CONTEXT) == []
    assert run_validator("self_evaluation", p001, CONTEXT) == []


# --- the self-evaluation ---------------------------------------------------------------


def _with_conclusion(
    submission: Submission, *texts: str, confidence: float = 1.0, after: tuple[str, ...] = ()
) -> Submission:
    """The kpis page's lines from 三、自评结论 down written anew: these lines under it,
    then ``after`` (another section's heading and its text, say)."""
    number = page_id(submission, "kpis")
    page = submission.pages[number - 1]
    heading = next(line for line in page.lines if line.text == "三、自评结论")
    kept = tuple(line for line in page.lines if line.bbox[1] <= heading.bbox[1])
    y0 = heading.bbox[3] + 0.02
    written = tuple(
        TextLine(
            text=text,
            bbox=(0.12, y0 + 0.03 * i, 0.88, y0 + 0.03 * i + 0.02),
            confidence=confidence if i < len(texts) else 1.0,
        )
        for i, text in enumerate((*texts, *after))
    )
    return replace_page(submission, number, lines=kept + written)


def _self_eval(submission: Submission) -> list[Finding]:
    return run_validator("self_evaluation", submission, CONTEXT)


def test_claiming_all_met_while_a_kpi_is_below_target() -> None:
    c003 = _c003()
    (finding,) = _self_eval(c003)
    assert finding.code is FindingCode.SELF_EVAL_INCONSISTENT and finding.severity.value == "error"
    found = find_self_evaluation(c003, TEMPLATES[Annex.CERTIFICATION], CONTEXT)
    assert found is not None
    assert (finding.page, finding.bbox) == (page_id(c003, "kpis"), found.bbox)
    assert found.bbox[1] == found.heading.bbox[1]  # the section from its heading down
    assert "培养引进人才（人）" in finding.message and "89" in finding.message
    assert "— 4 —" not in found.text  # the page number is not the conclusion


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("经自评，本创新中心已达到认定条件。",), ["SELF_EVAL_INCONSISTENT"]),
        (("试点期内，各项考核指标均已达标。",), ["SELF_EVAL_INCONSISTENT"]),
        (("经自评，本创新中心部分指标未达到试点方案要求。",), []),
        (("经自评，已达到认定条件，", "但培养引进人才指标尚未达到目标值。"), []),  # negation wins
        (("试点期内，创新中心运行良好。",), []),  # unknown: says neither
    ],
)
def test_the_conclusion_decides(texts: tuple[str, ...], expected: list[str]) -> None:
    assert [f.code for f in _self_eval(_with_conclusion(_c003(), *texts))] == expected


def test_an_honest_or_consistent_conclusion_is_no_finding() -> None:
    met = _with_conclusion(_c003(), "经自评，本创新中心已达到认定条件。")
    assert _self_eval(_kpi(met, "kpi_talent", 89, 89)) == []  # all met: true claim
    c009 = _electronic("electronic/C009.pdf")  # below target, and says so
    assert _self_eval(c009) == []


def test_an_unsure_line_decides_nothing() -> None:
    unsure = _with_conclusion(_c003(), "经自评，本创新中心已达到认定条件。", confidence=0.5)
    assert _self_eval(unsure) == []


def test_a_wordless_speck_beside_the_text_does_not_make_it_unsure() -> None:
    """A filing hole or toner speck read as ● at low confidence carries no word: the
    conclusion still decides (an unsure line with words would not)."""
    c003 = _with_conclusion(_c003(), "经自评，本创新中心已达到认定条件。", "●", "·")
    number = page_id(c003, "kpis")
    page = c003.pages[number - 1]
    specks = tuple(
        line.model_copy(update={"confidence": 0.5}) if line.text in ("●", "·") else line
        for line in page.lines
    )
    c003 = replace_page(c003, number, lines=specks)
    found = find_self_evaluation(c003, TEMPLATES[Annex.CERTIFICATION], CONTEXT)
    assert found is not None and found.body == "经自评，本创新中心已达到认定条件。"
    assert [f.code for f in _self_eval(c003)] == [FindingCode.SELF_EVAL_INCONSISTENT]


def test_the_text_ends_at_the_next_heading() -> None:
    c003 = _with_conclusion(
        _c003(),
        "试点期内，创新中心运行良好。",
        after=("四、申请单位承诺", "经自评，本创新中心已达到认定条件。"),
    )
    found = find_self_evaluation(c003, TEMPLATES[Annex.CERTIFICATION], CONTEXT)
    assert found is not None and found.body == "试点期内，创新中心运行良好。"
    assert _self_eval(c003) == []


def test_no_heading_or_no_text_says_nothing() -> None:
    c003 = _c003()
    number = page_id(c003, "kpis")
    page = c003.pages[number - 1]
    headless = tuple(line for line in page.lines if "自评结论" not in line.text)
    assert _self_eval(replace_page(c003, number, lines=headless)) == []
    assert _self_eval(_with_conclusion(c003)) == []


# --- the classifier --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        # claims met
        ("经自评，本创新中心已达到认定条件。", "met"),
        ("试点建设期内，创新中心各项建设目标均已完成，运行机制健全。", "met"),
        ("经自评，本中心符合认定条件。", "met"),
        ("已具备申请认定的条件。", "met"),
        ("各项指标均达到或超过试点方案目标值。", "met"),
        ("所有考核指标全部达标。", "met"),
        ("试点目标全部完成。", "met"),
        ("全面完成试点建设任务。", "met"),
        ("完成了试点方案确定的各项目标任务。", "met"),
        ("本中心将在未来不断完善，各项指标均已达标。", "met"),  # 未来, 不断: no negation
        # admits a shortfall, or hedges
        ("经自评，本创新中心部分指标未达到试点方案要求，将在后续建设中继续完善。", "not_met"),
        ("创新中心大部分建设目标已完成，个别指标尚未达到试点方案目标值。", "not_met"),
        ("经自评，本创新中心未达到认定条件。", "not_met"),
        ("经自评，本创新中心不具备认定条件。", "not_met"),
        ("认定条件尚不满足。", "not_met"),
        ("各项目标尚未全部完成。", "not_met"),
        ("培养引进人才指标未达标。", "not_met"),
        ("个别指标完成情况低于目标值。", "not_met"),
        ("与试点方案目标仍有差距。", "not_met"),
        ("本创新中心基本达到认定条件。", "not_met"),
        ("除培养引进人才外，其余指标均已达到。", "not_met"),
        # negated claims: the negation wins
        ("各项建设目标均已完成，但培养引进人才指标未能达到目标值。", "not_met"),
        ("经自评，已达到认定条件，但服务企业数尚未完成。", "not_met"),
        # neither
        ("试点建设期内，创新中心运行良好，服务能力持续提升。", "unknown"),
        ("", "unknown"),
        ("超额完成。", "unknown"),
    ],
)
def test_self_evaluation_claim(text: str, claim: str) -> None:
    assert self_evaluation_claim(text, pipeline(RULES)) is SelfEvalClaim(claim)


def test_the_classifier_runs_through_the_context() -> None:
    assert CONTEXT.self_eval_claim("经自评，本创新中心已达到认定条件。") == "met"


def test_a_classifier_answering_nonsense_is_a_programming_error() -> None:
    broken = CONTEXT.model_copy(update={"self_eval_claim": lambda text: "yes"})
    with pytest.raises(ValueError, match="yes"):
        run_validator("self_evaluation", _c003(), broken)


# --- the rules file --------------------------------------------------------------------


def test_the_packaged_rules_load() -> None:
    rules = RULES.campaign_rules
    assert set(rules.paper_deadlines) == {Annex.PILOT, Annex.CERTIFICATION}
    assert rules.kpi_table in {t.key for t in TEMPLATES[Annex.CERTIFICATION].tables}


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("page_number_line: '", "page_number_line: '(", "page_number_line"),
        ("pilot: working_days_after_training", "pilot: someday", "paper_deadlines"),
        ("heading_match: 85", "heading_match: 185", "heading_match"),
        ("kpi_table: kpis", "kpi_table: kpis\nkpi_tabel: kpis", "kpi_tabel"),
    ],
)
def test_a_malformed_rules_file_names_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = (RULES_DIR / "campaign_rules.yaml").read_text(encoding="utf-8")
    assert old in text
    folder = rules_folder(tmp_path, {"campaign_rules.yaml": text.replace(old, new, 1)})
    with pytest.raises(ConfigError, match=key):
        load_rules(folder)
