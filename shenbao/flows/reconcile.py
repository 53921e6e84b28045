"""The reconcile flow behind ``shenbao reconcile``: a stored batch against a newer export.

No page is read again. Each stored ``report.json`` holds its pages as read (text lines with
boxes and confidences, tick boxes, unread ink, seal marks); the submission is rebuilt from
them (``pipeline.run.as_read``), extracted and validated again with today's templates and
rules, matched across the batch to the new export, and published as the batch flow
publishes: a report that changed becomes a new version (the one it replaces is kept), an
unchanged one is not written. Evidence crops and thumbnails are cut from the originals the
batch kept under ``originals/{sha256}``; where an original is not there, the report is
published without them. The manifest records the new export; the index and the summary
are rewritten.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from prefect import flow, get_run_logger

from shenbao.flows.batch import (
    BatchResult,
    load_export,
    publish_reports,
    step,
    write_batch_pages,
    write_manifest,
)
from shenbao.flows.checking import check_batch, checker
from shenbao.pipeline import ingest
from shenbao.pipeline.config import load_campaign, load_templates
from shenbao.pipeline.errors import InputError
from shenbao.pipeline.model import EngineInfo, Manifest, OnlineExportRef, Report
from shenbao.pipeline.run import as_read, build_report
from shenbao.pipeline.settings import Settings
from shenbao.storage.base import (
    ObjectMissingError,
    ObjectStore,
    manifest_key,
    original_key,
    report_key,
)
from shenbao.storage.local_store import open_store


def check_reconcile(
    batch: str, online: str, store: str
) -> tuple[ObjectStore, Manifest, OnlineExportRef]:
    """What a reconcile needs before it starts, checked, so a typo fails at once.

    Raises:
        InputError: an invalid batch id, a batch the store does not hold, or an
            unreadable online export.
        StorageError: the store URI is malformed or its backend unavailable.
    """
    ingest.check_batch_id(batch)
    object_store = open_store(store)
    try:
        manifest = Manifest.model_validate_json(object_store.get_bytes(manifest_key(batch)))
    except ObjectMissingError:
        raise InputError(
            f"the store holds no batch {batch!r} (no {manifest_key(batch)}): run it first"
        ) from None
    sha256, size = ingest.file_digest(Path(online))
    return object_store, manifest, OnlineExportRef(file=Path(online).name, sha256=sha256, size=size)


@step
def load_reports(store: ObjectStore, manifest: Manifest) -> list[Report]:
    """The batch's current reports, in manifest order.

    Raises:
        InputError: a submission the manifest lists has no report in the store.
    """
    reports = []
    for entry in manifest.files:
        for sid in entry.submissions:
            key = report_key(manifest.batch, sid)
            try:
                reports.append(Report.model_validate_json(store.get_bytes(key)))
            except ObjectMissingError:
                raise InputError(
                    f"batch {manifest.batch!r} lists submission {sid} but the store has no "
                    f"{key}: re-run the batch"
                ) from None
    return reports


@step
def fetch_original(
    store: ObjectStore, entry_file: str, sha256: str | None, folder: Path, settings: Settings
) -> ingest.SniffedFile | None:
    """The batch's kept original of one input file, as the batch flow sniffed it; None
    when the store does not hold it (the reports are then published without images)."""
    if sha256 is None:
        return None
    try:
        data = store.get_bytes(original_key(sha256))
    except ObjectMissingError:
        get_run_logger().warning("%s: original not in the store, no evidence crops", entry_file)
        return None
    path = folder / sha256
    path.write_bytes(data)
    return ingest.sniff(ingest.InputFile(path=path, name=entry_file, root=folder), settings)


@flow(name="reconcile-batch")
def reconcile_batch(batch: str, online: str, store: str | None = None) -> BatchResult:
    """Re-check a stored batch against the online export ``online``, without reading pages.

    Args:
        batch: the id of a batch the store holds.
        online: the (newer) online platform's export (xlsx/csv/json).
        store: the store URI; by default ``SHENBAO_STORE`` or ``var/store``.

    Raises:
        InputError: see ``check_reconcile``; a report the manifest lists is missing.
        StorageError: the store cannot be read or written.
    """
    logger = get_run_logger()
    settings = Settings()
    object_store, manifest, online_ref = check_reconcile(batch, online, store or settings.store)
    export = load_export(Path(online), settings)
    templates = load_templates(settings.templates_dir)
    campaign = load_campaign(settings.config_dir / "campaign.yaml")
    check = checker(templates, campaign, manifest.received)

    stored = load_reports(object_store, manifest)
    rechecked = []
    for report in stored:
        submission = as_read(report)
        if submission is None:  # a quarantined file's placeholder: nothing to re-check
            rechecked.append(report)
            continue
        fresh = build_report(
            check(submission),
            batch,
            None,
            templates,
            report.timings,
            received=manifest.received,
        )
        engine = EngineInfo(ocr=report.engine.ocr, templates=fresh.engine.templates)
        rechecked.append(fresh.model_copy(update={"engine": engine}))
    reports, paper_missing = check_batch(rechecked, export.records, templates, campaign)
    for finding in paper_missing:
        logger.warning("online filing %s has no paper in this batch", finding.key)

    by_file: dict[str, list[Report]] = {}
    for report in reports:
        by_file.setdefault(report.source.file, []).append(report)
    written = 0
    with tempfile.TemporaryDirectory(prefix="shenbao-reconcile-") as folder:
        for entry in manifest.files:
            if entry.file not in by_file:
                continue
            original = fetch_original(
                object_store, entry.file, entry.sha256, Path(folder), settings
            )
            written += publish_reports(
                object_store,
                original,
                by_file[entry.file],
                templates=templates,
                settings=settings,
            )

    manifest = manifest.model_copy(update={"online": online_ref})
    key, manifest_written = write_manifest(object_store, manifest)
    index, pages_written = write_batch_pages(
        object_store, manifest, reports, templates, paper_missing
    )
    written += manifest_written + pages_written
    files = len(manifest.files)
    quarantined = sum(e.state == "quarantined" for e in manifest.files)
    logger.info(
        "batch %s reconciled with %s: %d reports, %d objects written; index at %s",
        batch,
        online_ref.file,
        len(reports),
        written,
        object_store.location(index),
    )
    return BatchResult(
        batch=batch,
        manifest_key=key,
        manifest_location=object_store.location(key),
        files=files,
        processed=files - quarantined,
        quarantined=quarantined,
        online=online_ref,
        index_key=index,
        index_location=object_store.location(index),
        written=written,
    )
