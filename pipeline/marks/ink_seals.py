"""Seals on colour scans in every ink: red first, then blue, then black.

An official seal is red; a blue or black one on a colour scan is still a seal on the page
(a stamp of another kind, or a black-and-white copy of a red one with a coloured mark on
it) and is reported with its colour, for the validators to judge. Each ink is found the
same way as red (``red_seals``): its own mask, from its own measure against the paper
(``seal_ink.hue_share``, ``relative_darkness`` over ``paper_relative_shares``), with its own
thresholds (``rules/seal_detection.yaml``: ``other_inks``), then the same outlines and
ring checks. A blue or black candidate where a red seal already is, is that seal (its
dark ring, a bluish cast) and is dropped.
"""

from __future__ import annotations

import numpy as np

from pipeline.marks.red_seals import InkMeasure, red_candidates, red_ink
from pipeline.marks.seal_outlines import Frame, SealCandidate, overlapping
from pipeline.rulebook.marks import InkThresholds, SealDetection
from pipeline.seal_ink import Planes, hue_share, paper_relative_shares, relative_darkness

__all__ = ["ink_candidates"]


def _blackness(shares: Planes, max_spread: float) -> InkMeasure:
    """Dark, colourless ink against its paper: ``(darkness, ones)``; coloured pixels
    (red or blue ink, however dark: a spread of shares over ``max_spread``) count 0. No
    share test: black ink keeps none."""

    def measure(_image: np.ndarray, _window_px: int) -> tuple[np.ndarray, np.ndarray]:
        darkness, spread = relative_darkness(shares)
        black: np.ndarray = np.where(spread <= max_spread, darkness, 0.0).astype(np.float32)
        return black, np.ones_like(darkness)

    return measure


def _other(
    small: np.ndarray,
    frame: Frame,
    red_rules: SealDetection,
    colour: str,
    inks: InkThresholds,
    shares: Planes,
) -> list[SealCandidate]:
    # Stricter rings than red: printed logos in these inks (seal-08's CNAB swoosh, ring
    # 0.14 of its radius) pass the red thresholds, tuned for red print that is rarer.
    rules = red_rules.model_copy(
        update={
            "max_ring_width": inks.max_ring_width,
            "ring_peak": inks.ring_peak,
            "lettered_coverage": inks.lettered_coverage,
            "partial_ring": inks.partial_ring,
            "edge_ring_votes": inks.edge_ring_votes,
            "pair_oval_overlap": inks.pair_oval_overlap,
            "over_seal_offset": inks.over_seal_offset,
            "ring_swing": inks.ring_swing,
            "edge_held_ellipse": inks.edge_held_ellipse,
            "ring_search_extent": inks.ring_search_extent,
        }
    )
    if colour == "blue":
        masks = red_ink(small, frame, rules, _of(shares, 2), inks.levels, inks.min_share)
        return red_candidates(*masks, frame, rules, colour="blue")
    masks = red_ink(small, frame, rules, _blackness(shares, inks.max_spread), inks.levels, 0.0)
    return red_candidates(*masks, frame, rules, colour="black")


def _of(shares: Planes, channel: int) -> InkMeasure:
    """The measure of one ink from paper-relative shares found once for the page (as
    ``paper_relative_redness`` would find them again)."""

    def measure(_image: np.ndarray, _window_px: int) -> tuple[np.ndarray, np.ndarray]:
        return hue_share(shares, channel)

    return measure


def ink_candidates(small: np.ndarray, frame: Frame, rules: SealDetection) -> list[SealCandidate]:
    """The seals on a work-scale colour page: red ones, then blue and black ones where no
    seal already found lies (``rules.other_inks``; none when it is empty)."""
    # Red seals only: the paper inside a red ring is compared with the paper round it.
    if not rules.other_inks:
        return red_candidates(*red_ink(small, frame, rules), frame, rules, page=small)
    # The paper-relative shares once for every ink (red_ink's window).
    shares = paper_relative_shares(small, max(3, round(rules.paper_window_mm * frame.unit)))
    found = red_candidates(*red_ink(small, frame, rules, _of(shares, 0)), frame, rules, page=small)
    for colour in ("blue", "black"):
        inks = rules.other_inks.get(colour)
        if inks is None or (inks.only_without_red and any(c.colour == "red" for c in found)):
            continue
        others = _other(small, frame, rules, colour, inks, shares)
        found += [c for c in others if c.shape in inks.shapes and not overlapping(c, found)]
    return found
