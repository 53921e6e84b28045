"""PDF pages: the text layer where a page holds real text, else the page rasterised.

PDFium (``pypdfium2``) opens the document, counts each page's characters and renders the
scans; pdfplumber reads the text layer (``readers.pdf_text``). PDFium is not thread-safe:
every call into it holds ``ingest.PDFIUM_LOCK``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from pipeline.errors import InputError
from pipeline.ingest import PDFIUM_LOCK
from pipeline.model import SourceKind
from pipeline.readers.pdf_text import MIN_TEXT_CHARS, TextLayerReader
from pipeline.readers.source_page import SourcePage, error_page, without_path
from pipeline.rulebook import Rules
from pipeline.settings import Settings

log = logging.getLogger(__name__)

TARGET_DPI = 200
"""Resolution scanned PDF pages are rasterised at: enough for PP-OCR on 10.5 pt type."""

# Nothing printable is over 5 m on a side; PDF itself stops at 200 in without UserUnit.
MAX_PAGE_SIDE_PT = 5000 / 25.4 * 72


def pdf_pages(path: Path, settings: Settings, rules: Rules, dpi: int) -> Iterator[SourcePage]:
    """A PDF's pages in order: text layer or scan each (see ``pages.iter_pages``)."""
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(path)
        except (pdfium.PdfiumError, OSError) as exc:
            log.warning("cannot open PDF %s: %r", path.name, exc)
            yield error_page(
                1,
                "PDF 文件无法打开（已损坏或已加密）",
                f"cannot open PDF: {without_path(exc, path)}",
            )
            return
        count = len(document)
        if count == 0:
            document.close()
    if count == 0:
        yield error_page(1, "PDF 中没有任何页面", "PDF has no pages")
        return
    text_reader = TextLayerReader(path, rules)
    try:
        for index in range(count):
            yield _pdf_page(document, text_reader, index, settings, dpi)
    finally:
        text_reader.close()
        with PDFIUM_LOCK:
            document.close()


def _pdf_page(
    document: pdfium.PdfDocument,
    text_reader: TextLayerReader,
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
            return error_page(number, "该页已损坏，无法读取", f"page cannot be loaded: {exc}")
        try:
            width_pt, height_pt = page.get_size()
            char_count = _pdfium_char_count(page)
        finally:
            page.close()

    # An absurd page is refused whatever it holds: no form is 5 m wide.
    refusal = _size_refusal(width_pt, height_pt, dpi, None)
    if refusal is not None:
        log.warning("PDF page %d refused: %s", number, refusal[1])
        return error_page(number, *refusal, width_pt, height_pt)

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
        return error_page(number, *refusal, width_pt, height_pt)
    with PDFIUM_LOCK:
        try:
            page = document[index]
            try:
                image = _render(page, dpi)
            finally:
                page.close()
        except Exception as exc:  # PDFium and its bindings fail in many ways on bad pages
            log.warning("PDF page %d cannot be rendered: %r", number, exc)
            return error_page(
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
