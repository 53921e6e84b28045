"""Pages and submissions on a Dask cluster (prefect-dask's ``DaskTaskRunner``: ``shenbao
run --dask ADDRESS`` or ``--dask-workers N``).

Each scanned page is a ``read_page_task`` and each submission a ``check_submission`` on the
cluster, every worker process with its own OCR engine (``worker_engine``). What touches
the input files or the store — sniffing, rendering pages, evidence, reports, originals,
the manifest — stays on the flow's machine: a cluster's workers need neither the files nor
the store's credentials. OCR is bounded by the cluster's worker slots and a bound of pages
in flight (``pages_in_flight``); a page not back in time is PAGE_UNREADABLE and the batch
goes on.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from prefect import get_run_logger
from prefect.futures import PrefectFuture
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import TaskRunner

from flows import progress
from flows.progress import Stage
from flows.tasks import step
from pipeline import ingest
from pipeline.ocr.cache import CachedEngine, cached_engine
from pipeline.ocr.engine import OcrEngine, OcrSettings
from pipeline.pages import SourcePage, iter_pages
from pipeline.pool import return_large_buffers_to_the_os, set_aside, timed_out
from pipeline.read import ReadPage, read_page
from pipeline.rulebook import Rules
from pipeline.settings import Settings

if TYPE_CHECKING:
    from distributed import Client

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

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
def read_page_task(source: SourcePage, rules: Rules, ocr: OcrSettings, cache_dir: Path) -> ReadPage:
    """One scanned page read on a cluster worker: normalised, OCR'd, its seals read.

    Never raises for a bad page (``read_page``): what went wrong is the page's ``error``.
    """
    # The engine is looked up through a module-level function, never a global of this
    # task's body: a task is pickled to the workers, and its globals with it.
    return read_page(source, worker_engine(ocr, cache_dir), rules)


def cluster_of(runner: TaskRunner[Any] | None) -> Client | None:
    """The Dask client when the flow runs on prefect-dask's ``DaskTaskRunner``, else None.

    prefect-dask (and distributed) is imported only by whoever made such a runner, so the
    default runner does not pay for importing it.
    """
    module = sys.modules.get("prefect_dask.task_runners")
    if module is None or not isinstance(runner, module.DaskTaskRunner):
        return None
    client: Client = runner.client
    return client


def pages_in_flight(client: Client) -> int:
    """How many scanned pages the flow keeps on the cluster at once: two per worker slot
    (one being read, one waiting), so every slot stays busy while the flow renders the
    next page, and the flow never holds more page images than that."""
    slots: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
    return max(4, 2 * sum(slots.values()))


def read_on_cluster(
    files: list[ingest.SniffedFile],
    settings: Settings,
    rules: Rules,
    engine: OcrEngine,
    in_flight: int,
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
        sources = iter_pages(sniffed.source.path, sniffed.kind, settings, rules)
        while True:
            try:
                source = next(sources, None)
            except Exception as exc:  # this file's trouble: the caller sets it aside
                pending.append((index, exc))
                break
            if source is None:
                break
            if source.image is None:
                pending.append((index, read_page(source, engine, rules)))
            else:
                future = read_page_task.submit(source, rules, ocr, settings.cache_dir)
                pending.append((index, source, future))
            while sum(len(p) == 3 for p in pending) > in_flight:
                yield oldest()
    while pending:
        yield oldest()


def read_files_on_cluster(
    client: Client,
    files: list[ingest.SniffedFile],
    settings: Settings,
    rules: Rules,
    engine: OcrEngine,
) -> Generator[list[ReadPage] | Exception, None, None]:
    """The read pages of each of ``files``, in order, each file as soon as it and those
    before it are read, its scanned pages on the cluster (``read_on_cluster``); for a file
    whose reading failed, what it failed with."""
    # Page images go to the workers in the task's arguments: one page (~12 MB at 200 dpi)
    # is not the "large graph" distributed warns of.
    import dask

    get_run_logger().info("pages go to the Dask cluster %s", client)
    large = {"distributed.admin.large-graph-warning-threshold": "256MB"}
    with dask.config.set(large), api_for_workers(client):
        done, pages = 0, list[ReadPage]()
        error: Exception | None = None  # what the file being gathered failed with
        in_flight = pages_in_flight(client)
        for index, page in read_on_cluster(files, settings, rules, engine, in_flight):
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
