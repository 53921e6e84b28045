"""The lettering round a seal found on a page, read by the page's OCR engine.

The lettering of a round or oval seal runs clockwise along its top, with the gap at the
bottom, whatever way the stamp was turned: the ring is unwrapped with a polar transform
about the seal's centre, starting in the middle of the widest gap of the lettering band
(its angular ink profile), so the strip reads left to right with the glyphs upright, and
the page's OCR engine reads it. Colour seals are unwrapped from their red ink alone (the
black print under them left out). A square seal is read as it stands. Whose seal it is,
is for the validators to say.

Parameters are data (``rules/seal_detection.yaml``, ``rulebook.marks.SealDetection``).
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.marks.seal_impressions import SealCandidate, detect_seals
from pipeline.model import SealMark, TextLine
from pipeline.ocr.engine import OcrEngine
from pipeline.pixels import is_greyscale
from pipeline.rulebook.marks import SealDetection

log = logging.getLogger(__name__)

__all__ = ["read_seal_text", "read_seals", "unwrap_ring"]


def _ink_image(image: np.ndarray) -> np.ndarray:
    """Dark-on-white single channel of the seal ink: redness for colour, grey as is."""
    if image.ndim == 2:
        return image
    if is_greyscale(image):
        return cv2.extractChannel(image, 0)
    red = cv2.extractChannel(image, 0).astype(np.int16)
    rest = np.maximum(cv2.extractChannel(image, 1), cv2.extractChannel(image, 2)).astype(np.int16)
    redness = np.clip(red - rest, 0, 255).astype(np.float32)
    top = float(np.percentile(redness[redness > 20], 90)) if (redness > 20).any() else 255.0
    ring: np.ndarray = np.clip(255.0 - redness * (255.0 / max(top, 1.0)), 0, 255).astype(np.uint8)
    return ring


def _to_circle(ink: np.ndarray, seal: SealCandidate, size: int) -> tuple[np.ndarray, float]:
    """The seal as a circle of radius ``size / 2`` (an oval stretched round), white outside."""
    a, b = seal.axes
    radius = max(a, b)
    t = math.radians(seal.angle_deg)
    c, s = math.cos(t), math.sin(t)
    rot = np.array([[c, s], [-s, c]])  # page -> seal axes
    stretch = np.diag([radius / a, radius / b]) if seal.shape == "oval" else np.eye(2)
    back = np.array([[c, -s], [s, c]])  # seal axes -> page directions (keeps orientation)
    zoom = size / (2.0 * radius * 1.02)
    linear = zoom * back @ stretch @ rot
    centre = np.array(seal.centre)
    offset = np.array([size / 2.0, size / 2.0]) - linear @ centre
    matrix = np.hstack([linear, offset[:, None]])
    out = cv2.warpAffine(
        ink,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )
    return out, size / 2.0 / 1.02


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
    lo, hi = rules.text_band
    per_radius = rules.strip_height_px / (hi - lo)
    size = round(2 * per_radius * 1.02)
    disc, radius = _to_circle(ink, seal, size)
    radial = round(per_radius)
    angular = max(90, round(2 * math.pi * (lo + hi) / 2 * per_radius))
    polar = cv2.warpPolar(
        disc,
        (radial, angular),
        (size / 2.0, size / 2.0),
        radius,
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
    start_row = _run_middle(least)
    strip = np.roll(band, -start_row, axis=0)
    # Rows are angles (clockwise), columns radii (outward): turn so the outer edge is up.
    strip = np.ascontiguousarray(np.flipud(strip.T))
    return strip, start_row * 360.0 / angular


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


def _reading(lines: Sequence[TextLine]) -> tuple[str, float]:
    """The strip's lettering left to right as one text, and a length-weighted confidence."""
    # The lettering is the tallest type in the strip; print under the seal that the band
    # also caught (a greyscale scan keeps it) is smaller.
    tallest = max((line.bbox[3] - line.bbox[1] for line in lines), default=0.0)
    kept = [line for line in lines if line.bbox[3] - line.bbox[1] >= 0.6 * tallest]
    ordered = sorted(kept, key=lambda line: line.bbox[0])
    text = "".join(unicodedata.normalize("NFKC", line.text) for line in ordered)
    text = "".join(text.split())
    if not text:
        return "", 0.0
    weight = sum(len(line.text) for line in ordered) or 1
    confidence = sum(line.confidence * len(line.text) for line in ordered) / weight
    return text, round(float(confidence), 3)


def read_seal_text(
    ink: np.ndarray,
    seal: SealCandidate,
    engine: OcrEngine,
    rules: SealDetection,
) -> tuple[str, float]:
    """The lettering round a seal as the OCR reads it, and how sure it is.

    A square seal is read as it stands (its text is in rows). A round or oval one is
    unwrapped from the gap in its lettering and, if the read is unsure, from a few
    start angles either side of it; the most confident reading is kept.

    Returns:
        ``(text, confidence)``; ``("", 0.0)`` when nothing readable was found.
    """
    if seal.shape == "square":
        h, w = ink.shape[:2]
        x0, y0, x1, y1 = (round(v) for v in seal.bbox_px(w, h))
        crop = ink[y0:y1, x0:x1]
        candidates = [crop] if crop.size else []
    else:
        strip, _ = unwrap_ring(ink, seal, rules)
        candidates = [strip]
        for offset in rules.start_offsets_deg:
            if offset:
                shift = round(offset / 360.0 * strip.shape[1])
                candidates.append(np.roll(strip, shift, axis=1))
    best = ("", 0.0)
    for index, candidate in enumerate(candidates):
        pad = max(8, candidate.shape[0] // 4)
        padded = cv2.copyMakeBorder(candidate, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
        text, confidence = _reading(engine.recognize(cv2.cvtColor(padded, cv2.COLOR_GRAY2RGB)))
        if confidence > best[1]:
            best = (text, confidence)
        if index == 0 and best[1] >= 0.9:
            break  # the gap was found right: the other starts would only cost time
    if best[1] < rules.min_text_confidence:
        return "", 0.0
    return best


def read_seals(
    image: np.ndarray,
    dpi: float,
    engine: OcrEngine | None,
    rules: SealDetection,
) -> tuple[SealMark, ...]:
    """The seals on a normalised scan with their lettering read: ``Page.seals``.

    Args:
        image: ``NormalisedPage.image`` (the colours kept).
        dpi: Its resolution.
        engine: The page's OCR engine; None leaves every seal's text ''.
        rules: Detection settings (``Rules.seal_detection``).

    Returns:
        One ``SealMark`` per seal, bbox in fractions of ``image``, top to bottom.
    """
    found = detect_seals(image, dpi, rules)
    if not found:
        return ()
    h, w = image.shape[:2]
    ink = _ink_image(image) if engine is not None else None
    marks: list[SealMark] = []
    for index, seal in enumerate(found):
        text, text_confidence = "", 0.0
        if ink is not None and index < rules.max_seals_read:
            try:
                text, text_confidence = read_seal_text(ink, seal, engine, rules)  # type: ignore[arg-type]
            except Exception as exc:  # the seal is still there when its text cannot be read
                log.warning("seal text not read: %r", exc, exc_info=True)
        x0, y0, x1, y1 = seal.bbox_px(w, h)
        marks.append(
            SealMark(
                bbox=(round(x0 / w, 5), round(y0 / h, 5), round(x1 / w, 5), round(y1 / h, 5)),
                shape=seal.shape,
                colour=seal.colour,
                confidence=seal.confidence,
                text=text,
                text_confidence=text_confidence,
            )
        )
    return tuple(marks)
