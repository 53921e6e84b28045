"""The campaign's rules (FORMS.md §1, §4): deadlines, eligible domains, the certification's
KPIs and whether its self-evaluation is honest about them.

- **Online deadline** (stage ``online``): the filing's 网上填报提交时间 after the campaign's
  ``online_deadline`` is DEADLINE_MISSED ``online``. A filing without a submission time
  says nothing.
- **Paper deadline**: the day staff received the batch's paper (``Context.received``)
  after the annex's deadline is DEADLINE_MISSED ``paper``. The pilot's is the
  ``paper_working_days``-th Chinese working day after the training (``chinesecalendar``:
  weekends and statutory holidays off, 调休 working weekends on); the certification's is a
  fixed day. A year chinesecalendar has no data for is a ``ConfigError``, never a guess.
- **Domain**: a surely read 所属产业领域 outside the notice's domain groups is
  DOMAIN_INELIGIBLE.
- **KPIs**: each row of the template's KPI table whose actual value is surely below its
  surely read target is KPI_BELOW_TARGET (a warning: the reviewers judge it).
- **Self-evaluation**: a conclusion (三、自评结论) claiming the conditions or every target
  met while a KPI is below target is SELF_EVAL_INCONSISTENT. The section's text is the
  lines under its heading down to the next heading or the page's end; the Matcher-based
  classifier (handed in through the ``Context``) tells met from not met, negations winning.
  Any of its lines read unsurely, and nothing is decided.

How each rule applies (which annex has which deadline, the KPI table, the section) is
data: ``rules/campaign_rules.yaml``; the facts are the campaign's (config/campaign.yaml).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast
from zoneinfo import ZoneInfo

import chinese_calendar
from rapidfuzz import fuzz

from pipeline.config import Campaign, FieldType, TemplateSpec
from pipeline.errors import ConfigError
from pipeline.model import (
    Annex,
    BBox,
    ExtractedField,
    Finding,
    FindingCode,
    Page,
    Submission,
    TextLine,
)
from pipeline.rulebook.campaign_rules import CampaignRules, PaperDeadlineRule
from validators.registry import Context, validator
from validators.seal_slots import find_line, page_of

log = logging.getLogger(__name__)

SelfEvalClaim = Literal["met", "not_met", "unknown"]
"""What a self-evaluation conclusion claims (the values of ``extractors.nlp.SelfEvalClaim``)."""


# --- the rules as data -----------------------------------------------------------------


# --- words for reviewers ---------------------------------------------------------------


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _moment(at: dt.datetime) -> str:
    return f"{_date(at.date())} {at:%H:%M:%S}"


def _duration(delta: dt.timedelta) -> str:
    """``1天6小时10分34秒`` (zero parts left out)."""
    seconds = int(delta.total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    parts = [(days, "天"), (hours, "小时"), (minutes, "分"), (seconds, "秒")]
    said = "".join(f"{n}{unit}" for n, unit in parts if n)
    return said or "不足1秒"


def _number(value: float) -> str:
    """A KPI value as printed: no trailing zeros, no exponent."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:f}".rstrip("0").rstrip(".")


# --- deadlines -------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperDeadline:
    """An annex's last day for paper, and the rule it comes from (for the message)."""

    due: dt.date
    rule: str


def nth_working_day_after(start: dt.date, count: int) -> dt.date:
    """The ``count``-th Chinese working day after ``start`` (``start`` itself not counted).

    Raises ``ConfigError`` when a day on the way lies in a year chinesecalendar has no
    holiday data for: a weekday there may be a holiday, so no deadline is guessed.
    """
    day, found = start, 0
    while found < count:
        day += dt.timedelta(days=1)
        try:
            working = chinese_calendar.is_workday(day)
        except NotImplementedError as exc:
            raise ConfigError(
                f"campaign.yaml: training_date {start.isoformat()} + {count} working days "
                f"reaches {day.isoformat()}, a year the installed chinesecalendar has no "
                f"holiday data for ({exc}); upgrade chinesecalendar or correct the date"
            ) from exc
        if working:
            found += 1
    return day


def paper_deadline(annex: Annex, campaign: Campaign, rules: CampaignRules) -> PaperDeadline | None:
    """The annex's paper deadline under the campaign's rules; None when the annex has no
    rule or the rule's fact is not known yet (the training date not announced)."""
    # keyed by the two annexes a rule can name; any other annex has none
    rule = cast("Mapping[Annex, PaperDeadlineRule]", rules.paper_deadlines).get(annex)
    if rule is PaperDeadlineRule.FIXED_DATE:
        due = campaign.certification_paper_deadline
        return PaperDeadline(due, f"纸质材料须于{_date(due)}（含当日）前报送")
    if rule is PaperDeadlineRule.WORKING_DAYS_AFTER_TRAINING:
        training = campaign.training_date
        if training is None:
            return None
        days = campaign.paper_working_days
        return PaperDeadline(
            nth_working_day_after(training, days),
            f"纸质材料须在网上填报培训（{_date(training)}）后{days}个工作日内报送"
            "（培训当日不计；周末和法定节假日不计，调休上班日计入）",
        )
    return None


def _in_zone(at: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)


@validator("online_deadline", stage="online")
def check_online_deadline(submission: Submission, context: Context) -> list[Finding]:
    """DEADLINE_MISSED ``online``: the filing was submitted after the online deadline."""
    record = context.online
    if record is None or not record.submitted_at:
        return []
    try:
        submitted = dt.datetime.fromisoformat(record.submitted_at)
    except ValueError:
        log.warning(
            "filing %s: submission time %r is not ISO 8601; its deadline is not checked",
            record.record_id,
            record.submitted_at,
        )
        return []
    zone = ZoneInfo(context.campaign.timezone)
    submitted = _in_zone(submitted, zone)
    deadline = _in_zone(context.campaign.online_deadline, zone)
    if submitted <= deadline:
        return []
    return [
        Finding.of(
            FindingCode.DEADLINE_MISSED,
            f"网上填报提交时间为{_moment(submitted)}，晚于网上填报截止时间"
            f"{_moment(deadline)}，逾期{_duration(submitted - deadline)}",
            key="online",
            online=record.submitted_at,
        )
    ]


@validator("paper_deadline")
def check_paper_deadline(submission: Submission, context: Context) -> list[Finding]:
    """DEADLINE_MISSED ``paper``: the paper was received after the annex's deadline."""
    received = context.received
    if received is None:
        return []
    deadline = paper_deadline(submission.annex, context.campaign, context.rules.campaign_rules)
    if deadline is None or received <= deadline.due:
        return []
    return [
        Finding.of(
            FindingCode.DEADLINE_MISSED,
            f"纸质材料收到日期为{_date(received)}，晚于报送截止日期{_date(deadline.due)}"
            f"（逾期{(received - deadline.due).days}天）：{deadline.rule}",
            key="paper",
        )
    ]


# --- the domain ------------------------------------------------------------------------


@validator("domain")
def check_domain(submission: Submission, context: Context) -> list[Finding]:
    """DOMAIN_INELIGIBLE: the surely read 所属产业领域 is none of the notice's domains."""
    found = context.sure(submission, "domain")
    if found is None or not found.value:
        return []  # blank is FIELD_MISSING, unsure FIELD_LOW_CONFIDENCE: the extractors'
    read = found.value if isinstance(found.value, list) else [found.value]
    campaign = context.campaign
    choices = campaign.choices("domains")
    outside = [
        str(value)
        for value in read
        if not isinstance(value, str)
        or context.normalize_value(FieldType.CHOICE, value, choices) is None
    ]
    if not outside:
        return []
    accepted = "；".join(f"{g.name}（{'、'.join(g.domains)}）" for g in campaign.domain_groups)
    return [
        Finding.of(
            FindingCode.DOMAIN_INELIGIBLE,
            f"所属产业领域“{'、'.join(outside)}”不在申报通知支持的产业领域内。通知支持：{accepted}",
            field="domain",
            paper=found.value,
            page=found.page,
            bbox=found.bbox,
        )
    ]


# --- the KPIs --------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiShortfall:
    """One KPI row whose actual value is surely below its target."""

    key: str
    label: str
    target: float
    actual: float
    reading: ExtractedField

    def said(self) -> str:
        return f"{self.label}（目标值{_number(self.target)}，实际完成值{_number(self.actual)}）"


def _numeric(found: ExtractedField | None) -> float | None:
    if found is None or isinstance(found.value, bool):
        return None
    return float(found.value) if isinstance(found.value, int | float) else None


def kpi_shortfalls(submission: Submission, context: Context) -> list[KpiShortfall]:
    """The KPI rows (template order) whose surely read actual is below the surely read target;
    none when the template has no KPI table."""
    template = context.template(submission)
    rules = context.rules.campaign_rules
    table = next(
        (t for t in (template.tables if template else ()) if t.key == rules.kpi_table), None
    )
    if table is None:
        return []
    short: list[KpiShortfall] = []
    for row in table.rows:
        target_field = context.sure(submission, f"{row.key}_{rules.kpi_target_column}")
        actual_field = context.sure(submission, f"{row.key}_{rules.kpi_actual_column}")
        target, actual = _numeric(target_field), _numeric(actual_field)
        if target is None or actual is None or actual_field is None or actual >= target:
            continue
        short.append(KpiShortfall(row.key, row.label, target, actual, actual_field))
    return short


@validator("kpis")
def check_kpis(submission: Submission, context: Context) -> list[Finding]:
    """KPI_BELOW_TARGET for each KPI whose actual value is below its target."""
    return [
        Finding.of(
            FindingCode.KPI_BELOW_TARGET,
            f"{kpi.label}：实际完成值{_number(kpi.actual)}低于试点方案目标值{_number(kpi.target)}",
            field=kpi.key,
            paper=kpi.reading.value,
            page=kpi.reading.page,
            bbox=kpi.reading.bbox,
        )
        for kpi in kpi_shortfalls(submission, context)
    ]


# --- the self-evaluation ---------------------------------------------------------------


@dataclass(frozen=True)
class SelfEvaluation:
    """The conclusion as found: its heading line and the lines under it."""

    page: Page
    heading: TextLine
    lines: tuple[TextLine, ...]

    @property
    def text(self) -> str:
        """The heading line (it may run into the text) and the lines below, joined."""
        return "".join(line.text for line in (self.heading, *self.lines))

    @property
    def body(self) -> str:
        return "".join(line.text for line in self.lines)

    @property
    def bbox(self) -> BBox:
        every = (self.heading, *self.lines)
        return (
            min(x.bbox[0] for x in every),
            min(x.bbox[1] for x in every),
            max(x.bbox[2] for x in every),
            max(x.bbox[3] for x in every),
        )


def _other_headings(template: TemplateSpec, section_id: str) -> tuple[str, ...]:
    section = template.section(section_id)
    return tuple(
        heading
        for s in template.sections
        if s.id != section_id
        for heading in (s.heading, *s.aliases)
    ) + tuple(p.title for p in template.pages if p.id != section.page)


def find_self_evaluation(
    submission: Submission, template: TemplateSpec, context: Context
) -> SelfEvaluation | None:
    """The conclusion on its template page: the heading, and the lines from there down to
    the next heading or the page's end (page numbers and wordless lines left out). None
    when the template has no such section, or its page or heading is not found."""
    rules = context.rules.campaign_rules
    section = next((s for s in template.sections if s.id == rules.self_eval_section), None)
    if section is None:
        return None
    page = page_of(submission, section.page)
    if page is None:
        return None
    heading = find_line(page, (section.heading, *section.aliases), context, rules.heading_match)
    if heading is None:
        return None
    others = [context.normalize_org(h) for h in _other_headings(template, section.id)]
    page_number = re.compile(rules.page_number_line)
    wordless = re.compile(rules.wordless_line)
    below = sorted(
        (
            line
            for line in page.lines
            if line is not heading and (line.bbox[1] + line.bbox[3]) / 2 > heading.bbox[1]
        ),
        key=lambda line: (line.bbox[1], line.bbox[0]),
    )
    kept: list[TextLine] = []
    for line in below:
        text = context.normalize_org(line.text)
        if any(fuzz.ratio(h, text) >= rules.next_heading_match for h in others):
            break
        if page_number.fullmatch(text) or wordless.fullmatch(text):
            continue
        kept.append(line)
    return SelfEvaluation(page=page, heading=heading, lines=tuple(kept))


def _claim(text: str, context: Context) -> SelfEvalClaim:
    value = str(context.self_eval_claim(text))
    if value not in ("met", "not_met", "unknown"):
        raise ValueError(f"self-evaluation classifier gave {value!r}")
    return value  # type: ignore[return-value]


@validator("self_evaluation")
def check_self_evaluation(submission: Submission, context: Context) -> list[Finding]:
    """SELF_EVAL_INCONSISTENT: the conclusion claims all met while a KPI is below target."""
    template = context.template(submission)
    if template is None:
        return []
    found = find_self_evaluation(submission, template, context)
    if found is None or not found.lines:
        return []  # no section, or an empty one: SECTION_MISSING is the extractors'
    if any(line.confidence < context.review_threshold for line in found.lines):
        return []  # a misread line may hide the 未 that turns the claim round
    if _claim(found.text, context) != "met":
        return []
    short = kpi_shortfalls(submission, context)
    if not short:
        return []
    limit = context.rules.campaign_rules.quote_chars
    quoted = found.body if len(found.body) <= limit else found.body[:limit] + "…"
    return [
        Finding.of(
            FindingCode.SELF_EVAL_INCONSISTENT,
            f"自评结论称已达到认定条件或各项目标均已完成（“{quoted}”），但以下指标实际完成值"
            f"低于试点方案目标值：{'；'.join(kpi.said() for kpi in short)}",
            page=found.page.number,
            bbox=found.bbox,
        )
    ]
