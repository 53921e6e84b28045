"""The reconcile flow behind ``shenbao reconcile``: a stored batch against a newer export.

No page is read again. Each stored ``report.json`` holds its pages as read (text lines with
boxes and confidences, tick boxes, unread ink, seal marks); the submission is rebuilt from
them (``pipeline.run.as_read``), extracted and validated again with today's templates and
rules, matched across the batch to the new export, and published as the batch flow
publishes: a report that changed becomes a new version (the one it replaces is kept), an
unchanged one is not written. Evidence crops and thumbnails are cut from the originals the
batch kept under ``originals/{sha256}``; where an original is not there, the report is
published without them. The manifest records the new export and the batch's own findings
(PAPER_MISSING); the index and the summary are rewritten.

A stored report that cannot be read (truncated, or not a ``shenbao.report/1``) is not a
reason to leave the batch unchecked: it is named in the log and in a FILE_UNREADABLE
finding of the manifest, left as it is, and the others are reconciled.
"""

from __future__ import annotations

import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from prefect import flow, get_run_logger
from pydantic import Field, ValidationError

from flows import progress
from flows.artifacts import publish_batch_artifacts
from flows.batch import (
    BatchResult,
    export_ref,
    load_export,
    publish_spooled,
    step,
    write_batch_pages,
    write_manifest,
)
from flows.checking import batch_check, checker
from flows.progress import Stage
from pipeline import ingest
from pipeline.config import load_campaign, load_templates
from pipeline.errors import InputError, PipelineError
from pipeline.model import (
    REPORT_SCHEMA_ID,
    EngineInfo,
    Finding,
    FindingCode,
    Frozen,
    Manifest,
    OnlineExportRef,
    Report,
)
from pipeline.run import ReportSpool, SpooledReport, as_read, build_report
from pipeline.settings import Settings
from storage.base import (
    ObjectMissingError,
    ObjectStore,
    manifest_key,
    original_key,
    report_key,
)
from storage.local_store import open_store


def check_reconcile(
    batch: str, online: str, store: str
) -> tuple[ObjectStore, Manifest, OnlineExportRef]:
    """What a reconcile needs before it starts, checked, so a typo fails at once.

    Raises:
        InputError: an invalid batch id, a batch the store does not hold, or an
            unreadable online export.
        StorageError: the store URI is malformed, its backend unavailable, or it cannot
            be written (read-only, full).
    """
    ingest.check_batch_id(batch)
    object_store = open_store(store)
    object_store.check_writable()
    try:
        manifest = Manifest.model_validate_json(object_store.get_bytes(manifest_key(batch)))
    except ObjectMissingError:
        raise InputError(
            f"the store holds no batch {batch!r} (no {manifest_key(batch)}): run it first"
        ) from None
    return object_store, manifest, export_ref(online)


@step
def load_reports(store: ObjectStore, manifest: Manifest) -> Iterator[Report | Finding]:
    """The batch's current reports, in manifest order, one at a time.

    In place of a stored report that cannot be read, the FILE_UNREADABLE finding that
    names it (``UnreadableReport.finding``), logged in one line: one damaged object must not
    keep the rest of the batch (or the nightly run's other batches) unchecked.

    Raises:
        InputError: a submission the manifest lists has no report in the store.
    """
    for entry in manifest.files:
        for sid in entry.submissions:
            key = report_key(manifest.batch, sid)
            try:
                data = store.get_bytes(key)
            except ObjectMissingError:
                raise InputError(
                    f"batch {manifest.batch!r} lists submission {sid} but the store has no "
                    f"{key}: re-run the batch"
                ) from None
            try:
                report = Report.model_validate_json(data)
            except ValidationError as exc:
                why = UnreadableReport.of(exc)
            else:
                if (report.batch, report.submission_id) == (manifest.batch, sid):
                    yield report
                    continue
                why = ANOTHER_REPORT
            get_run_logger().error(
                "%s: stored report unreadable, %s; submission %s not reconciled, left as it was",
                key,
                why.english,
                sid,
            )
            yield why.finding(key, sid)


class UnreadableReport(Frozen):
    """Why a stored report cannot be read, for reviewers (Chinese) and the log."""

    chinese: str
    english: str

    @classmethod
    def of(cls, error: ValidationError) -> UnreadableReport:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            return cls(
                chinese="不是完整的 JSON，可能已被截断", english="not complete JSON (truncated?)"
            )
        where = ".".join(str(part) for part in error.errors()[0]["loc"]) or "its top level"
        return cls(
            chinese=f"不符合报告格式 {REPORT_SCHEMA_ID}",
            english=f"not a {REPORT_SCHEMA_ID}: {error.error_count()} errors, first at {where}",
        )

    def finding(self, key: str, submission: str) -> Finding:
        """The batch-level finding that names the object.

        FILE_UNREADABLE (keyed by file): the stored file cannot be read, its key is the
        finding's ``key``; the paper behind it was read once and is not re-checked now.
        """
        return Finding.of(
            FindingCode.FILE_UNREADABLE,
            f"已存报告 {key} 无法读取（{self.chinese}）：申报材料 {submission} 本次未重新核验，"
            "原报告保持不变，其网上填报记录可能因此被列为无纸质材料。请重新运行该批次以重建报告。",
            key=key,
        )


ANOTHER_REPORT = UnreadableReport(
    chinese="内容是另一批次或另一份申报材料的报告",
    english="it holds another batch's or submission's report",
)


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

    A stored report that cannot be read is skipped and named (``load_reports``).

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

    progress.set_total(Stage.FILES, len(manifest.files))
    spool_root = settings.cache_dir / "spool"
    spool_root.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="reconcile-", dir=spool_root) as spooled,
        tempfile.TemporaryDirectory(prefix="shenbao-reconcile-") as originals,
    ):
        # as the batch flow: full reports wait on disk, the batch keeps them lean
        spool = ReportSpool(Path(spooled))
        waiting = []
        skipped: list[Finding] = []  # stored reports that cannot be read, left as they are
        for report in load_reports(object_store, manifest):
            if isinstance(report, Finding):
                skipped.append(report)
                continue
            submission = as_read(report)
            if submission is None:  # a quarantined file's placeholder: nothing to re-check
                waiting.append(spool.put(report))
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
            waiting.append(spool.put(fresh.model_copy(update={"engine": engine})))
        found = batch_check([lean for _, lean in waiting], export.records, templates, campaign)
        reports = [found.apply(lean) for _, lean in waiting]
        progress.set_total(Stage.SUBMISSIONS, len(reports))
        for finding in found.batch_findings:
            logger.warning("online filing %s has no paper in this batch", finding.key)

        by_file: dict[str, list[SpooledReport]] = {}
        for (spooled_report, _), report in zip(waiting, reports, strict=True):
            by_file.setdefault(report.source.file, []).append(spooled_report)
        written = 0
        for entry in manifest.files:
            progress.advance(Stage.FILES)
            if entry.file not in by_file:
                continue
            original = fetch_original(
                object_store, entry.file, entry.sha256, Path(originals), settings
            )
            written += publish_spooled(
                object_store,
                original,
                by_file[entry.file],
                found,
                templates=templates,
                settings=settings,
            )

    manifest = Manifest.model_validate(
        manifest.model_dump(by_alias=True)
        | {"online": online_ref, "findings": (*skipped, *found.batch_findings)}
    )
    key, manifest_written = write_manifest(object_store, manifest)
    index, pages_written = write_batch_pages(object_store, manifest, reports, templates)
    publish_batch_artifacts(object_store, manifest, reports)
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


# --- the nightly reconcile: every stored batch against the newest export --------------

EXPORT_SUFFIXES = (".xlsx", ".csv", ".json")


class ReconcileLatestResult(Frozen):
    """What a ``reconcile_latest`` run did, batch by batch."""

    export: OnlineExportRef | None = Field(
        None, description="the newest export of the folder; None when it held none"
    )
    export_path: str | None = None
    reconciled: tuple[str, ...] = Field((), description="batches re-checked against it")
    skipped: tuple[str, ...] = Field((), description="batches already checked against it")
    failed: tuple[str, ...] = Field((), description="batches that could not be re-checked")


class ReconcileFailedError(PipelineError):
    """Some batches could not be reconciled (the others were); the log says why."""


def newest_export(folder: Path) -> Path | None:
    """The newest online export (xlsx/csv/json) in ``folder``: by modification time, a tie
    going to the name sorting last; None when the folder holds none.

    Hidden files and Office lock files (``~$…``) are not exports.

    Raises:
        InputError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise InputError(f"the exports folder {folder} does not exist or is not a folder")
    candidates = []
    for path in folder.iterdir():
        if path.name.startswith((".", "~$")) or path.suffix.lower() not in EXPORT_SUFFIXES:
            continue
        try:
            info = path.stat()
        except OSError:
            continue  # gone since listed
        if stat.S_ISREG(info.st_mode):
            candidates.append((info.st_mtime_ns, path.name, path))
    return max(candidates)[2] if candidates else None


def stored_batches(store: ObjectStore) -> list[str]:
    """The ids of every batch the store holds (``batches/{id}/manifest.json``), sorted."""
    found = []
    for key in store.list("batches/"):
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == "manifest.json":
            found.append(parts[1])
    return sorted(found)


@step
def read_manifest(store: ObjectStore, batch: str) -> Manifest:
    """A stored batch's manifest.

    Raises:
        InputError: an invalid batch id, or a batch the store does not hold.
        StorageError: the store cannot be read.
    """
    ingest.check_batch_id(batch)
    try:
        return Manifest.model_validate_json(store.get_bytes(manifest_key(batch)))
    except ObjectMissingError:
        raise InputError(f"the store holds no batch {batch!r} (no {manifest_key(batch)})") from None


@flow(name="reconcile-latest")
def reconcile_latest(
    exports: str, store: str | None = None, batches: list[str] | None = None
) -> ReconcileLatestResult:
    """Re-check every stored batch not yet checked against the newest online export.

    The newest export of ``exports`` (see ``newest_export``) is compared by sha256 with the
    export each batch's manifest records; a batch already checked against it is skipped,
    every other one is re-checked with ``reconcile_batch`` (no page is read). A batch that
    fails is logged and the others still run; the run fails at the end if any failed.

    Args:
        exports: the folder the online platform's exports are dropped into.
        store: the store URI; by default ``SHENBAO_STORE`` or ``var/store``.
        batches: only these batch ids; by default every batch the store holds.

    Raises:
        InputError: ``exports`` is not a folder; the newest export cannot be read.
        StorageError: the store cannot be opened or listed.
        ReconcileFailedError: one or more batches failed (the others were reconciled).
    """
    logger = get_run_logger()
    store_uri = store or Settings().store
    export_path = newest_export(Path(exports))
    if export_path is None:
        logger.info("no online export (xlsx/csv/json) in %s: nothing to reconcile", exports)
        return ReconcileLatestResult()
    export = export_ref(str(export_path))
    object_store = open_store(store_uri)
    wanted = stored_batches(object_store) if batches is None else list(batches)
    logger.info(
        "newest export %s (sha256 %s…); %d batches to look at",
        export_path.name,
        export.sha256[:12],
        len(wanted),
    )

    reconciled: list[str] = []
    skipped: list[str] = []
    failed: dict[str, str] = {}
    for batch in wanted:
        try:
            manifest = read_manifest(object_store, batch)
            if manifest.online is not None and manifest.online.sha256 == export.sha256:
                logger.info("batch %s: already checked against %s, skipped", batch, export.file)
                skipped.append(batch)
                continue
            reconcile_batch(batch=batch, online=str(export_path), store=store_uri)
        except PipelineError as exc:
            logger.error("batch %s not reconciled: %s", batch, exc)
            failed[batch] = str(exc)
        except Exception as exc:  # a bug in one batch must not keep the others unchecked
            logger.exception("batch %s not reconciled", batch)
            failed[batch] = f"{type(exc).__name__}: {exc}"
        else:
            reconciled.append(batch)

    result = ReconcileLatestResult(
        export=export,
        export_path=str(export_path),
        reconciled=tuple(reconciled),
        skipped=tuple(skipped),
        failed=tuple(failed),
    )
    logger.info(
        "reconciled with %s: %d batches re-checked, %d already checked, %d failed",
        export.file,
        len(reconciled),
        len(skipped),
        len(failed),
    )
    if failed:
        reasons = "; ".join(f"{batch}: {reason}" for batch, reason in failed.items())
        raise ReconcileFailedError(
            f"{len(failed)} of {len(wanted)} batches not reconciled with {export.file} ({reasons})"
        )
    return result
