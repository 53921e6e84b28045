"""One input file through ingest, normalisation, OCR and splitting: pure, engine passed in.

``read_document`` streams the file's pages: a text-layer or DOCX page keeps its own text;
a scanned page is normalised (upright, deskewed, seal ink removed for reading) and read by
the OCR engine. The pages are then split into submissions at each form's cover. An
unreadable page is a PAGE_UNREADABLE finding of its submission, never an exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from pydantic import Field, TypeAdapter

from pipeline.config import TemplateSpec, template_fingerprint
from pipeline.errors import InputError
from pipeline.files import write_atomic
from pipeline.ingest import (
    FileKind,
    QuarantineError,
    SniffedFile,
    discover,
    quarantine,
    sniff,
)
from pipeline.model import (
    Annex,
    EngineInfo,
    Finding,
    FindingCode,
    Frozen,
    OnlineMatch,
    Page,
    Report,
    SourceKind,
    Submission,
    SubmissionSource,
    status_of,
)
from pipeline.ocr.engine import OcrEngine
from pipeline.pages import TARGET_DPI, iter_pages, render_page_image
from pipeline.pool import PagePool
from pipeline.preprocess import upright_page
from pipeline.read import ReadPage, read_page
from pipeline.readers.image_pages import image_pages
from pipeline.rulebook import Rules
from pipeline.settings import Settings
from pipeline.split import split_stream

log = logging.getLogger(__name__)

NO_COVER = "no_cover"
"""The key of the ANNEX_UNKNOWN that reading gives a stream starting without a cover."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
READER_VERSION = "31"  # bump when ingest, normalisation or splitting read pages differently


_READ_PAGES = TypeAdapter(tuple[ReadPage, ...])


@dataclass
class Document:
    """One input file, read and split."""

    file: str
    sha256: str
    submissions: list[Submission] = field(default_factory=list)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)


class SubmissionIds(Frozen):
    """How the submissions of one input file are named: ``<stem>-p<first>-<last><tail>``."""

    stem: str = Field(description="the file's name without its extension, made safe")
    tail: str = Field("", description="what tells the file from others of its stem")

    def of(self, first: int, last: int) -> str:
        """The id of the submission on pages ``first``–``last`` of the file."""
        return f"{self.stem}-p{first:03d}-{last:03d}{self.tail}"


def submission_id(file: str, sha256: str, first: int, last: int) -> str:
    """The id of a submission of a file read alone (``submission_ids`` of a batch)."""
    return SubmissionIds(stem=_id_stem(file, sha256)).of(first, last)


def _id_stem(file: str, sha256: str) -> str:
    """The file's path in the batch without its extension (folders joined by ``_``); a
    name that needed sanitising gets the file's hash."""
    name = str(PurePosixPath(file).with_suffix("")).replace("/", "_")
    safe = _UNSAFE.sub("_", name)[:60].strip("._-") or "file"
    if safe != name:
        safe = f"{safe}-{sha256[:8]}"
    return safe


def submission_ids(files: Sequence[tuple[str, str]]) -> dict[str, SubmissionIds]:
    """How each file of a batch names its submissions, given each file's display name
    (distinct within a batch: ``ingest.discover``) and sha256, so that no two
    submissions of the batch share an id, whatever their pages, and the same files get
    the same ids on every run.

    A file whose stem (``submission_id``) no other file has keeps it: ``P001.pdf`` →
    ``P001-p001-009``. Files sharing a stem take their extension after the pages
    (``P001.pdf`` and ``P001.docx``, the applicant's two copies: ``P001-p001-009-pdf``,
    ``P001-p001-009-docx``), and where that is shared too (``sub/x.pdf`` and
    ``sub_x.pdf``, ``a.PDF`` and ``a.pdf``, names sanitised alike) a digest of the
    display name as well — never of the content, which two names may share.

    Unique by construction: a stem and its extension, or a stem, an extension and a name
    digest, name one file; an extension has no ``-`` and a digest is 8 or more
    characters, so an id with one tail never reads as another with a different tail (a
    page number 8 digits long would be needed).
    """
    by_stem: dict[str, list[str]] = {}
    for file, sha256 in files:
        by_stem.setdefault(_id_stem(file, sha256), []).append(file)
    ids: dict[str, SubmissionIds] = {}
    for stem, names in by_stem.items():
        if len(names) == 1:
            ids[names[0]] = SubmissionIds(stem=stem)
            continue
        by_extension: dict[str, list[str]] = {}
        for name in names:
            by_extension.setdefault(_id_extension(name), []).append(name)
        for extension, alike in by_extension.items():
            if len(alike) == 1:
                ids[alike[0]] = SubmissionIds(stem=stem, tail=f"-{extension}")
                continue
            for name, digest in _name_digests(alike).items():
                ids[name] = SubmissionIds(stem=stem, tail=f"-{extension}-{digest}")
    return ids


def _id_extension(file: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", PurePosixPath(file).suffix.lstrip(".")) or "file"


def _name_digests(names: Sequence[str]) -> dict[str, str]:
    """The first 8 hex digits of each distinct name's sha256, more while two are alike."""
    full = {name: hashlib.sha256(name.encode()).hexdigest() for name in names}
    for length in (8, 16):
        digests = {name: digest[:length] for name, digest in full.items()}
        if len(set(digests.values())) == len(digests):
            return digests
    return full


def without_reading(report: Report) -> Report:
    """``report`` without what its pages read (text lines, tick boxes, seal marks, unread
    ink, the ink along tick rows and text lines): all the checks across a batch, the
    index and the summary look at (fields, findings, seals, source), in about a quarter
    of the memory. A batch keeps one of these per submission while the full reports wait
    on disk (``ReportSpool``)."""
    bare = {"lines": (), "boxes": (), "seals": (), "unread": (), "tick_rows": (), "line_ink": ()}
    pages = tuple(page.model_copy(update=bare) for page in report.pages)
    return report.model_copy(update={"pages": pages})


class SpooledReport(Frozen):
    """A full report waiting on local disk (``ReportSpool``), and its submission's id.

    Ids are final before a file is read (``submission_ids``), so a spooled report is never
    renamed: what was put is what is loaded, its findings' ids computed from that id.
    """

    path: Path
    submission_id: str

    def load(self) -> Report:
        return Report.model_validate_json(self.path.read_bytes())


class ReportSpool:
    """A batch's full reports on local disk between reading and publishing.

    A batch's reports are published only once the checks across the batch (matching,
    copies) have seen every submission. Until then each full report waits here and the
    batch keeps it ``without_reading``, so the memory a batch takes does not grow with
    its pages. The folder is the caller's (a temporary one under the cache folder: on
    disk, not in a RAM-backed ``/tmp``).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._count = 0

    def put(self, report: Report) -> tuple[SpooledReport, Report]:
        """Keep ``report``: where it waits, and the report ``without_reading``."""
        self._count += 1
        path = self.folder / f"{self._count:06d}.json"
        write_atomic(path, report.model_dump_json(by_alias=True).encode("utf-8"))
        return SpooledReport(path=path, submission_id=report.submission_id), without_reading(report)


def read_pages(
    sniffed: SniffedFile,
    settings: Settings,
    rules: Rules,
    engine: OcrEngine,
    pool: PagePool | None = None,
) -> Iterator[ReadPage]:
    """Every page of an accepted file, in order: on the pool's workers when there is one
    (it must read as ``engine`` and ``rules`` do: made with them)."""
    sources = iter_pages(sniffed.source.path, sniffed.kind, settings, rules)
    if pool is not None:
        yield from pool.read(sources)
        return
    for source in sources:
        yield read_page(source, engine, rules)


def _unreadable(page: ReadPage, number: int) -> Finding:
    return Finding.of(
        FindingCode.PAGE_UNREADABLE,
        f"第{page.page.source_page}页无法读取：{page.error}",
        page=number,
        key=str(page.page.source_page),
    )


def assemble(
    file: str,
    sha256: str,
    read: list[ReadPage],
    templates: dict[Annex, TemplateSpec],
    ids: SubmissionIds | None = None,
) -> Document:
    """Split the read pages into submissions, renumbering pages within each; each named by
    ``ids`` (the file's in its batch: ``submission_ids``), by default as if read alone."""
    ids = ids or SubmissionIds(stem=_id_stem(file, sha256))
    document = Document(file=file, sha256=sha256)
    for part in split_stream([r.page for r in read], templates):
        chosen = [r for r in read if part.first <= r.page.source_page <= part.last]
        pages = tuple(
            r.page.model_copy(update={"number": i}) for i, r in enumerate(chosen, start=1)
        )
        findings = [_unreadable(r, i) for i, r in enumerate(chosen, start=1) if r.error]
        if not part.starts_at_cover:
            findings.append(
                Finding.of(
                    FindingCode.ANNEX_UNKNOWN,
                    f"第{part.first}–{part.last}页前没有封面：扫描件可能从表单中间开始，或封面缺失",
                    key=NO_COVER,
                )
            )
        sid = ids.of(part.first, part.last)
        document.submissions.append(
            Submission(
                id=sid,
                annex=part.annex,
                source=SubmissionSource(file=file, sha256=sha256, pages=(part.first, part.last)),
                pages=pages,
                findings=tuple(findings),
            )
        )
        document.timings[sid] = {
            "ocr_s": round(sum(r.ocr_s for r in chosen), 3),
            "normalise_s": round(sum(r.normalise_s for r in chosen), 3),
        }
    return document


class PageCache:
    """Pages already read, by file content: an unchanged file is not rendered or OCR'd again.

    Entries live under ``root/<reader fingerprint>/<ab>/<sha256>.json``; the fingerprint
    covers the engine, its settings, this module's reading rules (``READER_VERSION``) and
    the page-reading rules files (``Rules.page_reading_digest``: tick-box, unread-ink and
    seal detection), so editing one re-reads pages instead of serving readings made under
    the old settings.
    """

    def __init__(self, root: Path, rules: Rules) -> None:
        self.root = root
        self.reading_digest = rules.page_reading_digest

    def _path(self, sha256: str, engine: OcrEngine) -> Path:
        reader = f"{READER_VERSION}|{TARGET_DPI}|{engine.fingerprint}|{self.reading_digest}"
        fingerprint = hashlib.sha256(reader.encode()).hexdigest()[:16]
        return self.root / fingerprint / sha256[:2] / f"{sha256}.json"

    def get(self, sha256: str, engine: OcrEngine) -> list[ReadPage] | None:
        path = self._path(sha256, engine)
        try:
            return list(_READ_PAGES.validate_json(path.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring a corrupt page cache entry %s: %s", path.name, exc)
            return None

    def put(self, sha256: str, engine: OcrEngine, read: list[ReadPage]) -> None:
        path = self._path(sha256, engine)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _READ_PAGES.dump_json(tuple(read)))


ReadAfresh = Callable[[list[SniffedFile]], Generator[list[ReadPage] | Exception, None, None]]
"""How the files the page cache does not hold are read: each file's pages, in file order,
or what its reading failed with (``read_in_turn``; the batch flow reads on its runner)."""


def read_in_turn(
    settings: Settings, rules: Rules, engine: OcrEngine, pool: PagePool | None = None
) -> ReadAfresh:
    """Files read one after another, each file's scanned pages on the pool's processes
    when there is one; a file whose reading failed gives what it failed with."""

    def read(files: list[SniffedFile]) -> Generator[list[ReadPage] | Exception, None, None]:
        for sniffed in files:
            try:
                pages = list(read_pages(sniffed, settings, rules, engine, pool))
            except Exception as exc:  # one file's trouble: the caller decides
                yield exc
            else:
                yield pages

    return read


def read_files(
    files: Sequence[SniffedFile],
    engine: OcrEngine,
    read_afresh: ReadAfresh,
    cache: PageCache | None = None,
    *,
    on_cached: Callable[[list[ReadPage]], object] | None = None,
) -> Generator[tuple[int, list[ReadPage] | Exception], None, None]:
    """The read pages of each accepted file, with its index in ``files``, each as soon as
    it is read: the files the page cache holds first (``on_cached`` told of each), not
    opened, then the others in order through ``read_afresh``; for a file whose reading
    failed, what it failed with.

    The one place the page cache is asked and filled: a file read with no page in error
    goes into it (a page that failed may read on a later run: a transient fault).

    Raises:
        ValueError: a file that was not accepted (quarantined, or not hashed).
    """
    afresh: list[int] = []
    for index, sniffed in enumerate(files):
        sha256 = sniffed.entry.sha256
        if sha256 is None or sniffed.quarantined:
            raise ValueError(f"{sniffed.source.name} was not accepted: {sniffed.entry.reason_en}")
        cached = cache.get(sha256, engine) if cache else None
        if cached is None:
            afresh.append(index)
            continue
        if on_cached is not None:
            on_cached(cached)
        yield index, cached
    if not afresh:
        return
    # closed with this generator: a reader stops at once when its caller failed
    with closing(read_afresh([files[i] for i in afresh])) as reading:
        for index, read in zip(afresh, reading, strict=True):
            if cache and not isinstance(read, Exception) and not any(r.error for r in read):
                cache.put(files[index].entry.sha256 or "", engine, read)
            yield index, read


def read_document(
    sniffed: SniffedFile,
    settings: Settings,
    engine: OcrEngine,
    rules: Rules,
    *,
    cache: PageCache | None = None,
    pool: PagePool | None = None,
    ids: SubmissionIds | None = None,
) -> Document:
    """Read one accepted input file into its submissions (from the cache when unchanged):
    its pages' marks found by ``rules``, the pages split by its templates.

    With a ``pool``, scanned pages are read on its worker processes (the pool's engine
    must read as ``engine`` does: same fingerprint; its rules must be ``rules``). ``ids``:
    see ``assemble``.

    Raises:
        ValueError: the file was not accepted.
    """
    reading = read_in_turn(settings, rules, engine, pool)
    ((_, read),) = read_files([sniffed], engine, reading, cache)
    if isinstance(read, Exception):
        raise read
    return assemble(sniffed.source.name, sniffed.entry.sha256 or "", read, rules.templates, ids)


def build_report(
    submission: Submission,
    batch: str,
    engine: OcrEngine | None,
    templates: dict[Annex, TemplateSpec],
    timings: dict[str, float] | None = None,
    online: OnlineMatch | None = None,
    received: dt.date | None = None,
) -> Report:
    """The report of one submission with what the pipeline knows of it so far."""
    template = templates.get(submission.annex)
    return Report(
        batch=batch,
        submission_id=submission.id,
        annex=submission.annex,
        source=submission.source,
        status=status_of(submission.findings),
        fields=submission.fields,
        seals=submission.seals,
        findings=submission.findings,
        engine=EngineInfo(
            ocr=engine.name if engine else None,
            templates=template_fingerprint(template) if template else None,
        ),
        timings=timings or {},
        pages=submission.pages,
        page_order=submission.page_order,
        online=online,
        received=received,
    )


READ_FINDINGS = frozenset({FindingCode.PAGE_UNREADABLE, FindingCode.FILE_UNREADABLE})
"""What reading itself finds (``assemble``), besides a stream that starts without a cover."""


def submission_of(report: Report) -> Submission:
    """The submission a report was built from (``build_report`` undone): what the checks
    across a batch look at, and, less what extraction added, what reconciling re-checks."""
    return Submission(
        id=report.submission_id,
        annex=report.annex,
        source=report.source,
        pages=report.pages,
        fields=report.fields,
        seals=report.seals,
        findings=report.findings,
        page_order=report.page_order,
    )


def as_read(report: Report) -> Submission | None:
    """A stored report's submission as it was before extraction: its pages as read and
    what reading found, so it can be extracted and validated again without reading a page.

    None for the placeholder of a quarantined file (FILE_UNREADABLE): it has no pages.
    """
    if any(f.code is FindingCode.FILE_UNREADABLE for f in report.findings):
        return None
    found = tuple(
        f.model_copy(update={"evidence": None})
        for f in report.findings
        if f.code in READ_FINDINGS or (f.code is FindingCode.ANNEX_UNKNOWN and f.key == NO_COVER)
    )
    extraction_undone: dict[str, object] = {
        "fields": {},
        "seals": (),
        "page_order": None,
        "findings": found,
    }
    return submission_of(report).model_copy(update=extraction_undone)


def unreadable_submission(
    sniffed: SniffedFile, ids: SubmissionIds | None = None
) -> Submission | None:
    """A quarantined file as a submission carrying FILE_UNREADABLE, so reviewers see it,
    named by ``ids`` (the file's in its batch: ``submission_ids``; by default as if alone).

    None for a file that was not quarantined, or that could not even be hashed (it
    vanished, or is not a regular file): then the manifest alone tells of it.
    """
    sha256 = sniffed.entry.sha256
    if sha256 is None or not sniffed.quarantined:
        return None
    name = sniffed.source.name
    pages = (1, max(1, sniffed.entry.pages or 1))
    finding = Finding.of(
        FindingCode.FILE_UNREADABLE, f"文件无法处理：{sniffed.entry.reason}", key=name
    )
    ids = ids or SubmissionIds(stem=_id_stem(name, sha256))
    return Submission(
        id=ids.of(*pages),
        source=SubmissionSource(file=name, sha256=sha256, pages=pages),
        findings=(finding,),
    )


def inspect_file(
    path: Path,
    settings: Settings,
    engine: OcrEngine,
    rules: Rules,
    *,
    batch: str = "inspect",
    cache: PageCache | None = None,
    check: Callable[[Submission], Submission] | None = None,
) -> list[Report]:
    """One file through the pipeline, no store: its reports (one per submission).

    ``check`` is what the outer layers do to each read submission (extraction and
    validation) before its report is built. A file that cannot be used gives one report
    carrying FILE_UNREADABLE; a file that cannot even be hashed raises ``InputError``.
    """
    (found,) = discover([path])
    sniffed = sniff(found, settings)
    try:
        document = (
            None
            if sniffed.quarantined
            else read_document(sniffed, settings, engine, rules, cache=cache)
        )
    except QuarantineError as why:  # refused only once read (a DOCX over the page cap)
        sniffed = quarantine(sniffed, why.reason, why.reason_en)
        document = None
    if document is None:
        submission = unreadable_submission(sniffed)
        if submission is None:
            raise InputError(f"{found.name}: {sniffed.entry.reason_en}", file=found.name)
        return [build_report(submission, batch, None, rules.templates)]
    return [
        build_report(
            check(s) if check else s, batch, engine, rules.templates, document.timings.get(s.id)
        )
        for s in document.submissions
    ]


def normalised_page_images(
    sniffed: SniffedFile,
    pages: Mapping[int, Page],
    detailed: set[int],
    settings: Settings,
    *,
    detailed_dpi: int,
    small_dpi: int,
) -> Iterator[tuple[int, np.ndarray]]:
    """The normalised image of each file page in ``pages`` (by file page), in file order.

    Rebuilt from the original with the recorded turn and deskew, so report boxes fit.
    Pages in ``detailed`` (evidence to crop) come at ``detailed_dpi``, others at
    ``small_dpi``. A page that cannot be rendered is left out: evidence is for people,
    never a failure.
    """
    path = sniffed.source.path
    if sniffed.kind is FileKind.PDF:
        for file_page, page in sorted(pages.items()):
            dpi = detailed_dpi if file_page in detailed else small_dpi
            try:
                image = render_page_image(path, file_page, dpi, max_pixels=settings.max_pixels)
            except InputError as exc:
                log.warning("no evidence from %s: %s", sniffed.source.name, exc)
                continue
            if page.kind is SourceKind.SCAN:
                image = upright_page(image, page.rotation, page.skew_deg)
            yield file_page, image
    elif sniffed.kind in (FileKind.TIFF, FileKind.JPEG, FileKind.PNG):
        for source in image_pages(path, sniffed.kind, settings):
            known = pages.get(source.file_page)
            if known is not None and source.image is not None:
                yield source.file_page, upright_page(source.image, known.rotation, known.skew_deg)
