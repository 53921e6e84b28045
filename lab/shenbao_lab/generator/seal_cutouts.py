"""Real seal impressions cut out of the real images, their red ink as an alpha mask.

Each labelled red seal is cut out of its image inside its ``places.json`` ellipse grown a
little (the marks are by eye, about a tenth of the seal's size). The ink is measured
against the local paper colour (the brightest colour nearby, so uneven light and tinted
paper do not count as ink), as absorbance ``A = 1 - pixel / paper`` per channel: red ink
absorbs green and lets red through, black and blue print absorb red. So ``A_green -
A_red`` is the red ink alone: print under the seal is not cut along. Where print covered
the ink the seal's ink is unknown; its alpha is filled in from the ink round it, so a
re-stamped seal carries no holes shaped like the source's text. Straight printed rules
longer than most of the seal (red table lines crossing it) are taken out.

A seal is skipped when its cut-out would not be an impression: cut by the image's edge
(the stamping makes its own partial seals, with their truth), or mostly other ink (print
covering it, little red left).

The cut-out carries its ink's full-strength colour (transmittance against paper) and the
ellipse fitted to its outermost ink, in the cut-out's pixels: the truth of a stamped copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from shenbao_lab.generator.real_images import RealImage, RealSeal, load_real_images

GROWN = 1.25
"""The cut-out's ellipse against the marked one: the marks are by eye, ± a tenth."""
INK_MIN = 0.06
"""Red absorbance under this is paper noise: alpha 0."""
EDGE_CUT_MAX = 0.03
"""A marked ellipse leaving the image by more than this share of its size is cut by the
edge: not cut out."""
OTHER_INK_MAX = 0.8
"""A cut-out whose ellipse holds more print than red ink beyond this share is skipped."""
RED_MIN = 0.02
"""… and one whose red ink covers less than this share of its ellipse."""
RING_MIN = 0.7
"""… and one whose ring (the band 0.85-1.05 of its outline) has ink in fewer than this
share of directions: a broken ring with no lettering (seal-05's first) is no fair truth
stamp; the other cut-outs' rings (faint ink too, alpha ≥ 0.1) run round 0.8 and more."""
RING_BINS = 180
"""Directions the ring is sampled in."""


@dataclass(frozen=True)
class CutOut:
    """One real impression as alpha over paper, with its ink's colour and outline.

    Attributes:
        source: ``<image file>#<n>``: the n-th seal (1-based, labels.json order).
        alpha: Ink density 0-1 (float32, H×W).
        colour: The ink's full-strength transmittance per RGB channel (0-1).
        centre: The fitted outline's centre ``(x, y)`` in the cut-out's pixels.
        axes: Its semi-axes ``(a, b)``, ``a`` along ``angle_deg``, ``a ≥ b``.
        angle_deg: Direction of ``a``, clockwise on screen from +x (image y down).
        shape: round or oval (labels.json).
        colour_name: red (labels.json).
        text: The published text (labels.json ``text_kind == "published"``), else None.
        print_share: Of the ellipse's ink, the share that was print (filled in).
    """

    source: str
    alpha: np.ndarray
    colour: tuple[float, float, float]
    centre: tuple[float, float]
    axes: tuple[float, float]
    angle_deg: float
    shape: str
    colour_name: str
    text: str | None
    print_share: float

    def rgba(self) -> Image.Image:
        """The ink as an RGBA image: the ink's colour, alpha its density (``ink.stamp``)."""
        h, w = self.alpha.shape
        rgba = np.empty((h, w, 4), dtype=np.uint8)
        rgba[..., :3] = np.rint(np.asarray(self.colour) * 255).astype(np.uint8)
        rgba[..., 3] = np.rint(np.clip(self.alpha, 0.0, 1.0) * 255).astype(np.uint8)
        return Image.fromarray(rgba, "RGBA")


@dataclass(frozen=True)
class Skipped:
    """A labelled red seal not cut out, and why."""

    source: str
    reason: str


def absorbance(rgb: np.ndarray, window: int) -> np.ndarray:
    """Per-channel absorbance ``1 - pixel / paper`` (0-1), the paper being the brightest
    colour within ``window`` px, smoothed: strokes thinner than the window are ink."""
    pixels = rgb.astype(np.float32)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (window, window))
    paper = cv2.GaussianBlur(cv2.dilate(pixels, kernel), (0, 0), window / 2)
    paper = np.maximum(np.maximum(paper, pixels), 1.0)
    return np.asarray(np.clip(1.0 - pixels / paper, 0.0, 1.0), dtype=np.float32)


def red_ink(rgb: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The red ink's strength (``A_green - A_red``), the print mask (absorbs red, not
    mostly red ink) and the transmittance ``pixel / paper`` of ``rgb``."""
    a = absorbance(rgb, window)
    red = a[..., 1] - a[..., 0]
    printed = (a[..., 0] > 0.35) & (red < 0.2)
    return red, printed, 1.0 - a


def _without_rules(mask: np.ndarray, length: int) -> np.ndarray:
    """Straight horizontal and vertical runs longer than ``length`` px (printed rules)."""
    rules = np.zeros_like(mask)
    for kernel in (np.ones((1, length), np.uint8), np.ones((length, 1), np.uint8)):
        rules |= cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    return cv2.dilate(rules, np.ones((3, 3), np.uint8))


def _outline(alpha: np.ndarray) -> tuple[tuple[float, float], tuple[float, float], float] | None:
    """The ellipse through the ink's outermost points (``cv2.fitEllipse`` on the convex
    hull of the ink, specks dropped): centre, semi-axes (a ≥ b), angle of ``a``."""
    mask = (alpha >= 0.3).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= max(4, mask.sum() // 500)
    points = np.column_stack(np.nonzero(keep[labels]))[:, ::-1].astype(np.float32)
    if len(points) < 5:
        return None
    hull = cv2.convexHull(points)
    if len(hull) < 5:
        return None
    (cx, cy), (d1, d2), angle = cv2.fitEllipse(hull)
    # fitEllipse's first axis lies along ``angle``; the larger one comes first here.
    if d1 >= d2:
        return (cx, cy), (d1 / 2, d2 / 2), angle % 180
    return (cx, cy), (d2 / 2, d1 / 2), (angle + 90) % 180


def _ring_share(
    mask: np.ndarray, outline: tuple[tuple[float, float], tuple[float, float], float]
) -> float:
    """Share of directions with ink in the band 0.85-1.05 of the outline's radius."""
    (cx, cy), (a, b), angle = outline
    theta = np.linspace(0.0, 2 * math.pi, RING_BINS, endpoint=False)[:, None]
    shares = np.linspace(0.85, 1.05, 11)[None, :]
    t = math.radians(angle)
    x = cx + shares * (a * np.cos(theta) * math.cos(t) - b * np.sin(theta) * math.sin(t))
    y = cy + shares * (a * np.cos(theta) * math.sin(t) + b * np.sin(theta) * math.cos(t))
    h, w = mask.shape
    xi = np.clip(np.floor(x).astype(np.int64), 0, w - 1)
    yi = np.clip(np.floor(y).astype(np.int64), 0, h - 1)
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    return float((mask[yi, xi] & inside).any(axis=1).mean())


def cut_out(rgb: np.ndarray, seal: RealSeal, source: str) -> CutOut | Skipped:
    """One labelled red seal of an image (RGB uint8) as a cut-out, or why it is not one."""
    h, w = rgb.shape[:2]
    p = seal.place
    cx, cy, rx, ry = p.cx * w, p.cy * h, p.rx * w, p.ry * h
    outside = max(rx - cx, cx + rx - w, 0) / (2 * rx), max(ry - cy, cy + ry - h, 0) / (2 * ry)
    if max(outside) > EDGE_CUT_MAX:
        return Skipped(source, f"cut by the image's edge ({max(outside):.0%} outside)")
    gx, gy = rx * GROWN, ry * GROWN
    x0, y0 = max(0, math.floor(cx - gx)), max(0, math.floor(cy - gy))
    x1, y1 = min(w, math.ceil(cx + gx)), min(h, math.ceil(cy + gy))
    crop = rgb[y0:y1, x0:x1]
    window = max(5, round(min(rx, ry) * 0.4)) | 1
    red, printed, transmittance = red_ink(crop, window)
    ys, xs = np.mgrid[y0:y1, x0:x1]
    inside = ((xs + 0.5 - cx) / gx) ** 2 + ((ys + 0.5 - cy) / gy) ** 2 <= 1.0
    ink = (red > 0.15) & inside
    printed &= inside
    ellipse_area = math.pi * rx * ry
    other = printed.sum() / max(1, printed.sum() + ink.sum())
    if ink.sum() < RED_MIN * ellipse_area or other > OTHER_INK_MAX:
        return Skipped(source, f"mostly other ink ({other:.0%} print, {ink.sum()} red px)")
    full = float(np.percentile(red[ink], 90))
    alpha = np.clip((red - INK_MIN) / max(full - INK_MIN, 1e-3), 0.0, 1.0) * inside
    alpha[_without_rules((alpha >= 0.3).astype(np.uint8), round(1.2 * min(gx, gy))) > 0] = 0.0
    # Print over the ink hid it: fill the ink in from round it.
    holes = cv2.dilate(printed.astype(np.uint8), np.ones((3, 3), np.uint8))
    filled = cv2.inpaint(np.rint(alpha * 255).astype(np.uint8), holes, 3, cv2.INPAINT_TELEA)
    alpha = (filled.astype(np.float32) / 255.0) * inside
    strong = (alpha >= 0.8) & ~printed & ink
    colour = tuple(float(v) for v in np.median(transmittance[strong], axis=0))
    outline = _outline(alpha)
    marked = ((cx - x0, cy - y0), (max(rx, ry), min(rx, ry)), 0.0 if rx >= ry else 90.0)
    if outline is None or not (0.75 <= outline[1][0] / marked[1][0] <= 1.3):
        outline = marked  # the ink's hull is no outline (a stray mark): the marks stand
    ring = _ring_share(alpha >= 0.1, outline)
    if ring < RING_MIN:
        return Skipped(source, f"broken ring (ink in {ring:.0%} of directions)")
    return CutOut(
        source=source,
        alpha=alpha.astype(np.float32),
        colour=(colour[0], colour[1], colour[2]),
        centre=outline[0],
        axes=outline[1],
        angle_deg=float(outline[2]),
        shape=seal.shape,
        colour_name=seal.colour,
        text=seal.text if seal.text_kind == "published" else None,
        print_share=round(float(other), 3),
    )


def cut_outs(folder: Path) -> tuple[list[CutOut], list[Skipped]]:
    """Every labelled red seal of the real images in ``folder`` cut out, or skipped."""
    made: list[CutOut] = []
    skipped: list[Skipped] = []
    for image in load_real_images(folder):
        if not image.red_seals:
            continue
        rgb = np.asarray(Image.open(folder / image.file).convert("RGB"))
        for number, seal in enumerate(image.seals, start=1):
            if seal.colour != "red":
                continue
            result = cut_out(rgb, seal, f"{image.file}#{number}")
            if isinstance(result, CutOut):
                made.append(result)
            else:
                skipped.append(result)
    return made, skipped


def negatives(folder: Path) -> list[RealImage]:
    """The real images without seals: backgrounds to stamp on."""
    return [i for i in load_real_images(folder) if i.negative]
