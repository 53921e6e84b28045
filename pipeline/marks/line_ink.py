"""Ink along the text lines of a scan, where the OCR may have lost a mark.

A form filled in Word may mark the chosen option with a glyph typed before its words and
no box at all (✔独立法人  公司+联盟  其他). The OCR often loses such a glyph and reads the
words alone, while a person sees at a glance which words carry a mark before them. The
page records, for each text line of a scan, the x-ranges where ink lies across the line's
middle (``LineInk``), from a little before the line's start to a little past its end:
the words' characters, and whatever the OCR did not read between them. Which option a
blob of ink belongs to — and whether it is a mark at all — is the extractors' decision
(``extractors/ticks.py``). Lengths are in the line's height, so type size and resolution
do not matter. Parameters are data (``rules/line_ink.yaml``: ``Rules.line_ink``).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.marks.tick_rows import inked_spans
from pipeline.model import LineInk, TextLine
from pipeline.pixels import page_fractions
from pipeline.rulebook.marks import LineInkDetection


def line_ink(
    ink: np.ndarray,
    dpi: float,
    lines: Sequence[TextLine],
    rules: LineInkDetection,
    image: np.ndarray | None = None,
) -> tuple[LineInk, ...]:
    """The inked x-ranges across each text line of a scan, and how dark it is along its length.

    Args:
        ink: the page's ink mask (``tick_boxes.ink_mask`` of the image the lines were read
            on: seal-free, upright, deskewed), 255 ink, 0 paper.
        dpi: its resolution.
        lines: the page's text lines (page fractions).
        rules: the band, the reach and the thresholds (``Rules.line_ink``).
        image: the image the mask was made of (grey or RGB), for the darkness along each
            line (``LineInk.shade``); without it none is measured.

    Returns:
        One ``LineInk`` per line of at least ``min_chars`` characters, in the lines' order.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    height, width = ink.shape
    margin = round(rules.page_margin_mm * dpi / 25.4)
    column_ink = max(1, round(rules.column_ink_mm * dpi / 25.4))
    grey = None if image is None else _grey(image)
    # ink of a colour (a pen's blue, a red ballpoint) on a colour scan; print is black
    coloured = (
        None
        if image is None or image.ndim != 3
        else (cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[:, :, 1] >= rules.colour_saturation)
        & (ink > 0)
    )
    # the same, with the paper taken for white: print is black under the light's colour
    # too, and a thin pen stroke is not drowned in the cast (``LineInk.pen``)
    penned = (
        None
        if image is None or image.ndim != 3
        else (_balanced_spread(image) >= rules.pen_levels) & (ink > 0)
    )
    # ink whose colour stands clear of grey in absolute levels: words printed in colour
    # (HSV saturation is high on dark print under a phone photo's cast; this is not)
    chromatic = (
        None
        if image is None or image.ndim != 3
        else (cv2.subtract(image.max(axis=2), image.min(axis=2)) >= rules.chroma_levels) & (ink > 0)
    )
    found: list[LineInk] = []
    for index, line in enumerate(lines):
        if len(line.text.strip()) < rules.min_chars:
            continue
        lx0, ly0, lx1, ly1 = line.bbox
        tall = (ly1 - ly0) * height
        if tall < 2:
            continue
        top = max(margin, round(ly0 * height + rules.band[0] * tall))
        bottom = min(height - margin, round(ly0 * height + rules.band[1] * tall))
        x0 = max(margin, round(lx0 * width - rules.reach * tall))
        x1 = min(width - margin, round(lx1 * width + rules.reach * tall))
        if bottom <= top or x1 <= x0:
            continue
        counts = np.count_nonzero(ink[top:bottom, x0:x1], axis=0)
        spans = inked_spans(
            counts >= column_ink,
            x0,
            width,
            round(rules.merge_gap * tall),
            max(1, round(rules.min_span * tall)),
        )
        dark = (
            None
            if grey is None
            else _darkness(grey, (x0, x1), (ly0 * height, ly1 * height), tall, rules)
        )
        tint = (
            ()
            if dark is None or grey is None
            else _ground(grey, (x0, x1), (ly0 * height, ly1 * height), dark[0], tall, rules)
        )
        stroke = (
            ()
            if dark is None
            else _strokes(ink, (x0, x1), (top, bottom), dark[0], tall, rules.stroke_min_ink)
        )
        colour = (
            ()
            if dark is None or coloured is None
            else _coloured(ink, coloured, (x0, x1), (top, bottom), dark[0])
        )
        chroma = (
            ()
            if dark is None or chromatic is None
            else _coloured(ink, chromatic, (x0, x1), (top, bottom), dark[0])
        )
        pen = (
            ()
            if dark is None or penned is None
            else _coloured(ink, penned, (x0, x1), (top, bottom), dark[0])
        )
        found.append(
            LineInk(
                line=index,
                bbox=page_fractions((x0, top, x1, bottom), width, height),
                height=round(tall / width, 5),
                spans=spans,
                step=0.0 if dark is None else round(dark[0] / width, 6),
                shade=() if dark is None else dark[1],
                tint=tint,
                stroke=stroke,
                colour=colour,
                chroma=chroma,
                pen=pen,
            )
        )
    return tuple(found)


def _coloured(
    ink: np.ndarray,
    coloured: np.ndarray,
    columns: tuple[int, int],
    rows: tuple[int, int],
    step: int,
) -> tuple[float, ...]:
    """The share of the ink across a line's middle band that is coloured, per step of
    ``step`` pixels (``LineInk.colour``): a pen's ✓ over printed words on a colour scan.
    0 where a step holds no ink."""
    x0, x1 = columns
    top, bottom = rows
    if bottom <= top or x1 <= x0:
        return ()
    starts = np.arange(0, x1 - x0, step)
    inked = np.add.reduceat((ink[top:bottom, x0:x1] > 0).sum(axis=0), starts)
    tinted = np.add.reduceat(coloured[top:bottom, x0:x1].sum(axis=0), starts)
    share = np.where(inked > 0, tinted / np.maximum(inked, 1), 0.0)
    return tuple(float(v) for v in np.round(share, 4))


def _balanced_spread(image: np.ndarray) -> np.ndarray:
    """How far apart each pixel's brightest and darkest channels lie (0-255) once the
    page's paper is taken for white (each channel scaled by the paper's).

    A phone photo's light tints the whole page — paper, print and pen alike, as a factor
    per channel — so dark print under a warm or cool cast is saturated in HSV terms, and a
    thin pen stroke's colour is drowned in it. Divided by the paper's colour, print and
    paper are grey again and only ink of a colour of its own (a pen's blue, a red
    ballpoint) keeps its channels apart."""
    step = max(1, min(image.shape[:2]) // 200)
    sample = image[::step, ::step].reshape(-1, 3)
    bright = sample.max(axis=1)
    paper = sample[bright >= np.percentile(bright, 60)]
    white = np.median(paper, axis=0) if paper.size else np.full(3, 255.0)
    scale = (255.0 / np.maximum(white, 1.0)).astype(np.float32)
    balanced: np.ndarray = np.minimum(image.astype(np.float32) * scale, 255.0)
    spread: np.ndarray = balanced.max(axis=2) - balanced.min(axis=2)
    return spread


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _darkness(
    grey: np.ndarray,
    columns: tuple[int, int],
    rows: tuple[float, float],
    tall: float,
    rules: LineInkDetection,
) -> tuple[int, tuple[float, ...]] | None:
    """The step (pixels) and the darkness profile of one line (``LineInk.shade``): per
    step of ``shade_step`` heights from ``columns[0]``, the mean share by which the pixels
    of the line's height are darker than the paper of their column — the brightest pixel
    ``paper_reach`` heights above to as far below the line, then the brightest such
    column within ``paper_span`` heights (Word's grey shading behind words is darker than
    that paper; light falling unevenly on a photo is not)."""
    height = grey.shape[0]
    x0, x1 = columns
    ly0, ly1 = rows
    reach = rules.paper_reach * tall
    top, bottom = max(0, round(ly0 - reach)), min(height, round(ly1 + reach))
    if bottom - top < 2 or x1 - x0 < 2:
        return None
    cut = grey[top:bottom, x0:x1].astype(np.float32)
    paper = cut.max(axis=0)
    span = 2 * round(rules.paper_span * tall) + 1
    if span > 1:
        paper = cv2.dilate(paper[None, :], np.ones((1, span), np.uint8)).ravel()
    dark = np.clip(1.0 - cut / np.maximum(paper, 1.0)[None, :], 0.0, 1.0)
    step = max(1, round(rules.shade_step * tall))
    starts = np.arange(0, x1 - x0, step)
    r0, r1 = max(0, round(ly0) - top), min(bottom - top, round(ly1) - top)
    if r1 <= r0:
        return None
    sums = np.add.reduceat(dark[r0:r1].mean(axis=0), starts)
    counts = np.diff(np.append(starts, x1 - x0))
    return step, tuple(round(float(v), 3) for v in sums / counts)


def _ground(
    grey: np.ndarray,
    columns: tuple[int, int],
    rows: tuple[float, float],
    step: int,
    tall: float,
    rules: LineInkDetection,
) -> tuple[float, ...]:
    """How much darker than the paper about a line the ground between its strokes is,
    per step of ``step`` pixels (``LineInk.tint``). Each pixel row is first taken at its
    brightest within ``tint_window`` heights along the row (a grey dilation): print
    leaves paper between its strokes within a fraction of a character, even blurred and
    dense, while a highlighter or Word's shading lies under every pixel between them.
    Per step, the ``tint_quantile`` of these rows' means across the ``tint_band`` of the
    line (a highlighter drawn a little high or low still covers most of the band)
    against the median row of the paper ``tint_paper`` heights above and below the line
    (the highlighter's band reaches a little past the words; a rule there is a few rows
    only). -1 where no paper row lies on the page."""
    height = grey.shape[0]
    x0, x1 = columns
    ly0, ly1 = rows
    near, far = rules.tint_paper
    top, bottom = max(0, round(ly0 - far * tall)), min(height, round(ly1 + far * tall))
    starts = np.arange(0, x1 - x0, step)
    if bottom <= top or x1 <= x0:
        return ()
    size = 2 * max(1, round(rules.tint_window * tall / 2)) + 1
    bright = cv2.dilate(grey[top:bottom, x0:x1], np.ones((1, size), np.uint8))
    means = np.add.reduceat(bright.astype(np.float32), starts, axis=1) / np.diff(
        np.append(starts, x1 - x0)
    ).astype(np.float32)

    def part(r0: float, r1: float) -> np.ndarray:
        return means[max(0, round(r0) - top) : max(0, min(bottom, round(r1)) - top)]

    ground = part(ly0 + rules.tint_band[0] * tall, ly0 + rules.tint_band[1] * tall)
    paper = np.concatenate(
        (part(ly0 - far * tall, ly0 - near * tall), part(ly1 + near * tall, ly1 + far * tall))
    )
    if len(ground) == 0 or len(paper) == 0:
        return tuple(-1.0 for _ in starts)
    level = _rank(ground, rules.tint_quantile)
    paper_level = np.maximum(_rank(paper, 0.5), 1.0)
    tint = np.clip(1.0 - level / paper_level, 0.0, None)
    return tuple(float(v) for v in np.round(tint, 4))


def _rank(rows: np.ndarray, share: float) -> np.ndarray:
    """Per column, the value ``share`` of the way up the sorted rows (nearest rank)."""
    at = min(len(rows) - 1, round(share * (len(rows) - 1)))
    ranked: np.ndarray = np.partition(rows, at, axis=0)[at]
    return ranked


def _strokes(
    ink: np.ndarray,
    columns: tuple[int, int],
    rows: tuple[int, int],
    step: int,
    tall: float,
    min_ink: float,
) -> tuple[float, ...]:
    """How thick the strokes across a line's middle band are, per step of ``step``
    pixels (``LineInk.stroke``): the mean over the band's ink pixels of the shorter of the
    horizontal and the vertical run of ink through each — the width of the stroke it lies
    on, whichever way the stroke runs (bold type's are thicker) — in line heights. 0 where
    the step holds less than ``min_ink`` of its band as ink. Runs are taken on the line's
    full height and half a height round it (an upright stroke is not cut at the band)."""
    x0, x1 = columns
    top, bottom = rows
    if bottom <= top or x1 <= x0 or tall <= 0:
        return ()
    reach = round(0.5 * tall)
    above, below = max(0, top - reach), min(ink.shape[0], bottom + reach)
    cut = ink[above:below, x0:x1] > 0
    width = np.minimum(_runs(cut), _runs(cut.T).T)[top - above : bottom - above]
    inked = cut[top - above : bottom - above]
    starts = np.arange(0, x1 - x0, step)
    ink_sums = np.add.reduceat(inked.sum(axis=0), starts)
    width_sums = np.add.reduceat(width.sum(axis=0), starts)
    areas = np.diff(np.append(starts, x1 - x0)) * (bottom - top)
    return tuple(
        round(float(d) / float(i) / tall, 4) if i > 0 and i >= min_ink * a else 0.0
        for i, d, a in zip(ink_sums, width_sums, areas, strict=True)
    )


def _runs(mask: np.ndarray) -> np.ndarray:
    """For each pixel of a boolean mask, the length of the horizontal run of True it lies
    on (0 off the mask)."""
    height, width = mask.shape
    padded = np.zeros((height, width + 2), bool)
    padded[:, 1:-1] = mask
    flat = padded.ravel()
    change = np.diff(flat.astype(np.int8))
    begins = np.flatnonzero(change == 1) + 1
    ends = np.flatnonzero(change == -1) + 1
    marks = np.zeros(flat.size + 1, np.int64)
    marks[begins] = ends - begins  # a run's first pixel and the paper after it: never one
    marks[ends] = begins - ends
    return np.cumsum(marks)[:-1].reshape(height, width + 2)[:, 1:-1]
