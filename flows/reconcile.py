"""The reconcile flows behind ``shenbao reconcile`` and the nightly deployment: a stored
batch against a newer export, and every stored batch against the newest one.

No page is read again: each stored report's submission is re-checked from its pages as
read (``usecases.reconcile``), matched across the batch to the new export and published as
the batch flow publishes (``usecases.publish.publish_batch``): a report that changed
becomes a new version (the one it replaces is kept), an unchanged one is not written.
Evidence crops and thumbnails are cut from the originals the batch kept under
``originals/{sha256}``; where an original is not there, the report is published without
them. The manifest records the new export and the batch's own findings (PAPER_MISSING);
the index and the summary are rewritten. A stored report that cannot be read is named in
the log and in a FILE_UNREADABLE finding of the manifest, and the others are reconciled.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from prefect import flow, get_run_logger
from pydantic import Field

from flows import progress
from flows.artifacts import publish_batch_artifacts
from flows.batch import load_export
from flows.progress import Stage
from flows.tasks import RUN_LOG, AsTasks, as_step
from pipeline.errors import PipelineError
from pipeline.model import Frozen, OnlineExportRef
from pipeline.rulebook import load_rules
from pipeline.run import ReportSpool
from pipeline.settings import Settings
from storage.local_store import open_store
from usecases import reconcile
from usecases.check import batch_check
from usecases.publish import BatchResult, publish_batch
from usecases.read import export_ref
from usecases.reconcile import check_reconcile, newest_export, reconciled_manifest, stored_batches
from usecases.review import corrections_carried, keep_export

load_reports = as_step(reconcile.load_reports)
fetch_original = as_step(reconcile.fetch_original)
read_manifest = as_step(reconcile.read_manifest)


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
    rules = load_rules(settings.rules_dir)
    export = load_export(Path(online), rules)

    progress.set_total(Stage.FILES, len(manifest.files))
    spool_root = settings.cache_dir / "spool"
    spool_root.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="reconcile-", dir=spool_root) as spooled,
        tempfile.TemporaryDirectory(prefix="shenbao-reconcile-") as originals,
    ):
        # as the batch flow: full reports wait on disk, the batch keeps them lean
        waiting, skipped = reconcile.recheck(
            load_reports(object_store, manifest, log=RUN_LOG),
            ReportSpool(Path(spooled)),
            rules,
            manifest.received,
        )
        # the reviewers' corrections applied again, the online export kept for later ones
        waiting = corrections_carried(object_store, batch, waiting, rules)
        export_kept = keep_export(object_store, Path(online))
        found = batch_check([lean for _, lean in waiting], export.records, rules)
        progress.set_total(Stage.SUBMISSIONS, len(waiting))
        for finding in found.batch_findings:
            logger.warning("online filing %s has no paper in this batch", finding.key)

        with_reports = {lean.source.file for _, lean in waiting}
        sources = {}
        for entry in manifest.files:
            progress.advance(Stage.FILES)
            if entry.file in with_reports:
                sources[entry.file] = fetch_original(
                    object_store, entry.file, entry.sha256, Path(originals), settings, log=RUN_LOG
                )
        manifest = reconciled_manifest(manifest, online_ref, (*skipped, *found.batch_findings))
        result, reports = publish_batch(
            object_store,
            manifest,
            waiting,
            found,
            rules,
            settings,
            sources,
            # one file at a time, as its original is fetched: rendering is what takes memory
            steps=AsTasks(at_once=False),
            done=functools.partial(progress.advance, Stage.SUBMISSIONS),
            log=RUN_LOG,
        )
        result = result.model_copy(update={"written": result.written + export_kept})
    publish_batch_artifacts(object_store, manifest, reports)
    logger.info(
        "batch %s reconciled with %s: %d reports, %d objects written; index at %s",
        batch,
        online_ref.file,
        len(reports),
        result.written,
        result.index_location,
    )
    return result


# --- the nightly reconcile: every stored batch against the newest export --------------


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
