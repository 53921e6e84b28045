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
from collections.abc import Callable
from math import ceil, floor
from typing import TypeVar

import numpy as np

from pipeline.marks.line_ink import line_ink
from pipeline.marks.seal_lettering import read_seals
from pipeline.marks.tick_boxes import image_boxes, ink_mask
from pipeline.marks.tick_rows import tick_rows
from pipeline.marks.unread_ink import unread_ink
from pipeline.model import Frozen, LineInk, Page, SealMark, TickBox, TickRow, UnreadInk
from pipeline.ocr.engine import OcrEngine
from pipeline.pages import SourcePage
from pipeline.pixels import is_greyscale
from pipeline.preprocess import normalise_page
from pipeline.rulebook import Rules
from pipeline.seal_ink import red_pen_kept
from pipeline.second_reading import row_readings, second_readings

log = logging.getLogger(__name__)

T = TypeVar("T")


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
    number = source.file_page
    image, dpi = normalised.ocr_image, normalised.dpi
    read = lines
    lines = _guarded(
        lambda: second_readings(image, read, engine, rules.second_reading),
        read,
        "lines not read again",
        number,
    )
    ocr_s = time.perf_counter() - started
    started = time.perf_counter()
    seals: tuple[SealMark, ...] = _guarded(
        lambda: read_seals(normalised.image, dpi, engine, rules.seal_detection),
        (),
        "seals not found",
        number,
    )
    seals_s = time.perf_counter() - started
    started = time.perf_counter()
    cut = lines
    lines = _guarded(
        lambda: row_readings(image, cut, seals, engine, rules.second_reading),
        cut,
        "date rows cut by a seal not read again",
        number,
    )
    ocr_s += time.perf_counter() - started
    # a red seal's ink is off the OCR image; any other seal's is on it, joined to boxes
    inked_seals = tuple(s.bbox for s in seals if s.colour != "red")
    # the marks are read with a red pen's ink put back (off the OCR image with the seals')
    marks = _guarded(
        lambda: _red_pen_kept(normalised.image, image, seals, dpi, rules),
        image,
        "red ink",
        number,
    )
    boxes: tuple[TickBox, ...] = _guarded(
        lambda: image_boxes(marks, dpi, rules.tick_boxes, inked_seals),
        (),
        "tick boxes not found",
        number,
    )
    unread: tuple[UnreadInk, ...] = _guarded(
        lambda: unread_ink(image, dpi, lines, boxes, rules.unread_ink),
        (),
        "unread ink not found",
        number,
    )
    mask: np.ndarray | None = _guarded(
        lambda: ink_mask(marks, dpi, rules.tick_boxes), None, "ink not found", number
    )
    rows: tuple[TickRow, ...] = (
        _guarded(
            lambda: tick_rows(mask, dpi, boxes, rules.tick_rows),
            (),
            "ink along tick rows not measured",
            number,
        )
        if boxes and mask is not None
        else ()
    )
    inked: tuple[LineInk, ...] = (
        _guarded(
            lambda: line_ink(mask, dpi, lines, rules.line_ink, marks),
            (),
            "ink along text lines not measured",
            number,
        )
        if mask is not None
        else ()
    )
    page = Page(
        **base,
        rotation=normalised.rotation,
        skew_deg=round(normalised.skew_deg, 3),
        lines=lines,
        boxes=boxes,
        unread=unread,
        tick_rows=rows,
        line_ink=inked,
        greyscale=is_greyscale(normalised.image),
        seals=seals,
    )
    return ReadPage(
        page=page,
        ocr_s=round(ocr_s, 4),
        normalise_s=round(normalise_s, 4),
        seals_s=round(seals_s, 4),
    )


def _red_pen_kept(
    colour: np.ndarray,
    seal_free: np.ndarray,
    seals: tuple[SealMark, ...],
    dpi: float,
    rules: Rules,
) -> np.ndarray:
    """The seal-free page with red ink outside the red seals found put back: a red
    ballpoint's ✓ is a mark to read (``seal_ink.red_pen_kept``; the seals' boxes widened by
    ``tick_boxes.red_pen_seal_margin``, and any red piece over ``red_pen_largest_mm``, a
    seal not found, left off as well, unless it is a line of red type: ``red_words_mm``)."""
    height, width = colour.shape[:2]
    margin = rules.tick_boxes.red_pen_seal_margin
    keep_out = []
    for seal in seals:
        if seal.colour != "red":
            continue
        x0, y0, x1, y1 = seal.bbox
        dx, dy = margin * (x1 - x0), margin * (y1 - y0)
        keep_out.append(
            (
                floor((x0 - dx) * width),
                floor((y0 - dy) * height),
                ceil((x1 + dx) * width),
                ceil((y1 + dy) * height),
            )
        )
    largest = rules.tick_boxes.red_pen_largest_mm * dpi / 25.4
    low, high = (round(v * dpi / 25.4) for v in rules.tick_boxes.red_words_mm)
    return red_pen_kept(colour, seal_free, keep_out, round(largest), margin, (low, high))


def _guarded(step: Callable[[], T], default: T, what: str, file_page: int) -> T:
    """One mark-finding step of a page; ``default`` when it fails: a failure there must not
    cost the page its text (for seals, the validators then say the slot cannot be
    verified)."""
    try:
        return step()
    except Exception as exc:
        log.warning("page %d: %s: %r", file_page, what, exc, exc_info=True)
        return default
