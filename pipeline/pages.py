"""Pages out of files: text layers, rasters and DOCX paragraphs, one page at a time.

A ``SourcePage`` is what one page of an input file holds before normalisation and OCR:
positioned text when the file carries it (a PDF text layer, a DOCX), pixels when it is a
scan. Pixels exist only inside this stage and the next; models downstream carry keys.

``iter_pages`` streams: a document is opened once, pages are produced one at a time and
nothing holds more than the current page's pixels, so a 300-page scan never sits in
memory whole. Bad content never raises out of it: a page that cannot be read comes back
with ``error``/``error_en`` set and iteration goes on with the next one.

Each kind has its reader in ``pipeline/readers/``; this module picks one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import InputError
from pipeline.ingest import FileKind
from pipeline.readers.docx_pages import docx_pages
from pipeline.readers.image_pages import image_pages
from pipeline.readers.pdf_pages import TARGET_DPI, pdf_pages, render_page_image
from pipeline.readers.source_page import SourcePage
from pipeline.rulebook import Rules
from pipeline.settings import Settings

__all__ = ["TARGET_DPI", "SourcePage", "iter_pages", "render_page_image"]


def iter_pages(
    path: Path, kind: FileKind, settings: Settings, rules: Rules, *, dpi: int = TARGET_DPI
) -> Iterator[SourcePage]:
    """The pages of one accepted input file, one at a time, in file order.

    Args:
        path: the file (already sniffed and accepted).
        kind: what ``ingest.sniff`` found it to be.
        settings: limits (``max_pixels``, ``max_file_bytes``).
        rules: how the tick boxes a text layer or a DOCX draws are found (``tick_boxes``).
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
        yield from pdf_pages(path, settings, rules, dpi)
    elif kind in (FileKind.TIFF, FileKind.JPEG, FileKind.PNG):
        yield from image_pages(path, kind, settings)
    elif kind is FileKind.DOCX:
        yield from docx_pages(path, settings, rules)
    else:
        raise InputError(f"cannot read pages of a file of kind {kind}", file=path.name)
