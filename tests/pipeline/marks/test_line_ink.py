"""Ink across the text lines of a scan (``pipeline/marks/line_ink.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.marks.line_ink import line_ink
from pipeline.model import TextLine
from tests.rulebook import RULES

DPI = 200.0
H = 30  # a line's height in pixels (about 11 pt at 200 dpi)


def _page(blobs: list[tuple[int, int]], rule_x: int | None = None) -> np.ndarray:
    """An ink mask 400 × 1000 px with blobs (x0, x1) across the row 100–130 (characters
    and a glyph), and optionally a table's vertical rule 2 px wide."""
    ink = np.zeros((400, 1000), np.uint8)
    for x0, x1 in blobs:
        ink[104:126, x0:x1] = 255
    if rule_x is not None:
        ink[:, rule_x : rule_x + 2] = 255
    return ink


def _line(text: str, x0: int, x1: int) -> TextLine:
    return TextLine(text=text, bbox=(x0 / 1000, 100 / 400, x1 / 1000, 130 / 400))


def test_a_glyph_the_ocr_left_out_of_its_line_is_ink_before_the_line() -> None:
    # ✔ at 260-280, then 企业型 (three characters 300-360), the OCR's line only the words.
    chars = [(300, 318), (321, 339), (342, 360)]
    ink = _page([(260, 280), *chars])

    (found,) = line_ink(ink, DPI, [_line("企业型", 300, 360)], RULES.line_ink)

    assert found.line == 0
    assert found.bbox[0] < 0.26 and found.bbox[2] > 0.36
    assert found.height == pytest.approx(H / 1000, abs=1e-4)
    assert found.spans[0] == (0.26, 0.28)  # the glyph, outside the OCR's box
    assert found.spans[-1][1] == 0.36
    assert all(b - a >= RULES.line_ink.min_span * H / 1000 for a, b in found.spans)


def test_a_table_rule_and_specks_are_not_ink_of_the_line() -> None:
    ink = _page([(300, 318), (321, 339), (250, 251)], rule_x=270)

    (found,) = line_ink(ink, DPI, [_line("企业", 300, 340)], RULES.line_ink)

    assert found.spans and all(a >= 0.3 for a, _ in found.spans)


def test_short_lines_are_not_measured_and_dpi_must_be_positive() -> None:
    ink = _page([(300, 318)])

    assert line_ink(ink, DPI, [_line("企", 300, 318)], RULES.line_ink) == ()
    with pytest.raises(ValueError):
        line_ink(ink, 0.0, [_line("企业", 300, 340)], RULES.line_ink)


def _grey_page(light: float = 1.0) -> np.ndarray:
    """A grey page 400 × 1000 px, paper 240 times ``light`` to the right (a photo lit
    unevenly), two options' words (100 px each, same strokes) on the row 100–130."""
    grey = np.full((400, 1000), 240.0)
    grey[:, 500:] *= light
    for x0 in (300, 600):
        for x in range(x0, x0 + 100, 10):
            grey[104:126, x : x + 3] = 40.0
    return grey.astype(np.uint8)


def _profile_mean(values: tuple[float, ...], start: float, step: float, a: int, b: int) -> float:
    first, last = round((a / 1000 - start) / step), round((b / 1000 - start) / step)
    part = values[first:last]
    return sum(part) / len(part)


def test_grey_shading_behind_words_darkens_them_against_the_paper_about_them() -> None:
    grey = _grey_page()
    grey[97:134, 600:700] = np.minimum(grey[97:134, 600:700], 180)  # 25 % shading
    ink = (grey < 120).astype(np.uint8) * 255
    lines = [_line("国有企业", 300, 400), _line("民营企业", 600, 700)]

    plain, shaded = line_ink(ink, DPI, lines, RULES.line_ink, grey)

    assert plain.step > 0 and plain.shade
    words = _profile_mean(plain.shade, plain.bbox[0], plain.step, 300, 400)
    darker = _profile_mean(shaded.shade, shaded.bbox[0], shaded.step, 600, 700)
    assert words == pytest.approx(0.73 * 0.3 * 22 / 30, abs=0.03)  # strokes over the height
    assert darker > words + 0.15  # the shading's quarter of the paper, between the strokes
    assert plain.shade[0] < 0.02  # paper before the words


def test_light_falling_unevenly_is_not_darkness_and_no_image_no_profiles() -> None:
    grey = _grey_page(light=0.8)
    ink = (grey < 120).astype(np.uint8) * 255
    lines = [_line("国有企业", 300, 400), _line("民营企业", 600, 700)]

    left, right = line_ink(ink, DPI, lines, RULES.line_ink, grey)

    a = _profile_mean(left.shade, left.bbox[0], left.step, 300, 400)
    b = _profile_mean(right.shade, right.bbox[0], right.step, 600, 700)
    assert b == pytest.approx(a, rel=0.25)
    (bare,) = line_ink(ink, DPI, lines[:1], RULES.line_ink)
    assert bare.step == 0.0 and bare.shade == ()


def test_a_highlighter_behind_words_tints_their_ground_and_print_leaves_it_paper() -> None:
    grey = _grey_page()
    grey[98:132, 600:700] = np.minimum(grey[98:132, 600:700], 212)  # a highlighter, ~0.12
    ink = (grey < 120).astype(np.uint8) * 255
    lines = [_line("国有企业", 300, 400), _line("民营企业", 600, 700)]

    plain, marked = line_ink(ink, DPI, lines, RULES.line_ink, grey)

    assert all(t >= 0 for t in plain.tint)  # paper above and below: measured
    assert max(plain.tint) < 0.01  # between printed strokes lies paper
    tinted = _profile_mean(marked.tint, marked.bbox[0], marked.step, 600, 700)
    assert tinted == pytest.approx(1 - 212 / 240, abs=0.02)


def test_a_highlighter_over_dense_blurred_print_is_seen_and_the_print_alone_is_not() -> None:
    """A blurred greyscale copy of dense type (strokes 6 px apart and a level stroke
    across each character: no pixel of the words 0.08 heights from a stroke, where
    session 17's measure looked for the ground) highlighted over the upper two thirds of
    its height only (a hand drawing high): the ground between the strokes is the
    highlighter's, not paper."""
    import cv2

    grey = np.full((400, 1000), 240.0)
    for x0 in (300, 600):
        for x in range(x0, x0 + 100, 25):  # characters 20 px wide, 5 px apart
            for dx in range(0, 20, 8):
                grey[104:126, x + dx : x + dx + 2] = 60.0
            grey[115:117, x : x + 20] = 60.0
    grey[100:122, 598:702] = np.minimum(grey[100:122, 598:702], 212.0)  # the highlighter
    grey = cv2.GaussianBlur(grey, (0, 0), 1.2).astype(np.uint8)
    ink = (grey < 0.72 * 240).astype(np.uint8) * 255
    lines = [_line("国有企业", 300, 400), _line("民营企业", 600, 700)]

    plain, marked = line_ink(ink, DPI, lines, RULES.line_ink, grey)

    printed = _profile_mean(plain.tint, plain.bbox[0], plain.step, 300, 400)
    tinted = _profile_mean(marked.tint, marked.bbox[0], marked.step, 600, 700)
    assert printed < 0.02
    assert tinted == pytest.approx(1 - 212 / 240, abs=0.02)


def test_bold_strokes_measure_thicker_than_the_same_words_printed_plain() -> None:
    grey = np.full((400, 1000), 240, np.uint8)
    for x in range(300, 400, 10):
        grey[104:126, x : x + 3] = 40  # plain: strokes 3 px wide
    for x in range(600, 700, 10):
        grey[104:126, x : x + 6] = 40  # bold: 6 px
    ink = (grey < 120).astype(np.uint8) * 255
    lines = [_line("国有企业", 300, 400), _line("民营企业", 600, 700)]

    plain, bold = line_ink(ink, DPI, lines, RULES.line_ink, grey)

    thin = [w for w in plain.stroke if w > 0]
    thick = [w for w in bold.stroke if w > 0]
    assert sum(thin) / len(thin) == pytest.approx(3 / H, rel=0.05)
    assert sum(thick) / len(thick) == pytest.approx(6 / H, rel=0.05)
    assert plain.stroke[0] == 0.0  # paper before the words: no stroke


def test_a_pen_tick_over_words_is_coloured_ink_print_is_not() -> None:
    grey = _grey_page()
    rgb = np.stack([grey, grey, grey], axis=2)
    for i in range(20):  # a blue pen's ✓ across 民营企业
        rgb[110 + i // 2 : 113 + i // 2, 620 + 2 * i : 623 + 2 * i] = (30, 62, 175)
    ink = (rgb.min(axis=2) < 120).astype(np.uint8) * 255
    lines = [_line("国有企业", 300, 400), _line("民营企业", 600, 700)]

    plain, ticked = line_ink(ink, DPI, lines, RULES.line_ink, rgb)

    assert max(plain.colour) == 0.0  # black print
    assert _profile_mean(ticked.colour, ticked.bbox[0], ticked.step, 600, 700) > 0.05
    (grey_line,) = line_ink(ink, DPI, lines[:1], RULES.line_ink, grey)
    assert grey_line.colour == ()  # a greyscale scan has no colour to tell


def test_words_printed_red_are_chroma_and_dark_print_under_a_phones_cast_is_not() -> None:
    # A phone photo's bluish cast: paper (205, 212, 228), print (38, 46, 66): dark print
    # is saturated in HSV terms, its channels a few levels apart. 民营企业 printed red.
    grey = _grey_page()
    rgb = np.where(grey[..., None] < 120, (38, 46, 66), (205, 212, 228)).astype(np.uint8)
    rgb[:, 600:700] = np.where(grey[:, 600:700, None] < 120, (200, 52, 60), rgb[:, 600:700])
    ink = (grey < 120).astype(np.uint8) * 255
    lines = [_line("国有企业", 300, 400), _line("民营企业", 600, 700)]

    plain, red = line_ink(ink, DPI, lines, RULES.line_ink, rgb)

    assert max(plain.chroma) == 0.0
    assert max(plain.colour) > 0.5  # what HSV saturation makes of the cast
    assert _profile_mean(red.chroma, red.bbox[0], red.step, 600, 700) > 0.5
    (grey_line,) = line_ink(ink, DPI, lines[:1], RULES.line_ink, grey)
    assert grey_line.chroma == ()


def test_a_thin_blue_tick_under_a_phones_warm_cast_is_a_pens_and_the_print_is_not() -> None:
    """A phone photo's light tints paper, print and pen alike by a factor per channel
    (warm: paper (227, 218, 203)), then blurs, and JPEG puts a few levels of colour noise
    on every pixel: dense dark print is then saturated in HSV terms (``colour``), while
    with the paper taken for white (``pen``) print is black and the blurred pen stroke's
    colour is what sets its words apart."""
    import cv2

    grey = _grey_page().astype(np.float32)
    grey[grey < 120] = 18.0  # dense black print
    rgb = np.stack([grey, grey, grey], axis=2)
    for i in range(16):  # a thin blue ✓ (2 px) across 民营企业's last characters
        rgb[112 + i // 2 : 114 + i // 2, 650 + 2 * i : 652 + 2 * i] = (40, 60, 150)
    cast = np.array([227, 218, 203], np.float32) / 240.0
    photo = cv2.GaussianBlur(rgb * cast, (0, 0), 1.0)
    ink = (photo.min(axis=2) < 150).astype(np.uint8) * 255
    noise = np.random.default_rng(7).normal(0.0, 3.0, photo.shape)
    photo = np.clip(np.rint(photo + noise), 0, 255).astype(np.uint8)
    lines = [_line("国有企业", 300, 400), _line("民营企业", 600, 700)]

    plain, ticked = line_ink(ink, DPI, lines, RULES.line_ink, photo)

    assert max(plain.colour) > 0.0  # HSV saturation: print under the cast reads coloured
    assert max(plain.pen) == 0.0  # the paper taken for white: black print
    assert _profile_mean(ticked.pen, ticked.bbox[0], ticked.step, 600, 700) > 0.03
    assert _profile_mean(ticked.pen, ticked.bbox[0], ticked.step, 600, 640) == 0.0
    (grey_line,) = line_ink(ink, DPI, lines[:1], RULES.line_ink, grey.astype(np.uint8))
    assert grey_line.pen == ()  # a greyscale scan has no colour to tell
