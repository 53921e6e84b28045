"""A page is read once: OCR results cached by image digest + engine fingerprint.

The cache is a directory of small JSON files (``<fingerprint>/<ab>/<digest>.json``),
written atomically, so concurrent workers and interrupted runs never leave half a file.
A corrupt entry is treated as a miss and rewritten.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import TypeAdapter, ValidationError

from pipeline.files import write_atomic
from pipeline.model import TextLine
from pipeline.ocr.engine import OcrEngine, OcrSettings, WrappingEngine, image_digest
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

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        path = self._path(image_digest(image))
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
        lines = self.inner.recognize(image)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _LINES.dump_json(lines))
        return lines

    def read_line(self, image: np.ndarray) -> TextLine | None:
        """A cut-out line, cached as a page is (an empty tuple: nothing read)."""
        path = self._path(image_digest(image)).with_suffix(".line.json")
        try:
            cached = _LINES.validate_json(path.read_bytes())
        except FileNotFoundError:
            pass
        except (OSError, ValidationError, ValueError) as exc:
            log.warning("ignoring a corrupt OCR cache entry %s: %s", path.name, exc)
        else:
            self.stats.hits += 1
            return cached[0] if cached else None
        self.stats.misses += 1
        line = super().read_line(image)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _LINES.dump_json(() if line is None else (line,)))
        return line


def cached_engine(settings: OcrSettings, cache_dir: Path) -> CachedEngine:
    """The configured engine behind the on-disk cache under ``cache_dir/ocr``."""
    return CachedEngine(create_engine(settings), cache_dir / "ocr")
