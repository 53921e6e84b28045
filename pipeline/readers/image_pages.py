"""TIFF (each frame), JPEG and PNG pages: RGB 8-bit pixels, upright, with a believable dpi.

Pillow decodes; a frame over ``max_pixels`` is refused before it is decoded (a
decompression bomb), and a broken frame chain ends the file with an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from pipeline.ingest import PILLOW_FORMATS, FileKind
from pipeline.model import SourceKind
from pipeline.readers.source_page import SourcePage, error_page, without_path
from pipeline.settings import Settings

log = logging.getLogger(__name__)

A4_LONG_SIDE_IN = 11.69  # a page without a believable dpi is taken to be A4
# Image dpi outside this is a default or a lie (72 is what tools write when they don't know).
PLAUSIBLE_DPI = (72.0, 1200.0)


def image_pages(path: Path, kind: FileKind, settings: Settings) -> Iterator[SourcePage]:
    """An image's pages: every frame of a TIFF, the first of a JPEG or PNG."""
    label = PILLOW_FORMATS[kind]
    try:
        picture = Image.open(path, formats=[label])
    except Exception as exc:  # Pillow signals damage (and bombs) with many exception types
        log.warning("cannot open %s %s: %r", label, path.name, exc)
        yield error_page(
            1,
            f"{label} 图像无法打开（已损坏或尺寸异常）",
            f"cannot open: {without_path(exc, path)}",
        )
        return
    try:
        yield _image_page(picture, 1, settings)
        if kind is not FileKind.TIFF:
            return  # a JPEG (MPO) or PNG (APNG) with more frames is still one sheet of paper
        # Frame by frame, never n_frames: counting walks the whole chain, broken or not.
        number = 1
        while True:
            try:
                picture.seek(number)
            except EOFError:
                return
            except Exception as exc:  # a broken frame chain: nothing after it can be found
                log.warning("%s frame %d cannot be reached: %r", path.name, number + 1, exc)
                yield error_page(
                    number + 1, "该页图像已损坏，后续页面无法读取", f"cannot seek frame: {exc!r}"
                )
                return
            number += 1
            yield _image_page(picture, number, settings)
    finally:
        picture.close()


def _image_page(picture: Image.Image, number: int, settings: Settings) -> SourcePage:
    width_px, height_px = picture.size
    dpi = _image_dpi(picture)
    if width_px * height_px > settings.max_pixels or width_px <= 0 or height_px <= 0:
        log.warning("image frame %d refused: %dx%d px", number, width_px, height_px)
        return error_page(
            number,
            f"图像尺寸异常（{width_px}×{height_px} 像素，超过上限 {settings.max_pixels} 像素），"
            "疑似解压炸弹，未解码",
            f"frame of {width_px}x{height_px} px exceeds {settings.max_pixels} px",
        )
    try:
        picture.load()
        upright = ImageOps.exif_transpose(picture)
        pixels = _rgb8(upright)
    except Exception as exc:  # truncated data, bad codec parameters, exotic modes
        log.warning("image frame %d cannot be decoded: %r", number, exc)
        return error_page(
            number,
            "该页图像已损坏，无法解码",
            f"frame cannot be decoded: {exc!r}",
            width_px * 72 / (dpi or _a4_dpi(width_px, height_px)),
            height_px * 72 / (dpi or _a4_dpi(width_px, height_px)),
        )
    height, width = pixels.shape[:2]
    page_dpi = dpi or _a4_dpi(width, height)
    return SourcePage(
        file_page=number,
        kind=SourceKind.SCAN,
        width_pt=width * 72 / page_dpi,
        height_pt=height * 72 / page_dpi,
        image=pixels,
        dpi=page_dpi,
    )


def _image_dpi(picture: Image.Image) -> float | None:
    """The dpi the file declares, when it is believable."""
    declared = picture.info.get("dpi")
    try:
        x_dpi, y_dpi = (float(v) for v in declared)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    low, high = PLAUSIBLE_DPI
    if not (low < x_dpi <= high and low < y_dpi <= high):
        return None
    if abs(x_dpi - y_dpi) > 0.02 * max(x_dpi, y_dpi):
        return None  # anisotropic: no single dpi describes the page
    return (x_dpi + y_dpi) / 2


def _a4_dpi(width_px: int, height_px: int) -> float:
    # Without a believable dpi the page is taken to be A4, the forms' only paper size.
    return max(width_px, height_px, 1) / A4_LONG_SIDE_IN


def _rgb8(picture: Image.Image) -> np.ndarray:
    """Any Pillow mode as RGB uint8; transparency composited onto white paper."""
    mode = picture.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        values = np.asarray(picture, dtype=np.float64)
        # 16-bit samples come as "I" too; 8-bit content in a wide mode stays as it is.
        scale = 257.0 if values.max(initial=0) > 255 else 1.0
        grey = np.clip(np.rint(values / scale), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)
    if mode == "F":
        values = np.asarray(picture, dtype=np.float64)
        scale = 255.0 if values.max(initial=0) <= 1.0 else 1.0
        grey = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=-1)
    transparent = mode == "P" and "transparency" in picture.info
    if transparent or mode in ("LA", "La", "PA", "RGBa"):
        picture = picture.convert("RGBA")
    if picture.mode == "RGBA":
        paper = Image.new("RGB", picture.size, (255, 255, 255))
        paper.paste(picture, mask=picture.getchannel("A"))
        picture = paper
    elif picture.mode != "RGB":
        picture = picture.convert("RGB")
    return np.asarray(picture, dtype=np.uint8).copy()
