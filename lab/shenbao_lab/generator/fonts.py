"""Chinese fonts for the generator, from the ``pylopdf-fonts-zh-cn`` wheel (Noto Serif/Sans SC).

The wheel ships CFF-flavoured OpenType, which pdfminer (and so pdfplumber) cannot read
back out of a PDF. Real office PDFs carry TrueType CID fonts, so the generator converts a
GB 2312 subset of each face to TrueType once per machine and caches it: the born-digital
samples then look like what Word or WPS would export.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pylopdf_fonts_zh_cn
from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

from pipeline.files import write_atomic

log = logging.getLogger(__name__)

_SOURCE_DIR = Path(pylopdf_fonts_zh_cn.__file__).resolve().parent
_FACES = {"song": "NotoSerifSC-Regular.otf", "hei": "NotoSansSC-Regular.otf"}
_CACHE_VERSION = "1"
# Characters beyond GB 2312 that the forms print (〇 in dates, boxes, 〔〕 in document numbers).
_EXTRA_CHARS = "〇□〔〕“”‘’—…·×÷±％＋－／：；，。、？！（）《》【】"


@dataclass(frozen=True)
class FontSet:
    """The faces the forms use: 宋体-like serif for body text, 黑体-like sans for headings."""

    song: Path
    hei: Path
    song_otf: Path
    hei_otf: Path


def _charset() -> str:
    chars = {chr(c) for c in range(0x20, 0x7F)} | set(_EXTRA_CHARS)
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(chars))


CHARSET = frozenset(_charset())


def _to_truetype(source: Path, target: Path) -> None:
    """Subset ``source`` to CHARSET and convert its CFF outlines to TrueType quadratics."""
    font = TTFont(source)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(CHARSET)))
    subsetter.subset(font)

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font.sfntVersion = "\x00\x01\x00\x00"
    buffer = io.BytesIO()
    font.save(buffer)
    write_atomic(target, buffer.getvalue())


def cache_dir() -> Path:
    """Where converted fonts live: ``$SHENBAO_FONT_DIR`` or ``~/.cache/shenbao/fonts``."""
    root = os.environ.get("SHENBAO_FONT_DIR")
    return Path(root) if root else Path.home() / ".cache" / "shenbao" / "fonts"


@cache
def fonts() -> FontSet:
    """The generator's fonts, converting them on first use (about 20 s per face, once)."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    converted: dict[str, Path] = {}
    for face, filename in _FACES.items():
        source = _SOURCE_DIR / filename
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
        target = directory / f"{face}-{digest}-v{_CACHE_VERSION}.ttf"
        if not target.exists():
            log.info("converting %s to TrueType into %s (once per machine)", filename, target)
            _to_truetype(source, target)
        converted[face] = target
    return FontSet(
        song=converted["song"],
        hei=converted["hei"],
        song_otf=_SOURCE_DIR / _FACES["song"],
        hei_otf=_SOURCE_DIR / _FACES["hei"],
    )
