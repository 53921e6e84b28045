"""The run's progress: counted right from many threads, silent without a display, drawn
with rich on a terminal."""

from __future__ import annotations

import io
import os
import re
import threading

import pytest
from rich.console import Console

from flows import progress
from flows.progress import Count, Stage, Tally


def test_advancing_from_many_threads_counts_right() -> None:
    threads, each = 8, 2_000
    start = threading.Barrier(threads)

    def work() -> None:
        start.wait()
        progress.add_total(Stage.PAGES, each)
        for _ in range(each):
            progress.advance(Stage.PAGES)
        progress.advance(Stage.SUBMISSIONS, 3)

    with progress.using(Tally()) as tally:
        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert tally.count(Stage.PAGES) == Count(threads * each, threads * each)
    assert tally.count(Stage.SUBMISSIONS) == Count(3 * threads, None)
    assert tally.count(Stage.FILES) == Count(0, None)


def test_without_a_sink_every_call_does_nothing() -> None:
    assert progress.current() is None
    progress.set_total(Stage.FILES, 3)
    progress.add_total(Stage.PAGES, 2)
    progress.advance(Stage.SUBMISSIONS)
    with progress.using(Tally()) as tally:
        progress.advance(Stage.FILES)
    progress.advance(Stage.FILES)  # after the with: gone again
    assert progress.current() is None
    assert tally.count(Stage.FILES) == Count(1, None)


def test_sinks_nest_and_totals_set_or_grow() -> None:
    with progress.using(Tally()) as outer:
        with progress.using(Tally()) as inner:
            progress.set_total(Stage.FILES, 5)
            progress.add_total(Stage.FILES, 2)
        progress.advance(Stage.FILES)
    assert inner.count(Stage.FILES) == Count(0, 7)
    assert outer.count(Stage.FILES) == Count(1, None)
    with pytest.raises(ValueError, match="negative"):
        Tally().advance(Stage.PAGES, -1)


def test_another_process_does_not_advance_the_parents_sink(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forked worker inherits the module's sink; it must not count there (pid differs)."""
    with progress.using(Tally()) as tally:
        parent = os.getpid()
        monkeypatch.setattr(progress.os, "getpid", lambda: parent + 1)
        progress.advance(Stage.PAGES)
        assert progress.current() is None
        monkeypatch.undo()
        progress.advance(Stage.PAGES)
    assert tally.count(Stage.PAGES) == Count(1, None)


def test_the_rich_display_draws_the_stages() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    with progress.shown(console, transient=False) as tally:
        assert progress.current() is tally
        progress.set_total(Stage.FILES, 3)
        progress.advance(Stage.FILES, 2)
        progress.add_total(Stage.PAGES, 40)
        progress.advance(Stage.PAGES, 40)
        progress.advance(Stage.SUBMISSIONS)
    assert progress.current() is None
    drawn = screen.getvalue()
    assert re.search(r"files\s.*\b2/3\b", drawn)
    assert re.search(r"pages\s.*\b40/40\b", drawn)
    assert re.search(r"submissions\s.*\b1/\?", drawn)


def test_only_the_stages_asked_for_are_drawn() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    with progress.shown(console, (Stage.SUBMISSIONS,), transient=False):
        progress.advance(Stage.PAGES, 5)  # counted, not drawn
        progress.set_total(Stage.SUBMISSIONS, 2)
    assert "pages" not in screen.getvalue() and "0/2" in screen.getvalue()


def test_nothing_is_drawn_where_there_is_no_terminal() -> None:
    screen = io.StringIO()
    with progress.shown(Console(file=screen)) as tally:
        progress.advance(Stage.FILES)
    assert screen.getvalue() == ""
    assert tally.count(Stage.FILES) == Count(1, None)
