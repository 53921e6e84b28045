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

from pipeline.model import TextLine
from pipeline.ocr.engine import LineReader, OcrEngine, reads_lines
from pipeline.rulebook.second_reading import SecondReading

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
