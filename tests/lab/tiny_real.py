"""A tiny stand-in for ``tests/pipeline/real/``: drawn images with ``labels.json`` and
``places.json``, for the augmentation set's and the seal bench's tests (no real image read)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

PAPER = (238, 234, 224)
RED_INK = (0.95, 0.25, 0.22)  # transmittance of the ink per channel
SIZE = 400
RING = (200, 200, 120, 8)  # cx, cy, radius, width of the drawn seal's ring


def print_rows(image: np.ndarray, top: int = 40, step: int = 36, height: int = 9) -> np.ndarray:
    """Dark print: rows of bars across the page (a mask of where they are)."""
    mask = np.zeros(image.shape[:2], dtype=bool)
    for y in range(top, image.shape[0] - 20, step):
        mask[y : y + height, 30 : image.shape[1] - 30] = True
    image[mask] = (40, 40, 45)
    return mask


def red_seal(image: np.ndarray) -> np.ndarray:
    """A red ring with a bar across its middle, multiplied over whatever is there (the
    ink's mask)."""
    cx, cy, radius, width = RING
    ink = np.zeros(image.shape[:2], dtype=np.uint8)
    cv2.circle(ink, (cx, cy), radius - width // 2, 255, width)
    cv2.rectangle(ink, (cx - 50, cy - 6), (cx + 50, cy + 6), 255, -1)
    on = ink > 0
    image[on] = np.rint(image[on] * np.asarray(RED_INK)).astype(np.uint8)
    return on


def write_real_folder(folder: Path) -> Path:
    """Two images: ``seal.png`` (one red round seal over printed rows) and ``blank.png``
    (a negative: print and a red printed title), labelled and placed."""
    folder.mkdir(parents=True, exist_ok=True)
    seal = np.full((SIZE, SIZE, 3), PAPER, dtype=np.uint8)
    print_rows(seal)
    red_seal(seal)
    Image.fromarray(seal).save(folder / "seal.png")
    blank = np.full((SIZE, int(SIZE * 1.4), 3), PAPER, dtype=np.uint8)
    print_rows(blank)
    blank[10:28, 60:300] = (200, 40, 40)
    Image.fromarray(blank).save(folder / "blank.png")
    cx, cy, radius, _ = RING
    labels = {
        "seal.png": {
            "seals": 1, "red_seals": 1, "shapes": ["round"], "colors": ["red"],
            "texts": ["测试有限公司 / 专用章"], "text_kind": "published", "negative": False,
            "notes": "drawn",
        },
        "blank.png": {
            "seals": 0, "red_seals": 0, "shapes": [], "colors": [], "texts": [],
            "text_kind": None, "negative": True, "notes": "drawn",
        },
    }  # fmt: skip
    places = {
        "_about": "drawn",
        "seal.png": [[cx / SIZE, cy / SIZE, 1.05 * radius / SIZE, 0.95 * radius / SIZE]],
    }
    (folder / "labels.json").write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    (folder / "places.json").write_text(json.dumps(places), encoding="utf-8")
    return folder
