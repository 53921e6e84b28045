"""Page normalisation for scans: orientation, deskew, resolution, red seal ink.

Pure functions over RGB ``uint8`` arrays ``(H, W, 3)``; nothing here knows of Prefect or
the store. ``normalise_page`` is the stage's entry point: it plans the page from its
analysis image (text direction here, the skew in ``skew``), moves the pixels once, asks
which way up the result reads (``orientation``) and takes the seal ink off for OCR
(``seal_ink``). Those modules' detectors are public so the seal checks and the
benchmarks can call them alone.

Conventions:
    * Angles follow the corpus truth: ``skew_deg`` > 0 means the content is turned
      counter-clockwise on screen, so correcting it turns the page clockwise.
    * ``rotation`` is the clockwise quarter turn (0/90/180/270) that makes a page upright.
    * Geometry uses continuous pixel coordinates: pixel ``(col, row)`` covers
      ``[col, col + 1) x [row, row + 1)``, so a page fraction times the size is a
      coordinate, and the 3x3 matrices here map continuous coordinates.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.orientation import Orientation, Rotation, vote_orientation
from pipeline.pixels import check_rgb
from pipeline.seal_ink import remove_seal_ink
from pipeline.skew import (
    MIN_SKEW_CORRECTION_DEG,
    SkewEstimate,
    analysis_ink,
    horizontal_share,
    line_ink,
    skew_of_ink,
    text_lines,
)

log = logging.getLogger(__name__)

__all__ = [
    "NormalisedPage",
    "detect_orientation",
    "map_box_to_source",
    "normalise_page",
    "upright_page",
]

BoxFraction = tuple[float, float, float, float]

# A page counts as turned by a quarter when text-line ink runs vertically by this margin.
DIRECTION_MARGIN = 0.2
# Resolutions kept as they are; outside them a page is resampled to the target.
SANE_DPI = (180.0, 320.0)


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
# The plan and the geometry: one warp for the quarter turn, the deskew and the zoom
# ======================================================================================


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
    ink, scale = analysis_ink(image)
    text_ink = line_ink(ink)
    share, total = horizontal_share(text_ink)
    quarter_turned = share < 0.5 - DIRECTION_MARGIN
    # A few lines' worth of text (at half scale) is enough to tell the direction.
    direction_confidence = min(1.0, abs(share - 0.5) * 2) * min(1.0, total / 5_000)
    if quarter_turned:
        ink = np.ascontiguousarray(np.rot90(ink, -1))
        text_ink = np.ascontiguousarray(np.rot90(text_ink, -1))
    skew = skew_of_ink(ink)
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
        for x0, y0, x1, y1, _ in text_lines(ink)
    ]
    return vote_orientation(
        cv2.extractChannel(upright, 0),
        boxes,
        quarter_turned=plan.quarter_turned,
        direction_confidence=plan.direction_confidence,
        threads=threads,
    )


def detect_orientation(image: np.ndarray, *, threads: int = 1) -> Orientation:
    """Find the clockwise quarter turn (0/90/180/270) that makes a page upright.

    Portrait vs landscape text comes from the direction of the text lines; upright vs
    upside down from PP-OCR's text-direction classifier voting on line crops. A page is
    called upside down only with a clear majority of at least ``FLIP_MIN_LINES`` lines
    (``orientation``);
    otherwise it is kept as is with a low confidence.

    Args:
        image: RGB uint8 page.
        threads: ONNX Runtime threads for the classifier (the session is made once).

    Returns:
        The rotation to apply and how sure it is.
    """
    check_rgb(image)
    plan, text_ink = _plan(image)
    upright, _ = _geometry(image, plan, zoom=1.0)
    return _orientation(upright, text_ink, plan, 1.0, threads)


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
    check_rgb(image)
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
    check_rgb(image)
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
