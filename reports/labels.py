"""What reviewers read instead of codes: Chinese names of statuses, severities, codes, fields.

Field labels come from the template YAML (the printed label of each field), so a report
names a field exactly as the paper form prints it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.config import TemplateSpec
from pipeline.model import Annex, FindingCode, Severity, Status

STATUS_LABELS: Mapping[Status, str] = {
    Status.PASS: "通过",
    Status.NEEDS_REVIEW: "需复核",
    Status.FAIL: "不通过",
}

SEVERITY_LABELS: Mapping[Severity, str] = {
    Severity.ERROR: "错误",
    Severity.WARNING: "警告",
    Severity.INFO: "提示",
}

# Errors first: what fails a submission is what a reviewer reads first.
SEVERITY_ORDER: Mapping[Severity, int] = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

ANNEX_LABELS: Mapping[Annex, str] = {
    Annex.PILOT: "附件1 建设试点申报书",
    Annex.CERTIFICATION: "附件2 认定申请书",
    Annex.UNKNOWN: "未识别",
}

CODE_LABELS: Mapping[FindingCode, str] = {
    FindingCode.FILE_UNREADABLE: "文件无法读取",
    FindingCode.PAGE_UNREADABLE: "页面无法读取",
    FindingCode.ANNEX_UNKNOWN: "无法识别申报类型",
    FindingCode.SECTION_MISSING: "缺少章节",
    FindingCode.FIELD_MISSING: "填报项缺失",
    FindingCode.FIELD_INVALID: "填报项格式或数值有误",
    FindingCode.FIELD_LOW_CONFIDENCE: "识别把握不足，需人工核对",
    FindingCode.SEAL_MISSING: "缺少印章",
    FindingCode.SEAL_OWNER_MISMATCH: "印章单位不符",
    FindingCode.SEAL_UNVERIFIABLE: "印章无法核验",
    FindingCode.RECOMMENDATION_MISSING: "缺少推荐意见",
    FindingCode.RECOMMENDATION_UNFAVOURABLE: "推荐意见为不同意",
    FindingCode.RECOMMENDATION_UNDATED: "推荐意见未注明日期",
    FindingCode.RECOMMENDATION_WRONG_AUTHORITY: "推荐单位不是属地主管部门",
    FindingCode.RECOMMENDATION_EXEMPT: "免于推荐（省属或中央在黔企业）",
    FindingCode.ONLINE_RECORD_MISSING: "无网上填报记录",
    FindingCode.PAPER_MISSING: "无纸质材料",
    FindingCode.FIELD_MISMATCH: "纸质与网上填报不一致",
    FindingCode.DEADLINE_MISSED: "逾期提交",
    FindingCode.DOMAIN_INELIGIBLE: "产业领域不在申报范围",
    FindingCode.KPI_BELOW_TARGET: "指标未达目标",
    FindingCode.SELF_EVAL_INCONSISTENT: "自评结论与指标不符",
    FindingCode.COPIES_DIFFER: "两份纸质材料不一致",
}

# Keys read outside the templates' ``fields`` (tables) and what the online export calls
# its own columns; the templates' printed labels take precedence.
_EXTRA_FIELD_LABELS: Mapping[str, str] = {
    "members": "成员单位",
    "platforms": "已建平台",
    "city": "所在市（州）",
    "record_id": "申报编号",
    "submitted_at": "网上填报提交时间",
}

# The key fields of a submission: the summary's columns after the status, in this order.
KEY_FIELDS: tuple[str, ...] = (
    "center_name",
    "lead_org",
    "uscc",
    "city",
    "domain",
    "legal_rep",
    "contact",
    "mobile",
)


def _in_order(templates: Mapping[Annex, TemplateSpec], annex: Annex | None) -> list[TemplateSpec]:
    """The annex's own template first (its printing wins), then the others, pilot first."""
    order = sorted(templates, key=lambda a: (a is not annex, a is not Annex.PILOT))
    return [templates[a] for a in order]


def field_labels(
    templates: Mapping[Annex, TemplateSpec], annex: Annex | None = None
) -> dict[str, str]:
    """Field key → its printed label, as the annex's form prints it (others as fallback);
    a field whose label names something else (a date under a seal line) by its ``name``."""
    labels = dict(_EXTRA_FIELD_LABELS)
    for template in _in_order(templates, annex):
        for table in template.tables:
            heading = template.section(table.section).heading
            labels.setdefault(table.key, _strip_colon(heading))
            # A fixed-row table gives a field per row and value column: kpi_<row>_<column>.
            for row in table.rows:
                for column in table.columns[1:]:
                    labels.setdefault(f"{row.key}_{column.key}", f"{row.label}·{column.label}")
        for spec in template.fields:
            # a field's own name where its printed label names something else (a date
            # read under a seal line is 承诺日期, not 牵头单位（盖章）)
            own = _strip_colon(spec.name or spec.label)
            labels.setdefault(spec.key, own)
            if spec.key in _EXTRA_FIELD_LABELS:
                labels[spec.key] = own
    return labels


def member_column_labels(
    templates: Mapping[Annex, TemplateSpec], annex: Annex | None = None
) -> dict[str, str]:
    """Column key → its printed header, for the members table's columns (``name``,
    ``type``, ``uscc``; a header's parenthesised options left out)."""
    labels: dict[str, str] = {}
    for template in _in_order(templates, annex):
        for table in template.tables:
            if table.rows:
                continue  # a fixed-row table: no members
            for column in table.columns:
                labels.setdefault(column.key, column.label.split("（", 1)[0])
    return labels


# A seal's ink and the page edge a half seal runs off, for reviewers.
SEAL_COLOURS: dict[str, str] = {"red": "红色", "blue": "蓝色", "black": "黑色", "grey": "灰度"}
SEAL_EDGES: dict[str, str] = {
    "left": "左边缘",
    "right": "右边缘",
    "top": "上边缘",
    "bottom": "下边缘",
}


def seal_slot_labels(
    templates: Mapping[Annex, TemplateSpec], annex: Annex | None = None
) -> dict[str, str]:
    """Seal slot id → where the seal belongs, e.g. ``牵头单位（盖章）·封面``."""
    labels: dict[str, str] = {}
    for template in _in_order(templates, annex):
        for slot in template.seal_slots:
            page = "封面" if slot.page == "cover" else template.page(slot.page).title
            labels.setdefault(slot.id, f"{slot.anchor}·{page}")
    return labels


def section_labels(
    templates: Mapping[Annex, TemplateSpec], annex: Annex | None = None
) -> dict[str, str]:
    """Section id → its printed heading."""
    labels: dict[str, str] = {}
    for template in _in_order(templates, annex):
        for section in template.sections:
            labels.setdefault(section.id, section.heading)
    return labels


def label_of(key: str | None, labels: Mapping[str, str]) -> str:
    """The label of ``key``; the key itself when no template prints one; ``—`` for none."""
    if key is None:
        return "—"
    return labels.get(key, key)


def _strip_colon(label: str) -> str:
    return label.rstrip("：:")
