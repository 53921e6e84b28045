"""Seals in other inks than red on colour scans (pipeline/marks/ink_seals.py)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image
from shenbao_lab.generator.fonts import fonts
from shenbao_lab.generator.ink import render_seal, stamp

from pipeline.marks.seal_impressions import detect_seals
from tests.pipeline.marks.test_seal_impressions import DPI, MM, OWNER, SEALS, _sealed


def _blackened(page: Image.Image) -> np.ndarray:
    """The page with its red seal ink turned black, as on a black-and-white copy of the
    seal with the rest of the scan still in colour."""
    rgb = np.asarray(page).astype(np.int16)
    redness = rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2])
    out = rgb.copy()
    out[redness > 40] = (35, 35, 35)
    return out.astype(np.uint8)


def test_a_black_seal_on_a_colour_scan_is_found_black() -> None:
    page, _ = _sealed(0.0)
    found = detect_seals(_blackened(page), DPI, SEALS)
    assert [seal.colour for seal in found] == ["black"]


def test_no_black_seal_is_looked_for_on_a_page_with_a_red_one() -> None:
    """``other_inks.black.only_without_red``: a page carrying a red seal is an original in
    colour; the dear search among black print is skipped there."""
    assert SEALS.other_inks["black"].only_without_red
    page, _ = _sealed(0.0)
    black_page = Image.fromarray(_blackened(page))
    rng = np.random.default_rng(3)
    ink = render_seal(OWNER, diameter_px=round(42 * MM), rng=rng, font_path=fonts().song_otf)
    both, _ = stamp(black_page, ink, center=(1100.0, 1700.0), angle_deg=0.0, rng=rng)
    found = detect_seals(np.asarray(both.convert("RGB")), DPI, SEALS)
    assert [seal.colour for seal in found] == ["red"]


def test_the_black_ring_search_sees_only_regions_of_a_seals_size() -> None:
    """``ring_search_extent``: glyph-sized black regions are left out of the ring search
    (each would vote for circles), a ring's long arcs are kept."""
    from pipeline.marks.red_seals import _ring_sized

    rest = np.zeros((200, 200), np.uint8)
    cv2.ellipse(rest, (100, 100), (60, 60), 0, 10, 170, 1, 2)  # an arc 120 px across
    cv2.ellipse(rest, (100, 100), (60, 60), 0, 190, 350, 1, 2)
    for x in range(10, 190, 12):  # a line of print: glyphs 8 px across
        rest[185:193, x : x + 8] = 1
    sized = _ring_sized(rest, 40.0)
    assert sized[185:193].sum() == 0
    assert sized[:180].sum() == rest[:180].sum()
    assert _ring_sized(np.zeros((10, 10), np.uint8), 4.0).sum() == 0


def test_black_rings_are_looked_for_in_regions_of_a_seals_size_only() -> None:
    assert SEALS.other_inks["black"].ring_search_extent > 0
    assert SEALS.ring_search_extent == 0  # red: all the ink
