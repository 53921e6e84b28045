"""Seal-like marks on a scanned page: where they are and their shape.

Two ways in, one result (``SealCandidate`` in the pixels of the normalised page, which
``seal_lettering.read_seals`` turns into ``SealMark``s in fractions of it, the frame of
the page's text lines); sizes come from the frame (``seal_outlines``: millimetres when the
page at its dpi is a paper size, else shares of the image):

- colour scans: rings of red ink, judged against the paper round them (``red_seals``),
  then of blue and black ink where no red seal is (``ink_seals``).
- greyscale scans (here): no colour to go by, so rings of a seal's size are found by the
  Hough transform and kept when ink runs round the circle but not just outside it, and
  the lettering band inside holds ink. The colour is ``grey`` and the confidence lower.

Their lettering is read in ``seal_lettering``; whose seal it is, is for the validators to
say.

Parameters are data (``rules/seal_detection.yaml``: ``Rules.seal_detection``), checked
when the rules are loaded.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from pipeline.marks.ink_seals import ink_candidates
from pipeline.marks.seal_outlines import (
    Frame,
    SealCandidate,
    band_coverage,
    disc_share,
    seal_confidence,
    seal_frame,
    suppress,
)
from pipeline.pixels import is_greyscale
from pipeline.rulebook.marks import SealDetection

__all__ = [
    "SealCandidate",
    "SealDetection",
    "detect_seals",
]

# ======================================================================================
# Greyscale scans: rings by shape
# ======================================================================================


def _grey_ink(grey: np.ndarray, px_per_mm: float, share: float) -> np.ndarray:
    """Ink (True): darker than ``share`` of the local paper brightness."""
    window = max(3, round(2.0 * px_per_mm) | 1)
    kernel = np.ones((window, window), np.uint8)
    paper = cv2.blur(cv2.dilate(grey, kernel), (window, window))
    return grey < cv2.convertScaleAbs(paper, alpha=share)


def _grey_candidates(grey: np.ndarray, frame: Frame, rules: SealDetection) -> list[SealCandidate]:
    """Round seals on a (work-scale) grey page: Hough circles with ink round the ring."""
    ink = _grey_ink(grey, frame.unit, rules.grey_ink_share)
    tolerant = cv2.dilate(ink.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    scored: list[SealCandidate] = []
    for circle, rough in _grey_circles(grey, frame, rules):
        ring = _thin_ring(ink, circle, rules)
        if ring is None:
            continue
        if rough:  # found on a scaled copy: placed to a few pixels, found again here
            again = _thin_ring(ink, _refined(grey, circle, rules), rules)
            ring = ring if again is None else again
        candidate = _check_grey_ring(ring[0], ring[1] * 1.02, ink, tolerant, rules, ring[2])
        if candidate is not None:
            scored.append(candidate)
    return suppress(scored)


def _thin_ring(
    ink: np.ndarray, circle: np.ndarray, rules: SealDetection
) -> tuple[tuple[float, float], float, float] | None:
    """The centre and the radius of the thin circle round a Hough circle with ink in most
    directions (at least ``ring_peak_grey``, or ``partial_ring_grey``'s peak); None when
    there is none); and that share."""
    x, y, r = circle  # (float32: the radii below in float32, as they always were)
    partial = rules.partial_ring_grey
    least = rules.ring_peak_grey if partial is None else min(rules.ring_peak_grey, partial.peak)
    centre = (float(x), float(y))
    # Hough's radius is a few pixels off at this scale, and a circle laid over print
    # finds ink in most directions at some radius or other: a ring has ink in nearly
    # every direction at one radius. Scan thin circles for it.
    radii = np.arange(0.85 * r, 1.15 * r, 1.0)
    thin = [
        band_coverage(ink, centre, (q, q), 0.0, False, (1.0, 1.0 + 1.5 / q), rules.ring_bins)
        for q in radii
    ]
    best = int(np.argmax(thin))
    if thin[best] < least:
        return None
    return centre, float(radii[best]), float(thin[best])


def _grey_circles(
    grey: np.ndarray, frame: Frame, rules: SealDetection
) -> list[tuple[np.ndarray, bool]]:
    """Hough circles of a seal's radius on the (work-scale) grey page, ``(x, y, r)``, each
    with whether it was found on a scaled copy (rough: ``_refined`` places it again).

    A page measured in millimetres spans one octave of radii (a seal 28-56 mm) and is
    searched as it stands. A page without believable millimetres (a crop, a photo, a dpi
    guessed wrong) spans four octaves, up to a seal filling the image: a search over all
    of them at once costs tens of seconds on a page of print (every edge pixel votes
    along its whole radius range). Each octave past ``grey_hough_radius_px`` is searched
    on a copy scaled so its largest radius is that (``red_seals._ring_outlines`` does the
    same for red rings).
    """
    r_min = frame.min_round / 2
    r_max = frame.long_axis[1] / 2
    limit = rules.grey_hough_radius_px
    if r_max <= limit:
        octaves = [(r_min, r_max, 1.0)]
    else:
        octaves = []
        low = r_min
        while low < r_max:
            high = min(r_max, 2.0 * low)
            octaves.append((low, high, min(1.0, limit / high)))
            low = high
    h, w = grey.shape
    found: list[tuple[np.ndarray, bool]] = []
    for low, high, shrink in octaves:
        small = grey
        if shrink < 1.0:
            size = (max(1, round(w * shrink)), max(1, round(h * shrink)))
            small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        circles = cv2.HoughCircles(
            cv2.GaussianBlur(small, (5, 5), 1.2),
            cv2.HOUGH_GRADIENT,
            dp=1,
            minDist=low * shrink,
            param1=rules.hough_canny,
            param2=rules.hough_votes,
            minRadius=round(low * shrink),
            maxRadius=round(high * shrink),
        )
        if circles is None:
            continue
        found += [(circle, shrink < 1.0) for circle in circles[0][:60] / shrink]
    return found


def _refined(grey: np.ndarray, circle: np.ndarray, rules: SealDetection) -> np.ndarray:
    """A circle found on a scaled copy, found again at full scale round where it lies
    (a window a little wider than it, radii within 15 %): the scaled copy places it only
    to a few pixels. The rough circle when the window finds none. (Only circles with a
    thin ring round them are placed again: a page of print gives dozens that have none.)"""
    x, y, r = (float(v) for v in circle)
    h, w = grey.shape
    reach = 1.2 * r + 8
    x0, y0 = max(0, math.floor(x - reach)), max(0, math.floor(y - reach))
    x1, y1 = min(w, math.ceil(x + reach)), min(h, math.ceil(y + reach))
    again = cv2.HoughCircles(
        cv2.GaussianBlur(grey[y0:y1, x0:x1], (5, 5), 1.2),
        cv2.HOUGH_GRADIENT,
        dp=1,
        minDist=2 * reach,
        param1=rules.hough_canny,
        param2=rules.hough_votes,
        minRadius=math.floor(0.85 * r),
        maxRadius=math.ceil(1.15 * r),
    )
    if again is None:
        return circle
    best = again[0][0]
    return np.array([best[0] + x0, best[1] + y0, best[2]], np.float32)


def _check_grey_ring(
    centre: tuple[float, float],
    radius: float,
    ink: np.ndarray,
    tolerant: np.ndarray,
    rules: SealDetection,
    peak: float = 1.0,
) -> SealCandidate | None:
    """A grey seal on the circle of ``radius``, or None; ``peak``: the share of directions
    with ink on its one thin circle (``_thin_ring``)."""
    axes = (radius, radius)
    bins = rules.ring_bins
    ring = band_coverage(tolerant, centre, axes, 0.0, False, (0.93, 1.03), bins)
    partial = rules.partial_ring_grey
    if ring < (rules.ring_coverage_grey if partial is None else partial.coverage):
        return None
    outside = band_coverage(ink, centre, axes, 0.0, False, (1.1, 1.22), bins)
    if ring - outside < rules.ring_contrast_grey:
        return None
    lettering = band_coverage(ink, centre, axes, 0.0, False, (0.6, 0.88), bins)
    if lettering < rules.text_band_ink_grey:
        return None
    star = disc_share(ink, centre, rules.star_radius * radius) >= rules.star_share
    # A broken ring (less than the whole ring's coverage, or on no one thin circle in
    # ring_peak_grey of its directions): a seal's only round its star, on clear paper.
    whole = ring >= rules.ring_coverage_grey and peak >= rules.ring_peak_grey
    if not whole and (partial is None or not star or outside > partial.max_outside):
        return None
    confidence = seal_confidence(ring, rules.ring_coverage_grey, star) * rules.max_confidence_grey
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


# ======================================================================================
# Detection entry point
# ======================================================================================


def detect_seals(image: np.ndarray, dpi: float, rules: SealDetection) -> list[SealCandidate]:
    """The seals on a normalised scan, in its pixels, top to bottom.

    Args:
        image: The page with its seals, upright and deskewed: RGB uint8 (H, W, 3)
            (``NormalisedPage.image``), or greyscale (H, W).
        dpi: Its resolution (seal sizes in mm only when the page is then a paper
            size; else relative to the image).
        rules: Detection settings (``Rules.seal_detection``).

    Returns:
        Candidates in the pixels of ``image``; red, blue or black on a colour page
        (``ink_seals``), grey on a greyscale one.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    grey_page = image.ndim == 2 or is_greyscale(image)
    frame = seal_frame(image.shape, dpi, rules)
    scale = frame.scale
    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if grey_page:
        grey = image if image.ndim == 2 else cv2.extractChannel(image, 0)
        if scale < 1.0:
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        found = _grey_candidates(grey, frame, rules)
    else:
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else image
        found = ink_candidates(small, frame, rules)
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
