"""``shenbao bench look-alikes``: pairs of CJK characters an OCR may take for each other.

A seal's ring is read by OCR, and OCR confuses characters that look alike: 州 and 洲
(one is inside the other), 黔 and 默, 息 and 急. The owner check
(``validators.seal_names``) makes such a substitution cheaper than any other, so a
misread own seal still reads as its owner. The pairs are found, not listed by hand: each
character of GB 2312 level 1 (3755 common characters) is
rendered in Noto Serif SC (the PyPI package ``pylopdf-fonts-zh-cn``), shrunk to a small
grey bitmap, centred and normalised; two characters look alike when their bitmaps
correlate at least ``WHOLE``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

GLYPH = 48
"""Pixels a glyph is rendered at."""
SIDE = 16
"""Pixels a side of the bitmap compared."""
WHOLE = 0.79
"""Correlation of two whole glyphs' bitmaps that makes them look alike."""

HEADER = """\
# Look-alike characters: pairs an OCR may take for each other (validators/seal_names.py
# makes substituting one for the other cheaper when a seal's lettering is matched to a
# name: a misread ring still reads as its owner). Generated, do not edit by hand:
#   shenbao bench look-alikes --out rules/look_alikes.yaml
# Each character of GB 2312 level 1 (3755 common characters) rendered in Noto Serif SC
# ({glyph} px, shrunk to {side}x{side}, centred, normalised): two look alike when their
# bitmaps correlate at least {whole} (息/急, 南/商). {count} pairs. Not found so: a
# character inside another (州/洲), which costs a whole substitution.
"""


def _font_path() -> Path:
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.__file__).with_name("NotoSerifSC-Regular.otf")


def common_characters() -> list[str]:
    """GB 2312 level 1: the 3755 most common characters."""
    found = []
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                found.append(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return found


def _normalised(bitmaps: NDArray[np.float32]) -> NDArray[np.float32]:
    flat = bitmaps.reshape(len(bitmaps), -1)
    flat = flat - flat.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(flat, axis=1, keepdims=True)
    return np.asarray(flat / np.where(norm == 0, 1.0, norm), dtype=np.float32)


def glyph_features(characters: list[str]) -> NDArray[np.float32]:
    """Each character's bitmap, centred and normalised."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(_font_path()), int(GLYPH * 0.85))
    whole = []
    for char in characters:
        image = Image.new("L", (GLYPH, GLYPH), 0)
        ImageDraw.Draw(image).text((GLYPH / 2, GLYPH / 2), char, font=font, fill=255, anchor="mm")

        def shrink(im: Image.Image) -> NDArray[np.float32]:
            return np.asarray(im.resize((SIDE, SIDE), Image.Resampling.BILINEAR), np.float32)

        whole.append(shrink(image))
    return _normalised(np.stack(whole))


def look_alike_pairs(characters: Iterable[str]) -> list[str]:
    """Every pair of the characters that look alike, each as two characters, sorted."""
    chars = sorted({c for c in characters if "\u4e00" <= c <= "\u9fff"})
    whole = glyph_features(chars)
    alike = whole @ whole.T >= WHOLE
    np.fill_diagonal(alike, False)
    first, second = np.nonzero(np.triu(alike, 1))
    return sorted(chars[a] + chars[b] for a, b in zip(first.tolist(), second.tolist(), strict=True))


def write_look_alikes(pairs: list[str], path: Path) -> None:
    header = HEADER.format(glyph=GLYPH, side=SIDE, whole=WHOLE, count=len(pairs))
    body = "".join(f"  - {pair}\n" for pair in pairs)
    path.write_text(f"{header}pairs:\n{body}", encoding="utf-8")
