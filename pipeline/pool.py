"""Reading scanned pages on worker processes: one OCR engine per core.

ONNX Runtime scales better across processes, one thread each, than across threads of one
session, and normalisation is NumPy/OpenCV work that wants a core of its own too. The
file is still opened and its pages produced in the calling process, one at a time; each
scanned page goes to a worker (normalise + OCR) with a bounded number in flight, so memory
stays flat however long the file, and pages come back in order. A page that takes longer
than the pool's page timeout to read is set aside as unreadable: its reader is stopped (the
pool's processes are killed and started again, the other pages in flight sent again).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType

import cv2

from pipeline.model import Page
from pipeline.ocr.cache import CachedEngine, cached_engine
from pipeline.ocr.engine import OcrSettings
from pipeline.pages import SourcePage
from pipeline.read import ReadPage, read_page
from pipeline.rulebook import Rules

log = logging.getLogger(__name__)

_worker_engine: CachedEngine | None = None
_worker_rules: Rules | None = None
_M_MMAP_THRESHOLD = -3  # glibc mallopt parameters
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_CANCELLED_RETRIES = 3  # a page cancelled by other files' reader restarts is tried again
MMAP_THRESHOLD_BYTES = 4 << 20
TRIM_THRESHOLD_BYTES = 64 << 20
TOP_PAD_BYTES = 64 << 20
_POLL_S = 0.5  # how often a page's reading is looked at for its timeout
PARENT_WATCH_S = 0.5
"""How often a reader looks whether the process that started it is still there."""
CLOSE_GRACE_S = 10.0
"""How long a closing pool waits for its readers to end by themselves before it kills
them. Idle readers end at once; one still busy on a page (the batch was stopped) or one
that never heard it should end (a pool replaced after a crash or a hang) is killed."""


def return_large_buffers_to_the_os() -> None:
    """Serve allocations of 4 MiB and more by mmap, so freeing them gives memory back.

    glibc raises its mmap threshold as big buffers are freed, after which page images
    and ONNX Runtime's tensors are carved from a heap that never shrinks: a reader's RSS
    doubled over a batch (1.27 GB vs 0.69 GB after 30 pages, the same speed). No-op where
    the C library is not glibc.

    The heap below that keeps up to ``TRIM_THRESHOLD_BYTES`` free at its top: with the
    mmap threshold set, glibc's trim threshold stays at 128 KiB, and the work-scale
    masks and planes of seal detection (1-4 MB each, dozens a page) were handed back and
    faulted in again on every page - a fifth of the seal work's CPU went on page faults
    (tests/pipeline/real and augmentation seed 1, 52 pages: 0.262 -> 0.215 s CPU a page,
    system time 2.1 -> 0.15 s, minor faults 996k -> 60k; the same seals and readings).
    And when it does trim, it keeps ``TOP_PAD_BYTES`` (glibc's pad is 128 KiB): trimmed
    to the pad, the heap was grown and faulted in again on the next page's masks (the
    real images' seal work, an idle machine, three runs each way: 0.149-0.152 -> 0.144-0.145
    s CPU a page, the same seals).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
        libc.mallopt(_M_TOP_PAD, TOP_PAD_BYTES)
    except (OSError, AttributeError):
        log.debug("mallopt unavailable: page readers keep the C library's default heap")


def exit_with_parent(parent: int) -> None:
    """End this process as soon as ``parent`` is no longer its parent (it died, however:
    a reader left behind holds ~0.3 GB for nothing, and nobody would ever stop it).

    A thread that looks every ``PARENT_WATCH_S``, not Linux's parent-death signal: that
    signal comes when the *thread* that started the child ends, and readers are started
    (and restarted) from the threads of the tasks reading files, which end before the pool
    does.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def as_a_reader() -> None:
    """Set this process up as a reader: OpenCV on one thread, as the OCR is. The pool's
    processes, one a core, are the parallelism; OpenCV's own thread pool beside them only
    contends for the same cores (seal work on the real images, the machine busy: 0.21 s
    of CPU a page with OpenCV's threads, 0.17 without, the same wall time)."""
    cv2.setNumThreads(1)


def _start_worker(ocr: OcrSettings, cache_dir: Path, rules: Rules, parent: int) -> None:
    global _worker_engine, _worker_rules
    exit_with_parent(parent)
    return_large_buffers_to_the_os()
    as_a_reader()
    _worker_engine = cached_engine(ocr, cache_dir)
    _worker_rules = rules


def _read_in_worker(source: SourcePage) -> ReadPage:
    assert _worker_engine is not None and _worker_rules is not None, "worker not started"
    return read_page(source, _worker_engine, _worker_rules)


def _ready() -> None:
    """Nothing: done once a reader process of a fresh pool has started."""


def set_aside(source: SourcePage, error: str, error_en: str) -> ReadPage:
    """A scanned page given up on: no text, and why (a PAGE_UNREADABLE of its submission)."""
    return ReadPage(
        page=Page(
            number=source.file_page,
            source_page=source.file_page,
            kind=source.kind,
            width_pt=source.width_pt,
            height_pt=source.height_pt,
        ),
        error=error,
        error_en=error_en,
    )


def timed_out(source: SourcePage, timeout_s: float) -> ReadPage:
    """A page whose reading took longer than ``timeout_s``."""
    log.error("page %d took longer than %g s to read: set aside", source.file_page, timeout_s)
    return set_aside(
        source,
        f"页面识别超时（超过{timeout_s:g}秒），已跳过",
        f"reading the page took longer than {timeout_s:g} s",
    )


class _Readers:
    """The reader processes of one executor and its manager thread, kept past its shutdown
    (which forgets them) so that they can be waited for and, if need be, killed."""

    def __init__(self, executor: ProcessPoolExecutor) -> None:
        # the executor's own dict: readers it starts later are in it too
        self.processes: dict[int, BaseProcess] = getattr(executor, "_processes", None) or {}
        self.manager: threading.Thread | None = getattr(executor, "_executor_manager_thread", None)

    def stop(self, deadline: float) -> None:
        """Wait until ``deadline`` for the readers to end, then kill those left."""
        if self.manager is not None:
            self.manager.join(max(0.0, deadline - time.monotonic()))
        for process in list(self.processes.values()):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("page reader %s did not end when the pool closed: killed", process.pid)
                process.kill()
                process.join(CLOSE_GRACE_S)
        if self.manager is not None:
            self.manager.join(CLOSE_GRACE_S)

    def kill(self) -> None:
        for process in list(self.processes.values()):
            if process.is_alive():
                process.kill()


# Pools not yet closed, held (not weakly) so that the readers of one dropped unclosed are
# still found at exit.
_open_pools: set[PagePool] = set()


def _kill_readers_left_at_exit() -> None:
    """At interpreter exit, before concurrent.futures joins its executors' manager threads:
    kill the readers of pools never closed. A manager waits on its readers, and a reader
    that missed its pool's end (replaced after a hang while another file was submitting to
    it) waits on its queue for ever: the process would never exit."""
    for pool in list(_open_pools):
        pool._closed = True  # a reading thread that sees its page fail starts no readers
        for readers in pool._all_readers():
            readers.kill()


# Registered after concurrent.futures' own exit hook (imported above), so it runs first.
threading._register_atexit(_kill_readers_left_at_exit)  # type: ignore[attr-defined]


class PagePool:
    """A pool of page readers, each reading by the ``rules`` given (the marks of a page:
    ``read_page``); use as a context manager, or ``close()`` it.

    A reader process that dies (a crash in native code on a hostile page) does not end
    the batch: the pool is started again, the page is tried once more on its own, and if
    it kills a reader again it becomes an unreadable page. With ``page_timeout_s``, a page
    still not read that long after a reader took it is unreadable too, and the reader
    stuck on it is killed. The clock starts when the page leaves the pool's queue (the
    pool hands each reader its next page early: at most one page's time early), not when
    it was submitted, so files sharing the pool do not eat each other's time.
    """

    # What a reader process runs per page; tests put a crashing one here.
    reader: Callable[[SourcePage], ReadPage] = staticmethod(_read_in_worker)

    def __init__(
        self,
        ocr: OcrSettings,
        cache_dir: Path,
        rules: Rules,
        workers: int,
        page_timeout_s: float | None = None,
    ) -> None:
        self.workers = max(1, workers)
        # what every reader finds a page's marks by: sent to each once, when it starts
        self.rules = rules
        self.page_timeout_s = page_timeout_s
        # two pages per reader (one being read, one waiting), across all files read at once
        self.in_flight = 2 * self.workers
        self._slots = threading.BoundedSemaphore(self.in_flight)
        self._ocr = ocr.model_copy(update={"threads": 1})
        self._cache_dir = cache_dir
        # The engine here only names the reading (fingerprint for caches, name for
        # reports); its models never load in this process.
        self.engine = cached_engine(self._ocr, cache_dir)
        self._retired: list[_Readers] = []  # readers of executors replaced
        self._closed = False
        self._executor = self._start()
        _open_pools.add(self)

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: the caller may be a threaded Prefect worker.
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._ocr, self._cache_dir, self.rules, os.getpid()),
        )

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if self._executor is broken:
            self._retired.append(_Readers(broken))
            broken.shutdown(wait=False, cancel_futures=True)
            if not self._closed:  # else the next submit fails: the pool is closed
                self._executor = self._start()

    def _all_readers(self) -> list[_Readers]:
        return [*self._retired, _Readers(self._executor)]

    def _kill(self, stuck: ProcessPoolExecutor) -> None:
        """Stop a pool whose reader hangs (a running task cannot be cancelled) and start a
        fresh one; what else was in flight on it fails as BrokenProcessPool. Returns once
        a fresh reader is up, so its start is not counted against the next page's time."""
        # Python 3.14 has kill_workers(); before it the processes are only reachable here.
        kill_workers = getattr(stuck, "kill_workers", None)
        if kill_workers is not None:
            kill_workers()
        else:
            _Readers(stuck).kill()
        self._restart(stuck)
        self._executor.submit(_ready).result()

    def _result(self, future: Future[ReadPage]) -> ReadPage:
        """The page as read; TimeoutError once a reader has had it ``page_timeout_s``."""
        if self.page_timeout_s is None:
            return future.result()
        taken: float | None = None
        while True:
            try:
                return future.result(timeout=_POLL_S)
            except TimeoutError:
                now = time.monotonic()
                if taken is None:
                    taken = now if future.running() else None
                elif now - taken >= self.page_timeout_s:
                    raise

    def _retry_alone(self, source: SourcePage) -> ReadPage:
        for _ in range(_CANCELLED_RETRIES):
            executor = self._executor
            try:
                return self._result(executor.submit(self.reader, source))
            except CancelledError:
                # another file's page timed out and the pool it shared was killed: again
                continue
            except TimeoutError:
                assert self.page_timeout_s is not None
                self._kill(executor)
                return timed_out(source, self.page_timeout_s)
            except BrokenProcessPool:
                self._restart(executor)
                log.error("page %d killed a reader process twice: set aside", source.file_page)
                return set_aside(
                    source,
                    "该页导致识别进程崩溃，已跳过",
                    "the page crashed the OCR reader process twice",
                )
        log.error(
            "page %d was cancelled %d times by restarts: set aside",
            source.file_page,
            _CANCELLED_RETRIES,
        )
        return set_aside(
            source,
            "识别进程多次重启，该页未能识别，已跳过",
            f"the page was cancelled {_CANCELLED_RETRIES} times by reader restarts",
        )

    def read(self, sources: Iterable[SourcePage]) -> Iterator[ReadPage]:
        """The pages read, in order; scans on the workers, text pages right here.

        Files read at once share the pool's ``in_flight`` slots: a slot is taken before
        the next page is rendered and given back once its reading is taken, so the page
        images in memory are bounded however many files are read at once. A file waiting
        for a slot first hands on what it has read; it blocks only holding none, so files
        waiting on each other's slots never deadlock.
        """
        pending: deque[tuple[SourcePage, Future[ReadPage], ProcessPoolExecutor] | ReadPage]
        pending = deque()

        def oldest() -> ReadPage:
            head = pending.popleft()
            if isinstance(head, ReadPage):
                return head
            try:
                return self._taken(head, pending)
            finally:
                self._slots.release()

        def slot() -> Iterator[ReadPage]:
            while not self._slots.acquire(blocking=False):
                if not pending:
                    self._slots.acquire()
                    return
                yield oldest()

        pages = iter(sources)
        try:
            while True:
                yield from slot()
                try:
                    source = next(pages)
                except StopIteration:
                    self._slots.release()
                    break
                except BaseException:  # rendering failed: not a page's error, the file's
                    self._slots.release()
                    raise
                if source.image is None:
                    self._slots.release()
                    pending.append(read_page(source, self.engine, self.rules))
                else:
                    future: Future[ReadPage] | None = None
                    try:
                        while future is None:
                            executor = self._executor
                            try:
                                future = executor.submit(self.reader, source)
                            except BrokenProcessPool:
                                # A reader died under a page in flight since. This file's
                                # own such page is taken first (its turn restarts the pool
                                # and tells of it); another file's: restarted here.
                                if any(
                                    not isinstance(p, ReadPage) and p[2] is executor
                                    for p in pending
                                ):
                                    yield oldest()
                                else:
                                    self._restart(executor)
                    except BaseException:  # left while waiting: this page's slot goes back
                        self._slots.release()
                        raise
                    pending.append((source, future, executor))
            while pending:
                yield oldest()
        finally:  # left early (an error, or the caller stopped): the slots held go back
            for entry in pending:
                if not isinstance(entry, ReadPage):
                    entry[1].cancel()
                    self._slots.release()

    def _taken(
        self,
        head: tuple[SourcePage, Future[ReadPage], ProcessPoolExecutor],
        pending: deque[tuple[SourcePage, Future[ReadPage], ProcessPoolExecutor] | ReadPage],
    ) -> ReadPage:
        """The reading of the oldest page in flight of one ``read``; a page that hangs or
        kills its reader set aside (the pages ``pending`` behind it on a killed pool are
        sent to the fresh one)."""
        source, future, executor = head
        try:
            return self._result(future)
        except TimeoutError:
            assert self.page_timeout_s is not None
            self._kill(executor)
            # the other pages in flight on the killed pool go to the fresh one
            for i, entry in enumerate(pending):
                if isinstance(entry, ReadPage) or entry[2] is not executor:
                    continue
                if entry[1].done() and not entry[1].cancelled() and not entry[1].exception():
                    continue  # read before the kill
                again = self._executor
                pending[i] = (entry[0], again.submit(self.reader, entry[0]), again)
            return timed_out(source, self.page_timeout_s)
        except BrokenProcessPool:
            if executor is self._executor:
                log.warning("a reader process died on page %d: restarting", source.file_page)
                self._restart(executor)
            else:  # the readers were stopped for another page that hung: not this one's fault
                log.warning(
                    "page %d was in flight on readers stopped for another page: again",
                    source.file_page,
                )
            return self._retry_alone(source)
        except CancelledError:
            # Files share the pool: another file's page timed out and the pool was
            # killed and restarted under this one. Not this page's fault: read again.
            log.warning("page %d was cancelled by a reader restart: again", source.file_page)
            return self._retry_alone(source)

    def close(self) -> None:
        """Stop every reader this pool started: those of the current executor once they
        have finished what they hold, and any left from executors replaced after a crash
        or a hang; a reader still there after ``CLOSE_GRACE_S`` is killed."""
        self._closed = True
        readers = self._all_readers()
        self._executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + CLOSE_GRACE_S
        for each in readers:
            each.stop(deadline)
        self._retired.clear()
        _open_pools.discard(self)

    def __enter__(self) -> PagePool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
