"""Ink along rows of tick boxes, outside the boxes (``pipeline/marks/tick_rows.py``)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.errors import ConfigError
from pipeline.marks.tick_boxes import ink_mask
from pipeline.marks.tick_rows import tick_rows
from pipeline.model import TickBox
from pipeline.rulebook import load_rules
from rules import RULES_DIR
from tests.rulebook import RULES, rules_folder

DPI = 200.0
SIDE = round(3.5 / 25.4 * DPI)  # a 3.5 mm box
INK = (30, 30, 30)
PEN = (25, 35, 95)


def _rows(gap_sides: float) -> tuple[np.ndarray, list[TickBox]]:
    """Two rows of three boxes, ``gap_sides`` box sides apart (box bottom to box top)."""
    image = np.full((400, 1400, 3), 250, np.uint8)
    boxes = []
    for r in range(2):
        top = 100 + round(r * (1 + gap_sides) * SIDE)
        for c in range(3):
            x = 200 + c * 8 * SIDE
            cv2.rectangle(image, (x, top), (x + SIDE, top + SIDE), INK, 1)
            h, w = image.shape[:2]
            boxes.append(
                TickBox(
                    bbox=(x / w, top / h, (x + SIDE) / w, (top + SIDE) / h), ink=0.0, source="image"
                )
            )
    return image, boxes


def _inked(spans: tuple[tuple[float, float], ...], a: float, b: float) -> float:
    return sum(max(0.0, min(e, b) - max(s, a)) for s, e in spans) / (b - a)


def test_an_underline_is_its_rows_and_not_the_row_below() -> None:
    image, boxes = _rows(0.75)
    top, bottom = boxes[0].bbox[1] * 400, boxes[0].bbox[3] * 400
    x0, x1 = 200 + SIDE + 10, 200 + 5 * SIDE
    y = round(bottom + 0.2 * SIDE)
    cv2.line(image, (x0, y), (x1, y + 2), PEN, 3)  # a pen stroke under the first words
    rows = tick_rows(ink_mask(image, DPI, RULES.tick_boxes), DPI, boxes, RULES.tick_rows)
    assert len(rows) == 2
    a, b = x0 / 1400, x1 / 1400
    assert _inked(rows[0].below, a, b) > 0.9
    assert _inked(rows[1].above, a, b) == 0.0
    assert _inked(rows[0].above, a, b) == 0.0
    del top


def test_a_ring_is_seen_above_and_below_its_words() -> None:
    image, boxes = _rows(2.0)
    top, bottom = round(boxes[3].bbox[1] * 400), round(boxes[3].bbox[3] * 400)
    centre = (200 + 3 * SIDE, (top + bottom) // 2)
    cv2.ellipse(image, centre, (3 * SIDE, round(0.85 * SIDE)), 0, 0, 360, PEN, 3)
    rows = tick_rows(ink_mask(image, DPI, RULES.tick_boxes), DPI, boxes, RULES.tick_rows)
    a, b = (200 + 1.5 * SIDE) / 1400, (200 + 4.5 * SIDE) / 1400
    assert _inked(rows[1].above, a, b) > 0.9 and _inked(rows[1].below, a, b) > 0.9
    assert _inked(rows[0].below, a, b) == 0.0


def test_a_table_rule_through_a_band_is_taken_away() -> None:
    image, boxes = _rows(2.0)
    y = round(boxes[0].bbox[1] * 400 - 0.3 * SIDE)
    cv2.line(image, (100, y), (1300, y), INK, 2)
    rows = tick_rows(ink_mask(image, DPI, RULES.tick_boxes), DPI, boxes, RULES.tick_rows)
    assert rows[0].above == ()


def test_band_limits_out_of_order_fail_at_load(tmp_path: Path) -> None:
    text = (RULES_DIR / "tick_rows.yaml").read_text(encoding="utf-8")
    folder = rules_folder(
        tmp_path, {"tick_rows.yaml": text.replace("[0.12, 0.45]", "[0.45, 0.12]")}
    )
    with pytest.raises(ConfigError, match="above"):
        load_rules(folder)


def test_a_line_struck_through_the_words_is_recorded_and_glyph_strokes_are_not() -> None:
    """A pen line through the first option's words, rising a little, is struck; level
    strokes at one height in every character, broken by the paper between characters
    (a row of 二 or 三), are not, nor is a ✓'s steep stroke after the second option."""
    image, boxes = _rows(2.0)
    top = round(boxes[0].bbox[1] * 400)
    y = top + SIDE // 2
    first = 200 + SIDE + 10
    for i in range(4):  # glyph stand-ins after the second box: level strokes, 0.5 mm apart
        x = 200 + 8 * SIDE + SIDE + 10 + i * (SIDE + 4)
        for dy in (-SIDE // 4, 0, SIDE // 4):
            cv2.line(image, (x, y + dy), (x + SIDE, y + dy), INK, 2)
    cv2.line(image, (first, y + 2), (first + 5 * SIDE, y - 2), PEN, 4)  # the strike
    tick = 200 + 16 * SIDE - SIDE
    cv2.line(image, (tick, y - SIDE // 2), (tick + SIDE // 2, y + SIDE // 2), PEN, 4)
    rows = tick_rows(ink_mask(image, DPI, RULES.tick_boxes), DPI, boxes, RULES.tick_rows)
    w = 1400
    assert _inked(rows[0].struck, first / w, (first + 5 * SIDE) / w) > 0.95
    glyphs = (200 + 9 * SIDE + 10) / w, (200 + 9 * SIDE + 10 + 4 * (SIDE + 4)) / w
    assert _inked(rows[0].struck, *glyphs) == 0.0
    assert _inked(rows[0].struck, tick / w, (tick + SIDE) / w) == 0.0
    assert rows[1].struck == ()


def test_a_strike_part_shorter_than_a_strike_is_looked_for_fails_at_load(tmp_path: Path) -> None:
    text = (RULES_DIR / "ticks.yaml").read_text(encoding="utf-8")
    folder = rules_folder(
        tmp_path, {"ticks.yaml": text.replace("struck_part: 1.6", "struck_part: 1.0")}
    )
    with pytest.raises(ConfigError, match="struck_part"):
        load_rules(folder)


def _bent_rule(image: np.ndarray, y: int, sag: int, rise: int, gaps: int = 0) -> None:
    """A table rule across the page as a phone photo or a warped scan shows it: bowed by
    ``sag`` pixels at its middle, rising ``rise`` pixels from left to right, broken every
    150 pixels by ``gaps`` pixels of paper (uneven light thins a pale rule)."""
    xs = np.arange(60, 1340)
    ys = y - rise * (xs - 60) / 1280 + sag * (1 - ((xs - 700) / 640) ** 2)
    points = np.stack([xs, np.round(ys)], axis=1).astype(np.int32)
    for start in range(0, len(points), 150):
        piece = points[start : start + 150 - gaps]
        cv2.polylines(image, [piece.reshape(-1, 1, 2)], False, INK, 2)


def test_a_slanted_bowed_broken_rule_is_followed_and_taken_away() -> None:
    """A rule 2 degrees off level and bowed (no straight run 16 sides long fits in it),
    broken by short gaps, running through the band above a row: a rule, not a ring over
    every option. The straight-run test alone leaves it (the band read inked)."""
    image, boxes = _rows(2.0)
    top = round(boxes[0].bbox[1] * 400)
    _bent_rule(image, top - 4, sag=6, rise=44, gaps=5)
    ink = ink_mask(image, DPI, RULES.tick_boxes)
    rows = tick_rows(ink, DPI, boxes, RULES.tick_rows)
    assert rows[0].above == ()
    unfollowed = RULES.tick_rows.model_copy(update={"rule_piece": 1000.0})
    assert tick_rows(ink, DPI, boxes, unfollowed)[0].above != ()


def test_a_ring_touching_a_bent_rule_keeps_its_arc() -> None:
    """A ring round the second option's words crossed near its top by a slanted rule: the
    rule is taken away, the arc (curving away from the rule's path) stays."""
    image, boxes = _rows(2.0)
    top, bottom = round(boxes[0].bbox[1] * 400), round(boxes[0].bbox[3] * 400)
    left = round(boxes[1].bbox[0] * 1400)
    centre = (left + 4 * SIDE, (top + bottom) // 2)
    cv2.ellipse(image, centre, (3 * SIDE, round(0.85 * SIDE)), 0, 0, 360, PEN, 3)
    ring_top = centre[1] - round(0.85 * SIDE)
    # 5 px under the ring's top where the ring is, through the band above the third option
    _bent_rule(image, ring_top + 5 + round(20 * (centre[0] - 60) / 1280), sag=0, rise=20)
    rows = tick_rows(ink_mask(image, DPI, RULES.tick_boxes), DPI, boxes, RULES.tick_rows)
    words = (left + 2.5 * SIDE) / 1400, (left + 5.5 * SIDE) / 1400
    assert _inked(rows[0].above, *words) >= 0.5  # ticks.yaml stroke_marked: still a ring
    assert _inked(rows[0].below, *words) > 0.9
    third = (200 + 17.5 * SIDE) / 1400, (200 + 20.5 * SIDE) / 1400
    assert _inked(rows[0].above, *third) == 0.0  # the rule over the third option is gone


def test_strikes_joined_through_the_row_are_no_rule() -> None:
    """Three options struck by pen lines meeting end to end (17 sides in all, nearly
    level): they run through the row's boxes, where no table rule runs, so they are kept
    as strikes."""
    image, boxes = _rows(2.0)
    top = round(boxes[0].bbox[1] * 400)
    y = top + SIDE // 2
    start = 200 + SIDE + 10
    for i, tilt in enumerate((2, -1, 1)):
        x = start + i * 6 * SIDE
        cv2.line(image, (x, y), (x + 6 * SIDE, y + tilt), PEN, 3)
    ink = ink_mask(image, DPI, RULES.tick_boxes)
    rows = tick_rows(ink, DPI, boxes, RULES.tick_rows)
    assert _inked(rows[0].struck, start / 1400, (start + 17 * SIDE) / 1400) > 0.85
    unfollowed = RULES.tick_rows.model_copy(update={"rule_piece": 1000.0})
    assert rows[0].struck == tick_rows(ink, DPI, boxes, unfollowed)[0].struck
