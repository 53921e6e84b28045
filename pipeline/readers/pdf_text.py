"""A PDF page's text layer: whether it holds real text, and its words as lines.

pdfplumber (pdfminer) gives exact text and geometry, no OCR; it is slow and would load
every image stream of a scanned page, so ``readers.pdf_pages`` asks it only about pages PDFium
counts characters on. A page whose "text" is a broken ToUnicode map's private-use or
``(cid:42)`` characters, or a scan with a stamp of text on it, is not real text: it is read
as a scan.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pdfplumber
from pdfplumber.page import Page as PlumberPage
from pdfplumber.pdf import PDF

from pipeline.marks.tick_boxes import box_glyphs, glyph_boxes, vector_boxes
from pipeline.model import TextLine, TickBox
from pipeline.rulebook import Rules
from pipeline.rulebook.marks import TickDetection

log = logging.getLogger(__name__)

# A page "holds real text" with at least this many letters, digits or ideographs...
MIN_TEXT_CHARS = 10
# ...making up at least this share of its non-blank characters: a broken ToUnicode map
# yields "(cid:42)", private-use or U+FFFD characters, which would otherwise pass.
MIN_REAL_TEXT_SHARE = 0.5
# A page mostly covered by one image is a scan with, at most, a stamp of text on it
# (a copier's footer, a caption under a pasted licence); it needs this much more text.
IMAGE_PAGE_COVERAGE = 0.5
MIN_TEXT_CHARS_OVER_IMAGE = 50
# Words further apart than this many character widths are separate lines: table cells,
# a label and its value, the options of a choice.
COLUMN_GAP_CHARS = 2.0
# Two words share a line when their vertical extents overlap by this share of the lower.
SAME_LINE_OVERLAP = 0.5


class TextLayerReader:
    """pdfplumber over one PDF, opened on first use, memory bounded page by page; tick
    boxes found by ``rules.tick_boxes``."""

    def __init__(self, path: Path, rules: Rules) -> None:
        self._path = path
        self._ticks = rules.tick_boxes
        self._pdf: PDF | None = None
        self._failed = False

    def text_layer(self, index: int) -> tuple[tuple[TextLine, ...], tuple[TickBox, ...]] | None:
        """The page's text lines and tick boxes when it holds real text, else None (read
        it as a scan)."""
        pdf = self._open()
        if pdf is None:
            return None
        try:
            page = pdf.pages[index]
        except Exception as exc:  # pdfminer disagrees with PDFium on the page tree
            log.warning("pdfplumber cannot load page %d of %s: %r", index + 1, self._path.name, exc)
            return None
        try:
            lines = _real_text_lines(page)
            return None if lines is None else (lines, _text_layer_boxes(page, self._ticks))
        except Exception as exc:  # a content stream pdfminer chokes on: PDFium may render it
            log.warning("pdfplumber cannot read page %d of %s: %r", index + 1, self._path.name, exc)
            return None
        finally:
            page.close()
            # pdfminer caches every object it resolves, image streams included; dropping
            # them per page keeps a long document flat (fonts stay cached elsewhere).
            cached = getattr(getattr(pdf, "doc", None), "_cached_objs", None)
            if isinstance(cached, dict):
                cached.clear()

    def _open(self) -> PDF | None:
        if self._pdf is None and not self._failed:
            try:
                self._pdf = pdfplumber.open(self._path)
            except Exception as exc:
                log.warning(
                    "pdfplumber cannot open %s: %r; pages read as scans", self._path.name, exc
                )
                self._failed = True
        return self._pdf

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None


# Kangxi and CJK radicals: some PDF fonts map 一, 人, 工 ... to these look-alikes.
_RADICALS = re.compile("[\u2e80-\u2ef3\u2f00-\u2fd5]")


def _fix_radicals(text: str) -> str:
    return _RADICALS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def _is_real_char(text: str) -> bool:
    # pdfminer renders an unmapped glyph as "(cid:123)": longer than one character.
    return len(text) == 1 and text.isalnum() and unicodedata.category(text) != "Co"


def _real_text_lines(page: PlumberPage) -> tuple[TextLine, ...] | None:
    box = _visible_box(page)
    if box is None:
        return None
    x0, top, x1, bottom = box
    visible = [
        c for c in page.chars if x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and top <= c["top"] <= bottom
    ]
    texts = [_fix_radicals(c["text"]) for c in visible if not c["text"].isspace()]
    real = sum(1 for t in texts if _is_real_char(t))
    needed = MIN_TEXT_CHARS
    if _largest_image_share(page, box) >= IMAGE_PAGE_COVERAGE:
        needed = MIN_TEXT_CHARS_OVER_IMAGE
    if real < needed or real < MIN_REAL_TEXT_SHARE * len(texts):
        log.debug("page %d: %d real of %d characters: a scan", page.page_number, real, len(texts))
        return None
    words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
    return tuple(_lines_from_words(words, box))


def _text_layer_boxes(page: PlumberPage, rules: TickDetection) -> tuple[TickBox, ...]:
    """Tick boxes a text-layer page draws (squares, ticked by a path inside) or prints as
    ☑/□ characters. A drawing pdfplumber cannot make sense of gives none, not an error."""
    box = _visible_box(page)
    if box is None:
        return ()
    x0, top, x1, bottom = box
    width, height = x1 - x0, bottom - top
    marks = box_glyphs(rules)
    try:
        drawn = vector_boxes(page.rects, [*page.curves, *page.lines], box, rules)
        printed = (
            TextLine(
                text=c["text"],
                bbox=(
                    _fraction(c["x0"] - x0, width),
                    _fraction(c["top"] - top, height),
                    _fraction(c["x1"] - x0, width),
                    _fraction(c["bottom"] - top, height),
                ),
            )
            for c in page.chars
            if c["text"] in marks and c["x1"] > c["x0"] and c["bottom"] > c["top"]
        )
        glyphs = glyph_boxes(printed, rules)
    except Exception as exc:  # odd path data in a drawing: the text is still good
        log.warning("page %d: tick boxes not read: %r", page.page_number, exc)
        return ()
    return drawn + glyphs


def _visible_box(page: PlumberPage) -> tuple[float, float, float, float] | None:
    """The crop box (what PDFium renders) within the media box, in pdfplumber's coordinates."""
    cx0, ctop, cx1, cbottom = page.cropbox
    mx0, mtop, mx1, mbottom = page.mediabox
    box = (max(cx0, mx0), max(ctop, mtop), min(cx1, mx1), min(cbottom, mbottom))
    if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
        return None
    return box


def _largest_image_share(page: PlumberPage, box: tuple[float, float, float, float]) -> float:
    x0, top, x1, bottom = box
    area = (x1 - x0) * (bottom - top)
    largest = 0.0
    for image in page.images:
        width = min(image["x1"], x1) - max(image["x0"], x0)
        height = min(image["bottom"], bottom) - max(image["top"], top)
        if width > 0 and height > 0:
            largest = max(largest, width * height / area)
    return largest


@dataclass
class _Row:
    top: float
    bottom: float
    words: list[dict[str, Any]] = field(default_factory=list)
    alone: bool = False


def _lines_from_words(
    words: Sequence[dict[str, Any]], box: tuple[float, float, float, float]
) -> Iterator[TextLine]:
    """Words grouped into rows by vertical overlap, rows split at wide horizontal gaps."""
    x0, top, x1, bottom = box
    width, height = x1 - x0, bottom - top

    def line(group: Sequence[dict[str, Any]]) -> TextLine | None:
        text = _fix_radicals(" ".join(w["text"] for w in group)).strip()
        left = min(w["x0"] for w in group)
        right = max(w["x1"] for w in group)
        upper = min(w["top"] for w in group)
        lower = max(w["bottom"] for w in group)
        centre_x, centre_y = (left + right) / 2, (upper + lower) / 2
        if not text or not (x0 <= centre_x <= x1 and top <= centre_y <= bottom):
            return None  # outside the crop box: never shown, never printed
        return TextLine(
            text=text,
            bbox=(
                _fraction(left - x0, width),
                _fraction(upper - top, height),
                _fraction(right - x0, width),
                _fraction(lower - top, height),
            ),
            confidence=1.0,
        )

    rows: list[_Row] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if not word.get("upright", True):
            # Vertical text has no row to share: each of its words is a line of its own.
            rows.append(_Row(top=word["top"], bottom=word["bottom"], words=[word], alone=True))
            continue
        best, best_overlap = None, 0.0
        for row in rows:
            if row.alone or row.bottom <= word["top"]:
                continue
            overlap = min(row.bottom, word["bottom"]) - max(row.top, word["top"])
            lower = min(row.bottom - row.top, word["bottom"] - word["top"])
            if lower > 0 and overlap >= SAME_LINE_OVERLAP * lower and overlap > best_overlap:
                best, best_overlap = row, overlap
        if best is None:
            rows.append(_Row(top=word["top"], bottom=word["bottom"], words=[word]))
        else:
            best.words.append(word)
    for row in sorted(rows, key=lambda r: (r.top, r.bottom)):
        groups = [row.words] if row.alone else _split_at_gaps(sorted(row.words, key=_left))
        for group in groups:
            if (made := line(group)) is not None:
                yield made


def _left(word: dict[str, Any]) -> float:
    return float(word["x0"])


def _split_at_gaps(words: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    group: list[dict[str, Any]] = []
    for word in words:
        if group:
            previous = group[-1]
            gap = word["x0"] - previous["x1"]
            char_width = (_char_width(previous) + _char_width(word)) / 2
            if gap > COLUMN_GAP_CHARS * char_width:
                yield group
                group = []
        group.append(word)
    if group:
        yield group


def _char_width(word: dict[str, Any]) -> float:
    # A word's mean advance: an ideograph is as wide as the type is tall, a digit half that.
    advance = max(float(word["x1"]) - float(word["x0"]), 0.0)
    return advance / max(len(word["text"]), 1)


def _fraction(value: float, extent: float) -> float:
    return min(max(value / extent, 0.0), 1.0)
