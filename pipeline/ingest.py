"""Ingest, manifest level: which files a batch holds, what each one is, which to quarantine.

``discover`` lists every file under the input paths (hidden ones too: every file is
accounted for); ``sniff`` identifies a file by its magic bytes, hashes it and opens it just
far enough to count its pages. Bad input never raises out of ``sniff``: it becomes a
quarantined ``ManifestEntry`` whose reason reviewers can read (Chinese) and logs can
carry (English). Turning accepted files into pages is a later stage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import stat
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from functools import partial
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageSequence
from pydantic import Field

from pipeline.archives import OfficeFormat, UnsafePackageError, check_office_package, holds_member
from pipeline.errors import InputError
from pipeline.model import Frozen, ManifestEntry
from pipeline.settings import Settings

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
HEAD_BYTES = 8192
BATCH_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")

# PDFium is not thread-safe and flows sniff files on worker threads: every call into it
# holds this lock (the rasteriser of a later stage must take the same one).
PDFIUM_LOCK = threading.RLock()


class FileKind(StrEnum):
    """What a file is by its content, whatever its name says."""

    PDF = "pdf"
    TIFF = "tiff"
    JPEG = "jpeg"
    PNG = "png"
    DOCX = "docx"
    UNKNOWN = "unknown"


class InputFile(Frozen):
    """One file found under an input path."""

    path: Path = Field(description="where it is, as found under its input path")
    name: str = Field(description="relative to its input root, sanitised: what reviewers see")
    root: Path = Field(description="the resolved input root it must stay inside")


class SniffedFile(Frozen):
    """A file identified and checked: its kind and its manifest entry."""

    source: InputFile
    kind: FileKind
    entry: ManifestEntry

    @property
    def quarantined(self) -> bool:
        return self.entry.state == "quarantined"


class QuarantineError(Exception):
    """Why a file is set aside: for reviewers (Chinese) and for logs (English)."""

    def __init__(self, reason: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason = reason
        self.reason_en = reason_en

    def __reduce__(self) -> tuple[type[QuarantineError], tuple[str, str]]:
        # both reasons survive a trip between processes (a Dask worker reading a file)
        return (QuarantineError, (self.reason, self.reason_en))


# --- finding the files -----------------------------------------------------------------


def discover(paths: Sequence[Path]) -> list[InputFile]:
    """Every file under the input paths, in a deterministic order.

    Files are ordered by their path's parts, hidden ones included. Symbolic links
    are listed but not walked into; ``sniff`` refuses those that lead out of their input
    root. Each file gets a display name relative to its root; names made equal by
    sanitising are told apart with a ``~2``, ``~3`` suffix.

    Raises:
        InputError: no input paths, one does not exist, or a given folder cannot be listed.
    """
    require_inputs(paths)
    found: list[InputFile] = []
    seen: set[str] = set()
    names: set[str] = set()
    for given in paths:
        if given.is_dir():
            root = _real(given)
            candidates: Iterator[tuple[Path, tuple[str, ...]]] = (
                (given.joinpath(*parts), parts) for parts in sorted(_walk(given))
            )
        else:
            root = _real(given).parent
            candidates = iter([(given, (given.name,))])
        for path, parts in candidates:
            identity = os.path.normpath(path.absolute())
            if identity in seen:
                continue
            seen.add(identity)
            name = _distinct(display_name(parts), names)
            names.add(name)
            found.append(InputFile(path=path, name=name, root=root))
    return found


def _real(path: Path) -> Path:
    """``path`` with its links followed as far as they go: never raises, even on a loop
    (``Path.resolve`` raises ``RuntimeError`` on one, which ``sniff`` reports)."""
    return Path(os.path.realpath(path))


def require_inputs(paths: Sequence[Path]) -> None:
    """Raise ``InputError`` unless there are input paths and each one exists."""
    if not paths:
        raise InputError("no input paths given")
    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise InputError(f"input path does not exist: {given}", file=str(given))


def _walk(top: Path) -> Iterator[tuple[str, ...]]:
    """Relative parts of everything under ``top`` that is not a real folder."""
    pending: list[tuple[str, ...]] = [()]
    while pending:
        relative = pending.pop()
        try:
            with os.scandir(top.joinpath(*relative)) as scan:
                entries = list(scan)
        except OSError as exc:
            if not relative:
                raise InputError(
                    f"cannot list input folder {top}: {exc.strerror}", file=str(top)
                ) from exc
            yield relative  # an unlistable folder is reported, not skipped
            continue
        for entry in entries:
            parts = (*relative, entry.name)
            if entry.is_dir(follow_symlinks=False):
                pending.append(parts)
            else:
                yield parts


def display_name(parts: Sequence[str]) -> str:
    """A path's parts as one safe display name.

    Control and format characters become ``_``, and so do backslashes (``..\\evil.pdf``
    stays one harmless name) and the surrogate escapes of bytes that are not UTF-8 (JSON
    could not carry them). ``.``, ``..`` and empty parts become ``_``, so the result never
    starts with ``/`` and never climbs.
    """
    cleaned: list[str] = []
    for part in parts:
        text = "".join(
            "_" if ch == "\\" or unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch
            for ch in unicodedata.normalize("NFC", part)
        )
        cleaned.append("_" if text in ("", ".", "..") else text)
    return "/".join(cleaned)


def _distinct(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    folder, _, leaf = name.rpartition("/")
    stem, dot, suffix = leaf.rpartition(".")
    if not stem:
        stem, dot, suffix = leaf, "", ""
    number = 2
    while True:
        candidate = f"{stem}~{number}{dot}{suffix}"
        candidate = f"{folder}/{candidate}" if folder else candidate
        if candidate not in taken:
            return candidate
        number += 1


# --- identifying and checking a file ---------------------------------------------------


def sniff(source: InputFile, settings: Settings) -> SniffedFile:
    """Identify one file, hash it, count its pages, and decide whether to quarantine it.

    Never raises for bad input: an unreadable, empty, unsupported, encrypted, corrupt or
    hostile file comes back quarantined, with its reason.
    """
    kind = FileKind.UNKNOWN
    sha256: str | None = None
    size = 0
    try:
        path = _confined(source)
        _require_regular_file(source, path)
        sha256, size = file_digest(path)
        if size == 0:
            raise QuarantineError("空文件（0 字节）", "empty file (0 bytes)")
        if size > settings.max_file_bytes:
            raise QuarantineError(
                f"文件过大（{_mb(size)}，上限 {_mb(settings.max_file_bytes)}）",
                f"file too large ({size} bytes, limit {settings.max_file_bytes})",
            )
        kind = detect_kind(path)
        pages = _PAGE_COUNTERS[kind](path, settings)
    except QuarantineError as refused:
        return _quarantined(source, kind, sha256, size, refused)
    except InputError as exc:
        unreadable = QuarantineError("文件无法读取（可能没有权限或已被移走）", str(exc))
        return _quarantined(source, kind, sha256, size, unreadable)
    except Exception as exc:  # the last net: bad input must never stop a batch
        log.exception("unexpected error while sniffing %s", source.name)
        unexpected = QuarantineError(
            "文件无法识别，读取时出错", f"unexpected error while sniffing: {exc!r}"
        )
        return _quarantined(source, kind, sha256, size, unexpected)
    entry = ManifestEntry(
        file=source.name, sha256=sha256, size=size, pages=pages, state="processed"
    )
    return SniffedFile(source=source, kind=kind, entry=entry)


def quarantine(sniffed: SniffedFile, reason: str, reason_en: str) -> SniffedFile:
    """An accepted file quarantined after all, when handling it failed later (reading it,
    building its reports): its hash, size and pages kept, host paths kept out of the reason.
    """
    why = QuarantineError(reason, reason_en)
    entry = sniffed.entry
    quarantined = _quarantined(sniffed.source, sniffed.kind, entry.sha256, entry.size, why)
    return quarantined.model_copy(
        update={"entry": quarantined.entry.model_copy(update={"pages": entry.pages})}
    )


def _quarantined(
    source: InputFile, kind: FileKind, sha256: str | None, size: int, why: QuarantineError
) -> SniffedFile:
    reason_en = why.reason_en
    local_paths = {str(_real(source.path)), str(source.path.absolute()), str(source.path)}
    for local_path in sorted(local_paths, key=len, reverse=True):
        # Library messages quote the path; the manifest must not carry the host's folders.
        reason_en = reason_en.replace(local_path, source.name)
    log.debug("quarantined %s: %s", source.name, reason_en)
    entry = ManifestEntry(
        file=source.name,
        sha256=sha256,
        size=size,
        state="quarantined",
        reason=why.reason,
        reason_en=reason_en,
    )
    return SniffedFile(source=source, kind=kind, entry=entry)


def _confined(source: InputFile) -> Path:
    try:
        resolved = source.path.resolve()
    except (RuntimeError, OSError) as exc:  # Python 3.11 reports a link loop as RuntimeError
        raise QuarantineError(
            "链接循环（链接最终指向自身），无法打开", "symbolic link loop; not followed"
        ) from exc
    if not resolved.is_relative_to(source.root):
        raise QuarantineError(
            "链接指向输入文件夹之外，出于安全未读取",
            "symbolic link leads outside the input folder; not followed",
        )
    return resolved


def _require_regular_file(source: InputFile, path: Path) -> None:
    try:
        status = path.stat()
    except OSError as exc:
        raise QuarantineError(
            "文件无法读取（链接失效或没有权限）", f"cannot stat: {exc.strerror}"
        ) from exc
    if stat.S_ISDIR(status.st_mode):
        if source.path.is_symlink():
            raise QuarantineError(
                "指向文件夹的链接，未展开（请直接提交该文件夹）", "link to a folder; not followed"
            )
        raise QuarantineError("文件夹无法打开（没有权限）", "folder cannot be listed")
    if not stat.S_ISREG(status.st_mode):
        raise QuarantineError(
            "不是普通文件（设备、管道或套接字）", "not a regular file (device, pipe or socket)"
        )


def file_digest(path: Path) -> tuple[str, int]:
    """The sha256 (hex) and size of a regular file, read in chunks.

    Raises:
        InputError: the file cannot be opened or read, or is not a regular file.
    """
    try:
        # O_NONBLOCK: opening a named pipe must not hang the batch; no effect on files.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise InputError(f"not a regular file: {path}", file=str(path))
            digest = hashlib.sha256()
            size = 0
            while chunk := stream.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", file=str(path)) from exc
    return digest.hexdigest(), size


def detect_kind(path: Path) -> FileKind:
    """The kind by magic bytes (for a ZIP: by its directory), never by the name."""
    head = _head(path)
    if b"%PDF-" in head[:1024]:  # readers accept junk before the header, so do we
        return FileKind.PDF
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return FileKind.TIFF
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"PK\x03\x04") and _is_docx(path):
        return FileKind.DOCX
    return FileKind.UNKNOWN


def _is_docx(path: Path) -> bool:
    return holds_member(path, "word/document.xml")


def _is_xlsx(path: Path) -> bool:
    return holds_member(path, "xl/workbook.xml")


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", file=str(path)) from exc


# --- per kind: count the pages, or say why not -----------------------------------------

_EXPECTED_BY_SUFFIX = {
    ".pdf": "PDF",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".docx": "DOCX",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What ``shenbao run --online`` reads: the online platform's export, not paper.
_EXPORT_SUFFIXES = frozenset({".xlsx", ".xlsm", ".csv", ".json"})


def _unsupported(path: Path, settings: Settings) -> int | None:
    if path.suffix.lower() in _EXPORT_SUFFIXES or _is_xlsx(path):
        raise QuarantineError(
            "这是电子表格或数据文件（网上填报导出？），不是纸质申报材料；"
            "如是网上填报导出，请用 --online 传入",
            "a spreadsheet or data file (the online export?), not a paper submission: "
            "pass an online export with --online",
        )
    expected = _EXPECTED_BY_SUFFIX.get(path.suffix.lower())
    if expected is not None:
        raise QuarantineError(
            f"扩展名为 {path.suffix}，但内容不是有效的 {expected} 文件"
            "（类型不符或已损坏），无法处理",
            f"content is not a valid {expected} despite the {path.suffix} extension",
        )
    if _head(path).startswith(_OLE_MAGIC):
        raise QuarantineError(
            "旧版 Office 文件（.doc/.xls）不支持，请另存为 PDF 或 DOCX",
            "legacy Office (OLE2) file; unsupported",
        )
    raise QuarantineError(
        "不支持的文件类型（仅支持 PDF、TIFF、JPEG、PNG、DOCX）", "unsupported file type"
    )


def _count_pdf_pages(path: Path, settings: Settings) -> int:
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise QuarantineError(
                    "PDF 已加密，需要密码才能打开", f"encrypted PDF: {exc}"
                ) from exc
            raise QuarantineError(
                "PDF 文件已损坏或不完整，无法打开", f"corrupt or truncated PDF: {exc}"
            ) from exc
        try:
            count = len(document)
            if count == 0:
                raise QuarantineError("PDF 中没有任何页面", "PDF has no pages")
            _within_page_cap(count, settings)
            for index in range(count):
                try:
                    document[index].close()
                except pdfium.PdfiumError as exc:
                    raise QuarantineError(
                        f"PDF 第 {index + 1} 页已损坏，无法读取",
                        f"PDF page {index + 1} cannot be loaded: {exc}",
                    ) from exc
        finally:
            document.close()
    return count


PILLOW_FORMATS = {FileKind.TIFF: "TIFF", FileKind.JPEG: "JPEG", FileKind.PNG: "PNG"}
"""The image kinds, by the name Pillow opens them under (and reviewers read)."""


def _count_image_frames(path: Path, settings: Settings, *, kind: FileKind) -> int:
    label = PILLOW_FORMATS[kind]
    try:
        with Image.open(path, formats=[label]) as image:
            frames = 0
            for frame in ImageSequence.Iterator(image):
                if frames == settings.max_pages:  # stop before decoding one too many
                    raise too_many_pages(settings)
                _within_pixel_limit(frame.size, settings)
                frame.load()  # decoding is the only honest test of a truncated file
                frames += 1
            return frames
    except Image.DecompressionBombError as exc:
        raise QuarantineError(
            "图像尺寸异常，疑似解压炸弹，未解码", f"decompression bomb: {exc}"
        ) from exc
    except QuarantineError:
        raise
    except Exception as exc:  # Pillow signals damage with many exception types
        raise QuarantineError(
            f"{label} 图像已损坏或不完整，无法读取", f"corrupt or truncated {label}: {exc}"
        ) from exc


def _within_page_cap(pages: int, settings: Settings) -> None:
    if pages > settings.max_pages:
        raise too_many_pages(settings, pages)


def too_many_pages(settings: Settings, pages: int | None = None) -> QuarantineError:
    """Why a file over ``settings.max_pages`` is set aside; ``pages`` when it was counted
    (a PDF), else it is only known to be more (a TIFF, a DOCX: counting stops there)."""
    if pages is None:
        return QuarantineError(
            f"页数过多（超过上限 {settings.max_pages} 页），未读取",
            f"too many pages (more than the limit {settings.max_pages})",
        )
    return QuarantineError(
        f"页数过多（{pages} 页，上限 {settings.max_pages} 页），未读取",
        f"too many pages ({pages} pages, limit {settings.max_pages})",
    )


def _within_pixel_limit(size: tuple[int, int], settings: Settings) -> None:
    width, height = size
    if width * height > settings.max_pixels:
        raise QuarantineError(
            f"图像尺寸异常（{width}×{height} 像素，超过上限 {settings.max_pixels} 像素），"
            "疑似解压炸弹，未解码",
            f"decompression bomb: {width}x{height} px exceeds {settings.max_pixels}",
        )


def check_docx(path: Path, settings: Settings) -> None:
    """Refuse a DOCX that is damaged, unpacks unbounded, or whose XML declares a DTD or
    entities (an XXE or billion-laughs attempt): the same door as a ZIP bomb, at sniff
    time, and again before the file is parsed (it may have changed since).

    python-docx parses with ``resolve_entities=False`` already; a Word document never
    carries a DOCTYPE, so one is refused outright rather than trusted to the parser.

    Raises:
        QuarantineError: why the file is refused. Its pages are not known without laying
            it out, so there is no count to return.
    """
    try:
        check_office_package(path, OfficeFormat.DOCX, max_unpacked_bytes=settings.max_file_bytes)
    except UnsafePackageError as why:
        raise QuarantineError(why.reason, why.reason_en) from why


_PAGE_COUNTERS: dict[FileKind, Callable[[Path, Settings], int | None]] = {
    FileKind.PDF: _count_pdf_pages,
    FileKind.TIFF: partial(_count_image_frames, kind=FileKind.TIFF),
    FileKind.JPEG: partial(_count_image_frames, kind=FileKind.JPEG),
    FileKind.PNG: partial(_count_image_frames, kind=FileKind.PNG),
    FileKind.DOCX: check_docx,
    FileKind.UNKNOWN: _unsupported,
}


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --- batch identity --------------------------------------------------------------------


def default_batch_id(first_path: Path, entries: Sequence[ManifestEntry]) -> str:
    """A batch id that is the same whenever the same files are run again.

    The first input path's sanitised name, then the first 8 hex digits of a sha256 over
    the sorted (display name, sha256) pairs of the batch's files.
    """
    pairs = sorted((e.file, e.sha256 or "") for e in entries)
    fingerprint = hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()
    return f"{_batch_label(first_path)}-{fingerprint[:8]}"


def _batch_label(path: Path) -> str:
    resolved = _real(path)
    name = resolved.stem if resolved.is_file() else resolved.name
    label = re.sub(r"[^A-Za-z0-9_.-]+", "-", unicodedata.normalize("NFKC", name))
    label = label.strip("-._")[:40].strip("-._")
    return label or "batch"


def parse_received(text: str) -> dt.date:
    """The receipt day a person gave (``YYYY-MM-DD``), checked.

    Raises:
        InputError: not a calendar date in that form.
    """
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"invalid receipt date {text!r}: use YYYY-MM-DD (2022-08-12)") from None


def check_batch_id(batch: str) -> str:
    """A batch id given by a person, checked: it becomes part of every object key.

    Raises:
        InputError: it is not 1–80 of ``A-Z a-z 0-9 _ . -``, starting with a letter or digit.
    """
    if not BATCH_ID_PATTERN.fullmatch(batch):
        raise InputError(
            f"invalid batch id {batch!r}: use 1-80 of A-Z a-z 0-9 _ . - "
            "starting with a letter or digit"
        )
    return batch
