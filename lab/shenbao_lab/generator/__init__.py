"""The synthetic-corpus generator (``shenbao samples generate``)."""

from __future__ import annotations

from pathlib import Path

from shenbao_lab.generator.corpus import generate


def generate_corpus(
    out: Path, count: int = 12, seed: int = 20220801, styles: str = "house"
) -> None:
    """Write a corpus of ``count`` submissions with ground truth into ``out``, its paper
    in the generator's own style (``house``) or drawn from style families (``styles.yaml``:
    ``tuned``, ``withheld``, ``all``)."""
    generate(out, count, seed, styles)
