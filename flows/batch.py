"""The batch flow behind ``shenbao run``: every input file accounted for in the store.

Thin: the use cases (``usecases``) do the work — reading the batch, checking it, publishing
it — and the flow runs their steps as tasks. Ingest (``sniff_file`` per file), reading
(pages, then the split of each whole file into submissions), ``check_submission`` per
submission (extraction and validation), the checks across the batch, then the reports and
batch files (``usecases.publish.check_and_publish``).

Where the work runs is the flow's task runner's choice:

* the default (``ThreadPoolTaskRunner``): files are read in ``read_file`` tasks, a
  core's worth at a time on threads of their own, their scanned pages on a ``PagePool``
  (one OCR process per core, two page images in flight per process across all files);
* prefect-dask's ``DaskTaskRunner`` (``shenbao run --dask ADDRESS`` or
  ``--dask-workers N``): each scanned page and each submission is a task on the cluster
  (``flows.cluster``). What touches the input files or the store — sniffing, rendering
  pages, evidence, reports, originals, the manifest — stays on the flow's machine, in a
  thread pool of its own (``map_here``).

Memory does not grow with the batch's pages: the full reports wait on local disk, in
this run's spool (``flows.spool``), while the batch keeps them without their pages'
reading (``usecases.read``).

Only transient errors are retried (``retry_if_transient``). A scanned page not read
within ``Settings.page_timeout_s`` is PAGE_UNREADABLE and the batch goes on. OCR is
bounded by the page pool's processes, or on Dask by the cluster's worker slots and a
bound of pages in flight. Nothing is cached by Prefect (a path says nothing about
content); the page cache, keyed by each file's sha256 and the reader's fingerprint, is
asked before any page is read, so an unchanged batch re-runs with no page rendered or
OCR'd, on either runner. Nothing is written when the store already holds the same bytes,
so re-running an unchanged batch writes no object (on S3 the index is re-signed: its
links expire).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from collections import deque
from collections.abc import Generator
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, unmapped
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows import progress
from flows.artifacts import publish_batch_artifacts
from flows.cluster import api_for_workers, cluster_of, read_files_on_cluster
from flows.progress import Stage
from flows.spool import run_spool
from flows.tasks import RUN_LOG, AsTasks, as_step, map_here, step
from pipeline import ingest
from pipeline.errors import InputError
from pipeline.model import Submission
from pipeline.ocr.cache import CachedEngine, cached_engine
from pipeline.ocr.engine import OcrEngine
from pipeline.online import OnlineExport
from pipeline.pool import PagePool, return_large_buffers_to_the_os
from pipeline.read import ReadPage
from pipeline.rulebook import Rules, load_rules
from pipeline.run import PageCache, ReportSpool, read_pages
from pipeline.settings import Settings
from usecases import check, read
from usecases.publish import BatchResult, check_and_publish
from usecases.read import check_run, read_and_check
from usecases.review import keep_export

if TYPE_CHECKING:
    from distributed import Client

FLOW_THREADS = 4
"""Threads of ``process_batch``'s default runner: submissions checked and files published
at once (``shenbao run --workers``). Prefect's own default is unbounded, which would
render every file's evidence at once: memory would grow with the batch."""

check_submission = as_step(check.check_submission)


def task_runner(
    threads: int, dask: str | None = None, dask_workers: int | None = None
) -> TaskRunner[Any]:
    """The runner a batch runs on (``shenbao run``): ``threads`` here, the default, or a
    Dask cluster — the scheduler at ``dask`` (``tcp://host:8786``), or a
    ``distributed.LocalCluster`` of ``dask_workers`` worker processes of one thread each
    (one OCR engine per process, as the page pool has), started and stopped with the run.

    Raises:
        InputError: both ``dask`` and ``dask_workers`` given, or a worker count below one.
    """
    if dask is None and dask_workers is None:
        return ThreadPoolTaskRunner(max_workers=threads)
    if dask is not None and dask_workers is not None:
        raise InputError("give --dask (a running cluster) or --dask-workers (a local one)")
    from prefect_dask.task_runners import DaskTaskRunner

    if dask is not None:
        return DaskTaskRunner(address=dask)
    if dask_workers is None or dask_workers < 1:
        raise InputError(f"--dask-workers must be at least 1, not {dask_workers}")
    # The scheduler and nannies of a local cluster live in this process: their INFO lines
    # (every worker started, registered, closed) would bury the run's own output.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1, "processes": True}
    )


@step
def load_export(path: Path, rules: Rules) -> OnlineExport:
    """The online export through the column mapping; its bad rows logged, never dropped."""
    export = read.load_export(path, rules)
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
def read_file(sniffed: ingest.SniffedFile, settings: Settings, pool: PagePool) -> list[ReadPage]:
    """Every page of one accepted file, read, in order: its scans on the pool's processes."""
    pages = []
    for page in read_pages(sniffed, settings, pool.rules, pool.engine, pool):
        pages.append(page)
        progress.advance(Stage.PAGES)
    progress.advance(Stage.FILES)
    return pages


def reading_engine(settings: Settings) -> CachedEngine:
    """The engine that names a run's reading: the page pool's and the cluster workers'
    (one ONNX thread each), whose fingerprint keys the page cache. No model loads here."""
    return cached_engine(settings.ocr.model_copy(update={"threads": 1}), settings.cache_dir)


def read_afresh(
    files: list[ingest.SniffedFile],
    settings: Settings,
    rules: Rules,
    engine: OcrEngine,
    client: Client | None,
) -> Generator[list[ReadPage] | Exception, None, None]:
    """The read pages of each of ``files``, in order, each file as soon as it and those
    before it are read; for a file whose reading failed, what it failed with.

    Here, files are read a core's worth at a time in ``read_file`` tasks of their own
    (the flow's runner stays free for the work on the files already read), their scans on
    one ``PagePool`` whose slots bound the page images in memory across them. On a
    cluster, each scanned page is a task (``flows.cluster``).
    """
    if client is not None:
        yield from read_files_on_cluster(client, files, settings, rules, engine)
        return
    workers = os.cpu_count() or 1
    with (
        PagePool(settings.ocr, settings.cache_dir, rules, workers, settings.page_timeout_s) as pool,
        ThreadPoolTaskRunner[list[ReadPage]](max_workers=workers) as readers,
    ):
        futures = deque(
            readers.map(
                read_file,
                {"sniffed": files, "settings": unmapped(settings), "pool": unmapped(pool)},
            )
        )
        try:
            while futures:  # handed on and let go one at a time: a file's pages, once
                yield read_or_error(futures.popleft())  # type: ignore[arg-type]  # Prefect nests its future type
        finally:  # the caller failed: the files not yet started are not read
            for future in futures:
                future.wrapped_future.cancel()  # type: ignore[attr-defined]


def read_or_error(future: PrefectFuture[list[ReadPage]]) -> list[ReadPage] | Exception:
    """A ``read_file``'s pages, or what it failed with: one file's trouble is not the
    batch's."""
    try:
        return future.result()
    except Exception as exc:
        progress.advance(Stage.FILES)
        return exc


def told_cached(pages: list[ReadPage]) -> None:
    """A file the page cache held: its pages and itself done."""
    progress.advance(Stage.PAGES, len(pages))
    progress.advance(Stage.FILES)


def check_submissions(
    submissions: list[Submission],
    rules: Rules,
    received: dt.date | None,
    client: Client | None,
) -> list[Submission]:
    """``check_submission`` of every read submission, in order: on the flow's runner (on
    a cluster, its workers)."""
    with api_for_workers(client) if client is not None else nullcontext():
        return check_submission.map(
            submissions,
            rules=unmapped(rules),
            received=unmapped(received),
        ).result()


# Prefect types a flow's runner invariantly in its future: a thread runner is refused
@flow(name="process-batch", task_runner=ThreadPoolTaskRunner[Any](max_workers=FLOW_THREADS))  # type: ignore[arg-type]
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
        InputError: see ``usecases.read.check_run``.
        StorageError: the store cannot be opened or written.
    """
    logger = get_run_logger()
    settings = Settings()
    # This process renders every page the readers get: let freeing them return memory.
    return_large_buffers_to_the_os()
    object_store, online_export = check_run(paths, online, batch, store or settings.store, received)
    received_on = ingest.parse_received(received) if received is not None else None
    rules = load_rules(settings.rules_dir)
    export = load_export(Path(online), rules) if online is not None else None
    # the export kept, so a reviewer's correction is compared with it again
    export_kept = keep_export(object_store, Path(online)) if online is not None else False
    client = cluster_of(FlowRunContext.get().task_runner)  # type: ignore[union-attr]

    sources = find_files(paths)
    progress.set_total(Stage.FILES, len(sources))
    sniffed = map_here(client, sniff_file, source=sources, settings=unmapped(settings))
    for item in sniffed:
        if item.quarantined:
            logger.info("quarantined %s: %s", item.entry.file, item.entry.reason_en)
    batch_id = batch or ingest.default_batch_id(Path(paths[0]), [s.entry for s in sniffed])

    accepted = [s for s in sniffed if not s.quarantined]
    progress.advance(Stage.FILES, len(sniffed) - len(accepted))
    progress.set_total(Stage.PAGES, sum(s.entry.pages or 0 for s in accepted))
    # Scanned pages are read on one worker process per core (or the cluster's workers),
    # each with its own engine; files the page cache holds are not read again.
    engine = reading_engine(settings)
    with run_spool(settings.cache_dir / "spool") as folder:
        waiting, sniffed = read_and_check(
            sniffed,
            batch_id,
            ReportSpool(folder),
            rules.templates,
            engine,
            PageCache(settings.cache_dir / "pages", rules),
            read_afresh=functools.partial(
                read_afresh, settings=settings, rules=rules, engine=engine, client=client
            ),
            check_all=functools.partial(
                check_submissions,
                rules=rules,
                received=received_on,
                client=client,
            ),
            received=received_on,
            on_cached=told_cached,
            log=RUN_LOG,
        )
        progress.set_total(Stage.SUBMISSIONS, len(waiting))
        result, manifest, reports = check_and_publish(
            object_store,
            batch_id,
            online_export,
            export.records if export is not None else None,
            received_on,
            sniffed,
            waiting,
            rules,
            settings,
            steps=AsTasks(client),
            done=functools.partial(progress.advance, Stage.SUBMISSIONS),
            log=RUN_LOG,
        )
        result = result.model_copy(update={"written": result.written + export_kept})
    publish_batch_artifacts(object_store, manifest, reports)
    logger.info(
        "batch %s: %d files, %d quarantined, %d objects written; index at %s",
        batch_id,
        result.files,
        result.quarantined,
        result.written,
        result.index_location,
    )
    return result
