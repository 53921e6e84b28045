"""The recommendation opinion (FORMS.md §3 四): present, favourable, dated, and sealed by
the applicant's own local authority.

The box is the opinion page's lines between the printed heading (属地工业和信息化主管部门
推荐意见：) and the signature line (推荐单位（盖章）), less the printed note and less the
lettering of a seal pressed into it. What remains is the opinion; the Matcher-based
classifier (handed in through the ``Context``) tells favourable from refused (同意推荐 vs
不同意推荐 / 不予推荐 / 暂缓推荐). The date is the extracted ``recommend_date``; the seal is the
``recommender_opinion`` slot's mark (``seal_slots.py``).

Exempt applicants (省属企业 / 中央在黔企业) need no recommendation: RECOMMENDATION_EXEMPT
(info) and nothing else. Electronic copies leave the box empty by design: scans only.
An unsure reading (the affiliation, the date, the box's lines) decides nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.config import OpinionSpec, SealSlotSpec, TemplateSpec
from pipeline.model import BBox, Finding, FindingCode, Page, Submission, TextLine
from validators.applicant import Applicant, applicant_of, authority_names
from validators.registry import Context, Stance, validator
from validators.seal_slots import (
    find_line,
    is_scan,
    judge_owner,
    overlap_area,
    page_of,
    reading_of,
)


@dataclass(frozen=True)
class OpinionBox:
    """The box as found: its lines (the opinion), their text, where it is."""

    page: Page
    lines: tuple[TextLine, ...]
    bbox: BBox | None

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)


def _centre_y(line: TextLine) -> float:
    return (line.bbox[1] + line.bbox[3]) / 2


def _content_chars(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def _is_seal_lettering(line: TextLine, page: Page, context: Context) -> bool:
    rules = context.opinion_rules
    area = (line.bbox[2] - line.bbox[0]) * (line.bbox[3] - line.bbox[1])
    if area <= 0:
        return False
    text = context.normalize_org(line.text)
    for mark in page.seals:
        if overlap_area(line.bbox, mark.bbox) < rules.seal_lettering_overlap * area:
            continue
        if len(text) <= rules.seal_lettering_max_chars and not _recommends(text, context):
            return True
        if mark.text and fuzz.partial_ratio(text, context.normalize_org(mark.text)) >= (
            rules.seal_lettering_match
        ):
            return True
    return False


def _recommends(text: str, context: Context) -> bool:
    return context.stance(text) != "none"


def find_box(
    page: Page, spec: OpinionSpec, context: Context, printed: tuple[str, ...] = ()
) -> OpinionBox:
    """The opinion written into the box on its page (possibly no lines at all).

    ``printed``: other printed texts of the page (the section's heading) never taken for
    the opinion, should the box's own heading go unread and the box start at the top.
    """
    rules = context.opinion_rules
    headings = [context.normalize_org(t) for t in printed]
    heading = find_line(page, (spec.heading, *spec.aliases), context, rules.printed_match)
    signature = find_line(page, (spec.signature,), context, rules.printed_match)
    note = context.normalize_org(spec.note)
    top = heading.bbox[3] if heading is not None else 0.0
    bottom = signature.bbox[1] if signature is not None else 1.0
    if signature is None:  # the note sits under the box: stop there when no signature is read
        for line in page.lines:
            if fuzz.ratio(note, context.normalize_org(line.text)) >= rules.note_match:
                bottom = min(bottom, line.bbox[1])
    kept: list[TextLine] = []
    for line in page.lines:
        if line is heading or line is signature or not top <= _centre_y(line) <= bottom:
            continue
        text = context.normalize_org(line.text)
        if fuzz.ratio(note, text) >= rules.note_match or _content_chars(text) == 0:
            continue
        if re.fullmatch(rules.date_line, text):
            continue
        if any(fuzz.ratio(h, text) >= rules.printed_match for h in headings):
            continue
        if _is_seal_lettering(line, page, context):
            continue
        kept.append(line)
    bbox = (
        (
            min(x.bbox[0] for x in kept),
            min(x.bbox[1] for x in kept),
            max(x.bbox[2] for x in kept),
            max(x.bbox[3] for x in kept),
        )
        if kept
        else None
    )
    return OpinionBox(page=page, lines=tuple(kept), bbox=bbox)


def decide(box: OpinionBox, context: Context) -> tuple[bool, Stance, bool]:
    """Whether the box holds an opinion, what it says, and whether all of it read surely."""
    text = context.normalize_org(box.text)
    present = _content_chars(text) >= context.opinion_rules.min_opinion_chars
    sure = all(line.confidence >= context.review_threshold for line in box.lines)
    return present, context.stance(text) if present else "none", sure


def _misread_favour(box: OpinionBox, context: Context) -> bool:
    """Whether an opinion that recommends neither way holds the favourable phrase with its
    first character misread (a hand's 同 left alone at a line's end read 局), and nothing
    of a refusal: for a reviewer, not a refusal (``rules/opinion.yaml``)."""
    rules = context.opinion_rules
    text = context.normalize_org(box.text)
    if any(mark in text for mark in rules.refusal_marks):
        return False
    return re.search(rules.misread_favourable, text) is not None


def dated(submission: Submission, template: TemplateSpec, context: Context) -> bool | None:
    """The date field read and not blank; None when the reading is unsure, or when the
    date's place was not found at all (its label under a seal or misread: whether a date
    is written there is unknown, not blank)."""
    date = submission.fields.get(template.opinion.date_field)
    if date is None or date.confidence < context.review_threshold:
        return None
    return bool(date.value)


def opinion_slot(template: TemplateSpec) -> SealSlotSpec | None:
    """The recommender's seal slot on the opinion page (``recommender_opinion``)."""
    page = template.section(template.opinion.section).page
    return next(
        (s for s in template.seal_slots if s.page == page and s.owner == "recommender"), None
    )


@validator("recommendation_opinion")
def check_opinion(submission: Submission, context: Context) -> list[Finding]:
    """RECOMMENDATION_* findings of a scanned submission."""
    template = context.template(submission)
    if template is None:
        return []
    page = page_of(submission, template.section(template.opinion.section).page)
    if page is None or not is_scan(page):
        return []  # no opinion page (SECTION_MISSING says so), or an electronic copy
    applicant = applicant_of(submission, context)
    if applicant.exempt:
        return [
            Finding.of(
                FindingCode.RECOMMENDATION_EXEMPT,
                "申报单位隶属关系为省属企业或中央在黔企业，直接向省工业和信息化厅申报，"
                "无需属地推荐意见",
                page=page.number,
            )
        ]
    section = template.section(template.opinion.section)
    printed = (section.heading, *section.aliases, template.page(section.page).title)
    box = find_box(page, template.opinion, context, printed)
    present, stance, sure = decide(box, context)
    if not present:
        if applicant.exempt is None:
            return []  # the affiliation is unsure (FIELD_LOW_CONFIDENCE): maybe not needed
        return [
            Finding.of(
                FindingCode.RECOMMENDATION_MISSING,
                "推荐意见栏未填写属地工业和信息化主管部门推荐意见",
                page=page.number,
            )
        ]
    evidence = {"page": page.number, "bbox": box.bbox}
    findings: list[Finding] = []
    if stance == "none" and sure and _misread_favour(box, context):
        findings.append(
            Finding.of(
                FindingCode.FIELD_LOW_CONFIDENCE,
                f"推荐意见：“{box.text}”疑似“同意推荐”识别有误，未能确认是否同意推荐，需人工核对",
                **evidence,
            )
        )
    elif stance == "unfavourable" or (stance == "none" and sure):
        said = "未同意推荐" if stance == "unfavourable" else "未明确同意推荐"
        findings.append(
            Finding.of(
                FindingCode.RECOMMENDATION_UNFAVOURABLE,
                f"推荐意见{said}：“{box.text}”",
                **evidence,
            )
        )
    when = dated(submission, template, context)
    if when is False:
        findings.append(
            Finding.of(
                FindingCode.RECOMMENDATION_UNDATED,
                "推荐意见未填写日期（“年 月 日”处空白）",
                **evidence,
            )
        )
    elif (
        when is None
        and template.opinion.date_field not in submission.fields
        and not any(
            f.code is FindingCode.FIELD_LOW_CONFIDENCE and f.field == template.opinion.date_field
            for f in submission.findings
        )
    ):
        # an unsure reading is the extractors' FIELD_LOW_CONFIDENCE, as is a date whose
        # label they did not read on a scan; a date not found otherwise is said here
        findings.append(
            Finding.of(
                FindingCode.FIELD_LOW_CONFIDENCE,
                f"推荐意见日期：第{page.number}页未能找到落款日期处，无法确认是否填写日期，"
                "需人工核对",
                field=template.opinion.date_field,
                **evidence,
            )
        )
    return findings + _authority(submission, template, context, applicant)


def _authority(
    submission: Submission, template: TemplateSpec, context: Context, applicant: Applicant
) -> list[Finding]:
    """RECOMMENDATION_WRONG_AUTHORITY: the opinion's seal reads as another locality's
    authority (a seal of no authority at all is the slot's SEAL_OWNER_MISMATCH alone)."""
    slot = opinion_slot(template)
    reading = reading_of(submission, context, slot.id) if slot is not None else None
    if reading is None or reading.mark is None or reading.page is None:
        return []
    if applicant.locality is None:
        return []
    others = authority_names(context.campaign, but=applicant.locality)
    verdict = judge_owner(
        reading.mark, applicant.authority_names, others, context.seal_rules.owner, context
    )
    if verdict.match is not False or verdict.read_as not in others:
        return []
    return [
        Finding.of(
            FindingCode.RECOMMENDATION_WRONG_AUTHORITY,
            f"推荐意见加盖的是“{verdict.read_as}”的公章，申报单位所在地为"
            f"{applicant.locality.city}，应由“{applicant.locality.authority}”推荐",
            page=reading.page.number,
            bbox=reading.mark.bbox,
        )
    ]
