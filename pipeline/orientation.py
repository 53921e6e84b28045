"""Which way up a page reads: PP-OCR's text-direction classifier voting on line crops.

Whether a page is turned by a quarter comes from the direction of its text lines
(``preprocess``); here, on the page with that turn and the skew applied, the longest
lines are cropped and the classifier says for each whether it reads upside down. A page
is turned round only on a clear, confident majority.
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

Rotation = Literal[0, 90, 180, 270]

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


def vote_orientation(
    red: np.ndarray,
    line_boxes: list[tuple[float, float, float, float]],
    *,
    quarter_turned: bool,
    direction_confidence: float,
    threads: int,
) -> Orientation:
    """The clockwise turn that makes a page upright, from its lines' upside-down votes.

    Args:
        red: The page's red channel, the quarter turn and the skew applied.
        line_boxes: Its text lines, ``(x0, y0, x1, y1)`` in the pixels of ``red``.
        quarter_turned: Whether the text ran vertically on the source (90 or 270).
        direction_confidence: How sure that text direction is (0-1).
        threads: ONNX Runtime threads for the classifier (the session is made once).
    """
    probs = _flip_probabilities(red, line_boxes, threads)
    flip, confidence, flipped = _vote(probs, quarter_turned=quarter_turned)
    rotation = _TURNS[quarter_turned, flip]
    # Only as sure as the weaker of the two decisions (text direction, which way up).
    confidence = round(min(confidence, direction_confidence), 3)
    return Orientation(rotation, confidence, int(probs.size), flipped)
