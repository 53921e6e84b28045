"""Checks on the fields read off the paper: FIELD_MISSING, FIELD_INVALID, FIELD_LOW_CONFIDENCE.

``check_fields`` looks at an extracted submission against its template, and only at the
paper: the comparison with the online filing (FIELD_MISMATCH) is elsewhere.

- **Too unsure to decide** (FIELD_LOW_CONFIDENCE, a warning): a field whose confidence is
  below the review threshold (``rules/review.yaml``). Such a field gets no other finding
  from here — not missing, not invalid — and every consistency check that needs it is
  skipped: a verdict on a guess would be worse than none.
- **Blank** (FIELD_MISSING): a required field whose label was read but whose value is
  empty, or only blank marks (the printed 年 月 日 of an unfilled date, a dash, 无). Tick
  groups with nothing ticked and tables with no rows are blanks too, as is a blank cell
  in a member row.
- **Label not found**: a field that is not in ``fields`` at all although a page that
  prints it is there. On a missing page nothing is said here (SECTION_MISSING has it).
  Otherwise the code depends on the page's kind (``rules/checks.yaml``,
  ``absent_label``): on a born-digital copy the text is exact, so the row really is not
  there (FIELD_MISSING, for a required field only); on a scan the OCR may have missed the
  label (FIELD_LOW_CONFIDENCE, for any field: one that may be left blank is unread too).
- **Invalid** (FIELD_INVALID): a USCC whose GB 32100-2015 check character is wrong (the
  lead organisation's and every member's), a mobile that is not a mainland mobile, a
  malformed e-mail, a number or date that does not read as one, and the consistency
  rules of ``rules/checks.yaml`` (rd_ratio against rd_spend ÷ revenue, parts not larger
  than their whole), raised on the field that is out and naming both figures.

Every finding carries the field's page and box and the value as read (``paper``).
Messages are Chinese and may quote values; nothing here logs a value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from extractors.doubts import explain
from extractors.normalize import Normalizer
from extractors.review import needs_review
from extractors.sections import find_sections
from pipeline.codes import USCC_PATTERN, uscc_check_char, uscc_is_valid
from pipeline.config import (
    Campaign,
    ColumnSpec,
    FieldType,
    TemplateSpec,
)
from pipeline.model import (
    ExtractedField,
    FieldValue,
    Finding,
    FindingCode,
    Member,
    MemberCell,
    Page,
    Submission,
)
from pipeline.rulebook.checks import AtMostRule, CheckRules, RatioRule
from pipeline.rulebook.review import ReviewRules

__all__ = [
    "AtMostRule",
    "CheckRules",
    "RatioRule",
    "check_fields",
]

log = logging.getLogger(__name__)


# --- what the template prints ------------------------------------------------------------

_TRAILING_BRACKET = re.compile(r"[（(]([^（）()]*)[）)]$")

_KIND_NAMES: dict[FieldType, str] = {
    FieldType.MONEY_WAN: "金额",
    FieldType.PERCENT: "百分比",
    FieldType.INTEGER: "整数",
    FieldType.DATE: "日期",
    FieldType.PERIOD: "起止年月",
}
# Types whose normaliser gives None for text it cannot read: such text is not a blank.
_PARSED = frozenset(_KIND_NAMES)


@dataclass(frozen=True)
class _Printed:
    """One checkable field of a template: a labelled field, a table, or a fixed table cell."""

    key: str
    label: str  # as a reviewer reads it: 上年度营业收入, 研发投入（试点方案目标值）
    unit: str  # written after its numbers: 万元, %, 人
    type: FieldType | None  # None: a table read as free rows (a list)
    required: bool
    pages: tuple[str, ...]  # template pages that print it
    columns: tuple[ColumnSpec, ...] = ()  # of a free-row table


def _wording(label: str, field_type: FieldType | None, rules: CheckRules) -> tuple[str, str]:
    """(label, unit): a trailing （unit） moves to the numbers, 其中： is dropped."""
    unit = ""
    if (match := _TRAILING_BRACKET.search(label)) and match.group(1).strip() in rules.label_units:
        label, unit = label[: match.start()], match.group(1).strip()
    for prefix in rules.label_drop_prefixes:
        if label.startswith(prefix) and len(label) > len(prefix):
            label = label[len(prefix) :]
    if field_type is FieldType.MONEY_WAN:
        unit = "万元"
    elif field_type is FieldType.PERCENT:
        unit = "%"
    return label, unit


def _printed(template: TemplateSpec, rules: CheckRules) -> dict[str, _Printed]:
    """Every field the template prints, in its order; tables as the extractors key them:
    a free-row table under its own key, a fixed-row table's cells as ``{row}_{column}``."""
    printed: dict[str, _Printed] = {}
    for spec in template.fields:
        label, unit = _wording(spec.label, spec.type, rules)
        pages = tuple(p.id for p in template.pages if spec.key in p.fields)
        printed[spec.key] = _Printed(spec.key, label, unit, spec.type, spec.required, pages)
    for table in template.tables:
        section = template.section(table.section)
        pages = (section.page,)
        if not table.rows:
            label, _ = _wording(section.heading, None, rules)
            required = table.min_rows > 0
            printed[table.key] = _Printed(
                table.key, label, "", None, required, pages, columns=table.columns
            )
        for row in table.rows:
            row_label, unit = _wording(row.label, row.type, rules)
            for column in table.columns[1:]:  # the first column holds the row's label
                key = f"{row.key}_{column.key}"
                label = f"{row_label}（{column.label}）"
                printed[key] = _Printed(key, label, unit, row.type, True, pages)
    return printed


def _present_pages(
    submission: Submission, template: TemplateSpec, normalize: Normalizer
) -> dict[str, Page]:
    """Template page id → the submission's page recognised as it (as ``extract_fields``)."""
    if not submission.pages:
        return {}  # fields without their pages (re-checking a stored extraction)
    hits = find_sections(submission, template, normalize)
    pages = {p.number: p for p in submission.pages}
    present: dict[str, Page] = {}
    for page_spec in template.pages:
        found = [hits[s] for s in page_spec.sections if s in hits]
        if found and found[0].page in pages:
            present[page_spec.id] = pages[found[0].page]
    return present


# --- wording -----------------------------------------------------------------------------


def _decimal(value: FieldValue | float) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _figure(value: FieldValue | float, field_type: FieldType | None) -> str:
    """A number as a reviewer reads it: money with two decimals, others as written."""
    number = _decimal(value)
    if number is None:
        return str(value)
    if field_type is FieldType.MONEY_WAN:
        return f"{number.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    if number == number.to_integral_value():
        return f"{number.quantize(Decimal(1)):f}"
    return f"{number.normalize():f}"


# --- the checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    rules: CheckRules
    review: ReviewRules
    printed: dict[str, _Printed]
    normalize: Normalizer

    def label(self, key: str) -> str:
        printed = self.printed.get(key)
        return printed.label if printed else key

    def unit(self, key: str) -> str:
        printed = self.printed.get(key)
        return printed.unit if printed else ""

    def with_unit(self, key: str, value: FieldValue) -> str:
        printed = self.printed.get(key)
        return _figure(value, printed.type if printed else None) + self.unit(key)


def _evidence(key: str, field: ExtractedField, paper: FieldValue) -> dict[str, object]:
    return {"field": key, "page": field.page, "bbox": field.bbox, "paper": paper}


def _only_marks(text: str, ctx: _Context) -> bool:
    """Whether a text holds nothing but blank marks (年 月 日, dashes, 无) and spaces."""
    marks = ctx.rules.blank_marks
    return all(ch in marks or ch.isspace() for ch in ctx.normalize.text(text))


def _is_blank(value: FieldValue, ctx: _Context) -> bool:
    if value is None or value == []:
        return True
    return isinstance(value, str) and _only_marks(value, ctx)


def _absent(printed: _Printed, present: dict[str, Page], ctx: _Context) -> Finding | None:
    """A required field read nowhere although a page printing it is there."""
    page = next((present[p] for p in printed.pages if p in present), None)
    if page is None:
        return None  # its page is missing: SECTION_MISSING says so
    code = ctx.rules.absent_label[page.kind]
    label = ctx.label(printed.key)
    if code is FindingCode.FIELD_MISSING:
        message = f"{label}：第{page.number}页未找到该栏目"
    else:
        message = f"{label}：第{page.number}页未能识别到该栏目，需人工核对"
    return Finding.of(code, message, field=printed.key, page=page.number)


def _low_confidence(key: str, field: ExtractedField, ctx: _Context) -> Finding:
    read = field.raw if field.value is None or field.value == [] else field.value
    shown = f"「{field.raw}」" if field.raw else "（空白）"
    why = explain(field, ctx.review)
    return Finding.of(
        FindingCode.FIELD_LOW_CONFIDENCE,
        f"{ctx.label(key)}：识别结果{shown}置信度{field.confidence:.2f}，"
        f"低于复核阈值{ctx.review.review_threshold:.2f}"
        + (f"（{why}）" if why else "")
        + "，需人工核对",
        **_evidence(key, field, read),
    )


def _uscc_problem(code: str, normalize: Normalizer) -> str | None:
    """Why a USCC is wrong, or None when it is right."""
    text = normalize.uscc(code)
    if uscc_is_valid(text):
        return None
    if USCC_PATTERN.match(text):
        return f"「{text}」校验位不正确（应为{uscc_check_char(text[:17])}）"
    return f"「{text}」格式不正确（应为18位数字或大写字母，不含I、O、S、V、Z）"


def _format_problem(
    field_type: FieldType | None, value: FieldValue, normalize: Normalizer
) -> str | None:
    """Why a value of this type is malformed, or None when it is well-formed."""
    if not isinstance(value, str):
        return None
    if field_type is FieldType.USCC:
        return _uscc_problem(value, normalize)
    if field_type is FieldType.MOBILE and normalize.mobile(value) is None:
        return f"「{value}」不是有效的手机号码（应为11位大陆手机号）"
    if field_type is FieldType.EMAIL and not normalize.is_valid_email(value):
        return f"「{value}」不是有效的电子邮箱地址"
    return None


def _member_findings(
    key: str, field: ExtractedField, members: list[Member], printed: _Printed, ctx: _Context
) -> Iterator[Finding]:
    """Blank cells and malformed codes in the rows of a free-row table (成员单位表)."""
    table = ctx.label(key)
    for number, member in enumerate(members, start=1):
        row = f"{table}第{number}行" + (f"「{member.name}」" if member.name else "")
        for column in printed.columns:
            if column.key not in Member.model_fields:
                continue  # 序号: not kept on the row
            cell = getattr(member, column.key)
            # keyed by its cell (``2.uscc``): two blank cells of the table are two
            # findings a decision tells apart, and a correction knows its cell
            place = MemberCell.key_of(number, column.key)
            if _is_blank(cell, ctx):
                yield Finding.of(
                    FindingCode.FIELD_MISSING,
                    f"{row}：{column.label}未填写",
                    key=place,
                    **_evidence(key, field, cell or None),
                )
            elif problem := _format_problem(column.type, cell, ctx.normalize):
                yield Finding.of(
                    FindingCode.FIELD_INVALID,
                    f"{row}：{column.label}{problem}",
                    key=place,
                    **_evidence(key, field, cell),
                )


def _field_findings(
    key: str, field: ExtractedField, printed: _Printed | None, ctx: _Context
) -> Iterator[Finding]:
    """What one sure reading has wrong on its own: blank, unreadable or malformed."""
    field_type = printed.type if printed else None
    label = ctx.label(key)
    if _is_blank(field.value, ctx):
        if printed is None or not printed.required:
            return
        if field_type in _PARSED and not _only_marks(field.raw, ctx):
            yield Finding.of(
                FindingCode.FIELD_INVALID,
                f"{label}：填写内容「{field.raw}」无法识别为{_KIND_NAMES[field_type]}",
                **_evidence(key, field, field.raw),
            )
        else:
            yield Finding.of(
                FindingCode.FIELD_MISSING,
                f"{label}：纸质材料未填写",
                **_evidence(key, field, None),
            )
        return
    if printed is not None and printed.type is None and isinstance(field.value, list):
        members = [m for m in field.value if isinstance(m, Member)]
        yield from _member_findings(key, field, members, printed, ctx)
        return
    if problem := _format_problem(field_type, field.value, ctx.normalize):
        yield Finding.of(
            FindingCode.FIELD_INVALID, f"{label}{problem}", **_evidence(key, field, field.value)
        )


def _sure_number(
    key: str, fields: dict[str, ExtractedField], ctx: _Context
) -> tuple[ExtractedField, Decimal] | None:
    """A field's number when it is there and sure enough to build a verdict on."""
    field = fields.get(key)
    if field is None or needs_review(field.confidence, ctx.review):
        return None
    number = _decimal(field.value)
    return None if number is None else (field, number)


def _ratio_finding(
    rule: RatioRule, fields: dict[str, ExtractedField], ctx: _Context
) -> Finding | None:
    declared = _sure_number(rule.field, fields, ctx)
    numerator = _sure_number(rule.numerator, fields, ctx)
    denominator = _sure_number(rule.denominator, fields, ctx)
    if declared is None or numerator is None or denominator is None or denominator[1] == 0:
        return None  # a figure is blank or unsure, or the ratio has no value: no verdict
    field, stated = declared
    computed = numerator[1] / denominator[1] * Decimal(str(rule.scale))
    tolerance = Decimal(str(rule.tolerance))
    if abs(stated - computed) <= tolerance:
        return None
    formula = rule.formula or f"{ctx.label(rule.numerator)}÷{ctx.label(rule.denominator)}"
    unit = ctx.unit(rule.field)
    shown = computed.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    points = "个百分点" if unit == "%" else unit
    return Finding.of(
        FindingCode.FIELD_INVALID,
        f"{ctx.label(rule.field)}：填报{_figure(field.value, None)}{unit}，"
        f"按{formula}计算为{shown:f}{unit}，相差超过{_figure(rule.tolerance, None)}{points}",
        **_evidence(rule.field, field, field.value),
    )


def _at_most_finding(
    rule: AtMostRule, fields: dict[str, ExtractedField], ctx: _Context
) -> Finding | None:
    part = _sure_number(rule.field, fields, ctx)
    whole = _sure_number(rule.bound, fields, ctx)
    if part is None or whole is None or part[1] <= whole[1]:
        return None
    field = part[0]
    return Finding.of(
        FindingCode.FIELD_INVALID,
        f"{ctx.label(rule.field)}：填报{ctx.with_unit(rule.field, field.value)}，"
        f"超过{ctx.label(rule.bound)}{ctx.with_unit(rule.bound, whole[0].value)}",
        **_evidence(rule.field, field, field.value),
    )


def check_fields(
    submission: Submission,
    template: TemplateSpec,
    campaign: Campaign,
    *,
    rules: CheckRules,
    review: ReviewRules,
    normalize: Normalizer,
) -> tuple[Finding, ...]:
    """FIELD_MISSING, FIELD_INVALID and FIELD_LOW_CONFIDENCE for one extracted submission.

    Args:
        submission: the submission with its ``fields`` read and its ``pages`` (the pages
            tell a field whose label was not found from a field whose page is missing).
        template: the template of the submission's annex.
        campaign: the campaign (kept for checks that depend on its lists).
        rules: the checks' settings (``Rules.checks``).
        review: the review threshold (``Rules.review``).
        normalize: the normaliser the readings were made with (``normalizer``).

    Returns:
        The findings in the template's field order, consistency findings last.
    """
    printed = _printed(template, rules)
    ctx = _Context(rules=rules, review=review, printed=printed, normalize=normalize)
    fields = submission.fields
    present = _present_pages(submission, template, normalize)
    findings: list[Finding] = []
    ordered = [*printed, *(k for k in fields if k not in printed)]
    for key in ordered:
        field = fields.get(key)
        if field is None:
            absent = _absent(printed[key], present, ctx)
            if absent is not None and (
                printed[key].required or absent.code is FindingCode.FIELD_LOW_CONFIDENCE
            ):
                # a field that may be left blank (推荐单位 of an exempt applicant) still
                # has its label printed: on a scan, its label not read is a value unread
                # (blank or not: a reviewer looks), never silently absent
                findings.append(absent)
            continue
        if needs_review(field.confidence, review):
            findings.append(_low_confidence(key, field, ctx))
            continue
        findings.extend(_field_findings(key, field, printed.get(key), ctx))
    for rule in rules.consistency:
        if rule.field not in printed:
            continue  # a rule for a field this annex does not print
        check = (
            _ratio_finding(rule, fields, ctx)
            if isinstance(rule, RatioRule)
            else _at_most_finding(rule, fields, ctx)
        )
        if check is not None:
            findings.append(check)
    log.debug(
        "field checks on %s: %d finding(s): %s",
        submission.id,
        len(findings),
        ", ".join(f"{f.code.value}:{f.field}" for f in findings) or "none",
    )
    return tuple(findings)
