"""The command line's console: how its lines, failures and logs reach a person.

Shared by every command group (the runtime's in ``flows.cli``, the lab's when installed):
a path printed whole, an expected error in one line with exit status 1, Prefect's logs
above the progress bars and without a traceback for what was expected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from pipeline.errors import PipelineError

if TYPE_CHECKING:
    from flows.progress import Stage

console = Console()
error_console = Console(stderr=True)


@contextmanager
def progress_shown(stages: tuple[Stage, ...] | None = None) -> Iterator[None]:
    """The run's progress bars on the console; Prefect's console logs print above them."""
    from flows import progress

    with progress.shown(console, stages or tuple(progress.Stage)), logs_above_progress():
        yield


@contextmanager
def logs_above_progress() -> Iterator[None]:
    """Prefect's console log handlers print through our console while the bars are drawn
    (a line written past them to the terminal would tear them); restored after."""
    from prefect.logging.handlers import PrefectConsoleHandler

    if not console.is_terminal:
        yield
        return
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    own = [h.console for h in handlers]
    for handler in handlers:
        handler.console = console
    try:
        yield
    finally:
        for handler, previous in zip(handlers, own, strict=True):
            handler.console = previous


def say(line: str) -> None:
    """A line that may hold a path or an address, printed whole: never wrapped (a path
    broken over two lines cannot be copied) nor cropped, however narrow the terminal."""
    console.print(Text(line), soft_wrap=True)


def fail(error: PipelineError) -> NoReturn:
    error_console.print(Text(f"error: {error}", style="red"), soft_wrap=True)
    raise typer.Exit(code=1) from error


class _NoTracebackForExpected(logging.Filter):
    """Drops the traceback of an expected error from console logs: it is told in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, PipelineError):
            record.exc_info = None
            record.exc_text = None
        return True


class _HiddenCharactersShown(logging.Filter):
    """Shows a log message's hidden characters as markers (``reports.shown.visible``): a
    file name or an export's record id with a bidi control must not turn the console's, or
    Prefect's UI's, line into another."""

    def filter(self, record: logging.LogRecord) -> bool:
        from reports.shown import visible

        message = record.getMessage()
        shown = visible(message)
        if shown != message:
            record.msg, record.args = shown, None
        return True


@contextmanager
def expected_errors_without_traceback() -> Iterator[None]:
    """While a command runs, the logs people read (the console, and the run logs Prefect's
    UI shows) tell an expected error in one line and show hidden characters."""
    handlers = list(logging.getLogger().handlers)
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        handlers += [h for h in logging.getLogger(name).handlers if h not in handlers]
    filters: list[logging.Filter] = [_NoTracebackForExpected(), _HiddenCharactersShown()]
    for handler in handlers:
        for log_filter in filters:
            handler.addFilter(log_filter)
    try:
        yield
    finally:
        for handler in handlers:
            for log_filter in filters:
                handler.removeFilter(log_filter)
