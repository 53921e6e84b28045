"""What both ways of finding seals share: the seal found, the frame, outlines, one per seal.

- ``SealCandidate``: a seal in the pixels of the page it was found on (``seal_lettering.
  read_seals`` turns it into a ``SealMark`` in fractions of the page).
- the frame (how big a seal may be on this image): sizes in millimetres when the page at
  its dpi is a paper size (the dpi is then believed); else as shares of the image's short
  side, so that a seal filling a crop, on a photographed ticket or on a page whose dpi was
  guessed is still the size of a seal.
- the geometry of an outline (ellipse or square): points sampled on it, the share of
  directions with ink in a band of it, the ink in a disc, a confidence from the ring.
- ``suppress``: one candidate per seal, for both the colour path (``red_seals``) and the
  greyscale one (``seal_impressions``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from pipeline.rulebook.marks import SealDetection

Shape = Literal["round", "oval", "square", "unknown"]
Colour = Literal["red", "blue", "black", "grey"]


@dataclass(frozen=True)
class SealCandidate:
    """A seal found on a page, in pixels of the page it was found on.

    Attributes:
        centre: ``(x, y)`` of the seal's centre.
        axes: Semi-axes ``(a, b)``, ``a`` along ``angle_deg`` (for a square: half sides).
        angle_deg: Direction of the first axis, clockwise on screen from +x.
        shape: round, oval or square.
        colour: red, blue or black (the ink on a colour scan) or grey (greyscale scan,
            found by shape only).
        confidence: That this is an official seal.
        ring_coverage: Share of directions (on the image) with ink on the ring's line.
        star: Whether a central star was seen.
    """

    centre: tuple[float, float]
    axes: tuple[float, float]
    angle_deg: float
    shape: Shape
    colour: Colour
    confidence: float
    ring_coverage: float
    star: bool

    def bbox_px(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The axis-aligned box round the outline, clipped to the page."""
        a, b = self.axes
        t = math.radians(self.angle_deg)
        c, s = abs(math.cos(t)), abs(math.sin(t))
        if self.shape == "square":
            half_w, half_h = a * c + b * s, a * s + b * c
        else:
            half_w = math.hypot(a * c, b * s)
            half_h = math.hypot(a * s, b * c)
        x, y = self.centre
        return (
            max(0.0, x - half_w),
            max(0.0, y - half_h),
            min(float(width), x + half_w),
            min(float(height), y + half_h),
        )


# ======================================================================================
# Geometry helpers
# ======================================================================================


@functools.lru_cache(maxsize=16)
def unit_rays(bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and sine of ``bins`` directions evenly round from +x (read-only, made once
    per count: every outline sampled is sampled in these)."""
    theta = np.linspace(0.0, 2 * math.pi, bins, endpoint=False)
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    cos_t.setflags(write=False)
    sin_t.setflags(write=False)
    return cos_t, sin_t


@functools.lru_cache(maxsize=256)
def spaced(start: float, stop: float, count: int) -> np.ndarray:
    """``np.linspace(start, stop, count)``, read-only and made once per figures: the same
    bands of an outline are sampled for every candidate on every page."""
    values = np.linspace(start, stop, count)
    values.setflags(write=False)
    return values


@functools.lru_cache(maxsize=64)
def _thin_bands(band: tuple[float, float], line: float) -> tuple[np.ndarray, np.ndarray]:
    """``thin_band_peak``'s seven starts and their samples, read-only, made once."""
    starts = np.linspace(band[0], band[1] - line, 7)
    shares = np.concatenate([np.linspace(q, q + line, 9) for q in starts])
    starts.setflags(write=False)
    shares.setflags(write=False)
    return starts, shares


def outline_points(
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    shares: np.ndarray,
    bins: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample points ``(bins, len(shares))`` on scaled copies of an outline: x and y."""
    u, v = unit_rays(bins)
    if square:
        # The square's perimeter in the same direction: scale the unit ray to the edge.
        norm = np.maximum(np.abs(u), np.abs(v))
        u, v = u / norm, v / norm
    a, b = axes
    # (broadcast products: the same figures as np.outer, without its wrapper's cost on
    # the thousands of outlines a page's candidates sample)
    local_x = (u * a)[:, None] * shares[None, :]
    local_y = (v * b)[:, None] * shares[None, :]
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    x = centre[0] + c * local_x - s * local_y
    y = centre[1] + s * local_x + c * local_y
    return x, y


def outline_pixels(
    shape: tuple[int, ...],
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    shares: np.ndarray,
    bins: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pixels under scaled copies of an outline on an image of ``shape``: row and
    column indices (clipped to the image) and whether each point lies on the image, each
    ``(bins, len(shares))``."""
    x, y = outline_points(centre, axes, angle_deg, square, shares, bins)
    h, w = shape[:2]
    yi = clipped(np.floor(y).astype(np.int64), h - 1)
    xi = clipped(np.floor(x).astype(np.int64), w - 1)
    on = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    return yi, xi, on


def clipped(index: np.ndarray, top: int) -> np.ndarray:
    """``index`` (a fresh int array, changed in place) held within ``0..top``: what
    ``np.clip`` gives, without its wrapper's cost (most of the time on small arrays)."""
    np.maximum(index, 0, out=index)
    np.minimum(index, top, out=index)
    return index


def outline_hits(
    mask: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    shares: np.ndarray,
    bins: int,
) -> np.ndarray:
    """``mask`` (bool) sampled on scaled copies of an outline: ``(bins, len(shares))``,
    False where a point falls off the image."""
    yi, xi, on = outline_pixels(mask.shape, centre, axes, angle_deg, square, shares, bins)
    hits: np.ndarray = mask[yi, xi] & on
    return hits


def band_coverage(
    mask: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    band: tuple[float, float],
    bins: int,
    view: np.ndarray | None = None,
) -> float:
    """Share of directions with ink somewhere in a band of the outline (``mask`` bool):
    of all ``bins`` directions, or of those ``view`` marks (the ones on the image)."""
    shares = spaced(band[0], band[1], 9)
    hit = np.asarray(outline_hits(mask, centre, axes, angle_deg, square, shares, bins).any(axis=1))
    return share_in_view(hit, view)


def share_in_view(hit: np.ndarray, view: np.ndarray | None) -> float:
    """Share of the directions (bool ``hit``) that are set: of all of them, or of those
    ``view`` marks (0 when it marks none). ``hit.mean()`` and ``hit[view].mean()`` as
    they were, counted without numpy's mean wrapper (thousands of calls a page)."""
    if view is None:
        return np.count_nonzero(hit) / hit.size
    seen = np.count_nonzero(view)
    return np.count_nonzero(hit & view) / seen if seen else 0.0


def thin_band_peak(
    mask: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    band: tuple[float, float],
    line: float,
    bins: int,
    view: np.ndarray | None = None,
) -> float:
    """The most ``band_coverage`` of a thin band ``line`` wide, at seven places from the
    start of ``band`` to its end: where one thin outline of ink runs round. The same
    figures as seven ``band_coverage`` calls, with the outline sampled once."""
    starts, shares = _thin_bands((float(band[0]), float(band[1])), float(line))
    hits = outline_hits(mask, centre, axes, angle_deg, square, shares, bins)
    best = 0.0
    for k in range(len(starts)):
        hit = np.asarray(hits[:, 9 * k : 9 * (k + 1)].any(axis=1))
        best = max(best, share_in_view(hit, view))
    return best


def disc_share(mask: np.ndarray, centre: tuple[float, float], radius: float) -> float:
    """Share of a disc's pixels that are set in ``mask``."""
    h, w = mask.shape
    r = max(1, round(radius))
    cx, cy = round(centre[0]), round(centre[1])
    x0, x1 = max(0, cx - r), min(w, cx + r + 1)
    y0, y1 = max(0, cy - r), min(h, cy + r + 1)
    if x0 >= x1 or y0 >= y1:
        return 0.0
    ys, xs = np.mgrid[y0:y1, x0:x1]
    disc = (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r
    return float(mask[y0:y1, x0:x1][disc].mean()) if disc.any() else 0.0


def seal_confidence(coverage: float, threshold: float, star: bool) -> float:
    """0.55 at the ring threshold rising to 0.95 at a full ring; a star adds 0.04."""
    strength = min(max((coverage - threshold) / max(0.97 - threshold, 1e-6), 0.0), 1.0)
    return round(min(0.99, 0.55 + 0.4 * strength + (0.04 if star else 0.0)), 3)


# ======================================================================================
# The frame: how big a seal may be on this image
# ======================================================================================


@dataclass(frozen=True)
class Frame:
    """Sizes on the work-scale image, in its pixels.

    Attributes:
        scale: Work image over the given image.
        unit: Work pixels per millimetre (nominal when the dpi is not believed).
        long_axis: A seal's long axis (its whole length), smallest and largest.
        min_round: Smallest long axis of a round or oval seal.
        by_size: Whether the sizes come from the dpi (a paper-sized page) or from the
            image's own size (a crop, a photo, a page whose dpi was guessed wrong).
    """

    scale: float
    unit: float
    long_axis: tuple[float, float]
    min_round: float
    by_size: bool


def _even(scale: float) -> float:
    """A scale within 5% of a whole reduction (1/2, 1/3, ...) made exactly that: OpenCV's
    area reduction is several times faster at a whole factor."""
    factor = 1.0 / scale
    whole = round(factor)
    return 1.0 / whole if whole >= 2 and abs(factor - whole) <= 0.05 * factor else scale


def seal_frame(shape: tuple[int, ...], dpi: float, rules: SealDetection) -> Frame:
    """Millimetres when the page at this dpi is a paper size; else shares of the image.

    A dpi guessed for a crop or a photo (``readers.image_pages`` takes any image without
    a believable dpi for A4) makes a seal that fills the image 280 mm wide: only a page
    that comes out a paper size at its dpi is measured in millimetres.
    """
    h, w = shape[:2]
    short_mm, long_mm = sorted((w * 25.4 / dpi, h * 25.4 / dpi))
    tolerance = rules.paper_size_tolerance
    paper = any(
        abs(short_mm / s - 1.0) <= tolerance and abs(long_mm / g - 1.0) <= tolerance
        for s, g in rules.paper_sizes_mm
    )
    if paper:
        scale = _even(min(1.0, rules.work_dpi / dpi))
        unit = dpi * scale / 25.4
        low, high = rules.long_axis_mm
        return Frame(scale, unit, (low * unit, high * unit), rules.min_round_mm * unit, True)
    scale = _even(min(1.0, rules.work_long_side_px / max(h, w)))
    short_px = min(h, w) * scale
    # Nominal millimetres, for ink widths and gaps only: the image's short side taken as
    # an A4 page's width.
    unit = short_px / 210.0
    low, high = rules.long_axis_share
    return Frame(scale, unit, (low * short_px, high * short_px), low * short_px, False)


# ======================================================================================
# One candidate per seal
# ======================================================================================


def _inside_share(inner: SealCandidate, outer: SealCandidate) -> float:
    """Share of ``inner``'s outline area that lies within ``outer``'s (sampled)."""
    x, y = outline_points(
        inner.centre, inner.axes, inner.angle_deg, inner.shape == "square", _FILL_SHARES, 24
    )
    t = math.radians(outer.angle_deg)
    dx, dy = x - outer.centre[0], y - outer.centre[1]
    u = (dx * math.cos(t) + dy * math.sin(t)) / max(outer.axes[0], 1e-6)
    v = (-dx * math.sin(t) + dy * math.cos(t)) / max(outer.axes[1], 1e-6)
    within = (
        np.maximum(np.abs(u), np.abs(v)) <= 1.05
        if outer.shape == "square"
        else u * u + v * v <= 1.1
    )
    # Samples on rings of equal spacing in radius: weight by radius for area.
    weights = np.broadcast_to(_FILL_SHARES, within.shape)
    return float((within * weights).sum() / weights.sum())


# Radii (shares of an outline) sampled to measure how much of one seal lies in another.
_FILL_SHARES = np.linspace(0.1, 1.0, 8)


def overlapping(candidate: SealCandidate, others: Sequence[SealCandidate]) -> bool:
    """Whether ``candidate`` lies half or more within one of ``others`` or they within it
    (the same seal: a red seal's dark or bluish ring found again in another ink)."""
    return any(
        _inside_share(candidate, k) >= 0.5 or _inside_share(k, candidate) >= 0.5 for k in others
    )


def starless_pieces(candidates: Sequence[SealCandidate]) -> list[SealCandidate]:
    """``candidates`` less each ring with no star lying half or more within a larger one
    with a star: an arc of that seal's lettering (or of its ring and lettering) fitted as
    a ring of its own, whose line may run round more fully than the seal's fainter ring
    and would win over it in ``suppress``."""
    starred = [c for c in candidates if c.star]
    return [
        c
        for c in candidates
        if c.star
        or not any(
            c.axes[0] * c.axes[1] < k.axes[0] * k.axes[1] and _inside_share(c, k) >= 0.5
            for k in starred
        )
    ]


def suppress(
    candidates: Sequence[SealCandidate], apart: float = 0.0, apart_peak: float = 1.0
) -> list[SealCandidate]:
    """One candidate per seal: the fullest ring first (coverage in steps of 0.05), then
    the larger (a seal's outer ring, not an arc of its lettering); a candidate lying half
    or more within one kept is the same seal. Two seals stamped half over each other
    overlap less and both stay.

    ``apart``: a smaller ring with a star of its own whose centre lies at least this share
    of a kept seal's shorter semi-axis from that seal's centre (out by its ring, not in its
    middle), its own ring running round on its line in ``apart_peak`` of its directions or
    more, is another seal stamped mostly over the kept one, not a piece of it (0: none
    is); the same two seals the other way round (the larger one, with a star and that
    much ring, ranked after the smaller one) are two seals too, not an outline round it.

    An outline dropped as the same seal both ways (each half or more within the other:
    a second fit of a seal kept) still covers that seal: a later candidate that would be
    a piece of it is a piece of the seal too (an arc of a faint seal's lettering and print
    fitted as a small ring, off the kept fit's centre when that fit is off). An outline
    round two seals (they within it, not it within them) covers no one seal and passes
    nothing on."""
    kept: list[SealCandidate] = []
    second: list[SealCandidate] = []  # dropped second fits of a kept seal
    ranked = sorted(
        candidates, key=lambda c: (-round(c.ring_coverage * 20), -c.axes[0] * c.axes[1])
    )

    def over(inner: SealCandidate, outer: SealCandidate) -> bool:
        return (
            apart > 0
            and inner.star
            and inner.ring_coverage >= apart_peak
            and max(inner.axes) < max(outer.axes)
            and math.dist(inner.centre, outer.centre) >= apart * min(outer.axes)
        )

    def piece(candidate: SealCandidate, k: SealCandidate) -> bool:
        if _inside_share(candidate, k) < 0.5:
            return False
        return not over(candidate, k)

    def round_kept(candidate: SealCandidate, k: SealCandidate) -> bool:
        # An outline round a kept seal - unless it is a seal of its own, with a star and
        # its ring on its line in apart_peak of its directions, that the kept one was
        # stamped mostly over (the kept one ranked first: its ring fuller).
        if _inside_share(k, candidate) < 0.5:
            return False
        return not (candidate.star and candidate.ring_coverage >= apart_peak and over(k, candidate))

    for candidate in ranked:
        if any(piece(candidate, s) for s in second):
            continue
        if not any(round_kept(candidate, k) or piece(candidate, k) for k in kept):
            kept.append(candidate)
        elif any(
            _inside_share(k, candidate) >= 0.5 and _inside_share(candidate, k) >= 0.5 for k in kept
        ):
            second.append(candidate)
    return kept
