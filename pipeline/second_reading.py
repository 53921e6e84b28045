"""A written date read again: the lines most often misread surely get a second look.

The printed-text recogniser reads handwriting less surely than its scores say: a written
11 came out 1 at 0.97. Read again from crops with other margins round the line (the
recogniser alone, ``LineReader``), a misreading rarely comes out the same each time,
while print does. Each line matching ``rules/second_reading.yaml``'s pattern keeps its
re-readings (``TextLine.rereadings``); the extractors compare the value they give with the
value read (``extractors.fields``) and send a difference to review. An engine that cannot
read a line alone (a replay of frozen OCR) leaves the lines as they are.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from pipeline.model import SealMark, TextLine
from pipeline.ocr.engine import LineReader, OcrEngine, reads_lines
from pipeline.rulebook.second_reading import RowReading, SecondReading

log = logging.getLogger(__name__)


def crop_line(image: np.ndarray, bbox: tuple[float, float, float, float], pad: float) -> np.ndarray:
    """The line's box on the page image, grown by ``pad`` line heights on every side."""
    height, width = image.shape[:2]
    x0, y0, x1, y1 = bbox
    margin = pad * (y1 - y0) * height
    top, bottom = max(0, int(y0 * height - margin)), min(height, int(y1 * height + margin) + 1)
    left, right = max(0, int(x0 * width - margin)), min(width, int(x1 * width + margin) + 1)
    return image[top:bottom, left:right]


def second_readings(
    image: np.ndarray, lines: tuple[TextLine, ...], engine: OcrEngine, rules: SecondReading
) -> tuple[TextLine, ...]:
    """``lines`` with the matching ones read again once per margin of ``rules.pads``."""
    if not reads_lines(engine) or not isinstance(engine, LineReader) or not rules.pads:
        return lines
    pattern = re.compile(rules.pattern)
    chosen = [i for i, line in enumerate(lines) if pattern.search(line.text)][: rules.max_lines]
    out = list(lines)
    for i in chosen:
        line = lines[i]
        readings = []
        for pad in rules.pads:
            crop = crop_line(image, line.bbox, pad)
            if crop.size == 0:
                continue
            again = engine.read_line(crop)
            readings.append(again.text if again is not None else "")
        out[i] = line.model_copy(update={"rereadings": tuple(readings)})
    return tuple(out)


def row_pieces(line: TextLine, lines: tuple[TextLine, ...], rules: RowReading) -> list[TextLine]:
    """``line`` and the lines right of it on its row, each no more than ``rules.gap``
    character widths past the one before."""
    pieces = [line]
    rest = sorted(
        (t for t in lines if t is not line and t.bbox[0] > line.bbox[0]),
        key=lambda t: t.bbox[0],
    )
    for t in rest:
        last = pieces[-1]
        if t.shares_row(line, rules.row_overlap) and t.bbox[0] - last.bbox[2] <= (
            rules.gap * last.char_width
        ):
            pieces.append(t)
    return pieces


def _cutting_seal(
    pieces: list[TextLine], seals: tuple[SealMark, ...], reach: float
) -> float | None:
    """The right edge of a seal over the row's end (beginning no more than ``reach``
    character widths past it, across its height), or None."""
    first, last = pieces[0], pieces[-1]
    top, bottom = min(t.bbox[1] for t in pieces), max(t.bbox[3] for t in pieces)
    edges = [
        seal.bbox[2]
        for seal in seals
        if seal.bbox[1] < bottom
        and seal.bbox[3] > top
        and seal.bbox[0] <= last.bbox[2] + reach * last.char_width
        and seal.bbox[2] > first.bbox[0]
    ]
    return max(edges, default=None)


def row_readings(
    image: np.ndarray,
    lines: tuple[TextLine, ...],
    seals: tuple[SealMark, ...],
    engine: OcrEngine,
    rules: SecondReading,
) -> tuple[TextLine, ...]:
    """``lines`` with each date line a seal cuts (``rules.row``) read again as one crop
    spanning its row's pieces and the seal."""
    if not seals or not reads_lines(engine) or not isinstance(engine, LineReader):
        return lines
    start, whole, end = (re.compile(p) for p in (rules.row.start, rules.row.whole, rules.row.end))
    out = list(lines)
    for i, line in enumerate(lines):
        if not start.search(line.text):
            continue
        pieces = row_pieces(line, lines, rules.row)
        if whole.search("".join(t.text for t in pieces)):
            continue
        right = _cutting_seal(pieces, seals, rules.row.reach)
        if right is None:
            continue
        top, bottom = min(t.bbox[1] for t in pieces), max(t.bbox[3] for t in pieces)
        ends = [max(right, pieces[-1].bbox[2])]
        if end.search(pieces[-1].text) and right > pieces[-1].bbox[2]:
            ends.insert(0, pieces[-1].bbox[2])  # the date's end read: the seal beyond left out
        reading = None
        for x1 in ends:
            crop = crop_line(image, (line.bbox[0], top, x1, bottom), rules.row.pad)
            if crop.size == 0:
                continue
            again = engine.read_line(crop)
            reading = again.text if again is not None else ""
            if whole.search(reading):
                break
        if reading is not None:
            out[i] = line.model_copy(update={"row_reading": reading})
    return tuple(out)
