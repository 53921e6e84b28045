"""Frozen OCR: a recorder that writes what an engine read, and an engine that replays it.

Tests run the pipeline from ``ocr.json`` files without ONNX Runtime; pages are found by
their image digest, so a replay only serves the very pixels it was recorded from.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import Field

from pipeline.errors import OcrError
from pipeline.model import Frozen, TextLine
from pipeline.ocr.engine import OcrEngine, OcrSettings, WrappingEngine, image_digest


class FrozenOcr(Frozen):
    """The content of an ``ocr.json``."""

    schema_: str = Field("shenbao.ocr/1", alias="schema")
    engine: str
    fingerprint: str
    pages: dict[str, tuple[TextLine, ...]] = Field(description="image digest → lines")
    lines: dict[str, TextLine | None] = Field(
        default_factory=dict, description="image digest → a line read alone (read_line)"
    )

    def to_json(self) -> str:
        data = self.model_dump(mode="json", by_alias=True)
        if not self.lines:  # files recorded before lines were read alone keep their bytes
            data.pop("lines")
        return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


class ReplayEngine:
    """Serves the lines recorded for each page image; an unknown page is an error."""

    def __init__(self, frozen: FrozenOcr) -> None:
        self._frozen = frozen

    @classmethod
    def load(cls, settings: OcrSettings) -> ReplayEngine:
        if settings.replay_file is None:
            raise OcrError("the replay engine needs replay_file")
        try:
            text = settings.replay_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise OcrError(f"cannot read frozen OCR {settings.replay_file}: {exc}") from exc
        return cls(FrozenOcr.model_validate_json(text))

    @property
    def name(self) -> str:
        return f"replay of {self._frozen.engine}"

    @property
    def fingerprint(self) -> str:
        return f"replay-{self._frozen.fingerprint}"

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        digest = image_digest(image)
        try:
            return self._frozen.pages[digest]
        except KeyError:
            raise OcrError(f"no frozen OCR for page image {digest[:12]}") from None

    @property
    def reads_lines(self) -> bool:
        """Only a replay recorded with lines read alone serves them (``reads_lines``)."""
        return bool(self._frozen.lines)

    def read_line(self, image: np.ndarray) -> TextLine | None:
        digest = image_digest(image)
        try:
            return self._frozen.lines[digest]
        except KeyError:
            raise OcrError(f"no frozen OCR for line image {digest[:12]}") from None


class RecordingEngine(WrappingEngine):
    """Wraps an engine and keeps every page it reads, to be saved as ``ocr.json``."""

    def __init__(self, inner: OcrEngine) -> None:
        self.inner = inner
        self.pages: dict[str, tuple[TextLine, ...]] = {}
        self.lines: dict[str, TextLine | None] = {}

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        lines = self.inner.recognize(image)
        self.pages[image_digest(image)] = lines
        return lines

    def read_line(self, image: np.ndarray) -> TextLine | None:
        line = super().read_line(image)
        self.lines[image_digest(image)] = line
        return line

    def frozen(self) -> FrozenOcr:
        return FrozenOcr(
            engine=self.inner.name,
            fingerprint=self.inner.fingerprint,
            pages=dict(sorted(self.pages.items())),
            lines=dict(sorted(self.lines.items())),
        )

    def save(self, path: Path) -> None:
        path.write_text(self.frozen().to_json(), encoding="utf-8")
