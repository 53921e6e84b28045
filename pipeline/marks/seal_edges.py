"""Half seals at a page's edge (骑缝章): a seal stamped across the binding or the edge of
stacked pages leaves part of its impression on each page. On one page its fitted outline
runs off the image; when enough of it does (``rules.edge_off_share`` of the outline), the
seal is that page's part of a 骑缝章, reported with the edge it runs off
(``SealMark.edge``), not taken for a whole seal that fills a slot.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from pipeline.marks.seal_outlines import SealCandidate, outline_points

__all__ = ["Edge", "seal_edge"]

Edge = Literal["left", "right", "top", "bottom"]

# Points sampled round the outline to measure how much of it is off the image.
_BINS = 180


def seal_edge(seal: SealCandidate, width: int, height: int, off_share: float) -> Edge | None:
    """The page edge ``seal`` runs off, when at least ``off_share`` of its outline lies
    off the image (``width`` x ``height`` pixels, those of the seal's centre); None for a
    whole seal. A seal cut at a corner takes the side it runs further off."""
    x, y = outline_points(
        seal.centre, seal.axes, seal.angle_deg, seal.shape == "square", np.array([1.0]), _BINS
    )
    x, y = x[:, 0], y[:, 0]
    beyond: dict[Edge, np.ndarray] = {
        "left": np.maximum(-x, 0.0),
        "right": np.maximum(x - width, 0.0),
        "top": np.maximum(-y, 0.0),
        "bottom": np.maximum(y - height, 0.0),
    }
    off = np.zeros(len(x), bool)
    for distance in beyond.values():
        off |= distance > 0
    if off.mean() < off_share:
        return None
    # The side with the most of the outline beyond it (ties: the farther).
    side: Edge = max(beyond, key=lambda e: (int((beyond[e] > 0).sum()), float(beyond[e].max())))
    return side
