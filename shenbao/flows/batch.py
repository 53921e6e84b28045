"""The batch flow behind ``shenbao run``: every input file accounted for in the store.

Thin: each step is a pipeline function run as a task. A batch reads its files, builds a
report per submission and writes, per DESIGN.md's object layout: ``report.json`` (checked
against the schema) and ``report.html`` with their earlier versions kept, the evidence
crops, ``manifest.json``, ``index.html``, ``summary.xlsx`` and each input once under
``originals/{sha256}``. Rendering is ``shenbao.reports``; here is only where it goes.
Nothing is written when the store already holds the same bytes, so re-running an
unchanged batch writes no object (on S3 the index is re-signed: its links expire). The
online export is only recorded so far.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import Task, flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from pydantic import Field

from shenbao.extractors.review import load_review_rules
from shenbao.flows.checking import check_batch, checker
from shenbao.pipeline import ingest
from shenbao.pipeline.config import (
    TemplateSpec,
    load_campaign,
    load_export_mapping,
    load_templates,
)
from shenbao.pipeline.model import (
    Annex,
    Finding,
    Frozen,
    Manifest,
    OnlineExportRef,
    Page,
    Report,
    SourceKind,
)
from shenbao.pipeline.online import OnlineExport, load_online_export
from shenbao.pipeline.pool import PagePool
from shenbao.pipeline.run import (
    Document,
    PageCache,
    build_report,
    normalised_page_images,
    read_document,
    unique_ids,
    unreadable_submission,
)
from shenbao.pipeline.settings import Settings
from shenbao.reports import (
    LinkFor,
    attach_evidence,
    page_evidence,
    page_marks,
    pages_with_crops,
    relative_link,
    render_index_html,
    render_report_html,
    render_summary_xlsx,
    thumbnail_png,
)
from shenbao.reports.validate import check_report_json
from shenbao.storage.base import (
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
from shenbao.storage.local_store import open_store
from shenbao.storage.minio_store import MinioStore

# Evidence crops come from pages rendered at the resolution OCR read them at; pages that
# only need a thumbnail are rendered small.
EVIDENCE_DPI = 200
THUMBNAIL_DPI = 36
INDEX_LINK_LIFETIME = timedelta(days=7)  # the longest S3 allows


def retry_if_transient(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """Prefect retry condition: retry only errors that say trying again can help."""
    error = state.result(raise_on_failure=False)
    return bool(getattr(error, "retryable", False))


# Every step shares one policy: transient errors are retried, nothing is cached across
# runs (a file's path says nothing about its content).
step = task(
    retries=3,
    retry_delay_seconds=[1, 5, 20],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)


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


def check_run(
    paths: list[str],
    online: str | None,
    batch: str | None,
    store: str,
    received: str | None = None,
) -> tuple[ObjectStore, OnlineExportRef | None]:
    """What a run needs before it starts, checked, so a typo fails at once.

    Returns:
        The opened store and the recorded online export (None when not given).

    Raises:
        InputError: no inputs, a missing input path, an invalid batch id or receipt
            date, or an unreadable online export.
        StorageError: the store URI is malformed or its backend unavailable.
    """
    ingest.require_inputs([Path(p) for p in paths])
    if batch is not None:
        ingest.check_batch_id(batch)
    if received is not None:
        ingest.parse_received(received)
    object_store = open_store(store)
    if online is None:
        return object_store, None
    sha256, size = ingest.file_digest(Path(online))
    return object_store, OnlineExportRef(file=Path(online).name, sha256=sha256, size=size)


@step
def load_export(path: Path, settings: Settings) -> OnlineExport:
    """The online export through the column mapping; its bad rows logged, never dropped."""
    export = load_online_export(
        path, load_export_mapping(settings.config_dir / "export_columns.yaml")
    )
    logger = get_run_logger()
    logger.info(
        "online export %s: %d filings, %d rows with problems",
        path.name,
        len(export.records),
        len(export.problems),
    )
    for problem in export.problems:
        logger.warning("online export row %d: %s", problem.row, problem.reason_en)
    return export


@step
def find_files(paths: list[str]) -> list[ingest.InputFile]:
    return ingest.discover([Path(p) for p in paths])


@step
def sniff_file(source: ingest.InputFile, settings: Settings) -> ingest.SniffedFile:
    return ingest.sniff(source, settings)


@step
def read_file(
    sniffed: ingest.SniffedFile,
    settings: Settings,
    pool: PagePool,
    templates: dict[Annex, TemplateSpec],
) -> Document:
    cache = PageCache(settings.cache_dir / "pages")
    return read_document(sniffed, settings, pool.engine, templates, cache=cache, pool=pool)


def put_if_changed(store: ObjectStore, key: str, data: bytes, content_type: str) -> bool:
    """Write ``data`` unless ``key`` holds exactly it; whether anything was written."""
    try:
        if store.get_bytes(key) == data:
            return False
    except ObjectMissingError:
        pass
    store.put_bytes(key, data, content_type)
    return True


@step
def publish_reports(
    store: ObjectStore,
    sniffed: ingest.SniffedFile | None,
    reports: list[Report],
    templates: dict[Annex, TemplateSpec],
    settings: Settings,
) -> int:
    """Write the reports of one input file: evidence, ``report.json``, ``report.html``.

    The file's pages are rendered once for all its submissions, one page at a time; with
    no file (``None``: its original is gone) the reports go without crops and thumbnails.
    Returns how many objects were written.
    """
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

    threshold = load_review_rules().review_threshold
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
            templates,
            evidence=crops[sid],
            thumbnails=thumbnails[sid],
            review_threshold=threshold,
        )
        written += put_versioned(
            store, report_html_key(report.batch, sid), html, "text/html; charset=utf-8"
        ).written
    return written


@step
def store_original(store: ObjectStore, sniffed: ingest.SniffedFile, settings: Settings) -> int:
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
        get_run_logger().warning("%s not kept: %s", sniffed.source.name, exc.strerror or exc)
        return 0
    if hashlib.sha256(data).hexdigest() != sha256:
        get_run_logger().warning("%s changed while the batch ran: not kept", sniffed.source.name)
        return 0
    store.put_bytes(key, data, "application/octet-stream")
    return 1


def index_links(store: ObjectStore, batch: str) -> LinkFor:
    """Relative links on a local store; on S3, presigned links (the bucket is private)."""
    if isinstance(store, MinioStore):
        return lambda key: store.presigned_url(key, INDEX_LINK_LIFETIME)
    return relative_link(index_key(batch))


@step
def write_manifest(store: ObjectStore, manifest: Manifest) -> tuple[str, int]:
    key = manifest_key(manifest.batch)
    return key, int(put_if_changed(store, key, json_bytes(manifest), "application/json"))


@step
def write_batch_pages(
    store: ObjectStore,
    manifest: Manifest,
    reports: list[Report],
    templates: dict[Annex, TemplateSpec],
    batch_findings: tuple[Finding, ...] = (),
) -> tuple[str, int]:
    """``index.html`` and ``summary.xlsx`` of the batch; the index's key and objects written."""
    batch = manifest.batch
    index = render_index_html(
        manifest,
        reports,
        index_links(store, batch),
        lambda report: report_html_key(batch, report.submission_id),
        batch_findings,
    )
    summary = render_summary_xlsx(manifest, reports, templates, batch_findings)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    written = put_if_changed(store, index_key(batch), index, "text/html; charset=utf-8")
    written += put_if_changed(store, summary_key(batch), summary, xlsx)
    return index_key(batch), written


@flow(name="process-batch")
def process_batch(
    paths: list[str],
    online: str | None = None,
    batch: str | None = None,
    store: str | None = None,
    received: str | None = None,
) -> BatchResult:
    """Run one batch: account for every file under ``paths`` and write the manifest.

    Args:
        paths: files and folders to read.
        online: the online platform's export (xlsx/csv/json): each submission is matched
            to its filing (``online`` in the report, ONLINE_RECORD_MISSING without one).
        batch: the batch id; by default one derived from the inputs, the same on re-runs.
        store: the store URI; by default ``SHENBAO_STORE`` or ``var/store``.
        received: the day the batch's paper was received (``YYYY-MM-DD``), checked
            against the paper deadline; without it that deadline is not checked.

    Raises:
        InputError: see ``check_run``.
        StorageError: the store cannot be opened or written.
    """
    logger = get_run_logger()
    settings = Settings()
    object_store, online_export = check_run(paths, online, batch, store or settings.store, received)
    received_on = ingest.parse_received(received) if received is not None else None
    export = load_export(Path(online), settings) if online is not None else None

    sources = find_files(paths)
    sniffed = sniff_file.map(sources, settings=unmapped(settings)).result()
    for item in sniffed:
        if item.quarantined:
            logger.info("quarantined %s: %s", item.entry.file, item.entry.reason_en)
    batch_id = batch or ingest.default_batch_id(Path(paths[0]), [s.entry for s in sniffed])

    accepted = [s for s in sniffed if not s.quarantined]
    templates = load_templates(settings.templates_dir)
    campaign = load_campaign(settings.config_dir / "campaign.yaml")
    # Scanned pages are read on one worker process per core, each with its own engine.
    with PagePool(settings.ocr, settings.cache_dir, workers=os.cpu_count() or 1) as pool:
        documents = read_file.map(
            accepted,
            settings=unmapped(settings),
            pool=unmapped(pool),
            templates=unmapped(templates),
        ).result()
    engine = pool.engine
    documents = unique_ids(documents)
    check = checker(templates, campaign, received_on)
    checked = [(check(s), d.timings.get(s.id)) for d in documents for s in d.submissions]
    # A quarantined file gets a report too (FILE_UNREADABLE), so reviewers see it.
    unreadable = [u for u in map(unreadable_submission, sniffed) if u is not None]
    reports = [
        build_report(s, batch_id, engine, templates, t, received=received_on) for s, t in checked
    ]
    reports += [
        build_report(u, batch_id, None, templates, received=received_on) for u in unreadable
    ]
    records = export.records if export is not None else None
    reports, paper_missing = check_batch(reports, records, templates, campaign)
    for finding in paper_missing:  # in the index and the summary, not a report
        logger.warning("online filing %s has no paper in this batch", finding.key)

    by_file: dict[str, list[Report]] = {}
    for report in reports:
        by_file.setdefault(report.source.file, []).append(report)
    with_reports = [s for s in sniffed if s.entry.file in by_file]
    written = sum(
        publish_reports.map(
            unmapped(object_store),
            with_reports,
            [by_file[s.entry.file] for s in with_reports],
            templates=unmapped(templates),
            settings=unmapped(settings),
        ).result()
    )
    written += sum(
        store_original.map(unmapped(object_store), sniffed, settings=unmapped(settings)).result()
    )

    submissions: dict[str, list[str]] = {}
    for report in reports:
        submissions.setdefault(report.source.file, []).append(report.submission_id)
    entries = tuple(
        s.entry.model_copy(update={"submissions": tuple(submissions.get(s.entry.file, ()))})
        for s in sniffed
    )
    manifest = Manifest(batch=batch_id, online=online_export, received=received_on, files=entries)
    key, manifest_written = write_manifest(object_store, manifest)
    index, pages_written = write_batch_pages(
        object_store, manifest, reports, templates, paper_missing
    )
    written += manifest_written + pages_written
    quarantined = sum(e.state == "quarantined" for e in entries)
    logger.info(
        "batch %s: %d files, %d quarantined, %d objects written; index at %s",
        batch_id,
        len(entries),
        quarantined,
        written,
        object_store.location(index),
    )
    return BatchResult(
        batch=batch_id,
        manifest_key=key,
        manifest_location=object_store.location(key),
        files=len(entries),
        processed=len(entries) - quarantined,
        quarantined=quarantined,
        online=online_export,
        index_key=index,
        index_location=object_store.location(index),
        written=written,
    )
