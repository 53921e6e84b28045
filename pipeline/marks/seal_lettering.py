"""The lettering of a seal found on a page, read by the page's OCR engine.

A round or oval seal carries up to three texts: the owner's name running clockwise along
the top of its ring (``text``), horizontal lines inside it (``inner``: 发票专用章, 财务专用章,
or an oval's middle lines) and a serial number along the bottom of the ring, its glyphs
facing the centre (``code``). Whatever way the stamp was turned:

- the seal is mapped onto a circle along its fitted ellipse (an oval stretched round) and
  its text band unwrapped with a polar transform into a strip, outer edge up, starting in
  the middle of the widest gap of the band's ink (``seal_unwrap``); the OCR reads the strip;
- the name is the arc of glyphs round the most confident line the OCR found, less what
  lies in the sector opposite its middle (the serial, read upside down as junk). A name
  the strip's ends cut is read once more from a strip centred on it;
- its middle says which way is up: the serial's sector is unwrapped turned half round (so
  its glyphs stand upright) and the inner disc cropped upright, and both are read in one
  more OCR pass, only when they hold ink and a name was read round the ring;
- a reading that is unsure is tried once more mirrored (a seal seen through the paper, a
  stamp cut mirrored), unless it is too short for a name or holds a legal form (公司)
  read in order; the more confident one is kept.

Colour seals are unwrapped from their red ink alone (the black print under them left
out). A square seal is read as it stands, turned or mirrored when that is unsure. Whose
seal it is, is for the validators to say.

Parameters are data (``rules/seal_detection.yaml``, ``rulebook.marks.SealDetection``).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from pipeline.marks.seal_edges import seal_edge
from pipeline.marks.seal_impressions import SealCandidate, detect_seals
from pipeline.marks.seal_unwrap import Unwrapped, ink_image, unwrap_ring, unwrap_seal
from pipeline.model import SealMark, TextLine
from pipeline.ocr.engine import OcrEngine, recognize_tight
from pipeline.pixels import page_fractions
from pipeline.rulebook.marks import SealDetection

log = logging.getLogger(__name__)

__all__ = ["Lettering", "read_lettering", "read_seal_text", "read_seals", "unwrap_ring"]

_ink_image = ink_image  # its name before it moved to seal_unwrap

_CODE_CHARS = re.compile(r"[0-9A-Z]")


@dataclass(frozen=True)
class Lettering:
    """What a seal says, each text with the OCR's confidence ('' and 0.0 when unread).

    Attributes:
        text: The ring's lettering (the owner's name).
        inner: The horizontal lines inside the ring, top to bottom, space-separated.
        code: The serial number, [0-9A-Z] only.
        ocr_calls: OCR passes spent on the seal.
        mirrored: The more confident reading was of the mirrored impression.
    """

    text: str = ""
    confidence: float = 0.0
    inner: str = ""
    inner_confidence: float = 0.0
    code: str = ""
    code_confidence: float = 0.0
    ocr_calls: int = 0
    mirrored: bool = False


# --- OCR and what it read ---------------------------------------------------------------


def _recognize(
    engine: OcrEngine, image: np.ndarray, rules: SealDetection, det_scale: float | None = None
) -> tuple[tuple[TextLine, ...], int, int]:
    """The lines in ``image`` padded with paper, and the padding and the padded width;
    the lines found on a copy scaled by ``det_scale`` (the rules' lettering_det_scale
    when None)."""
    pad = max(8, image.shape[0] // 4)
    if rules.lettering_pad_px:  # the text detector's work goes with the padded pixels
        pad = min(pad, max(8, rules.lettering_pad_px))
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    rgb = cv2.cvtColor(padded, cv2.COLOR_GRAY2RGB)
    # Each line at its own width: a strip's few short lines are not padded to a page's.
    if rules.tight_lines:
        scale = rules.lettering_det_scale if det_scale is None else det_scale
        lines = recognize_tight(engine, rgb, scale)
    else:
        lines = engine.recognize(rgb)
    return lines, pad, int(padded.shape[1])


def _chars(line: TextLine) -> list[tuple[str, float]]:
    """A line's characters (NFKC, no spaces), each with its score."""
    scores = line.char_confidences or (line.confidence,) * len(line.text)
    out: list[tuple[str, float]] = []
    for ch, score in zip(line.text, scores, strict=False):
        for norm in unicodedata.normalize("NFKC", ch):
            if not norm.isspace():
                out.append((norm, float(score)))
    return out


def _mean(scores: Sequence[float]) -> float:
    return round(float(sum(scores) / len(scores)), 3) if scores else 0.0


@dataclass(frozen=True)
class _Glyph:
    deg: float  # from the strip's start, clockwise
    char: str
    score: float
    line: int


@dataclass(frozen=True)
class _Ring:
    """The name read from one strip."""

    text: str
    confidence: float
    score: float  # sum of the kept glyphs' scores: longer and surer is better
    middle_deg: float  # the name's middle, disc degrees
    cut: bool  # the name reaches the strip's ends: it may be cut


def _glyphs(lines: Sequence[TextLine], pad: int, padded_width: int, length: int) -> list[_Glyph]:
    """The strip's glyphs, each placed at its angle (spread evenly along its line's box)."""
    # The lettering is the tallest type in the strip; print under the seal that the band
    # also caught (a greyscale scan keeps it) is smaller.
    tallest = max((line.bbox[3] - line.bbox[1] for line in lines), default=0.0)
    glyphs: list[_Glyph] = []
    for index, line in enumerate(lines):
        if line.bbox[3] - line.bbox[1] < 0.6 * tallest:
            continue
        chars = _chars(line)
        x0, x1 = line.bbox[0] * padded_width - pad, line.bbox[2] * padded_width - pad
        for i, (ch, score) in enumerate(chars):
            x = x0 + (i + 0.5) * (x1 - x0) / len(chars)
            glyphs.append(_Glyph(x / length * 360.0, ch, score, index))
    return glyphs


def _arc(degrees: Sequence[float]) -> tuple[float, float]:
    """The shortest arc holding all the angles: (its start, its length), degrees."""
    ordered = sorted(d % 360.0 for d in degrees)
    if len(ordered) == 1:
        return ordered[0], 0.0
    gaps = [(ordered[(i + 1) % len(ordered)] - ordered[i]) % 360.0 for i in range(len(ordered))]
    widest = int(np.argmax(gaps))
    start = ordered[(widest + 1) % len(ordered)]
    return start, 360.0 - gaps[widest]


def _off(a: float, b: float) -> float:
    """How far apart two directions are, degrees (0-180)."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _ring(
    lines: Sequence[TextLine],
    pad: int,
    padded_width: int,
    length: int,
    start_deg: float,
    rules: SealDetection,
) -> _Ring | None:
    glyphs = [g for g in _glyphs(lines, pad, padded_width, length) if g.score > 0.0]
    if not glyphs:
        return None
    by_line: dict[int, list[_Glyph]] = {}
    for glyph in glyphs:
        by_line.setdefault(glyph.line, []).append(glyph)
    anchor = max(by_line.values(), key=lambda gs: sum(g.score for g in gs))
    begin, span = _arc([g.deg for g in anchor])
    middle = begin + span / 2
    kept = glyphs
    for _ in range(2):  # the sector opposite the name's middle holds the serial, not it
        kept = [g for g in glyphs if _off(g.deg, middle + 180.0) > rules.serial_sector_deg / 2]
        if not kept:
            return None
        begin, span = _arc([g.deg for g in kept])
        middle = begin + span / 2
    kept.sort(key=lambda g: (g.deg - begin) % 360.0)
    # The name runs in hanzi: digits, letters and marks at its ends are the serial's ends
    # or specks beside it, read as glyphs (a tight reading reads narrow boxes surely).
    hanzi = [i for i, g in enumerate(kept) if _is_cjk(g.char)]
    if hanzi and len(hanzi) < len(kept):
        kept = kept[hanzi[0] : hanzi[-1] + 1]
        begin, span = _arc([g.deg for g in kept])
        middle = begin + span / 2
    text = "".join(g.char for g in kept)
    scores = [g.score for g in kept]
    end = begin + span
    margin = rules.cut_margin_deg
    cut = begin < margin or end > 360.0 - margin  # runs into (or over) the strip's ends
    return _Ring(
        text=text,
        confidence=_mean(scores),
        score=float(sum(scores)),
        middle_deg=(start_deg + middle) % 360.0,
        cut=cut,
    )


def _read_ring(
    unwrapped: Unwrapped, engine: OcrEngine, rules: SealDetection
) -> tuple[_Ring | None, int]:
    """The name from the strip starting in the gap, and once more centred on the name
    when the strip's ends cut it. Returns the reading and the OCR passes spent."""
    start = unwrapped.gap_deg
    strip = unwrapped.strip(start)
    lines, pad, width = _recognize(engine, strip, rules, rules.ring_det_scale)
    first = _ring(lines, pad, width, strip.shape[1], start, rules)
    if first is None or not first.cut:
        return first, 1
    start = first.middle_deg + 180.0
    strip = unwrapped.strip(start)
    lines, pad, width = _recognize(engine, strip, rules, rules.ring_det_scale)
    second = _ring(lines, pad, width, strip.shape[1], start, rules)
    if second is None:
        return first, 2
    return max((first, second), key=lambda r: (not r.cut, r.score)), 2


# --- the serial number and the inner lines ----------------------------------------------


def _upright(unwrapped: Unwrapped, seal: SealCandidate, up_deg: float, radius: float) -> np.ndarray:
    """The disc within ``radius`` (a share of the seal's) turned so ``up_deg`` points up,
    an oval squeezed back to its shape; paper outside."""
    disc = unwrapped.disc
    size = disc.shape[0]
    centre = size / 2.0
    a, b = seal.axes
    squeeze = 1.0
    if seal.shape == "oval":  # up is along the short axis, towards the name
        short = 90.0 if a >= b else 0.0
        up_deg = min((short, short + 180.0), key=lambda d: _off(d, up_deg))
        squeeze = min(a, b) / max(a, b)
    keep = np.full_like(disc, 255)
    r_px = round(radius * unwrapped.per_radius)
    cv2.circle(keep, (round(centre), round(centre)), r_px, 0, -1)
    cut = np.maximum(disc, keep)
    t = math.radians(up_deg + 90.0)  # turn the disc anticlockwise by up_deg - 270
    c, s = math.cos(t), math.sin(t)
    linear = np.diag([1.0, squeeze]) @ np.array([[c, s], [-s, c]])
    offset = np.array([centre, centre]) - linear @ np.array([centre, centre])
    turned = cv2.warpAffine(
        cut,
        np.hstack([linear, offset[:, None]]),
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )
    y_half = round(r_px * squeeze)
    x0, x1 = round(centre) - r_px, round(centre) + r_px
    y0, y1 = round(centre) - y_half, round(centre) + y_half
    crop: np.ndarray = turned[max(0, y0) : y1, max(0, x0) : x1]
    return crop


def _inked(image: np.ndarray, share: float) -> bool:
    return bool(image.size) and float((image < 128).mean()) >= share


def _annulus(disc: np.ndarray, inner: float, outer: float, per_radius: float) -> np.ndarray:
    """The disc's pixels between two shares of its radius."""
    size = disc.shape[0]
    yy, xx = np.mgrid[0:size, 0:size]
    r = np.hypot(xx + 0.5 - size / 2.0, yy + 0.5 - size / 2.0) / per_radius
    pixels: np.ndarray = disc[(r >= inner) & (r < outer)]
    return pixels


def _stack(parts: Sequence[np.ndarray], gap: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Images one under the other on paper, centred; each part's rows."""
    width = max(p.shape[1] for p in parts)
    height = sum(p.shape[0] for p in parts) + gap * (len(parts) - 1)
    out = np.full((height, width), 255, np.uint8)
    rows: list[tuple[int, int]] = []
    y = 0
    for part in parts:
        x = (width - part.shape[1]) // 2
        out[y : y + part.shape[0], x : x + part.shape[1]] = part
        rows.append((y, y + part.shape[0]))
        y += part.shape[0] + gap
    return out, rows


def _code_of(lines: Sequence[TextLine]) -> tuple[str, float]:
    """The longest run of [0-9A-Z] the lines hold, and its characters' mean score."""
    best: tuple[str, float] = ("", 0.0)
    for line in lines:
        chars = [(ch.upper(), s) for ch, s in _chars(line) if _CODE_CHARS.fullmatch(ch.upper())]
        if len(chars) > len(best[0]):
            best = ("".join(ch for ch, _ in chars), _mean([s for _, s in chars]))
    return best


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _is_code(text: str, rules: SealDetection) -> bool:
    kept = sum(1 for ch in text if _CODE_CHARS.fullmatch(ch.upper()))
    return kept >= rules.code_min_chars and kept >= 0.8 * len(text)


def _read_inner_and_code(
    unwrapped: Unwrapped,
    seal: SealCandidate,
    middle_deg: float,
    engine: OcrEngine,
    rules: SealDetection,
) -> tuple[Lettering, int]:
    """The inner lines and the serial, in one OCR pass over both (none when neither holds
    ink). ``middle_deg`` is the name's middle: up."""
    parts: list[np.ndarray] = []
    # Inner lines leave ink between the star and the ring's lettering; the serial, in the
    # middle of the sector under the name (the gap, when there is none).
    between = _annulus(
        unwrapped.disc, rules.inner_ink_from, rules.text_band[0], unwrapped.per_radius
    )
    has_inner = _inked(between, rules.min_ink_share)
    if has_inner:
        parts.append(_upright(unwrapped, seal, middle_deg, rules.inner_radius))
    bottom = middle_deg + 180.0
    below = unwrapped.strip(bottom - rules.code_ink_deg / 2, rules.code_ink_deg)
    lo, hi = rules.text_band
    top, base = (round((hi - v) / (hi - lo) * below.shape[0]) for v in reversed(rules.gap_band))
    has_code = _inked(below[top:base], rules.min_ink_share)  # clear of the ring's line
    if has_code:
        # The serial runs along the bottom facing the centre: its sector, turned half round.
        serial = unwrapped.strip(bottom - rules.code_sector_deg / 2, rules.code_sector_deg)
        parts.append(np.ascontiguousarray(np.rot90(serial, 2)))
    if not parts:
        return Lettering(), 0
    image, rows = _stack(parts, gap=rules.strip_height_px // 2)
    lines, pad, _ = _recognize(engine, image, rules)
    height = image.shape[0] + 2 * pad
    inner_lines: list[TextLine] = []
    code_lines: list[TextLine] = []
    for line in lines:
        y = (line.bbox[1] + line.bbox[3]) / 2 * height - pad
        if has_inner and rows[0][0] <= y < rows[0][1]:
            inner_lines.append(line)
        elif has_code and rows[-1][0] <= y < rows[-1][1]:
            code_lines.append(line)
    code, code_confidence = _code_of(code_lines)
    if len(code) < rules.code_min_chars:
        code, code_confidence = "", 0.0
    texts: list[str] = []
    scores: list[float] = []
    for line in sorted(inner_lines, key=lambda t: (t.bbox[1] + t.bbox[3]) / 2):
        chars = _chars(line)
        text = "".join(ch for ch, _ in chars)
        if not text or _mean([s for _, s in chars]) < rules.min_text_confidence:
            continue
        if _is_code(text, rules):  # an oval's middle line: the taxpayer's number
            if not code:
                code, code_confidence = _code_of([line])
            continue
        if not any(_is_cjk(ch) for ch in text):  # the star or an emblem read as letters
            continue
        texts.append(text)
        scores.extend(s for _, s in chars)
    if code_confidence < rules.min_text_confidence:
        code, code_confidence = "", 0.0
    found = Lettering(
        inner=" ".join(texts),
        inner_confidence=_mean(scores),
        code=code,
        code_confidence=code_confidence,
    )
    return found, 1


# --- a seal ------------------------------------------------------------------------------


def _read_square(
    ink: np.ndarray, seal: SealCandidate, engine: OcrEngine, rules: SealDetection
) -> Lettering:
    """A square seal read as it stands, and turned or mirrored while that is unsure."""
    h, w = ink.shape[:2]
    x0, y0, x1, y1 = (round(v) for v in seal.bbox_px(w, h))
    crop = ink[y0:y1, x0:x1]
    if not crop.size:
        return Lettering()
    tries = [crop, np.rot90(crop, 2), np.fliplr(crop), np.rot90(crop, 1), np.rot90(crop, 3)]
    best, calls, mirrored = ("", 0.0), 0, False
    for index, candidate in enumerate(tries[: rules.square_tries]):
        lines, _, _ = _recognize(engine, np.ascontiguousarray(candidate), rules)
        calls += 1
        chars = [c for line in lines for c in _chars(line)]
        text, confidence = "".join(ch for ch, _ in chars), _mean([s for _, s in chars])
        if confidence > best[1]:
            best = (text, confidence)
            mirrored = index == 2
        if best[1] >= rules.retry_below:
            break
    if best[1] < rules.min_text_confidence:
        return Lettering(ocr_calls=calls)
    return Lettering(text=best[0], confidence=best[1], ocr_calls=calls, mirrored=mirrored)


def read_lettering(
    ink: np.ndarray,
    seal: SealCandidate,
    engine: OcrEngine,
    rules: SealDetection,
) -> Lettering:
    """What a seal says: its ring, inner lines and serial, as the OCR reads them.

    Args:
        ink: Dark-on-white single-channel page (seal ink only, for a colour page).
        seal: The seal, in the pixels of ``ink``.
        engine: The page's OCR engine.
        rules: Detection settings (``Rules.seal_detection``).
    """
    if seal.shape == "square":
        return _read_square(ink, seal, engine, rules)
    calls = 0
    best: tuple[_Ring | None, Unwrapped, bool] | None = None
    for mirror in (False, True):
        unwrapped = unwrap_seal(ink, seal, rules, mirror=mirror)
        ring, spent = _read_ring(unwrapped, engine, rules)
        calls += spent
        if best is None or (ring is not None and (best[0] is None or ring.score > best[0].score)):
            best = (ring, unwrapped, mirror)
        # No line read at all: a mirror of nothing is nothing, no retry.
        if (
            ring is None
            or ring.confidence >= rules.retry_below
            or not _may_be_mirrored(ring, rules)
        ):
            break
    assert best is not None
    ring, unwrapped, mirrored = best
    if ring is None:  # nothing read round the ring: no inner lines or serial either
        return Lettering(ocr_calls=calls)
    text, confidence = ring.text, ring.confidence
    # An owner's name is written in hanzi: a stray letter or mark read off the ring is not.
    if confidence < rules.min_text_confidence or not any(_is_cjk(ch) for ch in text):
        # No name kept round the ring: its inner lines and serial are not read either.
        return Lettering(ocr_calls=calls, mirrored=mirrored)
    found, spent = _read_inner_and_code(unwrapped, seal, ring.middle_deg, engine, rules)
    calls += spent
    return replace(found, text=text, confidence=confidence, ocr_calls=calls, mirrored=mirrored)


def _may_be_mirrored(ring: _Ring, rules: SealDetection) -> bool:
    """Whether an unsure ring reading may be of a mirrored impression, worth reading
    once more mirrored: enough hanzi for a name (a mirrored name reads as hanzi, never
    as letters and digits alone), and no legal form read in order."""
    if sum(1 for ch in ring.text if _is_cjk(ch)) < rules.mirror_min_glyphs:
        return False
    return not any(mark in ring.text for mark in rules.unmirrored_marks)


def read_seal_text(
    ink: np.ndarray,
    seal: SealCandidate,
    engine: OcrEngine,
    rules: SealDetection,
) -> tuple[str, float]:
    """The lettering round a seal as the OCR reads it, and how sure it is.

    Returns:
        ``(text, confidence)``; ``("", 0.0)`` when nothing readable was found.
    """
    found = read_lettering(ink, seal, engine, rules)
    return found.text, found.confidence


def read_seals(
    image: np.ndarray,
    dpi: float,
    engine: OcrEngine | None,
    rules: SealDetection,
) -> tuple[SealMark, ...]:
    """The seals on a normalised scan with their lettering read: ``Page.seals``.

    Args:
        image: ``NormalisedPage.image`` (the colours kept).
        dpi: Its resolution.
        engine: The page's OCR engine; None leaves every seal's text ''.
        rules: Detection settings (``Rules.seal_detection``).

    Returns:
        One ``SealMark`` per seal, bbox in fractions of ``image``, top to bottom; a seal
        running off the page (a half 骑缝章) with its ``edge`` (``seal_edges``).
    """
    found = detect_seals(image, dpi, rules)
    if not found:
        return ()
    h, w = image.shape[:2]
    inks: dict[str, np.ndarray] = {}  # by the seal's colour, made once
    marks: list[SealMark] = []
    for index, seal in enumerate(found):
        lettering = Lettering()
        if engine is not None and index < rules.max_seals_read:
            try:
                if seal.colour not in inks:
                    inks[seal.colour] = ink_image(image, seal.colour)
                lettering = read_lettering(inks[seal.colour], seal, engine, rules)
            except Exception as exc:  # the seal is still there when its text cannot be read
                log.warning("seal text not read: %r", exc, exc_info=True)
        marks.append(
            SealMark(
                bbox=page_fractions(seal.bbox_px(w, h), w, h, digits=5),
                shape=seal.shape,
                colour=seal.colour,
                edge=seal_edge(seal, w, h, rules.edge_off_share),
                confidence=seal.confidence,
                text=lettering.text,
                text_confidence=lettering.confidence,
                inner=lettering.inner,
                inner_confidence=lettering.inner_confidence,
                code=lettering.code,
                code_confidence=lettering.code_confidence,
            )
        )
    return tuple(marks)
