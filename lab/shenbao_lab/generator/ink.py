"""Ink marks drawn on a form: red official seals, handwriting and ticks.

Every function is pure and deterministic: all randomness comes from the
``numpy.random.Generator`` passed in, so the same seed gives byte-identical
images. Ink images are RGBA where alpha is the ink coverage; ``stamp`` puts
them on a page with multiply-like blending.

Coordinates are continuous pixel coordinates: pixel ``(col, row)`` covers
``[col, col + 1) x [row, row + 1)``, so an image of width ``w`` has its
centre at ``w / 2``. Boxes are ``(x0, y0, x1, y1)`` with exclusive ends.
Angles are in degrees, positive = counter-clockwise as seen on screen.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "HANDS",
    "HandParams",
    "render_handwriting",
    "render_highlighter",
    "render_pen_mark",
    "render_pencil_tick",
    "render_seal",
    "render_tick",
    "stamp",
]

# Punctuation that must not start a line (kept on the previous line).
_NO_LINE_START = frozenset("，。、；：！？）》」』”’…%,.;:!?)")
# Small punctuation marks: written small, in the lower left of a narrow cell.
_SMALL_PUNCT = frozenset("，。、；：！？")


@dataclass(frozen=True)
class HandParams:
    """How one hand writes: the draws of ``render_handwriting`` (ranges are uniform draws,
    ``_sd`` normal spreads; lengths in character heights).

    No handwriting-like CJK face is on the machine, so a hand is a typeface's glyphs
    moved the way that hand moves them: slant, per-glyph size, rotation and baseline,
    a wobble of the strokes, and the weight of the pen.
    """

    slant_deg: tuple[float, float] = (2.0, 9.0)  # vertical strokes lean right (negative: left)
    pitch: tuple[float, float] = (1.45, 1.7)  # line pitch
    glyph_scale: tuple[float, float] = (0.9, 1.1)
    advance: tuple[float, float] = (0.9, 1.06)  # spacing, times the glyph's width
    rotation_sd: float = 2.5
    rotation_max: float = 6.0
    baseline_sd: float = 0.035
    line_slope_deg: float = 0.6  # each line's baseline slope, ±
    rise_deg: tuple[float, float] = (2.0, 7.0)  # horizontal strokes rise to the right
    wobble: float = 0.04  # the elastic distortion of strokes
    weight: int = 0  # -1 a fine pen, 0 a ballpoint, 1 a felt-tip (erode / dilate the strokes)


HANDS: dict[str, HandParams] = {
    # the generator's own hand (the committed corpus)
    "house": HandParams(),
    # upright, even and careful
    "neat": HandParams(
        slant_deg=(0.0, 3.0),
        glyph_scale=(0.96, 1.04),
        advance=(0.95, 1.02),
        rotation_sd=1.0,
        rotation_max=3.0,
        baseline_sd=0.015,
        line_slope_deg=0.3,
        wobble=0.02,
    ),
    # fast: strongly slanted, uneven sizes, a wandering baseline, a fine pen
    "hurried": HandParams(
        slant_deg=(9.0, 15.0),
        pitch=(1.3, 1.5),
        glyph_scale=(0.85, 1.15),
        advance=(0.85, 1.0),
        rotation_sd=3.5,
        rotation_max=8.0,
        baseline_sd=0.06,
        line_slope_deg=1.5,
        rise_deg=(4.0, 9.0),
        wobble=0.06,
        weight=-1,
    ),
    # a broad felt-tip pressed hard
    "heavy": HandParams(
        slant_deg=(0.0, 5.0),
        glyph_scale=(0.9, 1.15),
        rotation_sd=3.0,
        baseline_sd=0.05,
        wobble=0.05,
        weight=1,
    ),
    # a left-leaning hand
    "backhand": HandParams(
        slant_deg=(-10.0, -4.0),
        glyph_scale=(0.88, 1.1),
        rotation_sd=3.0,
        rotation_max=8.0,
        baseline_sd=0.05,
        rise_deg=(0.0, 4.0),
        wobble=0.06,
    ),
}
HOUSE_INK = (25, 35, 95)
# a yellow highlighter (荧光笔): stamped by multiplying, it tints the paper and leaves
# the print black; in a greyscale scan it shows light grey (about 215 of 255)
HIGHLIGHTER_INK = (252, 236, 50)
# a red ballpoint (the applicant's, not a seal's ink: darker and a little bluer)
RED_PEN_INK = (196, 28, 48)
# a soft pencil's graphite (HB–2B): a neutral grey, never as dark as ink
PENCIL_INK = (70, 70, 76)
# a black felt-tip marker (记号笔): denser and blacker than a ballpoint
MARKER_INK = (22, 22, 26)
# a rubber stamp's violet ink pad (紫色印油): neither a seal's red nor a pen's blue
STAMP_INK = (104, 46, 150)
# correction tape (修正带): a film whiter than the paper, hiding what it is laid on
TAPE_WHITE = (252, 252, 250)
INKS: dict[str, tuple[int, int, int]] = {
    "house": HOUSE_INK,
    "blue": (30, 62, 175),
    "black": (28, 28, 32),
}


def _linear(angle_deg: float, sx: float = 1.0, sy: float = 1.0) -> np.ndarray:
    """Return the 2x2 matrix that scales, then rotates counter-clockwise (as seen on screen)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c * sx, s * sy], [-s * sx, c * sy]])


def _affine(
    src_center: tuple[float, float], dst_center: tuple[float, float], lin: np.ndarray
) -> np.ndarray:
    """Return the 2x3 forward matrix applying ``lin`` about src_center, moved to dst_center."""
    t = np.asarray(dst_center, dtype=np.float64) - lin @ np.asarray(src_center, dtype=np.float64)
    return np.hstack([lin, t[:, None]])


def _warp_region(
    src: np.ndarray, matrix: np.ndarray, dst_hw: tuple[int, int]
) -> tuple[np.ndarray, int, int] | None:
    """Warp ``src`` with a forward continuous-coordinate matrix, only where it lands.

    Args:
        src: Float32 image, 2-D or with channels.
        matrix: 2x3 forward matrix from ``src`` to the destination.
        dst_hw: Destination (height, width) used to clip the region.

    Returns:
        ``(region, x0, y0)``: the warped pixels of the destination rectangle
        starting at column x0, row y0; None when nothing lands inside.
    """
    h, w = src.shape[:2]
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], dtype=np.float64)
    pts = corners @ matrix[:, :2].T + matrix[:, 2]
    x0 = max(0, math.floor(pts[:, 0].min()))
    y0 = max(0, math.floor(pts[:, 1].min()))
    x1 = min(dst_hw[1], math.ceil(pts[:, 0].max()))
    y1 = min(dst_hw[0], math.ceil(pts[:, 1].max()))
    if x0 >= x1 or y0 >= y1:
        return None
    m = matrix.copy()
    # Continuous -> index coordinates (pixel centres at integers), then crop.
    m[:, 2] += matrix[:, :2] @ np.array([0.5, 0.5]) - 0.5 - np.array([x0, y0])
    region = cv2.warpAffine(
        src,
        m,
        (x1 - x0, y1 - y0),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    return region, x0, y0


def _paste_max(dst: np.ndarray, src: np.ndarray, matrix: np.ndarray) -> None:
    """Warp a coverage patch into ``dst`` in place, keeping the maximum coverage."""
    placed = _warp_region(src, matrix, dst.shape[:2])
    if placed is not None:
        region, x0, y0 = placed
        view = dst[y0 : y0 + region.shape[0], x0 : x0 + region.shape[1]]
        np.maximum(view, region, out=view)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell_px: float) -> np.ndarray:
    """Return smooth random noise of roughly unit standard deviation.

    Args:
        rng: Source of randomness.
        shape: Output (height, width).
        cell_px: Feature size in pixels (distance between random control points).

    Returns:
        Float32 array of ``shape``.
    """
    gh = max(2, math.ceil(shape[0] / cell_px) + 2)
    gw = max(2, math.ceil(shape[1] / cell_px) + 2)
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    field = cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return field / max(float(field.std()), 1e-6)


class _GlyphSource:
    """Renders single characters centred in a square coverage patch."""

    def __init__(self, font_path: Path, size_px: int, stroke_px: float = 0.0) -> None:
        self.font = ImageFont.truetype(str(font_path), size_px)
        self.size = size_px
        self.stroke = stroke_px
        _, top, _, bottom = self.font.getbbox("国", anchor="ls")
        # Vertical centre of an ideograph relative to the baseline (negative = above).
        self.mid_y = (top + bottom) / 2
        self.cell = math.ceil(size_px * 1.6 + 2 * stroke_px)

    def patch(self, ch: str) -> np.ndarray:
        """Return the float32 coverage of ``ch``; its em-box centre is the patch centre."""
        img = Image.new("L", (self.cell, self.cell), 0)
        x = self.cell / 2 - self.font.getlength(ch) / 2
        y = self.cell / 2 - self.mid_y
        ImageDraw.Draw(img).text(
            (x, y),
            ch,
            font=self.font,
            fill=255,
            anchor="ls",
            stroke_width=self.stroke,
            stroke_fill=255,
        )
        return np.asarray(img, dtype=np.float32) / 255.0


def _roughen(
    mask: np.ndarray, rng: np.random.Generator, grain_px: float, amount: float
) -> np.ndarray:
    """Make the edges of a coverage mask ragged, like ink soaking into paper fibres.

    Args:
        mask: Float32 coverage in [0, 1].
        rng: Source of randomness.
        grain_px: Size of the edge irregularities in pixels.
        amount: How far (in coverage units) the edge threshold wanders.

    Returns:
        Roughened float32 coverage in [0, 1]; nothing appears away from the ink.
    """
    soft = cv2.GaussianBlur(mask, (0, 0), grain_px * 0.35)
    noise = _smooth_noise(rng, mask.shape, grain_px)
    rough = np.clip((soft - 0.5 + amount * noise) * 3.0 + 0.5, 0.0, 1.0)
    rough[soft < 0.05] = 0.0
    return rough


def _to_rgba(alpha: np.ndarray, rgb: np.ndarray | tuple[int, int, int]) -> Image.Image:
    """Pack float alpha in [0, 1] and a colour (per pixel or constant) into RGBA."""
    h, w = alpha.shape
    out = np.empty((h, w, 4), dtype=np.uint8)
    out[..., :3] = np.broadcast_to(np.asarray(rgb), (h, w, 3))
    out[..., 3] = np.rint(np.clip(alpha, 0.0, 1.0) * 255.0).astype(np.uint8)
    return Image.fromarray(out, "RGBA")


def render_seal(
    owner: str,
    *,
    diameter_px: int,
    rng: np.random.Generator,
    font_path: Path,
    bottom_text: str | None = None,
) -> Image.Image:
    """Render a Chinese round official seal (公章) as ink only.

    The owner's name runs clockwise along the upper arc, each character upright
    relative to the radius; a five-pointed star sits in the centre and an
    optional short horizontal line of text below it.

    Args:
        owner: Organisation name, typically 6–20 characters.
        diameter_px: Outer diameter of the ring in pixels (42 mm at 200 dpi ≈ 330).
        rng: Source of randomness (ink colour, density, arc span).
        font_path: CJK font file (e.g. NotoSerifSC-Regular.otf).
        bottom_text: Optional text under the star, e.g. "合同专用章".

    Returns:
        Square RGBA image, slightly larger than the diameter; the seal's
        centre is the image centre. Alpha is the ink coverage.
    """
    chars = [ch for ch in owner if not ch.isspace()]
    if not chars:
        raise ValueError("owner must contain at least one character")
    ss = 2  # supersampling factor
    pad = max(3, round(0.03 * diameter_px))
    out_size = diameter_px + 2 * pad
    size = out_size * ss
    d = diameter_px * ss
    c = size / 2

    coords = np.arange(size, dtype=np.float32) + 0.5 - c
    r = np.hypot(coords[None, :], coords[:, None])
    r_out = d / 2
    ring_w = rng.uniform(0.025, 0.03) * d
    mask = np.clip(r_out - r + 0.5, 0, 1) * np.clip(r - (r_out - ring_w) + 0.5, 0, 1)

    # Five-pointed star, point up; fillPoly works in index coordinates.
    star_r = rng.uniform(0.135, 0.145) * d
    ang = np.deg2rad(-90.0 + 36.0 * np.arange(10))
    radii = np.where(np.arange(10) % 2 == 0, star_r, star_r * 0.382)
    pts = np.stack([c + radii * np.cos(ang), c + radii * np.sin(ang)], axis=1) - 0.5
    star = np.zeros((size, size), dtype=np.uint8)
    cv2.fillPoly(star, [np.rint(pts * 16).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=4)
    np.maximum(mask, star.astype(np.float32) / 255.0, out=mask)

    n = len(chars)
    glyph_h = float(np.interp(n, [6, 20], [0.185, 0.145])) * d
    r_text = r_out - ring_w - 0.025 * d - glyph_h / 2
    span = float(np.interp(n, [2, 6, 20], [100.0, 210.0, 250.0])) + rng.uniform(-4.0, 4.0)
    step = span / max(n - 1, 1)
    start = 90.0 + span / 2 if n > 1 else 90.0
    xscale = min(1.0, 0.9 * r_text * math.radians(step) / glyph_h) if n > 1 else 1.0
    glyphs = _GlyphSource(font_path, round(glyph_h), stroke_px=0.0035 * d)
    for i, ch in enumerate(chars):
        theta = start - i * step
        rad = math.radians(theta)
        centre = (c + r_text * math.cos(rad), c - r_text * math.sin(rad))
        patch = glyphs.patch(ch)
        half = patch.shape[0] / 2
        _paste_max(mask, patch, _affine((half, half), centre, _linear(theta - 90.0, xscale)))

    if bottom_text:
        bt_h = 0.1 * d
        bottom = _GlyphSource(font_path, round(bt_h), stroke_px=0.003 * d)
        pitch = min(bt_h, 0.46 * d / len(bottom_text))
        x_first = c - pitch * (len(bottom_text) - 1) / 2
        for i, ch in enumerate(bottom_text):
            patch = bottom.patch(ch)
            half = patch.shape[0] / 2
            lin = _linear(0.0, pitch / bt_h * 0.95)
            _paste_max(mask, patch, _affine((half, half), (x_first + i * pitch, c + 0.27 * d), lin))

    mask = _roughen(mask, rng, grain_px=1.5 * ss, amount=0.14)
    cov = cv2.resize(mask, (out_size, out_size), interpolation=cv2.INTER_AREA)

    # Ink density: patchy pressure, a tilt of the stamp, a few faded gaps, pinholes.
    shape = cov.shape
    density = 0.86 + 0.07 * _smooth_noise(rng, shape, diameter_px / 4)
    density += 0.04 * _smooth_noise(rng, shape, 6.0)
    rel = np.arange(out_size, dtype=np.float32) + 0.5 - out_size / 2  # px from the centre
    tilt = rng.uniform(0.0, 2 * math.pi)
    lean = (math.cos(tilt) * rel[None, :] + math.sin(tilt) * rel[:, None]) / (diameter_px / 2)
    density -= rng.uniform(0.05, 0.18) * np.clip(lean, -1.0, 1.0)
    for _ in range(int(rng.integers(1, 4))):
        a = rng.uniform(0.0, 2 * math.pi)
        rr = rng.uniform(0.3, 0.5) * diameter_px
        sigma = rng.uniform(0.04, 0.09) * diameter_px
        dist2 = (rel[None, :] - rr * math.cos(a)) ** 2 + (rel[:, None] - rr * math.sin(a)) ** 2
        density -= rng.uniform(0.3, 0.6) * np.exp(-dist2 / (2 * sigma * sigma))
    pinholes = _smooth_noise(rng, shape, 1.5) > 2.2
    density[pinholes] *= 0.35
    alpha = cov * np.clip(density, 0.0, 1.0)

    red = (int(rng.integers(200, 231)), int(rng.integers(20, 51)), int(rng.integers(30, 61)))
    return _to_rgba(alpha, red)


def _layout_lines(
    text: str,
    char_px: int,
    avail_px: float,
    rng: np.random.Generator,
    glyphs: _GlyphSource,
    hand: HandParams,
) -> list[list[tuple[str, float, float, float, float]]]:
    """Break text into lines of glyphs with random handwriting parameters.

    Returns:
        Per line a list of ``(char, advance, scale, angle_deg, dy)``.
    """
    lines: list[list[tuple[str, float, float, float, float]]] = []
    line: list[tuple[str, float, float, float, float]] = []
    width = 0.0
    for ch in text:
        if ch == "\n":
            lines.append(line)
            line, width = [], 0.0
            continue
        scale = rng.uniform(*hand.glyph_scale)
        if ch in _SMALL_PUNCT:
            advance = char_px * rng.uniform(0.55, 0.7)
        else:
            em = glyphs.font.getlength(ch) / glyphs.size
            advance = char_px * scale * em * rng.uniform(*hand.advance)
        angle = float(
            np.clip(rng.normal(0.0, hand.rotation_sd), -hand.rotation_max, hand.rotation_max)
        )
        dy = float(rng.normal(0.0, hand.baseline_sd * char_px))
        if line and width + advance > avail_px and ch not in _NO_LINE_START:
            lines.append(line)
            line, width = [], 0.0
        line.append((ch, advance, scale, angle, dy))
        width += advance
    if line:
        lines.append(line)
    return lines


def _render_hand_line(
    glyph_params: list[tuple[str, float, float, float, float]],
    char_px: int,
    slant: float,
    rng: np.random.Generator,
    glyphs: _GlyphSource,
    ss: int,
    hand: HandParams,
) -> tuple[np.ndarray, float]:
    """Render one line of handwriting as coverage at 1x.

    Args:
        glyph_params: The line's glyphs from ``_layout_lines``.
        char_px: Nominal character height.
        slant: Shear of vertical strokes (tangent of the lean to the right).
        rng: Source of randomness.
        glyphs: Glyph renderer at ``char_px * ss``.
        ss: Supersampling factor of ``glyphs``.
        hand: How the hand moves.

    Returns:
        ``(coverage, mid_y)``: float32 coverage and the row of the line's centre.
    """
    line_w = sum(g[1] for g in glyph_params)
    slope = math.tan(math.radians(rng.uniform(-hand.line_slope_deg, hand.line_slope_deg)))
    amp = hand.wobble * char_px
    margin_x = char_px * (0.4 + abs(slant)) + amp
    margin_y = char_px * 0.8 + abs(slope) * line_w / 2 + amp
    w = math.ceil(line_w + 2 * margin_x)
    h = math.ceil(2 * margin_y)
    cov = np.zeros((h * ss, w * ss), dtype=np.float32)
    half = glyphs.cell / 2
    x = margin_x
    for ch, advance, scale, angle, dy in glyph_params:
        cx = x + char_px * scale * glyphs.font.getlength(ch) / glyphs.size / 2
        # Vertical strokes lean right, horizontal strokes rise to the right.
        rise = math.tan(math.radians(rng.uniform(*hand.rise_deg)))
        shear = np.array([[1.0, -slant], [-rise, 1.0]])
        lin = _linear(angle, scale, scale) @ shear
        m = _affine((half, half), (cx * ss, (margin_y + dy) * ss), lin)
        _paste_max(cov, glyphs.patch(ch), m)
        x += advance

    # Pen pressure: thicker and thinner stretches of the stroke.
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    t = np.clip(0.6 * _smooth_noise(rng, cov.shape, char_px * ss * 0.8), -1.0, 1.0)
    thick = cv2.dilate(cov, kernel)
    thin = cv2.erode(cov, kernel)
    cov = np.where(t > 0, cov + t * (thick - cov), cov - t * (thin - cov))
    if hand.weight > 0:  # a broad pen: every stroke wider
        cov = cv2.dilate(cov, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ss + 1,) * 2))
    elif hand.weight < 0:  # a fine pen: every stroke thinner, never gone
        cov = np.maximum(cv2.erode(cov, kernel), 0.5 * cov)

    # Baseline slope plus a smooth elastic distortion at glyph and stroke scale, in one remap.
    hh, ww = cov.shape
    xs = np.arange(ww, dtype=np.float32)[None, :]
    ys = np.arange(hh, dtype=np.float32)[:, None]
    coarse, fine = char_px * ss * 1.1, char_px * ss * 0.35
    dx = _smooth_noise(rng, (hh, ww), coarse) + 0.5 * _smooth_noise(rng, (hh, ww), fine)
    dy = _smooth_noise(rng, (hh, ww), coarse) + 0.5 * _smooth_noise(rng, (hh, ww), fine)
    map_x = xs + amp * ss * dx
    map_y = ys + slope * (xs - ww / 2) + amp * ss * dy
    cov = cv2.remap(cov, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return cv2.resize(cov, (w, h), interpolation=cv2.INTER_AREA), margin_y


def render_handwriting(
    text: str,
    *,
    char_px: int,
    max_width_px: int,
    rng: np.random.Generator,
    font_path: Path,
    ink: tuple[int, int, int] = HOUSE_INK,
    hand: HandParams = HANDS["house"],
) -> tuple[Image.Image, list[tuple[str, tuple[int, int, int, int]]]]:
    """Render text as blue-black ballpoint handwriting.

    Glyphs get random scale, rotation, baseline jitter and spacing; each line
    is slanted, gently warped and drawn with varying pressure and ink.

    Args:
        text: Text to write; ``\\n`` forces a line break.
        char_px: Nominal character height in pixels (5 mm at 200 dpi ≈ 40).
        max_width_px: Lines are wrapped so the image is at most this wide.
        rng: Source of randomness.
        font_path: CJK font file; a sans font (NotoSansSC) looks most pen-like.
        ink: Base ink colour.
        hand: How the hand moves (``HANDS``); the house's by default.

    Returns:
        ``(image, lines)``: an RGBA image (alpha = ink) and, per line, its
        text and ink bbox ``(x0, y0, x1, y1)`` in pixels of that image.
    """
    ss = 2
    glyphs = _GlyphSource(font_path, char_px * ss)
    slant = math.tan(math.radians(rng.uniform(*hand.slant_deg)))
    pad = max(2, round(0.1 * char_px))
    avail = max_width_px - 2 * pad - char_px * (0.8 + 2 * abs(slant))
    pitch = char_px * rng.uniform(*hand.pitch)
    layout = _layout_lines(text, char_px, max(avail, float(char_px)), rng, glyphs, hand)

    rendered: list[tuple[np.ndarray, int, int]] = []
    for i, params in enumerate(layout):
        cov, mid_y = _render_hand_line(params, char_px, slant, rng, glyphs, ss, hand)
        indent = rng.uniform(0.0, 0.15) * char_px
        top = pad + char_px * 0.7 + i * pitch + rng.normal(0.0, 0.05 * char_px) - mid_y
        ys, xs = np.nonzero(cov > 0.02)
        if ys.size:
            cov = cov[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
            rendered.append((cov, round(pad + indent), max(0, round(top + ys.min()))))
        else:
            rendered.append((np.zeros((0, 0), np.float32), pad, max(0, round(top))))

    width = max([x + c.shape[1] for c, x, _ in rendered] + [1]) + pad
    height = max([y + c.shape[0] for c, _, y in rendered] + [1]) + pad
    alpha = np.zeros((height, width), dtype=np.float32)
    rgb = np.empty((height, width, 3), dtype=np.float32)
    rgb[:] = ink
    lines: list[tuple[str, tuple[int, int, int, int]]] = []
    for (cov, x0, y0), params in zip(rendered, layout, strict=True):
        line_text = "".join(p[0] for p in params)
        lh, lw = cov.shape
        if lh == 0:
            lines.append((line_text, (x0, y0, x0, y0)))
            continue
        density = np.clip(0.9 + 0.08 * _smooth_noise(rng, cov.shape, char_px * 0.7), 0.7, 1.0)
        a = np.clip(cov * 1.2, 0.0, 1.0) * density
        # Ink colour varies per stroke (connected component) and along the line.
        n_labels, labels = cv2.connectedComponents((cov > 0.02).astype(np.uint8), connectivity=8)
        offsets = rng.normal(0.0, 6.0, (n_labels, 3)).astype(np.float32)
        colour = np.asarray(ink, np.float32) + offsets[labels]
        colour += 5.0 * _smooth_noise(rng, cov.shape, char_px * 2.0)[..., None]
        region_a = alpha[y0 : y0 + lh, x0 : x0 + lw]
        region_rgb = rgb[y0 : y0 + lh, x0 : x0 + lw]
        take = a > region_a
        region_rgb[take] = colour[take]
        region_a[take] = a[take]
        lines.append((line_text, (x0, y0, x0 + lw, y0 + lh)))

    image = _to_rgba(alpha, np.rint(np.clip(rgb, 0, 255)).astype(np.uint8))
    if width > max_width_px:
        f = max_width_px / width
        image = image.resize((max_width_px, max(1, round(height * f))), Image.Resampling.LANCZOS)
        lines = [
            (t, (math.floor(x0 * f), math.floor(y0 * f), math.ceil(x1 * f), math.ceil(y1 * f)))
            for t, (x0, y0, x1, y1) in lines
        ]
    return image, lines


def render_tick(
    size_px: int, rng: np.random.Generator, ink: tuple[int, int, int] = (25, 35, 95)
) -> Image.Image:
    """Render a quick hand-drawn tick mark (✓) in ballpoint ink.

    Args:
        size_px: Side of the square output image; the tick fills most of it.
        rng: Source of randomness (shape, pen width, pressure).
        ink: Ink colour.

    Returns:
        Square RGBA image, alpha = ink coverage.
    """
    ss = 4
    s = size_px * ss
    start = np.array([rng.uniform(0.1, 0.25), rng.uniform(0.42, 0.58)]) * s
    turn = np.array([rng.uniform(0.33, 0.45), rng.uniform(0.8, 0.9)]) * s
    end = np.array([rng.uniform(0.82, 0.95), rng.uniform(0.06, 0.2)]) * s
    # Quadratic Bézier segments; control points bow the strokes slightly.
    bow1 = (start + turn) / 2 + rng.normal(0.0, 0.04, 2) * s
    bow2 = (turn + end) / 2 + np.array([rng.uniform(-0.08, 0.02), rng.uniform(0.0, 0.08)]) * s
    t = np.linspace(0.0, 1.0, 48)[:, None]
    seg1 = (1 - t) ** 2 * start + 2 * (1 - t) * t * bow1 + t**2 * turn
    seg2 = (1 - t) ** 2 * turn + 2 * (1 - t) * t * bow2 + t**2 * end
    path = np.vstack([seg1, seg2[1:]])
    u = np.linspace(0.0, 1.0, len(path))
    pen = max(1.2, size_px * rng.uniform(0.06, 0.09)) * ss
    # Pressure: heavier at the turn, lifting off towards the end of the flick.
    pressure = np.interp(u, [0.0, 0.1, 0.35, 0.6, 1.0], [0.7, 0.95, 1.0, 0.85, 0.35])
    canvas = np.zeros((s, s), dtype=np.uint8)
    for (px, py), p in zip(path, pressure, strict=True):
        # Fixed-point (4 fractional bits) centre and radius in index coordinates.
        centre = (round((px - 0.5) * 16), round((py - 0.5) * 16))
        radius = round(pen * (0.55 + 0.45 * p) / 2 * 16)
        cv2.circle(canvas, centre, radius, round(255 * (0.75 + 0.25 * p)), -1, cv2.LINE_AA, 4)
    alpha = canvas.astype(np.float32) / 255.0
    alpha = cv2.resize(alpha, (size_px, size_px), interpolation=cv2.INTER_AREA)
    return _to_rgba(alpha, ink)


def _pen_strokes(
    strokes: list[np.ndarray],
    width_px: int,
    height_px: int,
    pen_px: float,
    ink: tuple[int, int, int],
) -> Image.Image:
    """Draw pen strokes (each an (N, 2) path in fractions of the canvas) as RGBA ink,
    pressed hardest in a stroke's middle and lifting off at its end."""
    ss = 4
    canvas = np.zeros((height_px * ss, width_px * ss), dtype=np.uint8)
    scale = np.array([width_px * ss, height_px * ss], dtype=np.float64)
    for stroke in strokes:
        path = stroke * scale
        u = np.linspace(0.0, 1.0, len(path))
        pressure = np.interp(u, [0.0, 0.1, 0.5, 0.85, 1.0], [0.7, 0.95, 1.0, 0.9, 0.45])
        for (px, py), p in zip(path, pressure, strict=True):
            centre = (round((px - 0.5) * 16), round((py - 0.5) * 16))
            radius = round(pen_px * ss * (0.55 + 0.45 * p) / 2 * 16)
            cv2.circle(canvas, centre, radius, round(255 * (0.75 + 0.25 * p)), -1, cv2.LINE_AA, 4)
    alpha = canvas.astype(np.float32) / 255.0
    alpha = cv2.resize(alpha, (width_px, height_px), interpolation=cv2.INTER_AREA)
    return _to_rgba(alpha, ink)


def _bowed(
    start: tuple[float, float], end: tuple[float, float], rng: np.random.Generator, bow: float
) -> np.ndarray:
    """A slightly bowed stroke from ``start`` to ``end`` (fractions), 40 points."""
    a, b = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    middle = (a + b) / 2 + rng.normal(0.0, bow, 2)
    t = np.linspace(0.0, 1.0, 40)[:, None]
    return np.asarray((1 - t) ** 2 * a + 2 * (1 - t) * t * middle + t**2 * b)


def render_pen_mark(
    kind: str,
    width_px: int,
    height_px: int,
    rng: np.random.Generator,
    ink: tuple[int, int, int] = (25, 35, 95),
) -> Image.Image:
    """A mark made by pen on a form: ``cross`` (×), ``fill`` (a box blacked in with
    back-and-forth strokes), ``circle`` (an oval drawn round something, its ends
    overlapping), ``lasso`` (a hand's loop thrown round words, its top and bottom arcs
    wandering, swung on past its start and flicked away up at its end), ``underline`` (a
    line drawn under words, a little wavy), ``slash`` (one quick stroke from the lower
    left to the upper right, /), ``dot`` (a heavy round blot, a pen pressed and turned in
    one place), ``scribble`` (a quick open zig-zag, the paper showing between its rows),
    ``hatch`` (three to five separate parallel strokes, /, laid across the box one after
    the other, the paper showing between them), ``scratch`` (a mark scratched out: a
    dense back-and-forth zig-zag whose rows touch, over the whole canvas, its ends
    ragged) or ``strike`` (a line struck through words, nearly straight, rising a
    little), filling a ``width_px`` × ``height_px`` canvas; RGBA, alpha = ink."""
    small = min(width_px, height_px)

    def j() -> float:
        return float(rng.uniform(-0.06, 0.06))

    strokes: list[np.ndarray]
    if kind == "cross":
        strokes = [
            _bowed((0.12 + j(), 0.12 + j()), (0.88 + j(), 0.88 + j()), rng, 0.03),
            _bowed((0.86 + j(), 0.12 + j()), (0.14 + j(), 0.9 + j()), rng, 0.03),
        ]
        pen = max(1.2, small * rng.uniform(0.06, 0.09))
    elif kind == "fill":
        rows = int(rng.integers(6, 10))
        points = []
        for i in range(rows):
            y = 0.12 + 0.76 * i / (rows - 1) + float(rng.uniform(-0.03, 0.03))
            xs = (0.1, 0.9) if i % 2 == 0 else (0.9, 0.1)
            points.extend([(xs[0] + float(rng.uniform(-0.05, 0.05)), y), (xs[1], y + 0.04)])
        t = np.linspace(0.0, 1.0, 12)[:, None]
        strokes = [
            np.vstack(
                [(1 - t) * np.asarray(a) + t * np.asarray(b) for a, b in itertools.pairwise(points)]
            )
        ]
        pen = max(1.5, small * rng.uniform(0.14, 0.2))
    elif kind == "circle":
        start = float(rng.uniform(0, 2 * math.pi))
        turn = 2 * math.pi + float(rng.uniform(0.25, 0.6))  # the ends overlap
        t = np.linspace(start, start + turn, 160)
        wobble = 1 + 0.04 * np.sin(3 * t + float(rng.uniform(0, 6)))
        rx, ry = 0.46 * wobble, 0.42 * wobble * np.linspace(1.0, 1.08, t.size)
        strokes = [np.stack([0.5 + rx * np.cos(t), 0.5 + ry * np.sin(t)], axis=1)]
        pen = max(1.2, small * rng.uniform(0.05, 0.08))
    elif kind == "lasso":
        # a quick loop thrown round words by hand, one stroke: set down on its top arc,
        # a little right of its middle, swung round once anticlockwise (as a right hand
        # loops) and on past where it began, drifting outward so its end misses
        # its start, then flicked away up and out (a tail); its left and right ends stay
        # where the hand aimed them (within 1.5 % of the half-width), its top and bottom
        # arcs wander (±12 % of the half-height) and lean: the loop is a hand's, not an oval
        start = float(rng.uniform(1.15, 1.35)) * math.pi  # the top arc, right of its middle
        turn = 2 * math.pi + float(rng.uniform(0.35, 0.8))
        t = np.linspace(start, start + turn, 720)  # dense: a long stroke, a fine pen
        u = np.linspace(0.0, 1.0, t.size)
        phases = rng.uniform(0, 2 * math.pi, 3)
        wander = (
            0.6 * np.sin(2 * t + phases[0])
            + 0.3 * np.sin(3 * t + phases[1])
            + 0.1 * np.sin(5 * t + phases[2])
        )
        drift = 1.0 + 0.05 * u  # the second pass a little outside the first
        rx = 0.4 * (1.0 + 0.015 * wander) * np.minimum(drift, 1.02)
        ry = 0.36 * (1.0 + 0.12 * wander) * drift
        xs, ys = 0.5 - rx * np.cos(t), 0.5 + ry * np.sin(t)
        xs += float(rng.uniform(-0.12, 0.12)) * (ys - 0.5)  # leaning as the hand swung it
        tail = u > 0.92  # the flick: up and away from the loop
        ys[tail] -= 0.5 * ((u[tail] - 0.92) / 0.08) ** 2 * 0.08
        strokes = [np.stack([xs, ys], axis=1)]
        pen = max(1.2, height_px * rng.uniform(0.024, 0.032))
    elif kind == "underline":
        t = np.linspace(0.0, 1.0, 80)
        wave = 0.12 * np.sin(
            2 * np.pi * (t * float(rng.uniform(1.0, 2.0)) + float(rng.uniform(0, 1)))
        )
        strokes = [np.stack([0.03 + 0.94 * t, 0.5 + wave + 0.1 * (t - 0.5)], axis=1)]
        pen = max(1.2, height_px * rng.uniform(0.18, 0.28))
    elif kind == "scribble":
        # a quick zig-zag back and forth across the canvas, its rows far apart and the
        # pen fine, so the paper shows between them (a fill's rows touch)
        rows = int(rng.integers(5, 8))
        points = []
        for i in range(rows):
            y = 0.1 + 0.75 * i / (rows - 1) + float(rng.uniform(-0.03, 0.03))
            xs = (0.08, 0.92) if i % 2 == 0 else (0.92, 0.08)
            points.extend([(xs[0] + float(rng.uniform(-0.06, 0.06)), y), (xs[1], y + 0.08)])
        t = np.linspace(0.0, 1.0, 12)[:, None]
        strokes = [
            np.vstack(
                [(1 - t) * np.asarray(a) + t * np.asarray(b) for a, b in itertools.pairwise(points)]
            )
        ]
        pen = max(1.2, small * rng.uniform(0.06, 0.08))
    elif kind == "dot":
        # a heavy dot: the pen set down in one place and turned round two or three times,
        # pressed hard (its line as broad as the spiral is wide), so the middle is solid
        start = float(rng.uniform(0, 2 * math.pi))
        turns = float(rng.uniform(2.0, 3.0))
        t = np.linspace(0.0, 1.0, 90)
        angle = start + 2 * math.pi * turns * t
        radius = (0.06 + 0.25 * t) * (1 + 0.08 * np.sin(5 * t + float(rng.uniform(0, 6))))
        squash = float(rng.uniform(0.8, 1.0))  # a little oval
        strokes = [
            np.stack([0.5 + radius * np.cos(angle), 0.5 + squash * radius * np.sin(angle)], axis=1)
        ]
        pen = max(1.5, small * rng.uniform(0.34, 0.42))
    elif kind == "hatch":
        # separate strokes, the pen lifted between them, each along x + y = c (a / on the
        # page: from the lower left up to the upper right), spread evenly across the square
        lines = int(rng.integers(3, 6))
        lo, hi = 0.1, 0.9
        strokes = []
        for c in np.linspace(0.47, 1.53, lines) + rng.uniform(-0.03, 0.03, lines):
            c = float(c)
            a = (max(lo, c - hi), min(hi, c - lo))  # where the line enters at the lower left
            b = (min(hi, c - lo), max(lo, c - hi))  # and leaves at the upper right
            start = (a[0] + j() / 3, a[1] + j() / 3)
            end = (b[0] + j() / 3, b[1] + j() / 3)
            strokes.append(_bowed(start, end, rng, 0.01))
        pen = max(1.2, small * rng.uniform(0.07, 0.09))
    elif kind == "scratch":
        # scratched out: the pen run back and forth fast and hard over a mistaken mark,
        # its rows close enough to touch, its turns wandering in and out
        rows = int(rng.integers(8, 13))
        points = []
        for i in range(rows):
            y = 0.1 + 0.8 * i / (rows - 1) + float(rng.uniform(-0.025, 0.025))
            left, right = 0.06 + float(rng.uniform(0, 0.1)), 0.94 - float(rng.uniform(0, 0.1))
            xs = (left, right) if i % 2 == 0 else (right, left)
            points.extend([(xs[0], y), (xs[1], y + float(rng.uniform(0.0, 0.05)))])
        t = np.linspace(0.0, 1.0, 12)[:, None]
        strokes = [
            np.vstack(
                [(1 - t) * np.asarray(a) + t * np.asarray(b) for a, b in itertools.pairwise(points)]
            )
        ]
        pen = max(1.5, small * rng.uniform(0.11, 0.15))
    elif kind == "slash":
        strokes = [_bowed((0.18 + j(), 0.9 + j()), (0.82 + j(), 0.1 + j()), rng, 0.025)]
        pen = max(1.2, small * rng.uniform(0.06, 0.09))
    elif kind == "strike":
        rise = float(rng.uniform(-0.12, 0.12))
        strokes = [_bowed((0.02, 0.5 + rise), (0.98, 0.5 - rise), rng, 0.04)]
        pen = max(1.2, height_px * rng.uniform(0.16, 0.24))
    else:
        raise ValueError(f"unknown pen mark {kind!r}")
    return _pen_strokes(strokes, width_px, height_px, pen, ink)


def render_pencil_tick(
    size_px: int, rng: np.random.Generator, ink: tuple[int, int, int] = PENCIL_INK
) -> Image.Image:
    """A ✓ drawn in pencil: a tick's path in graphite grey, laid on the paper's grain
    (speckled, 70–90 % of the way to the graphite's grey where the point pressed) and
    broken where the point skipped over the paper (one to three short gaps along it, one
    always across the long stroke).

    Args:
        size_px: Side of the square output image; the tick fills most of it.
        rng: Source of randomness (shape, grain, gaps).
        ink: The graphite's colour.

    Returns:
        Square RGBA image, alpha = graphite coverage.
    """
    alpha = np.asarray(render_tick(size_px, rng, ink), dtype=np.float32)[..., 3] / 255.0
    # the paper's tooth takes graphite unevenly: pixel-sized speckle over a soft pressure
    grain = rng.uniform(0.55, 1.0, alpha.shape).astype(np.float32)
    pressure = 0.85 + 0.15 * _smooth_noise(rng, alpha.shape, max(3.0, size_px / 4))
    alpha = alpha * grain * np.clip(pressure, 0.6, 1.0) * float(rng.uniform(0.7, 0.9))
    # skips: short gaps where the point lifted off the paper, one always across the
    # long stroke's middle (so the ✓ is broken), up to two more anywhere on it
    core = alpha > 0.5 * float(alpha.max(initial=0.0))
    ys, xs = np.nonzero(core)
    if ys.size:
        middle = np.nonzero((xs > 0.55 * size_px) & (xs < 0.7 * size_px))[0]
        picks = [int(rng.choice(middle))] if middle.size else []
        picks += [int(rng.integers(ys.size)) for _ in range(int(rng.integers(0, 3)))]
        yy, xx = np.mgrid[0 : alpha.shape[0], 0 : alpha.shape[1]]
        for i in picks:
            radius = size_px * float(rng.uniform(0.06, 0.08))
            alpha[(yy - ys[i]) ** 2 + (xx - xs[i]) ** 2 < radius**2] = 0.0
    return _to_rgba(alpha, ink)


def render_marker_tick(
    size_px: int, rng: np.random.Generator, ink: tuple[int, int, int] = MARKER_INK
) -> Image.Image:
    """A ✓ drawn with a felt-tip marker: one even, broad stroke (0.13–0.16 of the tick's
    size wide: a 0.8–1.1 mm tip on a tick 1.7–2 times a box), solid black, with a blot
    where the tip was set down and rested at the turn, and its edges bled into the paper's
    fibres (ragged, with a faint halo round them).

    Args:
        size_px: Side of the square output image; the tick fills most of it.
        rng: Source of randomness (shape, tip, bleeding).
        ink: The marker's colour.

    Returns:
        Square RGBA image, alpha = ink coverage.
    """
    ss = 4
    s = size_px * ss
    start = np.array([rng.uniform(0.12, 0.22), rng.uniform(0.4, 0.52)]) * s
    turn = np.array([rng.uniform(0.36, 0.44), rng.uniform(0.74, 0.82)]) * s
    end = np.array([rng.uniform(0.82, 0.9), rng.uniform(0.12, 0.2)]) * s
    bow1 = (start + turn) / 2 + rng.normal(0.0, 0.02, 2) * s
    bow2 = (turn + end) / 2 + np.array([rng.uniform(-0.05, 0.01), rng.uniform(0.0, 0.05)]) * s
    t = np.linspace(0.0, 1.0, 60)[:, None]
    seg1 = (1 - t) ** 2 * start + 2 * (1 - t) * t * bow1 + t**2 * turn
    seg2 = (1 - t) ** 2 * turn + 2 * (1 - t) * t * bow2 + t**2 * end
    path = np.vstack([seg1, seg2[1:]])
    tip = size_px * float(rng.uniform(0.13, 0.16)) * ss
    canvas = np.zeros((s, s), dtype=np.uint8)
    # a felt tip lays the same width all along (no ballpoint's pressure), a little
    # narrower only where it lifts off at the flick's very end
    width = np.interp(np.linspace(0.0, 1.0, len(path)), [0.0, 0.9, 1.0], [1.0, 1.0, 0.8])
    for (px, py), w in zip(path, width, strict=True):
        centre = (round((px - 0.5) * 16), round((py - 0.5) * 16))
        cv2.circle(canvas, centre, round(tip * w / 2 * 16), 255, -1, cv2.LINE_AA, 4)
    for spot in (start, turn):  # the tip set down, and resting at the turn: ink pools
        centre = (round((spot[0] - 0.5) * 16), round((spot[1] - 0.5) * 16))
        blot = tip * float(rng.uniform(0.55, 0.62))
        cv2.circle(canvas, centre, round(blot * 16), 255, -1, cv2.LINE_AA, 4)
    core = cv2.resize(canvas.astype(np.float32) / 255.0, (size_px, size_px), cv2.INTER_AREA)
    # the ink wicks into the paper: ragged edges, and a faint halo a little past them
    bled = _roughen(core, rng, max(1.2, tip / ss * 0.25), 0.12)
    halo = cv2.GaussianBlur(core, (0, 0), max(0.8, tip / ss * 0.3))
    alpha = np.maximum(bled, np.clip(halo * 0.4, 0.0, 0.4)) * float(rng.uniform(0.94, 1.0))
    return _to_rgba(alpha, ink)


def render_lifted_tick(
    size_px: int, rng: np.random.Generator, ink: tuple[int, int, int] = (25, 35, 95)
) -> Image.Image:
    """A ✓ written in two strokes with the pen lifted between them: the short stroke down
    to where the turn would be, then the long one up and out, set down a little to the
    right of where the first ended and a little above it, so the two never touch (a ✓
    that reads as \\ / with a gap at its foot). Ballpoint, a pen ✓'s width and pressure.

    Args:
        size_px: Side of the square output image; the tick fills most of it.
        rng: Source of randomness (shape, gap, pen).
        ink: Ink colour.

    Returns:
        Square RGBA image, alpha = ink coverage.
    """
    start = (float(rng.uniform(0.06, 0.15)), float(rng.uniform(0.4, 0.52)))
    foot = (float(rng.uniform(0.32, 0.4)), float(rng.uniform(0.82, 0.9)))
    gap = float(rng.uniform(0.14, 0.2))  # centre to centre: twice the pen's width or more
    lift = (foot[0] + gap, foot[1] - gap * float(rng.uniform(0.25, 0.5)))
    end = (float(rng.uniform(0.84, 0.94)), float(rng.uniform(0.06, 0.18)))
    strokes = [_bowed(start, foot, rng, 0.015), _bowed(lift, end, rng, 0.02)]
    pen = max(1.2, size_px * float(rng.uniform(0.06, 0.08)))
    return _pen_strokes(strokes, size_px, size_px, pen, ink)


def render_check_stamp(
    size_px: int, rng: np.random.Generator, ink: tuple[int, int, int] = STAMP_INK
) -> Image.Image:
    """A ✓ rubber stamp (对勾印章) pressed on the form: a ring with a bold ✓ inside it, as
    the stamp's rubber face carries them (the ✓ an even line, 0.1 of the ring wide, its
    turn below the ring's middle and its flick near the ring's upper right), in stamp-pad
    ink: edges a little ragged, the ink patchy, one side pressed lighter where the stamp
    was tilted, a few pinholes where the pad left none.

    Args:
        size_px: Side of the square output image; the ring nearly fills it.
        rng: Source of randomness (the rubber's ink, the tilt, the pad).
        ink: The stamp pad's colour.

    Returns:
        Square RGBA image, alpha = ink coverage; the ring's centre is the image centre.
    """
    ss = 2
    s = size_px * ss
    c = s / 2
    coords = np.arange(s, dtype=np.float32) + 0.5 - c
    r = np.hypot(coords[None, :], coords[:, None])
    r_out = 0.47 * s
    ring_w = float(rng.uniform(0.06, 0.075)) * s
    mask = np.clip(r_out - r + 0.5, 0, 1) * np.clip(r - (r_out - ring_w) + 0.5, 0, 1)
    # the ✓ cut in the rubber: a clean, even stroke (no pen's pressure), inside the ring
    start = np.array([0.27, 0.5]) * s
    turn = np.array([0.43, 0.69]) * s
    end = np.array([0.74, 0.3]) * s
    line = round(float(rng.uniform(0.09, 0.11)) * s)
    check = np.zeros((s, s), dtype=np.uint8)
    points = np.rint(np.array([start, turn, end]) * 16 - 8).astype(np.int32)
    cv2.polylines(check, [points], False, 255, line, cv2.LINE_AA, 4)
    np.maximum(mask, check.astype(np.float32) / 255.0, out=mask)
    mask = _roughen(mask, rng, grain_px=1.2 * ss, amount=0.1)
    cov = cv2.resize(mask, (size_px, size_px), interpolation=cv2.INTER_AREA)
    # the pad's ink: patchy, lighter on the side the stamp was tilted off, pinholes
    density = 0.84 + 0.08 * _smooth_noise(rng, cov.shape, max(2.0, size_px / 5))
    rel = np.arange(size_px, dtype=np.float32) + 0.5 - size_px / 2
    tilt = rng.uniform(0.0, 2 * math.pi)
    lean = (math.cos(tilt) * rel[None, :] + math.sin(tilt) * rel[:, None]) / (size_px / 2)
    density -= float(rng.uniform(0.08, 0.22)) * np.clip(lean, -1.0, 1.0)
    density[_smooth_noise(rng, cov.shape, 1.2) > 2.0] *= 0.4
    alpha = cov * np.clip(density, 0.0, 1.0)
    return _to_rgba(alpha, ink)


def render_tape(width_px: int, height_px: int, rng: np.random.Generator) -> Image.Image:
    """A strip of correction tape (修正带) as it lies on the paper: a film whiter than
    the paper, nearly opaque (what it covers shows only as a faint ghost), its two long
    edges a thin grey line where the film's edge throws a shadow in the scanner's light,
    its ends cut straight by the applicator, the start a little heavier.

    Returns an RGBA patch to lay over the page with ``cover`` (not ``stamp``: tape hides
    what is under it, ink darkens it); alpha = how much of the page it hides.
    """
    h, w = max(3, height_px), max(3, width_px)
    alpha = np.full((h, w), float(rng.uniform(0.95, 0.985)), dtype=np.float32)
    alpha *= 1.0 + 0.015 * _smooth_noise(rng, (h, w), max(3.0, h / 2))
    rgb = np.empty((h, w, 3), dtype=np.float32)
    rgb[...] = TAPE_WHITE
    edge = max(1, round(h * 0.03))  # the film's edge: about 0.1–0.15 mm
    shadow = float(rng.uniform(150, 190))
    for rows in (slice(0, edge), slice(h - edge, h)):
        rgb[rows] = shadow
        alpha[rows] = float(rng.uniform(0.55, 0.8))
    rgb[:, :edge] = np.minimum(rgb[:, :edge], shadow + 40)  # the cut ends: fainter
    rgb[:, w - edge :] = np.minimum(rgb[:, w - edge :], shadow + 40)
    out = np.empty((h, w, 4), dtype=np.uint8)
    out[..., :3] = np.rint(np.clip(rgb, 0, 255)).astype(np.uint8)
    out[..., 3] = np.rint(np.clip(alpha, 0.0, 1.0) * 255.0).astype(np.uint8)
    return Image.fromarray(out, "RGBA")


def cover(
    page: Image.Image, patch: Image.Image, *, center: tuple[float, float], angle_deg: float
) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """Lay an opaque patch (correction tape) on a copy of the page: the patch's colour
    replaces the page's by its alpha (print and ink under it hidden), unlike ``stamp``,
    which only darkens.

    Returns ``(new_page, bbox)`` as ``stamp`` does.
    """
    base = np.asarray(page.convert("RGB"), dtype=np.float32)
    rgba = np.asarray(patch.convert("RGBA"), dtype=np.float32)
    src = np.empty(rgba.shape, dtype=np.float32)
    src[..., 3] = rgba[..., 3] / 255.0
    src[..., :3] = rgba[..., :3] * src[..., 3:4]  # premultiplied, so it interpolates
    h, w = rgba.shape[:2]
    placed = _warp_region(src, _affine((w / 2, h / 2), center, _linear(angle_deg)), base.shape[:2])
    if placed is None:
        return Image.fromarray(base.astype(np.uint8), "RGB"), (0, 0, 0, 0)
    region, x0, y0 = placed
    view = base[y0 : y0 + region.shape[0], x0 : x0 + region.shape[1]]
    a = np.clip(region[..., 3:4], 0.0, 1.0)
    view[...] = view * (1.0 - a) + region[..., :3]
    out = Image.fromarray(np.rint(np.clip(base, 0, 255)).astype(np.uint8), "RGB")
    ys, xs = np.nonzero(region[..., 3] >= 1.0 / 255.0)
    if ys.size == 0:
        return out, (0, 0, 0, 0)
    bbox = (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1)
    return out, bbox


def render_highlighter(
    width_px: int,
    height_px: int,
    rng: np.random.Generator,
    ink: tuple[int, int, int] = HIGHLIGHTER_INK,
) -> Image.Image:
    """A highlighter's stroke (荧光笔) drawn along words: a band as tall as the canvas,
    its chisel tip's ends cut on a slant, its long edges wavering a little, its ink
    translucent and streaked along the stroke, a little heavier where the pen was set down
    (RGBA, alpha = ink; ``stamp`` multiplies it, so the words stay black under it).

    Args:
        width_px: Length of the stroke.
        height_px: Width of the chisel tip (the band's height).
        rng: Source of randomness.
        ink: The highlighter's colour.
    """
    h, w = max(2, height_px), max(2, width_px)
    ys = (np.arange(h, dtype=np.float32) + 0.5)[:, None]
    xs = (np.arange(w, dtype=np.float32) + 0.5)[None, :]
    # the long edges: a little in from the canvas, wandering slowly along the stroke
    wander = _smooth_noise(rng, (1, w), max(8.0, w / 3))[0]
    top = h * (0.06 + 0.03 * wander)[None, :]
    bottom = h * (0.94 + 0.03 * _smooth_noise(rng, (1, w), max(8.0, w / 3))[0])[None, :]
    # the ends: the chisel tip's edge, on a slant
    slant = float(rng.uniform(0.15, 0.35)) * h
    start = float(rng.uniform(0.0, 0.04)) * w + slant * (1 - ys / h)
    end = w - float(rng.uniform(0.0, 0.04)) * w - slant * (ys / h)
    band = (ys >= top) & (ys <= bottom) & (xs >= start) & (xs <= end)
    # streaks along the stroke (the felt tip lays ink unevenly across its width)
    streaks = _smooth_noise(rng, (h, 1), max(2.0, h / 5))
    alpha = band * np.clip(0.88 + 0.06 * streaks, 0.7, 1.0)
    alpha = alpha * (1 + 0.1 * (xs < start + 0.6 * h))  # set down: a little more ink
    alpha = cv2.GaussianBlur(alpha.astype(np.float32), (0, 0), max(0.6, h / 40))
    return _to_rgba(np.clip(alpha, 0.0, 1.0), ink)


def stamp(
    page: Image.Image,
    ink: Image.Image,
    *,
    center: tuple[float, float],
    angle_deg: float,
    rng: np.random.Generator,
    opacity: float = 0.9,
) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """Put ink on a copy of the page with multiply blending.

    White paper takes the ink colour; dark print under the ink stays dark.

    Args:
        page: RGB page image (other modes are converted to RGB).
        ink: RGBA ink image, e.g. from ``render_seal``.
        center: Where the ink image's centre lands on the page (continuous px).
        angle_deg: Counter-clockwise rotation of the ink about its centre.
        rng: Source of randomness (slight variation of the pressure).
        opacity: Ink strength in [0, 1].

    Returns:
        ``(new_page, bbox)``: the RGB page and the ink's bbox
        ``(x0, y0, x1, y1)`` (exclusive ends, clipped to the page) of pixels
        with ink (alpha × opacity ≥ 1/255); ``(0, 0, 0, 0)`` if the ink falls off the page.
    """
    base = np.asarray(page.convert("RGB"), dtype=np.float32)
    rgba = np.asarray(ink.convert("RGBA"), dtype=np.float32) / 255.0
    strength = opacity * rng.uniform(0.95, 1.0)
    # Absorbance per channel (linear in alpha, so it interpolates correctly) plus alpha.
    src = np.empty(rgba.shape, dtype=np.float32)
    src[..., :3] = rgba[..., 3:4] * (1.0 - rgba[..., :3]) * strength
    src[..., 3] = rgba[..., 3] * strength
    h, w = rgba.shape[:2]
    placed = _warp_region(src, _affine((w / 2, h / 2), center, _linear(angle_deg)), base.shape[:2])
    if placed is None:
        return Image.fromarray(base.astype(np.uint8), "RGB"), (0, 0, 0, 0)
    region, x0, y0 = placed
    view = base[y0 : y0 + region.shape[0], x0 : x0 + region.shape[1]]
    view *= 1.0 - np.clip(region[..., :3], 0.0, 1.0)
    out = Image.fromarray(np.rint(base).astype(np.uint8), "RGB")
    ys, xs = np.nonzero(region[..., 3] >= 1.0 / 255.0)
    if ys.size == 0:
        return out, (0, 0, 0, 0)
    bbox = (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1)
    return out, bbox
