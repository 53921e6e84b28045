"""Re-checking a stored batch against a newer export, without reading a page again.

Each stored ``report.json`` holds its pages as read (text lines with boxes and
confidences, tick boxes, unread ink, seal marks); the submission is rebuilt from them
(``pipeline.run.as_read``) and extracted and validated again with today's templates and
rules (``recheck``); the batch is then matched and published as a batch run's is
(``check.batch_check``, ``publish.publish_batch``). Evidence is cut from the originals the
batch kept under ``originals/{sha256}`` (``fetch_original``).

A stored report that cannot be read (truncated, or not a ``shenbao.report/1``) is not a
reason to leave the batch unchecked: it is named in the log and in a FILE_UNREADABLE
finding of the manifest, left as it is, and the others are reconciled.
"""

from __future__ import annotations

import datetime as dt
import logging
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from pipeline import ingest
from pipeline.errors import InputError
from pipeline.model import (
    REPORT_SCHEMA_ID,
    EngineInfo,
    Finding,
    FindingCode,
    Frozen,
    Manifest,
    OnlineExportRef,
    Report,
)
from pipeline.rulebook import Rules
from pipeline.run import ReportSpool, SpooledReport, as_read, build_report
from pipeline.settings import Settings
from storage.base import ObjectMissingError, ObjectStore, manifest_key, original_key, report_key
from storage.local_store import open_store
from usecases.check import checker
from usecases.read import export_ref
from usecases.steps import Log

log = logging.getLogger(__name__)

EXPORT_SUFFIXES = (".xlsx", ".csv", ".json")


def check_reconcile(
    batch: str, online: str, store: str
) -> tuple[ObjectStore, Manifest, OnlineExportRef]:
    """What a reconcile needs before it starts, checked, so a typo fails at once.

    Raises:
        InputError: an invalid batch id, a batch the store does not hold, or an
            unreadable online export.
        StorageError: the store URI is malformed, its backend unavailable, or it cannot
            be written (read-only, full).
    """
    ingest.check_batch_id(batch)
    object_store = open_store(store)
    object_store.check_writable()
    try:
        manifest = Manifest.model_validate_json(object_store.get_bytes(manifest_key(batch)))
    except ObjectMissingError:
        raise InputError(
            f"the store holds no batch {batch!r} (no {manifest_key(batch)}): run it first"
        ) from None
    return object_store, manifest, export_ref(online)


def load_reports(
    store: ObjectStore, manifest: Manifest, log: Log = log
) -> Iterator[Report | Finding]:
    """The batch's current reports, in manifest order, one at a time.

    In place of a stored report that cannot be read, the FILE_UNREADABLE finding that
    names it (``UnreadableReport.finding``), logged in one line: one damaged object must not
    keep the rest of the batch (or the nightly run's other batches) unchecked.

    Raises:
        InputError: a submission the manifest lists has no report in the store.
    """
    for entry in manifest.files:
        for sid in entry.submissions:
            key = report_key(manifest.batch, sid)
            try:
                data = store.get_bytes(key)
            except ObjectMissingError:
                raise InputError(
                    f"batch {manifest.batch!r} lists submission {sid} but the store has no "
                    f"{key}: re-run the batch"
                ) from None
            try:
                report = Report.model_validate_json(data)
            except ValidationError as exc:
                why = UnreadableReport.of(exc)
            else:
                if (report.batch, report.submission_id) == (manifest.batch, sid):
                    yield report
                    continue
                why = ANOTHER_REPORT
            log.error(
                "%s: stored report unreadable, %s; submission %s not reconciled, left as it was",
                key,
                why.english,
                sid,
            )
            yield why.finding(key, sid)


class UnreadableReport(Frozen):
    """Why a stored report cannot be read, for reviewers (Chinese) and the log."""

    chinese: str
    english: str

    @classmethod
    def of(cls, error: ValidationError) -> UnreadableReport:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            return cls(
                chinese="不是完整的 JSON，可能已被截断", english="not complete JSON (truncated?)"
            )
        where = ".".join(str(part) for part in error.errors()[0]["loc"]) or "its top level"
        return cls(
            chinese=f"不符合报告格式 {REPORT_SCHEMA_ID}",
            english=f"not a {REPORT_SCHEMA_ID}: {error.error_count()} errors, first at {where}",
        )

    def finding(self, key: str, submission: str) -> Finding:
        """The batch-level finding that names the object.

        FILE_UNREADABLE (keyed by file): the stored file cannot be read, its key is the
        finding's ``key``; the paper behind it was read once and is not re-checked now.
        """
        return Finding.of(
            FindingCode.FILE_UNREADABLE,
            f"已存报告 {key} 无法读取（{self.chinese}）：申报材料 {submission} 本次未重新核验，"
            "原报告保持不变，其网上填报记录可能因此被列为无纸质材料。请重新运行该批次以重建报告。",
            key=key,
        )


ANOTHER_REPORT = UnreadableReport(
    chinese="内容是另一批次或另一份申报材料的报告",
    english="it holds another batch's or submission's report",
)


def recheck(
    stored: Iterable[Report | Finding],
    spool: ReportSpool,
    rules: Rules,
    received: dt.date | None,
) -> tuple[list[tuple[SpooledReport, Report]], list[Finding]]:
    """Each stored report's submission extracted and validated again (``check.checker``)
    from its pages as read, its report built anew: the reading (the OCR engine's name, the
    timings) stays the batch run's. A quarantined file's placeholder has nothing to
    re-check and is kept as it is.

    Returns:
        The reports, as the batch run's wait in ``spool`` (``read.read_and_check``), and
        the findings that stand for stored reports that cannot be read (``load_reports``).
    """
    check = checker(rules, received)
    waiting: list[tuple[SpooledReport, Report]] = []
    skipped: list[Finding] = []  # stored reports that cannot be read, left as they are
    for report in stored:
        if isinstance(report, Finding):
            skipped.append(report)
            continue
        submission = as_read(report)
        if submission is None:  # a quarantined file's placeholder: nothing to re-check
            waiting.append(spool.put(report))
            continue
        fresh = build_report(
            check(submission),
            report.batch,
            None,
            rules.templates,
            report.timings,
            received=received,
        )
        engine = EngineInfo(ocr=report.engine.ocr, templates=fresh.engine.templates)
        waiting.append(spool.put(fresh.model_copy(update={"engine": engine})))
    return waiting, skipped


def reconciled_manifest(
    manifest: Manifest, online: OnlineExportRef, findings: Iterable[Finding]
) -> Manifest:
    """The stored manifest with the export it was reconciled with and the batch's own
    findings now; its files and their submissions as they were."""
    return Manifest.model_validate(
        manifest.model_dump(by_alias=True) | {"online": online, "findings": tuple(findings)}
    )


def fetch_original(
    store: ObjectStore,
    entry_file: str,
    sha256: str | None,
    folder: Path,
    settings: Settings,
    log: Log = log,
) -> ingest.SniffedFile | None:
    """The batch's kept original of one input file, as the batch run sniffed it; None
    when the store does not hold it (the reports are then published without images)."""
    if sha256 is None:
        return None
    try:
        data = store.get_bytes(original_key(sha256))
    except ObjectMissingError:
        log.warning("%s: original not in the store, no evidence crops", entry_file)
        return None
    path = folder / sha256
    path.write_bytes(data)
    return ingest.sniff(ingest.InputFile(path=path, name=entry_file, root=folder), settings)


# --- the nightly reconcile: every stored batch against the newest export --------------


def newest_export(folder: Path) -> Path | None:
    """The newest online export (xlsx/csv/json) in ``folder``: by modification time, a tie
    going to the name sorting last; None when the folder holds none.

    Hidden files and Office lock files (``~$…``) are not exports.

    Raises:
        InputError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise InputError(f"the exports folder {folder} does not exist or is not a folder")
    candidates = []
    for path in folder.iterdir():
        if path.name.startswith((".", "~$")) or path.suffix.lower() not in EXPORT_SUFFIXES:
            continue
        try:
            info = path.stat()
        except OSError:
            continue  # gone since listed
        if stat.S_ISREG(info.st_mode):
            candidates.append((info.st_mtime_ns, path.name, path))
    return max(candidates)[2] if candidates else None


def stored_batches(store: ObjectStore) -> list[str]:
    """The ids of every batch the store holds (``batches/{id}/manifest.json``), sorted."""
    found = []
    for key in store.list("batches/"):
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == "manifest.json":
            found.append(parts[1])
    return sorted(found)


def read_manifest(store: ObjectStore, batch: str) -> Manifest:
    """A stored batch's manifest.

    Raises:
        InputError: an invalid batch id, or a batch the store does not hold.
        StorageError: the store cannot be read.
    """
    ingest.check_batch_id(batch)
    try:
        return Manifest.model_validate_json(store.get_bytes(manifest_key(batch)))
    except ObjectMissingError:
        raise InputError(f"the store holds no batch {batch!r} (no {manifest_key(batch)})") from None
