"""Choosing an OCR engine by its ``kind``: each kind names a factory.

A factory imports its engine only when called, so the optional paddle engine (and
PaddleOCR behind it) loads only on a run that chose it. The engines import
``pipeline.ocr.engine`` and never this module, so nothing in ``pipeline.ocr`` imports a
module that imports it back.

A new engine: a module beside ``rapid.py`` whose class reads ``OcrSettings``, its kind in
``engine.EngineKind``, and a factory in ``ENGINES`` below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from pipeline.errors import UnknownEngineError
from pipeline.ocr.engine import OcrEngine, OcrSettings

EngineFactory = Callable[[OcrSettings], OcrEngine]
"""Makes the engine a run reads with, from its settings."""


def _rapidocr(settings: OcrSettings) -> OcrEngine:
    from pipeline.ocr.rapid import RapidEngine

    return RapidEngine(settings)


def _paddleocr(settings: OcrSettings) -> OcrEngine:
    from pipeline.ocr.paddle import PaddleEngine

    return PaddleEngine(settings)


def _replay(settings: OcrSettings) -> OcrEngine:
    from pipeline.ocr.replay import ReplayEngine

    return ReplayEngine.load(settings)


ENGINES: Mapping[str, EngineFactory] = MappingProxyType(
    {"rapidocr": _rapidocr, "paddleocr": _paddleocr, "replay": _replay}
)
"""Kind → factory; the kinds are exactly ``engine.EngineKind``'s, which ``OcrSettings``
checks at load (a test holds the two equal)."""


def engine_factory(kind: str) -> EngineFactory:
    """The factory of ``kind``; an unknown kind raises ``UnknownEngineError`` naming the
    known ones."""
    factory = ENGINES.get(kind)
    if factory is None:
        known = ", ".join(ENGINES)
        raise UnknownEngineError(f"no OCR engine of kind {kind!r}; known kinds: {known}")
    return factory


def create_engine(settings: OcrSettings) -> OcrEngine:
    """The engine ``settings.kind`` names, made from ``settings``."""
    return engine_factory(settings.kind)(settings)
