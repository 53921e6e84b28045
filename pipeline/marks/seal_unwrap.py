"""A seal as a circle: its ink, its disc and its text band unwrapped into a strip.

- ``ink_image``: the seal ink as one dark-on-white channel (redness for a red seal on a
  colour page, grey for anything else).
- the seal is mapped onto a circle along its fitted ellipse (an oval stretched round,
  the ink stretched to full contrast) and its text band unwrapped with a polar transform
  into a strip, outer edge up, starting in the middle of the widest gap of the band's ink
  (``unwrap_seal``, ``Unwrapped``; ``unwrap_ring`` for the ring's strip alone).

What the strip says is read in ``seal_lettering``.

Parameters are data (``rules/seal_detection.yaml``, ``rulebook.marks.SealDetection``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.marks.seal_outlines import SealCandidate
from pipeline.pixels import is_greyscale
from pipeline.rulebook.marks import SealDetection

__all__ = ["Unwrapped", "ink_image", "unwrap_ring", "unwrap_seal"]


def ink_image(image: np.ndarray, colour: str = "red") -> np.ndarray:
    """Dark-on-white single channel of the seal ink: redness for a red seal on a colour
    page, grey as is for anything else (a greyscale page, a black or blue seal)."""
    if image.ndim == 2:
        return image
    if is_greyscale(image):
        return cv2.extractChannel(image, 0)
    if colour != "red":
        grey: np.ndarray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        return grey
    # Saturating uint8 subtraction is the clip of red - rest at 0 (never above 255).
    rest = cv2.max(cv2.extractChannel(image, 1), cv2.extractChannel(image, 2))
    redness = cv2.subtract(cv2.extractChannel(image, 0), rest)
    red = redness[redness > 20]
    # The same float32 values as before, so the same percentile to the bit.
    top = float(np.percentile(red.astype(np.float32), 90)) if red.size else 255.0
    # 256 levels in, one float computation each: a lookup table does the per-pixel work.
    levels = np.arange(256, dtype=np.float32)
    table = np.clip(255.0 - levels * np.float32(255.0 / max(top, 1.0)), 0, 255).astype(np.uint8)
    ring: np.ndarray = cv2.LUT(redness, table)
    return ring


def _disc(ink: np.ndarray, seal: SealCandidate, size: int, *, mirror: bool) -> np.ndarray:
    """The seal in its own axes as a circle of radius ``size / 2.04``, white outside.

    The first axis runs along +x: a direction at angle θ here is at θ + ``angle_deg`` on
    the page (for a round seal exactly, for an oval near enough). An oval is stretched
    round along its axes; ``mirror`` flips the seal left to right.
    """
    a, b = seal.axes
    radius = max(a, b)
    t = math.radians(seal.angle_deg)
    c, s = math.cos(t), math.sin(t)
    rot = np.array([[c, s], [-s, c]])  # page -> seal axes
    stretch = np.diag([radius / max(a, 1e-6), radius / max(b, 1e-6)])
    flip = np.diag([-1.0 if mirror else 1.0, 1.0])
    zoom = size / (2.0 * radius * 1.02)
    linear = zoom * flip @ stretch @ rot
    offset = np.array([size / 2.0, size / 2.0]) - linear @ np.array(seal.centre)
    matrix = np.hstack([linear, offset[:, None]])
    out: np.ndarray = cv2.warpAffine(
        ink,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )
    return _stretched(out)


def _stretched(disc: np.ndarray) -> np.ndarray:
    """The disc's ink stretched to full contrast: its darkest to black, its paper (the
    median: a seal's ink covers well under half of it) to white. Faint and pale
    impressions then read like strong ones; a strong one is left as it was."""
    dark, paper = np.percentile(disc, [1, 50])
    if paper - dark < 24.0 or (dark < 16.0 and paper > 240.0):
        return disc
    scaled = (disc.astype(np.float32) - float(dark)) * (255.0 / float(paper - dark))
    out: np.ndarray = np.clip(scaled, 0, 255).astype(np.uint8)
    return out


@dataclass(frozen=True)
class Unwrapped:
    """A seal's disc and its text band in polar form (rows: angles clockwise from +x)."""

    disc: np.ndarray
    band: np.ndarray
    per_radius: float  # pixels per radius, in the disc and across the band
    gap_deg: float  # the middle of the widest gap of the band's ink, disc degrees

    @property
    def rows(self) -> int:
        return int(self.band.shape[0])

    def row(self, deg: float) -> int:
        return round(deg % 360.0 / 360.0 * self.rows) % self.rows

    def strip(self, start_deg: float, span_deg: float = 360.0) -> np.ndarray:
        """The band from ``start_deg`` clockwise over ``span_deg``: outer edge up."""
        first = self.row(start_deg)
        count = max(1, round(span_deg / 360.0 * self.rows))
        rows = np.take(self.band, np.arange(first, first + count), axis=0, mode="wrap")
        return np.ascontiguousarray(np.flipud(rows.T))


def unwrap_seal(
    ink: np.ndarray, seal: SealCandidate, rules: SealDetection, *, mirror: bool = False
) -> Unwrapped:
    """The seal's disc (``mirror``: flipped left to right) and its text band unwrapped."""
    lo, hi = rules.text_band
    per_radius = rules.strip_height_px / (hi - lo)
    size = round(2 * per_radius * 1.02)
    disc = _disc(ink, seal, size, mirror=mirror)
    radial = round(per_radius)
    angular = max(90, round(2 * math.pi * (lo + hi) / 2 * per_radius))
    polar = cv2.warpPolar(
        disc,
        (radial, angular),
        (size / 2.0, size / 2.0),
        size / 2.0 / 1.02,
        cv2.WARP_POLAR_LINEAR | cv2.INTER_LINEAR,
    )
    band = polar[:, round(lo * radial) : round(hi * radial)]
    # Where the lettering pauses: the middle of the widest stretch of angles without ink
    # in the core of the band (away from the ring and the star). The gap under the text
    # spans 100-150 degrees, a space between glyphs a few: the least ink in a window of
    # ``gap_window_deg`` finds the one and never the other.
    core_lo, core_hi = (round((v - lo) / (hi - lo) * band.shape[1]) for v in rules.gap_band)
    dark = (band[:, core_lo:core_hi] < 128).sum(axis=1).astype(np.float64)
    window = max(3, round(rules.gap_window_deg / 360.0 * angular))
    circular = np.concatenate([dark[-window:], dark, dark[:window]])
    smooth = np.convolve(circular, np.ones(window) / window, "same")[window:-window]
    # A wide gap leaves a run of windows with the least ink: start in its middle.
    least = smooth <= float(smooth.min()) + 0.02 * float(smooth.max(initial=0.0)) + 1e-9
    gap_deg = _run_middle(least) * 360.0 / angular
    return Unwrapped(disc=disc, band=band, per_radius=per_radius, gap_deg=gap_deg)


def unwrap_ring(
    ink: np.ndarray, seal: SealCandidate, rules: SealDetection
) -> tuple[np.ndarray, float]:
    """The ring's lettering as a straight strip, starting in the middle of its gap.

    Args:
        ink: Dark-on-white single-channel page (seal ink only, for a colour page).
        seal: The seal, in the pixels of ``ink``.
        rules: Detection settings (``Rules.seal_detection``).

    Returns:
        The strip (outer edge on top, clockwise left to right) and the angle, degrees
        clockwise from +x on screen, where it starts (the gap's middle).
    """
    unwrapped = unwrap_seal(ink, seal, rules)
    return unwrapped.strip(unwrapped.gap_deg), (unwrapped.gap_deg + seal.angle_deg) % 360.0


def _run_middle(flags: np.ndarray) -> int:
    """Index of the middle of the longest circular run of True (0 when there is none)."""
    n = flags.size
    if n == 0 or not flags.any() or flags.all():
        return 0
    first_false = int(np.flatnonzero(~flags)[0])
    rolled = np.roll(flags, -first_false)  # no run wraps round from here
    best_len, best_mid, run_start = 0, 0, -1
    for i, value in enumerate(np.append(rolled, False)):
        if value and run_start < 0:
            run_start = i
        elif not value and run_start >= 0:
            if i - run_start > best_len:
                best_len, best_mid = i - run_start, (run_start + i - 1) // 2
            run_start = -1
    return (best_mid + first_false) % n
