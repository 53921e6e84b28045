"""A page is read once: OCR results cached by image digest + engine fingerprint.

The cache is a directory of small JSON files (``<fingerprint>/<ab>/<digest>.json``),
written atomically, so concurrent workers and interrupted runs never leave half a file.
A corrupt entry is treated as a miss and rewritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import TypeAdapter, ValidationError

from pipeline.files import write_atomic
from pipeline.model import TextLine
from pipeline.ocr.engine import (
    OcrEngine,
    OcrSettings,
    WrappingEngine,
    image_digest,
    recognize_tight,
)
from pipeline.ocr.registry import create_engine

log = logging.getLogger(__name__)
_LINES = TypeAdapter(tuple[TextLine, ...])


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


@dataclass
class CachedEngine(WrappingEngine):
    """An engine whose results are kept on disk; the same page is never read twice."""

    inner: OcrEngine
    root: Path
    stats: CacheStats = field(default_factory=CacheStats)

    def _path(self, digest: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.inner.fingerprint)
        return self.root / safe / digest[:2] / f"{digest}.json"

    def _cached(self, path: Path, read: Callable[[], tuple[TextLine, ...]]) -> tuple[TextLine, ...]:
        """The lines stored at ``path``, else ``read()``'s, stored there first."""
        try:
            lines = _LINES.validate_json(path.read_bytes())
        except FileNotFoundError:
            pass
        except (OSError, ValidationError, ValueError) as exc:
            log.warning("ignoring a corrupt OCR cache entry %s: %s", path.name, exc)
        else:
            self.stats.hits += 1
            return lines
        self.stats.misses += 1
        lines = read()
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _LINES.dump_json(lines))
        return lines

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        return self._cached(self._path(image_digest(image)), lambda: self.inner.recognize(image))

    def recognize_tight(self, image: np.ndarray, det_scale: float = 1.0) -> tuple[TextLine, ...]:
        """The inner engine's tight reading (``TightReader``), cached apart from a page's
        (and apart for each ``det_scale``)."""
        suffix = ".tight.json" if det_scale >= 1.0 else f".tight-{det_scale:g}.json"
        path = self._path(image_digest(image)).with_suffix(suffix)
        return self._cached(path, lambda: recognize_tight(self.inner, image, det_scale))

    def read_line(self, image: np.ndarray) -> TextLine | None:
        """A cut-out line, cached as a page is (an empty tuple: nothing read)."""

        def read() -> tuple[TextLine, ...]:
            line = super(CachedEngine, self).read_line(image)
            return () if line is None else (line,)

        path = self._path(image_digest(image)).with_suffix(".line.json")
        cached = self._cached(path, read)
        return cached[0] if cached else None


def cached_engine(settings: OcrSettings, cache_dir: Path) -> CachedEngine:
    """The configured engine behind the on-disk cache under ``cache_dir/ocr``."""
    return CachedEngine(create_engine(settings), cache_dir / "ocr")
