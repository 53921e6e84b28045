"""An optional engine: the ``paddleocr`` package itself (extra ``paddle``).

PaddleOCR downloads its models on first use, so it only works on hosts that can reach
its model hosting; the default engine (``rapid``) needs nothing fetched.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import numpy as np

from pipeline.errors import OcrError
from pipeline.model import TextLine
from pipeline.ocr.engine import OcrSettings, quad_to_bbox, reading_order


class PaddleEngine:
    """PP-OCRv5/v6 through PaddleOCR 3 (``pip install 'shenbao[paddle]'``)."""

    def __init__(self, settings: OcrSettings) -> None:
        try:
            from paddleocr import PaddleOCR

            self._version = version("paddleocr")
        except (ImportError, PackageNotFoundError) as exc:
            raise OcrError(
                "the paddleocr engine needs the 'paddle' extra: pip install 'shenbao[paddle]'"
            ) from exc
        self.settings = settings
        try:
            self._ocr = PaddleOCR(
                lang="ch",
                use_doc_orientation_classify=False,
                use_doc_unwarping=False,
                use_textline_orientation=settings.use_angle_classifier,
                text_det_limit_side_len=settings.det_limit_side,
                text_det_limit_type="max",
                text_recognition_batch_size=settings.rec_batch,
                text_rec_score_thresh=settings.min_text_score,
                cpu_threads=settings.threads,
            )
        except Exception as exc:  # typically: its models could not be downloaded
            raise OcrError(f"cannot start paddleocr (are its models reachable?): {exc}") from exc

    @property
    def name(self) -> str:
        return f"paddleocr {self._version}"

    @property
    def fingerprint(self) -> str:
        return f"paddleocr-{self._version}-{self.settings.fingerprint()}"

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        height, width = image.shape[:2]
        try:
            (result,) = self._ocr.predict(image[:, :, ::-1])  # PaddleOCR expects BGR
        except Exception as exc:
            raise OcrError(f"paddleocr failed on a {width}x{height} page: {exc}") from exc
        lines = [
            TextLine(
                text=text,
                bbox=quad_to_bbox(np.asarray(poly), width, height),
                confidence=round(float(score), 4),
            )
            for poly, text, score in zip(
                result["rec_polys"], result["rec_texts"], result["rec_scores"], strict=True
            )
            if text.strip()
        ]
        return reading_order(lines)
