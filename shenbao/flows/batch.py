"""The batch flow behind ``shenbao run``: every input file accounted for in the store.

Thin: each step is a pipeline function run as a task. For now a batch ends at its
manifest (which files were found, which were quarantined and why) and the online export
is only recorded; pages, OCR, reports and loading the export are later stages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import Task, flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from pydantic import Field

from shenbao.extractors.fields import extract
from shenbao.pipeline import ingest
from shenbao.pipeline.config import TemplateSpec, load_campaign, load_templates
from shenbao.pipeline.model import Annex, Frozen, Manifest, OnlineExportRef, Report
from shenbao.pipeline.pool import PagePool
from shenbao.pipeline.run import (
    Document,
    PageCache,
    build_report,
    read_document,
    unreadable_submission,
)
from shenbao.pipeline.settings import Settings
from shenbao.storage.base import ObjectStore, json_bytes, manifest_key, report_key
from shenbao.storage.local_store import open_store


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


def check_run(
    paths: list[str], online: str | None, batch: str | None, store: str
) -> tuple[ObjectStore, OnlineExportRef | None]:
    """What a run needs before it starts, checked, so a typo fails at once.

    Returns:
        The opened store and the recorded online export (None when not given).

    Raises:
        InputError: no inputs, a missing input path, an invalid batch id, or an
            unreadable online export.
        StorageError: the store URI is malformed or its backend unavailable.
    """
    ingest.require_inputs([Path(p) for p in paths])
    if batch is not None:
        ingest.check_batch_id(batch)
    object_store = open_store(store)
    if online is None:
        return object_store, None
    sha256, size = ingest.file_digest(Path(online))
    return object_store, OnlineExportRef(file=Path(online).name, sha256=sha256, size=size)


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


@step
def write_report(store: ObjectStore, report: Report) -> str:
    key = report_key(report.batch, report.submission_id)
    store.put_bytes(key, json_bytes(report), "application/json")
    return key


@step
def write_manifest(store: ObjectStore, manifest: Manifest) -> str:
    key = manifest_key(manifest.batch)
    store.put_bytes(key, json_bytes(manifest), "application/json")
    return key


@flow(name="process-batch")
def process_batch(
    paths: list[str], online: str | None = None, batch: str | None = None, store: str | None = None
) -> BatchResult:
    """Run one batch: account for every file under ``paths`` and write the manifest.

    Args:
        paths: files and folders to read.
        online: the online platform's export (xlsx/csv); recorded, loaded later.
        batch: the batch id; by default one derived from the inputs, the same on re-runs.
        store: the store URI; by default ``SHENBAO_STORE`` or ``var/store``.

    Raises:
        InputError: see ``check_run``.
        StorageError: the store cannot be opened or written.
    """
    logger = get_run_logger()
    settings = Settings()
    object_store, online_export = check_run(paths, online, batch, store or settings.store)
    if online_export is not None:
        logger.info(
            "online export %s (sha256 %s) recorded; loading it is a later stage",
            online_export.file,
            online_export.sha256,
        )

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
    reports = [
        build_report(
            extract(s, templates, campaign), batch_id, engine, templates, d.timings.get(s.id)
        )
        for d in documents
        for s in d.submissions
    ]
    # A quarantined file gets a report too (FILE_UNREADABLE), so reviewers see it.
    unreadable = [u for u in map(unreadable_submission, sniffed) if u is not None]
    reports += [build_report(u, batch_id, None, templates) for u in unreadable]
    write_report.map(unmapped(object_store), reports).result()

    submissions: dict[str, list[str]] = {}
    for report in reports:
        submissions.setdefault(report.source.file, []).append(report.submission_id)
    entries = tuple(
        s.entry.model_copy(update={"submissions": tuple(submissions.get(s.entry.file, ()))})
        for s in sniffed
    )
    manifest = Manifest(batch=batch_id, online=online_export, files=entries)
    key = write_manifest(object_store, manifest)
    quarantined = sum(e.state == "quarantined" for e in entries)
    logger.info(
        "batch %s: %d files, %d quarantined; manifest at %s",
        batch_id,
        len(entries),
        quarantined,
        key,
    )
    return BatchResult(
        batch=batch_id,
        manifest_key=key,
        manifest_location=object_store.location(key),
        files=len(entries),
        processed=len(entries) - quarantined,
        quarantined=quarantined,
        online=online_export,
    )
