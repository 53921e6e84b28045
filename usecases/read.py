"""Reading a batch: its inputs checked, its files read into documents, each document's
submissions checked and their reports built.

Memory does not grow with the batch's pages: each file's submissions are checked and their
reports built as soon as the file is read, the full reports wait on local disk
(``ReportSpool``) and the batch keeps them without their pages' reading, which is all the
checks across the batch, the index and the summary need.

How the files the page cache does not hold are read (``ReadAfresh``: a page pool here, the
flow's runner or a Dask cluster there) and how a file's submissions are checked (here, or
as tasks on a cluster) are the caller's; the page cache and the submissions' ids are
``pipeline.run``'s, asked here once for the batch.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Generator
from contextlib import closing
from pathlib import Path

from pipeline import ingest
from pipeline.config import TemplateSpec
from pipeline.model import Annex, OnlineExportRef, Report, Submission
from pipeline.ocr.engine import OcrEngine
from pipeline.online import OnlineExport, load_online_export
from pipeline.read import ReadPage
from pipeline.rulebook import Rules
from pipeline.run import (
    Document,
    PageCache,
    ReadAfresh,
    ReportSpool,
    SpooledReport,
    SubmissionIds,
    assemble,
    build_report,
    read_files,
    submission_ids,
    unreadable_submission,
)
from storage.base import ObjectStore
from storage.local_store import open_store
from usecases.steps import Log

log = logging.getLogger(__name__)

CheckAll = Callable[[list[Submission]], list[Submission]]
"""Extraction and validation of a file's read submissions, in order (``check.checker``
of each, here or as tasks)."""


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


def load_export(path: Path, rules: Rules) -> OnlineExport:
    """The online export through the rules' column mapping; its bad rows in ``problems``,
    never dropped."""
    return load_online_export(path, rules.export_columns)


def read_documents(
    accepted: list[ingest.SniffedFile],
    engine: OcrEngine,
    templates: dict[Annex, TemplateSpec],
    ids: dict[str, SubmissionIds],
    read_afresh: ReadAfresh,
    cache: PageCache,
    *,
    on_cached: Callable[[list[ReadPage]], object] | None = None,
    log: Log = log,
) -> Generator[tuple[int, Document | ingest.SniffedFile], None, None]:
    """Every accepted file read and split into its submissions, each as soon as it is read
    (with its index in ``accepted``): the files the page cache holds first, then the
    others in input order (``pipeline.run.read_files``). Submissions are named by ``ids``
    (by file name). A file whose reading or split failed comes back quarantined
    (``ingest.quarantine``) instead. The split sees each whole file.
    """
    reading = read_files(accepted, engine, read_afresh, cache, on_cached=on_cached)
    with closing(reading):
        for index, read in reading:
            sniffed = accepted[index]
            if isinstance(read, Exception):
                yield index, failed(sniffed, read, log)
                continue
            yield index, assembled(sniffed, read, templates, ids, log)


def assembled(
    sniffed: ingest.SniffedFile,
    pages: list[ReadPage],
    templates: dict[Annex, TemplateSpec],
    ids: dict[str, SubmissionIds],
    log: Log = log,
) -> Document | ingest.SniffedFile:
    """``assemble`` of one file's read pages; the file quarantined if that fails."""
    name = sniffed.source.name
    try:
        return assemble(name, sniffed.entry.sha256 or "", pages, templates, ids.get(name))
    except Exception as exc:  # one file's trouble: set aside, the batch goes on
        return failed(sniffed, exc, log)


def failed(sniffed: ingest.SniffedFile, error: Exception, log: Log = log) -> ingest.SniffedFile:
    """An accepted file that failed after sniffing, quarantined with what went wrong."""
    if isinstance(error, ingest.QuarantineError):  # refused while read (a DOCX over the cap)
        log.warning("%s set aside: %s", sniffed.source.name, error.reason_en)
        return ingest.quarantine(sniffed, error.reason, error.reason_en)
    log.error("%s set aside: %r", sniffed.source.name, error)
    return ingest.quarantine(
        sniffed,
        "读取或处理文件时出错（文件可能在处理期间被改动或移走），未能处理",
        f"failed while read or checked: {error!r}",
    )


def read_and_check(
    sniffed: list[ingest.SniffedFile],
    batch: str,
    spool: ReportSpool,
    templates: dict[Annex, TemplateSpec],
    engine: OcrEngine,
    cache: PageCache,
    *,
    read_afresh: ReadAfresh,
    check_all: CheckAll,
    received: dt.date | None,
    on_cached: Callable[[list[ReadPage]], object] | None = None,
    log: Log = log,
) -> tuple[list[tuple[SpooledReport, Report]], list[ingest.SniffedFile]]:
    """Every submission of the batch read, checked (``check_all``) and its report built,
    each file's as soon as it is read: the full report waits in ``spool``, the batch keeps
    it ``without_reading``. Then the quarantined files' reports (FILE_UNREADABLE), so
    reviewers see them. Every id unique across the batch by construction
    (``submission_ids``, over every file that has a hash).

    Args:
        sniffed: every file of the batch, as sniffed; the accepted ones are read.
        engine: what reads the pages (its fingerprint keys the page cache, its name is
            the reports').
        read_afresh: how the files the page cache does not hold are read.
        on_cached: told the pages of each file the page cache held (a progress display).

    Returns:
        The reports, in input order, and ``sniffed`` with the files that failed while
        read or while their reports were built quarantined (``ingest.quarantine``): one
        file's trouble is not the batch's.
    """
    accepted = [s for s in sniffed if not s.quarantined]
    ids = submission_ids([(s.entry.file, s.entry.sha256) for s in sniffed if s.entry.sha256])
    read: dict[int, list[tuple[SpooledReport, Report]]] = {}
    set_aside: dict[str, ingest.SniffedFile] = {}
    # closed on a failure here, so the reading stops at once
    documents = read_documents(
        accepted, engine, templates, ids, read_afresh, cache, on_cached=on_cached, log=log
    )
    with closing(documents):
        for index, document in documents:
            if isinstance(document, ingest.SniffedFile):
                set_aside[document.entry.file] = document
                continue
            if not document.submissions:
                continue
            checked = check_all(document.submissions)
            try:
                built = [
                    build_report(
                        s, batch, engine, templates, document.timings.get(s.id), received=received
                    )
                    for s in checked
                ]
            except Exception as exc:  # one file's trouble: set aside, the batch goes on
                set_aside[document.file] = failed(accepted[index], exc, log)
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
