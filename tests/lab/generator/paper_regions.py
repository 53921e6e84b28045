"""Where on a test's generated paper to look: a region in millimetres, a box's inside."""

from __future__ import annotations

from shenbao_lab.generator.layout import TickBox
from shenbao_lab.generator.paper import _Paper


def region(paper: _Paper, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
    """The pixels of a region given in millimetres on ``paper``."""
    return slice(round(paper.px(y0)), round(paper.px(y1))), slice(
        round(paper.px(x0)), round(paper.px(x1))
    )


def box_inside(paper: _Paper, box: TickBox, inset: float = 0.4) -> tuple[slice, slice]:
    """The pixels inside ``box``, ``inset`` millimetres in from its border."""
    return region(
        paper, box.x + inset, box.y + inset, box.x + box.size - inset, box.y + box.size - inset
    )
