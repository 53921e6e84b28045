"""The reviewer's pages: a batch (its submissions, filters, its own findings — decided
there, confirm or dismiss —, quarantined files) and a submission (findings with crops,
fields, paper beside online, the page images with every finding's box), and the page
images themselves.

Everything is read from the store as ``shenbao run`` left it: the batch's manifest.json
and each submission's report.json (validated); the page images are rendered from the
kept original (``originals/{sha256}``) by the pipeline's own rasteriser, turned and
deskewed as the report recorded, so the findings' boxes (fractions of the upright page)
fit them.

Whether a finding is still open is asked of one function, ``open_finding_ids``, over the
report's review as the store's decisions make it (``with_decisions``: ``usecases.review.
reviewed`` over ``pipeline.decision.review_of``), never the stored report's review block
alone (a decision made meanwhile on another server counts at once).
"""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, TypeVar
from urllib.parse import quote

import cv2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from pipeline.decision import BATCH_LEVEL, CORRECTABLE, REVIEW_STATUS_LABELS, Action, progress_of
from pipeline.decision import REVIEWED as REVIEWED_SEVERITIES
from pipeline.errors import InputError, PipelineError, StorageError
from pipeline.model import (
    Finding,
    FindingCode,
    Manifest,
    MemberCell,
    Page,
    Report,
    Review,
    Severity,
    SourceKind,
    Status,
)
from pipeline.rulebook import Rules, load_rules
from pipeline.run import normalised_page_images
from pipeline.settings import Settings
from reports.html import (
    EMPTY,
    DecisionView,
    FieldView,
    FindingView,
    batch_decision_views,
    format_value,
    report_view,
)
from reports.labels import (
    ANNEX_LABELS,
    CODE_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    field_labels,
    label_of,
    member_column_labels,
)
from storage.base import ObjectMissingError, ObjectStore, report_key
from usecases.filing import Agreement, BatchExport, ExportState, batch_export, beside_filing
from usecases.reconcile import fetch_original
from usecases.review import (
    batch_review,
    decide,
    finding_cell,
    load_decisions,
    member_table,
    members_of,
    original_of,
    republish_batch_pages,
    republish_review,
    reviewed,
    reviewed_from,
)
from usecases.review import load_manifest as review_manifest
from workbench import security
from workbench.app import checked_form, current_user, file_user, render, require_role, workbench
from workbench.security import NotStoredError, PageImageSettings
from workbench.users import Role, User

log = logging.getLogger(__name__)

UNREADABLE = "unreadable"
UNREADABLE_LABEL = "报告无法读取"
NO_CITY = "未识别"
# A locality as addresses print it: an optional province, then the 市 / 州 / 地区 / 盟.
# A page number in a URL: 1–9999, no sign, no leading zero.
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,3}")
_LOCALITY = re.compile(r"^(?:.{2,3}省)?(.{1,8}?(?:自治州|市|州|地区|盟))")


# --- open or decided --------------------------------------------------------------------


def with_decisions(store: ObjectStore, report: Report) -> Report:
    """``report`` with its review as the store's decisions on it make it now."""
    return reviewed(report, load_decisions(store, report.batch, report.submission_id))


def open_finding_ids(report: Report) -> frozenset[str]:
    """The ids of ``report``'s findings still waiting for a reviewer's decision, by its
    ``review`` (``with_decisions``): errors and warnings without a decision in force, or
    whose decision is stale (the finding changed since); info findings need none."""
    review = report.review
    decided = {d.finding for d in review.decisions if not d.stale} if review else set()
    return frozenset(
        f.id
        for f in report.findings
        if f.id is not None and f.severity in REVIEWED_SEVERITIES and f.id not in decided
    )


def last_reviewer(report: Report) -> str | None:
    """Who decided last on ``report`` (its review's latest decision), None when nobody."""
    if report.review is None or not report.review.decisions:
        return None
    return max(report.review.decisions, key=lambda d: (d.time, d.decision)).user


def review_label(report: Report) -> str | None:
    """The effective status's words (通过（已复核）…), None when nothing is decided."""
    return REVIEW_STATUS_LABELS[report.review.status] if report.review else None


# --- the batch page ---------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionRow:
    """One submission of the batch page."""

    submission: str
    file: str
    status: str
    status_label: str
    annex_label: str
    errors: int
    warnings: int
    online: str | None
    applicant: str
    city: str
    codes: frozenset[str]
    open: int
    review: str | None = None
    reviewer: str | None = None


@dataclass(frozen=True)
class BatchFindingItem:
    """One of the batch's own findings (the manifest's) on the batch page, with the
    decision in force on it."""

    id: str
    code: str
    code_label: str
    severity: str
    severity_label: str
    key: str | None
    message: str
    open: bool
    decision: DecisionView | None = None


@dataclass(frozen=True)
class BatchView:
    batch: str
    rows: list[SubmissionRow]
    shown: list[SubmissionRow]
    batch_findings: list[BatchFindingItem]
    quarantined: list[tuple[str, str]]
    statuses: list[tuple[str, str]]
    codes: list[tuple[str, str]]
    cities: list[str]
    chosen: dict[str, str]
    decided: int = 0
    open: int = 0
    stale: int = 0


def _text(report: Report, key: str) -> str | None:
    item = report.fields.get(key)
    if item is None or not isinstance(item.value, str) or not item.value.strip():
        return None
    return item.value.strip()


def city_of(report: Report) -> str:
    """The submission's 市（州）: the form's own field, else the locality its address names."""
    city = _text(report, "city")
    if city:
        return city
    address = _text(report, "address")
    found = _LOCALITY.match(address) if address else None
    return found.group(1) if found else NO_CITY


def submission_row(report: Report, file: str) -> SubmissionRow:
    """The batch page's row of ``report`` (its review as the decisions make it)."""
    return SubmissionRow(
        submission=report.submission_id,
        file=file,
        status=report.status.value,
        status_label=STATUS_LABELS[report.status],
        annex_label=ANNEX_LABELS[report.annex],
        errors=sum(f.severity is Severity.ERROR for f in report.findings),
        warnings=sum(f.severity is Severity.WARNING for f in report.findings),
        online=report.online.record_id if report.online else None,
        applicant=_text(report, "lead_org") or _text(report, "center_name") or "—",
        city=city_of(report),
        codes=frozenset(f.code.value for f in report.findings),
        open=len(open_finding_ids(report)),
        review=review_label(report),
        reviewer=last_reviewer(report),
    )


def _unreadable_row(submission: str, file: str) -> SubmissionRow:
    return SubmissionRow(
        submission=submission,
        file=file,
        status=UNREADABLE,
        status_label=UNREADABLE_LABEL,
        annex_label="—",
        errors=0,
        warnings=0,
        online=None,
        applicant="—",
        city=NO_CITY,
        codes=frozenset(),
        open=0,
    )


def load_report(store: ObjectStore, batch: str, submission: str) -> Report | None:
    """The stored report, validated; None when it is missing or unreadable."""
    try:
        return Report.model_validate_json(store.get_bytes(report_key(batch, submission)))
    except (ObjectMissingError, StorageError, ValidationError, ValueError):
        return None


def load_manifest(store: ObjectStore, batch: str) -> Manifest:
    """The batch's manifest (404 when the id is wrong, absent or the manifest unreadable)."""
    key = security.batch_manifest(store, batch)
    try:
        return Manifest.model_validate_json(store.get_bytes(key))
    except (ValidationError, PipelineError) as exc:
        raise NotStoredError(key) from exc


def keep(row: SubmissionRow, status: str, code: str, city: str, still_open: bool) -> bool:
    """Whether ``row`` passes the batch page's filters (an empty filter lets all pass)."""
    return (
        (not status or row.status == status)
        and (not code or code in row.codes)
        and (not city or row.city == city)
        and (not still_open or row.open > 0)
    )


def batch_view(
    store: ObjectStore, batch: str, status: str, code: str, city: str, still_open: bool
) -> BatchView:
    manifest = load_manifest(store, batch)
    placed = [
        (entry.file, sid, load_report(store, manifest.batch, sid))
        for entry in manifest.files
        for sid in entry.submissions
    ]
    # the decisions listed once for the batch, each report's review as they make it
    readable = reviewed_from(store, [r for _, _, r in placed if r is not None])
    by_id = {r.submission_id: r for r in readable}
    rows = []
    for file, sid, report in placed:
        current = by_id.get(sid) if report is not None else None
        rows.append(
            _unreadable_row(sid, file) if current is None else submission_row(current, file)
        )
    present = {r.status for r in rows}
    statuses: list[tuple[str, str]] = [
        (str(s.value), STATUS_LABELS[s]) for s in Status if s.value in present
    ]
    if UNREADABLE in present:
        statuses.append((UNREADABLE, UNREADABLE_LABEL))
    codes = sorted({c for r in rows for c in r.codes})
    own = batch_review(store, manifest)
    progress = progress_of(manifest.findings, own)
    return BatchView(
        batch=manifest.batch,
        rows=rows,
        shown=[r for r in rows if keep(r, status, code, city, still_open)],
        batch_findings=batch_finding_items(manifest.findings, own),
        quarantined=[
            (e.file, e.reason or "（未说明原因）")
            for e in manifest.files
            if e.state == "quarantined"
        ],
        statuses=statuses,
        codes=[(c, CODE_LABELS[FindingCode(c)]) for c in codes],
        cities=sorted({r.city for r in rows}),
        chosen={
            "status": status,
            "code": code,
            "city": city,
            "open": "1" if still_open else "",
        },
        decided=progress.decided,
        open=progress.open,
        stale=progress.stale,
    )


def own_findings(store: ObjectStore, batch: str) -> list[BatchFindingItem]:
    """The batch's own findings as the batch page shows them (without its submissions)."""
    manifest = load_manifest(store, batch)
    return batch_finding_items(manifest.findings, batch_review(store, manifest))


def batch_finding_items(
    findings: Sequence[Finding], review: Review | None
) -> list[BatchFindingItem]:
    """The batch's own ``findings`` as the batch page shows them, each open (an error or
    warning without a decision in force, or whose decision is stale) or decided."""
    decisions = batch_decision_views(review)
    return [
        BatchFindingItem(
            id=f.id or f"n{number}",
            code=f.code.value,
            code_label=CODE_LABELS[f.code],
            severity=f.severity.value,
            severity_label=SEVERITY_LABELS[f.severity],
            key=f.key,
            message=f.message,
            open=f.severity in REVIEWED_SEVERITIES
            and (f.id not in decisions or decisions[f.id].stale),
            decision=decisions.get(f.id or ""),
        )
        for number, f in enumerate(findings, start=1)
    ]


# --- the submission page ----------------------------------------------------------------


@dataclass(frozen=True)
class CellChoice:
    """A correction of the members table: which member's cell (the rows read, one more to
    add a member the reading lost; the columns), chosen beforehand when the finding is
    about one cell."""

    rows: list[tuple[int, str]]
    columns: list[tuple[str, str]]
    row: int | None
    column: str | None


def cell_choice(report: Report, finding: Finding, rules: Rules) -> CellChoice | None:
    """The cell choice of a correctable finding of the members table; None for any other."""
    table = member_table(report, finding.field, rules)
    if table is None:
        return None
    members = members_of(report, table.key)
    rows = [(n, f"{n} {m.name or '（名称空白）'}") for n, m in enumerate(members, start=1)]
    rows.append((len(members) + 1, f"{len(members) + 1}（补充一家成员单位）"))
    labels = member_column_labels(rules.templates, report.annex)
    columns = [(key, labels.get(key, key)) for key in ("name", "type", "uscc")]
    cell = finding_cell(finding)
    return CellChoice(
        rows=rows,
        columns=columns,
        row=cell.row if cell else None,
        column=cell.column if cell else None,
    )


@dataclass(frozen=True)
class FindingItem:
    """One finding of the submission page: its words (``view``) and where it is."""

    id: str
    view: FindingView
    page: int | None
    bbox: tuple[float, float, float, float] | None
    crop: str | None
    open: bool
    correctable: bool = False
    field: str | None = None
    cell: CellChoice | None = None


@dataclass(frozen=True)
class FieldItem:
    """One row of the fields table: the paper's reading, the filing's value, how they stand."""

    view: FieldView
    online: str
    differs: bool
    agreement: str = ""


@dataclass(frozen=True)
class PageItem:
    number: int
    source_page: int
    image: bool
    width: float
    height: float
    boxes: list[FindingItem]


@dataclass(frozen=True)
class SubmissionView:
    batch: str
    submission: str
    title: str
    status: str
    status_label: str
    annex_label: str
    online_label: str
    source: str
    errors: int
    warnings: int
    findings: list[FindingItem]
    fields: list[FieldItem]
    pages: list[PageItem]
    review_threshold: str
    has_html: bool
    online_note: str | None = None
    review_label: str | None = None
    review_status: str | None = None
    decided: int = 0
    open: int = 0
    stale: int = 0
    gone: list[DecisionView] = field(default_factory=list)


@cache
def rules_of(directory: Path) -> Rules:
    """The rules the labels and the review threshold come from (read once per server)."""
    return load_rules(directory)


def form_order(rules: Rules, report: Report) -> Callable[[FieldView], tuple[int, int, str]]:
    """A sort key putting fields in the order the annex's form prints them (its fields,
    then its tables' rows), any other field after them by key."""
    template = rules.templates.get(report.annex)
    keys: list[str] = []
    if template is not None:
        keys += [spec.key for spec in template.fields]
        for table in template.tables:
            keys.append(table.key)
            keys += [
                f"{row.key}_{column.key}" for row in table.rows for column in table.columns[1:]
            ]
    place = {key: i for i, key in enumerate(keys)}
    return lambda view: (0, place[view.key], "") if view.key in place else (1, 0, view.key)


AGREEMENT_LABELS: dict[Agreement, str] = {
    Agreement.SAME: "一致",
    Agreement.DIFFERS: "不一致",
    Agreement.UNSURE: "未比对（纸质识别存疑）",
    Agreement.UNREAD: "未比对（纸质未识别）",
}
NOT_MATCHED = "—（未匹配网上记录）"
NOT_ONLINE = "—（网上无此项）"
ONLINE_BLANK = "（网上未填）"


class OnlineExports:
    """The batches' online exports, each loaded once (``usecases.filing.batch_export``)
    and the last few kept, keyed by the export's sha256: the app serves many requests, and
    an export of thousands of filings takes a while to read. An export the store does not
    hold (yet) is not kept: a ``shenbao reconcile`` may store it meanwhile."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._cache: OrderedDict[str, BatchExport] = OrderedDict()
        self._lock = threading.Lock()
        self._loading = threading.Lock()
        self.loads = 0  # exports read from the store (tests)

    def of(self, store: ObjectStore, manifest: Manifest, rules: Rules) -> BatchExport:
        ref = manifest.online
        if ref is None:
            return BatchExport(ExportState.NONE)
        with self._loading:  # one reading of an export at a time, never two of the same
            with self._lock:
                if ref.sha256 in self._cache:
                    self._cache.move_to_end(ref.sha256)
                    return self._cache[ref.sha256]
            export = batch_export(store, manifest, rules)
            self.loads += export.state is ExportState.LOADED
            if export.state is ExportState.LOADED and self.size:
                with self._lock:
                    self._cache[ref.sha256] = export
                    while len(self._cache) > self.size:
                        self._cache.popitem(last=False)
        return export


def _export_note(report: Report, export: BatchExport) -> str | None:
    """Why the submission's filing cannot be shown field by field (one line), or None."""
    if report.online is None:
        return None
    record = report.online.record_id
    if export.state is ExportState.LOADED:
        if export.records is not None and record in export.records:
            return None
        return f"网上填报导出（{export.file}）中没有记录 {record}，无法逐项对照。"
    if export.state is ExportState.NOT_KEPT:
        return (
            f"本批次保存时存储中尚未保留网上填报导出（{export.file}），无法逐项对照；"
            f"用 shenbao reconcile --batch {report.batch} --online 导出文件 重新核对后即可。"
        )
    if export.state is ExportState.UNREADABLE:
        return f"存储中的网上填报导出（{export.file}）无法读取，无法逐项对照。"
    return "本批次核对时没有网上填报导出，无法逐项对照。"


def _from_findings(
    report: Report, key: str, compared: frozenset[str], threshold: float
) -> tuple[str, bool, str]:
    """The online value of field ``key`` as the report alone knows it (the export is not
    at hand): a finding on the field carrying it; a field the export's columns hold, read
    surely and with no such finding, agreed with the paper."""
    for finding in report.findings:
        if finding.field == key and finding.online is not None:
            return format_value(finding.online), True, AGREEMENT_LABELS[Agreement.DIFFERS]
    if report.online is None:
        return NOT_MATCHED, False, ""
    if key not in compared:
        return NOT_ONLINE, False, ""
    reading = report.fields.get(key)
    if reading is None:
        return "—", False, AGREEMENT_LABELS[Agreement.UNREAD]
    if reading.confidence < threshold:
        return "—", False, AGREEMENT_LABELS[Agreement.UNSURE]
    return "与纸质一致", False, AGREEMENT_LABELS[Agreement.SAME]


def field_items(
    report: Report,
    views: list[FieldView],
    rules: Rules,
    export: BatchExport,
) -> list[FieldItem]:
    """The submission page's fields: each paper value beside its online filing's.

    With the batch's export at hand and the report's filing in it, every field the online
    comparison covers is shown with the filing's value and how the two stand (compared as
    the checks compare them, ``usecases.filing.beside_filing``) — a field the paper lacks
    too. Otherwise the online values the findings carry (``_from_findings``).
    """
    record = None
    if report.online is not None and export.records is not None:
        record = export.records.get(report.online.record_id)
    order = form_order(rules, report)
    if record is None:
        compared = frozenset(c.key for c in rules.export_columns.columns)
        threshold = rules.review.review_threshold
        items = []
        for view in sorted(views, key=order):
            online, differs, agreement = _from_findings(report, view.key, compared, threshold)
            items.append(FieldItem(view=view, online=online, differs=differs, agreement=agreement))
        return items
    beside = beside_filing(report, record, rules)
    labels = field_labels(rules.templates, report.annex)
    unread = [
        FieldView(
            key=key,
            label=label_of(key, labels),
            value="—（未识别）",
            raw="",
            page="—",
            confidence="—",
            flagged=False,
            crop=None,
        )
        for key in beside
        if key not in report.fields
    ]
    items = []
    for view in sorted([*views, *unread], key=order):
        pair = beside.get(view.key)
        if pair is None:
            items.append(FieldItem(view=view, online=NOT_ONLINE, differs=False, agreement=""))
            continue
        filed = pair.online
        if isinstance(filed, int) and not isinstance(filed, bool) and isinstance(pair.paper, float):
            filed = float(filed)  # 5000 filed for 5000.00 written: shown as the form prints it
        online = format_value(filed)
        items.append(
            FieldItem(
                view=view,
                online=ONLINE_BLANK if online == EMPTY else online,
                differs=pair.agreement is Agreement.DIFFERS,
                agreement=AGREEMENT_LABELS[pair.agreement],
            )
        )
    return items


def _has_image(page: Page) -> bool:
    return page.kind is not SourceKind.DOCX


def submission_view(
    store: ObjectStore, rules: Rules, batch: str, submission: str, exports: OnlineExports
) -> SubmissionView:
    security.submission_report(store, batch, submission)  # 404 unless stored
    report = load_report(store, batch, submission)
    if report is None:
        raise NotStoredError(report_key(batch, submission))
    report = with_decisions(store, report)
    view = report_view(
        report,
        rules.templates,
        evidence={},
        thumbnails={},
        review_threshold=rules.review.review_threshold,
    )
    opened = open_finding_ids(report)
    pages = {p.number: p for p in report.pages}
    items = []
    for finding_view in view.findings:
        finding = report.findings[finding_view.number - 1]
        on_page = finding.page if finding.page in pages else None
        correctable = finding.code in CORRECTABLE and finding.field is not None
        items.append(
            FindingItem(
                id=finding.id or f"n{finding_view.number}",
                view=finding_view,
                page=on_page,
                bbox=tuple(finding.bbox) if finding.bbox and on_page else None,  # type: ignore[arg-type]
                crop=f"/files/{finding.evidence}" if finding.evidence else None,
                open=finding.id in opened,
                correctable=correctable,
                field=finding.field,
                cell=cell_choice(report, finding, rules) if correctable else None,
            )
        )
    export = exports.of(store, load_manifest(store, batch), rules)
    fields = field_items(report, view.fields, rules, export)
    page_items = [
        PageItem(
            number=p.number,
            source_page=p.source_page,
            image=_has_image(p),
            width=p.width_pt,
            height=p.height_pt,
            boxes=[i for i in items if i.page == p.number and i.bbox is not None],
        )
        for p in report.pages
    ]
    return SubmissionView(
        batch=batch,
        submission=submission,
        title=view.title,
        status=view.status,
        status_label=view.status_label,
        annex_label=view.annex_label,
        online_label=view.online_label,
        source=f"{report.source.file}（{view.pages_label}）",
        errors=view.counts.get("error", 0),
        warnings=view.counts.get("warning", 0),
        findings=items,
        fields=fields,
        pages=page_items,
        review_threshold=view.review_threshold,
        has_html=store.exists(f"reports/{batch}/{submission}/report.html"),
        online_note=_export_note(report, export),
        review_label=view.review_label,
        review_status=view.review_status,
        decided=view.decided,
        open=view.open,
        stale=view.stale,
        # corrections in force whose finding the corrected value cleared
        gone=[d for d in view.decisions if d.finding not in {f.id for f in report.findings}],
    )


# --- page images ------------------------------------------------------------------------


class PageImages:
    """Page images rendered from the kept originals, the last few kept in memory."""

    def __init__(self, settings: PageImageSettings) -> None:
        self.settings = settings
        self._cache: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def image(self, store: ObjectStore, report: Report, page: Page) -> bytes | None:
        """The upright page as JPEG; None when it cannot be drawn (original gone, page too
        large, a Word page)."""
        if not _has_image(page):
            return None
        key = (report.source.sha256, page.source_page, page.rotation, page.skew_deg, page.kind)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        data = self._render(store, report, page)
        if data is not None and self.settings.cache_pages:
            with self._lock:
                self._cache[key] = data
                while len(self._cache) > self.settings.cache_pages:
                    self._cache.popitem(last=False)
        return data

    def _render(self, store: ObjectStore, report: Report, page: Page) -> bytes | None:
        dpi = self.settings.dpi
        width = round(page.width_pt / 72 * dpi)
        height = round(page.height_pt / 72 * dpi)
        if width * height > self.settings.max_pixels:
            return None
        settings = Settings()
        with tempfile.TemporaryDirectory(prefix="shenbao-page-") as folder:
            try:
                sniffed = fetch_original(
                    store, report.source.file, report.source.sha256, Path(folder), settings
                )
            except PipelineError:
                return None
            if sniffed is None or sniffed.quarantined:
                return None
            for _, image in normalised_page_images(
                sniffed, {page.source_page: page}, set(), settings, detailed_dpi=dpi, small_dpi=dpi
            ):
                if image.shape[1] > width * 1.1:  # a scan comes at its own resolution
                    size = (width, round(image.shape[0] * width / image.shape[1]))
                    image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
                ok, encoded = cv2.imencode(
                    ".jpg",
                    cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, self.settings.jpeg_quality],
                )
                return encoded.tobytes() if ok else None
        return None


_SHARED = threading.Lock()
T = TypeVar("T")


def _shared(request: Request, name: str, make: Callable[[], T]) -> T:
    """The app's one ``name`` (a cache, the republisher), made on first use."""
    state = request.app.state
    with _SHARED:
        if not hasattr(state, name):
            setattr(state, name, make())
        found: T = getattr(state, name)
    return found


def _online_exports(request: Request) -> OnlineExports:
    size = workbench(request).settings.online_exports
    return _shared(request, "online_exports", lambda: OnlineExports(size))


def _page_images(request: Request) -> PageImages:
    settings = workbench(request).settings.page_images
    return _shared(request, "page_images", lambda: PageImages(settings))


# --- decisions --------------------------------------------------------------------------


class Republisher:
    """What a decision changes in the published pages (the report with its review, its
    report.html, the batch's index.html and summary.xlsx: ``usecases.review.
    republish_review``), done after the answer, one at a time, by one worker thread.

    Republishing re-renders the submission's evidence from its original: seconds per
    decision (PNG encoding of the crops dominates), which the reviewer need not wait for:
    the workbench's own pages follow the decision objects (``with_decisions``) at once.
    One worker in order, each job reading the latest decisions, so the last one published
    holds them all; a job waiting for a submission already queued is not queued again. A
    correction publishes its re-checked report at once under ``lock``, which the worker
    also holds, so an older report is never published over a corrected one.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._queued: set[tuple[str, str]] = set()
        self._guard = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="shenbao-republish")
        self._last: Future[None] | None = None

    def submit(self, store: ObjectStore, batch: str, submission: str) -> None:
        with self._guard:
            if (batch, submission) in self._queued:
                return
            self._queued.add((batch, submission))
            self._last = self._pool.submit(self._run, store, batch, submission)

    def _run(self, store: ObjectStore, batch: str, submission: str) -> None:
        with self._guard:
            self._queued.discard((batch, submission))
        settings = Settings()
        rules = rules_of(settings.rules_dir)
        try:
            if submission == BATCH_LEVEL:  # one of the batch's own findings: its pages only
                with self.lock:
                    republish_batch_pages(store, batch, rules)
                return
            with self.lock, tempfile.TemporaryDirectory(prefix="shenbao-review-") as folder:
                manifest = review_manifest(store, batch)
                report = load_report(store, batch, submission)
                if report is None:
                    return
                sniffed = original_of(store, manifest, report, Path(folder), settings)
                republish_review(store, manifest, rules, settings, submission, sniffed)
        except Exception:  # a failed republish must not end the worker; the decision is kept
            log.exception("%s/%s: pages not republished after a decision", batch, submission)

    def wait(self) -> None:
        """Until every job submitted so far is done (tests; a server's shutdown)."""
        while True:
            with self._guard:
                last = self._last
            if last is None:
                return
            last.result()
            with self._guard:
                if self._last is last:
                    return


def _republisher(request: Request) -> Republisher:
    return _shared(request, "republisher", Republisher)


def next_open(before: list[str], decided: str, still_open: list[str]) -> str | None:
    """The finding to select after a decision on ``decided``: the first still-open one
    after it in the page's order as it was (``before``), wrapping round; else the first
    open one of the page now (a correction may raise new ones); None when none is open."""
    if decided in before:
        place = before.index(decided)
        for finding in before[place + 1 :] + before[:place]:
            if finding in still_open:
                return finding
    return still_open[0] if still_open else None


def _text_of(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _cell_of(form: FormData) -> MemberCell | None:
    """The member's cell a correction's form names (``row``, ``column``); None without.

    Raises:
        InputError: a row or column that is none of the table's.
    """
    row, column = _text_of(form, "row"), _text_of(form, "column")
    if not row and not column:
        return None
    try:
        return MemberCell.model_validate({"row": row, "column": column})
    except ValidationError:
        raise InputError("请选择要更正的成员单位所在行和列。") from None


def _chinese(message: str) -> str:
    """An InputError's words for the page: its Chinese half (the errors read
    "中文 / English")."""
    return message.split(" / ", 1)[0]


# --- routes -----------------------------------------------------------------------------


def add_pages(app: FastAPI) -> None:
    """The batch page, the submission page and the page images."""

    @app.get("/batches/{batch}", response_class=HTMLResponse)
    def batch_page(
        request: Request,
        batch: str,
        user: Annotated[User, Depends(current_user)],
        status: str = "",
        code: str = "",
        city: str = "",
        open: str = "",
    ) -> Response:
        return _batch_page(request, batch, user, status, code, city, open == "1")

    def _batch_page(
        request: Request,
        batch: str,
        user: User,
        status: str = "",
        code: str = "",
        city: str = "",
        still_open: bool = False,
        *,
        error: str | None = None,
        chosen: str | None = None,
        status_code: int = 200,
    ) -> Response:
        view = batch_view(workbench(request).store, batch, status, code, city, still_open)
        context = {
            "view": view,
            "can_decide": user.role.allows(Role.REVIEWER),
            "error": error,
            "chosen": chosen,
        }
        return render(request, "batch.html.j2", context, user=user, status_code=status_code)

    @app.post("/batches/{batch}/decisions", response_class=HTMLResponse)
    def batch_decision(
        request: Request,
        batch: str,
        user: Annotated[User, Depends(require_role(Role.REVIEWER))],
        form: Annotated[FormData, Depends(checked_form)],
    ) -> Response:
        """A reviewer's decision on one of the batch's own findings (confirm or dismiss:
        ``usecases.review.decide`` with no submission, as ``review decide`` without
        ``--submission``), then back to the batch page at the next open one; a refused
        decision shows the page again with the reason in Chinese."""
        store = workbench(request).store
        security.batch_manifest(store, batch)  # 404 unless stored
        finding = _text_of(form, "finding")
        reason = _text_of(form, "reason")
        before = [i.id for i in own_findings(store, batch)]
        try:
            action = Action(_text_of(form, "action"))
            if action is Action.CORRECT:
                raise InputError("批次问题只能确认或驳回，不能更正。")
            if action is Action.DISMISS and not reason:
                raise InputError("驳回需要填写理由。")
            decide(
                store,
                rules_of(Settings().rules_dir),
                Settings(),
                batch=batch,
                submission=None,
                finding=finding,
                action=action,
                user=user.name,
                reason=reason,
                republish=False,
            )
            _republisher(request).submit(store, batch, BATCH_LEVEL)
        except ValueError:
            return _batch_page(request, batch, user, error="未知的复核操作。", status_code=400)
        except InputError as exc:
            return _batch_page(
                request, batch, user, error=_chinese(str(exc)), chosen=finding, status_code=400
            )
        after = own_findings(store, batch)
        target = next_open(before, finding, [i.id for i in after if i.open])
        where = f"/batches/{quote(batch)}"
        return RedirectResponse(
            where + (f"#finding-{target}" if target else "#batch-findings"), status_code=303
        )

    @app.get("/batches/{batch}/{submission}", response_class=HTMLResponse)
    def submission_page(
        request: Request,
        batch: str,
        submission: str,
        user: Annotated[User, Depends(current_user)],
    ) -> Response:
        return _submission_page(request, batch, submission, user)

    @app.post("/batches/{batch}/{submission}/decisions", response_class=HTMLResponse)
    def decision(
        request: Request,
        batch: str,
        submission: str,
        user: Annotated[User, Depends(require_role(Role.REVIEWER))],
        form: Annotated[FormData, Depends(checked_form)],
    ) -> Response:
        """A reviewer's decision on one finding (``usecases.review.decide``, as the
        command line's), then back to the page at the next open finding; a refused
        decision shows the page again with the reason in Chinese."""
        store = workbench(request).store
        security.submission_report(store, batch, submission)  # 404 unless stored
        finding = _text_of(form, "finding")
        settings = Settings()
        rules = rules_of(settings.rules_dir)
        exports = _online_exports(request)
        before = [i.id for i in submission_view(store, rules, batch, submission, exports).findings]
        reason, value = _text_of(form, "reason"), _text_of(form, "value")
        try:
            action = Action(_text_of(form, "action"))
            cell = _cell_of(form) if action is Action.CORRECT else None
            if action is Action.DISMISS and not reason:
                raise InputError("驳回需要填写理由。")
            if action is Action.CORRECT and not value:
                raise InputError("更正需要填写正确的值。")
            republisher = _republisher(request)
            # a correction publishes its re-checked report now (under the worker's lock);
            # the pages with the review follow after the answer (``Republisher``)
            with republisher.lock if action is Action.CORRECT else contextlib.nullcontext():
                decide(
                    store,
                    rules,
                    settings,
                    batch=batch,
                    submission=submission,
                    finding=finding,
                    action=action,
                    user=user.name,
                    reason=reason,
                    value=value if action is Action.CORRECT else None,
                    cell=cell,
                    republish=False,
                )
            republisher.submit(store, batch, submission)
        except ValueError:
            return _submission_page(
                request, batch, submission, user, error="未知的复核操作。", status_code=400
            )
        except InputError as exc:
            return _submission_page(
                request,
                batch,
                submission,
                user,
                error=_chinese(str(exc)),
                chosen=finding,
                status_code=400,
            )
        after = submission_view(store, rules, batch, submission, exports)
        target = next_open(before, finding, [i.id for i in after.findings if i.open])
        where = f"/batches/{quote(batch)}/{quote(submission)}"
        return RedirectResponse(
            where + (f"#finding-{target}" if target else "#findings"), status_code=303
        )

    def _submission_page(
        request: Request,
        batch: str,
        submission: str,
        user: User,
        *,
        error: str | None = None,
        chosen: str | None = None,
        status_code: int = 200,
    ) -> Response:
        rules = rules_of(Settings().rules_dir)
        view = submission_view(
            workbench(request).store, rules, batch, submission, _online_exports(request)
        )
        context = {
            "view": view,
            "can_decide": user.role.allows(Role.REVIEWER),
            "error": error,
            "chosen": chosen,
        }
        return render(request, "submission.html.j2", context, user=user, status_code=status_code)

    @app.get("/batches/{batch}/{submission}/pages/{number}.jpg")
    def page_image(
        request: Request,
        batch: str,
        submission: str,
        number: str,
        user: Annotated[User, Depends(file_user)],
    ) -> Response:
        store = workbench(request).store
        security.submission_report(store, batch, submission)
        if not _PAGE_NUMBER.fullmatch(number):
            raise NotStoredError(f"{batch}/{submission}/page {number!r}")
        report = load_report(store, batch, submission)
        wanted = int(number)
        page = next((p for p in report.pages if p.number == wanted), None) if report else None
        if report is None or page is None:
            raise NotStoredError(f"{batch}/{submission}/page {number}")
        data = _page_images(request).image(store, report, page)
        if data is None:
            raise NotStoredError(f"{batch}/{submission}/page {number}")
        return Response(data, media_type="image/jpeg")
