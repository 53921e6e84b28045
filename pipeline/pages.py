"""Pages out of files: text layers, rasters and DOCX paragraphs, one page at a time.

A ``SourcePage`` is what one page of an input file holds before normalisation and OCR:
positioned text when the file carries it (a PDF text layer, a DOCX), pixels when it is a
scan. Pixels exist only inside this stage and the next; models downstream carry keys.

``iter_pages`` streams: a document is opened once, pages are produced one at a time and
nothing holds more than the current page's pixels, so a 300-page scan never sits in
memory whole. Bad content never raises out of it: a page that cannot be read comes back
with ``error``/``error_en`` set and iteration goes on with the next one.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
import numpy as np
import pdfplumber
import pypdfium2 as pdfium
from pdfplumber.page import Page as PlumberPage
from pdfplumber.pdf import PDF
from PIL import Image, ImageOps

from pipeline.errors import InputError
from pipeline.ingest import (
    PDFIUM_LOCK,
    FileKind,
    QuarantineError,
    check_docx,
    too_many_pages,
)
from pipeline.model import SourceKind, TextLine, TickBox
from pipeline.settings import Settings
from pipeline.ticks import box_glyphs, glyph_boxes, vector_boxes

log = logging.getLogger(__name__)

TARGET_DPI = 200
"""Resolution scanned PDF pages are rasterised at: enough for PP-OCR on 10.5 pt type."""

# A page "holds real text" with at least this many letters, digits or ideographs...
MIN_TEXT_CHARS = 10
# ...making up at least this share of its non-blank characters: a broken ToUnicode map
# yields "(cid:42)", private-use or U+FFFD characters, which would otherwise pass.
MIN_REAL_TEXT_SHARE = 0.5
# A page mostly covered by one image is a scan with, at most, a stamp of text on it
# (a copier's footer, a caption under a pasted licence); it needs this much more text.
IMAGE_PAGE_COVERAGE = 0.5
MIN_TEXT_CHARS_OVER_IMAGE = 50
# Words further apart than this many character widths are separate lines: table cells,
# a label and its value, the options of a choice.
COLUMN_GAP_CHARS = 2.0
# Two words share a line when their vertical extents overlap by this share of the lower.
SAME_LINE_OVERLAP = 0.5

# Nothing printable is over 5 m on a side; PDF itself stops at 200 in without UserUnit.
MAX_PAGE_SIDE_PT = 5000 / 25.4 * 72
A4_PT = (595.3, 841.9)
A4_LONG_SIDE_IN = 11.69
# Image dpi outside this is a default or a lie (72 is what tools write when they don't know).
PLAUSIBLE_DPI = (72.0, 1200.0)

# DOCX has no geometry: lines are laid out on a synthetic A4 page (see ``_docx_pages``).
DOCX_TOP, DOCX_BOTTOM = 0.05, 0.95
DOCX_LEFT, DOCX_RIGHT = 0.1, 0.9
DOCX_NOMINAL_ROWS = 40
DOCX_ROW_FILL = 0.8  # the rest of a row's slot is a gap, so rows never overlap


@dataclass(frozen=True)
class SourcePage:
    """One page of an input file, as read.

    Attributes:
        file_page: 1-based page number within the file.
        kind: text layer (no OCR needed), scan (pixels to OCR) or DOCX.
        width_pt: page width in PDF points (images: pixels × 72 / dpi).
        height_pt: page height in PDF points.
        lines: positioned text for text-layer and DOCX pages; empty for scans.
        boxes: tick boxes a text-layer page draws or prints as ☑/□, and a DOCX page's
            ☑/□ characters; empty for scans (found after normalisation, ``read.py``).
        image: RGB uint8 pixels (H, W, 3) for scans; None otherwise.
        dpi: the resolution of ``image``.
        error: why the page could not be read, in Chinese for reviewers (None when fine).
        error_en: the same in English, for logs.
    """

    file_page: int
    kind: SourceKind
    width_pt: float
    height_pt: float
    lines: tuple[TextLine, ...] = ()
    boxes: tuple[TickBox, ...] = ()
    image: np.ndarray | None = None
    dpi: float | None = None
    error: str | None = None
    error_en: str | None = None


def iter_pages(
    path: Path, kind: FileKind, settings: Settings, *, dpi: int = TARGET_DPI
) -> Iterator[SourcePage]:
    """The pages of one accepted input file, one at a time, in file order.

    Args:
        path: the file (already sniffed and accepted).
        kind: what ``ingest.sniff`` found it to be.
        settings: limits (``max_pixels``, ``max_file_bytes``).
        dpi: resolution scanned PDF pages are rasterised at.

    Per kind:

    - PDF: a page holding real text (``MIN_TEXT_CHARS`` letters, digits or ideographs,
      most of its characters, more when one image covers the page) is ``TEXT_LAYER``
      with its words grouped into lines; any other page is a ``SCAN`` rasterised at
      ``dpi``. Absurd pages (over 5 m a side, over ``max_pixels``) become error pages.
    - TIFF (each frame), JPEG, PNG: ``SCAN``, RGB 8-bit, EXIF orientation applied, dpi
      from the file when plausible, else as if the page were A4.
    - DOCX: ``DOCX`` pages cut at explicit page and section breaks. With no geometry in
      the file, lines get a synthetic A4 layout that keeps the two relations extractors
      use, "same row" (vertical overlap) and "right of" (x order): rows advance down the
      page in reading order within y 0.05–0.95; a paragraph spans x 0.1–0.9; a table
      row's cells sit left to right by grid column, ``x0 = 0.1 + 0.8·col/ncols``,
      ``x1 = 0.1 + 0.8·(col + span)/ncols``, on one shared row.

    Yields:
        One ``SourcePage`` per page (per frame of a TIFF). A page that cannot be read
        has ``error`` set and no content; a file that cannot be opened at all yields one
        such page.

    Raises:
        InputError: ``kind`` is ``UNKNOWN`` (callers pass accepted files only).
    """
    if kind is FileKind.PDF:
        yield from _pdf_pages(path, settings, dpi)
    elif kind in (FileKind.TIFF, FileKind.JPEG, FileKind.PNG):
        yield from _image_pages(path, kind, settings)
    elif kind is FileKind.DOCX:
        yield from _docx_pages(path, settings)
    else:
        raise InputError(f"cannot read pages of a file of kind {kind}", file=path.name)


def render_page_image(
    path: Path, file_page: int, dpi: int, *, max_pixels: int | None = None
) -> np.ndarray:
    """One PDF page rasterised again, e.g. to crop evidence from a text-layer page.

    Args:
        path: the PDF.
        file_page: 1-based page number within it.
        dpi: resolution of the result.
        max_pixels: refuse pages larger than this at ``dpi`` (None: only the side limit).

    Returns:
        RGB uint8 pixels, shape (H, W, 3).

    Raises:
        InputError: the file or page cannot be opened or rendered, or is absurdly large.
    """
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            raise InputError(f"cannot open PDF: {exc}", file=path.name) from exc
        try:
            if not 1 <= file_page <= len(document):
                raise InputError(
                    f"no page {file_page} in a PDF of {len(document)} pages",
                    file=path.name,
                    page=file_page,
                )
            try:
                page = document[file_page - 1]
            except pdfium.PdfiumError as exc:
                raise InputError(f"cannot load page: {exc}", file=path.name) from exc
            try:
                width_pt, height_pt = page.get_size()
                refusal = _size_refusal(width_pt, height_pt, dpi, max_pixels)
                if refusal is not None:
                    raise InputError(refusal[1], file=path.name, page=file_page)
                return _render(page, dpi)
            except pdfium.PdfiumError as exc:
                raise InputError(f"cannot render: {exc}", file=path.name, page=file_page) from exc
            finally:
                page.close()
        finally:
            document.close()


# --- PDF -------------------------------------------------------------------------------


def _pdf_pages(path: Path, settings: Settings, dpi: int) -> Iterator[SourcePage]:
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(path)
        except (pdfium.PdfiumError, OSError) as exc:
            log.warning("cannot open PDF %s: %r", path.name, exc)
            yield _error_page(
                1,
                "PDF 文件无法打开（已损坏或已加密）",
                f"cannot open PDF: {_without_path(exc, path)}",
            )
            return
        count = len(document)
        if count == 0:
            document.close()
    if count == 0:
        yield _error_page(1, "PDF 中没有任何页面", "PDF has no pages")
        return
    text_reader = _TextLayerReader(path)
    try:
        for index in range(count):
            yield _pdf_page(document, text_reader, index, settings, dpi)
    finally:
        text_reader.close()
        with PDFIUM_LOCK:
            document.close()


def _pdf_page(
    document: pdfium.PdfDocument,
    text_reader: _TextLayerReader,
    index: int,
    settings: Settings,
    dpi: int,
) -> SourcePage:
    number = index + 1
    with PDFIUM_LOCK:
        try:
            page = document[index]
        except pdfium.PdfiumError as exc:
            log.warning("PDF page %d cannot be loaded: %s", number, exc)
            return _error_page(number, "该页已损坏，无法读取", f"page cannot be loaded: {exc}")
        try:
            width_pt, height_pt = page.get_size()
            char_count = _pdfium_char_count(page)
        finally:
            page.close()

    # An absurd page is refused whatever it holds: no form is 5 m wide.
    refusal = _size_refusal(width_pt, height_pt, dpi, None)
    if refusal is not None:
        log.warning("PDF page %d refused: %s", number, refusal[1])
        return _error_page(number, *refusal, width_pt, height_pt)

    # PDFium counts characters cheaply; only pages that have some go through pdfminer,
    # which is slow and would load every image stream of a scanned page.
    if char_count >= MIN_TEXT_CHARS:
        layer = text_reader.text_layer(index)
        if layer is not None:
            return SourcePage(
                file_page=number,
                kind=SourceKind.TEXT_LAYER,
                width_pt=width_pt,
                height_pt=height_pt,
                lines=layer[0],
                boxes=layer[1],
            )

    refusal = _size_refusal(width_pt, height_pt, dpi, settings.max_pixels)
    if refusal is not None:
        log.warning("PDF page %d refused: %s", number, refusal[1])
        return _error_page(number, *refusal, width_pt, height_pt)
    with PDFIUM_LOCK:
        try:
            page = document[index]
            try:
                image = _render(page, dpi)
            finally:
                page.close()
        except Exception as exc:  # PDFium and its bindings fail in many ways on bad pages
            log.warning("PDF page %d cannot be rendered: %r", number, exc)
            return _error_page(
                number,
                "该页无法渲染（页面内容已损坏）",
                f"page cannot be rendered: {exc!r}",
                width_pt,
                height_pt,
            )
    return SourcePage(
        file_page=number,
        kind=SourceKind.SCAN,
        width_pt=width_pt,
        height_pt=height_pt,
        image=image,
        dpi=float(dpi),
    )


def _pdfium_char_count(page: pdfium.PdfPage) -> int:
    # Caller holds PDFIUM_LOCK.
    try:
        textpage = page.get_textpage()
    except pdfium.PdfiumError:
        return MIN_TEXT_CHARS  # unknown: let pdfplumber look
    try:
        return int(textpage.count_chars())
    finally:
        textpage.close()


def _size_refusal(
    width_pt: float, height_pt: float, dpi: int, max_pixels: int | None
) -> tuple[str, str] | None:
    """Why a page of this size is not rendered, (Chinese, English); None when it is fine."""
    if not (width_pt > 0 and height_pt > 0):
        return "页面尺寸无效，未渲染", f"invalid page size {width_pt}x{height_pt} pt"
    if max(width_pt, height_pt) > MAX_PAGE_SIDE_PT:
        width_mm, height_mm = width_pt / 72 * 25.4, height_pt / 72 * 25.4
        return (
            f"页面尺寸异常（{width_mm:.0f}×{height_mm:.0f} 毫米，超过 5 米），未渲染",
            f"absurd page size {width_pt:.0f}x{height_pt:.0f} pt (over 5 m on a side)",
        )
    if max_pixels is not None:
        width_px, height_px = _pixels(width_pt, dpi), _pixels(height_pt, dpi)
        if width_px * height_px > max_pixels:
            return (
                f"页面过大（按 {dpi} dpi 为 {width_px}×{height_px} 像素，"
                f"超过上限 {max_pixels} 像素），未渲染",
                f"page of {width_px}x{height_px} px at {dpi} dpi exceeds {max_pixels} px",
            )
    return None


def _pixels(points: float, dpi: int) -> int:
    return math.ceil(points * dpi / 72)


def _render(page: pdfium.PdfPage, dpi: int) -> np.ndarray:
    """RGB pixels of a page at ``dpi``, owned by numpy. Caller holds PDFIUM_LOCK."""
    # rev_byteorder: PDFium's native order is BGR; reversed, it hands out RGB directly.
    bitmap = page.render(scale=dpi / 72, rev_byteorder=True, draw_annots=True)
    try:
        pixels = bitmap.to_numpy()
        if pixels.ndim == 2:
            pixels = np.stack([pixels] * 3, axis=-1)
        # The view points into PDFium's buffer, which closing the bitmap releases.
        return np.ascontiguousarray(pixels[..., :3], dtype=np.uint8).copy()
    finally:
        bitmap.close()


class _TextLayerReader:
    """pdfplumber over one PDF, opened on first use, memory bounded page by page."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._pdf: PDF | None = None
        self._failed = False

    def text_layer(self, index: int) -> tuple[tuple[TextLine, ...], tuple[TickBox, ...]] | None:
        """The page's text lines and tick boxes when it holds real text, else None (read
        it as a scan)."""
        pdf = self._open()
        if pdf is None:
            return None
        try:
            page = pdf.pages[index]
        except Exception as exc:  # pdfminer disagrees with PDFium on the page tree
            log.warning("pdfplumber cannot load page %d of %s: %r", index + 1, self._path.name, exc)
            return None
        try:
            lines = _real_text_lines(page)
            return None if lines is None else (lines, _text_layer_boxes(page))
        except Exception as exc:  # a content stream pdfminer chokes on: PDFium may render it
            log.warning("pdfplumber cannot read page %d of %s: %r", index + 1, self._path.name, exc)
            return None
        finally:
            page.close()
            # pdfminer caches every object it resolves, image streams included; dropping
            # them per page keeps a long document flat (fonts stay cached elsewhere).
            cached = getattr(getattr(pdf, "doc", None), "_cached_objs", None)
            if isinstance(cached, dict):
                cached.clear()

    def _open(self) -> PDF | None:
        if self._pdf is None and not self._failed:
            try:
                self._pdf = pdfplumber.open(self._path)
            except Exception as exc:
                log.warning(
                    "pdfplumber cannot open %s: %r; pages read as scans", self._path.name, exc
                )
                self._failed = True
        return self._pdf

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None


# Kangxi and CJK radicals: some PDF fonts map 一, 人, 工 ... to these look-alikes.
_RADICALS = re.compile("[\u2e80-\u2ef3\u2f00-\u2fd5]")


def _fix_radicals(text: str) -> str:
    return _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def _is_real_char(text: str) -> bool:
    # pdfminer renders an unmapped glyph as "(cid:123)": longer than one character.
    return len(text) == 1 and text.isalnum() and unicodedata.category(text) != "Co"


def _real_text_lines(page: PlumberPage) -> tuple[TextLine, ...] | None:
    box = _visible_box(page)
    if box is None:
        return None
    x0, top, x1, bottom = box
    visible = [
        c for c in page.chars if x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and top <= c["top"] <= bottom
    ]
    texts = [_fix_radicals(c["text"]) for c in visible if not c["text"].isspace()]
    real = sum(1 for t in texts if _is_real_char(t))
    needed = MIN_TEXT_CHARS
    if _largest_image_share(page, box) >= IMAGE_PAGE_COVERAGE:
        needed = MIN_TEXT_CHARS_OVER_IMAGE
    if real < needed or real < MIN_REAL_TEXT_SHARE * len(texts):
        log.debug("page %d: %d real of %d characters: a scan", page.page_number, real, len(texts))
        return None
    words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
    return tuple(_lines_from_words(words, box))


def _text_layer_boxes(page: PlumberPage) -> tuple[TickBox, ...]:
    """Tick boxes a text-layer page draws (squares, ticked by a path inside) or prints as
    ☑/□ characters. A drawing pdfplumber cannot make sense of gives none, not an error."""
    box = _visible_box(page)
    if box is None:
        return ()
    x0, top, x1, bottom = box
    width, height = x1 - x0, bottom - top
    marks = box_glyphs()
    try:
        drawn = vector_boxes(page.rects, [*page.curves, *page.lines], box)
        glyphs = glyph_boxes(
            TextLine(
                text=c["text"],
                bbox=(
                    _fraction(c["x0"] - x0, width),
                    _fraction(c["top"] - top, height),
                    _fraction(c["x1"] - x0, width),
                    _fraction(c["bottom"] - top, height),
                ),
            )
            for c in page.chars
            if c["text"] in marks and c["x1"] > c["x0"] and c["bottom"] > c["top"]
        )
    except Exception as exc:  # odd path data in a drawing: the text is still good
        log.warning("page %d: tick boxes not read: %r", page.page_number, exc)
        return ()
    return drawn + glyphs


def _visible_box(page: PlumberPage) -> tuple[float, float, float, float] | None:
    """The crop box (what PDFium renders) within the media box, in pdfplumber's coordinates."""
    cx0, ctop, cx1, cbottom = page.cropbox
    mx0, mtop, mx1, mbottom = page.mediabox
    box = (max(cx0, mx0), max(ctop, mtop), min(cx1, mx1), min(cbottom, mbottom))
    if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
        return None
    return box


def _largest_image_share(page: PlumberPage, box: tuple[float, float, float, float]) -> float:
    x0, top, x1, bottom = box
    area = (x1 - x0) * (bottom - top)
    largest = 0.0
    for image in page.images:
        width = min(image["x1"], x1) - max(image["x0"], x0)
        height = min(image["bottom"], bottom) - max(image["top"], top)
        if width > 0 and height > 0:
            largest = max(largest, width * height / area)
    return largest


@dataclass
class _Row:
    top: float
    bottom: float
    words: list[dict[str, Any]] = field(default_factory=list)
    alone: bool = False


def _lines_from_words(
    words: Sequence[dict[str, Any]], box: tuple[float, float, float, float]
) -> Iterator[TextLine]:
    """Words grouped into rows by vertical overlap, rows split at wide horizontal gaps."""
    x0, top, x1, bottom = box
    width, height = x1 - x0, bottom - top

    def line(group: Sequence[dict[str, Any]]) -> TextLine | None:
        text = _fix_radicals(" ".join(w["text"] for w in group)).strip()
        left = min(w["x0"] for w in group)
        right = max(w["x1"] for w in group)
        upper = min(w["top"] for w in group)
        lower = max(w["bottom"] for w in group)
        centre_x, centre_y = (left + right) / 2, (upper + lower) / 2
        if not text or not (x0 <= centre_x <= x1 and top <= centre_y <= bottom):
            return None  # outside the crop box: never shown, never printed
        return TextLine(
            text=text,
            bbox=(
                _fraction(left - x0, width),
                _fraction(upper - top, height),
                _fraction(right - x0, width),
                _fraction(lower - top, height),
            ),
            confidence=1.0,
        )

    rows: list[_Row] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if not word.get("upright", True):
            # Vertical text has no row to share: each of its words is a line of its own.
            rows.append(_Row(top=word["top"], bottom=word["bottom"], words=[word], alone=True))
            continue
        best, best_overlap = None, 0.0
        for row in rows:
            if row.alone or row.bottom <= word["top"]:
                continue
            overlap = min(row.bottom, word["bottom"]) - max(row.top, word["top"])
            lower = min(row.bottom - row.top, word["bottom"] - word["top"])
            if lower > 0 and overlap >= SAME_LINE_OVERLAP * lower and overlap > best_overlap:
                best, best_overlap = row, overlap
        if best is None:
            rows.append(_Row(top=word["top"], bottom=word["bottom"], words=[word]))
        else:
            best.words.append(word)
    for row in sorted(rows, key=lambda r: (r.top, r.bottom)):
        groups = [row.words] if row.alone else _split_at_gaps(sorted(row.words, key=_left))
        for group in groups:
            if (made := line(group)) is not None:
                yield made


def _left(word: dict[str, Any]) -> float:
    return float(word["x0"])


def _split_at_gaps(words: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    group: list[dict[str, Any]] = []
    for word in words:
        if group:
            previous = group[-1]
            gap = word["x0"] - previous["x1"]
            char_width = (_char_width(previous) + _char_width(word)) / 2
            if gap > COLUMN_GAP_CHARS * char_width:
                yield group
                group = []
        group.append(word)
    if group:
        yield group


def _char_width(word: dict[str, Any]) -> float:
    # A word's mean advance: an ideograph is as wide as the type is tall, a digit half that.
    return max(word["x1"] - word["x0"], 0.0) / max(len(word["text"]), 1)


def _fraction(value: float, extent: float) -> float:
    return min(max(value / extent, 0.0), 1.0)


# --- TIFF, JPEG, PNG -------------------------------------------------------------------

_PILLOW_FORMATS = {FileKind.TIFF: "TIFF", FileKind.JPEG: "JPEG", FileKind.PNG: "PNG"}


def _image_pages(path: Path, kind: FileKind, settings: Settings) -> Iterator[SourcePage]:
    label = _PILLOW_FORMATS[kind]
    try:
        picture = Image.open(path, formats=[label])
    except Exception as exc:  # Pillow signals damage (and bombs) with many exception types
        log.warning("cannot open %s %s: %r", label, path.name, exc)
        yield _error_page(
            1,
            f"{label} 图像无法打开（已损坏或尺寸异常）",
            f"cannot open: {_without_path(exc, path)}",
        )
        return
    try:
        yield _image_page(picture, 1, settings)
        if kind is not FileKind.TIFF:
            return  # a JPEG (MPO) or PNG (APNG) with more frames is still one sheet of paper
        # Frame by frame, never n_frames: counting walks the whole chain, broken or not.
        number = 1
        while True:
            try:
                picture.seek(number)
            except EOFError:
                return
            except Exception as exc:  # a broken frame chain: nothing after it can be found
                log.warning("%s frame %d cannot be reached: %r", path.name, number + 1, exc)
                yield _error_page(
                    number + 1, "该页图像已损坏，后续页面无法读取", f"cannot seek frame: {exc!r}"
                )
                return
            number += 1
            yield _image_page(picture, number, settings)
    finally:
        picture.close()


def _image_page(picture: Image.Image, number: int, settings: Settings) -> SourcePage:
    width_px, height_px = picture.size
    dpi = _image_dpi(picture)
    if width_px * height_px > settings.max_pixels or width_px <= 0 or height_px <= 0:
        log.warning("image frame %d refused: %dx%d px", number, width_px, height_px)
        return _error_page(
            number,
            f"图像尺寸异常（{width_px}×{height_px} 像素，超过上限 {settings.max_pixels} 像素），"
            "疑似解压炸弹，未解码",
            f"frame of {width_px}x{height_px} px exceeds {settings.max_pixels} px",
        )
    try:
        picture.load()
        upright = ImageOps.exif_transpose(picture)
        pixels = _rgb8(upright)
    except Exception as exc:  # truncated data, bad codec parameters, exotic modes
        log.warning("image frame %d cannot be decoded: %r", number, exc)
        return _error_page(
            number,
            "该页图像已损坏，无法解码",
            f"frame cannot be decoded: {exc!r}",
            width_px * 72 / (dpi or _a4_dpi(width_px, height_px)),
            height_px * 72 / (dpi or _a4_dpi(width_px, height_px)),
        )
    height, width = pixels.shape[:2]
    page_dpi = dpi or _a4_dpi(width, height)
    return SourcePage(
        file_page=number,
        kind=SourceKind.SCAN,
        width_pt=width * 72 / page_dpi,
        height_pt=height * 72 / page_dpi,
        image=pixels,
        dpi=page_dpi,
    )


def _image_dpi(picture: Image.Image) -> float | None:
    """The dpi the file declares, when it is believable."""
    declared = picture.info.get("dpi")
    try:
        x_dpi, y_dpi = (float(v) for v in declared)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    low, high = PLAUSIBLE_DPI
    if not (low < x_dpi <= high and low < y_dpi <= high):
        return None
    if abs(x_dpi - y_dpi) > 0.02 * max(x_dpi, y_dpi):
        return None  # anisotropic: no single dpi describes the page
    return (x_dpi + y_dpi) / 2


def _a4_dpi(width_px: int, height_px: int) -> float:
    # Without a believable dpi the page is taken to be A4, the forms' only paper size.
    return max(width_px, height_px, 1) / A4_LONG_SIDE_IN


def _rgb8(picture: Image.Image) -> np.ndarray:
    """Any Pillow mode as RGB uint8; transparency composited onto white paper."""
    mode = picture.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        values = np.asarray(picture, dtype=np.float64)
        # 16-bit samples come as "I" too; 8-bit content in a wide mode stays as it is.
        scale = 257.0 if values.max(initial=0) > 255 else 1.0
        grey = np.clip(np.rint(values / scale), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)
    if mode == "F":
        values = np.asarray(picture, dtype=np.float64)
        scale = 255.0 if values.max(initial=0) <= 1.0 else 1.0
        grey = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)
    transparent = mode == "P" and "transparency" in picture.info
    if transparent or mode in ("LA", "La", "PA", "RGBa"):
        picture = picture.convert("RGBA")
    if picture.mode == "RGBA":
        paper = Image.new("RGB", picture.size, (255, 255, 255))
        paper.paste(picture, mask=picture.getchannel("A"))
        picture = paper
    elif picture.mode != "RGB":
        picture = picture.convert("RGB")
    return np.asarray(picture, dtype=np.uint8).copy()


# --- DOCX ------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _docx_pages(path: Path, settings: Settings) -> Iterator[SourcePage]:
    """A DOCX's paragraphs and table rows as lines on synthetic A4 pages.

    Pages end at explicit breaks only: ``w:br w:type="page"``, ``w:pageBreakBefore`` and
    a section break in a paragraph (unless the next section is continuous). Word's own
    pagination is not known without laying the document out.

    A DOCX has no geometry, so each line gets a synthetic bbox that keeps the two
    relations extractors use: "same row" (vertical overlap) and "right of" (x order).
    Rows advance down the page in reading order within [0.05, 0.95] (spacing compressed
    when a page holds more than 40 rows; a row's bbox fills 80 % of its slot so rows
    never overlap). A paragraph spans x 0.1-0.9. A table row is one row; its cells sit
    left to right by grid column, ``x0 = 0.1 + 0.8·col/ncols``, ``x1 = 0.1 +
    0.8·(col+span)/ncols``; a vertically merged cell appears once, spanning its rows.
    """
    try:
        check_docx(path, settings)  # done at sniff time too: the file may have changed
        body = docx.Document(str(path)).element.body
    except QuarantineError as why:
        log.warning("DOCX %s refused: %s", path.name, why.reason_en)
        yield _error_page(1, why.reason, why.reason_en, kind=SourceKind.DOCX)
        return
    except Exception as exc:  # python-docx fails on damaged packages in many ways
        log.warning("DOCX %s cannot be parsed: %r", path.name, exc)
        yield _error_page(
            1,
            "DOCX 文件已损坏，无法解析",
            f"cannot parse DOCX: {_without_path(exc, path)}",
            kind=SourceKind.DOCX,
        )
        return
    for number, rows in enumerate(_docx_page_rows(body), start=1):
        if number > settings.max_pages:  # its pages are known only now: the file is set aside
            raise too_many_pages(settings)
        yield SourcePage(
            file_page=number,
            kind=SourceKind.DOCX,
            width_pt=A4_PT[0],
            height_pt=A4_PT[1],
            lines=(lines := _lay_out(rows)),
            boxes=glyph_boxes(lines),
        )


@dataclass(frozen=True)
class _Cell:
    text: str
    col: int
    span: int
    rows: int  # how many table rows it covers (vertical merge)


@dataclass
class _GridCell:
    col: int
    span: int
    text: str
    rows: int = 1


@dataclass(frozen=True)
class _DocxRow:
    """One row slot of a DOCX page: a paragraph (one cell) or a table row."""

    cells: tuple[_Cell, ...]
    ncols: int = 1


def _docx_page_rows(body: Any) -> Iterator[list[_DocxRow]]:
    """The body's blocks in reading order, cut into pages at explicit breaks."""
    section_types = _section_types(body)
    section_index = 0
    rows: list[_DocxRow] = []
    produced = False
    for block in _blocks(body):
        if block.tag == f"{_W}tbl":
            rows.extend(_table_rows(block))
            continue
        properties = block.find(f"{_W}pPr")
        if properties is not None and _is_on(properties.find(f"{_W}pageBreakBefore")) and rows:
            yield rows
            produced, rows = True, []
        segments = _paragraph_segments(block)
        for position, segment in enumerate(segments):
            if position > 0:  # a page break inside the paragraph
                yield rows
                produced, rows = True, []
            text = _clean(segment)
            if text:
                rows.append(_DocxRow(cells=(_Cell(text, 0, 1, 1),)))
        if properties is not None and properties.find(f"{_W}sectPr") is not None:
            section_index += 1
            next_type = (
                section_types[section_index] if section_index < len(section_types) else "nextPage"
            )
            if next_type not in ("continuous", "nextColumn"):
                yield rows
                produced, rows = True, []
    if rows or not produced:
        yield rows  # a break at the very end leaves no page behind it


def _blocks(container: Any) -> Iterator[Any]:
    """Paragraphs and tables among a container's children, content controls opened."""
    for child in container:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content)
        elif child.tag in (f"{_W}customXml", f"{_W}ins", f"{_W}smartTag"):
            yield from _blocks(child)


def _section_types(body: Any) -> list[str]:
    """The start type of each section, in order: paragraph sections, then the body's last."""
    sections = [
        block.find(f"{_W}pPr/{_W}sectPr") for block in _blocks(body) if block.tag == f"{_W}p"
    ]
    sections.append(body.find(f"{_W}sectPr"))
    found: list[str] = []
    for section in sections:
        if section is not None:
            kind = section.find(f"{_W}type")
            found.append(kind.get(f"{_W}val", "nextPage") if kind is not None else "nextPage")
    return found


def _is_on(element: Any) -> bool:
    if element is None:
        return False
    return element.get(f"{_W}val", "true").lower() not in ("0", "false", "off")


def _paragraph_segments(paragraph: Any) -> list[str]:
    """A paragraph's text, split where it holds a page break (one segment when none)."""
    segments = [""]
    boxes: list[Any] = []
    for element in _paragraph_text_elements(paragraph, boxes, breaks=True):
        if element is None:
            segments.append("")
        else:
            segments[-1] += element
    # Text boxes anchored here have no place in reading order: they follow the paragraph.
    for box in boxes:
        for inner in _blocks(box):
            if inner.tag == f"{_W}p":
                segments[-1] += " " + _paragraph_text(inner)
    return segments


def _paragraph_text(paragraph: Any) -> str:
    boxes: list[Any] = []
    text = "".join(t for t in _paragraph_text_elements(paragraph, boxes, breaks=False) if t)
    for box in boxes:
        text += " " + " ".join(_paragraph_text(p) for p in box.iter(f"{_W}p"))
    return text


def _paragraph_text_elements(
    paragraph: Any, boxes: list[Any], *, breaks: bool
) -> Iterator[str | None]:
    """Text pieces of a paragraph in order; None marks a page break when ``breaks``."""
    stack = list(reversed(list(paragraph)))
    while stack:
        element = stack.pop()
        tag = element.tag
        if not isinstance(tag, str) or tag in (f"{_W}del", f"{_W}pPr", f"{_W}rPr", _MC_FALLBACK):
            continue  # comments, deleted text, properties, duplicate fallback content
        if tag == f"{_W}txbxContent":
            boxes.append(element)
            continue
        if tag == f"{_W}t":
            yield element.text or ""
        elif tag in (f"{_W}tab", f"{_W}ptab"):
            yield " "
        elif tag == f"{_W}noBreakHyphen":
            yield "-"
        elif tag == f"{_W}br" and element.get(f"{_W}type") == "page" and breaks:
            yield None
        elif tag in (f"{_W}br", f"{_W}cr"):
            yield " "
        else:
            stack.extend(reversed(list(element)))


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _join_cjk_aware(parts: Iterable[str]) -> str:
    """Join a cell's paragraphs: a space only where two Latin letters or digits meet."""
    joined = ""
    for part in parts:
        if not part:
            continue
        if joined and joined[-1].isascii() and joined[-1].isalnum() and part[0].isascii():
            joined += " "
        joined += part
    return joined


def _table_rows(table: Any) -> Iterator[_DocxRow]:
    """One row slot per table row, its cells on the grid, merged cells once."""
    grid = table.find(f"{_W}tblGrid")
    grid_cols = len(grid.findall(f"{_W}gridCol")) if grid is not None else 0
    # Lay the whole table out first: a vertical merge's height is known only at its end.
    laid_out: list[list[_GridCell]] = []
    open_merges: dict[int, _GridCell] = {}
    for row in _child_elements(table, "tr"):
        cells: list[_GridCell] = []
        col = _grid_int(row.find(f"{_W}trPr"), "gridBefore")
        for cell in _child_elements(row, "tc"):
            properties = cell.find(f"{_W}tcPr")
            span = max(_grid_int(properties, "gridSpan"), 1)
            merge = properties.find(f"{_W}vMerge") if properties is not None else None
            continues = merge is not None and merge.get(f"{_W}val", "continue") == "continue"
            if continues and col in open_merges:
                open_merges[col].rows += 1  # the cell above grows by one row
            else:
                grid_cell = _GridCell(col=col, span=span, text=_cell_text(cell))
                cells.append(grid_cell)
                if merge is not None:
                    open_merges[col] = grid_cell
                else:
                    open_merges.pop(col, None)
            col += span
        laid_out.append(cells)
    ncols = max([grid_cols, 1] + [c.col + c.span for cells in laid_out for c in cells])
    for cells in laid_out:
        shown = tuple(
            _Cell(c.text, c.col, c.span, c.rows)
            for c in cells
            if c.text  # an empty cell prints nothing: no line for it
        )
        if shown:
            yield _DocxRow(cells=shown, ncols=ncols)


def _child_elements(parent: Any, tag: str) -> Iterator[Any]:
    """``parent``'s children named ``tag`` (``tr`` of a table, ``tc`` of a row), looking
    through the content controls and custom XML that Word may wrap around them."""
    for child in parent:
        if child.tag == f"{_W}{tag}":
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}customXml"):
            content = child.find(f"{_W}sdtContent") if child.tag == f"{_W}sdt" else child
            if content is not None:
                yield from _child_elements(content, tag)


def _grid_int(properties: Any, name: str) -> int:
    if properties is None:
        return 0
    element = properties.find(f"{_W}{name}")
    try:
        return int(element.get(f"{_W}val")) if element is not None else 0
    except (TypeError, ValueError):
        return 0


def _cell_text(cell: Any) -> str:
    """A cell's paragraphs (and any nested table's) as one line of text."""
    parts: list[str] = []
    for block in _blocks(cell):
        if block.tag == f"{_W}p":
            parts.append(_clean(_paragraph_text(block)))
        else:
            parts.extend(_clean(_paragraph_text(p)) for p in block.iter(f"{_W}p"))
    return _join_cjk_aware(parts)


def _lay_out(rows: Sequence[_DocxRow]) -> tuple[TextLine, ...]:
    slot = (DOCX_BOTTOM - DOCX_TOP) / max(len(rows), DOCX_NOMINAL_ROWS)
    width = DOCX_RIGHT - DOCX_LEFT
    lines: list[TextLine] = []
    for index, row in enumerate(rows):
        top = DOCX_TOP + index * slot
        for cell in row.cells:
            bottom = top + (cell.rows - 1) * slot + DOCX_ROW_FILL * slot
            left = DOCX_LEFT + width * cell.col / row.ncols
            right = DOCX_LEFT + width * min(cell.col + cell.span, row.ncols) / row.ncols
            lines.append(
                TextLine(
                    text=cell.text,
                    bbox=(round(left, 6), round(top, 6), round(right, 6), round(bottom, 6)),
                    confidence=1.0,
                )
            )
    return tuple(lines)


# --- common ----------------------------------------------------------------------------


def _without_path(exc: BaseException, path: Path) -> str:
    """An exception's repr with the host's folders cut out: logs and reports show the name."""
    text = repr(exc)
    for local in sorted({str(path.resolve()), str(path)}, key=len, reverse=True):
        text = text.replace(local, path.name)
    return text


def _error_page(
    number: int,
    reason: str,
    reason_en: str,
    width_pt: float = A4_PT[0],
    height_pt: float = A4_PT[1],
    kind: SourceKind = SourceKind.SCAN,
) -> SourcePage:
    """A page that could not be read: no content, the reason in both languages."""
    if not (math.isfinite(width_pt) and width_pt > 0):
        width_pt = A4_PT[0]
    if not (math.isfinite(height_pt) and height_pt > 0):
        height_pt = A4_PT[1]
    return SourcePage(
        file_page=number,
        kind=kind,
        width_pt=width_pt,
        height_pt=height_pt,
        error=reason,
        error_en=reason_en,
    )
