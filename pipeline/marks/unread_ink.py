"""Unread ink: regions of a scanned page that carry ink no text line explains.

PP-OCR's detector proposes no box at all for a value printed under a seal that scans as
dark as the print (a greyscale scan keeps the seal; a colour scan's seal is removed from
the image OCR reads): the value then reads as a blank, with full confidence. What is
left of the page's ink once the form's rules, every OCR line and every tick box are
taken away is ink nobody read — a seal over an empty cell, or a value the OCR missed.
The page only says where it is (``UnreadInk``); whether a blank field is sure is the
extractors' decision.

The steps, on the seal-free image OCR read (``NormalisedPage.ocr_image``), scaled down to
``analysis_dpi`` by taking each block's darkest pixel (hairlines survive):

1. ink: darker than ``ink_share`` of the local paper brightness;
2. the form's rules go: straight horizontal or vertical runs ``rule_run_mm`` long and
   more (no character has a stroke that long);
3. every OCR line's box and every tick box, slightly grown, is cleared;
4. what is left is closed at about a character's size into blobs, and the blobs large
   enough to be writing are kept (scanner specks, dots and dashes are not).

Parameters are data (``rules/unread_ink.yaml``: ``Rules.unread_ink``), checked when the
rules are loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.model import TextLine, TickBox, UnreadInk
from pipeline.pixels import check_rgb, morph_on_paper
from pipeline.rulebook.marks import UnreadDetection


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2 and image.dtype == np.uint8:
        return np.ascontiguousarray(image)
    check_rgb(image)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _darkest(grey: np.ndarray, factor: int) -> np.ndarray:
    """The page at 1/``factor`` scale, each pixel the darkest of the block it covers."""
    if factor <= 1:
        return grey
    eroded = cv2.erode(
        grey,
        np.ones((factor, factor), np.uint8),
        anchor=(0, 0),
        borderType=cv2.BORDER_CONSTANT,
        borderValue=255,
    )
    return np.ascontiguousarray(eroded[::factor, ::factor])


def _clear(
    mask: np.ndarray,
    bbox: tuple[float, float, float, float],
    scale: tuple[float, float],
    margin: float,
) -> None:
    """Set a page-fraction box, grown by ``margin`` analysis pixels, to paper."""
    sx, sy = scale
    x0, y0, x1, y1 = bbox
    cv2.rectangle(
        mask,
        (int(np.floor(x0 * sx - margin)), int(np.floor(y0 * sy - margin))),
        (int(np.ceil(x1 * sx + margin)), int(np.ceil(y1 * sy + margin))),
        0,
        thickness=-1,
    )


def unread_ink(
    image: np.ndarray,
    dpi: float,
    lines: Sequence[TextLine],
    boxes: Sequence[TickBox],
    rules: UnreadDetection,
) -> tuple[UnreadInk, ...]:
    """The regions of a normalised scan that carry ink no text line or tick box explains.

    Args:
        image: the page OCR read (``NormalisedPage.ocr_image``): RGB uint8 (H, W, 3) or
            greyscale (H, W).
        dpi: its resolution (sizes are in millimetres).
        lines: the OCR's lines on it (bbox as fractions of ``image``).
        boxes: the tick boxes found on it (same frame).
        rules: detection parameters (``Rules.unread_ink``).

    Returns:
        Blobs in reading order (top to bottom, left to right): bbox as fractions of
        ``image``, ``ink`` the share of the box that is unread ink.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    grey = _grey(image)
    height, width = grey.shape
    factor = max(1, round(dpi / rules.analysis_dpi))
    small = _darkest(grey, factor)
    px_per_mm = dpi / factor / 25.4

    window = max(3, round(rules.paper_window_mm * px_per_mm)) | 1
    paper = cv2.blur(cv2.dilate(small, np.ones((window, window), np.uint8)), (window, window))
    ink = cv2.compare(small, cv2.convertScaleAbs(paper, alpha=rules.ink_share), cv2.CMP_LT)

    run = max(3, round(rules.rule_run_mm * px_per_mm))
    ruled = cv2.bitwise_or(
        morph_on_paper(ink, cv2.MORPH_OPEN, (1, run)), morph_on_paper(ink, cv2.MORPH_OPEN, (run, 1))
    )
    grow = 1 + 2 * max(1, round(rules.rule_margin_mm * px_per_mm))
    rest = cv2.subtract(ink, cv2.dilate(ruled, np.ones((grow, grow), np.uint8)))

    edge = round(rules.page_margin_mm * px_per_mm)
    if edge > 0:
        rest[:edge] = 0
        rest[-edge:] = 0
        rest[:, :edge] = 0
        rest[:, -edge:] = 0
    # Fractions of the full image → analysis pixels (a block is ``factor`` page pixels).
    scale = (width / factor, height / factor)
    for line in lines:
        _clear(rest, line.bbox, scale, rules.line_margin_mm * px_per_mm)
    for box in boxes:
        _clear(rest, box.bbox, scale, rules.box_margin_mm * px_per_mm)

    close = max(1, round(rules.close_mm * px_per_mm))
    blobs = morph_on_paper(rest, cv2.MORPH_CLOSE, (close, close))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
    if count <= 1:
        return ()
    inked = np.bincount(labels[rest > 0], minlength=count)
    min_ink = rules.min_ink_mm2 * px_per_mm * px_per_mm
    min_side = rules.min_side_mm * px_per_mm
    min_height = rules.min_height_mm * px_per_mm
    found: list[UnreadInk] = []
    for index in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[index])
        dark = int(inked[index])
        if dark < min_ink or max(w, h) < min_side or h < min_height:
            continue
        bbox = (
            round(min(x * factor / width, 1.0), 4),
            round(min(y * factor / height, 1.0), 4),
            round(min((x + w) * factor / width, 1.0), 4),
            round(min((y + h) * factor / height, 1.0), 4),
        )
        found.append(UnreadInk(bbox=bbox, ink=round(min(dark / (w * h), 1.0), 4)))
    return tuple(sorted(found, key=_reading_order))


def _reading_order(blob: UnreadInk) -> tuple[float, float]:
    x0, y0, _, y1 = blob.bbox
    return (round((y0 + y1) / 2, 2), x0)
