"""Page readers on worker processes: order kept, and a reader that dies does not end a batch."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np
import psutil
import pytest

import pipeline.pool
from pipeline.model import Page, SourceKind
from pipeline.ocr.engine import OcrSettings
from pipeline.pages import SourcePage
from pipeline.pool import PagePool
from pipeline.read import ReadPage
from tests.processes import still_running
from tests.rulebook import RULES


def _source(number: int) -> SourcePage:
    return SourcePage(
        file_page=number,
        kind=SourceKind.SCAN,
        width_pt=100,
        height_pt=100,
        image=np.full((20, 20, 3), number, np.uint8),
        dpi=200,
    )


def _blank(source: SourcePage) -> ReadPage:
    """The page read as having nothing on it: what the fake readers give for a good page."""
    return ReadPage(
        page=Page(
            number=source.file_page,
            source_page=source.file_page,
            kind=source.kind,
            width_pt=100,
            height_pt=100,
        )
    )


def crash_on_page_two(source: SourcePage) -> ReadPage:
    """A reader that dies in native code on one page, as a hostile image could make it."""
    if source.file_page == 2:
        os._exit(70)
    return _blank(source)


class CrashingPool(PagePool):
    reader = staticmethod(crash_on_page_two)


def test_a_dying_reader_costs_one_page_not_the_batch(tmp_path: Path) -> None:
    with CrashingPool(OcrSettings(), tmp_path, RULES, workers=2) as pool:
        read = list(pool.read(_source(n) for n in range(1, 6)))
        again = list(pool.read(_source(n) for n in (1, 3)))  # the pool still works
    assert [r.page.source_page for r in read] == [1, 2, 3, 4, 5]
    assert [r.error is not None for r in read] == [False, True, False, False, False]
    assert "崩溃" in (read[1].error or "")
    assert [r.error for r in again] == [None, None]


def opencv_threads(source: SourcePage) -> ReadPage:
    """A reader that tells how many threads OpenCV runs on in its process (as the page's
    width)."""
    read = _blank(source)
    return ReadPage(page=read.page.model_copy(update={"width_pt": cv2.getNumThreads()}))


class ThreadsPool(PagePool):
    reader = staticmethod(opencv_threads)


def test_a_reader_process_runs_opencv_on_one_thread(tmp_path: Path) -> None:
    """The pool's processes are the parallelism: OpenCV's own threads beside them would
    only contend for the cores."""
    with ThreadsPool(OcrSettings(), tmp_path, RULES, workers=2) as pool:
        read = list(pool.read(_source(n) for n in range(1, 4)))
    assert [r.page.width_pt for r in read] == [1, 1, 1]


def test_pages_without_pixels_are_read_in_this_process(tmp_path: Path) -> None:
    text_page = SourcePage(file_page=1, kind=SourceKind.TEXT_LAYER, width_pt=100, height_pt=100)
    with CrashingPool(OcrSettings(), tmp_path, RULES, workers=1) as pool:
        (read,) = pool.read([text_page])
    assert read.page.kind is SourceKind.TEXT_LAYER and read.error is None


def slow_page(source: SourcePage) -> ReadPage:
    """A reader that takes a while over each page, so pages pile up if nothing bounds them."""
    time.sleep(0.05)
    return _blank(source)


class SlowPool(PagePool):
    reader = staticmethod(slow_page)


def test_files_read_at_once_share_a_bound_on_the_page_images_in_memory(tmp_path: Path) -> None:
    """Four files read at once on one pool: the pages rendered and not yet handed back
    never exceed the pool's slots (plus the one each file may have just been handed), and
    no file waits forever on another's slots."""
    lock = threading.Lock()
    alive, most = 0, 0

    def rendered(count: int) -> Iterator[SourcePage]:
        nonlocal alive, most
        for number in range(1, count + 1):
            with lock:
                alive += 1
                most = max(most, alive)
            yield _source(number)

    read: dict[int, list[int]] = {}

    def read_file(index: int, pool: PagePool) -> None:
        nonlocal alive
        pages = []
        for page in pool.read(rendered(8)):
            with lock:
                alive -= 1
            pages.append(page.page.source_page)
        read[index] = pages

    with SlowPool(OcrSettings(), tmp_path, RULES, workers=1) as pool:
        threads = [threading.Thread(target=read_file, args=(i, pool)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a file waited forever for a slot"
    assert read == {i: list(range(1, 9)) for i in range(4)}
    assert pool.in_flight == 2
    assert most <= pool.in_flight + len(threads)


def test_a_file_left_early_gives_its_slots_back(tmp_path: Path) -> None:
    with SlowPool(OcrSettings(), tmp_path, RULES, workers=1) as pool:
        pages = pool.read(_source(n) for n in range(1, 10))
        next(pages)
        pages.close()  # the caller stopped with pages in flight
        again = [r.page.source_page for r in pool.read(_source(n) for n in range(1, 4))]
    assert again == [1, 2, 3]


def hang_on_page_two(source: SourcePage) -> ReadPage:
    """A reader stuck on one page, as native code on a hostile image could be."""
    if source.file_page == 2:
        time.sleep(300)
    return _blank(source)


class HangingPool(PagePool):
    reader = staticmethod(hang_on_page_two)


def _sources(numbers: Iterable[int]) -> Iterator[SourcePage]:
    return (_source(n) for n in numbers)


def test_a_hanging_page_in_the_pool_is_unreadable_and_its_reader_killed(tmp_path: Path) -> None:
    with HangingPool(OcrSettings(), tmp_path, RULES, workers=2) as pool:
        list(pool.read(_sources([1])))  # the readers are up: their start is not a page's time
        # long enough for a fresh reader process to import this module, on a busy machine
        pool.page_timeout_s = 8
        started = time.perf_counter()
        read = list(pool.read(_sources(range(1, 6))))
        elapsed = time.perf_counter() - started
        again = list(pool.read(_sources([1])))  # the pool still works
    assert [r.page.source_page for r in read] == [1, 2, 3, 4, 5]
    assert [r.error is not None for r in read] == [False, True, False, False, False]
    assert "超时" in (read[1].error or "") and "8 s" in (read[1].error_en or "")
    assert elapsed < 60  # not the 300 s the page would take
    assert [r.error for r in again] == [None]


def hang_on_page_two_and_take_a_second_from_page_ten(source: SourcePage) -> ReadPage:
    if source.file_page >= 10:
        time.sleep(1)
    return hang_on_page_two(source)


class SharedHangingPool(PagePool):
    reader = staticmethod(hang_on_page_two_and_take_a_second_from_page_ten)


def test_files_sharing_the_pool_survive_another_files_timeout(tmp_path: Path) -> None:
    """One file's page hangs and the pool is killed under another file's pages in flight
    (the batch reads files on threads sharing one pool): those are read again, not lost
    and not a crashed batch."""
    with SharedHangingPool(OcrSettings(), tmp_path, RULES, workers=2) as pool:
        list(pool.read(_sources([1])))  # the readers are up
        pool.page_timeout_s = 6
        results: dict[str, list[ReadPage]] = {}
        errors: list[BaseException] = []

        def read(name: str, sources: Iterator[SourcePage]) -> None:
            try:
                results[name] = list(pool.read(sources))
            except BaseException as exc:  # the test fails on any
                errors.append(exc)

        threads = [
            threading.Thread(target=read, args=("hanging", _sources(range(1, 4)))),
            threading.Thread(target=read, args=("other", _sources(range(10, 21)))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert errors == []
    assert [r.error is not None for r in results["hanging"]] == [False, True, False]
    assert [r.page.source_page for r in results["other"]] == list(range(10, 21))
    assert all(r.error is None for r in results["other"])


def test_a_reader_dying_while_the_file_waits_for_a_slot_costs_one_page(tmp_path: Path) -> None:
    """Page two kills its reader while the caller is busy with page one: the next page's
    submission finds the pool broken. The dead page's turn restarts the pool, and only
    that page is lost."""
    read = []
    with CrashingPool(OcrSettings(), tmp_path, RULES, workers=1) as pool:
        for page in pool.read(_source(n) for n in range(1, 6)):
            read.append(page)
            if len(read) == 1:
                time.sleep(2)  # page two is read (and its reader dies) meanwhile
    assert [r.page.source_page for r in read] == [1, 2, 3, 4, 5]
    assert [r.error is not None for r in read] == [False, True, False, False, False]


def sleep_on_every_page(source: SourcePage) -> ReadPage:
    """A reader busy for long on each page: it is there until someone stops it."""
    time.sleep(600)
    return _blank(source)


class SleepingPool(PagePool):
    reader = staticmethod(sleep_on_every_page)


def hold_two_readers() -> None:
    """Two readers, each busy on a page, and wait for them: a process the test kills."""
    with SleepingPool(OcrSettings(), Path(tempfile.mkdtemp()), RULES, workers=2) as pool:
        for _ in pool.read(_source(n) for n in (1, 2)):
            pass


def _readers(process: psutil.Process) -> list[psutil.Process]:
    """The page readers among ``process``'s descendants."""
    found = []
    for child in process.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass  # ended meanwhile
    return found


def _run_apart(function: str) -> subprocess.Popen[bytes]:
    """A Python process of its own running ``function`` of this module."""
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-c", f"from tests.pipeline.test_pool import {function} as f; f()"],
        cwd=root,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        },
    )


def _assert_gone(left: list[psutil.Process]) -> None:
    """The processes end within 10 s."""
    deadline = time.monotonic() + 10
    while still_running(left) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not still_running(left), [p.cmdline()[-3:] for p in still_running(left)]


def test_readers_end_when_the_process_that_started_them_is_killed() -> None:
    owner = _run_apart("hold_two_readers")
    try:
        deadline = time.monotonic() + 120
        while len(readers := _readers(psutil.Process(owner.pid))) < 2:
            assert owner.poll() is None and time.monotonic() < deadline, "no readers started"
            time.sleep(0.2)
        left = psutil.Process(owner.pid).children(recursive=True)  # the resource tracker too
        assert len(left) >= len(readers)
    finally:
        owner.kill()
        owner.wait()
    _assert_gone(left)


def test_a_reader_outlives_the_thread_that_started_it(tmp_path: Path) -> None:
    """Readers are started from the threads of the tasks reading files, which end before
    the pool: a reader does not die with its thread (as with a parent-death signal)."""
    here = psutil.Process()
    before = {p.pid for p in _readers(here)}
    with SlowPool(OcrSettings(), tmp_path, RULES, workers=1) as pool:
        started = threading.Thread(target=lambda: list(pool.read(_sources([1]))))
        started.start()
        started.join()
        (reader,) = [p for p in _readers(here) if p.pid not in before]
        time.sleep(2)  # longer than a reader takes to see its parent gone
        assert reader.is_running()
        assert [r.error for r in pool.read(_sources([2, 3]))] == [None, None]
        assert [p for p in _readers(here) if p.pid not in before] == [reader]


def _busy_reader(before: set[int], deadline_s: float = 120) -> psutil.Process:
    """The one reader started since ``before``, once it has been at a page for a moment."""
    deadline = time.monotonic() + deadline_s
    while not (new := [p for p in _readers(psutil.Process()) if p.pid not in before]):
        assert time.monotonic() < deadline, "no reader started"
        time.sleep(0.2)
    time.sleep(3)  # it imports this module and takes the page
    return new[0]


def test_closing_a_pool_stops_a_reader_still_busy_on_a_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch stopped while a page is being read: closing the pool does not wait for
    that page for ever, and leaves no reader behind."""
    monkeypatch.setattr(pipeline.pool, "CLOSE_GRACE_S", 1.0)
    before = {p.pid for p in _readers(psutil.Process())}
    pool = SleepingPool(OcrSettings(), tmp_path, RULES, workers=1)
    failed: list[BaseException] = []

    def read() -> None:
        try:
            list(pool.read(_sources([1])))
        except BaseException as exc:  # the page's reader is killed under it
            failed.append(exc)

    reading = threading.Thread(target=read, daemon=True)
    reading.start()
    reader = _busy_reader(before)
    started = time.monotonic()
    pool.close()
    assert time.monotonic() - started < 30  # not the 600 s the page would take
    assert still_running([reader]) == []
    reading.join(30)
    assert not reading.is_alive()
    assert [p for p in _readers(psutil.Process()) if p.pid not in before] == []


def leave_a_page_being_read() -> None:
    """Start reading a page that takes ten minutes, and end without closing the pool."""
    before = {p.pid for p in _readers(psutil.Process())}
    pool = SleepingPool(OcrSettings(), Path(tempfile.mkdtemp()), RULES, workers=1)
    threading.Thread(target=lambda: list(pool.read(_sources([1]))), daemon=True).start()
    _busy_reader(before)


def test_a_process_ending_with_a_page_being_read_exits_and_its_readers_with_it() -> None:
    """The interpreter's exit joins each executor's manager thread, which waits for its
    readers: a reader still busy (or one that missed its pool's end) must not keep the
    process from exiting."""
    owner = _run_apart("leave_a_page_being_read")
    try:
        deadline = time.monotonic() + 150
        while owner.poll() is None and time.monotonic() < deadline:
            left = psutil.Process(owner.pid).children(recursive=True)
            time.sleep(0.2)
        assert owner.poll() == 0, "the process did not exit"
    finally:
        owner.kill()
        owner.wait()
    _assert_gone(left)


def test_readers_heap_returns_big_buffers_and_keeps_its_top(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Buffers of 4 MiB and more are mmapped (given back when freed); the heap keeps up
    to 64 MiB free at its top and keeps 64 MiB when it trims, so seal detection's masks
    are not faulted in anew."""
    calls: list[tuple[int, int]] = []

    class FakeLibc:
        def mallopt(self, option: int, value: int) -> int:
            calls.append((option, value))
            return 1

    monkeypatch.setattr(pipeline.pool.ctypes, "CDLL", lambda _name: FakeLibc())
    pipeline.pool.return_large_buffers_to_the_os()
    assert calls == [(-3, 4 << 20), (-1, 64 << 20), (-2, 64 << 20)]
