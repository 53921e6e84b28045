"""How far a run has got: files, pages, submissions. The flows tell, the command line shows.

The flows call three module functions, from the flow or from any task thread::

    progress.add_total(Stage.PAGES, 12)   # more work is known
    progress.set_total(Stage.FILES, 5)    # all the work of a stage is known
    progress.advance(Stage.PAGES)         # one more done (or ``advance(stage, n)``)

They go to the current sink, set for the length of a ``with``: ``shown(console)`` draws
them as ``rich`` progress bars (``shenbao run``), ``using(Tally())`` only counts (tests).
Without one, the default, every call does nothing: flows run silently under tests,
deployments and workers.

A sink belongs to the process that set it. Where tasks run in another process (a Dask
cluster's workers behind ``DaskTaskRunner``, the page pool's OCR processes), the calls
made there do nothing: nobody in that process is showing anything, and the display's
counts are not shipped back. The calls the flow itself makes, in its own process, still
count; a Dask cluster of threads in the flow's process (``processes=False``) counts all.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import NamedTuple, Protocol, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class Stage(StrEnum):
    """What a run counts."""

    FILES = "files"
    PAGES = "pages"
    SUBMISSIONS = "submissions"


class Count(NamedTuple):
    done: int
    total: int | None
    """None while nobody has said how much there is."""


class Sink(Protocol):
    """Where the progress calls go. Called from many threads at once."""

    def set_total(self, stage: Stage, total: int) -> None: ...

    def add_total(self, stage: Stage, amount: int) -> None: ...

    def advance(self, stage: Stage, amount: int = 1) -> None: ...


class Tally:
    """A sink that counts, thread-safe; displays build on it (``_changed``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: dict[Stage, int] = dict.fromkeys(Stage, 0)
        self._total: dict[Stage, int | None] = dict.fromkeys(Stage, None)

    def set_total(self, stage: Stage, total: int) -> None:
        _check(total, "total")
        with self._lock:
            self._total[stage] = total
            self._changed(stage, self._done[stage], total)

    def add_total(self, stage: Stage, amount: int) -> None:
        _check(amount, "amount")
        with self._lock:
            total = self._total[stage] = (self._total[stage] or 0) + amount
            self._changed(stage, self._done[stage], total)

    def advance(self, stage: Stage, amount: int = 1) -> None:
        _check(amount, "amount")
        with self._lock:
            done = self._done[stage] = self._done[stage] + amount
            self._changed(stage, done, self._total[stage])

    def count(self, stage: Stage) -> Count:
        with self._lock:
            return Count(self._done[stage], self._total[stage])

    def _changed(self, stage: Stage, done: int, total: int | None) -> None:
        """Called under the lock after every change: a display's one hook."""


def _check(number: int, name: str) -> None:
    if number < 0:
        raise ValueError(f"progress {name} must not be negative, got {number}")


LABELS: dict[Stage, str] = {
    Stage.FILES: "files",
    Stage.PAGES: "pages",
    Stage.SUBMISSIONS: "submissions",
}


class RichTally(Tally):
    """A tally drawn as one ``rich`` progress bar per stage shown."""

    def __init__(self, progress: Progress, stages: Sequence[Stage] = tuple(Stage)) -> None:
        super().__init__()
        self._progress = progress
        # a stage's clock starts when it is first told of (not while Prefect starts up)
        self._tasks: dict[Stage, TaskID] = {
            stage: progress.add_task(LABELS[stage], total=None, start=False) for stage in stages
        }
        self._started: set[Stage] = set()

    def _changed(self, stage: Stage, done: int, total: int | None) -> None:
        task = self._tasks.get(stage)
        if task is None:
            return
        if stage not in self._started:
            self._started.add(stage)
            self._progress.start_task(task)
        self._progress.update(task, completed=done, total=total)


# The current sink and the process that set it, swapped together (one assignment).
_current: tuple[Sink, int] | None = None
_swap = threading.Lock()

SinkT = TypeVar("SinkT", bound=Sink)


def current() -> Sink | None:
    """The sink calls go to in this process; None when there is none (calls do nothing)."""
    held = _current
    if held is None or held[1] != os.getpid():
        return None
    return held[0]


def set_total(stage: Stage, total: int) -> None:
    """All the work of ``stage`` is ``total`` (a no-op without a sink)."""
    sink = current()
    if sink is not None:
        sink.set_total(stage, total)


def add_total(stage: Stage, amount: int) -> None:
    """``amount`` more work is known for ``stage`` (a no-op without a sink)."""
    sink = current()
    if sink is not None:
        sink.add_total(stage, amount)


def advance(stage: Stage, amount: int = 1) -> None:
    """``amount`` more of ``stage`` is done (a no-op without a sink)."""
    sink = current()
    if sink is not None:
        sink.advance(stage, amount)


@contextmanager
def using(sink: SinkT) -> Iterator[SinkT]:
    """Send this process's progress calls to ``sink`` until the ``with`` ends."""
    global _current
    with _swap:
        previous, _current = _current, (sink, os.getpid())
    try:
        yield sink
    finally:
        with _swap:
            _current = previous


@contextmanager
def shown(
    console: Console, stages: Sequence[Stage] = tuple(Stage), *, transient: bool = True
) -> Iterator[Tally]:
    """Progress bars of ``stages`` on ``console`` while the ``with`` runs.

    Args:
        console: where to draw; on a console that is not a terminal nothing is drawn.
        stages: the stages to show (a reconcile reads no page), in this order.
        transient: clear the bars at the end (what follows tells the outcome).
    """
    if not console.is_terminal:  # a log or a pipe: no bars, and no stray blank line
        with using(Tally()) as tally:
            yield tally
        return
    display = Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    )
    tally = RichTally(display, stages)
    with display, using(tally):
        yield tally
