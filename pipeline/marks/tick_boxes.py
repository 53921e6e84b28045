"""Printed tick boxes (□) on a page, and how much ink sits inside each.

Three sources, one result (``TickBox`` in page fractions, the frame of the page's lines):

- ``image_boxes``: a scan, normalised (upright, deskewed). Boxes are squares of straight
  ink runs; a tick's strokes are slanted, so one that overshoots the border leaves the
  square intact. The ink inside (border and a margin left out) is the share of dark
  pixels. Measure on the seal-free image: red seal ink is gone from it, blue or black
  ballpoint and print are kept.
- ``vector_boxes``: a born-digital PDF page. A box is a small stroked square; it is
  ticked when a drawn path (the tick) lies inside it, or when the square is filled.
- ``glyph_boxes``: text that prints the box as a character (☑ / □), as in a DOCX.

Nothing here decides which option is ticked: the page only says what is there.
Parameters are data (``rules/tick_boxes.yaml``: ``Rules.tick_boxes``), checked when the
rules are loaded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import cv2
import numpy as np

from pipeline.model import BBox, TextLine, TickBox
from pipeline.pixels import check_rgb, morph_on_paper
from pipeline.rulebook.marks import TickDetection

_MM_PER_PT = 25.4 / 72

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels


# --- scans -----------------------------------------------------------------------------


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.ascontiguousarray(image, dtype=np.uint8)
    check_rgb(image)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _odd(value: float) -> int:
    n = max(3, round(value))
    return n if n % 2 else n + 1


def _paper(grey: np.ndarray, dpi: float, rules: TickDetection) -> np.ndarray:
    """The local paper brightness: the brightest value near each pixel, smoothed."""
    window = _odd(rules.paper_window_mm * dpi / 25.4)
    kernel = np.ones((window, window), np.uint8)
    return cv2.blur(cv2.dilate(grey, kernel), (window, window))


def _ink(grey: np.ndarray, paper: np.ndarray, rules: TickDetection) -> np.ndarray:
    threshold = cv2.convertScaleAbs(paper, alpha=rules.ink_share)
    return cv2.compare(grey, threshold, cv2.CMP_LT)


def ink_mask(image: np.ndarray, dpi: float, rules: TickDetection) -> np.ndarray:
    """Ink (255) and paper (0): darker than ``ink_share`` of the local paper brightness."""
    grey = _grey(image)
    return _ink(grey, _paper(grey, dpi, rules), rules)


class _Measured(NamedTuple):
    """A square taken as a box: its outer edges, the ink share of its inside, the inside."""

    rect: Rect
    share: float
    inside: Rect


def _pale(
    grey: np.ndarray,
    paper: np.ndarray,
    frame: np.ndarray,
    box: _Measured,
    rules: TickDetection,
    ring: np.ndarray | None = None,
) -> float:
    """The share of the box's inside marked in pale ink, judged against the box's own print.

    A faint pen (a light hand, a pen running dry) leaves strokes a person sees at a glance
    on clean paper that stay lighter than ``ink_share`` of it, more so on a phone photo or
    a greyscale scan where the print itself is grey. The box's border says how dark print
    came out on this scan, here: a pixel is pale ink when it is darker than the paper by
    ``pale_contrast`` of the border's own contrast (never lighter than ``pale_lightest`` of
    the paper, where JPEG noise and paper grain lie). Only strokes count: connected pale
    ink spanning ``pale_span`` of the inside (a toner speck or a JPEG blotch does not).
    A seal's ring (``ring``, ``_seal_rings``) is no mark: its pixels are left out.
    """
    x0, y0, x1, y1 = box.rect
    ix0, iy0, ix1, iy1 = box.inside
    if ix1 - ix0 < 2 or iy1 - iy0 < 2:
        return 0.0
    light = np.maximum(paper[y0:y1, x0:x1].astype(np.float32), 1.0)
    shade = grey[y0:y1, x0:x1].astype(np.float32) / light
    edge = frame[y0:y1, x0:x1] > 0
    edge[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = False
    if not edge.any():
        return 0.0
    border = float(np.median(shade[edge]))
    lightest = min(rules.pale_lightest, 1.0 - rules.pale_contrast * (1.0 - border))
    inside = shade[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
    marked = (inside < lightest).astype(np.uint8)
    if ring is not None:
        marked[ring[iy0:iy1, ix0:ix1] > 0] = 0
    # Strokes, not specks: a mark's connected part spans ``pale_span`` of the inside.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(marked, connectivity=8)
    reach = rules.pale_span * min(inside.shape)
    strokes = [
        i
        for i in range(1, count)
        if max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]) >= reach
    ]
    if not strokes:
        return 0.0
    return float(np.isin(labels, strokes).mean())


def _edge(profile: np.ndarray, band: int, *, from_end: bool) -> tuple[float, int, int]:
    """One edge of a square, from the coverage of each line near that side.

    Returns the edge's best coverage, where the edge begins (its outer line, counted from
    the side it is on: a tick's overshoot beyond it is no part of the box) and where the
    inside begins past it.
    """
    part = profile[::-1][:band] if from_end else profile[:band]
    best = float(part.max()) if part.size else 0.0
    if best <= 0:
        return 0.0, 0, 0
    on_edge = np.flatnonzero(part >= 0.5 * best)
    return best, int(on_edge.min()), int(on_edge.max()) + 1


def image_boxes(
    image: np.ndarray, dpi: float, rules: TickDetection, seals: Sequence[BBox] = ()
) -> tuple[TickBox, ...]:
    """The printed tick boxes on a normalised scan, with the ink inside each.

    Args:
        image: the page, upright and deskewed: RGB uint8 (H, W, 3) or greyscale (H, W).
            Pass the seal-free image (``NormalisedPage.ocr_image``): red seal ink over a
            box would otherwise count as a tick.
        dpi: its resolution (box sizes are in millimetres).
        rules: detection parameters (``Rules.tick_boxes``).
        seals: the seals found on the page (``SealMark.bbox``, fractions of ``image``):
            a box their ink joins is looked for by its sides near them
            (``_joined_boxes``), its ink measured with their ring left out.

    Returns:
        Boxes in reading order (top to bottom, left to right), ``source="image"``, bbox
        as fractions of ``image``, ``ink`` the dark share of the inside without the border.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    grey = _grey(image)
    paper = _paper(grey, dpi, rules)
    ink = _ink(grey, paper, rules)
    height, width = ink.shape
    px_per_mm = dpi / 25.4
    low = rules.box_side_mm[0] * px_per_mm
    high = rules.box_side_mm[1] * px_per_mm
    run = max(3, round(rules.edge_run * low))
    # Straight runs only: box borders (and the straight strokes of type) survive, a tick's
    # slanted strokes do not, so an overshooting tick never joins or breaks a square.
    across = morph_on_paper(ink, cv2.MORPH_OPEN, (1, run))
    down = morph_on_paper(ink, cv2.MORPH_OPEN, (run, 1))
    frame = cv2.bitwise_or(across, down)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(frame, connectivity=8)
    clean: list[_Measured] = []
    refused: list[tuple[tuple[int, int, int, int], np.ndarray]] = []
    # Parts larger than a box: a box with pen strokes run out past its edges (a scribble, a
    # ✓'s tail, a stroke on into its words) is one part with them (``_square_within``).
    wider: list[tuple[tuple[int, int, int, int], np.ndarray]] = []
    for index in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[index])
        if not (low <= w <= high and low <= h <= high) or abs(w - h) > (
            rules.max_side_difference * max(w, h)
        ):
            tall, wide = rules.scribble_part
            if low <= w <= wide * high and low <= h <= tall * high:
                wider.append(((x, y, w, h), labels[y : y + h, x : x + w] == index))
            continue
        mine = labels[y : y + h, x : x + w] == index
        box = _measure(ink, across, down, mine, (x, y, w, h), rules)
        if box is not None:
            clean.append(box)
        else:
            refused.append(((x, y, w, h), mine))
    rects = [m.rect for m in clean]
    measured = clean + _filled_among(ink, across, down, refused, rects, rules)
    places = [_pixels(s, width, height) for s in seals]
    measured += _crossed_boxes(ink, across, down, [m.rect for m in measured], places, rules)
    # (a larger part over a seal is left to ``_joined_boxes``: its lettering is slanted)
    wider = [p for p in wider if not any(_overlap(_corners(p[0]), s) for s in places)]
    measured += _marked_squares(
        ink, across, down, refused + wider, rects, [m.rect for m in measured], places, rules
    )
    measured += _round_marks(ink, rects, [m.rect for m in measured], rules)
    ring = _seal_rings(ink, seals, rules) if seals and rects else None
    if ring is not None:
        measured += _joined_boxes(
            ink, across, down, rects, [m.rect for m in measured], places, ring, rules
        )
    loose = _without_rules(ink, rules.ring_rule * _clean_side(rects)) if rects else ink
    if rects:
        measured += _ringed_squares(
            loose, across, down, rects, [m.rect for m in measured], places, rules
        )
    found = [
        TickBox(
            bbox=(x0 / width, y0 / height, x1 / width, y1 / height),
            ink=round(m.share, 4),
            pale=round(_pale(grey, paper, frame, m, rules, ring), 4),
            ringed=bool(rects)
            and not any(_overlap(m.rect, s) for s in places)
            and _ring_round(loose, m.rect, rules),
            source="image",
        )
        for m in measured
        for x0, y0, x1, y1 in (m.rect,)
    ]
    return tuple(sorted(found, key=_reading_order))


def _filled_among(
    ink: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    refused: list[tuple[tuple[int, int, int, int], np.ndarray]],
    clean: list[Rect],
    rules: TickDetection,
) -> list[_Measured]:
    """Squares blacked in by pen among the page's empty boxes, refused on their own.

    A pen's back-and-forth strokes leave paper between the fill and the border on many
    rows, so the square is not solid edge to edge as a typed ■ is. Beside boxes of its
    own size on its own row (``crossed_side``; ``_among``), a square whose inside is
    solid is that box filled: a character's frame is neither the box's size on its row
    nor solid inside with paper round it (``_measure``, ``among``).
    """
    if not clean:
        return []
    side = _clean_side(clean)
    slack = rules.crossed_side * side
    found: list[_Measured] = []
    for rect, mine in refused:
        box = _measure(ink, across, down, mine, rect, rules, among=True)
        if box is None or box.share < rules.filled_share:
            continue
        # the box within its border (a fill running out past it is no part of its size)
        x0, y0, x1, y1 = box.rect
        if abs(x1 - x0 - side) > slack or abs(y1 - y0 - side) > slack:
            continue
        # On a clean box's row, or in a column of one within ``marked_reach`` sides (the
        # row's own empty box joined to a seal's ring, not found clean: ■院所型 beside it).
        centre = (y0 + y1) / 2
        if any(
            abs((r[1] + r[3]) / 2 - centre) <= 0.5 * side
            or (
                abs((r[1] + r[3]) / 2 - centre) <= rules.marked_reach * side
                and x1 > r[0] - 0.5 * side
            )
            for r in clean
        ):
            found.append(box)
    return found


def _solid(ink: np.ndarray, rect: tuple[int, int, int, int], rules: TickDetection) -> bool:
    """A square blacked in edge to edge: in ``filled_rows`` of its rows and of its
    columns, ink runs nearly (0.85) its whole side without a break. A dense character
    blurred dark keeps paper between its strokes in most rows (属, 国)."""
    x, y, w, h = rect
    square = ink[y : y + h, x : x + w] > 0
    rows = _longest_runs(square) >= 0.85 * w
    cols = _longest_runs(square.T) >= 0.85 * h
    return bool(rows.mean() >= rules.filled_rows and cols.mean() >= rules.filled_rows)


def _clear_around(ink: np.ndarray, rect: tuple[int, int, int, int], rules: TickDetection) -> bool:
    """Paper round a square: a ring ``filled_clearance`` of its side wide is nearly
    blank (a typed ■ or a filled box stands apart; a blurred character touches its
    neighbours)."""
    x, y, w, h = rect
    gap = max(2, round(rules.filled_clearance * (w + h) / 2))
    height, width = ink.shape
    x0, y0 = max(0, x - gap), max(0, y - gap)
    x1, y1 = min(width, x + w + gap), min(height, y + h + gap)
    ring = cv2.countNonZero(ink[y0:y1, x0:x1]) - cv2.countNonZero(ink[y : y + h, x : x + w])
    area = (x1 - x0) * (y1 - y0) - w * h
    return bool(area > 0 and ring <= 0.1 * area)


def _longest_runs(mask: np.ndarray) -> np.ndarray:
    """The longest run of True in each row of a boolean mask."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), np.int8)
    padded[:, 1:-1] = mask
    steps = np.diff(padded, axis=1)
    longest = np.zeros(mask.shape[0], np.int64)
    for row in range(mask.shape[0]):
        begin = np.flatnonzero(steps[row] == 1)
        if begin.size:
            longest[row] = int((np.flatnonzero(steps[row] == -1) - begin).max())
    return longest


def _measure(
    ink: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    mine: np.ndarray,
    rect: tuple[int, int, int, int],
    rules: TickDetection,
    *,
    crossed: bool = False,
    among: bool = False,
    free: _Free | None = None,
    by_seal: bool = False,
) -> _Measured | None:
    """The square's box and inside ink share, or None when it is not a printed box.

    ``mine`` says which pixels of ``rect`` belong to the square's straight runs.
    ``crossed``: the square matches the page's clean boxes and stands among them
    (``_crossed_boxes``, ``_marked_squares``); straight runs inside it whose centre lines
    are slanted are then a thick pen stroke's, not a character's (no straight run of
    ``marked_spine`` of ``glyph_run``: a small character's strokes are short). ``among``:
    the square is the size of the page's clean boxes, on their row (``_filled_among``);
    solid ink inside the border, not edge to edge, then makes it a box filled by pen.
    ``free``: the square joins a seal's ring (``_joined_boxes``): its edges are measured
    on the page's ink, the rest on ``free`` (ink, straight runs across and down without
    the ring, the ring, the seals' faces), and its inside share on the part the ring
    leaves free. Paper on its left is looked for past its own border's blur, and not
    inside a seal's face: there the seal's lettering or star may lie beside a box. A
    square whose left is paper only with the face left out is taken only when its inside
    is clear (``seal_face_clear``): inked there, its ink may be the lettering's as well as
    a pen's, too covered to judge (left unfound, its group goes to review). ``by_seal``:
    the square overlaps a seal found on the page, so slanted strokes on its left may be
    the seal's lettering and are never taken for a pen's run out past it.
    """
    x, y, w, h = rect
    rows = ((across[y : y + h, x : x + w] > 0) & mine).mean(axis=1)
    cols = ((down[y : y + h, x : x + w] > 0) & mine).mean(axis=0)
    band = max(2, round(0.25 * min(w, h)))
    top, out_top, past_top = _edge(rows, band, from_end=False)
    bottom, out_bottom, past_bottom = _edge(rows, band, from_end=True)
    left, out_left, past_left = _edge(cols, band, from_end=False)
    right, out_right, past_right = _edge(cols, band, from_end=True)
    wobbly = min(top, bottom, left, right) < rules.edge_cover
    if wobbly and not (
        min(top, bottom, left, right) >= rules.wobbly_floor
        and _wobbly_sides(ink, rect, band, rules)
    ):
        return None
    if crossed:
        # A printed border is as thick all round: a mark's thick stroke joined to an edge
        # thickens that edge's straight runs, not the border. The inside begins one
        # border (the thinnest edge) past each edge.
        border = min(
            past_top - out_top,
            past_bottom - out_bottom,
            past_left - out_left,
            past_right - out_right,
        )
        past_top, past_bottom = out_top + border, out_bottom + border
        past_left, past_right = out_left + border, out_right + border
    ring: np.ndarray | None = None
    face: np.ndarray | None = None
    if free is not None:
        ink, across, down, ring, face = free
        rows = ((across[y : y + h, x : x + w] > 0) & mine).mean(axis=1)
        cols = ((down[y : y + h, x : x + w] > 0) & mine).mean(axis=0)
    side = (w + h) / 2
    margin = rules.inset * side
    ix0 = round(x + past_left + margin)
    iy0 = round(y + past_top + margin)
    ix1 = round(x + w - past_right - margin)
    iy1 = round(y + h - past_bottom - margin)
    # A box blacked in (typed ■, or filled by pen) is solid ink inside: no character is,
    # its strokes need paper between them to be read.
    filled = (
        ix1 - ix0 >= 2
        and iy1 - iy0 >= 2
        and cv2.countNonZero(ink[iy0:iy1, ix0:ix1])
        >= rules.filled_share * (ix1 - ix0) * (iy1 - iy0)
        and (
            _solid(ink, (x, y, w, h), rules)
            or (among and _solid(ink, (ix0, iy0, ix1 - ix0, iy1 - iy0), rules))
        )
        and _clear_around(ink, (x, y, w, h), rules)
    )
    # A character's frame has strokes across it joined to the frame (日, 田, 四): lines
    # or columns well inside the square that the straight runs cover half across.
    # (A thick pen stroke's slant holds straight runs that reach as far; in a box found
    # from its sides the centre line of the ink inside tells them apart.)
    glyph = max(3, round(rules.glyph_run * side))
    spine = max(3, round(rules.marked_spine * glyph))
    across_it = (rows[past_top + 1 : h - past_bottom - 1] >= rules.cross_stroke).any() or (
        cols[past_left + 1 : w - past_right - 1] >= rules.cross_stroke
    ).any()
    if across_it and not filled:
        inner = ink[iy0:iy1, ix0:ix1]
        if not crossed or min(inner.shape) < glyph:
            return None
        if _straight_spine(inner, spine, rules.glyph_straight_share):
            return None
    # A box stands clear of what precedes it; a character frame has its neighbour close.
    clear = max(2, round(rules.left_clearance * side))
    # (In a box found from its sides, only straight ink counts there: a × overshooting
    # the box's left edge is slanted, a neighbouring character's strokes are not.)
    # Measured from the box's left edge, not the part's: a pen's stray pixel left of the
    # edge (a fill's overshoot) widens the part and would put the cell's rule in reach.
    # (A square found from its sides keeps the part's: a ×'s arm run out past its left
    # edge holds straight runs of a thick pen, which would then stand beside it.)
    near = cv2.bitwise_or(across, down) if crossed else ink
    edge_x = x if crossed else x + out_left
    rows_beside = slice(y + round(0.15 * h), y + h - round(0.15 * h))
    lettered = False
    if face is not None:
        # A square found from its sides may start a pixel or two inside its border: the
        # border's blur (straight runs down, joined to the square) is no neighbour.
        blur = max(1, round(0.15 * side))
        while blur > 0 and edge_x > 1 and down[rows_beside, edge_x - 2].any():
            edge_x -= 1
            blur -= 1
        seen = near[rows_beside, max(0, edge_x - clear) : max(0, edge_x - 1)]
        near = cv2.bitwise_and(near, cv2.bitwise_not(face))
    beside = near[rows_beside, max(0, edge_x - clear) : max(0, edge_x - 1)]
    if beside.size and cv2.countNonZero(beside) > 0.02 * beside.size:
        # (In a square found from its sides, pen strokes run out past its left edge (a
        # scribble's or a ×'s arm) are slanted: their centre lines hold no straight run
        # as a neighbouring character's strokes or a table's rule do. Not by a seal: its
        # lettering is slanted too, and a character under it would pass for a box.)
        if not crossed or free is not None or by_seal:
            return None
        # (the box's own border, blurred a pixel or two out past its edge, left out)
        strokes = ink[
            y + round(0.15 * h) : y + h - round(0.15 * h),
            max(0, edge_x - clear) : max(0, edge_x - 3),
        ]
        if _straight_spine(strokes, spine, rules.glyph_straight_share):
            return None
        # (and joined to the square: a pen's stroke crosses its border; the character
        # before a square read inside a word, 联 before 盟's 皿, stands apart)
        if not _joined_beside(ink, (x, y, x + w, y + h), clear):
            return None
    if face is not None and beside.size:
        lettered = cv2.countNonZero(seen) > 0.02 * beside.size
    if ix1 - ix0 < 2 or iy1 - iy0 < 2:
        return None
    inside = ink[iy0:iy1, ix0:ix1]
    # Mostly straight strokes inside: the square is a character's frame (国, 回). A tick's
    # strokes are slanted; only where its arms meet does a short straight run appear.
    inked = cv2.countNonZero(inside)
    if inked and not filled and glyph <= min(inside.shape):
        straight = cv2.bitwise_or(
            morph_on_paper(inside, cv2.MORPH_OPEN, (1, glyph)),
            morph_on_paper(inside, cv2.MORPH_OPEN, (glyph, 1)),
        )
        if cv2.countNonZero(straight) > rules.glyph_straight_share * inked and (
            not crossed or _straight_spine(inside, spine, rules.glyph_straight_share)
        ):
            return None
    share = cv2.countNonZero(inside) / inside.size
    if ring is not None:
        clear = ring[iy0:iy1, ix0:ix1] == 0
        if clear.mean() < rules.seal_ring_free:
            return None
        share = float(np.count_nonzero((inside > 0) & clear)) / float(np.count_nonzero(clear))
    if lettered and share > rules.seal_face_clear:
        return None
    # A square found with a pixel's wobble allowed is taken empty only: a round glyph's
    # flattened ring on a blurred copy (a ◎ typed for the chosen □, grey-double-circle-
    # copy) passes for one too, its inner ring a little ink inside it.
    if wobbly and share > rules.wobbly_clear:
        return None
    return _Measured(
        (x + out_left, y + out_top, x + w - out_right, y + h - out_bottom),
        float(share),
        (ix0, iy0, ix1, iy1),
    )


def _covered_by_runs(lines: np.ndarray, run: int) -> float:
    """The share of a line's pixels (a 1-D boolean array) in runs of ``run`` or more."""
    padded = np.concatenate(([False], lines, [False])).astype(np.int8)
    steps = np.diff(padded)
    begins, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    lengths = ends - begins
    return float(lengths[lengths >= run].sum()) / max(1, lines.size)


def _wobbly_sides(
    ink: np.ndarray, rect: tuple[int, int, int, int], band: int, rules: TickDetection
) -> bool:
    """Whether each side of a square is a straight run of ink a pixel's wobble allows: in
    two neighbouring lines near it taken together, runs of ``edge_run`` of its side
    covering ``edge_cover`` of it.

    A thin printed border on a blurred greyscale JPEG sits on the ink threshold: its
    pixels drop out of one column here and of the next there, so no single column holds
    a straight run the whole way (a □'s left side on tuned grey-word-check-after, 165 dpi
    at JPEG 39: 0.71 of it in one column, the rest in pieces shorter than ``edge_run``
    two columns over), while the two columns together run its whole length."""
    x, y, w, h = rect
    square = ink[y : y + h, x : x + w] > 0
    run = max(3, round(rules.edge_run * min(w, h)))
    reach = min(band, h - 1, w - 1)

    def best(lines: np.ndarray) -> float:
        return max(
            (_covered_by_runs(lines[k] | lines[k + 1], run) for k in range(reach)), default=0.0
        )

    sides = (square, square[::-1], square.T, square.T[::-1])
    return all(best(lines) >= rules.edge_cover for lines in sides)


def _straight_spine(inside: np.ndarray, glyph: int, share: float) -> bool:
    """Whether the strokes' centre lines (one pixel wide) run straight: a character's do.

    A thick pen stroke (a big ✓ where it turns, as thick as a fifth of the box) holds
    straight runs of ink along its slant, as a character's strokes do; its centre line
    is slanted and holds none.
    """
    spine = _skeleton(inside)
    total = cv2.countNonZero(spine)
    if not total:
        return False
    straight = cv2.bitwise_or(
        morph_on_paper(spine, cv2.MORPH_OPEN, (1, glyph)),
        morph_on_paper(spine, cv2.MORPH_OPEN, (glyph, 1)),
    )
    return cv2.countNonZero(straight) > share * total


def _skeleton(mask: np.ndarray) -> np.ndarray:
    """Zhang–Suen thinning of a small 0/255 mask to one-pixel centre lines."""
    img = np.pad((mask > 0).astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = [
                np.roll(np.roll(img, -dy, 0), -dx, 1)
                for dy, dx in ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
            ]
            neighbours = sum(q.astype(np.int32) for q in p)
            ring = p + p[:1]
            transitions = sum(
                ((ring[i] == 0) & (ring[i + 1] == 1)).astype(np.int32) for i in range(8)
            )
            p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
            if step == 0:
                keep_a, keep_b = p2 * p4 * p6, p4 * p6 * p8
            else:
                keep_a, keep_b = p2 * p4 * p8, p2 * p6 * p8
            drop = (
                (img == 1)
                & (neighbours >= 2)
                & (neighbours <= 6)
                & (transitions == 1)
                & (keep_a == 0)
                & (keep_b == 0)
            )
            if drop.any():
                img[drop] = 0
                changed = True
        if not changed:
            return (img[1:-1, 1:-1] * 255).astype(np.uint8)


def _clean_side(clean: Sequence[tuple[int, int, int, int]]) -> float:
    """The side of the page's clean boxes (their median; a printed form sets every box at
    one size), in pixels."""
    sides = sorted((x1 - x0 + y1 - y0) / 2 for x0, y0, x1, y1 in clean)
    return sides[len(sides) // 2]


def _side_runs(
    runs: np.ndarray, origin: tuple[int, int], side: float, slack: float
) -> list[tuple[int, int, int, int]]:
    """The thin horizontal runs of ``runs`` (a region whose top-left is ``origin`` on the
    page) at least a box side long, less ``slack``: where a box's top or bottom edge can
    be. Page boxes, top to bottom."""
    x_from, y_from = origin
    count, _, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    return sorted(
        (
            (int(x) + x_from, int(y) + y_from, int(x + w) + x_from, int(y + h) + y_from)
            for x, y, w, h, _ in stats[1:count]
            if w >= side - slack and h <= 0.3 * side
        ),
        key=lambda e: e[1],
    )


def _crossed_boxes(
    ink: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    clean: list[Rect],
    places: Sequence[Rect],
    rules: TickDetection,
) -> list[_Measured]:
    """Boxes a pen mark crossing their edge joined to other ink (the words beside them, a
    table rule), found from their four straight sides instead of as one component.

    A printed form sets every box at one size, so a square is only taken when the page
    has boxes found clean and it matches them (``crossed_side``), stands on a row or in a
    column of one of them (within two box sides above or below the rows they span), and
    passes every test a clean box passes (no character's inner strokes, paper on its left;
    only there a thick slanted pen stroke is not taken for a character's). A page with no
    clean box (a cover without tick groups) gets none this way, so no character's 口 is
    taken for one.
    """
    if not clean:
        return []
    side = _clean_side(clean)
    slack = rules.crossed_side * side
    frame = cv2.bitwise_or(across, down)
    # Only where a box on a clean box's row or column can be: the rows they span, a
    # wrapped row above and below, right of the leftmost (a page's groups sit together).
    reach = round(2 * side)
    y_from = max(0, min(r[1] for r in clean) - reach)
    x_from = max(0, min(r[0] for r in clean) - reach)
    y_to = max(r[3] for r in clean) + reach
    band = across[y_from:y_to, x_from:]
    # Horizontal sides: thin straight runs at least one box long. One of the two must be a
    # box long (an anchor); the other may run on, joined by the mark to the words beside.
    edges = _side_runs(band, (x_from, y_from), side, slack)
    found: list[_Measured] = []
    taken = list(clean)
    for anchor in edges:
        if abs(anchor[2] - anchor[0] - side) > slack:
            continue
        for other in edges:
            if other is anchor or other[0] > anchor[0] + slack or other[2] < anchor[2] - slack:
                continue
            top, bottom = (other, anchor) if other[1] < anchor[1] else (anchor, other)
            if abs(bottom[3] - top[1] - side) > slack:
                continue
            y0, y1 = top[1], bottom[3]
            # The sides: the columns near the edge's ends that run down the whole square
            # (a faint corner leaves an edge's straight run a pixel or two short).
            near, cover = round(slack), rules.edge_cover
            x0 = _side(down, y0, y1, range(anchor[0] - near, anchor[0] + near), cover)
            x1 = _side(down, y0, y1, range(anchor[2] + near, anchor[2] - near, -1), cover)
            if x0 is None or x1 is None:
                continue
            box = _crossed_square(
                ink, across, down, frame, (x0, y0, x1 + 1, y1), clean, taken, places, rules
            )
            if box is None:
                continue
            found.append(box)
            taken.append(box.rect)
            break
    found += _overrun_squares(
        ink, across, down, frame, (y_from, y_to, x_from), clean, taken, places, rules
    )
    return found


def _runs_on(across: np.ndarray, rect: Rect, reach: int) -> bool:
    """Whether the square's top or bottom edge runs on unbroken past one of its corners for
    ``reach`` pixels (``edge_run`` straight runs): the pen × that hid its edges did so."""
    x0, y0, x1, y1 = rect
    width = across.shape[1]
    if reach < 1 or x0 - reach < 0 or x1 + reach > width:
        return False
    for row in (*range(y0, y0 + 3), *range(y1 - 3, y1)):
        line = across[row] > 0
        if line[x0 - reach : x0].all() or line[x1 : x1 + reach].all():
            return True
    return False


def _crossed_square(
    ink: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    frame: np.ndarray,
    rect: Rect,
    clean: list[Rect],
    taken: list[Rect],
    places: Sequence[Rect],
    rules: TickDetection,
) -> _Measured | None:
    """A square found from its sides, measured as a box with a mark across it, or None:
    it overlaps a box already taken, stands on no clean box's row or column, or fails a
    box's tests (``_measure`` with ``crossed``)."""
    x0, y0, x1, y1 = rect
    sides = sorted((b[2] - b[0] + b[3] - b[1]) / 2 for b in clean)
    if any(_overlap(rect, r) for r in taken) or not _among(clean, rect, sides[len(sides) // 2]):
        return None
    mine = frame[y0:y1, x0:x1] > 0
    # (over a seal, its lettering's slanted strokes may stand beside a square)
    by_seal = any(_overlap(rect, s) for s in places)
    box = _measure(
        ink, across, down, mine, (x0, y0, x1 - x0, y1 - y0), rules, crossed=True, by_seal=by_seal
    )
    if box is None:
        return None
    # Its edges as measured (a mark's overshoot left out) are the clean boxes' size too:
    # a square spanning a mark's stroke and the next character's is not.
    side, slack = sides[len(sides) // 2], rules.crossed_side * sides[len(sides) // 2]
    bx0, by0, bx1, by1 = box.rect
    if abs(bx1 - bx0 - side) > slack or abs(by1 - by0 - side) > slack:
        return None
    return box


def _overrun_squares(
    ink: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    frame: np.ndarray,
    band: tuple[int, int, int],
    clean: list[Rect],
    taken: list[Rect],
    places: Sequence[Rect],
    rules: TickDetection,
) -> list[_Measured]:
    """Boxes a thick pen × runs out of at its corners: its arms, thick and slanted, hold
    straight runs as long as ``edge_run`` that join the box's edges (the top edge runs on
    along the upper arm to the cell's rule, the bottom one along the lower arm), so no edge
    is a box long and ``_crossed_boxes`` finds no anchor. Straight runs ``overrun_run`` of
    the clean boxes' side long leave the arms out and keep the box's four sides: where two
    such edges, a box's side apart, overlap by a box's width or more, the square's sides
    are looked for between them (columns running down the whole square, ``edge_cover``, a
    side apart), and taken only when an edge runs on past a corner (``overrun_reach``:
    the × that hid it; a character's frame ends at its corners). Then judged as any square
    found from its sides (``_crossed_square``).
    ``band``: where boxes are looked for (top, bottom, left) as in ``_crossed_boxes``."""
    side = _clean_side(clean)
    slack = rules.crossed_side * side
    near, width = round(slack), round(side)
    run = max(3, round(rules.overrun_run * side))
    y_from, y_to, x_from = band
    region = ink[y_from:y_to, x_from:]
    long_across = morph_on_paper(region, cv2.MORPH_OPEN, (1, run))
    long_down = np.zeros_like(down)
    long_down[y_from:y_to, x_from:] = morph_on_paper(region, cv2.MORPH_OPEN, (run, 1))
    edges = _side_runs(long_across, (x_from, y_from), side, slack)
    found: list[_Measured] = []
    taken = list(taken)
    for top in edges:
        for bottom in edges:
            if bottom[1] <= top[1] or abs(bottom[3] - top[1] - side) > slack:
                continue
            start, end = max(top[0], bottom[0]), min(top[2], bottom[2])
            if end - start < side - slack:
                continue
            y0, y1 = top[1], bottom[3]
            for x0 in range(start - near, end - width + near + 1):
                if _side(long_down, y0, y1, range(x0, x0 + 1), rules.edge_cover) is None:
                    continue
                x1 = _side(
                    long_down,
                    y0,
                    y1,
                    range(x0 + width + near, x0 + width - near - 1, -1),
                    rules.edge_cover,
                )
                if x1 is None:
                    continue
                rect = (x0, y0, x1 + 1, y1)
                if not _runs_on(across, rect, round(rules.overrun_reach * side)):
                    continue  # a character's frame (国 blurred): its edges end at its corners
                box = _crossed_square(ink, across, down, frame, rect, clean, taken, places, rules)
                if box is not None:
                    found.append(box)
                    taken.append(box.rect)
                    break
    return found


def _round_marks(
    ink: np.ndarray, clean: list[Rect], taken: list[Rect], rules: TickDetection
) -> list[_Measured]:
    """Round glyphs typed in a box's place (◎ or ● for the chosen option, ○), as boxes.

    A form typed in Word may mark the chosen option by typing another glyph in its box's
    place; a round one is no square, so it is not found as a box, and the OCR often loses
    it. On the rows of the page's clean boxes or rows near them (within ``round_reach``
    sides: ◎其他 alone on a row, its box beside a seal's ring not found
    clean), a connected part of ink the size of those
    boxes (``round_side``) whose whole outline lies at one distance from its centre
    (``round_radius``: a □ reaches out at its corners, a character's outline runs in and
    out) and with paper on its left as a box has, is such a glyph. Its ink is the share
    inked within ``round_inside`` of its radius: a ◎'s inner ring, a ● filled, a ○ none.
    """
    if not clean:
        return []
    side = _clean_side(clean)
    slack = rules.round_side * side
    reach = rules.round_reach * side
    y_from = max(0, round(min(r[1] for r in clean) - reach))
    y_to = round(max(r[3] for r in clean) + reach)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink[y_from:y_to], connectivity=8)
    inner, outer = rules.round_radius
    clear = max(2, round(rules.left_clearance * side))
    found: list[_Measured] = []
    for index in range(1, count):
        x, top, w, h, _ = (int(v) for v in stats[index])
        if abs(w - side) > slack or abs(h - side) > slack:
            continue
        if abs(w - h) > rules.max_side_difference * max(w, h):
            continue
        y = top + y_from
        centre = y + h / 2
        if not any(abs((r[1] + r[3]) / 2 - centre) <= reach for r in clean):
            continue
        if any(x < r[2] and r[0] < x + w and y < r[3] and r[1] < y + h for r in taken):
            continue
        mine = (labels[top : top + h, x : x + w] == index).astype(np.uint8)
        contours, _ = cv2.findContours(mine, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        outline = max(contours, key=cv2.contourArea)[:, 0, :].astype(np.float64)
        cx, cy = (w - 1) / 2, (h - 1) / 2
        radius = np.hypot((outline[:, 0] - cx) / (w / 2), (outline[:, 1] - cy) / (h / 2))
        if radius.min() < inner or radius.max() > outer:
            continue
        beside = ink[
            y + round(0.15 * h) : y + h - round(0.15 * h), max(0, x - clear) : max(0, x - 1)
        ]
        if beside.size and cv2.countNonZero(beside) > 0.02 * beside.size:
            continue
        yy, xx = np.mgrid[0:h, 0:w]
        within = np.hypot((xx - cx) / (w / 2), (yy - cy) / (h / 2)) < rules.round_inside
        area = max(1, int(np.count_nonzero(within)))
        share = int(np.count_nonzero(ink[y : y + h, x : x + w][within])) / area
        half_w, half_h = rules.round_inside * w / 2, rules.round_inside * h / 2
        inside = (
            round(x + cx - half_w),
            round(y + cy - half_h),
            round(x + cx + half_w) + 1,
            round(y + cy + half_h) + 1,
        )
        found.append(_Measured((x, y, x + w, y + h), float(share), inside))
    return found


def _without_rules(ink: np.ndarray, length: float) -> np.ndarray:
    """The ink less its straight level and upright runs ``length`` pixels long or more:
    a table's rules, never a pen's ring (its arcs curve away within a box's side or so)."""
    run = max(3, round(length))
    rules_ = cv2.bitwise_or(
        morph_on_paper(ink, cv2.MORPH_OPEN, (1, run)), morph_on_paper(ink, cv2.MORPH_OPEN, (run, 1))
    )
    return cv2.bitwise_and(ink, cv2.bitwise_not(rules_))


def _ring_round(ink: np.ndarray, rect: Rect, rules: TickDetection) -> bool:
    """Whether a pen's ring runs round a square (the chosen box ringed, its words left
    outside): along rays from the square's centre at ``ring_angles`` angles, ink from
    ``ring_radius`` [0] sides past where the ray leaves the square (its border's blur) to
    [1] sides from the centre, found on
    ``ring_cover`` of the rays outside the words' side (``ring_words``: degrees either side
    of the right, where the option's words begin and the ring may cross them), nearest at
    radii that change little from ray to ray (``ring_step`` sides, on ``ring_smooth`` of
    neighbouring rays: one line round it, not characters of the rows above and below or a
    seal's lettering) and thin there (the ink's run along the ray, median ``ring_thick``
    sides at most: a pen's line, not a character's body)."""
    x0, y0, x1, y1 = rect
    side = (x1 - x0 + y1 - y0) / 2
    cx, cy = (x0 + x1 - 1) / 2, (y0 + y1 - 1) / 2
    inner, outer = rules.ring_radius
    angles = np.linspace(0.0, 2 * np.pi, rules.ring_angles, endpoint=False)
    degrees = np.degrees(angles)
    angles = angles[np.minimum(degrees, 360.0 - degrees) > rules.ring_words]
    radii = np.arange(0.5 * side, outer * side, 0.5)
    xs = np.rint(cx + np.outer(np.cos(angles), radii)).astype(int)
    ys = np.rint(cy - np.outer(np.sin(angles), radii)).astype(int)
    height, width = ink.shape
    on_page = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    inked = np.zeros(xs.shape, bool)
    inked[on_page] = ink[ys[on_page], xs[on_page]] > 0
    # each ray from ``inner`` sides past where it leaves the square (its border's blur)
    leaves = 0.5 / np.maximum(np.abs(np.cos(angles)), np.abs(np.sin(angles)))
    inked &= radii[None, :] >= (leaves[:, None] + inner) * side
    cover, smooth, thick = _ring_stats(inked, radii / side, rules)
    return cover >= rules.ring_cover and smooth >= rules.ring_smooth and thick <= rules.ring_thick


def _ring_stats(
    inked: np.ndarray, radii: np.ndarray, rules: TickDetection
) -> tuple[float, float, float]:
    """Along rays (rows of ``inked``, at ``radii`` sides): the share of rays with ink, the
    share of neighbouring rays whose nearest ink lies within ``ring_step`` of each other's,
    and the median run of ink along a ray from where it begins (sides)."""
    has = np.any(inked, axis=1).astype(bool)
    if not has.any():
        return 0.0, 0.0, float("inf")
    first = np.argmax(inked, axis=1)
    near = radii[first]
    both = has[1:] & has[:-1]
    diffs: np.ndarray = np.abs(np.diff(near))
    steps = diffs[both]
    smooth = float((steps <= rules.ring_step).mean()) if steps.size else 0.0
    step = float(radii[1] - radii[0]) if radii.size > 1 else 1.0
    runs = []
    for row, start in zip(inked[has], first[has], strict=True):
        gaps = np.flatnonzero(~row[start:])
        runs.append((gaps[0] if gaps.size else row.size - start) * step)
    return float(has.mean()), smooth, float(np.median(runs))


def _ringed_squares(
    loose: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    clean: list[Rect],
    taken: list[Rect],
    places: Sequence[Rect],
    rules: TickDetection,
) -> list[_Measured]:
    """Boxes a pen's ring round them hid from the search: the ring touches the box's
    border where it passes close, and the two are one part, no square. On the rows of the
    page's clean boxes (within ``ring_reach`` sides of their first and last), at places
    no box was found, a square of the clean boxes' size (``crossed_side``) whose four
    sides straight runs cover (``edge_cover``) with a ring round it (``_ring_round``) is
    such a box; its inside ink is measured as a clean box's (the ring lies outside it).
    Not by a seal (its lettering runs round a box too)."""
    side = _clean_side(clean)
    slack = rules.crossed_side * side
    size = round(side)
    thick = max(2, round(0.15 * side))
    height, width = loose.shape
    found: list[_Measured] = []
    taken = list(taken)
    rows: list[list[Rect]] = []
    for rect in sorted(clean, key=lambda r: r[1] + r[3]):
        if rows and abs((rows[-1][0][1] + rows[-1][0][3]) / 2 - (rect[1] + rect[3]) / 2) <= (
            0.5 * side
        ):
            rows[-1].append(rect)
        else:
            rows.append([rect])
    reach = rules.ring_reach * side
    for row in rows:
        y0 = round(min(r[1] for r in row) - slack)
        y1 = round(max(r[3] for r in row) + slack)
        xa = max(0, round(min(r[0] for r in row) - reach))
        xb = min(width, round(max(r[2] for r in row) + reach))
        if y0 < 0 or y1 > height or xb - xa <= size:
            continue
        flat = across[y0:y1, xa:xb]
        tall = down[y0:y1, xa:xb]
        corners = (0, 0, xb - xa - size, y1 - y0 - size)
        if corners[3] < 0:
            continue
        cover = _four_sides(flat, tall, corners, size, thick)
        for dy, dx in sorted(
            zip(*np.nonzero(cover >= rules.edge_cover), strict=True),
            key=lambda c: -float(cover[c[0], c[1]]),
        ):
            rect = (xa + int(dx), y0 + int(dy), xa + int(dx) + size, y0 + int(dy) + size)
            if any(_overlap(rect, r) for r in taken) or any(_overlap(rect, s) for s in places):
                continue
            if not _ring_round(loose, rect, rules):
                continue
            margin = round((rules.inset + 0.1) * side)
            inside = (rect[0] + margin, rect[1] + margin, rect[2] - margin, rect[3] - margin)
            region = loose[inside[1] : inside[3], inside[0] : inside[2]]
            share = cv2.countNonZero(region) / max(1, region.size)
            found.append(_Measured(rect, float(share), inside))
            taken.append(rect)
    return found


def _marked_squares(
    ink: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    refused: list[tuple[tuple[int, int, int, int], np.ndarray]],
    clean: list[Rect],
    taken: list[Rect],
    places: Sequence[Rect],
    rules: TickDetection,
) -> list[_Measured]:
    """Squares first refused as a character's frame that are the page's boxes with a thick
    pen mark inside: a × whose arms cross, or a ✓ where it turns, thickened by a
    photocopy's blur, holds straight runs across the square as a character's inner strokes
    do (日, 国). Taken only when the page has boxes found clean, the square (its own
    edges, a mark's overshoot left out) matches them in size (``crossed_side``), lies in
    the block the page's boxes span (``marked_reach``) or on a clean box's row within
    ``marked_row_reach`` of it, and the centre lines of the ink
    inside are slanted even over short runs (``marked_spine``: a small character's strokes,
    国 in 11 pt type, are only a few pixels long)."""
    if not clean:
        return []
    side = _clean_side(clean)
    slack = rules.crossed_side * side
    reach = rules.marked_reach * side
    top = min(r[1] for r in taken) - reach
    bottom = max(r[3] for r in taken) + reach
    left = min(r[0] for r in taken) - reach
    found: list[_Measured] = []
    taken = list(taken)
    for square, mine in refused:
        # (over a seal, its lettering's slanted strokes may stand beside a square)
        by_seal = any(_overlap(_corners(square), s) for s in places)
        box = _measure(ink, across, down, mine, square, rules, crossed=True, by_seal=by_seal)
        # (a larger part searched only where the page's boxes are: the search is dearer)
        near_block = square[1] <= bottom and square[1] + square[3] >= top
        if box is None and near_block and _within_reach(square, side, rules):
            box = _square_within(ink, across, down, mine, square, side, taken, rules)
        if box is None:
            continue
        # The square's own edges, a mark's overshoot beyond them left out.
        rect = box.rect
        if abs(rect[2] - rect[0] - side) > slack or abs(rect[3] - rect[1] - side) > slack:
            continue
        centre = (rect[1] + rect[3]) / 2
        in_block = top <= centre <= bottom and rect[0] >= left
        # On a clean box's row, further left: the row's other options all marked (only
        # the last option's box left clean, the marked ones a few words before it).
        on_row = any(
            abs((r[1] + r[3]) / 2 - centre) <= 0.5 * side
            and rect[0] >= r[0] - rules.marked_row_reach * side
            for r in clean
        )
        if not (in_block or on_row):
            continue
        if any(_overlap(rect, r) for r in taken):
            continue
        found.append(box)
        taken.append(rect)
    return found


# Ink, straight runs across and down, each without a seal's ring; the ring; the seals'
# faces (inside their rings: lettering, star).
_Free = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _seal_faces(shape: tuple[int, ...], seals: Sequence[Rect]) -> np.ndarray:
    """The pixels (255) inside each seal's ring: the ellipse its found box holds."""
    face = np.zeros(shape[:2], dtype=np.uint8)
    for x0, y0, x1, y1 in seals:
        a, b = (x1 - x0) / 2, (y1 - y0) / 2
        if a < 1 or b < 1:
            continue
        centre = (round((x0 + x1) / 2), round((y0 + y1) / 2))
        cv2.ellipse(face, centre, (round(a), round(b)), 0, 0, 360, 255, thickness=-1)
    return face


def _within_reach(part: tuple[int, int, int, int], side: float, rules: TickDetection) -> bool:
    """A part a box with a few pen strokes across it can be: no taller than
    ``scribble_part`` [0] box sides, no wider than [1] (a stroke run on into the option's
    first words)."""
    _, _, w, h = part
    tall, wide = rules.scribble_part
    return h <= tall * side and w <= wide * side


def _square_within(
    ink: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    mine: np.ndarray,
    part: tuple[int, int, int, int],
    side: float,
    taken: list[Rect],
    rules: TickDetection,
) -> _Measured | None:
    """A square of the clean boxes' size inside a part larger than it, measured as a box
    with a mark across it, or None.

    Pen strokes crossing a box's edges (a scribble's zig-zag, a ✓'s tail, a stroke running
    on into the option's words) join the box's straight runs into one part wider or taller
    than the box, so its edges no longer cover the part's sides. The box is a square of
    the clean boxes' size (``crossed_side``) whose four sides the part's own straight runs
    cover (``edge_cover``), tried best covered first (then the size nearest the clean
    boxes'), a refused one's shifted copies skipped, at most ``joined_tries``; the first
    that passes as any square found from its sides (``_measure``, ``crossed``) with its
    measured edges the clean boxes' size is the box.
    """
    x, y, w, h = part
    slack = rules.crossed_side * side
    keep = mine.astype(np.uint8)
    flat = cv2.bitwise_and(across[y : y + h, x : x + w], across[y : y + h, x : x + w], mask=keep)
    tall = cv2.bitwise_and(down[y : y + h, x : x + w], down[y : y + h, x : x + w], mask=keep)
    thick = max(2, round(0.15 * side))
    candidates: list[tuple[float, float, float, Rect]] = []
    for size in range(max(3, round(side - slack)), round(side + slack) + 1):
        if size > w or size > h:
            continue
        corners = (0, 0, w - size, h - size)
        cover = _four_sides(flat, tall, corners, size, thick)
        # (of squares covered alike, the one whose sides lie on its outer lines: a blurred
        # border is thick, a square shifted into it still finds each side within ``thick``)
        tight = _four_sides(flat, tall, corners, size, 2)
        for dy, dx in zip(*np.nonzero(cover >= rules.edge_cover), strict=True):
            if not _outermost(flat, tall, (int(dx), int(dy), int(dx) + size, int(dy) + size)):
                continue
            rect = (x + int(dx), y + int(dy), x + int(dx) + size, y + int(dy) + size)
            candidates.append((float(cover[dy, dx]), float(tight[dy, dx]), -abs(size - side), rect))
    near = max(2, round(0.15 * side))
    tried: list[Rect] = []
    for *_, rect in sorted(candidates, key=lambda c: c[:3], reverse=True):
        if any(_overlap(rect, r) for r in taken):
            continue
        if any(
            r[2] - r[0] == rect[2] - rect[0] and abs(r[0] - rect[0]) + abs(r[1] - rect[1]) <= near
            for r in tried
        ):
            continue  # the same square shifted a pixel or two: refused alike
        if len(tried) >= rules.joined_tries:
            break
        tried.append(rect)
        x0, y0, x1, y1 = rect
        within = mine[y0 - y : y1 - y, x0 - x : x1 - x]
        box = _measure(ink, across, down, within, (x0, y0, x1 - x0, y1 - y0), rules, crossed=True)
        if box is None:
            continue
        # its edges as measured (a mark's overshoot left out) are the clean boxes' size too
        bx0, by0, bx1, by1 = box.rect
        if abs(bx1 - bx0 - side) > slack or abs(by1 - by0 - side) > slack:
            continue
        if _strokes_run_out(ink, box.rect, side, rules):
            return box
    return None


def _strokes_run_out(ink: np.ndarray, rect: Rect, side: float, rules: TickDetection) -> bool:
    """Whether the ink just round a square, left of it, above and below (a band
    ``scribble_margin`` of its side wide, its border's blur left out; right of it the
    option's words begin), is a pen's slanted strokes run out past its edges: their centre
    lines hold no straight run (``marked_spine`` of ``glyph_run``). A square inside a
    character's thicker frame, or between characters run together, has straight strokes
    round it. Only strokes joined to the square count (a mark crosses its border; the
    character before it, 省 before 属 in bold type, stands apart)."""
    height, width = ink.shape
    x0, y0, x1, y1 = rect
    reach = max(3, round(rules.scribble_margin * side))
    blur = 3
    ox0, oy0 = max(0, x0 - reach), max(0, y0 - reach)
    ox1, oy1 = min(width, x1 + blur), min(height, y1 + reach)
    region = ink[oy0:oy1, ox0:ox1]
    joined = _joined_to(region, (slice(y0 - oy0, y1 - oy0), slice(x0 - ox0, x1 - ox0)))
    around = np.where(joined, region, 0).astype(np.uint8)
    around[max(0, y0 - blur - oy0) : y1 + blur - oy0, max(0, x0 - blur - ox0) :] = 0
    if not cv2.countNonZero(around):
        return False
    glyph = max(3, round(rules.glyph_run * side))
    spine = max(3, round(rules.marked_spine * glyph))
    return not _straight_spine(around, spine, rules.glyph_straight_share)


def _joined_beside(ink: np.ndarray, rect: Rect, clear: int) -> bool:
    """Whether most of the ink in the ``clear`` pixels left of a square is joined to the
    square's own ink (8-connected within the square's rows): a pen's strokes run out past
    its edge are, a neighbouring character's are not."""
    x0, y0, x1, y1 = rect
    ox0 = max(0, x0 - clear)
    region = ink[y0:y1, ox0:x1]
    joined = _joined_to(region, (slice(None), slice(x0 - ox0, None)))
    beside = slice(None, max(0, x0 - ox0 - 1))
    inked = region[:, beside] > 0
    if not inked.any():
        return True
    return bool(joined[:, beside][inked].mean() >= 0.5)


def _joined_to(region: np.ndarray, square: tuple[slice, slice]) -> np.ndarray:
    """The pixels of ``region``'s ink 8-connected (within the region) to its ink inside
    ``square``."""
    _, labels = cv2.connectedComponents(region, connectivity=8)
    inside = np.unique(labels[square])
    joined: np.ndarray = np.isin(labels, inside[inside > 0])
    return joined


def _outermost(flat: np.ndarray, tall: np.ndarray, rect: Rect) -> bool:
    """Whether a square's sides are the outermost lines of its straight runs: the line
    just outside a side is covered over less than half of it, on two sides at least. A
    printed box's border is one line (a pen mark may run along one or two of its sides);
    a square inside a frame thicker all round (a dense character's, blurred) is not."""
    x0, y0, x1, y1 = rect
    height, width = flat.shape
    half = 0.5 * (x1 - x0)
    outside = [
        flat[y0 - 1, x0:x1] if y0 > 0 else None,
        flat[y1, x0:x1] if y1 < height else None,
        tall[y0:y1, x0 - 1] if x0 > 0 else None,
        tall[y0:y1, x1] if x1 < width else None,
    ]
    return sum(line is None or bool(np.count_nonzero(line) < half) for line in outside) >= 2


def _corners(part: tuple[int, int, int, int]) -> Rect:
    x, y, w, h = part
    return x, y, x + w, y + h


def _pixels(bbox: BBox, width: int, height: int) -> Rect:
    x0, y0, x1, y1 = bbox
    return round(x0 * width), round(y0 * height), round(x1 * width), round(y1 * height)


def _seal_rings(ink: np.ndarray, seals: Sequence[BBox], rules: TickDetection) -> np.ndarray | None:
    """The pixels of the seals' rings (255), or None when no seal has a ring of ink.

    A seal's ring is the ellipse its found box holds, as thick as its ink says: the radii
    (shares of the box's half sides, ``seal_ring_search``) where the seal's ink is densest,
    every one holding ``seal_ring_peak`` of the densest one's share or more (the ring runs
    round; the lettering inside leaves paper between its strokes).
    """
    height, width = ink.shape
    ring = np.zeros_like(ink)
    inner, outer = rules.seal_ring_search
    steps = np.arange(inner, outer, 0.01)
    found = False
    for bbox in seals:
        x0, y0, x1, y1 = _pixels(bbox, width, height)
        a, b = (x1 - x0) / 2, (y1 - y0) / 2
        if a < 4 or b < 4:
            continue
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        top, left = max(0, round(cy - outer * b)), max(0, round(cx - outer * a))
        bottom, right = (
            min(height, round(cy + outer * b) + 1),
            min(width, round(cx + outer * a) + 1),
        )
        ys, xs = np.mgrid[top:bottom, left:right]
        radius = np.sqrt(((xs - cx) / a) ** 2 + ((ys - cy) / b) ** 2)
        inked = ink[top:bottom, left:right] > 0
        which = np.digitize(radius, steps) - 1
        within = (radius >= inner) & (radius < outer)
        counts = np.bincount(which[within], minlength=len(steps))
        dark = np.bincount(which[within], weights=inked[within], minlength=len(steps))
        density = dark / np.maximum(counts, 1)
        peak = int(np.argmax(density))
        if density[peak] <= 0:
            continue
        low = high = peak
        while low > 0 and density[low - 1] >= rules.seal_ring_peak * density[peak]:
            low -= 1
        while high < len(steps) - 1 and density[high + 1] >= rules.seal_ring_peak * density[peak]:
            high += 1
        # one step more each way: the ring's soft edge
        band = (radius >= steps[low] - 0.01) & (radius < steps[high] + 0.02)
        ring[top:bottom, left:right][band] = 255
        found = True
    return ring if found else None


def _joined_boxes(
    ink: np.ndarray,
    across: np.ndarray,
    down: np.ndarray,
    clean: list[Rect],
    taken: list[Rect],
    seals: list[Rect],
    ring: np.ndarray,
    rules: TickDetection,
) -> list[_Measured]:
    """Boxes a seal's ink joined into one blob with its ring or lettering, found by their
    four sides near the seal, on the rows of the page's boxes.

    A photocopy's seal is no longer red, so it stays on the OCR image; where its ring runs
    over or touches a box, the box and the ring are one component and its square is lost
    (the ring's top is a straight run too). A printed form sets every box at one size, so
    on each row of the boxes found so far, within a box side of a seal, a square of the
    clean boxes' size (``crossed_side``) whose four sides are straight runs covering
    ``edge_cover`` is
    a candidate, best covered first; it is taken when it passes every test a clean box
    passes with the ring's pixels left out (``_measure``: no character's strokes inside,
    paper on its left, its ink measured on the inside the ring leaves free).
    """
    side = _clean_side(clean)
    slack = rules.crossed_side * side
    height, width = ink.shape
    keep = cv2.bitwise_not(ring)
    free: _Free = (
        cv2.bitwise_and(ink, keep),
        cv2.bitwise_and(across, keep),
        cv2.bitwise_and(down, keep),
        ring,
        cv2.bitwise_or(_seal_faces(ink.shape, seals), ring),
    )
    frame = cv2.bitwise_or(across, down)
    rows: list[float] = []
    for r in sorted(taken, key=lambda r: r[1] + r[3]):
        cy = (r[1] + r[3]) / 2
        if not rows or cy - rows[-1] > 0.5 * side:
            rows.append(cy)
    sizes = range(round(side - slack), round(side + slack) + 1)
    thick = max(2, round(0.15 * side))
    candidates: list[tuple[float, Rect]] = []
    for sx0, sy0, sx1, sy1 in seals:
        for cy in rows:
            if not sy0 - side <= cy <= sy1 + side:
                continue
            for size in sizes:
                ya = max(0, round(cy - size / 2 - slack))
                yb = min(height - size, round(cy - size / 2 + slack))
                xa = max(0, round(sx0 - side))
                xb = min(width - size, round(sx1 + side))
                if yb < ya or xb < xa:
                    continue
                cover = _four_sides(across, down, (xa, ya, xb, yb), size, thick)
                for dy, dx in zip(*np.nonzero(cover >= rules.edge_cover), strict=True):
                    x0, y0 = xa + int(dx), ya + int(dy)
                    candidates.append((float(cover[dy, dx]), (x0, y0, x0 + size, y0 + size)))
    found: list[_Measured] = []
    taken = list(taken)
    tried: list[Rect] = []
    # A refused square rules out its near copies only (a shift of a few pixels): the box
    # may lie a little beside a better-covered square of seal ink that is refused.
    near = max(2, round(0.15 * side))
    for _, rect in sorted(candidates, key=lambda c: -c[0]):
        if any(_overlap(rect, r) for r in taken):
            continue
        if any(max(abs(a - b) for a, b in zip(rect, r, strict=True)) <= near for r in tried):
            continue
        if len(tried) >= rules.joined_tries:
            break
        tried.append(rect)
        x0, y0, x1, y1 = rect
        mine = frame[y0:y1, x0:x1] > 0
        box = _measure(
            ink, across, down, mine, (x0, y0, x1 - x0, y1 - y0), rules, crossed=True, free=free
        )
        if box is None:
            continue
        found.append(box)
        taken.append(box.rect)
    return found


def _four_sides(
    across: np.ndarray, down: np.ndarray, corners: Rect, size: int, thick: int
) -> np.ndarray:
    """For each top-left corner in ``corners`` (x from, y from, x to, y to, inclusive), the
    least of a ``size`` square's four sides' coverage by straight runs (each side's best
    line within ``thick`` of it)."""
    xa, ya, xb, yb = corners
    flat = (across[ya : yb + size, xa : xb + size] > 0).astype(np.int32)
    tall = (down[ya : yb + size, xa : xb + size] > 0).astype(np.int32)
    # runs along each line of the square's length: sums over size pixels
    run_x = np.cumsum(np.pad(flat, ((0, 0), (1, 0))), axis=1)
    lines_x = (run_x[:, size:] - run_x[:, :-size]) / size  # (rows, corners across)
    run_y = np.cumsum(np.pad(tall, ((1, 0), (0, 0))), axis=0)
    lines_y = (run_y[size:, :] - run_y[:-size, :]) / size  # (corners down, columns)
    n_y, n_x = yb - ya + 1, xb - xa + 1

    def best(lines: np.ndarray, offsets: range, axis: int) -> np.ndarray:
        out = np.zeros((n_y, n_x))
        for k in offsets:
            part = lines[k : k + n_y, :n_x] if axis == 0 else lines[:n_y, k : k + n_x]
            out = np.maximum(out, part)
        return out

    top = best(lines_x, range(thick), 0)
    bottom = best(lines_x, range(size - thick, size), 0)
    left = best(lines_y, range(thick), 1)
    right = best(lines_y, range(size - thick, size), 1)
    least: np.ndarray = np.minimum(np.minimum(top, bottom), np.minimum(left, right))
    return least


def _side(down: np.ndarray, y0: int, y1: int, columns: range, cover: float) -> int | None:
    """The first of ``columns`` whose straight vertical runs cover ``cover`` of ``y0``–``y1``."""
    width = down.shape[1]
    for x in columns:
        if 0 <= x < width and cv2.countNonZero(down[y0:y1, x]) >= cover * (y1 - y0):
            return x
    return None


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _among(clean: list[Rect], rect: Rect, side: float) -> bool:
    """A square on a row (centres level) or in a column (left edges aligned) of clean boxes."""
    cy = (rect[1] + rect[3]) / 2
    return any(
        abs((r[1] + r[3]) / 2 - cy) <= 0.5 * side or abs(r[0] - rect[0]) <= 0.3 * side
        for r in clean
    )


def _reading_order(box: TickBox) -> tuple[float, float]:
    x0, y0, _, y1 = box.bbox
    return (round((y0 + y1) / 2, 2), x0)


# --- born-digital PDF ------------------------------------------------------------------


def vector_boxes(
    rects: Iterable[Mapping[str, Any]],
    paths: Iterable[Mapping[str, Any]],
    page_box: tuple[float, float, float, float],
    rules: TickDetection,
) -> tuple[TickBox, ...]:
    """The tick boxes a PDF page draws: small squares, ticked by a path drawn inside.

    Args:
        rects: pdfplumber ``page.rects`` (``x0``, ``top``, ``x1``, ``bottom`` in points).
        paths: pdfplumber ``page.curves`` and ``page.lines``: candidate ticks.
        page_box: the visible box ``(x0, top, x1, bottom)`` the fractions are taken of.
        rules: detection parameters (``Rules.tick_boxes``).

    Returns:
        Boxes in reading order, ``source="vector"``, ``ink`` 1.0 when a path lies inside
        the box or the square is filled, else 0.0.
    """
    low, high = (side / _MM_PER_PT for side in rules.box_side_mm)
    left, top, right, bottom = page_box
    width, height = right - left, bottom - top
    if width <= 0 or height <= 0:
        return ()
    squares: list[tuple[float, float, float, float, bool]] = []
    for rect in rects:
        x0, y0, x1, y1 = (float(rect[k]) for k in ("x0", "top", "x1", "bottom"))
        w, h = x1 - x0, y1 - y0
        if not (low <= w <= high and low <= h <= high):
            continue
        if abs(w - h) > rules.max_side_difference * max(w, h):
            continue
        filled = bool(rect.get("fill")) and _dark(rect.get("non_stroking_color"))
        squares.append((x0, y0, x1, y1, filled))
    marks = [tuple(float(p[k]) for k in ("x0", "top", "x1", "bottom")) for p in paths]
    found: list[TickBox] = []
    for x0, y0, x1, y1, filled in squares:
        ticked = filled or any(
            _inside(mark, (x0, y0, x1, y1), rules.vector_inside) for mark in marks
        )
        bbox = tuple(
            min(max(v, 0.0), 1.0)
            for v in (
                (x0 - left) / width,
                (y0 - top) / height,
                (x1 - left) / width,
                (y1 - top) / height,
            )
        )
        if bbox[2] > bbox[0] and bbox[3] > bbox[1]:
            found.append(TickBox(bbox=bbox, ink=1.0 if ticked else 0.0, source="vector"))
    return tuple(sorted(found, key=_reading_order))


def _dark(colour: object) -> bool:
    """A fill colour that prints as ink (grey, RGB or CMYK components in 0–1)."""
    if isinstance(colour, int | float):
        colour = (colour,)
    if not isinstance(colour, tuple | list) or not colour:
        return False
    try:
        values = [float(v) for v in colour]
    except (TypeError, ValueError):
        return False  # a pattern name, not a colour
    if len(values) == 4:  # CMYK: ink is added, not light
        return values[3] >= 0.5 or sum(values[:3]) / 3 >= 0.5
    return sum(values) / len(values) < 0.5


def _inside(mark: Sequence[float], box: tuple[float, float, float, float], share: float) -> bool:
    mx0, my0, mx1, my1 = mark
    x0, y0, x1, y1 = box
    area = max(mx1 - mx0, 1e-3) * max(my1 - my0, 1e-3)
    # A mark that is the box's own outline (drawn as four lines) is no tick.
    if mx1 - mx0 >= 0.95 * (x1 - x0) and my1 - my0 <= 0.05 * (y1 - y0):
        return False
    if my1 - my0 >= 0.95 * (y1 - y0) and mx1 - mx0 <= 0.05 * (x1 - x0):
        return False
    w = min(mx1, x1) - max(mx0, x0)
    h = min(my1, y1) - max(my0, y0)
    if w < 0 or h < 0:
        return False
    return max(w, 1e-3) * max(h, 1e-3) / area >= share


# --- characters ------------------------------------------------------------------------


def box_glyphs(rules: TickDetection) -> frozenset[str]:
    """The characters that print a tick box, ticked or empty."""
    return frozenset(rules.ticked_glyphs + rules.empty_glyphs)


def char_extents(text: str, x0: float, x1: float) -> list[tuple[float, float]]:
    """Where each character of a line sits across its box ``x0``–``x1``.

    OCR and DOCX lines carry no per-character geometry: characters are spread by their
    width, an ideograph (and, in Chinese type, the ambiguous-width ☑ □ （ “) a full em,
    Latin letters, digits and spaces half of one.
    """
    widths = [1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text]
    total = sum(widths)
    if total <= 0:
        return []
    extents: list[tuple[float, float]] = []
    position = x0
    for width in widths:
        step = (x1 - x0) * width / total
        extents.append((position, position + step))
        position += step
    return extents


def glyph_boxes(lines: Iterable[TextLine], rules: TickDetection) -> tuple[TickBox, ...]:
    """Boxes printed as characters (☑ / □) in positioned text lines.

    A line's characters are spread over its box by width (``char_extents``: DOCX lines
    have no finer geometry), so a glyph's box is its share of the line.
    """
    ticked, empty = set(rules.ticked_glyphs), set(rules.empty_glyphs)
    found: list[TickBox] = []
    for line in lines:
        text = line.text
        if not any(c in ticked or c in empty for c in text):
            continue
        x0, y0, x1, y1 = line.bbox
        for char, (left, right) in zip(text, char_extents(text, x0, x1), strict=True):
            if char in ticked or char in empty:
                found.append(
                    TickBox(
                        bbox=(min(left, x1), y0, min(right, x1), y1),
                        ink=1.0 if char in ticked else 0.0,
                        source="glyph",
                    )
                )
    return tuple(sorted(found, key=_reading_order))
