"""Seals on colour scans: rings of red ink (the colour path of ``seal_impressions``).

Seal ink is judged against the paper round it (``seal_ink.paper_relative_redness``:
colour casts, uneven light and tinted paper cancel out), faint ink kept where it joins
surely red ink. Outlines come from two sources: each region of closed ink of a seal's size
(ellipse, or rectangle for a square seal), and rings found by the Hough transform in the
ink no region seal explains, refitted as ellipses to the ring ink round them (seals that
touch or overlap, a seal cut by the edge, a partial impression, a circle seen at an
angle). An outline is a seal when red ink runs round it on one thin line (the ring) with
paper just outside, the ring is thin for its size, there is lettering (or a star) inside
it, and it is not filled. Red printed headers and rules are too long for their height; red
handwriting, a header word and red glyph clusters have no one ring; a marker circle drawn
round a cell is thick and has no red lettering inside; a filled block is too full.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import cv2
import numpy as np

from pipeline.marks.seal_outlines import (
    Colour,
    Frame,
    SealCandidate,
    Shape,
    band_coverage,
    clipped,
    disc_share,
    outline_hits,
    outline_pixels,
    seal_confidence,
    share_in_view,
    spaced,
    starless_pieces,
    suppress,
    thin_band_peak,
    unit_rays,
)
from pipeline.rulebook.marks import RingSearch, SealDetection
from pipeline.seal_ink import paper_relative_redness

# An ink measure: ``(how much of the ink's colour, its channel's share)`` per pixel of a
# work-scale RGB page, against paper within a window (px); ``seal_ink.paper_relative_*``.
InkMeasure = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]


def red_ink(
    small: np.ndarray,
    frame: Frame,
    rules: SealDetection,
    measure: InkMeasure = paper_relative_redness,
    levels: tuple[float, float] | None = None,
    min_share: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seal ink on the work-scale colour page, red against its own paper and not as dark
    as print: ``(sure, ink, faint)``, the ink surely red, with the faint ink joined to it,
    and all faintly red ink (thin lettering of a pale seal, maroon glyphs on green).

    Another ink (``ink_seals``: blue, black) is found the same way with its own
    ``measure``, faint and sure ``levels`` and ``min_share`` (default: the red ones)."""
    window = max(3, round(rules.paper_window_mm * frame.unit))
    redness, red_share = measure(small, window)
    low, high = rules.ink_redness if levels is None else levels
    bright = red_share >= (rules.ink_min_red_share if min_share is None else min_share)
    sure = (redness >= high) & bright
    # Faded and pale ink is taken where it joins ink that is surely red (hysteresis):
    # a faint ring is continuous with its stronger parts, paper noise is not.
    faint = ((redness >= low) & bright).astype(np.uint8)
    # Faint red that is broad, not a stroke, is tinted paper or a shaded table cell: not
    # ink (a seal's strokes, star arms aside, are thinner than this).
    side = max(3, round(rules.tint_mm * frame.unit) | 1)
    # Only the faint ink's bounding box, with a kernel round it, is opened and labelled:
    # outside it both are empty (the same masks as on the whole page, a third the work).
    x, y, w, h = cv2.boundingRect(faint)
    x0, y0 = max(0, x - side), max(0, y - side)
    x1, y1 = min(faint.shape[1], x + w + side), min(faint.shape[0], y + h + side)
    box = faint[y0:y1, x0:x1]  # a view: edits reach faint
    sure_box = sure[y0:y1, x0:x1]
    broad = _broad(box, side)
    if broad is not None:
        box[broad & ~sure_box] = 0
    count, labels, stats = _components(box)
    if count <= 1:
        return sure, sure, faint > 0
    seeded = np.zeros(count, bool)
    seeded[labels[sure_box]] = True
    # A pale seal (pink ink, its lettering faded or blurred) may have no surely red pixel
    # at all: a faintly red line as long as an arc of the smallest seal is its ring, not
    # JPEG colour noise or the bleed round print (specks a few pixels long).
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    seeded |= extent >= rules.faint_arc * frame.long_axis[0]
    seeded[0] = False
    ink = np.zeros_like(sure)
    ink[y0:y1, x0:x1] = seeded[labels]
    return sure, ink, faint > 0


def _broad(mask: np.ndarray, side: int) -> np.ndarray | None:
    """Where ``mask`` (uint8 0/1) is opened by a disc ``side`` across (ink too broad for a
    stroke), or None where nothing is: the same as the whole opening. The opening is
    empty where an erosion by the square inside the disc is (the disc holds the square),
    as it is on most pages: that one is cheap (a square's is separable); otherwise the
    disc is eroded and dilated only round what the square left, a disc's reach about."""
    disc = _disc(side)
    core = np.ones((_inner_square(side),) * 2, np.uint8)
    rough = cv2.erode(mask, core)
    x, y, w, h = cv2.boundingRect(rough)
    if w == 0 or h == 0:
        return None
    x0, y0 = max(0, x - side), max(0, y - side)
    x1, y1 = min(mask.shape[1], x + w + side), min(mask.shape[0], y + h + side)
    eroded = cv2.erode(mask[y0:y1, x0:x1], disc)
    # (Outside the square's box the disc's erosion is empty; near the crop's rim it is
    # not known, so it is kept to the box.)
    held = np.zeros_like(eroded)
    held[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = eroded[
        y - y0 : y - y0 + h, x - x0 : x - x0 + w
    ]
    broad = np.zeros(mask.shape, bool)
    broad[y0:y1, x0:x1] = cv2.dilate(held, disc) > 0
    return broad


@functools.lru_cache(maxsize=16)
def _disc(side: int) -> np.ndarray:
    """The disc (ellipse structuring element) ``side`` across, made once."""
    disc: np.ndarray = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    disc.flags.writeable = False
    return disc


@functools.lru_cache(maxsize=16)
def _inner_square(side: int) -> int:
    """The side of the largest centred square (odd) inside ``_disc(side)``."""
    disc = _disc(side)
    c = side // 2
    k = 0
    while k + 1 <= c and disc[c - k - 1 : c + k + 2, c - k - 1 : c + k + 2].all():
        k += 1
    return 2 * k + 1


# Labels held in 16 bits: OpenCV labels such a mask at a third of the CPU of 32-bit ones.
_LABELS_16 = 65535


def _components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats`` of ``mask`` (uint8, 8-connected): count,
    labels and stats; the labels 16-bit where they cannot run past it (fewer set pixels,
    or fewer 2x2 blocks with one: the pixels of a block are all neighbours), else 32-bit.
    The same labels either way."""
    small = cv2.countNonZero(mask) < _LABELS_16
    if not small:
        blocks = cv2.dilate(mask, np.ones((2, 2), np.uint8), anchor=(0, 0))[::2, ::2]
        small = int(np.count_nonzero(blocks)) < _LABELS_16
    ltype = cv2.CV_16U if small else cv2.CV_32S
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=ltype)
    return int(count), labels, stats


def paper_tint(small: np.ndarray) -> np.ndarray:
    """How red each pixel of the work-scale RGB page is as it stands (not against the
    paper round it): red over the larger of green and blue, 0-1 (white or grey paper 0,
    peach or pink shading ~0.08, negative on blue or green paper)."""
    # In int16 then float32 (the same float32 values as the difference of float planes,
    # without the page's float (H, W, 3) copy: a third of the time).
    red, green, blue = cv2.split(small)  # (one pass, not three extractChannel calls)
    diff = red.astype(np.int16) - cv2.max(green, blue)
    tint: np.ndarray = diff.astype(np.float32) / np.float32(255.0)
    return tint


def red_candidates(
    sure: np.ndarray,
    ink: np.ndarray,
    faint: np.ndarray,
    frame: Frame,
    rules: SealDetection,
    colour: Colour = "red",
    page: np.ndarray | None = None,
) -> list[SealCandidate]:
    """Seals in a (work-scale) red-ink mask: regions that are one seal (of the sure ink
    too: faint ink can join a seal to red print next to it), and rings fitted to the ink
    where seals touch, overlap, are cut by the edge or broken. ``colour``: the ink the
    masks are of (``ink_seals`` runs this on blue and black ink too). ``page``: the
    work-scale RGB page, when the paper inside a ring is to be the paper round it."""
    # The background round a photographed page (a wooden table) is not ink, and an
    # outline running over it runs off the page there.
    beyond = beyond_page(sure, frame, rules)
    if beyond is not None:
        one = sure is ink
        sure = sure & ~beyond
        ink = sure if one else ink & ~beyond
        faint = faint & ~beyond
    if not ink.any():
        return []  # (a pale seal's ring may be faint ink only: ``red_ink``'s faint_arc)
    # (made here, past the pages with no ink: most pages carry no seal)
    tint = None if page is None else paper_tint(page)
    # The ring is looked for in all faintly red ink (a pale ring breaks into arcs, some
    # too short to count as ink by themselves), a pixel's slack either way.
    tolerant = cv2.dilate(faint.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0

    def checked(
        outlines: list[_Outline],
        around: np.ndarray | None = None,
        clear: bool = False,
        partial_around: np.ndarray | None = None,
        searched: bool = False,
        near_refused: list[bool] | None = None,
    ) -> list[SealCandidate]:
        found = []
        for outline in outlines:
            centre, axes, angle, square = outline
            seal = _check_red(
                centre,
                axes,
                angle,
                square,
                ink,
                tolerant,
                faint,
                frame,
                rules,
                tint,
                around,
                beyond,
                clear=clear,
                partial_around=partial_around,
                searched=searched,
                near_refused=near_refused,
            )
            if seal is not None:
                found.append(seal)
        return found

    outlines = _region_outlines(ink, frame, rules)
    if sure is not ink:
        outlines += _region_outlines(sure, frame, rules)
    found = suppress(checked(outlines))
    # Rings are looked for in the ink no region seal explains (most pages stop here:
    # each seal its own region).
    rest = ink.astype(np.uint8)
    hidden = np.zeros_like(rest)  # where the seals found cover the ink: left out
    for seal in found:
        if seal.ring_coverage < rules.ring_search_peak:
            continue  # maybe the joint outline of two seals half over each other
        a, b = seal.axes
        if seal.shape == "square":
            box = cv2.boxPoints((seal.centre, (2.3 * a, 2.3 * b), seal.angle_deg))
            cv2.fillPoly(hidden, [np.round(box).astype(np.int32)], 1)
        else:
            centre = (round(seal.centre[0]), round(seal.centre[1]))
            cv2.ellipse(
                hidden, centre, (round(1.15 * a), round(1.15 * b)), seal.angle_deg, 0, 360, 1, -1
            )
    rest[hidden > 0] = 0
    if rules.ring_search_extent > 0:
        rest = _ring_sized(rest, rules.ring_search_extent * frame.long_axis[0])
    # Too little ink left for half of the smallest ring: nothing to look for.
    if int(rest.sum()) >= math.pi * frame.long_axis[0] / 2:
        # Paper just outside a ring is judged without the rings of the seals found: a
        # seal stamped half over another has that one's ring just outside its own.
        around = _without_rings(ink.astype(np.uint8), found)
        weak: list[_Outline] = []
        searched: list[_Outline] = []
        rings = _ring_outlines(
            rest > 0, frame, rules, ink, hidden > 0, beyond, faint, weak, searched
        )
        strong = [o for o in rings if o not in weak]
        # (Which of them were refused for the ink just outside a partial ring only: the
        # only ones the check with ``partial_around`` below can pass.)
        near = [[] for _ in strong]  # type: list[list[bool]]
        more = [
            checked([o], around > 0, searched=o in searched, near_refused=n)
            for o, n in zip(strong, near, strict=True)
        ]
        found += [s for one in more for s in one]
        # What only a weaker search found is kept where nothing else was: it is there for
        # a seal the others missed, not to outrank them (an arc of a seal's lettering) -
        # or where it is another seal stamped over one found (``_over``).
        alone = checked(weak, around > 0, clear=True)
        # So is a partial ring whose clear paper is judged without all the ink, ring and
        # lettering, of the sure seals found (``around_ring_seals``): a faint seal stamped
        # half over one has both just outside its own ring. The ring search's outlines
        # that failed are checked once more so, and kept with a star of their own.
        # (Whole rings are judged as before: with all outside checks so, arcs of two seals
        # over each other and of the real seal-06's red title passed too.)
        confident = [s for s in found if _sure_seal(s, rules)]
        if confident:
            cleared = _without_rings(around.copy(), confident, disc=True) > 0
            for outline, passed, refused in zip(strong, more, near, strict=True):
                if not passed and refused:
                    rechecked = checked(
                        [outline],
                        around > 0,
                        partial_around=cleared,
                        searched=outline in searched,
                    )
                    alone += [s for s in rechecked if s.star]
        if rules.pair_oval_overlap > 0:
            for outline, pieces in _pair_ovals(suppress(found), ink, rules):
                found += [s for s in checked([outline], around > 0) if _fuller(s, pieces, rules)]
        found += [
            seal
            for seal in alone
            if not any(_near(seal, other) and not _over(seal, other, rules) for other in found)
        ]
    kept = suppress(starless_pieces(found), rules.over_seal_offset, rules.over_seal_peak)
    return kept if colour == "red" else [replace(seal, colour=colour) for seal in kept]


def _ring_sized(rest: np.ndarray, least_px: float) -> np.ndarray:
    """The regions of ``rest`` (uint8, 0/1) at least ``least_px`` across (the ring search's
    ink when ``ring_search_extent`` is set): a ring nearly whole runs in one or a few long
    arcs, a line of print in glyphs far shorter than the smallest seal."""
    count, labels, stats = _components(rest)
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    keep = extent >= least_px
    keep[0] = False
    if count <= 1:
        return rest
    sized: np.ndarray = keep[labels].astype(np.uint8)
    return sized


def _without_rings(
    ink: np.ndarray, seals: Sequence[SealCandidate], disc: bool = False
) -> np.ndarray:
    """``ink`` (uint8, changed in place) less the rings of ``seals`` (round and oval), or
    their whole ``disc``: the ink paper just outside another ring is judged on."""
    for seal in seals:
        if seal.shape != "square":
            a, b = seal.axes
            centre = (round(seal.centre[0]), round(seal.centre[1]))
            if disc:
                axes = (round(1.05 * a), round(1.05 * b))
                cv2.ellipse(ink, centre, axes, seal.angle_deg, 0, 360, 0, -1)
                continue
            band = max(2, round(0.2 * min(a, b)))
            axes = (round(0.95 * a), round(0.95 * b))
            cv2.ellipse(ink, centre, axes, seal.angle_deg, 0, 360, 0, band)
    return ink


def _sure_seal(seal: SealCandidate, rules: SealDetection) -> bool:
    """Whether a seal found is sure enough that all its ink is left out of the paper just
    outside other rings when they are checked again (``around_ring_seals``): a star and
    its ring on its line in ``over_seal_peak`` of its directions."""
    if not (rules.around_ring_seals and rules.over_seal_offset > 0):
        return False  # (other inks: no seal within a seal, over_seal_offset 0)
    return seal.star and seal.ring_coverage >= rules.over_seal_peak


def _near(one: SealCandidate, two: SealCandidate) -> bool:
    """Whether either seal's centre lies within the other's larger semi-axis."""
    return math.dist(one.centre, two.centre) < max(*one.axes, *two.axes)


def _over(weak: SealCandidate, seal: SealCandidate, rules: SealDetection) -> bool:
    """Whether an outline only a weaker search found, near a seal found (``_near``), is
    another seal stamped over it (``weak_over_seal``): a star of its own, its ring on its
    line in ``over_seal_peak`` of its directions, and each centre out by its ring from the
    other's (``over_seal_offset`` of either's shorter semi-axis), not in its middle where
    an arc of its lettering would lie. ``suppress`` then judges the two as any others."""
    if not (rules.weak_over_seal and rules.over_seal_offset > 0 and weak.star):
        return False
    if weak.ring_coverage < rules.over_seal_peak:
        return False
    apart = math.dist(weak.centre, seal.centre)
    return apart >= rules.over_seal_offset * max(min(weak.axes), min(seal.axes))


def beyond_page(sure: np.ndarray, frame: Frame, rules: SealDetection) -> np.ndarray | None:
    """What lies beyond the page (``beyond_page_mm``): surely inked ground that is broad
    (a disc that wide fits in it, once closed over ``merge_mm``), reaches the image's edge
    and runs longer along it than the largest seal - the wooden table round a photographed
    page - with its ragged rim (``merge_mm``); None where there is none. A seal's strokes are
    thin, and a seal cut by the edge runs along it no longer than the seal."""
    if rules.beyond_page_mm <= 0:
        return None
    h, w = sure.shape
    merge = max(3, round(rules.merge_mm * frame.unit) | 1)
    if not (sure[0].any() or sure[-1].any() or sure[:, 0].any() or sure[:, -1].any()):
        return None  # (most pages: no sure ink on the image's edge at all)
    rim = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (merge, merge))
    closed = cv2.morphologyEx(sure.astype(np.uint8), cv2.MORPH_CLOSE, rim)
    side = max(3, round(rules.beyond_page_mm * frame.unit) | 1)
    broad = cv2.morphologyEx(
        closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(broad, connectivity=8)
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    bw, bh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    edge = (x <= 0) | (y <= 0) | (x + bw >= w) | (y + bh >= h)
    ground = edge & (np.maximum(bw, bh) > frame.long_axis[1])
    ground[0] = False
    if count <= 1 or not ground.any():
        return None
    beyond: np.ndarray = cv2.dilate(ground[labels].astype(np.uint8), rim) > 0
    return beyond


# Rings are looked for by the Hough transform on a copy where the largest is this big.
HOUGH_RADIUS_PX = 48.0

_Outline = tuple[tuple[float, float], tuple[float, float], float, bool]


def _region_outlines(ink: np.ndarray, frame: Frame, rules: SealDetection) -> list[_Outline]:
    """One outline per region of closed ink of a seal's size: ellipse, or a rectangle
    when the region's hull fills it (a square seal)."""
    merge = max(3, round(rules.merge_mm * frame.unit) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (merge, merge))
    # Only the ink's bounding box, with more than the kernel round it, is closed: outside
    # it the closing is empty (the same contours, shifted back, as on the whole page).
    x, y, w, h = cv2.boundingRect(ink.astype(np.uint8))
    if w == 0 or h == 0:
        return []
    x0, y0 = max(0, x - merge - 2), max(0, y - merge - 2)
    x1, y1 = min(ink.shape[1], x + w + merge + 2), min(ink.shape[0], y + h + merge + 2)
    crop = ink[y0:y1, x0:x1].astype(np.uint8) * 255
    closed = cv2.morphologyEx(crop, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(
        closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE, offset=(x0, y0)
    )
    low, high = frame.long_axis
    found: list[_Outline] = []
    for contour in contours:
        bx, by, w, h = cv2.boundingRect(contour)
        # (Ink is measured against paper round it: within about the merge gap of the
        # edge a seal's ring may fade out of the mask before the edge cuts it.)
        near = merge
        if min(bx, by) <= near or bx + w >= ink.shape[1] - near or by + h >= ink.shape[0] - near:
            found += _cut_outlines(contour, ink, near, frame, rules)
        if max(w, h) < low or max(w, h) > high * 1.1 or min(w, h) * rules.max_aspect < max(w, h):
            continue  # too small, too big, or a line of red print / a rule
        hull = cv2.convexHull(contour)
        if len(hull) < 5:
            continue
        hull_area = float(cv2.contourArea(hull))
        (rx, ry), (rw, rh), r_angle = cv2.minAreaRect(hull)
        if hull_area / max(rw * rh, 1.0) >= rules.square_fill:
            found.append(((float(rx), float(ry)), (rw / 2.0, rh / 2.0), float(r_angle), True))
        else:
            (ex, ey), (d1, d2), e_angle = cv2.fitEllipse(hull)
            found.append(((float(ex), float(ey)), (d1 / 2.0, d2 / 2.0), float(e_angle), False))
    return found


def _cut_outlines(
    contour: np.ndarray, ink: np.ndarray, near: int, frame: Frame, rules: SealDetection
) -> list[_Outline]:
    """The outline of a seal cut by the image's edge, from the region's contour off the
    edge (the edge itself is a chord, not the seal's): a circle (also refitted to the ring
    ink) and an ellipse fitted to that arc; ``near``: pixels from the edge that count as
    on it. Such a region may be half as tall as wide, past max_aspect; the ring checks
    judge the part on the image."""
    h, w = ink.shape
    points = contour[:, 0, :].astype(np.float64)
    off_edge = (
        (points[:, 0] > near)
        & (points[:, 0] < w - 1 - near)
        & (points[:, 1] > near)
        & (points[:, 1] < h - 1 - near)
    )
    arc = points[off_edge]
    low, high = frame.long_axis
    span = float(np.ptp(arc, axis=0).max()) if len(arc) else 0.0
    if len(arc) < 8 or span < low / 2 or span > high * 1.1:
        return []
    found: list[_Outline] = []
    # A circle through the arc (least squares: x^2 + y^2 + D x + E y + F = 0).
    design = np.column_stack([arc[:, 0], arc[:, 1], np.ones(len(arc))])
    (d, e, f), *_ = np.linalg.lstsq(design, -(arc**2).sum(axis=1), rcond=None)
    cx, cy = -d / 2.0, -e / 2.0
    r2 = cx * cx + cy * cy - f
    if r2 > 0 and 0 <= cx < w and 0 <= cy < h:
        r = math.sqrt(r2)
        if low <= 2 * r <= high:
            found.append(((float(cx), float(cy)), (r, r), 0.0, False))
            # The contour runs round the closed ink, a little off the ring's own line:
            # refitted to the ring ink as the Hough rings are.
            fitted = _fit_ring(ink, (float(cx), float(cy)), r, rules)
            if fitted is not None:
                found.append((fitted[0], fitted[1], fitted[2], False))
            if rules.edge_held_ellipse:
                found.extend(_held_ellipse(ink, ((float(cx), float(cy)), (r, r), 0.0), rules))
    if len(arc) >= 5:
        (ex, ey), (d1, d2), angle = cv2.fitEllipse(arc.astype(np.float32))
        if 0 <= ex < w and 0 <= ey < h and min(d1, d2) > 0:
            found.append(((float(ex), float(ey)), (d1 / 2.0, d2 / 2.0), float(angle), False))
    return found


def _cut_share(ring: np.ndarray, shape: tuple[int, ...], hidden: np.ndarray | None) -> float:
    """Share of a Hough ring ``(x, y, r)`` off an image of ``shape`` or under ``hidden``
    (bool)."""
    x, y, r = (float(v) for v in ring)
    yi, xi, on = outline_pixels(shape, (x, y), (r, r), 0.0, False, np.array([1.0]), 72)
    off = ~on[:, 0]
    if hidden is not None:
        off |= hidden[yi[:, 0], xi[:, 0]]
    return float(off.mean())


def _ring_fits(
    ink: np.ndarray,
    centre: tuple[float, float],
    radius: float,
    rules: SealDetection,
    cut_only: bool = False,
    beyond: np.ndarray | None = None,
    faint: np.ndarray | None = None,
    weak: list[_Outline] | None = None,
) -> list[_Outline]:
    """Outlines for a Hough ring: refitted as an ellipse to the ring ink; a ring cut by
    the image's edge (``edge_off_share`` of it off the image or more) also as itself and
    refitted as a circle (its arc on the page is too short to fix an ellipse's five
    parameters: the fit swings off round the missing part, or too few rays reach ink).
    ``cut_only``: a ring from the lower-vote search (``edge_ring_votes``): one cut by the
    edge only as a circle. ``beyond``: the ground beyond the page, an edge as well;
    ``faint``: where a star is looked for (``ring_grow``; default ``ink``). ``weak``: where
    the circle refitted for an ellipse fit that swung off (``ring_swing``) and the ellipse
    held round a cut ring's own centre (``edge_hough_held``) are also put."""
    found: list[_Outline] = []
    view = _in_view(ink.shape, centre, (radius, radius), 0.0, False, rules.ring_bins, beyond)
    edge = view.mean() <= 1.0 - rules.edge_off_share
    grow = rules.ring_grow
    swung = False
    if not (cut_only and edge):
        fitted = _fit_ring(ink, centre, radius, rules)
        swung = fitted is None or _swung(fitted, centre, radius, rules.ring_swing)
        if fitted is not None:
            found.append((fitted[0], fitted[1], fitted[2], False))
            if grow > 1.0:
                # The fit may have settled on the lettering inside the ring: tried again
                # from an outline that much larger (the ring is then the nearer ink).
                (a, b), turn = fitted[1], fitted[2]
                # Only round a star: loops of red handwriting grow into outlines too.
                again = _fit_ring(ink, fitted[0], radius, rules, start=((grow * a, grow * b), turn))
                if (
                    again is not None
                    and _grew(fitted, again, grow)
                    and disc_share(
                        ink if faint is None else faint,
                        again[0],
                        rules.star_radius * min(again[1]),
                    )
                    >= rules.star_share
                ):
                    found.append((again[0], again[1], again[2], False))
    if edge:
        found.append((centre, (radius, radius), 0.0, False))
        if rules.edge_held_ellipse and rules.edge_hough_held:
            # (The Hough ring's own centre may be nearer the seal's than its circle
            # refit's: an angled seal's circle settles on its short axis, off centre.)
            # Weak: red print along the edge makes such outlines too (the real seal-06's
            # title, seal-05's ticket).
            held = _held_ellipse(ink, (centre, (radius, radius), 0.0), rules)
            found.extend(held)
            if weak is not None:
                weak.extend(held)
    if edge or (swung and rules.ring_swing > 0):
        # (A partial impression whose faint side left no ring ink is an arc as a ring cut
        # by the edge is: an ellipse fit to it swings off round the missing part.)
        fitted = _fit_ring(ink, centre, radius, rules, circle=True)
        if fitted is not None:
            found.append((fitted[0], fitted[1], fitted[2], False))
            if not edge and weak is not None:
                weak.append(found[-1])
            elif edge and rules.edge_held_ellipse:
                found.extend(_held_ellipse(ink, fitted, rules))
    return found


def _held_ellipse(
    ink: np.ndarray,
    circle: tuple[tuple[float, float], tuple[float, float], float],
    rules: SealDetection,
) -> list[_Outline]:
    """An oval or an angled seal cut by the image's edge (``edge_held_ellipse``): the
    circle refitted to its arc settles on its short axis (too small for a seal), and a
    free ellipse fit swings off round the missing part; an ellipse round the circle's
    centre, held there, takes its axes and angle from the arc."""
    held = _fit_ring(ink, circle[0], circle[1][0], rules, start=(circle[1], 0.0), held=True)
    return [] if held is None else [(held[0], held[1], held[2], False)]


def _swung(
    fitted: tuple[tuple[float, float], tuple[float, float], float],
    centre: tuple[float, float],
    radius: float,
    share: float,
) -> bool:
    """Whether an ellipse refitted to a Hough ring swung away from it (``ring_swing``):
    its centre moved, or its size changed, by more than that share of the ring's radius."""
    size = math.sqrt(fitted[1][0] * fitted[1][1])
    return math.dist(fitted[0], centre) > share * radius or abs(size - radius) > share * radius


def _grew(
    first: tuple[tuple[float, float], tuple[float, float], float],
    again: tuple[tuple[float, float], tuple[float, float], float],
    grow: float,
) -> bool:
    """Whether a fit tried again from a larger outline (``ring_grow``) came out another,
    larger ring (not the first fit found again)."""
    return math.sqrt(again[1][0] * again[1][1]) >= math.sqrt(first[1][0] * first[1][1]) * (
        1.0 + (grow - 1.0) / 3.0
    )


def _pair_ovals(
    seals: list[SealCandidate], ink: np.ndarray, rules: SealDetection
) -> list[tuple[_Outline, tuple[SealCandidate, SealCandidate]]]:
    """An oval seal whose ring was found as two round pieces (the Hough search looks for
    circles: the two ends of an oval, or an oval under another seal, each pass as a ring
    of their own): an ellipse spanning each pair of round seals that overlap by
    ``pair_oval_overlap`` of the smaller's radius or more, refitted to the ring ink.
    Checked as every outline is; where it is a seal its ring is fuller than either piece's
    and ``suppress`` keeps it over them (``pair_oval_gain``). Each with the two pieces it spans."""
    found: list[tuple[_Outline, tuple[SealCandidate, SealCandidate]]] = []
    rounds = [s for s in seals if s.shape == "round"]
    for i, one in enumerate(rounds):
        for two in rounds[i + 1 :]:
            r1, r2 = one.axes[0], two.axes[0]
            d = math.dist(one.centre, two.centre)
            if r1 + r2 - d < rules.pair_oval_overlap * min(r1, r2) or d < 0.1 * max(r1, r2):
                continue
            (x1, y1), (x2, y2) = one.centre, two.centre
            long = (d + r1 + r2) / 2
            short = (r1 + r2) / 2
            if long / short > rules.max_aspect:
                continue
            # The middle of the span, on the line through both centres.
            shift = (r2 - r1) / 2 / d
            centre = ((x1 + x2) / 2 + (x2 - x1) * shift, (y1 + y2) / 2 + (y2 - y1) * shift)
            angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
            fitted = _fit_ring(ink, centre, short, rules, start=((long, short), angle))
            if fitted is not None:
                found.append(((fitted[0], fitted[1], fitted[2], False), (one, two)))
    return found


def _fuller(oval: SealCandidate, pieces: Sequence[SealCandidate], rules: SealDetection) -> bool:
    """Whether an oval tried over two round pieces (``_pair_ovals``) has a ring fuller
    than either's by ``pair_oval_gain``: two round seals stamped over each other leave an
    outline round both whose ring is not."""
    return oval.ring_coverage >= max(p.ring_coverage for p in pieces) + rules.pair_oval_gain


def _fit_centred_ellipse(
    points: np.ndarray, centre: tuple[float, float]
) -> tuple[tuple[float, float], float] | None:
    """The least-squares ellipse round ``centre`` through ``points`` (n, 2): ``A x^2 + B x y
    + C y^2 = 1`` about the centre, three parameters an arc fixes where five do not;
    its semi-axes and angle (degrees), None when the points fix no ellipse."""
    x = points[:, 0] - centre[0]
    y = points[:, 1] - centre[1]
    design = np.column_stack([x * x, x * y, y * y])
    (a, b, c), *_ = np.linalg.lstsq(design, np.ones(len(points)), rcond=None)
    # Eigenvalues of [[a, b/2], [b/2, c]]: 1 / semi-axis^2 along its eigenvectors.
    mean, half = (a + c) / 2.0, math.hypot((a - c) / 2.0, b / 2.0)
    small, large = mean - half, mean + half
    if not (small > 0 and math.isfinite(large)):
        return None
    angle = 0.5 * math.degrees(math.atan2(b, a - c))  # direction of the larger eigenvalue
    # cv2 convention: axes[0] along ``angle``; the short semi-axis lies along the larger
    # eigenvalue's direction.
    return (1.0 / math.sqrt(large), 1.0 / math.sqrt(small)), angle


def _fit_circle(points: np.ndarray) -> tuple[tuple[float, float], float] | None:
    """The least-squares circle through ``points`` (n, 2): ``x^2 + y^2 + D x + E y + F =
    0``; None when they fix none."""
    design = np.column_stack([points[:, 0], points[:, 1], np.ones(len(points))])
    (d, e, f), *_ = np.linalg.lstsq(design, -(points**2).sum(axis=1), rcond=None)
    cx, cy = -d / 2.0, -e / 2.0
    r2 = cx * cx + cy * cy - f
    if not (r2 > 4 and math.isfinite(cx) and math.isfinite(cy)):
        return None
    return (float(cx), float(cy)), math.sqrt(r2)


def _ring_outlines(
    ink: np.ndarray,
    frame: Frame,
    rules: SealDetection,
    whole: np.ndarray | None = None,
    hidden: np.ndarray | None = None,
    beyond: np.ndarray | None = None,
    faint: np.ndarray | None = None,
    weak: list[_Outline] | None = None,
    searched: list[_Outline] | None = None,
) -> list[_Outline]:
    """Rings found by the Hough transform on the ink, each refitted as an ellipse to the
    ring ink round it: seals that touch or overlap, arcs of a partial impression or of a
    seal cut by the image's edge, ovals and circles seen at an angle.

    ``hidden``: where ``ink`` was left out (the seals already found), ``whole``: the ink
    with it (rings are refitted to that); ``beyond``: the ground beyond the page
    (``beyond_page``), which cuts a ring as the image's edge does; ``faint``: all faintly
    red ink, where a star is looked for (``ring_grow``; default the ink). A ring cut by the
    image's edge or running under ``hidden`` is looked for again at ``edge_ring_votes`` of
    the votes: its arc in view draws fewer; so is one round a star (``starred_ring_votes``).
    ``weak``: where the outlines only those weaker searches found are also put (a ring taken
    at fewer votes for its star alone, a circle for a fit that swung off): ``_check_red``
    wants clear paper round them (``clear``). ``searched``: where the outlines the circle
    search round each ring tried found are also put (``ring_search``; none without it).

    The radii are searched an octave at a time, each on a copy scaled so its largest ring
    is ``HOUGH_RADIUS_PX``: the cost stays flat whatever the seal's size, and big rings
    (a red table frame) do not crowd out the seal-sized ones.
    """
    low, high = frame.long_axis
    # (A ring refitted from the search is an ellipse, never a square: a seal only when
    # at least min_round long; ``hough_from_round``. Without believable mm, min_round is
    # the smallest seal's of any shape: the search starts at ``unsized_round_share``.)
    round_low = frame.min_round
    if not frame.by_size and rules.unsized_round_share > 0:
        short = low / rules.long_axis_share[0]
        round_low = max(round_low, rules.unsized_round_share * short)
    r_low = max(4.0, (round_low if rules.hough_from_round else low) / 2 / rules.max_aspect)
    r_high = max(r_low + 2, high / 2)
    mask = ink.astype(np.uint8) * 255
    h, w = ink.shape
    fit_ink = ink if whole is None else whole
    if beyond is not None:
        hidden = beyond if hidden is None else hidden | beyond
    found: list[_Outline] = []
    tried: list[tuple[float, float, float]] = []
    starred_tried: list[tuple[float, float, float]] = []
    star_ink = ink if faint is None else faint
    # A ring cut by the image's edge draws votes from its arc on the page only.
    edge_votes = round(rules.hough_votes_red * rules.edge_ring_votes)
    band_low = r_low
    while band_low < r_high:
        band_high = min(r_high, 2.0 * band_low)
        shrink = min(1.0, HOUGH_RADIUS_PX / band_high)
        size = (max(1, round(w * shrink)), max(1, round(h * shrink)))
        small = cv2.resize(mask, size, interpolation=cv2.INTER_AREA) if shrink < 1.0 else mask
        r_min = max(3, math.floor(band_low * shrink))
        blurred = cv2.GaussianBlur(small, (5, 5), 1.5)
        r_max = max(r_min + 2, math.ceil(band_high * shrink))
        band_low = band_high
        for votes, cut in ((rules.hough_votes_red, False), (edge_votes, True)):
            if votes <= 0:
                continue
            circles = cv2.HoughCircles(
                blurred,
                cv2.HOUGH_GRADIENT,
                dp=1.5,
                minDist=r_min,
                param1=100,
                param2=votes,
                minRadius=r_min,
                maxRadius=r_max,
            )
            if circles is None:
                continue
            rings = circles[0] / shrink
            starred = rings[:0]
            if cut:
                # Only rings cut by the edge or by a seal found are taken at the lower vote,
                # and (``starred_ring_votes``, apart) rings round a star: a faint impression
                # whose ring is left in arcs draws fewer votes, its star marks a seal's centre.
                cut_by = [
                    _cut_share(ring, ink.shape, hidden) >= rules.edge_off_share for ring in rings
                ]
                if rules.starred_ring_votes and weak is not None:
                    starred = rings[
                        [
                            not by and _starred(star_ink, ring, rules)
                            for ring, by in zip(rings, cut_by, strict=True)
                        ]
                    ]
                rings = rings[cut_by]
            for x, y, r in rings[: rules.max_rings_tried]:
                if any(
                    math.hypot(x - tx, y - ty) < 0.2 * r and abs(r - tr) < 0.2 * r
                    for tx, ty, tr in tried
                ):
                    continue  # the same ring again
                tried.append((float(x), float(y), float(r)))
                found += _ring_fits(
                    fit_ink,
                    (float(x), float(y)),
                    float(r),
                    rules,
                    cut_only=cut,
                    beyond=beyond,
                    faint=faint,
                    weak=weak,
                )
            for x, y, r in starred[: rules.max_rings_tried]:
                if any(
                    math.hypot(x - tx, y - ty) < 0.2 * r and abs(r - tr) < 0.2 * r
                    for tx, ty, tr in tried + starred_tried
                ):
                    continue  # the same ring again
                starred_tried.append((float(x), float(y), float(r)))
                # Taken for its star alone: refitted as a circle only (an ellipse fitted to
                # a faint seal's arcs swings off into an oval of its lettering), and weak.
                fitted = _fit_ring(fit_ink, (float(x), float(y)), float(r), rules, circle=True)
                if fitted is not None and weak is not None:
                    found.append((fitted[0], fitted[1], fitted[2], False))
                    weak.append(found[-1])
    if rules.ring_search is not None and rules.over_seal_offset > 0 and searched is not None:
        # (Red only in effect: the other inks' over_seal_offset is 0.)
        again = _searched_rings(fit_ink, tried + starred_tried, rules, star_ink)
        found += again
        searched.extend(again)
    return found


def _searched_rings(
    ink: np.ndarray,
    rings: Sequence[tuple[float, float, float]],
    rules: SealDetection,
    star_ink: np.ndarray | None = None,
) -> list[_Outline]:
    """Each Hough ring found again by search (``ring_search``): the circle near it on
    which ink runs in the most directions on the image (``_best_circle``). Where two seals
    lie half over each other, the ring fits from a Hough ring settle on the other seal's
    ring or on lettering (the nearest ink along each ray is not this seal's); a circle is
    judged on all its directions at once, and a seal's ring runs round it where nothing
    else does. (Not refitted as an ellipse: held round the circle's centre, such fits
    settled on lettering, tuning seed 7 page 0013, and on the real seal-06's red title.)
    ``star_ink``: where ``_check_red`` looks for the star such a circle needs (default
    ``ink``); a circle without one is not returned (the check would refuse it)."""
    spec = rules.ring_search
    if spec is None:
        return []
    found: list[_Outline] = []
    done: list[tuple[float, float, float]] = []
    for x, y, r in rings:
        (cx, cy), radius = _best_circle(ink, (x, y), r, spec, rules.min_in_view)
        if any(
            math.hypot(cx - dx, cy - dy) < 0.1 * radius and abs(radius - dr) < 0.1 * radius
            for dx, dy, dr in done
        ):
            continue  # the same circle again
        done.append((cx, cy, radius))
        star = disc_share(
            ink if star_ink is None else star_ink, (cx, cy), rules.star_radius * radius
        )
        if star >= rules.star_share:
            found.append(((cx, cy), (radius, radius), 0.0, False))
    return found


def _best_circle(
    ink: np.ndarray,
    centre: tuple[float, float],
    radius: float,
    spec: RingSearch,
    min_in_view: float,
) -> tuple[tuple[float, float], float]:
    """The circle near a Hough ring (``centre``, ``radius``) with ink in the most of its
    directions on the image (centres within ``spec.reach`` of the radius, radii within
    ``spec.radii``; at least ``min_in_view`` of it on the image): a coarse grid, then a
    fine one round the best (``spec.coarse``, ``spec.fine``)."""
    h, w = ink.shape
    step, radius_step, bins = spec.coarse
    reach = spec.reach
    radii = np.arange(spec.radii[0], spec.radii[1] + 1e-9, radius_step) * radius
    best = (centre, radius)
    for fine in (False, True):
        if fine:
            reach, step, radius_reach, radius_step, bins = spec.fine
            radii = best[1] + np.arange(-radius_reach, radius_reach + 1e-9, radius_step) * radius
        cos_t, sin_t = _search_rays(bins)
        offsets = np.arange(-reach, reach + 1e-9, step) * radius
        # The grid's centres are every (column, row) pair of these: a sample's x depends on
        # the centre's column only, its y on its row, so each is worked out once per
        # column or row (the same figures as over the whole grid) and the ink is read for
        # every pair at once: (rows, columns, radii, directions).
        cols = best[0][0] + offsets
        rows = best[0][1] + offsets
        xs = cols[:, None, None] + radii[None, :, None] * cos_t[None, None, :]
        ys = rows[:, None, None] + radii[None, :, None] * sin_t[None, None, :]
        x_on = (xs >= 0) & (xs < w)
        y_on = (ys >= 0) & (ys < h)
        xi = clipped(xs.astype(np.int64), w - 1)
        yi = clipped(ys.astype(np.int64), h - 1)
        on = y_on[:, None] & x_on[None, :]
        hit = ink[yi[:, None], xi[None, :]] & on
        n = len(offsets)
        seen = np.count_nonzero(on, axis=3).reshape(n * n, len(radii))
        hits = np.count_nonzero(hit, axis=3).reshape(n * n, len(radii))
        score = np.where(seen >= min_in_view * bins, hits / np.maximum(seen, 1), 0.0)
        k, j = np.unravel_index(int(score.argmax()), score.shape)
        # (row-major over (row, column): the centre meshgrid's ravel order)
        best = ((float(cols[k % n]), float(rows[k // n])), float(radii[j]))
    return best


@functools.lru_cache(maxsize=8)
def _search_rays(bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``_best_circle``'s directions' cosines and sines, read-only, made once."""
    angles = np.linspace(0.0, 2 * math.pi, bins, endpoint=False)
    cos_t, sin_t = np.cos(angles), np.sin(angles)
    cos_t.setflags(write=False)
    sin_t.setflags(write=False)
    return cos_t, sin_t


def _starred(ink: np.ndarray, ring: np.ndarray, rules: SealDetection) -> bool:
    """Whether a Hough ring ``(x, y, r)`` has a star at its centre (``star_radius``,
    ``star_share``) in ``ink``."""
    x, y, r = (float(v) for v in ring)
    return disc_share(ink, (x, y), rules.star_radius * r) >= rules.star_share


# ``_fit_ring``'s rays and the shares of the outline sampled along each (made once).
_FIT_BINS = 120
_FIT_SHARES = spaced(0.7, 1.3, 31)
_FIT_OFF = np.abs(_FIT_SHARES - 1.0)[None, :]
_FIT_ROWS = np.arange(_FIT_BINS)
_FIT_INDEX = np.broadcast_to(np.arange(len(_FIT_SHARES)), (_FIT_BINS, len(_FIT_SHARES)))


def _fit_ring(
    ink: np.ndarray,
    centre: tuple[float, float],
    radius: float,
    rules: SealDetection,
    circle: bool = False,
    start: tuple[tuple[float, float], float] | None = None,
    held: bool = False,
) -> tuple[tuple[float, float], tuple[float, float], float] | None:
    """An ellipse through the outer edge of the ring ink nearest a rough circle.

    Along rays from the centre, the ink run nearest the current outline is taken and its
    outer end kept; an ellipse is fitted to those points (the farthest fifth left out,
    ink of a neighbouring seal or print), and the fit repeated from the new outline.
    ``circle``: a circle is fitted instead (a ring cut by the image's edge), and the rays
    that must reach ink are ``min_ring_rays`` of those on the image only. ``start``: the
    first outline's semi-axes and angle, when not the circle of ``radius``. ``held``: an
    ellipse whose centre is held at ``centre`` (``_fit_centred_ellipse``), rays counted
    as for a circle (``edge_held_ellipse``).
    """
    h, w = ink.shape
    bins = _FIT_BINS
    cos_t, sin_t = unit_rays(bins)
    shares, off_line = _FIT_SHARES, _FIT_OFF
    ellipse: tuple[tuple[float, float], tuple[float, float], float] = (
        (centre, (radius, radius), 0.0) if start is None else (centre, start[0], start[1])
    )
    for _ in range(3):
        (cx, cy), (a, b), angle = ellipse
        t = math.radians(angle)
        # The outline's radius in each ray's direction.
        u = cos_t * math.cos(t) + sin_t * math.sin(t)
        v = -cos_t * math.sin(t) + sin_t * math.cos(t)
        ref = 1.0 / np.sqrt((u / a) ** 2 + (v / b) ** 2)
        rho = ref[:, None] * shares[None, :]
        xs = cx + cos_t[:, None] * rho
        ys = cy + sin_t[:, None] * rho
        inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        xi = clipped(xs.astype(np.int64), w - 1)
        yi = clipped(ys.astype(np.int64), h - 1)
        hit = ink[yi, xi] & inside
        # Outer end of the ink run through each sample: before the next paper sample.
        paper_at = np.where(hit, len(shares), _FIT_INDEX)
        end = np.minimum.accumulate(paper_at[:, ::-1], axis=1)[:, ::-1] - 1
        distance = np.where(hit, off_line, np.inf)
        nearest = distance.argmin(axis=1)
        rays = hit.any(axis=1)  # (a finite distance: ink on the ray)
        needed = rules.min_ring_rays
        if circle or held:
            needed = round(needed * inside[:, len(shares) // 2].mean())
        if rays.sum() < needed:
            return None
        outer = end[_FIT_ROWS, nearest][rays]
        px = xs[rays, outer]
        py = ys[rays, outer]
        residual = off_line[0, outer]
        keep = (
            residual <= np.partition(residual, (4 * len(residual)) // 5)[(4 * len(residual)) // 5]
        )
        points = np.stack([px[keep], py[keep]], axis=1).astype(np.float32)
        if len(points) < 5:
            return None
        if circle:
            fitted = _fit_circle(points.astype(np.float64))
            if fitted is None:
                return None
            (ex, ey), r = fitted
            ellipse = ((ex, ey), (r, r), 0.0)
            continue
        if held:
            fitted_held = _fit_centred_ellipse(points.astype(np.float64), centre)
            if fitted_held is None:
                return None
            ellipse = (centre, fitted_held[0], fitted_held[1])
            continue
        (ex, ey), (d1, d2), e_angle = cv2.fitEllipse(points)
        if not (d1 > 2 and d2 > 2 and math.isfinite(ex) and math.isfinite(ey)):
            return None
        ellipse = ((float(ex), float(ey)), (d1 / 2.0, d2 / 2.0), float(e_angle))
    return ellipse


def _in_view(
    shape: tuple[int, int],
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    bins: int,
    beyond: np.ndarray | None = None,
) -> np.ndarray:
    """Directions whose outline point lies on the image (and not ``beyond`` the page)."""
    yi, xi, on = outline_pixels(shape, centre, axes, angle_deg, square, np.array([1.0]), bins)
    inside: np.ndarray = on[:, 0]
    if beyond is not None:
        inside = inside & ~beyond[yi[:, 0], xi[:, 0]]
    return inside


def _lettering(
    ink: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    rules: SealDetection,
    view: np.ndarray,
) -> float:
    """Share of the directions on the image with ink inside the ring, clear of it.

    Along each direction inward from the outline, the ring's own ink is passed first (a
    thick marker line drawn round a cell reaches deep); ink after paper, down to the
    lettering band's inner edge, is lettering.
    """
    low = rules.lettering_band[0]
    shares = spaced(1.04, low, 32)
    hit = outline_hits(ink, centre, axes, angle_deg, square, shares, rules.ring_bins)
    # The ring: ink from the outline inward (a gap of paper in the first samples is
    # the outline lying a little outside the ring).
    started = np.maximum.accumulate(hit, axis=1)
    past_ring = np.maximum.accumulate(started & ~hit, axis=1)
    # Ink past the ring but not in the ring band itself (the ring's inner edge).
    deep = shares[None, :] <= rules.lettering_band[1]
    found = np.asarray((hit & past_ring & deep).any(axis=1))
    return share_in_view(found, view)


def _ring_width(
    ink: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    bins: int,
    view: np.ndarray,
    share: float = 1 / 3,
) -> tuple[float, float]:
    """The ring's width as a share of the outline's radius: the outermost ink run's length
    in the thinner third of the directions (print or lettering touching the ring thickens
    it here and there; a seal's ring ~0.05-0.1, a marker line round a cell 0.2 and more);
    and in the thinner ``share`` of them (glyph strokes crossing an outline fitted round
    red print make it broad in many directions)."""
    step = 0.02
    shares = np.arange(1.1, 0.6, -step)
    hit = outline_hits(ink, centre, axes, angle_deg, square, shares, bins)
    has = hit.any(axis=1) & view
    if not has.any():
        return 0.0, 0.0
    started = np.maximum.accumulate(hit, axis=1)
    ended = np.maximum.accumulate(started & ~hit, axis=1)
    run = (started & ~ended).sum(axis=1)
    thin, line = np.percentile(run[has], [100 / 3, 100 * share])
    return float(thin) * step, float(line) * step


def _fill(
    ink: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle: float,
    square: bool,
    beyond: np.ndarray | None = None,
) -> float | None:
    """Share of the outline's area on the image (not ``beyond`` the page) that is ink
    (None: none of it is)."""
    h, w = ink.shape
    reach = math.ceil(math.hypot(*axes)) + 1
    x0, y0 = max(0, math.floor(centre[0]) - reach), max(0, math.floor(centre[1]) - reach)
    x1, y1 = min(w, math.ceil(centre[0]) + reach), min(h, math.ceil(centre[1]) + reach)
    if x0 >= x1 or y0 >= y1:
        return None
    area = np.zeros((y1 - y0, x1 - x0), np.uint8)
    local = (centre[0] - x0, centre[1] - y0)
    if square:
        box = cv2.boxPoints((local, (2 * axes[0], 2 * axes[1]), angle))
        cv2.fillPoly(area, [np.round(box).astype(np.int32)], 1)
    else:
        cv2.ellipse(
            area,
            (round(local[0]), round(local[1])),
            (round(axes[0]), round(axes[1])),
            angle,
            0,
            360,
            1,
            -1,
        )
    inside = area > 0
    if beyond is not None:
        inside &= ~beyond[y0:y1, x0:x1]
    pixels = int(inside.sum())
    if pixels == 0:
        return None
    return float(ink[y0:y1, x0:x1][inside].sum()) / pixels


def _inside_tint(
    tint: np.ndarray,
    paper: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle: float,
    square: bool,
    rules: SealDetection,
) -> float:
    """How much redder the paper inside the outline is than the paper round it: the
    median ``paper_tint`` of the samples clear of ink (``paper``) in ``paper_inside_band``
    less that in ``outside_band`` (0 when either has no paper sample on the image)."""

    def median(band: tuple[float, float]) -> float | None:
        shares = spaced(band[0], band[1], 8)
        yi, xi, on = outline_pixels(
            tint.shape, centre, axes, angle, square, shares, rules.ring_bins // 2
        )
        samples = tint[yi, xi][on & paper[yi, xi]]
        return float(np.median(samples)) if samples.size else None

    inside = median(rules.paper_inside_band)
    outside = median(rules.outside_band)
    return 0.0 if inside is None or outside is None else inside - outside


def _check_red(
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle: float,
    square: bool,
    ink: np.ndarray,
    tolerant: np.ndarray,
    faint: np.ndarray,
    frame: Frame,
    rules: SealDetection,
    tint: np.ndarray | None = None,
    around: np.ndarray | None = None,
    beyond: np.ndarray | None = None,
    clear: bool = False,
    partial_around: np.ndarray | None = None,
    searched: bool = False,
    near_refused: list[bool] | None = None,
) -> SealCandidate | None:
    """A seal from an outline, or None when it has the wrong size or build or no ring.
    ``tint``: the page's ``paper_tint`` (None: the paper inside is not compared);
    ``around``: the ink paper just outside the ring is judged on (default ``ink``);
    ``beyond``: the ground beyond the page (``beyond_page``), judged as off the image;
    ``clear``: an outline only a weaker search found (``_ring_outlines``' ``weak``), which
    must have clear paper round it (``partial_ring.max_outside``) even when its ring is
    whole: red print round it (a red title's glyphs) makes stars and arcs too;
    ``partial_around``: the ink a partial ring's clear paper is judged on instead
    (``around_ring_seals``: without all the ink of the sure seals found); ``searched``: an
    outline only the circle search found (``ring_search``), kept round a star of its own,
    on clear paper, its ring a line. ``near_refused``: where True is put when the outline
    is refused for the ink just outside a partial ring (the one test ``partial_around``
    changes: an outline refused for anything else is refused with it too)."""
    long, short = max(axes), min(axes)
    if short <= 0 or long / short > rules.max_aspect:
        return None
    if not frame.long_axis[0] <= 2 * long <= frame.long_axis[1]:
        return None
    if not square and 2 * long < frame.min_round:
        return None  # a loop of red handwriting, a small logo
    bins = rules.ring_bins
    view = _in_view(ink.shape, centre, axes, angle, square, bins)
    if view.mean() < rules.min_in_view:
        return None  # mostly off the image: too little left to judge
    across = False
    if beyond is not None:
        # (The ground beyond the page shows nothing of a seal either way: the ring is
        # judged on the page.)
        on_page = _in_view(ink.shape, centre, axes, angle, square, bins, beyond)
        if not on_page.any():
            return None
        # (an outline running over the ground by as much as a seal off the edge)
        across = float((view & ~on_page).mean()) >= rules.edge_off_share
        view = on_page
    coverage = band_coverage(tolerant, centre, axes, angle, square, rules.ring_band, bins, view)
    partial = rules.partial_ring
    if coverage < (rules.ring_coverage if partial is None else partial.coverage):
        return None
    # The ring itself: one thin outline of ink (at some share of the fitted one) running
    # round; the edge of a seal's lettering or a cluster of red glyphs has ink in the
    # band but at no one radius all round.
    peak = thin_band_peak(
        tolerant, centre, axes, angle, square, rules.ring_band, rules.ring_line, bins, view
    )
    # A ring short of the usual coverage or peak is a partial impression only on clear
    # paper, thin, with lettering or a star (checked below, with the width).
    if across and peak < rules.beyond_ring_peak:
        return None  # judged on its part on the page only: that part must be a clean ring
    whole = coverage >= rules.ring_coverage and peak >= rules.ring_peak
    if not whole and (partial is None or peak < partial.peak):
        return None
    # A ring, not a patch of red print an outline happens to cross: clear paper just
    # outside it.
    paper = ink if around is None else around
    outside = band_coverage(paper, centre, axes, angle, square, rules.outside_band, bins, view)
    if coverage - outside < rules.ring_contrast:
        return None
    if (clear or not whole) and partial is not None:
        # (``partial_around``: judged without the ink of sure seals found next to it)
        near = outside
        if partial_around is not None:
            near = band_coverage(
                partial_around, centre, axes, angle, square, rules.outside_band, bins, view
            )
        if near > partial.max_outside:
            if near_refused is not None:
                near_refused.append(True)
            return None
    width, line = _ring_width(ink, centre, axes, angle, square, bins, view, rules.starless_line[0])
    # The star of a pale seal may be faint ink only, apart from the ring.
    star = disc_share(faint, centre, rules.star_radius * short) >= rules.star_share
    if not star and line > rules.starless_line[1]:
        return None  # no star: the ring alone must be a line, not strokes across it
    if searched and rules.ring_search is not None:
        # Found by the circle search alone: a thin ring round a star on clear paper (red
        # print round a glyph cluster makes such circles too, the real seal-06's title).
        # Its clear paper is judged on all the ink, the seals' found next to it too: a
        # circle through a seal's own lettering, centred out near its ring, has that
        # seal just outside (tuning seed 4 page 0025: 0.42; the gains 0.0-0.26).
        search = rules.ring_search
        if not star or width > search.max_width or line > search.max_line:
            return None
        if around is not None:
            outside = band_coverage(
                ink, centre, axes, angle, square, rules.outside_band, bins, view
            )
        if outside > search.max_outside:
            return None
    # (Whatever the lettering inside: too wide even for a lettered ring, or a partial ring
    # too wide for one; judged before the lettering is measured.)
    if width > max(rules.lettered_ring_width, rules.max_ring_width):
        return None
    if not whole and (partial is None or width > partial.max_width):
        return None
    # Lettering (or a square seal's glyphs) inside the ring: a red circle drawn round a
    # cell of black print, an annotation box, has none.
    lettering = _lettering(faint, centre, axes, angle, square, rules, view)
    lettered = (
        lettering >= rules.lettered_coverage and lettering - outside >= rules.lettered_contrast
    )
    if width > (rules.lettered_ring_width if lettered else rules.max_ring_width):
        return None  # a thick line drawn round something: a seal's ring is thin
    if width > rules.max_ring_width and peak < rules.lettered_ring_peak:
        return None  # thick and wavering: drawn by hand round print, not stamped by a die
    bare = lettering < rules.lettering_coverage and not star
    if bare and (width > rules.bare_ring_width or peak < rules.bare_ring_peak):
        return None  # no lettering: only a thin ring running all round is a seal's
    if not whole and (bare or partial is None or width > partial.max_width):
        return None  # a partial ring: a seal's only when thin and lettered
    # (The fill and the paper inside are dearer than the tests above and reject few
    # outlines: judged last, the same seals.)
    # Red ink inside the outline (its part on the image), as a share of that area: a
    # ring, its lettering and a star leave most of it paper; a filled block does not.
    fill = _fill(ink, centre, axes, angle, square, beyond)
    if fill is None or not rules.fill_range[0] <= fill <= rules.fill_range[1]:
        return None
    # Stamped on the paper: the paper inside the ring is the paper round it; a block
    # shaded redder than its surround (table header cells) is not a seal.
    if (
        tint is not None
        and _inside_tint(
            tint,
            ~tolerant if beyond is None else ~(tolerant | beyond),
            centre,
            axes,
            angle,
            square,
            rules,
        )
        > rules.max_inside_tint
    ):
        return None
    shape: Shape = "square" if square else ("oval" if long / short > rules.oval_aspect else "round")
    if shape == "round":
        # A round seal's fitted angle is noise (the two axes within a few per cent): the
        # outline is reported as the circle it is, upright.
        axes, angle = (math.sqrt(long * short),) * 2, 0.0
    return SealCandidate(
        centre=centre,
        axes=axes,
        angle_deg=angle,
        shape=shape,
        colour="red",
        confidence=seal_confidence(peak, rules.ring_peak, star),
        ring_coverage=round(peak, 3),
        star=star,
    )
