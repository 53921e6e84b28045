"""One page, read: its own text, or OCR of the normalised image. Never raises for a bad page.

A scan's tick boxes are found on the same seal-free image the OCR reads, so their boxes
and the text lines share one frame (fractions of the normalised page), and red seal ink
over a box does not count as a tick while blue or black ballpoint does. Then the ink no
text line or tick box explains (``marks/unread_ink.py``): a value the OCR did not see at
all (print under a seal as dark as the print) leaves ink there, so a blank read where it
lies is not a sure blank. And the ink along each row of tick boxes, outside the boxes
(``marks/tick_rows.py``): a ring, an underline or a ✓ after an option's words. Seals are
found on the colour image (``marks/seal_impressions.py``, in the same frame) and their
ring lettering read with the page's engine (``marks/seal_lettering.py``).
"""

from __future__ import annotations

import logging
import time

from pipeline.marks.seal_lettering import read_seals
from pipeline.marks.tick_boxes import image_boxes, ink_mask
from pipeline.marks.tick_rows import tick_rows
from pipeline.marks.unread_ink import unread_ink
from pipeline.model import Frozen, Page, SealMark, TextLine, TickBox, TickRow, UnreadInk
from pipeline.ocr.engine import OcrEngine
from pipeline.pages import SourcePage
from pipeline.pixels import is_greyscale
from pipeline.preprocess import NormalisedPage, normalise_page
from pipeline.rulebook import Rules
from pipeline.rulebook.marks import (
    SealDetection,
    TickDetection,
    TickRowDetection,
    UnreadDetection,
)
from pipeline.rulebook.second_reading import SecondReading
from pipeline.second_reading import second_readings

log = logging.getLogger(__name__)


class ReadPage(Frozen):
    """A page as read, with what went wrong and how long reading took."""

    page: Page
    error: str | None = None
    error_en: str | None = None
    ocr_s: float = 0.0
    normalise_s: float = 0.0
    seals_s: float = 0.0


def read_page(source: SourcePage, engine: OcrEngine, rules: Rules) -> ReadPage:
    """Turn one source page into a Page with text: its own, or OCR of the normalised image,
    its marks found by the detectors' rules (``tick_boxes``, ``unread_ink``,
    ``seal_detection``)."""
    base = {
        "number": source.file_page,
        "source_page": source.file_page,
        "kind": source.kind,
        "width_pt": source.width_pt,
        "height_pt": source.height_pt,
    }
    if source.error is not None:
        return ReadPage(page=Page(**base), error=source.error, error_en=source.error_en)
    if source.image is None:
        return ReadPage(page=Page(**base, lines=source.lines, boxes=source.boxes))
    started = time.perf_counter()
    try:
        normalised = normalise_page(source.image, source.dpi or 200.0)
        normalise_s = time.perf_counter() - started
        started = time.perf_counter()
        lines = engine.recognize(normalised.ocr_image)
    except Exception as exc:  # one bad page is a finding; the batch goes on
        log.warning("page %d could not be read: %s", source.file_page, exc, exc_info=True)
        return ReadPage(
            page=Page(**base),
            error="页面图像无法识别（图像处理或文字识别失败）",
            error_en=f"normalising or OCR failed: {type(exc).__name__}: {exc}",
        )
    lines = _reread(normalised, lines, engine, rules.second_reading, source.file_page)
    ocr_s = time.perf_counter() - started
    boxes = _tick_boxes(normalised, rules.tick_boxes, source.file_page)
    started = time.perf_counter()
    seals = _seals(normalised, engine, rules.seal_detection, source.file_page)
    seals_s = time.perf_counter() - started
    page = Page(
        **base,
        rotation=normalised.rotation,
        skew_deg=round(normalised.skew_deg, 3),
        lines=lines,
        boxes=boxes,
        unread=_unread(normalised, lines, boxes, rules.unread_ink, source.file_page),
        tick_rows=_tick_rows(
            normalised, boxes, rules.tick_boxes, rules.tick_rows, source.file_page
        ),
        greyscale=is_greyscale(normalised.image),
        seals=seals,
    )
    return ReadPage(
        page=page,
        ocr_s=round(ocr_s, 4),
        normalise_s=round(normalise_s, 4),
        seals_s=round(seals_s, 4),
    )


def _reread(
    normalised: NormalisedPage,
    lines: tuple[TextLine, ...],
    engine: OcrEngine,
    rules: SecondReading,
    file_page: int,
) -> tuple[TextLine, ...]:
    """The page's written dates read again; the lines as they are when that fails."""
    try:
        return second_readings(normalised.ocr_image, lines, engine, rules)
    except Exception as exc:  # a failure here must not cost the page its text
        log.warning("page %d: lines not read again: %r", file_page, exc, exc_info=True)
        return lines


def _tick_boxes(
    normalised: NormalisedPage, rules: TickDetection, file_page: int
) -> tuple[TickBox, ...]:
    """The page's tick boxes; none when finding them fails (the text is still good)."""
    try:
        return image_boxes(normalised.ocr_image, normalised.dpi, rules)
    except Exception as exc:  # a failure here must not cost the page its text
        log.warning("page %d: tick boxes not found: %r", file_page, exc, exc_info=True)
        return ()


def _tick_rows(
    normalised: NormalisedPage,
    boxes: tuple[TickBox, ...],
    detection: TickDetection,
    rules: TickRowDetection,
    file_page: int,
) -> tuple[TickRow, ...]:
    """The ink along the page's rows of tick boxes; none when measuring it fails."""
    if not boxes:
        return ()
    try:
        ink = ink_mask(normalised.ocr_image, normalised.dpi, detection)
        return tick_rows(ink, normalised.dpi, boxes, rules)
    except Exception as exc:  # a failure here must not cost the page its text
        log.warning("page %d: ink along tick rows not measured: %r", file_page, exc, exc_info=True)
        return ()


def _unread(
    normalised: NormalisedPage,
    lines: tuple[TextLine, ...],
    boxes: tuple[TickBox, ...],
    rules: UnreadDetection,
    file_page: int,
) -> tuple[UnreadInk, ...]:
    """The page's unread ink; none when finding it fails (the text is still good)."""
    try:
        return unread_ink(normalised.ocr_image, normalised.dpi, lines, boxes, rules)
    except Exception as exc:  # a failure here must not cost the page its text
        log.warning("page %d: unread ink not found: %r", file_page, exc, exc_info=True)
        return ()


def _seals(
    normalised: NormalisedPage, engine: OcrEngine, rules: SealDetection, file_page: int
) -> tuple[SealMark, ...]:
    """The page's seals with their lettering; none when finding them fails (the text is
    still good, and the validators then say the slot cannot be verified)."""
    try:
        return read_seals(normalised.image, normalised.dpi, engine, rules)
    except Exception as exc:  # a failure here must not cost the page its text
        log.warning("page %d: seals not found: %r", file_page, exc, exc_info=True)
        return ()
