"""The synthetic-corpus generator (``shenbao samples generate``)."""

from __future__ import annotations

from pathlib import Path

from shenbao_lab.generator.corpus import generate


def generate_corpus(out: Path, count: int = 12, seed: int = 20220801) -> None:
    """Write a corpus of ``count`` submissions with ground truth into ``out``."""
    generate(out, count, seed)
