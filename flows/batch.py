"""The batch flow behind ``shenbao run``: every input file accounted for in the store.

Thin: each step is a pipeline function run as a task. Ingest (``sniff_file`` per file),
reading (pages, then the split of each whole file into submissions), ``check_submission``
per submission (extraction and validation), the checks across the batch, then the reports
and batch files, written per DESIGN.md's object layout: ``report.json`` (checked against
the schema) and ``report.html`` with their earlier versions kept, the evidence crops,
``manifest.json``, ``index.html``, ``summary.xlsx`` and each input once under
``originals/{sha256}``. Rendering is ``reports``; here is only where it goes.

Where the work runs is the flow's task runner's choice:

* the default (``ThreadPoolTaskRunner``): files are read in ``read_file`` tasks, a
  core's worth at a time on threads of their own, their scanned pages on a ``PagePool``
  (one OCR process per core, two page images in flight per process across all files);
* prefect-dask's ``DaskTaskRunner`` (``shenbao run --dask ADDRESS`` or
  ``--dask-workers N``): each scanned page is a ``read_page_task`` and each submission a
  ``check_submission`` on the cluster, every worker process with its own OCR engine
  (``worker_engine``). What touches the input files or the store — sniffing, rendering
  pages, evidence, reports, originals, the manifest — stays on the flow's machine, in a
  thread pool of its own: a cluster's workers need neither the files nor the store's
  credentials.

Memory does not grow with the batch's pages: each file's submissions are checked and
their reports built as soon as the file is read, the full reports wait on local disk
(``ReportSpool``) and the batch keeps them without their pages' reading, which is all the
checks across the batch, the index and the summary need; each file's reports are then
published from the spool.

Only transient errors are retried (``retry_if_transient``). A scanned page not read
within ``Settings.page_timeout_s`` is PAGE_UNREADABLE and the batch goes on. OCR is
bounded by the page pool's processes, or on Dask by the cluster's worker slots and a
bound of pages in flight (``pages_in_flight``). Nothing is cached by Prefect (a path
says nothing about content); the page cache, keyed by each file's sha256 and the
reader's fingerprint, is asked before any page is read, so an unchanged batch re-runs
with no page rendered or OCR'd, on either runner. Nothing is written when the store
already holds the same bytes, so re-running an unchanged batch writes no object (on S3
the index is re-signed: its links expire).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import closing, contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from prefect import Task, flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import Field

from extractors.review import load_review_rules
from flows import progress
from flows.artifacts import publish_batch_artifacts
from flows.checking import BatchCheck, batch_check, checker
from flows.progress import Stage
from pipeline import ingest
from pipeline.config import (
    Campaign,
    TemplateSpec,
    load_campaign,
    load_export_mapping,
    load_templates,
)
from pipeline.errors import InputError
from pipeline.model import (
    Annex,
    Frozen,
    Manifest,
    OnlineExportRef,
    Page,
    Report,
    SourceKind,
    Submission,
)
from pipeline.ocr.cache import CachedEngine, cached_engine
from pipeline.ocr.engine import OcrEngine, OcrSettings
from pipeline.online import OnlineExport, load_online_export
from pipeline.pages import SourcePage, iter_pages
from pipeline.pool import PagePool, return_large_buffers_to_the_os, set_aside, timed_out
from pipeline.read import ReadPage, read_page
from pipeline.run import (
    Document,
    PageCache,
    ReportSpool,
    SpooledReport,
    SubmissionIds,
    assemble,
    build_report,
    normalised_page_images,
    read_pages,
    submission_ids,
    unreadable_submission,
)
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
from storage.local_store import open_store
from storage.minio_store import MinioStore

if TYPE_CHECKING:
    from distributed import Client

# Evidence crops come from pages rendered at the resolution OCR read them at; pages that
# only need a thumbnail are rendered small.
EVIDENCE_DPI = 200
THUMBNAIL_DPI = 36
INDEX_LINK_LIFETIME = timedelta(days=7)  # the longest S3 allows
FLOW_THREADS = 4
"""Threads of ``process_batch``'s default runner: submissions checked and files published
at once (``shenbao run --workers``). Prefect's own default is unbounded, which would
render every file's evidence at once: memory would grow with the batch."""
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

log = logging.getLogger(__name__)


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
    from prefect_dask import DaskTaskRunner

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
        StorageError: the store URI is malformed, its backend unavailable, or it cannot
            be written (read-only, full): found here, not after every page was read.
    """
    ingest.require_inputs([Path(p) for p in paths])
    if batch is not None:
        ingest.check_batch_id(batch)
    if received is not None:
        ingest.parse_received(received)
    object_store = open_store(store)
    object_store.check_writable()
    if online is None:
        return object_store, None
    return object_store, export_ref(online)


def export_ref(online: str) -> OnlineExportRef:
    """The online export as a batch records it: its name, sha256 and size.

    Raises:
        InputError: the file cannot be read.
    """
    sha256, size = ingest.file_digest(Path(online))
    return OnlineExportRef(file=Path(online).name, sha256=sha256, size=size)


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
def read_file(sniffed: ingest.SniffedFile, settings: Settings, pool: PagePool) -> list[ReadPage]:
    """Every page of one accepted file, read, in order: its scans on the pool's processes."""
    pages = []
    for page in read_pages(sniffed, settings, pool.engine, pool):
        pages.append(page)
        progress.advance(Stage.PAGES)
    progress.advance(Stage.FILES)
    return pages


_worker_engines: dict[str, CachedEngine] = {}
_worker_engines_lock = threading.Lock()


def worker_engine(ocr: OcrSettings, cache_dir: Path) -> CachedEngine:
    """This process's OCR engine for ``ocr``, made on first use and kept for the process.

    On a Dask worker this is what a ``PagePool`` process has: one engine (its models load
    on the first page) behind the OCR cache, and big buffers given back to the OS. Its
    engine reads one page at a time, so a worker process with several threads still runs
    one OCR at a time (``--nthreads 1`` per process, a process per core, is the setup).
    """
    key = f"{ocr.model_dump_json()}|{cache_dir}"
    with _worker_engines_lock:
        engine = _worker_engines.get(key)
        if engine is None:
            if not _worker_engines:
                return_large_buffers_to_the_os()
            engine = _worker_engines[key] = cached_engine(ocr, cache_dir)
    return engine


@step
def read_page_task(source: SourcePage, ocr: OcrSettings, cache_dir: Path) -> ReadPage:
    """One scanned page read on a cluster worker: normalised, OCR'd, its seals read.

    Never raises for a bad page (``read_page``): what went wrong is the page's ``error``.
    """
    # The engine is looked up through a module-level function, never a global of this
    # task's body: a task is pickled to the workers, and its globals with it.
    return read_page(source, worker_engine(ocr, cache_dir))


@step
def check_submission(
    submission: Submission,
    templates: dict[Annex, TemplateSpec],
    campaign: Campaign,
    received: dt.date | None,
) -> Submission:
    """Extraction and validation of one read submission (``checking.checker``)."""
    return checker(templates, campaign, received)(submission)


def reading_engine(settings: Settings) -> CachedEngine:
    """The engine that names a run's reading: the page pool's and the cluster workers'
    (one ONNX thread each), whose fingerprint keys the page cache. No model loads here."""
    return cached_engine(settings.ocr.model_copy(update={"threads": 1}), settings.cache_dir)


def cluster_of(runner: TaskRunner[Any] | None) -> Client | None:
    """The Dask client when the flow runs on prefect-dask's ``DaskTaskRunner``, else None.

    prefect-dask (and distributed) is imported only by whoever made such a runner, so the
    default runner does not pay for importing it.
    """
    module = sys.modules.get("prefect_dask.task_runners")
    if module is None or not isinstance(runner, module.DaskTaskRunner):
        return None
    return runner.client


def pages_in_flight(client: Client) -> int:
    """How many scanned pages the flow keeps on the cluster at once: two per worker slot
    (one being read, one waiting), so every slot stays busy while the flow renders the
    next page, and the flow never holds more page images than that."""
    return max(4, 2 * sum(client.nthreads().values()))


def read_on_cluster(
    files: list[ingest.SniffedFile], settings: Settings, engine: OcrEngine, in_flight: int
) -> Iterator[tuple[int, ReadPage | Exception]]:
    """The pages of ``files``, each with its file's index, in file and page order; after
    the pages of a file that failed to open or render, what it failed with.

    The files are opened and their pages rendered here, one at a time; each scanned page
    is a ``read_page_task`` on the cluster, at most ``in_flight`` of them at once (the
    window runs across files, so the cluster does not idle between two). Text-layer and
    DOCX pages need no OCR and are read here. A page not back ``page_timeout_s`` after
    its turn came (every earlier page done), or that killed the workers it ran on, is
    set aside as unreadable; the batch goes on.
    """
    from distributed import KilledWorker

    ocr = settings.ocr.model_copy(update={"threads": 1})
    timeout = settings.page_timeout_s
    pending: deque[
        tuple[int, SourcePage, PrefectFuture[ReadPage]] | tuple[int, ReadPage | Exception]
    ]
    pending = deque()

    def oldest() -> tuple[int, ReadPage | Exception]:
        head = pending.popleft()
        if len(head) == 2:
            return head
        index, source, future = head
        try:
            return index, future.result(timeout=timeout)
        except TimeoutError:
            future.wrapped_future.cancel()  # type: ignore[attr-defined]
            return index, timed_out(source, timeout)
        except KilledWorker as exc:
            get_run_logger().error("page %d killed its workers: %s", source.file_page, exc)
            return index, set_aside(
                source,
                "该页导致识别进程崩溃，已跳过",
                f"the page crashed the OCR worker processes: {exc}",
            )

    for index, sniffed in enumerate(files):
        sources = iter_pages(sniffed.source.path, sniffed.kind, settings)
        while True:
            try:
                source = next(sources, None)
            except Exception as exc:  # this file's trouble: the caller sets it aside
                pending.append((index, exc))
                break
            if source is None:
                break
            if source.image is None:
                pending.append((index, read_page(source, engine)))
            else:
                future = read_page_task.submit(source, ocr, settings.cache_dir)
                pending.append((index, source, future))
            while sum(len(p) == 3 for p in pending) > in_flight:
                yield oldest()
    while pending:
        yield oldest()


def read_documents(
    accepted: list[ingest.SniffedFile],
    settings: Settings,
    templates: dict[Annex, TemplateSpec],
    engine: OcrEngine,
    client: Client | None,
    ids: dict[str, SubmissionIds],
) -> Iterator[tuple[int, Document | ingest.SniffedFile]]:
    """Every accepted file read and split into its submissions, each as soon as it is read
    (with its index in ``accepted``): the files the page cache holds first, then the
    others in input order. Submissions are named by ``ids`` (by file name). A file whose
    reading or split failed comes back quarantined (``ingest.quarantine``) instead.

    A file the page cache holds (same sha256, same reader) is taken from it and not
    opened; only when some file is not there does reading start: a ``PagePool``, or the
    cluster's workers with a ``client``. A file read with no page in error goes into the
    cache. The split sees each whole file. Reading goes on while the caller works on the
    files already read.
    """
    cache = PageCache(settings.cache_dir / "pages")
    afresh: list[int] = []
    for index, sniffed in enumerate(accepted):
        assert sniffed.entry.sha256 is not None  # accepted files are hashed
        cached = cache.get(sniffed.entry.sha256, engine)
        if cached is None:
            afresh.append(index)
            continue
        progress.advance(Stage.PAGES, len(cached))
        progress.advance(Stage.FILES)
        yield index, assembled(sniffed, cached, templates, ids)
    if not afresh:
        return
    files = [accepted[i] for i in afresh]
    for index, pages in zip(afresh, read_afresh(files, settings, engine, client), strict=True):
        if isinstance(pages, Exception):
            yield index, failed(accepted[index], pages)
            continue
        # A page that failed may read on a later run (a transient fault): keep it uncached.
        if not any(r.error for r in pages):
            cache.put(accepted[index].entry.sha256 or "", engine, pages)
        yield index, assembled(accepted[index], pages, templates, ids)


def assembled(
    sniffed: ingest.SniffedFile,
    pages: list[ReadPage],
    templates: dict[Annex, TemplateSpec],
    ids: dict[str, SubmissionIds],
) -> Document | ingest.SniffedFile:
    """``assemble`` of one file's read pages; the file quarantined if that fails."""
    name = sniffed.source.name
    try:
        return assemble(name, sniffed.entry.sha256 or "", pages, templates, ids.get(name))
    except Exception as exc:  # one file's trouble: set aside, the batch goes on
        return failed(sniffed, exc)


def failed(sniffed: ingest.SniffedFile, error: Exception) -> ingest.SniffedFile:
    """An accepted file that failed after sniffing, quarantined with what went wrong."""
    if isinstance(error, ingest.QuarantineError):  # refused while read (a DOCX over the cap)
        get_run_logger().warning("%s set aside: %s", sniffed.source.name, error.reason_en)
        return ingest.quarantine(sniffed, error.reason, error.reason_en)
    get_run_logger().error("%s set aside: %r", sniffed.source.name, error)
    return ingest.quarantine(
        sniffed,
        "读取或处理文件时出错（文件可能在处理期间被改动或移走），未能处理",
        f"failed while read or checked: {error!r}",
    )


def read_afresh(
    files: list[ingest.SniffedFile], settings: Settings, engine: OcrEngine, client: Client | None
) -> Iterator[list[ReadPage] | Exception]:
    """The read pages of each of ``files``, in order, each file as soon as it and those
    before it are read; for a file whose reading failed, what it failed with.

    Here, files are read a core's worth at a time in ``read_file`` tasks of their own
    (the flow's runner stays free for the work on the files already read), their scans on
    one ``PagePool`` whose slots bound the page images in memory across them. On a
    cluster, each scanned page is a ``read_page_task`` (``read_on_cluster``).
    """
    if client is None:
        workers = os.cpu_count() or 1
        with (
            PagePool(settings.ocr, settings.cache_dir, workers, settings.page_timeout_s) as pool,
            ThreadPoolTaskRunner(max_workers=workers) as readers,
        ):
            futures = deque(
                readers.map(
                    read_file,
                    {"sniffed": files, "settings": unmapped(settings), "pool": unmapped(pool)},
                )
            )
            try:
                while futures:  # handed on and let go one at a time: a file's pages, once
                    yield read_or_error(futures.popleft())
            finally:  # the caller failed: the files not yet started are not read
                for future in futures:
                    future.wrapped_future.cancel()  # type: ignore[attr-defined]
        return
    # Page images go to the workers in the task's arguments: one page (~12 MB at 200 dpi)
    # is not the "large graph" distributed warns of.
    import dask

    get_run_logger().info("pages go to the Dask cluster %s", client)
    large = {"distributed.admin.large-graph-warning-threshold": "256MB"}
    with dask.config.set(large), api_for_workers(client):
        done, pages = 0, []
        error: Exception | None = None  # what the file being gathered failed with
        for index, page in read_on_cluster(files, settings, engine, pages_in_flight(client)):
            while index > done:  # the file before is whole
                progress.advance(Stage.FILES)
                yield error or pages
                done, pages, error = done + 1, [], None
            if isinstance(page, Exception):
                error = page
                continue
            pages.append(page)
            progress.advance(Stage.PAGES)
        while done < len(files):
            progress.advance(Stage.FILES)
            yield error or pages
            done, pages, error = done + 1, [], None


def read_or_error(future: PrefectFuture[list[ReadPage]]) -> list[ReadPage] | Exception:
    """A ``read_file``'s pages, or what it failed with: one file's trouble is not the
    batch's."""
    try:
        return future.result()
    except Exception as exc:
        progress.advance(Stage.FILES)
        return exc


def read_and_check(
    accepted: list[ingest.SniffedFile],
    sniffed: list[ingest.SniffedFile],
    batch: str,
    spool: ReportSpool,
    settings: Settings,
    templates: dict[Annex, TemplateSpec],
    campaign: Campaign,
    engine: OcrEngine,
    client: Client | None,
    received: dt.date | None,
) -> tuple[list[tuple[SpooledReport, Report]], list[ingest.SniffedFile]]:
    """Every submission of the batch read, checked (``check_submission``) and its report
    built, each file's as soon as it is read: the full report waits in ``spool``, the
    batch keeps it ``without_reading``. Then the quarantined files' reports
    (FILE_UNREADABLE), so reviewers see them. Every id unique across the batch by
    construction (``submission_ids``, over every file that has a hash).

    Returns:
        The reports, in input order, and ``sniffed`` with the files that failed while
        read or while their reports were built quarantined (``ingest.quarantine``): one
        file's trouble is not the batch's.
    """
    ids = submission_ids([(s.entry.file, s.entry.sha256) for s in sniffed if s.entry.sha256])
    read: dict[int, list[tuple[SpooledReport, Report]]] = {}
    set_aside: dict[str, ingest.SniffedFile] = {}
    # closed on a failure here, so the reading stops at once
    documents = read_documents(accepted, settings, templates, engine, client, ids)
    with closing(documents):
        for index, document in documents:
            if isinstance(document, ingest.SniffedFile):
                set_aside[document.entry.file] = document
                continue
            if not document.submissions:
                continue
            checked = check_submissions(document.submissions, templates, campaign, received, client)
            try:
                built = [
                    build_report(
                        s, batch, engine, templates, document.timings.get(s.id), received=received
                    )
                    for s in checked
                ]
            except Exception as exc:  # one file's trouble: set aside, the batch goes on
                set_aside[document.file] = failed(accepted[index], exc)
                continue
            read[index] = [spool.put(report) for report in built]
    out = [report for index in sorted(read) for report in read[index]]
    sniffed = [set_aside.get(s.entry.file, s) for s in sniffed]
    out += [
        spool.put(build_report(u, batch, None, templates, received=received))
        for s in sniffed
        if (u := unreadable_submission(s, ids.get(s.entry.file))) is not None
    ]
    return out, sniffed


@step
def publish_spooled(
    store: ObjectStore,
    sniffed: ingest.SniffedFile | None,
    spooled: list[SpooledReport],
    check: BatchCheck,
    templates: dict[Annex, TemplateSpec],
    settings: Settings,
) -> int:
    """``publish_reports`` of one input file's reports, taken from the spool with what the
    checks across the batch found of them (``check``). Returns the objects written."""
    reports = [check.apply(s.load()) for s in spooled]
    return publish_reports.fn(store, sniffed, reports, templates, settings)


@contextmanager
def api_for_workers(client: Client) -> Iterator[None]:
    """The Prefect API the cluster's workers report their task runs to.

    Task runs carry the flow's settings to the workers. A run on Prefect's temporary
    server (no ``PREFECT_API_URL``) would leave each worker process starting a temporary
    server of its own, its task runs invisible to the flow's: the workers are given the
    flow's temporary server instead (on 127.0.0.1, so only a cluster on this machine can
    reach it; a cluster on other machines needs ``PREFECT_API_URL`` of a real server).
    """
    if PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the one this process's client started
    if not server.running:
        yield
        return
    workers = client.scheduler_info().get("workers", {})
    hosts = {urlsplit(address).hostname for address in workers} - LOOPBACK
    if hosts:
        get_run_logger().warning(
            "Dask workers on %s cannot reach this run's temporary Prefect server (%s): "
            "set PREFECT_API_URL to a Prefect server they can reach",
            ", ".join(sorted(h for h in hosts if h)),
            server.api_url,
        )
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        yield


def map_here(client: Client | None, step_task: Task[..., Any], **parameters: Any) -> list:
    """``step_task`` mapped over ``parameters`` on this machine, for a step that needs the
    input files or the store (only this machine is sure to have them): on the flow's own
    runner, or on threads here when the flow's runner is a cluster (``client``)."""
    if client is None:
        return step_task.map(**parameters).result()
    with ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1) as here:
        return here.map(step_task, parameters).result()


def check_submissions(
    submissions: list[Submission],
    templates: dict[Annex, TemplateSpec],
    campaign: Campaign,
    received: dt.date | None,
    client: Client | None,
) -> list[Submission]:
    """``check_submission`` of every read submission, in order: on the flow's runner (on
    a cluster, its workers)."""
    with api_for_workers(client) if client is not None else nullcontext():
        return check_submission.map(
            submissions,
            templates=unmapped(templates),
            campaign=unmapped(campaign),
            received=unmapped(received),
        ).result()


@contextmanager
def run_spool(root: Path) -> Iterator[Path]:
    """This run's own folder under ``root`` for its spooled reports, removed at the end;
    first, the folders left there by runs that died (a killed run skips every cleanup, and
    a batch's reports are as large as its pages' reading) are removed.

    A run holds a lock on its folder's ``.lock`` while it lives, which the system releases
    however the run ends: a folder whose lock can be taken is a dead run's, one held is a
    run going on at the same time, left alone. A lock beside ``root`` (``spool.lock``) is
    held while a folder is made and locked and while the dead are looked for, so no run
    takes another's folder for dead in between.
    """
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root.with_name(f"{root.name}.lock")):
        for folder in root.glob("batch-*"):
            _remove_if_dead(folder)
        folder = Path(tempfile.mkdtemp(prefix="batch-", dir=root))
        held = (folder / ".lock").open("w")  # held for the run's life
        fcntl.flock(held, fcntl.LOCK_EX)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        held.close()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _remove_if_dead(folder: Path) -> None:
    """Remove a run's spool folder unless its run still holds its lock."""
    try:
        # (made if missing: a folder left by a version without locks is a dead run's too)
        with (folder / ".lock").open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # its run goes on
            shutil.rmtree(folder)
    except OSError as exc:
        log.warning("%s not removed: %s", folder, exc.strerror or exc)


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
    A report the store already holds exactly (``already_published``) is skipped, pages and
    all: an unchanged batch re-runs without rendering.
    Returns how many objects were written.
    """
    published = {r.submission_id for r in reports if already_published(store, r)}
    progress.advance(Stage.SUBMISSIONS, len(published))
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
        progress.advance(Stage.SUBMISSIONS)
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
) -> tuple[str, int]:
    """``index.html`` and ``summary.xlsx`` of the batch; the index's key and objects written.

    The batch's own findings (PAPER_MISSING …) are the manifest's: one source for both.
    """
    batch = manifest.batch
    index = render_index_html(
        manifest,
        reports,
        index_links(store, batch),
        lambda report: report_html_key(batch, report.submission_id),
        manifest.findings,
    )
    summary = render_summary_xlsx(manifest, reports, templates, manifest.findings)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    written = put_if_changed(store, index_key(batch), index, "text/html; charset=utf-8")
    written += put_if_changed(store, summary_key(batch), summary, xlsx)
    return index_key(batch), written


@flow(name="process-batch", task_runner=ThreadPoolTaskRunner(max_workers=FLOW_THREADS))
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
    # This process renders every page the readers get: let freeing them return memory.
    return_large_buffers_to_the_os()
    object_store, online_export = check_run(paths, online, batch, store or settings.store, received)
    received_on = ingest.parse_received(received) if received is not None else None
    export = load_export(Path(online), settings) if online is not None else None
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
    templates = load_templates(settings.templates_dir)
    campaign = load_campaign(settings.config_dir / "campaign.yaml")
    # Scanned pages are read on one worker process per core (or the cluster's workers),
    # each with its own engine; files the page cache holds are not read again.
    engine = reading_engine(settings)
    with run_spool(settings.cache_dir / "spool") as folder:
        spool = ReportSpool(folder)
        waiting, sniffed = read_and_check(
            accepted,
            sniffed,
            batch_id,
            spool,
            settings,
            templates,
            campaign,
            engine,
            client,
            received_on,
        )
        progress.set_total(Stage.SUBMISSIONS, len(waiting))
        records = export.records if export is not None else None
        found = batch_check([lean for _, lean in waiting], records, templates, campaign)
        for finding in found.batch_findings:  # in the manifest, not a report
            logger.warning("online filing %s has no paper in this batch", finding.key)
        reports = [found.apply(lean) for _, lean in waiting]

        by_file: dict[str, list[SpooledReport]] = {}
        for spooled, report in zip((s for s, _ in waiting), reports, strict=True):
            by_file.setdefault(report.source.file, []).append(spooled)
        with_reports = [s for s in sniffed if s.entry.file in by_file]
        written = sum(
            map_here(
                client,
                publish_spooled,
                store=unmapped(object_store),
                sniffed=with_reports,
                spooled=[by_file[s.entry.file] for s in with_reports],
                check=unmapped(found),
                templates=unmapped(templates),
                settings=unmapped(settings),
            )
        )
    written += sum(
        map_here(
            client,
            store_original,
            store=unmapped(object_store),
            sniffed=sniffed,
            settings=unmapped(settings),
        )
    )

    submissions: dict[str, list[str]] = {}
    for report in reports:
        submissions.setdefault(report.source.file, []).append(report.submission_id)
    entries = tuple(
        s.entry.model_copy(update={"submissions": tuple(submissions.get(s.entry.file, ()))})
        for s in sniffed
    )
    manifest = Manifest(
        batch=batch_id,
        online=online_export,
        received=received_on,
        files=entries,
        findings=found.batch_findings,
    )
    key, manifest_written = write_manifest(object_store, manifest)
    index, pages_written = write_batch_pages(object_store, manifest, reports, templates)
    publish_batch_artifacts(object_store, manifest, reports)
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
