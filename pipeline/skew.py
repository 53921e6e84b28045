"""The skew of a scanned page's text lines, measured on its analysis image.

Analysis (text direction, skew, line finding) runs on the red channel of the page scaled
to about 1200 px across its short side (~145 dpi for A4): red seal ink is nearly
transparent in the red channel while black print and blue-black handwriting stay dark,
so seals do not steer the estimates. ``skew_deg`` > 0 means the content is turned
counter-clockwise on screen (the corpus truth's convention), so correcting it turns the
page clockwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.pixels import check_rgb

# --- analysis image -------------------------------------------------------------------
# Short side of the analysis image. 800 px loses ~0.2° of precision on sparse pages (the
# attachments list: a few short lines); 1200 px keeps every corpus page within 0.1°.
ANALYSIS_SHORT_SIDE = 1200
# Ink is darker than this share of the local paper level. Red seal ink keeps ~0.85-0.9
# of the paper's red level, so it falls on the paper side; print is far darker.
INK_SHARE = 0.75
# Lines are found at half the analysis scale (~72 dpi for A4), in these pixels.
# Longer straight runs than this (~1 cm) are ruled lines, not text.
RULE_RUN_PX = 31
# Horizontal gap bridged when chaining characters into a text line.
CHAR_GAP_PX = 7
# A text line's height: ~7 pt to ~22 pt type.
LINE_HEIGHT_PX = (5, 23)
LINE_MIN_ASPECT = 2.5

# --- skew -----------------------------------------------------------------------------
MAX_SKEW_DEG = 5.0
# Fewer ink pixels than this (at analysis scale, about two lines of text): no estimate.
MIN_SKEW_INK_PX = 3000
# The best angle's profile sharpness must beat the mean over all candidate angles by
# this ratio, else the page has no line structure to trust (blank, photo, noise).
MIN_SKEW_PEAK_RATIO = 1.03
# Below this the correction is not worth an interpolation pass.
MIN_SKEW_CORRECTION_DEG = 0.05
_MAX_SKEW_POINTS = 150_000


@dataclass(frozen=True)
class SkewEstimate:
    """A deskew estimate.

    Attributes:
        angle_deg: Counter-clockwise skew of the content in degrees (0.0 when unsure).
        confidence: 0 (no text to measure) to 1 (sharp, unambiguous line structure).
    """

    angle_deg: float
    confidence: float


def analysis_ink(image: np.ndarray) -> tuple[np.ndarray, float]:
    """Ink (255) and paper (0) of the red channel at analysis scale, and that scale."""
    h, w = image.shape[:2]
    scale = min(1.0, ANALYSIS_SHORT_SIDE / min(h, w))
    red = cv2.extractChannel(image, 0)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        # Linear is enough (and 4x faster) for mild reductions; area for strong ones.
        interpolation = cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA
        red = cv2.resize(red, size, interpolation=interpolation)
    # Local paper level: the brightest nearby value, smoothed. A share of it (not a fixed
    # offset) separates ink from paper under uneven light and keeps seal ink out.
    kernel = np.ones((15, 15), np.uint8)
    paper = cv2.blur(cv2.dilate(red, kernel), (15, 15))
    threshold = cv2.convertScaleAbs(paper, alpha=INK_SHARE)
    return cv2.compare(red, threshold, cv2.CMP_LT), scale


def line_ink(ink: np.ndarray) -> np.ndarray:
    """Half-scale ink (any ink in each 2x2 cell) without ruled lines, for finding lines."""
    h, w = ink.shape
    half = cv2.resize(ink, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    half = np.where(half > 0, np.uint8(255), np.uint8(0))  # cv2.compare(half, 0, CMP_GT)
    # Table borders and underlines are not text: long straight runs are taken out.
    horizontal = cv2.morphologyEx(half, cv2.MORPH_OPEN, np.ones((1, RULE_RUN_PX), np.uint8))
    vertical = cv2.morphologyEx(half, cv2.MORPH_OPEN, np.ones((RULE_RUN_PX, 1), np.uint8))
    rules = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8))
    return cv2.bitwise_and(half, cv2.bitwise_not(rules))


def text_lines(text_ink: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """Horizontal text lines of half-scale ink: ``(x0, y0, x1, y1, area)`` each."""
    chained = cv2.morphologyEx(text_ink, cv2.MORPH_CLOSE, np.ones((1, CHAR_GAP_PX), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(chained, connectivity=8)
    lo, hi = LINE_HEIGHT_PX
    lines = []
    for x, y, w, h, area in stats[1:]:
        # Solid enough to be type, not a stray diagonal or a frame.
        if lo <= h <= hi and w >= LINE_MIN_ASPECT * h and area >= 0.3 * w * h:
            lines.append((int(x), int(y), int(x + w), int(y + h), int(area)))
    return lines


def horizontal_share(text_ink: np.ndarray) -> tuple[float, int]:
    """Share of text-line area that runs horizontally (vs vertically), and the total."""
    across = sum(line[4] for line in text_lines(text_ink))
    down = sum(line[4] for line in text_lines(np.ascontiguousarray(text_ink.T)))
    total = across + down
    return (across / total if total else 0.5), total


def _profile_sharpness(xs: np.ndarray, ys: np.ndarray, angle_deg: float, bins: int) -> float:
    """Sum of squares of the row profile once the points are turned clockwise by the angle."""
    # Content turned counter-clockwise by a rises to the right: y + x·tan(a) flattens it.
    rows = ys + xs * np.float32(math.tan(math.radians(angle_deg)))
    hist = np.bincount(rows.astype(np.intp), minlength=bins).astype(np.float64)
    return float(hist @ hist)


def skew_of_ink(ink: np.ndarray) -> SkewEstimate:
    """Projection-profile skew search over ±5°: 0.25° steps, then 0.05° and a parabola."""
    points = cv2.findNonZero(ink)
    count = 0 if points is None else len(points)
    if count < MIN_SKEW_INK_PX:
        return SkewEstimate(0.0, 0.0)
    points = points.reshape(-1, 2)
    # Random (seeded) subsamples: strided ones of raster-ordered pixels form lattices
    # whose own slant the profile search would find.
    rng = np.random.default_rng(0)
    if count > _MAX_SKEW_POINTS:
        points = points[rng.integers(0, count, _MAX_SKEW_POINTS)]
    h, w = ink.shape
    pad = math.tan(math.radians(MAX_SKEW_DEG + 0.5)) * w
    # Whole-pixel bins: finer ones alias with the integer pixel grid and favour 0°.
    fx = points[:, 0].astype(np.float32)
    fy = points[:, 1].astype(np.float32) + np.float32(pad + 0.5)
    bins = int(h + 2 * pad) + 4

    # The coarse pass only has to land within a step of the peak: a quarter of the
    # points is enough for that.
    quarter = rng.integers(0, len(points), max(1, len(points) // 4))
    cx, cy = fx[quarter], fy[quarter]
    coarse = np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, 0.25)
    coarse_scores = np.array([_profile_sharpness(cx, cy, a, bins) for a in coarse])
    best = float(coarse[int(np.argmax(coarse_scores))])
    step = 0.05
    fine = np.arange(best - 0.3, best + 0.3 + 1e-9, step)
    scores = np.array([_profile_sharpness(fx, fy, a, bins) for a in fine])
    i = int(np.argmax(scores))
    angle = float(fine[i])
    if 0 < i < len(fine) - 1:
        s0, s1, s2 = scores[i - 1 : i + 2]
        curvature = s0 - 2 * s1 + s2
        if curvature < 0:
            angle += step * 0.5 * (s0 - s2) / curvature
    # How far the best coarse angle stands out of the rest (same sample, comparable).
    peak_ratio = float(np.max(coarse_scores) / max(float(np.mean(coarse_scores)), 1.0))
    if peak_ratio < MIN_SKEW_PEAK_RATIO:
        return SkewEstimate(0.0, 0.0)
    angle = float(np.clip(angle, -MAX_SKEW_DEG, MAX_SKEW_DEG))
    # Sure when the best angle stands well out and there is plenty of ink to measure.
    confidence = min(1.0, (peak_ratio - 1.0) / 0.3) * min(1.0, count / (4 * MIN_SKEW_INK_PX))
    return SkewEstimate(round(angle, 3), round(confidence, 3))


def estimate_skew(image: np.ndarray) -> SkewEstimate:
    """Estimate the small skew of a page's text lines, with a confidence.

    Args:
        image: RGB uint8 page whose text lines run roughly left to right (either way up).

    Returns:
        The content's counter-clockwise skew in degrees within ±5; 0.0 with confidence 0
        when the page has too little text to measure.
    """
    check_rgb(image)
    ink, _ = analysis_ink(image)
    return skew_of_ink(ink)


def detect_skew(image: np.ndarray) -> float:
    """Counter-clockwise skew of the page's text lines in degrees (±5, ~0.1° precise).

    Correcting it means turning the page clockwise by the returned angle. Returns 0.0
    when the page has too little text (``estimate_skew`` also gives a confidence).
    """
    return estimate_skew(image).angle_deg
