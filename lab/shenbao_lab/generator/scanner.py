"""Make a clean rendered page look like an office scan, and write image-only PDFs.

All randomness comes from the ``numpy.random.Generator`` passed in; the same
seed and input give byte-identical output.

Coordinates are continuous pixel coordinates: pixel ``(col, row)`` covers
``[col, col + 1) x [row, row + 1)``; boxes are ``(x0, y0, x1, y1)``. Skew is
counter-clockwise as seen on screen, about the page centre ``(w / 2, h / 2)``.
"""

from __future__ import annotations

import io
import math
import zlib
from pathlib import Path
from typing import Annotated, Literal

import cv2
import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

__all__ = [
    "ScanProfile",
    "binding_shadow",
    "encode_jpeg",
    "jpeg_roundtrip",
    "phone_photo",
    "photocopy",
    "punched_holes",
    "random_profile",
    "scan",
    "transform_bbox",
    "warp_box",
    "write_image_pdf",
]

_Channel = Annotated[int, Field(ge=0, le=255)]


class ScanProfile(BaseModel, frozen=True):
    """How one page was scanned."""

    dpi: int = Field(gt=0, description="Scan resolution in dots per inch (the image's resolution).")
    greyscale: bool = Field(description="Scanned in greyscale: the result is an 'L' image.")
    skew_deg: float = Field(
        ge=-15.0, le=15.0, description="Page rotation on the glass, degrees counter-clockwise."
    )
    upside_down: bool = Field(description="Fed upside down: the scan is turned by 180 degrees.")
    noise_sigma: float = Field(ge=0.0, description="Sensor noise standard deviation, 0-255 levels.")
    blur_radius: float = Field(
        ge=0.0, description="Optical blur: Gaussian sigma in px (0 = sharp)."
    )
    jpeg_quality: int = Field(ge=1, le=100, description="JPEG quality used when the scan is saved.")
    light_falloff: float = Field(
        ge=0.0, le=0.6, description="Uneven light: brightness lost in the darkest area (0 = even)."
    )
    paper_tint: tuple[_Channel, _Channel, _Channel] = Field(
        description="RGB colour of the paper as scanned (white paper = (255, 255, 255))."
    )
    offset_px: tuple[int, int] = Field(description="Shift (dx, dy) of the page on the glass, px.")
    bilevel: bool = Field(
        False, description="1-bit black and white: the greyscale scan thresholded ('1' image)."
    )
    threshold: int = Field(
        140, ge=1, le=254, description="Grey level below which a bilevel scan is black."
    )
    quarter_turn: Literal[0, 90, 270] = Field(
        0, description="Fed sideways: the scan is turned clockwise by this many degrees."
    )


def random_profile(
    rng: np.random.Generator,
    *,
    dpi: int = 200,
    greyscale: bool = False,
    upside_down: bool = False,
    degraded: bool = False,
) -> ScanProfile:
    """Draw plausible office-scanner settings.

    Args:
        rng: Source of randomness.
        dpi: Scan resolution; blur and offset scale with it.
        greyscale: Scan in greyscale.
        upside_down: Page fed upside down.
        degraded: A poor scan: more skew, noise, blur and uneven light, lower
            JPEG quality, yet still readable by a person.

    Returns:
        A scan profile.
    """
    k = dpi / 200.0
    max_skew = 3.0 if degraded else 1.5
    white = int(rng.integers(232, 246) if degraded else rng.integers(242, 254))
    tint = (white, white - int(rng.integers(0, 4)), white - int(rng.integers(2, 9)))
    max_offset = 12.0 * k if degraded else 6.0 * k
    return ScanProfile(
        dpi=dpi,
        greyscale=greyscale,
        skew_deg=round(float(rng.uniform(-max_skew, max_skew)), 3),
        upside_down=upside_down,
        noise_sigma=round(float(rng.uniform(*((3.0, 6.0) if degraded else (0.8, 2.0)))), 2),
        blur_radius=round(float(rng.uniform(*((0.8, 1.3) if degraded else (0.3, 0.7)))) * k, 2),
        jpeg_quality=int(rng.integers(*((32, 48) if degraded else (50, 76)))),
        light_falloff=round(float(rng.uniform(*((0.1, 0.22) if degraded else (0.02, 0.08)))), 3),
        paper_tint=tint,
        offset_px=(
            round(rng.uniform(-max_offset, max_offset)),
            round(rng.uniform(-max_offset, max_offset)),
        ),
    )


def _placement(size: tuple[int, int], profile: ScanProfile) -> np.ndarray:
    """Forward 2x3 matrix (continuous coordinates) of skew and offset, without the flip."""
    w, h = size
    a = math.radians(profile.skew_deg)
    c, s = math.cos(a), math.sin(a)
    lin = np.array([[c, s], [-s, c]])
    centre = np.array([w / 2, h / 2])
    t = centre - lin @ centre + np.asarray(profile.offset_px, dtype=np.float64)
    return np.hstack([lin, t[:, None]])


def transform_bbox(
    bbox: tuple[float, float, float, float], size: tuple[int, int], profile: ScanProfile
) -> tuple[float, float, float, float]:
    """Map a box of the clean page to the scanned page.

    Args:
        bbox: ``(x0, y0, x1, y1)`` in pixels of the clean page.
        size: ``(width, height)`` of the clean page (the scan has the same size, or the
            two swapped when it was fed sideways).
        profile: The profile the page is scanned with.

    Returns:
        The axis-aligned box around the transformed corners (skew, offset and
        the 180-degree turn), in pixels of the scan; not clipped to the page.
    """
    x0, y0, x1, y1 = bbox
    m = _placement(size, profile)
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64)
    pts = corners @ m[:, :2].T + m[:, 2]
    if profile.upside_down:
        pts = np.asarray(size, dtype=np.float64) - pts
    if profile.quarter_turn:
        w, h = size
        x, y = pts[:, 0].copy(), pts[:, 1].copy()
        # clockwise: (x, y) -> (h - y, x); anticlockwise (270 clockwise): (y, w - x)
        pts = np.stack([h - y, x] if profile.quarter_turn == 90 else [y, w - x], axis=1)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def _light_field(rng: np.random.Generator, h: int, w: int, falloff: float) -> np.ndarray:
    """Smooth illumination gain in ``[1 - falloff, 1]``: a gradient plus a vignette."""
    sh, sw = max(2, h // 16), max(2, w // 16)
    ys = (np.arange(sh, dtype=np.float32)[:, None] + 0.5) / sh - 0.5
    xs = (np.arange(sw, dtype=np.float32)[None, :] + 0.5) / sw - 0.5
    phi = rng.uniform(0.0, 2 * math.pi)
    gradient = math.cos(phi) * xs + math.sin(phi) * ys
    cx, cy = rng.uniform(-0.15, 0.15, 2)
    vignette = (xs - cx) ** 2 + (ys - cy) ** 2
    mix = rng.uniform(0.2, 0.8)
    g = mix * (gradient - gradient.min()) + (1.0 - mix) * vignette
    g = (g - g.min()) / max(float(g.max() - g.min()), 1e-6)
    gain = (1.0 - falloff * g).astype(np.float32)
    return cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)


def scan(page: Image.Image, profile: ScanProfile, rng: np.random.Generator) -> Image.Image:
    """Simulate scanning a clean page.

    Order: placement on the glass (skew about the centre plus offset, the
    uncovered area is paper-coloured), paper tint, greyscale sensor (if
    requested), uneven light, optical blur, sensor noise, 180-degree turn.
    JPEG artefacts are not added here: they come from ``write_image_pdf``
    (or ``jpeg_roundtrip`` for a preview).

    Args:
        page: Clean page, any mode (converted to RGB).
        profile: Scanner settings.
        rng: Source of randomness (light pattern, noise).

    Returns:
        Image of the same size: "RGB", or "L" when ``profile.greyscale``.
    """
    rgb = np.asarray(page.convert("RGB"))
    h, w = rgb.shape[:2]
    m = _placement((w, h), profile)
    m[:, 2] += m[:, :2] @ np.array([0.5, 0.5]) - 0.5  # continuous -> index coordinates
    placed = cv2.warpAffine(
        rgb,
        m,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255),
    )
    img = placed.astype(np.float32)
    img *= np.asarray(profile.paper_tint, dtype=np.float32) / 255.0
    if profile.greyscale:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    gain = _light_field(rng, h, w, profile.light_falloff)
    img *= gain if profile.greyscale else gain[..., None]
    if profile.blur_radius > 0:
        img = cv2.GaussianBlur(img, (0, 0), profile.blur_radius)
    if profile.noise_sigma > 0:
        noise = rng.standard_normal((h, w), dtype=np.float32) * np.float32(profile.noise_sigma)
        img += noise if profile.greyscale else noise[..., None]
    out = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    if profile.upside_down:
        out = out[::-1, ::-1]
    if profile.quarter_turn:
        out = np.rot90(out, k=-1 if profile.quarter_turn == 90 else 1)
    if profile.bilevel:
        grey = out if out.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(out), cv2.COLOR_RGB2GRAY)
        black = grey < profile.threshold
        return Image.fromarray(np.ascontiguousarray(~black)).convert("1")
    return Image.fromarray(np.ascontiguousarray(out), "L" if profile.greyscale else "RGB")


def photocopy(
    image: Image.Image, rng: np.random.Generator, *, dpi: int, generations: int = 2
) -> Image.Image:
    """The page as a copy of a copy: toner is black (colour lost), each generation blurs,
    hardens the contrast and drops toner specks on the paper.

    Args:
        image: The inked page, any mode.
        rng: Source of randomness (blur, contrast, specks).
        dpi: The page's resolution; blur and speck size scale with it.
        generations: How many times it was copied.

    Returns:
        An "RGB" image of the same size (grey: a copier prints black).
    """
    k = dpi / 200.0
    grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    h, w = grey.shape
    for _ in range(generations):
        grey = cv2.GaussianBlur(grey, (0, 0), float(rng.uniform(0.5, 0.9)) * k)
        # toner: mid greys go darker, the paper a touch grey, strokes thicken a little
        gamma = float(rng.uniform(1.3, 1.8))
        grey = 0.06 + 0.9 * np.power(np.clip(grey, 0.0, 1.0), gamma)
        specks = rng.random((h, w), dtype=np.float32) < float(rng.uniform(2e-4, 6e-4))
        size = max(1, round(1.5 * k))
        specks = cv2.dilate(specks.astype(np.uint8), np.ones((size, size), np.uint8)) > 0
        grey[specks] = np.minimum(grey[specks], float(rng.uniform(0.05, 0.35)))
    out = np.clip(np.rint(grey * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(out, "L").convert("RGB")


def binding_shadow(image: Image.Image, rng: np.random.Generator, *, dpi: int) -> Image.Image:
    """A dark band along the bound edge (left), fading inwards: the spine of a stapled or
    bound set lifted off the glass."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    width = max(2, round(float(rng.uniform(10.0, 24.0)) / 25.4 * dpi))
    depth = float(rng.uniform(0.35, 0.65))
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32) ** 1.6
    gain = np.ones(rgb.shape[1], dtype=np.float32)
    gain[:width] = 1.0 - depth * (1.0 - ramp)
    out = np.clip(np.rint(rgb * gain[None, :, None]), 0, 255).astype(np.uint8)
    return Image.fromarray(out, "RGB")


def punched_holes(image: Image.Image, rng: np.random.Generator, *, dpi: int) -> Image.Image:
    """Two filing holes in the left margin (6 mm across, 80 mm apart about the middle),
    dark where the scanner's lid does not cover them."""
    rgb = np.array(image.convert("RGB"))
    h = rgb.shape[0]
    px = dpi / 25.4
    radius = round(3.0 * px)
    cx = round(float(rng.uniform(9.0, 14.0)) * px)
    shade = int(rng.integers(30, 90))
    middle = h / 2 + float(rng.uniform(-6.0, 6.0)) * px
    for dy in (-40.0, 40.0):
        cv2.circle(
            rgb, (cx, round(middle + dy * px)), radius, (shade, shade, shade), -1, cv2.LINE_AA
        )
    return Image.fromarray(rgb, "RGB")


def phone_photo(
    image: Image.Image, rng: np.random.Generator, *, dpi: int
) -> tuple[Image.Image, np.ndarray]:
    """The page photographed by phone instead of scanned: held a little off square (each
    corner pulled in, one edge narrower than the other: perspective), lit unevenly (a
    vignette, light from one side, a soft shadow of the hand or phone), a touch out of
    focus, and with the colour of the room's light.

    Args:
        image: The inked page, any mode.
        rng: Source of randomness.
        dpi: The page's resolution; blur scales with it.

    Returns:
        ``(photo, homography)``: an "RGB" image of the same size (the desk around the
        page where the page does not reach) and the 3×3 matrix taking a point of the
        page (continuous pixel coordinates) to the photo (``warp_box``).
    """
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    h, w = rgb.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=np.float64)
    inset = rng.uniform(0.005, 0.03, (4, 2)) * np.array([w, h])
    keystone = float(rng.uniform(0.01, 0.035)) * w  # the far edge is narrower
    far = (0, 1) if rng.random() < 0.5 else (2, 3)
    inset[list(far), 0] += keystone
    dst = src + inward * inset
    matrix = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
    shift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    index = np.linalg.inv(shift) @ matrix @ shift  # continuous -> index coordinates
    desk = tuple(float(v) for v in rng.integers(70, 150) + rng.integers(-12, 13, 3))
    warped = cv2.warpPerspective(
        rgb,
        index,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=desk,
    )
    # light: a vignette and a side brighter than the other, and a soft shadow
    ys = (np.arange(h, dtype=np.float32)[:, None] + 0.5) / h - 0.5
    xs = (np.arange(w, dtype=np.float32)[None, :] + 0.5) / w - 0.5
    phi = float(rng.uniform(0.0, 2 * math.pi))
    gain = 1.0 - float(rng.uniform(0.25, 0.45)) * (xs**2 + ys**2)
    gain = gain - float(rng.uniform(0.05, 0.15)) * (math.cos(phi) * xs + math.sin(phi) * ys + 0.5)
    sx, sy = rng.uniform(-0.4, 0.4, 2)
    sigma = float(rng.uniform(0.12, 0.25))
    shadow = np.exp(-((xs - sx) ** 2 + (ys - sy) ** 2) / (2 * sigma * sigma))
    gain = gain - float(rng.uniform(0.08, 0.18)) * shadow
    cast = 1.0 + rng.uniform(-0.1, 0.03, 3)  # warm or cool room light
    cast = (cast / cast.max()).astype(np.float32)
    photo = warped * np.clip(gain, 0.3, 1.0)[..., None] * cast
    photo = cv2.GaussianBlur(photo, (0, 0), float(rng.uniform(0.6, 1.1)) * dpi / 200.0)
    out = np.clip(np.rint(photo), 0, 255).astype(np.uint8)
    return Image.fromarray(out, "RGB"), matrix


def warp_box(
    box: tuple[float, float, float, float], homography: np.ndarray
) -> tuple[float, float, float, float]:
    """The axis-aligned box around ``box``'s corners taken through ``homography``."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64)
    pts = corners @ homography.T
    pts = pts[:, :2] / pts[:, 2:3]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """Encode an "L" or "RGB" image as baseline JPEG (deterministic)."""
    buf = io.BytesIO()
    mode = "L" if image.mode == "L" else "RGB"
    image.convert(mode).save(buf, "JPEG", quality=quality, optimize=False, progressive=False)
    return buf.getvalue()


def jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    """Return the image as it looks after JPEG compression (for previews)."""
    with Image.open(io.BytesIO(encode_jpeg(image, quality))) as decoded:
        return decoded.copy()


def _num(value: float) -> str:
    """Format a PDF number compactly and deterministically."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def write_image_pdf(
    pages: list[Image.Image],
    path: Path,
    *,
    dpi: int | list[int],
    jpeg_quality: int | list[int],
) -> None:
    """Write an image-only PDF: one compressed image per page, no text layer.

    Each page's size is its image size at its ``dpi`` (an A4 raster at ``dpi``
    gives an A4 page). The file has no dates or IDs, so identical input gives
    identical bytes. "L" pages are stored as greyscale JPEGs, "1" pages (1-bit
    black and white) as Flate-compressed bitmaps.

    Args:
        pages: Page images, "1", "L" or "RGB" (other modes are converted to RGB).
        path: Output file.
        dpi: Resolution the images were scanned at: one for all pages, or one per page.
        jpeg_quality: One quality for all pages, or one per page (not used for "1").
    """
    if not pages:
        raise ValueError("at least one page is required")
    qualities = [jpeg_quality] * len(pages) if isinstance(jpeg_quality, int) else list(jpeg_quality)
    if len(qualities) != len(pages):
        raise ValueError("jpeg_quality list must have one entry per page")
    dpis = [dpi] * len(pages) if isinstance(dpi, int) else list(dpi)
    if len(dpis) != len(pages):
        raise ValueError("dpi list must have one entry per page")

    objects: list[bytes] = []  # object n is objects[n - 1]
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for i, (image, quality, page_dpi) in enumerate(zip(pages, qualities, dpis, strict=True)):
        image_no, content_no = 4 + 3 * i, 5 + 3 * i
        if image.mode == "1":
            data = zlib.compress(image.tobytes(), 9)
            colour, bits, codec = "/DeviceGray", 1, "/FlateDecode"
        else:
            data = encode_jpeg(image, quality)
            colour = "/DeviceGray" if image.mode == "L" else "/DeviceRGB"
            bits, codec = 8, "/DCTDecode"
        w_pt, h_pt = _num(image.width * 72 / page_dpi), _num(image.height * 72 / page_dpi)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt} {h_pt}] "
            f"/Resources << /XObject << /Im0 {image_no} 0 R >> >> "
            f"/Contents {content_no} 0 R >>".encode()
        )
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width {image.width} /Height {image.height} "
            f"/ColorSpace {colour} /BitsPerComponent {bits} /Filter {codec} "
            f"/Length {len(data)} >>\n"
            f"stream\n".encode()
            + data
            + b"\nendstream"
        )
        content = f"q {w_pt} 0 0 {h_pt} 0 0 cm /Im0 Do Q".encode()
        stream = f"<< /Length {len(content)} >>\nstream\n".encode() + content
        objects.append(stream + b"\nendstream")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    Path(path).write_bytes(bytes(out))
