"""The OCR engine protocol, its settings, and what every engine shares.

Choosing an engine by its ``kind`` is ``pipeline.ocr.registry``'s: the engines import this
module, so this one imports none of them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import Field

from pipeline.errors import OcrError
from pipeline.model import Frozen, TextLine

EngineKind = Literal["rapidocr", "paddleocr", "replay"]
"""The engines a run may choose; ``pipeline.ocr.registry`` has a factory for each."""


class OcrSettings(Frozen):
    """How pages are read. Everything here is part of the cache key."""

    kind: EngineKind = Field(
        "rapidocr",
        description="rapidocr: PP-OCRv6 on ONNX Runtime, models from the wheel; "
        "paddleocr: the paddle extra (fetches its models); replay: frozen OCR for tests",
    )
    det_limit_side: int = Field(
        800, ge=320, le=4096, description="the long side the detector sees, px (speed vs recall)"
    )
    rec_batch: int = Field(6, ge=1, le=128, description="text lines recognised per batch")
    threads: int = Field(1, ge=1, le=64, description="ONNX Runtime intra-op threads per engine")
    use_angle_classifier: bool = Field(
        False, description="per-line 0/180 classifier; off when pages are already upright"
    )
    min_text_score: float = Field(0.5, ge=0, le=1, description="drop lines scored below this")
    replay_file: Path | None = Field(None, description="frozen OCR (ocr.json) for kind=replay")

    def fingerprint(self) -> str:
        """A short digest of the settings that change what is read."""
        data = self.model_dump_json(exclude={"threads", "replay_file"})
        return hashlib.sha256(data.encode()).hexdigest()[:16]


@runtime_checkable
class OcrEngine(Protocol):
    """Reads one page image into positioned text lines (bbox as page fractions)."""

    @property
    def name(self) -> str:
        """Engine, version and models, for reports (``rapidocr 3.10.0 PP-OCRv6``)."""
        ...

    @property
    def fingerprint(self) -> str:
        """Engine + models + settings: equal fingerprints read equal images equally."""
        ...

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        """The text lines of an RGB or grey uint8 page image, in reading order."""
        ...


@runtime_checkable
class LineReader(Protocol):
    """An engine that can also recognise one line already cut out, without detection
    (``pipeline.second_reading``: a written date read again from other crops)."""

    def read_line(self, image: np.ndarray) -> TextLine | None:
        """The text of an RGB or grey uint8 crop holding one line; None when nothing was
        read. The bbox is the whole crop."""
        ...


class WrappingEngine:
    """Base of engines that add something around another: they read as it reads."""

    inner: OcrEngine

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    def read_line(self, image: np.ndarray) -> TextLine | None:
        if not isinstance(self.inner, LineReader):
            raise OcrError(f"{self.inner.name} cannot read a line on its own")
        return self.inner.read_line(image)


@runtime_checkable
class TightReader(Protocol):
    """An engine that can also recognise each line found at its own width, not padded to
    the page's line width or to the widest line read with it (a seal's lettering: its
    strips hold a few short lines, and padding was most of their recognition's cost)."""

    def recognize_tight(self, image: np.ndarray, det_scale: float = 1.0) -> tuple[TextLine, ...]:
        """The text lines of an RGB or grey uint8 image, as ``recognize``'s, each line
        recognised alone at its own width; the lines found on a copy of the image scaled
        by ``det_scale`` (at most 1), recognised from the image itself."""
        ...


def recognize_tight(
    engine: OcrEngine, image: np.ndarray, det_scale: float = 1.0
) -> tuple[TextLine, ...]:
    """``engine``'s tight reading of ``image`` when it has one (``TightReader``), else its
    ordinary reading (a replay, a recorder, another engine)."""
    if isinstance(engine, TightReader):
        return engine.recognize_tight(image, det_scale)
    return engine.recognize(image)


def reads_lines(engine: OcrEngine) -> bool:
    """Whether ``engine`` — through the engines wrapped round it — can read a line alone:
    it is a ``LineReader`` and does not say otherwise (a replay recorded without lines
    read alone has ``reads_lines`` False)."""
    while isinstance(engine, WrappingEngine):
        engine = engine.inner
    return isinstance(engine, LineReader) and getattr(engine, "reads_lines", True)


def image_digest(image: np.ndarray) -> str:
    """The content hash of a page image: its shape, type and pixels."""
    digest = hashlib.sha256(f"{image.shape}|{image.dtype}|".encode())
    digest.update(np.ascontiguousarray(image).data)
    return digest.hexdigest()


def reading_order(lines: list[TextLine]) -> tuple[TextLine, ...]:
    """Top to bottom, then left to right within lines that share a row."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda t: (t.bbox[1] + t.bbox[3]) / 2):
        middle = (line.bbox[1] + line.bbox[3]) / 2
        if rows:
            last = rows[-1][0]
            if last.bbox[1] <= middle <= last.bbox[3]:
                rows[-1].append(line)
                continue
        rows.append([line])
    return tuple(t for row in rows for t in sorted(row, key=lambda t: t.bbox[0]))


def quad_to_bbox(points: np.ndarray, width: int, height: int) -> tuple[float, float, float, float]:
    """An OCR quadrilateral (4×2 px) as a clipped page-fraction bbox."""
    xs, ys = points[:, 0], points[:, 1]
    return (
        round(min(max(float(xs.min()) / width, 0.0), 1.0), 5),
        round(min(max(float(ys.min()) / height, 0.0), 1.0), 5),
        round(min(max(float(xs.max()) / width, 0.0), 1.0), 5),
        round(min(max(float(ys.max()) / height, 0.0), 1.0), 5),
    )
