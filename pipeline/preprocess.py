"""Page normalisation for scans: orientation, deskew, resolution, red seal ink.

Pure functions over RGB ``uint8`` arrays ``(H, W, 3)``; nothing here knows of Prefect or
the store. ``normalise_page`` is the stage's entry point; the detectors and the seal-ink
separation are public so the seal checks and the benchmarks can call them alone.

Conventions:
    * Angles follow the corpus truth: ``skew_deg`` > 0 means the content is turned
      counter-clockwise on screen, so correcting it turns the page clockwise.
    * ``rotation`` is the clockwise quarter turn (0/90/180/270) that makes a page upright.
    * Geometry uses continuous pixel coordinates: pixel ``(col, row)`` covers
      ``[col, col + 1) x [row, row + 1)``, so a page fraction times the size is a
      coordinate, and the 3x3 matrices here map continuous coordinates.

Analysis (text direction, skew, line finding) runs on the red channel of the page scaled
to about 1200 px across its short side (~145 dpi for A4): red seal ink is nearly
transparent in the red channel while black print and blue-black handwriting stay dark,
so seals do not steer the estimates.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import onnxruntime as ort

from pipeline.errors import OcrError

log = logging.getLogger(__name__)

__all__ = [
    "NormalisedPage",
    "Orientation",
    "SkewEstimate",
    "detect_orientation",
    "detect_skew",
    "estimate_skew",
    "map_box_to_source",
    "normalise_page",
    "remove_seal_ink",
    "seal_ink_mask",
    "upright_page",
]

Rotation = Literal[0, 90, 180, 270]
BoxFraction = tuple[float, float, float, float]

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
# A page counts as turned by a quarter when text-line ink runs vertically by this margin.
DIRECTION_MARGIN = 0.2

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

# --- orientation ----------------------------------------------------------------------
# Flip only with a clear majority of enough lines and a confident classifier: the PP-OCR
# classifier sometimes calls upright lines 180 (short lines, digits, sparse pages), and a
# wrongly flipped page loses every field, while an unflipped one only goes to review.
FLIP_MIN_LINES = 5
FLIP_MIN_SHARE = 0.7
FLIP_MIN_MEAN_SCORE = 0.8
# Keeping a page as is is fully sure only with this many lines read the right way up.
SURE_LINES = 6
MAX_CLS_LINES = 8
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
CLS_HEIGHT, CLS_WIDTH = 48, 192
# Long lines are classified as a head and a tail segment of this many line heights: the
# classifier's 4:1 input squashes whole long lines; the line's vote averages the two.
CLS_SEGMENT_ASPECT = 4.0

# --- seal ink -------------------------------------------------------------------------
# Redness is R - max(G, B) in 0-255 levels: paper and black print sit near 0 (<= 4 on
# the corpus), blue ink below 0, seal ink well above; the pale, JPEG-diluted edges of a
# seal start just above paper, so a higher start leaves a ghost ring. Between the two
# levels the separation is blended in, so colour bleed around print fades, not steps.
# A scanner with more colour noise than the corpus may want the start nearer 10.
REDNESS_START = 6
REDNESS_FULL = 20
# The ink mask for seal detection: clearly red and bright enough to be ink on paper.
MASK_REDNESS = 30
MASK_MIN_RED = 90
# Under a seal, print is recovered from the red channel relative to the local paper:
# below this share of the paper's red level a pixel is print and keeps its darkness.
PRINT_RED_SHARE = 0.4
# Pixels this red are seal ink for sure; their red share gives the ink's own red level.
SOLID_SEAL_REDNESS = 80
# Paper colour is sampled on a grid this many pixels apart, averaged over this window.
PAPER_GRID_PX = 8
PAPER_WINDOW_CELLS = 9

# --- resolution -----------------------------------------------------------------------
SANE_DPI = (180.0, 320.0)


@dataclass(frozen=True)
class SkewEstimate:
    """A deskew estimate.

    Attributes:
        angle_deg: Counter-clockwise skew of the content in degrees (0.0 when unsure).
        confidence: 0 (no text to measure) to 1 (sharp, unambiguous line structure).
    """

    angle_deg: float
    confidence: float


@dataclass(frozen=True)
class Orientation:
    """Which clockwise quarter turn makes a page upright, and how sure that is.

    Attributes:
        rotation: Clockwise turn to apply: 0, 90, 180 or 270.
        confidence: 0-1; low when the text was too sparse or the votes too split.
        lines: Text lines the classifier voted on.
        flipped_votes: How many of them read as upside down.
    """

    rotation: Rotation
    confidence: float
    lines: int = 0
    flipped_votes: int = 0


@dataclass(frozen=True, eq=False)
class NormalisedPage:
    """A scanned page, upright, deskewed and at a sane resolution.

    Attributes:
        image: RGB page in its original colours (seal checks read these).
        ocr_image: The same geometry with red seal ink removed (for OCR).
        rotation: Clockwise quarter turn applied to the source.
        skew_deg: Skew corrected (the source content's counter-clockwise skew, degrees).
        dpi: Resolution of ``image``.
        orientation_confidence: How sure ``rotation`` is (0-1).
        skew_confidence: How sure ``skew_deg`` is (0-1).
        source_size: ``(width, height)`` of the source image in pixels.
        transform: 3x3 matrix from source to ``image`` continuous pixel coordinates.
    """

    image: np.ndarray
    ocr_image: np.ndarray
    rotation: Rotation
    skew_deg: float
    dpi: float
    orientation_confidence: float
    skew_confidence: float
    source_size: tuple[int, int]
    transform: np.ndarray

    def box_to_source(self, bbox: BoxFraction) -> BoxFraction:
        """See ``map_box_to_source``."""
        return map_box_to_source(self, bbox)


# ======================================================================================
# Analysis image: ink of the red channel, scaled down
# ======================================================================================


def _check_rgb(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 array (H, W, 3), got {image.dtype} {image.shape}")


def _analysis_ink(image: np.ndarray) -> tuple[np.ndarray, float]:
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


def _line_ink(ink: np.ndarray) -> np.ndarray:
    """Half-scale ink (any ink in each 2x2 cell) without ruled lines, for finding lines."""
    h, w = ink.shape
    half = cv2.resize(ink, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    half = cv2.compare(half, 0, cv2.CMP_GT)
    # Table borders and underlines are not text: long straight runs are taken out.
    horizontal = cv2.morphologyEx(half, cv2.MORPH_OPEN, np.ones((1, RULE_RUN_PX), np.uint8))
    vertical = cv2.morphologyEx(half, cv2.MORPH_OPEN, np.ones((RULE_RUN_PX, 1), np.uint8))
    rules = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8))
    return cv2.bitwise_and(half, cv2.bitwise_not(rules))


def _text_lines(text_ink: np.ndarray) -> list[tuple[int, int, int, int, int]]:
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


def _horizontal_share(text_ink: np.ndarray) -> tuple[float, int]:
    """Share of text-line area that runs horizontally (vs vertically), and the total."""
    across = sum(line[4] for line in _text_lines(text_ink))
    down = sum(line[4] for line in _text_lines(np.ascontiguousarray(text_ink.T)))
    total = across + down
    return (across / total if total else 0.5), total


def _paper_colour(image: np.ndarray) -> tuple[int, int, int]:
    """The page's paper colour: per-channel median of the bright (paper) pixels."""
    step = max(1, min(image.shape[:2]) // 100)
    sample = image[::step, ::step].reshape(-1, 3)
    bright = sample.max(axis=1)
    paper = sample[bright >= np.percentile(bright, 60)]
    if paper.size == 0:
        return (255, 255, 255)
    med = np.median(paper, axis=0)
    return (int(med[0]), int(med[1]), int(med[2]))


# ======================================================================================
# Skew
# ======================================================================================


def _profile_sharpness(xs: np.ndarray, ys: np.ndarray, angle_deg: float, bins: int) -> float:
    """Sum of squares of the row profile once the points are turned clockwise by the angle."""
    # Content turned counter-clockwise by a rises to the right: y + x·tan(a) flattens it.
    rows = ys + xs * np.float32(math.tan(math.radians(angle_deg)))
    hist = np.bincount(rows.astype(np.intp), minlength=bins).astype(np.float64)
    return float(hist @ hist)


def _skew_of_ink(ink: np.ndarray) -> SkewEstimate:
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
    _check_rgb(image)
    ink, _ = _analysis_ink(image)
    return _skew_of_ink(ink)


def detect_skew(image: np.ndarray) -> float:
    """Counter-clockwise skew of the page's text lines in degrees (±5, ~0.1° precise).

    Correcting it means turning the page clockwise by the returned angle. Returns 0.0
    when the page has too little text (``estimate_skew`` also gives a confidence).
    """
    return estimate_skew(image).angle_deg


# ======================================================================================
# Orientation: text direction, then the PP-OCR text-direction classifier
# ======================================================================================

_SESSIONS: dict[int, ort.InferenceSession] = {}
_SESSIONS_LOCK = threading.Lock()


def _cls_model_path() -> Path:
    return Path(str(resources.files("rapidocr") / "models" / CLS_MODEL))


def _cls_session(threads: int) -> ort.InferenceSession:
    """The classifier's ONNX session: created on first use, once per thread count."""
    with _SESSIONS_LOCK:
        session = _SESSIONS.get(threads)
        if session is None:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            path = _cls_model_path()
            if not path.is_file():
                raise OcrError(f"text-direction classifier missing from rapidocr: {path}")
            log.debug("loading text-direction classifier %s (%d threads)", path, threads)
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            _SESSIONS[threads] = session
        return session


def _cls_input(crop: np.ndarray) -> np.ndarray:
    """One grey crop as the classifier's normalised (3, 48, 192) input, padded right."""
    h, w = crop.shape[:2]
    width = min(CLS_WIDTH, max(1, math.ceil(CLS_HEIGHT * w / h)))
    resized = cv2.resize(crop, (width, CLS_HEIGHT), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((3, CLS_HEIGHT, CLS_WIDTH), np.float32)
    out[:, :, :width] = resized.astype(np.float32) / 127.5 - 1.0
    return out


def _line_crops(
    red: np.ndarray, boxes: list[tuple[float, float, float, float]]
) -> tuple[list[np.ndarray], list[int]]:
    """Crops of the longest lines, red channel, and the line each crop belongs to.

    Long lines give a head and a tail segment: two looks at the same line.
    """
    h, w = red.shape
    crops: list[np.ndarray] = []
    owners: list[int] = []
    longest = sorted(boxes, key=lambda b: b[0] - b[2])[:MAX_CLS_LINES]
    for line, (x0, y0, x1, y1) in enumerate(longest):
        height = y1 - y0
        top, bottom = max(0, int(y0 - 0.2 * height)), min(h, math.ceil(y1 + 0.2 * height))
        left, right = max(0, int(x0 - 0.3 * height)), min(w, math.ceil(x1 + 0.3 * height))
        if bottom - top < 8 or right - left < 8:
            continue
        segment = round(CLS_SEGMENT_ASPECT * (bottom - top))
        if right - left > 1.3 * segment:
            crops += [
                red[top:bottom, left : left + segment],
                red[top:bottom, right - segment : right],
            ]
            owners += [line, line]
        else:
            crops.append(red[top:bottom, left:right])
            owners.append(line)
    return crops, owners


def _flip_probabilities(
    red: np.ndarray, boxes: list[tuple[float, float, float, float]], threads: int
) -> np.ndarray:
    """Per text line, the classifier's probability that it reads upside down."""
    crops, owners = _line_crops(red, boxes)
    if not crops:
        return np.zeros(0, np.float32)
    batch = np.stack([_cls_input(c) for c in crops])
    session = _cls_session(threads)
    (probs,) = session.run(None, {session.get_inputs()[0].name: batch})
    per_crop = np.asarray(probs[:, 1], dtype=np.float32)
    lines = np.asarray(owners)
    return np.array([per_crop[lines == i].mean() for i in np.unique(lines)], np.float32)


def _vote(flip_probs: np.ndarray, *, quarter_turned: bool) -> tuple[bool, float, int]:
    """Decide upside down from the lines' votes: ``(flip, confidence, flipped_lines)``.

    An upright-looking page is kept unless the vote is clear. A quarter-turned page has
    no "as is" to fall back on (90 and 270 are both a turn): there the majority decides.
    """
    n = int(flip_probs.size)
    if n == 0:
        return False, 0.0, 0
    flipped_mask = flip_probs > 0.5
    flipped = int(flipped_mask.sum())
    share = flipped / n
    coverage = min(1.0, n / FLIP_MIN_LINES)
    if quarter_turned:
        return share > 0.5, round(coverage * abs(2 * share - 1), 3), flipped
    mean_flip = float(flip_probs[flipped_mask].mean()) if flipped else 0.0
    enough = n >= FLIP_MIN_LINES
    if enough and share >= FLIP_MIN_SHARE and mean_flip >= FLIP_MIN_MEAN_SCORE:
        return True, round(share * mean_flip, 3), flipped
    if enough and share >= 0.5:
        log.info("page may be upside down (%d of %d lines), vote not clear: kept", flipped, n)
    # Kept as is: sure when enough lines agree firmly, unsure when sparse or split.
    firmness = float(np.mean(1.0 - flip_probs))
    confidence = (1.0 - share) * firmness * min(1.0, n / SURE_LINES)
    return False, round(confidence, 3), flipped


# (quarter turned, upside down) -> the clockwise turn that makes the page upright.
_TURNS: dict[tuple[bool, bool], Rotation] = {
    (False, False): 0,
    (False, True): 180,
    (True, False): 90,
    (True, True): 270,
}


@dataclass(frozen=True)
class _Plan:
    """What the analysis image says about a page before any pixels are moved."""

    quarter_turned: bool
    direction_confidence: float
    skew: SkewEstimate
    scale: float

    @property
    def correction_deg(self) -> float:
        """The skew worth correcting: tiny ones are not worth an interpolation pass."""
        angle = self.skew.angle_deg
        return angle if abs(angle) >= MIN_SKEW_CORRECTION_DEG else 0.0


def _plan(image: np.ndarray) -> tuple[_Plan, np.ndarray]:
    """Text direction and skew; also the upright-candidate text ink for line finding."""
    ink, scale = _analysis_ink(image)
    text_ink = _line_ink(ink)
    share, total = _horizontal_share(text_ink)
    quarter_turned = share < 0.5 - DIRECTION_MARGIN
    # A few lines' worth of text (at half scale) is enough to tell the direction.
    direction_confidence = min(1.0, abs(share - 0.5) * 2) * min(1.0, total / 5_000)
    if quarter_turned:
        ink = np.ascontiguousarray(np.rot90(ink, -1))
        text_ink = np.ascontiguousarray(np.rot90(text_ink, -1))
    skew = _skew_of_ink(ink)
    return _Plan(quarter_turned, round(direction_confidence, 3), skew, scale), text_ink


def _rotation_matrix(size: tuple[int, int], quarter_turned: bool) -> np.ndarray:
    """3x3 matrix of the clockwise quarter turn (or identity) for a ``(w, h)`` image."""
    _, h = size
    if not quarter_turned:
        return np.eye(3)
    # Clockwise on screen: the top-left corner goes to the top right.
    return np.array([[0.0, -1.0, h], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def _deskew_matrix(
    size: tuple[int, int], skew_deg: float, zoom: float
) -> tuple[np.ndarray, tuple[int, int]]:
    """3x3 matrix turning clockwise by the skew about the centre, then scaling; out size."""
    w, h = size
    out = (max(1, round(w * zoom)), max(1, round(h * zoom)))
    a = math.radians(skew_deg)
    c, s = math.cos(a), math.sin(a)
    # Clockwise on screen with y down: (1, 0) turns towards +y.
    lin = zoom * np.array([[c, -s], [s, c]])
    centre_in = np.array([w / 2, h / 2])
    centre_out = np.array([out[0] / 2, out[1] / 2])
    m = np.eye(3)
    m[:2, :2] = lin
    m[:2, 2] = centre_out - lin @ centre_in
    return m, out


def _warp(
    image: np.ndarray,
    matrix: np.ndarray,
    size: tuple[int, int],
    fill: tuple[int, ...] | int,
    interpolation: int = cv2.INTER_LINEAR,
) -> np.ndarray:
    """Apply a continuous-coordinate 3x3 matrix with OpenCV (which uses pixel centres)."""
    m = matrix[:2].copy()
    # Continuous -> index coordinates: pixel centres sit at integers for OpenCV.
    m[:, 2] += m[:, :2] @ np.array([0.5, 0.5]) - 0.5
    return cv2.warpAffine(
        image, m, size, flags=interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )


def _upright_ink(text_ink: np.ndarray, skew_deg: float) -> np.ndarray:
    """The (quarter-turned) analysis text ink with the skew corrected, for line finding."""
    if skew_deg == 0.0:
        return text_ink
    h, w = text_ink.shape
    m, size = _deskew_matrix((w, h), skew_deg, 1.0)
    return _warp(text_ink, m, size, 0, cv2.INTER_NEAREST)


def _orientation(
    upright: np.ndarray, text_ink: np.ndarray, plan: _Plan, zoom: float, threads: int
) -> Orientation:
    """Vote 0 vs 180 on ``upright`` (deskewed, quarter turn applied, scaled by zoom)."""
    ink = _upright_ink(text_ink, plan.correction_deg)
    factor = 2.0 * zoom / plan.scale  # line ink is at half the analysis scale
    boxes = [
        (x0 * factor, y0 * factor, x1 * factor, y1 * factor)
        for x0, y0, x1, y1, _ in _text_lines(ink)
    ]
    probs = _flip_probabilities(cv2.extractChannel(upright, 0), boxes, threads)
    flip, confidence, flipped = _vote(probs, quarter_turned=plan.quarter_turned)
    rotation = _TURNS[plan.quarter_turned, flip]
    # Only as sure as the weaker of the two decisions (text direction, which way up).
    confidence = round(min(confidence, plan.direction_confidence), 3)
    return Orientation(rotation, confidence, int(probs.size), flipped)


def detect_orientation(image: np.ndarray, *, threads: int = 1) -> Orientation:
    """Find the clockwise quarter turn (0/90/180/270) that makes a page upright.

    Portrait vs landscape text comes from the direction of the text lines; upright vs
    upside down from PP-OCR's text-direction classifier voting on line crops. A page is
    called upside down only with a clear majority of at least ``FLIP_MIN_LINES`` lines;
    otherwise it is kept as is with a low confidence.

    Args:
        image: RGB uint8 page.
        threads: ONNX Runtime threads for the classifier (the session is made once).

    Returns:
        The rotation to apply and how sure it is.
    """
    _check_rgb(image)
    plan, text_ink = _plan(image)
    upright, _ = _geometry(image, plan, zoom=1.0)
    return _orientation(upright, text_ink, plan, 1.0, threads)


# ======================================================================================
# Seal ink
# ======================================================================================


def _channels(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # extractChannel is several times faster than cv2.split on large pages here.
    return (
        cv2.extractChannel(image, 0),
        cv2.extractChannel(image, 1),
        cv2.extractChannel(image, 2),
    )


def is_greyscale(image: np.ndarray) -> bool:
    """All three channels equal (a greyscale scan rendered as RGB)."""
    sample = image[::16, ::16]
    if not (
        np.array_equal(sample[..., 0], sample[..., 1])
        and np.array_equal(sample[..., 1], sample[..., 2])
    ):
        return False  # the usual colour page: settled on a sample
    red, green, blue = _channels(image)
    return bool(np.array_equal(red, green) and np.array_equal(green, blue))


def _redness(image: np.ndarray) -> np.ndarray:
    """R - max(G, B), saturated at 0: how red each pixel is (uint8)."""
    red, green, blue = _channels(image)
    return cv2.subtract(red, cv2.max(green, blue))


def seal_ink_mask(image: np.ndarray) -> np.ndarray:
    """Where red seal ink is: clearly red pixels bright enough to be ink on paper.

    Args:
        image: RGB uint8 page.

    Returns:
        Boolean array (H, W); all False for a greyscale page.
    """
    _check_rgb(image)
    if is_greyscale(image):
        return np.zeros(image.shape[:2], bool)
    return (_redness(image) >= MASK_REDNESS) & (image[..., 0] >= MASK_MIN_RED)


def _local_paper(image: np.ndarray, redness: np.ndarray) -> np.ndarray:
    """Paper colour on a coarse grid (float32, 1/``PAPER_GRID_PX`` scale), ink left out."""
    h, w = image.shape[:2]
    g = PAPER_GRID_PX
    rows, cols = max(1, h // g), max(1, w // g)
    # Whole cells only: OpenCV's area reduction is much faster at an integer factor.
    small = cv2.resize(image[: rows * g, : cols * g], (cols, rows), interpolation=cv2.INTER_AREA)
    small_red = cv2.resize(
        redness[: rows * g, : cols * g], (cols, rows), interpolation=cv2.INTER_AREA
    )
    small = small.astype(np.float32)
    bright = small.max(axis=2)
    level = float(np.percentile(bright, 90))
    # Paper cells: bright (no print) and not red (no seal); the rest borrow from them.
    valid = (bright >= 0.85 * level) & (small_red < REDNESS_START)
    if not valid.any():
        return np.full_like(small, level)
    weight = valid.astype(np.float32)
    k = (PAPER_WINDOW_CELLS, PAPER_WINDOW_CELLS)
    total = cv2.blur(small * weight[..., None], k)
    count = cv2.blur(weight, k)
    fallback = np.median(small[valid], axis=0)
    paper = np.where(count[..., None] > 0.05, total / np.maximum(count, 1e-6)[..., None], fallback)
    return paper.astype(np.float32)


def remove_seal_ink(image: np.ndarray) -> np.ndarray:
    """Remove red seal ink, keeping the print and handwriting beneath and around it.

    Seal ink absorbs green and blue but hardly any red, so under a seal the red channel
    still shows the print. Each red pixel is replaced by the local paper colour darkened
    by its red channel's share of the paper's red: pure seal ink becomes paper, print
    under the seal stays dark (very dark pixels keep their darkness as is). Blue-black
    handwriting and black print are not red and are left alone.

    Args:
        image: RGB uint8 page.

    Returns:
        A new RGB uint8 page; a greyscale page (all channels equal) comes back unchanged.
    """
    _check_rgb(image)
    out = image.copy()
    if is_greyscale(image):
        return out
    redness = _redness(image)
    points = cv2.findNonZero(cv2.compare(redness, REDNESS_START, cv2.CMP_GT))
    if points is None:
        return out
    points = points.reshape(-1, 2)
    xs, ys = points[:, 0], points[:, 1]
    paper_grid = _local_paper(image, redness)
    gy = np.minimum(ys // PAPER_GRID_PX, paper_grid.shape[0] - 1)
    gx = np.minimum(xs // PAPER_GRID_PX, paper_grid.shape[1] - 1)
    paper = paper_grid[gy, gx]
    pixels = image[ys, xs].astype(np.float32)
    red_share = pixels[:, 0] / np.maximum(paper[:, 0], 1.0)
    red_level = redness[ys, xs]

    # The seal ink's own red share, from pixels that are surely ink: mapped to paper.
    solid = red_share[red_level >= SOLID_SEAL_REDNESS]
    ink_share = float(np.percentile(solid, 35)) if solid.size >= 50 else 0.85
    ink_share = min(max(ink_share, PRINT_RED_SHARE + 0.2), 1.0)
    # Print (below PRINT_RED_SHARE) keeps its darkness; up to the ink's share it fades.
    t = np.where(
        red_share <= PRINT_RED_SHARE,
        red_share,
        PRINT_RED_SHARE
        + (red_share - PRINT_RED_SHARE) * (1.0 - PRINT_RED_SHARE) / (ink_share - PRINT_RED_SHARE),
    )
    t = np.clip(t, 0.0, 1.0)
    recovered = paper * t[:, None]
    weight = np.clip(
        (red_level.astype(np.float32) - REDNESS_START) / (REDNESS_FULL - REDNESS_START), 0.0, 1.0
    )
    blended = pixels + (recovered - pixels) * weight[:, None]
    out[ys, xs] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return out


# ======================================================================================
# The whole normalisation
# ======================================================================================


def _zoom(dpi: float, target_dpi: float, sane: tuple[float, float]) -> tuple[float, float]:
    """Scale factor and output dpi: resample only outside the sane range."""
    if sane[0] <= dpi <= sane[1]:
        return 1.0, float(dpi)
    return target_dpi / dpi, float(target_dpi)


def _geometry(image: np.ndarray, plan: _Plan, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """The page with the quarter turn, the skew and the zoom applied; and its 3x3 matrix."""
    h, w = image.shape[:2]
    skew = plan.correction_deg
    if skew == 0.0 and zoom == 1.0:
        # A pure quarter turn is exact without interpolation.
        turned = np.rot90(image, -1) if plan.quarter_turned else image
        return np.array(turned, order="C"), _rotation_matrix((w, h), plan.quarter_turned)
    source, pre = image, np.eye(3)
    if zoom < 0.67:
        # Strong reductions average first (warpAffine alone would alias), then warp 1:1.
        size = (max(1, round(w * zoom)), max(1, round(h * zoom)))
        source = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        pre = np.diag([size[0] / w, size[1] / h, 1.0])
        zoom = 1.0
    sh, sw = source.shape[:2]
    turn = _rotation_matrix((sw, sh), plan.quarter_turned)
    deskew, out_size = _deskew_matrix((sh, sw) if plan.quarter_turned else (sw, sh), skew, zoom)
    matrix = deskew @ turn
    return _warp(source, matrix, out_size, _paper_colour(source)), matrix @ pre


def normalise_page(
    image: np.ndarray,
    dpi: float,
    *,
    target_dpi: float = 200.0,
    sane_dpi: tuple[float, float] = SANE_DPI,
    threads: int = 1,
) -> NormalisedPage:
    """Make a scanned page upright, deskewed, at a sane resolution, with seal ink split off.

    Order: text direction and skew from the analysis image; one warp for the quarter
    turn, the deskew and any resampling (paper-coloured fill, same size for a small skew,
    width and height swapped for a quarter turn); the upside-down vote on the result and
    an exact half turn if it calls for one; then seal ink removal for ``ocr_image``.

    Args:
        image: RGB uint8 scan.
        dpi: Its resolution.
        target_dpi: Resolution to resample to when ``dpi`` is outside ``sane_dpi``.
        sane_dpi: Resolutions kept as they are.
        threads: ONNX Runtime threads for the orientation classifier.

    Returns:
        The normalised page; bboxes on it map back with ``map_box_to_source``.
    """
    _check_rgb(image)
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    h, w = image.shape[:2]
    zoom, out_dpi = _zoom(dpi, target_dpi, sane_dpi)
    plan, text_ink = _plan(image)
    upright, matrix = _geometry(image, plan, zoom)
    actual_zoom = upright.shape[1] / (h if plan.quarter_turned else w)
    orientation = _orientation(upright, text_ink, plan, actual_zoom, threads)
    if orientation.rotation in (180, 270):
        upright = cv2.flip(upright, -1)
        uh, uw = upright.shape[:2]
        half = np.array([[-1.0, 0.0, uw], [0.0, -1.0, uh], [0.0, 0.0, 1.0]])
        matrix = half @ matrix
    skew = plan.correction_deg
    log.debug(
        "page normalised: rotation %d (conf %.2f, %d lines, %d flipped), skew %.2f°, dpi %g",
        orientation.rotation,
        orientation.confidence,
        orientation.lines,
        orientation.flipped_votes,
        skew,
        out_dpi,
    )
    return NormalisedPage(
        image=upright,
        ocr_image=remove_seal_ink(upright),
        rotation=orientation.rotation,
        skew_deg=skew,
        dpi=out_dpi,
        orientation_confidence=orientation.confidence,
        skew_confidence=plan.skew.confidence,
        source_size=(w, h),
        transform=matrix,
    )


def upright_page(
    image: np.ndarray, rotation: Rotation, skew_deg: float, *, zoom: float = 1.0
) -> np.ndarray:
    """A page turned and deskewed as ``normalise_page`` recorded it, detecting nothing.

    Re-creates the geometry of a normalised page from its recorded ``Page.rotation`` and
    ``Page.skew_deg`` (no analysis, no ONNX), so boxes given as fractions of the normalised
    page crop the same content here: the evidence crops of a report.

    Args:
        image: RGB uint8 source page, at any resolution (fractions do not depend on it).
        rotation: The clockwise quarter turn that was applied (0/90/180/270).
        skew_deg: The skew that was corrected (the source content's counter-clockwise skew).
        zoom: Scale of the result against ``image`` (1.0: the same resolution).

    Returns:
        A new RGB uint8 page; ``image`` itself is not changed.
    """
    _check_rgb(image)
    if rotation not in (0, 90, 180, 270):
        raise ValueError(f"rotation must be 0, 90, 180 or 270, got {rotation}")
    if zoom <= 0:
        raise ValueError(f"zoom must be positive, got {zoom}")
    quarter_turned = rotation in (90, 270)
    plan = _Plan(quarter_turned, 1.0, SkewEstimate(float(skew_deg), 1.0), 1.0)
    upright, _ = _geometry(image, plan, zoom)
    if rotation in (180, 270):
        upright = cv2.flip(upright, -1)
    return upright


def map_box_to_source(page: NormalisedPage, bbox: BoxFraction) -> BoxFraction:
    """Map a bbox on the normalised page back to the source scan.

    Args:
        page: The normalised page the box was found on.
        bbox: ``[x0, y0, x1, y1]`` as fractions of the normalised page.

    Returns:
        The axis-aligned box around the mapped corners, as fractions of the source
        image, clipped to the page (slightly larger than the original for a skewed page).
    """
    h, w = page.image.shape[:2]
    x0, y0, x1, y1 = bbox
    corners = np.array(
        [[x0 * w, y0 * h, 1], [x1 * w, y0 * h, 1], [x0 * w, y1 * h, 1], [x1 * w, y1 * h, 1]]
    ).T
    src = np.linalg.inv(page.transform) @ corners
    sw, sh = page.source_size
    xs = np.clip(src[0] / sw, 0.0, 1.0)
    ys = np.clip(src[1] / sh, 0.0, 1.0)
    return (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
