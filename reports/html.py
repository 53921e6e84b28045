"""``report.html`` per submission and ``index.html`` per batch, for reviewers, in Chinese.

Both pages are self-contained: the style sheet is inlined and a report's images are
``data:`` URIs, so a report opens offline, as a single downloaded file, through a
presigned link (where relative links would carry no signature), and every kept version
stays complete. Jinja2 escapes every value: all text from a document is untrusted; and
every value shows its hidden characters (bidi controls, NUL, zero-width) as markers
(``shown.visible``), so no id can pass for another. A Content-Security-Policy forbids
scripts and any image that is not inline.
"""

from __future__ import annotations

import base64
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipeline.config import TemplateSpec
from pipeline.decision import ACTION_LABELS, REVIEW_STATUS_LABELS, progress_of
from pipeline.model import (
    Annex,
    FieldValue,
    Finding,
    FindingReview,
    Manifest,
    Member,
    Page,
    Report,
    Review,
    Severity,
    SourceKind,
    Status,
)
from reports.evidence import plan_evidence, text_under
from reports.labels import (
    ANNEX_LABELS,
    CODE_LABELS,
    SEAL_COLOURS,
    SEAL_EDGES,
    SEVERITY_LABELS,
    SEVERITY_ORDER,
    STATUS_LABELS,
    field_labels,
    label_of,
    member_column_labels,
    seal_slot_labels,
    section_labels,
)
from reports.shown import visible

# Where a batch's index links to a report: the report's key in, a URL or path out.
LinkFor = Callable[[str], str]

_KIND_LABELS: Mapping[SourceKind, str] = {
    SourceKind.SCAN: "扫描件",
    SourceKind.TEXT_LAYER: "电子版PDF",
    SourceKind.DOCX: "Word文档",
}
_MATCHED_BY: Mapping[str, str] = {
    "uscc": "统一社会信用代码",
    "org_name": "单位名称",
    "center_name": "创新中心名称",
}
EMPTY = "（空）"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_shown,  # every {{ value }}, before it is escaped
    )
    return env


def _shown(value: object) -> object:
    """A template value with its hidden characters shown (markers hold no markup)."""
    if isinstance(value, Markup):
        return Markup(visible(str(value)))
    if isinstance(value, str):
        return visible(value)
    return value


def format_value(value: FieldValue) -> str:
    """A field value as a reviewer reads it: lists one item a line, members with their type."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, list):
        return "\n".join(_format_item(item) for item in value)
    if isinstance(value, float):
        # Money and percentages print with two decimals, as the forms do; more when read so.
        return f"{value:.2f}" if round(value, 2) == value else repr(value)
    return str(value)


def _format_item(item: str | Member) -> str:
    if isinstance(item, Member):
        return f"{item.name}（{item.type}，{item.uscc}）"
    return item


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --------------------------------------------------------------------------------------
# report.html
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingView:
    number: int
    code: str
    code_label: str
    severity: str
    severity_label: str
    subject: str
    page: str
    message: str
    has_sides: bool
    paper: str | None
    online: str | None
    crop: str | None
    text: str
    decision: DecisionView | None = None


@dataclass(frozen=True)
class DecisionView:
    """A reviewer's decision in force on a finding, in reviewers' words."""

    finding: str
    subject: str
    code: str
    action: str
    action_label: str
    user: str
    time: str
    reason: str
    value: str | None
    stale: bool


def _decision_view(
    d: FindingReview,
    fields: Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> DecisionView:
    """One decision in force as shown; a correction of a member's cell names it
    (成员单位第6行·单位名称), its columns' headers from ``columns``."""
    return DecisionView(
        finding=d.finding,
        subject=(label_of(d.field, fields or {}) if d.field else "—")
        + (
            f"第{d.cell.row}行·{(columns or {}).get(d.cell.column, d.cell.column)}"
            if d.cell
            else ""
        ),
        code=d.code.value,
        action=d.action.value,
        action_label=ACTION_LABELS[d.action],
        user=d.user,
        time=d.time.strftime("%Y-%m-%d %H:%M UTC"),
        reason=d.reason,
        value=None if d.value is None else format_value(d.value),
        stale=d.stale,
    )


def decision_views(
    report: Report,
    fields: Mapping[str, str] | None = None,
    columns: Mapping[str, str] | None = None,
) -> list[DecisionView]:
    """The decisions in force on the report's findings (its ``review``), in time order; a
    correction of a member's cell names it (成员单位第6行·单位名称), its columns' headers
    from ``columns`` (``member_column_labels``)."""
    if report.review is None:
        return []
    return [
        _decision_view(d, fields, columns)
        for d in sorted(report.review.decisions, key=lambda d: (d.time, d.decision))
    ]


def batch_decision_views(review: Review | None) -> dict[str, DecisionView]:
    """The decisions in force on the batch's own findings (``usecases.review.batch_review``),
    by finding id (no field, cell or value: confirmed or dismissed only)."""
    if review is None:
        return {}
    return {d.finding: _decision_view(d) for d in review.decisions}


@dataclass(frozen=True)
class FieldView:
    key: str
    label: str
    value: str
    raw: str
    page: str
    confidence: str
    flagged: bool
    crop: str | None


@dataclass(frozen=True)
class SealView:
    slot: str
    page: int
    text: str
    colour: str
    owner: str
    confidence: str
    crop: str | None


@dataclass(frozen=True)
class PageView:
    number: int
    source_page: int
    kind: str
    template_page: str
    turned: str
    thumbnail: str | None
    text: str


@dataclass(frozen=True)
class OrderRow:
    position: int
    found: str
    expected: str
    differs: bool


@dataclass(frozen=True)
class ReportView:
    """Everything ``report.html.j2`` shows, already in reviewers' words."""

    title: str
    status: str
    status_label: str
    report: Report
    annex_label: str
    pages_label: str
    online_label: str
    counts: dict[str, int]
    findings: list[FindingView]
    fields: list[FieldView]
    seals: list[SealView]
    pages: list[PageView]
    order: list[OrderRow] = field(default_factory=list)
    review_threshold: str = ""
    review_status: str | None = None
    review_label: str | None = None
    decided: int = 0
    open: int = 0
    stale: int = 0
    decisions: list[DecisionView] = field(default_factory=list)


def render_report_html(
    report: Report,
    templates: Mapping[Annex, TemplateSpec],
    *,
    evidence: Mapping[str, bytes] | None = None,
    thumbnails: Mapping[int, bytes] | None = None,
    review_threshold: float,
) -> bytes:
    """The reviewer's page of one report, as UTF-8 bytes.

    Args:
        report: the report.
        templates: the forms, for the printed labels of fields, seal slots and sections.
        evidence: crop PNGs by name (``evidence.plan_evidence``); missing ones are left out.
        thumbnails: page PNGs by page number (1-based within the submission).
        review_threshold: fields read with less confidence are flagged for review.
    """
    view = report_view(
        report,
        templates,
        evidence=evidence or {},
        thumbnails=thumbnails or {},
        review_threshold=review_threshold,
    )
    html = _environment().get_template("report.html.j2").render(view=view)
    return html.encode("utf-8")


def report_view(
    report: Report,
    templates: Mapping[Annex, TemplateSpec],
    *,
    evidence: Mapping[str, bytes],
    thumbnails: Mapping[int, bytes],
    review_threshold: float,
) -> ReportView:
    """What ``report.html`` shows, computed (the template only lays it out)."""
    fields = field_labels(templates, report.annex)
    slots = seal_slot_labels(templates, report.annex)
    sections = section_labels(templates, report.annex)
    pages = {p.number: p for p in report.pages}
    crops = {
        c.name: data_uri(evidence[c.name]) for c in plan_evidence(report) if c.name in evidence
    }
    template = templates.get(report.annex)
    page_titles = {p.id: p.title for p in template.pages} if template else {}

    ordered = sorted(
        enumerate(report.findings, start=1), key=lambda item: SEVERITY_ORDER[item[1].severity]
    )
    decisions = decision_views(report, fields, member_column_labels(templates, report.annex))
    by_finding = {d.finding: d for d in decisions}
    finding_views = [
        _finding_view(number, finding, fields, slots, sections, pages, crops, by_finding)
        for number, finding in ordered
    ]
    field_views = [
        FieldView(
            key=key,
            label=label_of(key, fields),
            value=format_value(item.value),
            raw=item.raw or EMPTY,
            page=str(item.page) if item.page else "—",
            confidence=f"{item.confidence:.2f}",
            flagged=item.confidence < review_threshold,
            crop=crops.get(f"field-{key}.png"),
        )
        for key, item in report.fields.items()
    ]
    seal_views = [
        SealView(
            slot=(
                f"骑缝章（{SEAL_EDGES[seal.edge]}）"
                if seal.edge
                else label_of(seal.slot, slots)
                if seal.slot
                else "（未对应印章位置）"
            ),
            page=seal.page,
            text=seal.text or EMPTY,
            colour=SEAL_COLOURS.get(seal.colour, EMPTY) if seal.colour else EMPTY,
            owner={True: "相符", False: "不符", None: "无法判断"}[seal.owner_match],
            confidence=f"{seal.confidence:.2f}",
            crop=crops.get(f"seal-{i:02d}.png"),
        )
        for i, seal in enumerate(report.seals, start=1)
    ]
    page_views = [
        PageView(
            number=page.number,
            source_page=page.source_page,
            kind=_KIND_LABELS[page.kind],
            template_page=page_titles.get(page.template_page or "", "未识别"),
            turned=_turned(page),
            thumbnail=data_uri(thumbnails[page.number]) if page.number in thumbnails else None,
            text="\n".join(line.text for line in page.lines[:12])
            if page.kind is SourceKind.DOCX
            else "",
        )
        for page in report.pages
    ]
    order: list[OrderRow] = []
    if report.page_order is not None and not report.page_order.in_order:
        found, expected = report.page_order.found, report.page_order.expected
        for i in range(max(len(found), len(expected))):
            got = found[i] if i < len(found) else None
            want = expected[i] if i < len(expected) else None
            order.append(
                OrderRow(
                    position=i + 1,
                    found=page_titles.get(got, got) if got else "未识别",
                    expected=page_titles.get(want, want) if want else "—",
                    differs=got != want,
                )
            )
    counts = {s.value: sum(f.severity is s for f in report.findings) for s in Severity}
    center = report.fields.get("center_name")
    title = (
        str(center.value) if center is not None and isinstance(center.value, str) else None
    ) or report.source.file
    if center is not None and center.value and center.confidence < review_threshold:
        title += "（识别存疑，需人工核对）"
    first, last = report.source.pages
    online = (
        f"{report.online.record_id}（按{_MATCHED_BY[report.online.matched_by]}匹配）"
        if report.online
        else "未匹配"
    )
    review = report.review
    return ReportView(
        title=title,
        status=report.status.value,
        status_label=STATUS_LABELS[report.status],
        report=report,
        annex_label=ANNEX_LABELS[report.annex],
        pages_label=f"第{first}–{last}页" if first != last else f"第{first}页",
        online_label=online,
        counts=counts,
        findings=finding_views,
        fields=field_views,
        seals=seal_views,
        pages=page_views,
        order=order,
        review_threshold=f"{review_threshold:.2f}",
        review_status=review.status.value if review else None,
        review_label=REVIEW_STATUS_LABELS[review.status] if review else None,
        decided=review.decided if review else 0,
        open=review.open if review else 0,
        stale=review.stale if review else 0,
        decisions=decisions,
    )


def _finding_view(
    number: int,
    finding: Finding,
    fields: Mapping[str, str],
    slots: Mapping[str, str],
    sections: Mapping[str, str],
    pages: Mapping[int, Page],
    crops: Mapping[str, str],
    decisions: Mapping[str, DecisionView] | None = None,
) -> FindingView:
    if finding.field:
        subject = label_of(finding.field, fields)
    elif finding.slot:
        subject = label_of(finding.slot, slots)
    elif finding.section:
        subject = label_of(finding.section, sections)
    else:
        subject = finding.key or "—"
    page = pages.get(finding.page) if finding.page else None
    text = ""
    if page is not None and page.kind is SourceKind.DOCX and finding.bbox is not None:
        text = text_under(page, finding.bbox)
    # Side by side when both are known; one side alone when only it is (e.g. a bad code).
    has_sides = finding.paper is not None or finding.online is not None
    return FindingView(
        number=number,
        code=finding.code.value,
        code_label=CODE_LABELS[finding.code],
        severity=finding.severity.value,
        severity_label=SEVERITY_LABELS[finding.severity],
        subject=subject,
        page=str(finding.page) if finding.page else "—",
        message=finding.message,
        has_sides=has_sides,
        paper=None if finding.paper is None else format_value(finding.paper),
        online=None if finding.online is None else format_value(finding.online),
        crop=crops.get(f"finding-{number:02d}.png"),
        text=text,
        decision=(decisions or {}).get(finding.id or ""),
    )


def _turned(page: Page) -> str:
    if page.kind is not SourceKind.SCAN:
        return "—"
    parts = []
    if page.rotation:
        parts.append(f"旋转{page.rotation}°")
    if page.skew_deg:
        parts.append(f"纠偏{page.skew_deg:+.2f}°")
    return "，".join(parts) or "无"


# --------------------------------------------------------------------------------------
# index.html
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexRow:
    submission_id: str
    href: str
    annex: str
    status: str
    status_label: str
    errors: int
    warnings: int
    file: str
    center_name: str
    center_unsure: bool = False
    review_status: str | None = None
    review_label: str | None = None
    decided: int = 0
    open: int = 0


@dataclass(frozen=True)
class QuarantineRow:
    file: str
    size: int
    reason: str


@dataclass(frozen=True)
class IndexView:
    batch: str
    manifest: Manifest
    rows: list[IndexRow]
    quarantined: list[QuarantineRow]
    batch_findings: list[Finding]
    status_counts: list[tuple[str, str, int]]
    files: int
    decided: int = 0
    open: int = 0
    stale: int = 0
    batch_decisions: dict[str, DecisionView] = field(default_factory=dict)


def relative_link(from_key: str) -> LinkFor:
    """Links from the object ``from_key`` to other keys of the same store, relative.

    ``relative_link("batches/b/index.html")("reports/b/s/report.html")`` is
    ``../../reports/b/s/report.html``: it works in the local store's folder and in a copy.
    """
    base = posixpath.dirname(from_key)

    def link(key: str) -> str:
        return quote(posixpath.relpath(key, base or "."), safe="/")

    return link


def render_index_html(
    manifest: Manifest,
    reports: Sequence[Report],
    link: LinkFor,
    report_html_key: Callable[[Report], str],
    batch_findings: Sequence[Finding] = (),
    *,
    review_threshold: float,
    batch_review: Review | None = None,
) -> bytes:
    """The batch at a glance: every submission with its status, and the quarantined files.

    Args:
        manifest: the batch's manifest (every input file).
        reports: the batch's reports, in the order to list them.
        link: where the index sends a reader for a key (relative path or presigned URL).
        report_html_key: the key of a report's ``report.html``.
        batch_findings: findings of the batch itself (PAPER_MISSING), listed on their own.
        review_threshold: a centre name read with less confidence is marked unsure.
        batch_review: the reviewers' decisions on ``batch_findings`` (``usecases.review.
            batch_review``): each shown beside its finding, counted in the progress.
    """
    rows = []
    own = progress_of(batch_findings, batch_review)
    decided, open_, stale = own.decided, own.open, own.stale
    for report in reports:
        center = report.fields.get("center_name")
        progress = progress_of(report.findings, report.review)
        rows.append(
            IndexRow(
                submission_id=report.submission_id,
                href=link(report_html_key(report)),
                annex=ANNEX_LABELS[report.annex],
                status=report.status.value,
                status_label=STATUS_LABELS[report.status],
                errors=sum(f.severity is Severity.ERROR for f in report.findings),
                warnings=sum(f.severity is Severity.WARNING for f in report.findings),
                file=report.source.file,
                center_name=format_value(center.value) if center else EMPTY,
                center_unsure=center is not None and center.confidence < review_threshold,
                review_status=report.review.status.value if report.review else None,
                review_label=REVIEW_STATUS_LABELS[report.review.status] if report.review else None,
                decided=progress.decided,
                open=progress.open,
            )
        )
        decided += progress.decided
        open_ += progress.open
        stale += progress.stale
    quarantined = [
        QuarantineRow(file=e.file, size=e.size, reason=e.reason or "（未说明原因）")
        for e in manifest.files
        if e.state == "quarantined"
    ]
    status_counts = [
        (status.value, STATUS_LABELS[status], sum(r.status is status for r in reports))
        for status in (Status.FAIL, Status.NEEDS_REVIEW, Status.PASS)
    ]
    view = IndexView(
        batch=manifest.batch,
        manifest=manifest,
        rows=rows,
        quarantined=quarantined,
        batch_findings=list(batch_findings),
        status_counts=status_counts,
        files=len(manifest.files),
        decided=decided,
        open=open_,
        stale=stale,
        batch_decisions=batch_decision_views(batch_review),
    )
    return _environment().get_template("index.html.j2").render(view=view).encode("utf-8")
