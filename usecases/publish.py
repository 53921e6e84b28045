"""Publishing a checked batch: one path for the batch run, the reconcile run and the bench.

Written per DESIGN.md's object layout: ``report.json`` (checked against the schema) and
``report.html`` with their earlier versions kept, the evidence crops, each input once
under ``originals/{sha256}``, ``manifest.json``, ``index.html`` and ``summary.xlsx``.
Rendering is ``reports``; here is only what goes where, and in which order.

Nothing is written when the store already holds the same bytes, so re-publishing an
unchanged batch writes no object (on S3 the index is re-signed: its links expire).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence

from pydantic import Field

from pipeline import ingest
from pipeline.model import (
    Finding,
    Frozen,
    Manifest,
    OnlineExportRef,
    OnlineRecord,
    Page,
    Report,
    SourceKind,
)
from pipeline.rulebook import Rules
from pipeline.run import SpooledReport, normalised_page_images
from pipeline.settings import Settings
from reports import (
    LinkFor,
    attach_evidence,
    page_evidence,
    page_marks,
    pages_with_crops,
    plan_evidence,
    relative_link,
    render_index_html,
    render_report_html,
    render_summary_xlsx,
    thumbnail_png,
)
from reports.validate import check_report_json
from storage.base import (
    ObjectMissingError,
    ObjectStore,
    evidence_key,
    index_key,
    json_bytes,
    manifest_key,
    original_key,
    put_versioned,
    report_html_key,
    report_key,
    summary_key,
)
from storage.minio_store import MinioStore
from usecases.check import BatchCheck, batch_check
from usecases.review import batch_review, corrections_carried, reviewed_from
from usecases.steps import InTurn, Log, Steps

log = logging.getLogger(__name__)

# Evidence crops come from pages rendered at the resolution OCR read them at; pages that
# only need a thumbnail are rendered small.
EVIDENCE_DPI = 200
THUMBNAIL_DPI = 36

Told = Callable[[int], object]
"""Told how many more submissions are published (a progress display)."""


class BatchResult(Frozen):
    """What a batch run produced, small enough to return from a flow."""

    batch: str
    manifest_key: str
    manifest_location: str = Field(description="where a person finds the manifest")
    files: int
    processed: int
    quarantined: int
    online: OnlineExportRef | None = None
    index_key: str = ""
    index_location: str = Field("", description="where a person opens the batch index")
    written: int = Field(0, description="objects written by this run (0: nothing changed)")


def put_if_changed(store: ObjectStore, key: str, data: bytes, content_type: str) -> bool:
    """Write ``data`` unless ``key`` holds exactly it; whether anything was written."""
    try:
        if store.get_bytes(key) == data:
            return False
    except ObjectMissingError:
        pass
    store.put_bytes(key, data, content_type)
    return True


def already_published(store: ObjectStore, report: Report) -> bool:
    """Whether the store holds this very report: the same ``report.json`` (its evidence
    keys planned from the report itself, so no page is rendered to know), its
    ``report.html`` and every evidence crop. The crops and the page are a function of the
    report and the original file (whose hash the report carries), so nothing would change.
    """
    sid = report.submission_id
    keys = {c.name: evidence_key(report.batch, sid, c.name) for c in plan_evidence(report)}
    try:
        stored = store.get_bytes(report_key(report.batch, sid))
    except ObjectMissingError:
        return False
    return (
        stored == json_bytes(attach_evidence(report, keys))
        and store.exists(report_html_key(report.batch, sid))
        and all(store.exists(key) for key in keys.values())
    )


def publish_reports(
    store: ObjectStore,
    sniffed: ingest.SniffedFile | None,
    reports: list[Report],
    rules: Rules,
    settings: Settings,
    done: Told | None = None,
) -> int:
    """Write the reports of one input file: evidence, ``report.json``, ``report.html``.

    The file's pages are rendered once for all its submissions, one page at a time; with
    no file (``None``: its original is gone) the reports go without crops and thumbnails.
    A report the store already holds exactly (``already_published``) is skipped, pages and
    all: an unchanged batch re-runs without rendering. ``done`` is told of the skipped
    ones at once, then of each report as it is written.
    Each report carries its review: what the store's decisions make of it (``reviewed``).
    Returns how many objects were written.
    """
    reports = reviewed_from(store, reports)
    published = {r.submission_id for r in reports if already_published(store, r)}
    if done is not None:
        done(len(published))
    # an unchanged report is not rendered again, nor are its pages
    reports = [r for r in reports if r.submission_id not in published]
    wanted: dict[int, list[tuple[Report, Page]]] = {}
    detailed: set[int] = set()
    for report in reports:
        crops_on = pages_with_crops(report)
        for page in report.pages:
            if page.kind is SourceKind.DOCX:
                continue
            wanted.setdefault(page.source_page, []).append((report, page))
            if page.number in crops_on:
                detailed.add(page.source_page)
    crops: dict[str, dict[str, bytes]] = {r.submission_id: {} for r in reports}
    thumbnails: dict[str, dict[int, bytes]] = {r.submission_id: {} for r in reports}
    if wanted and sniffed is not None and not sniffed.quarantined:
        pages = {number: entries[0][1] for number, entries in wanted.items()}
        images = normalised_page_images(
            sniffed, pages, detailed, settings, detailed_dpi=EVIDENCE_DPI, small_dpi=THUMBNAIL_DPI
        )
        for file_page, image in images:
            for report, page in wanted[file_page]:
                crops[report.submission_id].update(page_evidence(report, page.number, image))
                marks = page_marks(report, page.number)
                thumbnails[report.submission_id][page.number] = thumbnail_png(image, marks)

    written = 0
    for report in reports:
        sid = report.submission_id
        keys = {name: evidence_key(report.batch, sid, name) for name in crops[sid]}
        for name, png in sorted(crops[sid].items()):
            written += put_if_changed(store, keys[name], png, "image/png")
        report = attach_evidence(report, keys)
        report_json = json_bytes(report)
        check_report_json(report_json)
        written += put_versioned(
            store, report_key(report.batch, sid), report_json, "application/json"
        ).written
        html = render_report_html(
            report,
            rules.templates,
            evidence=crops[sid],
            thumbnails=thumbnails[sid],
            review_threshold=rules.review.review_threshold,
        )
        written += put_versioned(
            store, report_html_key(report.batch, sid), html, "text/html; charset=utf-8"
        ).written
        if done is not None:
            done(1)
    return written


def publish_spooled(
    store: ObjectStore,
    sniffed: ingest.SniffedFile | None,
    spooled: list[SpooledReport],
    check: BatchCheck,
    rules: Rules,
    settings: Settings,
    done: Told | None = None,
) -> int:
    """``publish_reports`` of one input file's reports, taken from the spool with what the
    checks across the batch found of them (``check``). Returns the objects written."""
    reports = [check.apply(s.load()) for s in spooled]
    return publish_reports(store, sniffed, reports, rules, settings, done)


def store_original(
    store: ObjectStore, sniffed: ingest.SniffedFile, settings: Settings, log: Log = log
) -> int:
    """Keep the input under ``originals/{sha256}``, once: skipped when it is there."""
    sha256 = sniffed.entry.sha256
    if sha256 is None or sniffed.entry.size > settings.max_file_bytes:
        return 0  # unreadable, or refused as too large: the manifest tells of it
    key = original_key(sha256)
    if store.exists(key):
        return 0
    try:
        data = sniffed.source.path.read_bytes()
    except OSError as exc:
        log.warning("%s not kept: %s", sniffed.source.name, exc.strerror or exc)
        return 0
    if hashlib.sha256(data).hexdigest() != sha256:
        log.warning("%s changed while the batch ran: not kept", sniffed.source.name)
        return 0
    store.put_bytes(key, data, "application/octet-stream")
    return 1


def index_links(store: ObjectStore, batch: str) -> LinkFor:
    """Relative links on a local store; on S3, presigned links (the bucket is private),
    lasting the store's one link lifetime (``MinioSettings.link_expiry_s``)."""
    if isinstance(store, MinioStore):
        return lambda key: store.presigned_url(key)
    return relative_link(index_key(batch))


def write_manifest(store: ObjectStore, manifest: Manifest) -> tuple[str, int]:
    key = manifest_key(manifest.batch)
    return key, int(put_if_changed(store, key, json_bytes(manifest), "application/json"))


def write_batch_pages(
    store: ObjectStore,
    manifest: Manifest,
    reports: list[Report],
    rules: Rules,
) -> tuple[str, int]:
    """``index.html`` and ``summary.xlsx`` of the batch; the index's key and objects written.

    The batch's own findings (PAPER_MISSING …) are the manifest's: one source for both;
    the reviewers' decisions on them are the store's (``review.batch_review``), held to
    the findings as they are now (a changed one shown 需重新复核).
    """
    batch = manifest.batch
    own_review = batch_review(store, manifest)
    index = render_index_html(
        manifest,
        reports,
        index_links(store, batch),
        lambda report: report_html_key(batch, report.submission_id),
        manifest.findings,
        review_threshold=rules.review.review_threshold,
        batch_review=own_review,
    )
    summary = render_summary_xlsx(
        manifest, reports, rules.templates, manifest.findings, batch_review=own_review
    )
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    written = int(put_if_changed(store, index_key(batch), index, "text/html; charset=utf-8"))
    written += put_if_changed(store, summary_key(batch), summary, xlsx)
    return index_key(batch), written


def batch_manifest(
    batch: str,
    online: OnlineExportRef | None,
    received: dt.date | None,
    sniffed: Sequence[ingest.SniffedFile],
    reports: Sequence[Report],
    findings: tuple[Finding, ...],
) -> Manifest:
    """The manifest of a batch run: every input file, as sniffed, with the ids of its
    submissions' ``reports`` (in their order), and the batch's own ``findings``."""
    submissions: dict[str, list[str]] = {}
    for report in reports:
        submissions.setdefault(report.source.file, []).append(report.submission_id)
    entries = tuple(
        s.entry.model_copy(update={"submissions": tuple(submissions.get(s.entry.file, ()))})
        for s in sniffed
    )
    return Manifest(batch=batch, online=online, received=received, files=entries, findings=findings)


def publish_batch(
    store: ObjectStore,
    manifest: Manifest,
    waiting: Sequence[tuple[SpooledReport, Report]],
    check: BatchCheck,
    rules: Rules,
    settings: Settings,
    sources: Mapping[str, ingest.SniffedFile | None],
    *,
    originals: Sequence[ingest.SniffedFile] = (),
    steps: Steps | None = None,
    done: Told | None = None,
    log: Log = log,
) -> tuple[BatchResult, list[Report]]:
    """Publish a checked batch: each file's reports, the inputs kept, the manifest, and
    last the index and the summary that link to them.

    Args:
        manifest: the batch's manifest as it is to be written.
        waiting: each report waiting in the spool, with the batch's lean copy of it
            (``read.read_and_check``), in the batch's order.
        check: what the checks across the batch found (``check.batch_check``), applied
            to each report as it is published.
        sources: each input file by name, to render its evidence from (None, or not
            there: its reports go without crops and thumbnails).
        originals: the input files to keep under ``originals/``.
        steps: how the steps run (one after another here by default; the flows run
            them as tasks, the files' at once).
        done: told of the submissions published (``publish_reports``).

    Returns:
        What the run produced, and the batch's reports as published (lean).
    """
    steps = steps or InTurn()
    reports = reviewed_from(store, [check.apply(lean) for _, lean in waiting])
    by_file: dict[str, list[SpooledReport]] = {}
    for (spooled, _), report in zip(waiting, reports, strict=True):
        by_file.setdefault(report.source.file, []).append(spooled)
    files = [entry.file for entry in manifest.files if entry.file in by_file]
    written = sum(
        steps.each(
            publish_spooled,
            over={
                "sniffed": [sources.get(f) for f in files],
                "spooled": [by_file[f] for f in files],
            },
            store=store,
            check=check,
            rules=rules,
            settings=settings,
            done=done,
        )
    )
    written += sum(
        steps.each(
            store_original, over={"sniffed": originals}, store=store, settings=settings, log=log
        )
    )
    key, manifest_written = steps.one(write_manifest, store=store, manifest=manifest)
    index, pages_written = steps.one(
        write_batch_pages,
        store=store,
        manifest=manifest,
        reports=reports,
        rules=rules,
    )
    written += manifest_written + pages_written
    quarantined = sum(e.state == "quarantined" for e in manifest.files)
    result = BatchResult(
        batch=manifest.batch,
        manifest_key=key,
        manifest_location=store.location(key),
        files=len(manifest.files),
        processed=len(manifest.files) - quarantined,
        quarantined=quarantined,
        online=manifest.online,
        index_key=index,
        index_location=store.location(index),
        written=written,
    )
    return result, reports


def check_and_publish(
    store: ObjectStore,
    batch: str,
    online: OnlineExportRef | None,
    records: tuple[OnlineRecord, ...] | None,
    received: dt.date | None,
    sniffed: Sequence[ingest.SniffedFile],
    waiting: Sequence[tuple[SpooledReport, Report]],
    rules: Rules,
    settings: Settings,
    *,
    steps: Steps | None = None,
    done: Told | None = None,
    log: Log = log,
) -> tuple[BatchResult, Manifest, list[Report]]:
    """The end of a batch run: the checks across the batch (``check.batch_check``), with
    the online export's ``records`` (None: no export given), then the batch's manifest and
    everything published (``publish_batch``), evidence rendered from each input file as
    ``sniffed`` and every one kept.

    Args:
        batch: the batch's id.
        online: the online export as the manifest records it.
        received: the day the batch's paper was received, as the manifest records it.
        sniffed: every input file of the batch (``read.read_and_check``'s).
        waiting: the batch's reports (``read.read_and_check``'s).
        steps, done: see ``publish_batch``.

    Returns:
        What the run produced, the manifest written, and the reports as published (lean).
    """
    # a re-run keeps the reviewers' corrections: applied again before the batch checks
    waiting = corrections_carried(store, batch, list(waiting), rules)
    leans = [lean for _, lean in waiting]
    found = batch_check(leans, records, rules)
    for finding in found.batch_findings:  # in the manifest, not a report
        log.warning("online filing %s has no paper in this batch", finding.key)
    manifest = batch_manifest(batch, online, received, sniffed, leans, found.batch_findings)
    result, reports = publish_batch(
        store,
        manifest,
        waiting,
        found,
        rules,
        settings,
        {s.entry.file: s for s in sniffed},
        originals=sniffed,
        steps=steps,
        done=done,
        log=log,
    )
    return result, manifest, reports
