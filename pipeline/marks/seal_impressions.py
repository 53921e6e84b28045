"""Seal-like marks on a scanned page: where they are and their shape.

Two ways in, one result (``SealCandidate`` in the pixels of the normalised page, which
``seal_lettering.read_seals`` turns into ``SealMark``s in fractions of it, the frame of
the page's text lines):

- colour scans: the red ink (``seal_ink.seal_ink_mask``) is closed over small gaps so
  a seal's glyphs, ring and star become one region; each region of a seal's size and
  build is fitted with an ellipse (round, oval) or a rectangle (square), and kept when
  red ink runs round its outline (the ring). Red printed headers and rules are too long
  for their height; red handwriting and a header word have no ring round them; a
  filled red block is too full.
- greyscale scans: no colour to go by, so rings of a seal's size are found by the
  Hough transform and kept when ink runs round the circle but not just outside it, and
  the lettering band inside holds ink. The colour is ``grey`` and the confidence lower.

Their lettering is read in ``seal_lettering``; whose seal it is, is for the validators to
say.

Parameters are data (``rules/seal_detection.yaml``: ``Rules.seal_detection``), checked
when the rules are loaded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from pipeline.pixels import is_greyscale
from pipeline.rulebook.marks import SealDetection
from pipeline.seal_ink import seal_ink_mask

__all__ = [
    "SealCandidate",
    "SealDetection",
    "detect_seals",
]

Shape = Literal["round", "oval", "square", "unknown"]
Colour = Literal["red", "grey"]


@dataclass(frozen=True)
class SealCandidate:
    """A seal found on a page, in pixels of the page it was found on.

    Attributes:
        centre: ``(x, y)`` of the seal's centre.
        axes: Semi-axes ``(a, b)``, ``a`` along ``angle_deg`` (for a square: half sides).
        angle_deg: Direction of the first axis, clockwise on screen from +x.
        shape: round, oval or square.
        colour: red (colour scan) or grey (greyscale scan, found by shape only).
        confidence: That this is an official seal.
        ring_coverage: Share of directions with ink on the outline.
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


def _outline_points(
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    shares: np.ndarray,
    bins: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample points ``(bins, len(shares))`` on scaled copies of an outline: x and y."""
    theta = np.linspace(0.0, 2 * math.pi, bins, endpoint=False)
    u, v = np.cos(theta), np.sin(theta)
    if square:
        # The square's perimeter in the same direction: scale the unit ray to the edge.
        norm = np.maximum(np.abs(u), np.abs(v))
        u, v = u / norm, v / norm
    a, b = axes
    local_x = np.outer(u * a, shares)
    local_y = np.outer(v * b, shares)
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    x = centre[0] + c * local_x - s * local_y
    y = centre[1] + s * local_x + c * local_y
    return x, y


def _band_coverage(
    mask: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    square: bool,
    band: tuple[float, float],
    bins: int,
) -> float:
    """Share of directions with ink somewhere in a band of the outline (``mask`` bool)."""
    shares = np.linspace(band[0], band[1], 9)
    x, y = _outline_points(centre, axes, angle_deg, square, shares, bins)
    h, w = mask.shape
    xi = np.clip(np.floor(x).astype(np.int64), 0, w - 1)
    yi = np.clip(np.floor(y).astype(np.int64), 0, h - 1)
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    hit = mask[yi, xi] & inside
    return float(hit.any(axis=1).mean())


def _disc_share(mask: np.ndarray, centre: tuple[float, float], radius: float) -> float:
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


def _resize_mask(mask: np.ndarray, scale: float) -> np.ndarray:
    """A bool mask at ``scale`` (any ink in the area counts a little: area average > 0.15)."""
    if scale == 1.0:
        return mask
    h, w = mask.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA)
    return small > 40


def _confidence(coverage: float, threshold: float, star: bool) -> float:
    """0.55 at the ring threshold rising to 0.95 at a full ring; a star adds 0.04."""
    strength = min(max((coverage - threshold) / max(0.97 - threshold, 1e-6), 0.0), 1.0)
    return round(min(0.99, 0.55 + 0.4 * strength + (0.04 if star else 0.0)), 3)


# ======================================================================================
# Colour scans: red ink regions
# ======================================================================================


def _red_candidates(ink: np.ndarray, px_per_mm: float, rules: SealDetection) -> list[SealCandidate]:
    """Seals among the red-ink regions of a (work-scale) mask."""
    merge = max(3, round(rules.merge_mm * px_per_mm) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (merge, merge))
    closed = cv2.morphologyEx(ink.astype(np.uint8) * 255, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    low, high = (v * px_per_mm for v in rules.long_axis_mm)
    tolerant = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    found: list[SealCandidate] = []
    for contour in contours:
        _, _, w, h = cv2.boundingRect(contour)
        if max(w, h) < low or max(w, h) > high * 1.1 or min(w, h) * rules.max_aspect < max(w, h):
            continue  # too small, too big, or a line of red print / a rule
        hull = cv2.convexHull(contour)
        if len(hull) < 5:
            continue
        candidate = _fit_red(hull, ink, tolerant, px_per_mm, rules)
        if candidate is not None:
            found.append(candidate)
    return found


def _fit_red(
    hull: np.ndarray,
    ink: np.ndarray,
    tolerant: np.ndarray,
    px_per_mm: float,
    rules: SealDetection,
) -> SealCandidate | None:
    """A seal from one region's hull, or None when it has no ring or the wrong build."""
    hull_area = float(cv2.contourArea(hull))
    (rx, ry), (rw, rh), r_angle = cv2.minAreaRect(hull)
    rect_fill = hull_area / max(rw * rh, 1.0)
    square = rect_fill >= rules.square_fill
    if square:
        centre = (float(rx), float(ry))
        axes = (rw / 2.0, rh / 2.0)
        angle = float(r_angle)
        area = rw * rh
    else:
        (ex, ey), (d1, d2), e_angle = cv2.fitEllipse(hull)
        centre = (float(ex), float(ey))
        axes = (d1 / 2.0, d2 / 2.0)
        angle = float(e_angle)
        area = math.pi * axes[0] * axes[1]
        if 2 * max(axes) < rules.min_round_mm * px_per_mm:
            return None  # a loop of red handwriting, a small logo
    long, short = max(axes), min(axes)
    if short <= 0 or long / short > rules.max_aspect:
        return None
    if not rules.long_axis_mm[0] <= 2 * long / px_per_mm <= rules.long_axis_mm[1]:
        return None
    mask = np.zeros(ink.shape, np.uint8)
    cv2.drawContours(mask, [hull], -1, 1, thickness=cv2.FILLED)
    fill = float(ink[mask > 0].sum()) / max(area, 1.0)
    if not rules.fill_range[0] <= fill <= rules.fill_range[1]:
        return None
    coverage = _band_coverage(
        tolerant, centre, axes, angle, square, rules.ring_band, rules.ring_bins
    )
    if coverage < rules.ring_coverage:
        return None
    star = _disc_share(ink, centre, rules.star_radius * short) >= rules.star_share
    shape: Shape = "square" if square else ("oval" if long / short > rules.oval_aspect else "round")
    return SealCandidate(
        centre=centre,
        axes=axes,
        angle_deg=angle,
        shape=shape,
        colour="red",
        confidence=_confidence(coverage, rules.ring_coverage, star),
        ring_coverage=round(coverage, 3),
        star=star,
    )


# ======================================================================================
# Greyscale scans: rings by shape
# ======================================================================================


def _grey_ink(grey: np.ndarray, px_per_mm: float, share: float) -> np.ndarray:
    """Ink (True): darker than ``share`` of the local paper brightness."""
    window = max(3, round(2.0 * px_per_mm) | 1)
    kernel = np.ones((window, window), np.uint8)
    paper = cv2.blur(cv2.dilate(grey, kernel), (window, window))
    return grey < cv2.convertScaleAbs(paper, alpha=share)


def _grey_candidates(
    grey: np.ndarray, px_per_mm: float, rules: SealDetection
) -> list[SealCandidate]:
    """Round seals on a (work-scale) grey page: Hough circles with ink round the ring."""
    ink = _grey_ink(grey, px_per_mm, rules.grey_ink_share)
    tolerant = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    r_min = rules.min_round_mm * px_per_mm / 2
    r_max = rules.long_axis_mm[1] * px_per_mm / 2
    blurred = cv2.GaussianBlur(grey, (5, 5), 1.2)
    circles = cv2.HoughCircles(
        blurred,
        cv2.HOUGH_GRADIENT,
        dp=1,
        minDist=r_min,
        param1=rules.hough_canny,
        param2=rules.hough_votes,
        minRadius=round(r_min),
        maxRadius=round(r_max),
    )
    if circles is None:
        return []
    scored: list[SealCandidate] = []
    for x, y, r in circles[0][:60]:
        centre = (float(x), float(y))
        # Hough's radius is a few pixels off at this scale, and a circle laid over print
        # finds ink in most directions at some radius or other: a ring has ink in nearly
        # every direction at one radius. Scan thin circles for it.
        radii = np.arange(0.85 * r, 1.15 * r, 1.0)
        thin = [
            _band_coverage(ink, centre, (q, q), 0.0, False, (1.0, 1.0 + 1.5 / q), rules.ring_bins)
            for q in radii
        ]
        best = int(np.argmax(thin))
        if thin[best] < rules.ring_peak_grey:
            continue
        candidate = _check_grey_ring(centre, float(radii[best]) * 1.02, ink, tolerant, rules)
        if candidate is not None:
            scored.append(candidate)
    return _suppress(scored)


def _check_grey_ring(
    centre: tuple[float, float],
    radius: float,
    ink: np.ndarray,
    tolerant: np.ndarray,
    rules: SealDetection,
) -> SealCandidate | None:
    axes = (radius, radius)
    bins = rules.ring_bins
    ring = _band_coverage(tolerant, centre, axes, 0.0, False, (0.93, 1.03), bins)
    if ring < rules.ring_coverage_grey:
        return None
    outside = _band_coverage(ink, centre, axes, 0.0, False, (1.1, 1.22), bins)
    if ring - outside < rules.ring_contrast_grey:
        return None
    lettering = _band_coverage(ink, centre, axes, 0.0, False, (0.6, 0.88), bins)
    if lettering < rules.text_band_ink_grey:
        return None
    star = _disc_share(ink, centre, rules.star_radius * radius) >= rules.star_share
    confidence = _confidence(ring, rules.ring_coverage_grey, star) * rules.max_confidence_grey
    return SealCandidate(
        centre=centre,
        axes=axes,
        angle_deg=0.0,
        shape="round",
        colour="grey",
        confidence=round(confidence, 3),
        ring_coverage=round(ring, 3),
        star=star,
    )


def _suppress(candidates: Sequence[SealCandidate]) -> list[SealCandidate]:
    """Keep the best ring of any overlapping set (centres closer than a radius)."""
    kept: list[SealCandidate] = []
    for candidate in sorted(candidates, key=lambda c: -c.ring_coverage):
        cx, cy = candidate.centre
        if all(math.hypot(cx - k.centre[0], cy - k.centre[1]) > max(k.axes) for k in kept):
            kept.append(candidate)
    return kept


# ======================================================================================
# Detection entry point
# ======================================================================================


def detect_seals(image: np.ndarray, dpi: float, rules: SealDetection) -> list[SealCandidate]:
    """The seals on a normalised scan, in its pixels, top to bottom.

    Args:
        image: The page with its seals, upright and deskewed: RGB uint8 (H, W, 3)
            (``NormalisedPage.image``), or greyscale (H, W).
        dpi: Its resolution.
        rules: Detection settings (``Rules.seal_detection``).

    Returns:
        Candidates in the pixels of ``image``; red on a colour page, grey on a greyscale one.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    grey_page = image.ndim == 2 or is_greyscale(image)
    scale = min(1.0, rules.work_dpi / dpi)
    px_per_mm = dpi * scale / 25.4
    if grey_page:
        grey = image if image.ndim == 2 else cv2.extractChannel(image, 0)
        h, w = grey.shape
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        found = _grey_candidates(grey, px_per_mm, rules)
    else:
        found = _red_candidates(_resize_mask(seal_ink_mask(image), scale), px_per_mm, rules)
    back = 1.0 / scale
    return sorted(
        (
            SealCandidate(
                centre=(c.centre[0] * back, c.centre[1] * back),
                axes=(c.axes[0] * back, c.axes[1] * back),
                angle_deg=c.angle_deg,
                shape=c.shape,
                colour=c.colour,
                confidence=c.confidence,
                ring_coverage=c.ring_coverage,
                star=c.star,
            )
            for c in found
        ),
        key=lambda c: (c.centre[1], c.centre[0]),
    )
