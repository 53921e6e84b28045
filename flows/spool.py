"""This run's folder for its spooled reports (``pipeline.run.ReportSpool``), and the
folders runs that died left behind: a batch's reports are as large as its pages' reading."""

from __future__ import annotations

import fcntl
import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


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
