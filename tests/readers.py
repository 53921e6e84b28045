"""Shared test helpers for reading the committed corpus without OCR."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from shenbao_lab.generator.truth import SourceTruth, Truth

from pipeline.ingest import discover, sniff
from pipeline.model import SourceKind, Submission, TextLine
from pipeline.run import read_document
from pipeline.settings import Settings
from tests.rulebook import RULES

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TEMPLATES = RULES.templates
SETTINGS = Settings()


class NoOcr:
    """An engine for files that must not need OCR: it fails the test if asked."""

    name = "none"
    fingerprint = "none"

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        raise AssertionError("OCR was asked for a page that carries its own text")


def read_electronic(path: Path) -> Submission:
    """The one submission of an electronic copy (text-layer PDF or DOCX), read without OCR."""
    (found,) = discover([path])
    (submission,) = read_document(sniff(found, SETTINGS), SETTINGS, NoOcr(), RULES).submissions
    return submission


def truth_of(truth_file: Path, kind: SourceKind) -> tuple[Truth, SourceTruth]:
    """A corpus truth file and its source of one kind (scan, text layer, DOCX)."""
    truth = Truth.model_validate_json(truth_file.read_text(encoding="utf-8"))
    return truth, next(s for s in truth.sources if s.kind is kind)
