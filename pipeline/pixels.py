"""RGB page arrays: the one shape every image stage takes, and whether a page has colour.

Pages travel between the image stages as numpy arrays ``(H, W, 3)`` of ``uint8`` in RGB
order (``SourcePage.image``, ``NormalisedPage.image``); a greyscale scan is one rendered
as RGB, all three channels equal.
"""

from __future__ import annotations

import cv2
import numpy as np


def check_rgb(image: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``image`` is an RGB uint8 array ``(H, W, 3)``."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 array (H, W, 3), got {image.dtype} {image.shape}")


def rgb_channels(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The red, green and blue planes of an RGB page."""
    # extractChannel is several times faster than cv2.split on large pages here.
    return (
        cv2.extractChannel(image, 0),
        cv2.extractChannel(image, 1),
        cv2.extractChannel(image, 2),
    )


def is_greyscale(image: np.ndarray) -> bool:
    """All three channels equal (a greyscale scan rendered as RGB)."""
    sample = image[::16, ::16]
    if not (
        np.array_equal(sample[..., 0], sample[..., 1])
        and np.array_equal(sample[..., 1], sample[..., 2])
    ):
        return False  # the usual colour page: settled on a sample
    red, green, blue = rgb_channels(image)
    return bool(np.array_equal(red, green) and np.array_equal(green, blue))


def morph_on_paper(mask: np.ndarray, op: int, kernel: tuple[int, int] | np.ndarray) -> np.ndarray:
    """A morphological operation (``cv2.MORPH_*``) with paper beyond the image's edges
    (OpenCV's default border extends ink); ``kernel`` a shape of ones, or the kernel."""
    if isinstance(kernel, tuple):
        kernel = np.ones(kernel, np.uint8)
    return cv2.morphologyEx(mask, op, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)


def page_fractions(
    box: tuple[float, float, float, float], width: int, height: int, digits: int = 4
) -> tuple[float, float, float, float]:
    """A box in pixels (x0, y0, x1, y1) as shares of the page's width and height, rounded."""
    x0, y0, x1, y1 = box
    return (
        round(x0 / width, digits),
        round(y0 / height, digits),
        round(x1 / width, digits),
        round(y1 / height, digits),
    )
