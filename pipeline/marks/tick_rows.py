"""Ink along the rows of printed tick boxes, outside the boxes.

Not everyone ticks inside the box: the chosen option's words are circled, underlined, or
a ✓ is written after them, and the box is left empty. A person sees at a glance which
option carries the extra ink. The page records, for each row of boxes on a scan, where
three thin bands along it are inked (``TickRow``):

- above: just above the boxes' tops, clear of the row's own glyphs and the row above (a
  ring's upper arc);
- below: just below the boxes' bottoms (an underline, a ring's lower arc);
- across: through the row itself (the words, and a ✓ written after them).

Each band is a set of x-ranges: the columns holding ink, merged over small gaps. Which
option the ink belongs to — and whether it is a mark at all, or a rule, a seal, the
words — is the extractors' decision, relative to the group's other options. Lengths are
in box sides, so type size and resolution do not matter. Parameters are data
(``rules/tick_rows.yaml``: ``Rules.tick_rows``), checked when the rules are loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.model import Span, TickBox, TickRow
from pipeline.pixels import morph_on_paper, page_fractions
from pipeline.rulebook.marks import TickRowDetection


def _rows(boxes: Sequence[TickBox], tolerance: float) -> list[list[TickBox]]:
    """Boxes found in the image, grouped into rows (centres within ``tolerance`` sides)."""
    rows: list[list[TickBox]] = []
    for box in sorted(boxes, key=lambda b: (b.bbox[1] + b.bbox[3]) / 2):
        centre = (box.bbox[1] + box.bbox[3]) / 2
        side = box.bbox[3] - box.bbox[1]
        if rows:
            last = rows[-1][-1]
            if abs(centre - (last.bbox[1] + last.bbox[3]) / 2) <= tolerance * side:
                rows[-1].append(box)
                continue
        rows.append([box])
    return [sorted(row, key=lambda b: b.bbox[0]) for row in rows]


def inked_spans(
    columns: np.ndarray, x0: int, width: int, gap: int, shortest: int
) -> tuple[Span, ...]:
    """The inked columns of a band as x-ranges (page fractions), merged over ``gap`` pixels;
    ranges narrower than ``shortest`` pixels (a table's vertical rule, a speck) left out."""
    inked = np.flatnonzero(columns)
    if inked.size == 0:
        return ()
    breaks = np.flatnonzero(np.diff(inked) > gap + 1)
    starts = np.concatenate(([inked[0]], inked[breaks + 1]))
    ends = np.concatenate((inked[breaks], [inked[-1]])) + 1
    return tuple(
        (round((x0 + a) / width, 4), round((x0 + b) / width, 4))
        for a, b in zip(starts, ends, strict=True)
        if b - a >= shortest
    )


def _band(
    region: np.ndarray,
    offset: tuple[int, int],
    rows: tuple[float, float],
    width: int,
    side: float,
    column_ink: int,
    rules: TickRowDetection,
) -> tuple[Span, ...]:
    """The inked x-ranges (page fractions) of the band ``rows`` (page pixels) of a region
    cut from the page at ``offset`` (x, y)."""
    x0, y0 = offset
    top, bottom = max(0, round(rows[0]) - y0), min(region.shape[0], round(rows[1]) - y0)
    if bottom <= top:
        return ()
    counts = np.count_nonzero(region[top:bottom], axis=0)
    gap = round(rules.merge_gap * side)
    shortest = max(1, round(rules.min_span * side))
    return inked_spans(counts >= column_ink, x0, width, gap, shortest)


def _followed_rules(
    part: np.ndarray,
    run: int,
    side: float,
    words: tuple[float, float],
    rules: TickRowDetection,
) -> np.ndarray:
    """The pixels of ``part`` on a table rule that is not straight or not level (a phone
    photo's perspective, a skewed or warped scan), as a mask.

    A rule is found by following it: its level-ish pieces (ink a level run of
    ``rule_piece`` sides fits in: a rule rising a few degrees still holds such runs, each
    overlapping the next) joined into one stroke over breaks up to ``rule_gap`` sides,
    reaching ``run`` pixels across, thin (its median column at most ``rule_thick`` sides of
    ink), and following a smooth path (a parabola through its columns' centres, never
    steeper than ``rule_degrees``). Only the ink within the rule's own thickness of that
    path is the rule: a ring's arc or an underline touching it curves or runs away and is
    kept. A table's rule runs between rows of boxes, never through their words: a path
    entering ``words`` (the band a strike is looked for, rows of ``part``) is a pen line
    struck through them, and kept."""
    piece = max(2, round(rules.rule_piece * side))
    found = np.zeros(part.shape, np.uint8)
    if piece > part.shape[1] or run > part.shape[1]:
        return found
    level = morph_on_paper(part, cv2.MORPH_OPEN, (1, piece))
    gap = round(rules.rule_gap * side)
    joined = cv2.dilate(level, np.ones((3, 2 * gap + 1), np.uint8)) if gap > 0 else level
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    thick = rules.rule_thick * side
    slope = float(np.tan(np.radians(rules.rule_degrees)))
    rows = np.arange(part.shape[0], dtype=float)[:, None]
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_WIDTH] < run:
            continue
        x, width = stats[label, cv2.CC_STAT_LEFT], stats[label, cv2.CC_STAT_WIDTH]
        own = (labels[:, x : x + width] == label) & (level[:, x : x + width] > 0)
        heights = own.sum(axis=0)
        columns = np.flatnonzero(heights)
        height = float(np.median(heights[columns]))
        if columns.size < run / 2 or height > thick:
            continue
        centres = (own * rows).sum(axis=0)[columns] / heights[columns]
        path = np.polynomial.Polynomial.fit(columns, centres, 2)
        across = np.arange(width, dtype=float)
        centre = path(across)
        if float(np.abs(path.deriv()(across)).max()) > slope or bool(
            np.any((centre > words[0]) & (centre < words[1]))
        ):
            continue
        near = np.abs(rows - centre[None, :]) <= height  # half a stroke off the fit
        found[:, x : x + width] |= (near & (part[:, x : x + width] > 0)).astype(np.uint8)
    return found * 255


def _without_rules(
    ink: np.ndarray,
    rect: tuple[int, int, int, int],
    run: int,
    side: float,
    words: tuple[float, float],
    rules: TickRowDetection,
) -> np.ndarray:
    """The ink of ``rect`` without a table's rules: horizontal straight runs ``run`` pixels
    long or more, and rules as long that are slightly slanted or curved, followed along
    their path (``_followed_rules``; a ring's arc or an underline is far shorter than a
    cell is wide). ``words``: the band of the row a strike is looked for (page pixels)."""
    x0, y0, x1, y1 = rect
    part = np.ascontiguousarray(ink[y0:y1, x0:x1])
    if part.size == 0 or run > part.shape[1]:
        return part
    ruled = morph_on_paper(part, cv2.MORPH_OPEN, (1, run))
    inside = (words[0] - y0, words[1] - y0)
    ruled = cv2.bitwise_or(ruled, _followed_rules(part, run, side, inside, rules))
    ruled = cv2.dilate(ruled, np.ones((3, 1), np.uint8))  # the rule's blurred fringe
    return cv2.subtract(part, ruled)


def _line_kernel(length: int, degrees: float) -> np.ndarray:
    """A one-pixel straight line ``length`` pixels across, at ``degrees`` from level."""
    rise = round(length * abs(np.tan(np.radians(degrees))))
    kernel = np.zeros((rise + 1, length), np.uint8)
    ends = ((0, rise), (length - 1, 0)) if degrees > 0 else ((0, 0), (length - 1, rise))
    cv2.line(kernel, ends[0], ends[1], 1, 1)
    return kernel


def _struck(
    region: np.ndarray,
    offset: tuple[int, int],
    rows: tuple[float, float],
    width: int,
    side: float,
    rules: TickRowDetection,
) -> tuple[Span, ...]:
    """The x-ranges (page fractions) a long, nearly level, straight stroke runs through in
    the band ``rows`` (page pixels): a pen line struck through words. A line of ink at
    least ``strike_run`` sides long, at most ``strike_degrees`` from level, must fit in the
    ink: a glyph's level stroke is at most a character wide and the paper between
    characters breaks it; a ✓'s strokes are steep, a ring's arcs curve away."""
    x0, y0 = offset
    top, bottom = max(0, round(rows[0]) - y0), min(region.shape[0], round(rows[1]) - y0)
    run = round(rules.strike_run * side)
    if bottom <= top or run < 2 or run > region.shape[1]:
        return ()
    band = np.ascontiguousarray(region[top:bottom])
    steps = max(1, round(rules.strike_degrees / rules.strike_step))
    columns = np.zeros(band.shape[1], bool)
    for step in range(-steps, steps + 1):
        kernel = _line_kernel(run, step * rules.strike_step)
        if kernel.shape[0] > band.shape[0]:
            continue
        fitted = morph_on_paper(band, cv2.MORPH_OPEN, kernel)
        columns |= np.count_nonzero(fitted, axis=0) > 0
    gap = round(rules.merge_gap * side)
    return inked_spans(columns, x0, width, gap, run)


def tick_rows(
    ink: np.ndarray, dpi: float, boxes: Sequence[TickBox], rules: TickRowDetection
) -> tuple[TickRow, ...]:
    """The rows of tick boxes found on a scan, with the ink in the bands along each.

    Args:
        ink: the page's ink mask (``tick_boxes.ink_mask`` of the image the boxes were
            found on: seal-free, upright, deskewed), 255 ink, 0 paper.
        dpi: its resolution.
        boxes: the tick boxes found on it (``source="image"``; others are left out).
        rules: the bands and their thresholds (``Rules.tick_rows``).

    Returns:
        One ``TickRow`` per row of boxes, top to bottom.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    height, width = ink.shape
    margin = round(rules.page_margin_mm * dpi / 25.4)
    column_ink = max(1, round(rules.column_ink_mm * dpi / 25.4))
    rows = _rows([b for b in boxes if b.source == "image"], rules.row_tolerance)
    spans = [
        (
            float(np.median([b.bbox[1] for b in row])) * height,
            float(np.median([b.bbox[3] for b in row])) * height,
        )
        for row in rows
    ]
    found: list[TickRow] = []
    for index, row in enumerate(rows):
        top, bottom = spans[index]
        side = max(bottom - top, 1.0)
        x0 = max(margin, round(row[0].bbox[0] * width - rules.search_before * side))
        x1 = min(width - margin, round(row[-1].bbox[2] * width + rules.search_after * side))
        if x1 <= x0:
            continue
        y0 = max(margin, round(top - side))
        y1 = min(height - margin, round(bottom + side))
        words = (top + rules.struck[0] * side, top + rules.struck[1] * side)
        region = _without_rules(
            ink, (x0, y0, x1, y1), round(rules.rule_sides * side), side, words, rules
        )
        above = (top - rules.above[1] * side, top - rules.above[0] * side)
        below = (bottom + rules.below[0] * side, bottom + rules.below[1] * side)
        # A row close above or below shares the paper between them: each takes its half,
        # so a stroke is the nearer row's (one across the middle both see).
        if index > 0 and spans[index - 1][1] + rules.below[1] * side > above[0]:
            above = (max(above[0], (spans[index - 1][1] + top) / 2), above[1])
        if index + 1 < len(rows) and spans[index + 1][0] - rules.above[1] * side < below[1]:
            below = (below[0], min(below[1], (bottom + spans[index + 1][0]) / 2))

        def band(
            rows_px: tuple[float, float], region: np.ndarray = region, y0: int = y0
        ) -> tuple[Span, ...]:
            return _band(region, (x0, y0), rows_px, width, side, column_ink, rules)  # noqa: B023

        found.append(
            TickRow(
                bbox=page_fractions((x0, top, x1, bottom), width, height),
                side=round(side / width, 5),
                above=band(above),
                across=band((top + rules.across[0] * side, top + rules.across[1] * side)),
                below=band(below),
                struck=_struck(
                    region,
                    (x0, y0),
                    (top + rules.struck[0] * side, top + rules.struck[1] * side),
                    width,
                    side,
                    rules,
                ),
            )
        )
    return tuple(found)
