"""Unread ink: ink on a scan that no OCR line or tick box explains (marks/unread_ink.py)."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline import read as read_module
from pipeline.errors import ConfigError
from pipeline.marks.unread_ink import unread_ink
from pipeline.model import SourceKind, TextLine, TickBox, UnreadInk
from pipeline.pages import SourcePage
from pipeline.read import read_page
from pipeline.rulebook import load_rules
from pipeline.rulebook.marks import UnreadDetection
from rules import RULES_DIR
from tests.rulebook import RULES, rules_folder

UNREAD = RULES.unread_ink
DPI = 200.0
MM = DPI / 25.4
INK = (30, 30, 30)
W, H = 1200, 700


def _page() -> np.ndarray:
    return np.full((H, W, 3), 248, np.uint8)


def _frac(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    return (x0 / W, y0 / H, x1 / W, y1 / H)


def _print(image: np.ndarray, text: str, x: int, y: int) -> TextLine:
    """Printed Latin text with its baseline at y; returns the OCR line that reads it."""
    font, scale, thickness = cv2.FONT_HERSHEY_SIMPLEX, 1.0, 2
    (w, h), base = cv2.getTextSize(text, font, scale, thickness)
    cv2.putText(image, text, (x, y), font, scale, INK, thickness, cv2.LINE_AA)
    return TextLine(text=text, bbox=_frac(x, y - h, x + w, y + base), confidence=0.99)


def _scribble(image: np.ndarray, x: int, y: int, width: int, height: int) -> None:
    """Handwriting-like strokes filling (x, y, width, height): what the OCR missed."""
    rng = np.random.default_rng(7)
    for i in range(0, width - 10, 28):
        points = np.array(
            [
                (x + i + rng.integers(0, 8), y + rng.integers(0, height // 3)),
                (x + i + 12 + rng.integers(0, 8), y + height - rng.integers(0, 6)),
                (x + i + 24, y + height // 2 + rng.integers(-5, 5)),
            ],
            np.int32,
        )
        cv2.polylines(image, [points], False, (40, 45, 110), 3, cv2.LINE_AA)


def _form(*, unread: bool = True) -> tuple[np.ndarray, list[TextLine], list[TickBox]]:
    """A ruled form: two labelled rows, the first with a value nobody read (unless not
    ``unread``), the second empty; a table's frame, and two tick boxes, one ticked."""
    image = _page()
    lines = [_print(image, "Name:", 60, 120), _print(image, "Email:", 60, 260)]
    # the underlined blanks of both values, and a table's frame around it all
    cv2.line(image, (200, 130), (1100, 130), INK, 2)
    cv2.line(image, (200, 270), (1100, 270), INK, 2)
    cv2.rectangle(image, (40, 60), (1150, 620), INK, 2)
    cv2.line(image, (40, 320), (1150, 320), INK, 2)
    cv2.line(image, (180, 60), (180, 320), INK, 2)
    if unread:
        _scribble(image, 240, 82, 300, 42)  # the value under the seal: ink, no OCR line
    boxes: list[TickBox] = []
    for i, x in enumerate((240, 440)):
        side = round(3.5 * MM)
        cv2.rectangle(image, (x, 400), (x + side, 400 + side), INK, 2)
        if i == 0:
            cv2.line(image, (x + 5, 415), (x + 12, 424), INK, 2)
            cv2.line(image, (x + 12, 424), (x + 25, 403), INK, 2)
        boxes.append(TickBox(bbox=_frac(x, 400, x + side, 400 + side), ink=0.2, source="image"))
        lines.append(_print(image, "option", x + side + 12, 424))
    return image, lines, boxes


def test_ink_where_a_value_should_be_is_found_and_nothing_else() -> None:
    image, lines, boxes = _form()
    found = unread_ink(image, DPI, lines, boxes, UNREAD)
    assert len(found) == 1
    (blob,) = found
    x0, y0, x1, y1 = blob.bbox
    # the scribble's box (240..540 × 82..124 px), within a few analysis pixels
    assert x0 == pytest.approx(240 / W, abs=0.01) and x1 == pytest.approx(540 / W, abs=0.01)
    assert y0 == pytest.approx(82 / H, abs=0.015) and y1 == pytest.approx(124 / H, abs=0.015)
    assert 0.05 < blob.ink < 0.6
    # the empty cell right of "Email:" carries no unread ink: its blank stays sure
    assert not [b for b in found if b.bbox[1] > 200 / H]


def test_ruling_lines_printed_text_and_tick_boxes_are_not_unread() -> None:
    image, lines, boxes = _form(unread=False)
    assert unread_ink(image, DPI, lines, boxes, UNREAD) == ()
    # the same page's print and ticks, with no OCR line or box to explain them, are
    # unread ink: the labels and the options, not the rules and the frame
    unexplained = unread_ink(image, DPI, [], [], UNREAD)
    assert len(unexplained) >= 3
    assert all(b.bbox[2] - b.bbox[0] < 0.5 for b in unexplained)


def test_specks_and_a_dash_are_not_writing() -> None:
    image = _page()
    rng = np.random.default_rng(1)
    for _ in range(200):  # scanner noise: isolated dark pixels and tiny dots
        x, y = int(rng.integers(60, W - 60)), int(rng.integers(60, H - 60))
        cv2.circle(image, (x, y), int(rng.integers(0, 2)), INK, -1)
    cv2.line(image, (500, 600), (530, 600), INK, 2)  # the — of a page number
    assert unread_ink(image, DPI, [], [], UNREAD) == ()


def test_a_greyscale_page_and_a_second_resolution_give_the_same_regions() -> None:
    image, lines, boxes = _form()
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    in_grey = unread_ink(grey, DPI, lines, boxes, UNREAD)
    assert in_grey == unread_ink(image, DPI, lines, boxes, UNREAD)
    double = cv2.resize(image, (2 * W, 2 * H), interpolation=cv2.INTER_LINEAR)
    (big,) = unread_ink(double, 2 * DPI, lines, boxes, UNREAD)
    (small,) = unread_ink(image, DPI, lines, boxes, UNREAD)
    assert big.bbox == pytest.approx(small.bbox, abs=0.01)


def test_an_a4_page_is_measured_quickly() -> None:
    image = np.full((2339, 1654, 3), 245, np.uint8)
    _scribble(image, 400, 800, 600, 60)
    started = time.perf_counter()
    found = unread_ink(image, DPI, [], [], UNREAD)
    assert time.perf_counter() - started < 0.25  # ~15 ms measured; slack for busy CI
    assert len(found) == 1


def test_the_packaged_settings_load_and_bad_ones_are_refused(tmp_path: Path) -> None:
    rules = UNREAD
    assert rules.close_mm < rules.rule_run_mm
    text = (RULES_DIR / "unread_ink.yaml").read_text(encoding="utf-8")
    blob_as_long_as_a_rule = text.replace("close_mm: 3.0", "close_mm: 20.0")
    with pytest.raises(ConfigError, match="close_mm"):
        load_rules(rules_folder(tmp_path / "a", {"unread_ink.yaml": blob_as_long_as_a_rule}))
    too_dark = text.replace("ink_share: 0.72", "ink_share: 1.5")
    with pytest.raises(ConfigError):
        load_rules(rules_folder(tmp_path / "b", {"unread_ink.yaml": too_dark}))
    with pytest.raises(ConfigError):
        load_rules(rules_folder(tmp_path / "c", {"unread_ink.yaml": text + "typo_key: 1\n"}))
    with pytest.raises(ValueError, match="dpi"):
        unread_ink(_page(), 0.0, [], [], rules)
    assert isinstance(rules, UnreadDetection)


def _scan_source(image: np.ndarray) -> SourcePage:
    return SourcePage(
        file_page=1,
        kind=SourceKind.SCAN,
        width_pt=W * 72 / DPI,
        height_pt=H * 72 / DPI,
        image=image,
        dpi=DPI,
    )


class _Engine:
    """Reads the two labels of the form, nothing else (the value under the seal)."""

    name = "fixed"
    fingerprint = "fixed"

    def __init__(self, lines: list[TextLine]) -> None:
        self.lines = tuple(lines)

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        return self.lines


def test_read_page_keeps_the_unread_ink_and_survives_its_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image, lines, _ = _form()
    # normalisation keeps this upright, unskewed page as it is
    read = read_page(_scan_source(image), _Engine(lines[:2]), RULES)  # type: ignore[arg-type]
    assert read.error is None
    assert read.page.unread, "the scribble right of Name: is unread ink"
    assert all(isinstance(b, UnreadInk) for b in read.page.unread)

    def broken(*args: object, **kwargs: object) -> tuple[UnreadInk, ...]:
        raise RuntimeError("boom")

    monkeypatch.setattr(read_module, "unread_ink", broken)
    read = read_page(_scan_source(image), _Engine(lines[:2]), RULES)  # type: ignore[arg-type]
    assert read.error is None and read.page.unread == ()
    assert [t.text for t in read.page.lines] == ["Name:", "Email:"]
