"""Scan profiles and page measurements shared by the generator's scanner tests."""

from __future__ import annotations

import numpy as np
from PIL import Image
from shenbao_lab.generator.scanner import ScanProfile


def scan_profile(**changes: object) -> ScanProfile:
    """A plain colour 200-dpi profile (no skew, noise, blur or tint), with ``changes``."""
    base = ScanProfile(
        dpi=200,
        greyscale=False,
        skew_deg=0.0,
        upside_down=False,
        noise_sigma=0.0,
        blur_radius=0.0,
        jpeg_quality=80,
        light_falloff=0.0,
        paper_tint=(255, 255, 255),
        offset_px=(0, 0),
    )
    return base.model_copy(update=changes)


def dark_bbox(img: Image.Image, threshold: int = 128) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1, px) of the pixels darker than ``threshold``."""
    grey = np.asarray(img.convert("L"))
    ys, xs = np.nonzero(grey < threshold)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
