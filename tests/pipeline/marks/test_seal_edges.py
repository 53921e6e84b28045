"""Half seals at a page's edge (骑缝章): which edge, and only when enough runs off."""

from __future__ import annotations

import pytest

from pipeline.marks.seal_edges import seal_edge
from pipeline.marks.seal_outlines import SealCandidate
from tests.rulebook import RULES

OFF = RULES.seal_detection.edge_off_share


def _seal(x: float, y: float, a: float = 50.0, b: float = 50.0) -> SealCandidate:
    return SealCandidate(
        centre=(x, y),
        axes=(a, b),
        angle_deg=0.0,
        shape="round" if a == b else "oval",
        colour="red",
        confidence=0.9,
        ring_coverage=0.9,
        star=True,
    )


@pytest.mark.parametrize(
    ("x", "y", "edge"),
    [
        (990.0, 500.0, "right"),  # half across the right edge: a 骑缝章
        (10.0, 500.0, "left"),
        (500.0, 5.0, "top"),
        (500.0, 1395.0, "bottom"),
        (500.0, 500.0, None),  # whole, in the middle
        (955.0, 500.0, None),  # whole, grazing the edge (5 px of a 50 px radius off)
    ],
)
def test_a_seal_running_off_the_page_has_its_edge(x: float, y: float, edge: str | None) -> None:
    assert seal_edge(_seal(x, y), 1000, 1400, OFF) == edge


def test_a_corner_seal_takes_the_side_it_runs_further_off() -> None:
    assert seal_edge(_seal(1010.0, 1370.0), 1000, 1400, OFF) == "right"


def test_the_threshold_is_a_share_of_the_outline() -> None:
    # The centre 30 px from the edge of a 50 px circle: about 30 % of the outline off.
    seal = _seal(970.0, 500.0)
    assert seal_edge(seal, 1000, 1400, 0.25) == "right"
    assert seal_edge(seal, 1000, 1400, 0.35) is None
