"""The default engine: PaddleOCR's PP-OCRv6 models on ONNX Runtime through ``rapidocr``.

The models ship inside the rapidocr wheel, so this works air-gapped. Pages reach the
engine already upright (``preprocess``), so the per-line angle classifier is off by
default; the detector sees the page at ``det_limit_side`` px on its long side.

Each line also keeps the recogniser's score of every character (``char_confidences``):
a line's score is the mean of its characters', so one misread character in a long line
(a seal printed over 贵 read as 遗 at 0.45, in a line scored 0.96) shows only there.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import numpy as np

from pipeline.errors import OcrError
from pipeline.model import TextLine
from pipeline.ocr.engine import OcrSettings, quad_to_bbox, reading_order

log = logging.getLogger(__name__)

# A tight reading (``recognize_tight``) pads a line to no less than this width over the
# recogniser's input height: a square, one glyph. The page reading pads every line to
# rapidocr's 320 px (and a batch to its widest line); a seal strip's lines are mostly one
# to six glyphs, so the padding was most of their cost (24 ms a line at 48 × 320, 8.5 ms
# at 48 × 96, measured with PP-OCRv6 small on ONNX Runtime, one thread).
TIGHT_MIN_RATIO = 1.0


class RapidEngine:
    """PP-OCRv6 (det + rec, small) through rapidocr; one ONNX session set per engine."""

    def __init__(self, settings: OcrSettings) -> None:
        self.settings = settings
        self._version = version("rapidocr")
        self._ocr: Any = None  # the ONNX sessions load on the first page: a cached run needs none
        # rapidocr's Python state is not re-entrant: one page at a time per engine.
        self._lock = threading.Lock()

    def _load(self) -> Any:
        from rapidocr import RapidOCR

        settings = self.settings
        params = {
            "Global.log_level": "warning",
            "Global.use_cls": settings.use_angle_classifier,
            "Global.text_score": settings.min_text_score,
            # rapidocr shrinks big pages to 2000 px before detection; the detector's own
            # limit below is the one to tune, so lift this one out of the way.
            "Global.max_side_len": 8000,
            "Det.limit_type": "max",
            "Det.limit_side_len": settings.det_limit_side,
            "Rec.rec_batch_num": settings.rec_batch,
            "EngineConfig.onnxruntime.intra_op_num_threads": settings.threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            # ONNX Runtime's memory arena keeps its buffers from one run to the next
            # (rapidocr turns it off): the same results, ~10% less time on seal strips.
            "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
        }
        try:
            ocr = RapidOCR(params=params)
        except Exception as exc:  # the models or ONNX Runtime are broken: a run failure
            raise OcrError(f"cannot start rapidocr: {exc}") from exc
        _keep_line_scores(ocr)
        return ocr

    @property
    def name(self) -> str:
        return f"rapidocr {self._version} PP-OCRv6"

    @property
    def fingerprint(self) -> str:
        # "chars": lines carry character scores, so pages cached without them are read anew
        # "chars2": a line with a space has them too (``_keep_line_scores``)
        return f"rapidocr-{self._version}-ppocrv6-small-chars2-{self.settings.fingerprint()}"

    def _run(
        self,
        image: np.ndarray,
        what: str,
        *,
        tight: bool = False,
        det_scale: float = 1.0,
        **steps: bool,
    ) -> Any:
        """rapidocr on an RGB image (grey is widened) with ``steps`` named, one call at a
        time; a failure is an ``OcrError`` naming ``what`` was read. ``tight``: each line
        recognised alone, padded to no less than ``TIGHT_MIN_RATIO`` × its height;
        ``det_scale``: the lines found on a copy scaled by it (a tight reading only), and
        recognised from the image as it stands."""
        try:
            with self._lock:
                if self._ocr is None:
                    self._ocr = self._load()
                self._ocr.shenbao_line_scores = []
                if not tight:
                    # rapidocr keeps the steps of the last call (read_line's no detection):
                    # every call names its own.
                    return _with_line_scores(self._ocr(image, **steps), self._ocr)
                rec = self._ocr._load_rec_model()
                det = self._ocr._load_det_model()
                shape, batch = list(rec.rec_image_shape), rec.rec_batch_num
                limit, limit_type = det.limit_side_len, det.limit_type
                rec.rec_image_shape = [*shape[:2], round(shape[1] * TIGHT_MIN_RATIO), *shape[3:]]
                rec.rec_batch_num = 1
                if det_scale < 1.0:
                    # rapidocr's detector scales the image so its long side is the limit.
                    det.limit_side_len = max(32, round(max(image.shape[:2]) * det_scale))
                    det.limit_type = "max"
                try:
                    return _with_line_scores(self._ocr(image, **steps), self._ocr)
                finally:
                    rec.rec_image_shape, rec.rec_batch_num = shape, batch
                    det.limit_side_len, det.limit_type = limit, limit_type
        except Exception as exc:
            height, width = image.shape[:2]
            raise OcrError(f"rapidocr failed on a {width}x{height} {what}: {exc}") from exc

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        return self._recognize(image, tight=False)

    def _recognize(
        self, image: np.ndarray, *, tight: bool, det_scale: float = 1.0
    ) -> tuple[TextLine, ...]:
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        height, width = image.shape[:2]
        result = self._run(
            image,
            "page",
            tight=tight,
            det_scale=det_scale,
            use_det=True,
            use_cls=self.settings.use_angle_classifier,
            use_rec=True,
            return_word_box=True,
            return_single_char_box=True,
        )
        if result.boxes is None or result.txts is None:
            return ()
        char_scores = _char_scores(
            result.txts, result.word_results, getattr(result, "shenbao_line_scores", ())
        )
        lines = [
            TextLine(
                text=text,
                bbox=quad_to_bbox(np.asarray(box), width, height),
                confidence=_score(score),
                char_confidences=chars,
            )
            for box, text, score, chars in zip(
                result.boxes, result.txts, result.scores, char_scores, strict=True
            )
            if text.strip()
        ]
        return reading_order(lines)

    def recognize_tight(self, image: np.ndarray, det_scale: float = 1.0) -> tuple[TextLine, ...]:
        """``recognize``, each line recognised alone at its own width (``TightReader``),
        the lines found on a copy scaled by ``det_scale``."""
        return self._recognize(image, tight=True, det_scale=det_scale)

    def read_line(self, image: np.ndarray) -> TextLine | None:
        """One cut-out line through the recogniser alone (no detection, no classifier)."""
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        result = self._run(
            image,
            "line",
            use_det=False,
            use_cls=False,
            use_rec=True,
            return_word_box=False,
            return_single_char_box=False,
        )
        if not result.txts or not result.txts[0].strip():
            return None
        return TextLine(
            text=result.txts[0], bbox=(0.0, 0.0, 1.0, 1.0), confidence=_score(result.scores[0])
        )


def _score(value: float) -> float:
    return round(float(min(max(value, 0.0), 1.0)), 4)


def _keep_line_scores(ocr: Any) -> None:
    """Keep each recognised line's own character scores on ``ocr`` (``shenbao_line_scores``:
    the line's text and one score per character, its spaces included) as rapidocr decodes
    them, before it pairs them with the characters of its word boxes: those leave the
    spaces out while the scores keep them, so the pairs of a line with a space are
    shifted (2022年7月 11 日: the space's 0.54 paired with the 1) and its last scores
    dropped. A rapidocr without the step leaves the list empty."""
    calc = getattr(ocr, "calc_word_boxes", None)
    if calc is None:
        return

    def keeping(img: Any, dt_boxes: Any, rec_res: Any) -> Any:
        infos = rec_res.word_results or ()
        ocr.shenbao_line_scores = [
            (str(text), tuple(float(c) for c in getattr(info, "confs", None) or ()))
            for text, info in zip(rec_res.txts or (), infos, strict=False)
        ]
        return calc(img, dt_boxes, rec_res)

    ocr.calc_word_boxes = keeping


def _with_line_scores(result: Any, ocr: Any) -> Any:
    """``result`` carrying the line scores its call kept (``_keep_line_scores``)."""
    with contextlib.suppress(AttributeError):  # an output that takes no attribute
        result.shenbao_line_scores = tuple(getattr(ocr, "shenbao_line_scores", ()))
    return result


def _char_scores(
    texts: Sequence[str],
    word_results: Sequence[Any] | None,
    line_scores: Sequence[tuple[str, tuple[float, ...]]] = (),
) -> list[tuple[float, ...] | None]:
    """Each line's character scores, or None where rapidocr's can't be trusted to align.

    rapidocr gives one ``(char, score, box)`` per character, but drops lines whose word
    boxes came out empty and pairs scores with characters after removing spaces (so a
    line with a space has its scores shifted). The results are matched to the lines by
    their characters; a line with whitespace takes its scores as decoded
    (``line_scores``, one per character of the text, spaces included) when they are
    there; one that does not match gets None and is judged by its line score alone.
    """
    out: list[tuple[float, ...] | None] = []
    words = list(word_results or ())
    decoded = list(line_scores)
    at = 0
    for text in texts:
        chars: tuple[float, ...] | None = None
        candidate = words[at] if at < len(words) else None
        if isinstance(candidate, tuple | list) and all(
            isinstance(w, tuple | list) and len(w) == 3 for w in candidate
        ):
            read = "".join(str(w[0]) for w in candidate)
            if read == "".join(text.split()):
                at += 1
                if read == text and len(candidate) == len(text):
                    chars = tuple(_score(w[1]) for w in candidate)
                else:
                    chars = _decoded_scores(text, decoded)
        out.append(chars)
    return out


def _decoded_scores(
    text: str, decoded: list[tuple[str, tuple[float, ...]]]
) -> tuple[float, ...] | None:
    """The scores kept for the first line of ``decoded`` reading ``text``, one per
    character (that entry and those before it used up), or None."""
    for i, (read, scores) in enumerate(decoded):
        if read == text and len(scores) == len(text):
            del decoded[: i + 1]
            return tuple(_score(s) for s in scores)
    return None
