"""Red seal ink on a scanned page: where it is, and the page without it.

Seal ink absorbs green and blue but hardly any red, so its redness, R - max(G, B), sets
it apart from paper, black print and blue-black handwriting. ``seal_ink_mask`` is where
the seal detection looks (``marks.seal_impressions``); ``remove_seal_ink`` gives the
image OCR and the tick boxes read (``NormalisedPage.ocr_image``), with the print under a
seal recovered from the red channel. A greyscale scan has no colour to go by: it comes
back unchanged, with no mask.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.pixels import check_rgb, is_greyscale, rgb_channels

# Redness is R - max(G, B) in 0-255 levels: paper and black print sit near 0 (<= 4 on
# the corpus), blue ink below 0, seal ink well above; the pale, JPEG-diluted edges of a
# seal start just above paper, so a higher start leaves a ghost ring. Between the two
# levels the separation is blended in, so colour bleed around print fades, not steps.
# A scanner with more colour noise than the corpus may want the start nearer 10.
REDNESS_START = 6
REDNESS_FULL = 20
# The ink mask for seal detection: clearly red and bright enough to be ink on paper.
MASK_REDNESS = 30
MASK_MIN_RED = 90
# Under a seal, print is recovered from the red channel relative to the local paper:
# below this share of the paper's red level a pixel is print and keeps its darkness.
PRINT_RED_SHARE = 0.4
# Pixels this red are seal ink for sure; their red share gives the ink's own red level.
SOLID_SEAL_REDNESS = 80
# A red piece's size (``red_pen_kept``) is measured on cells this many pixels a side.
PIECE_GRID_PX = 4
# More than this share of a page past REDNESS_START is a colour cast on its paper, not
# ink (a seal's ring and lettering cover under 1 % of an A4 page, its pale JPEG fringe
# about as much again; a phone photo under warm light 0.108, tuned phone-red-words-spaced
# seed 23, its paper one red piece the size of the page): there a red piece is measured
# on MASK_REDNESS.
CAST_SHARE = 0.05
# Paper colour is sampled on a grid this many pixels apart, averaged over this window.
PAPER_GRID_PX = 8
PAPER_WINDOW_CELLS = 9

Planes = tuple[np.ndarray, np.ndarray, np.ndarray]
"""An RGB measure as three float32 (H, W) planes (``paper_relative_shares``)."""


def _redness(image: np.ndarray) -> np.ndarray:
    """R - max(G, B), saturated at 0: how red each pixel is (uint8)."""
    red, green, blue = rgb_channels(image)
    return cv2.subtract(red, cv2.max(green, blue))


def seal_ink_mask(image: np.ndarray) -> np.ndarray:
    """Where red seal ink is: clearly red pixels bright enough to be ink on paper.

    Args:
        image: RGB uint8 page.

    Returns:
        Boolean array (H, W); all False for a greyscale page.
    """
    check_rgb(image)
    if is_greyscale(image):
        return np.zeros(image.shape[:2], bool)
    return (_redness(image) >= MASK_REDNESS) & (image[..., 0] >= MASK_MIN_RED)


def _local_paper(image: np.ndarray, redness: np.ndarray) -> np.ndarray:
    """Paper colour on a coarse grid (float32, 1/``PAPER_GRID_PX`` scale), ink left out."""
    h, w = image.shape[:2]
    g = PAPER_GRID_PX
    rows, cols = max(1, h // g), max(1, w // g)
    # Whole cells only: OpenCV's area reduction is much faster at an integer factor.
    small = cv2.resize(image[: rows * g, : cols * g], (cols, rows), interpolation=cv2.INTER_AREA)
    small_red = cv2.resize(
        redness[: rows * g, : cols * g], (cols, rows), interpolation=cv2.INTER_AREA
    )
    small = small.astype(np.float32)
    bright = small.max(axis=2)
    level = float(np.percentile(bright, 90))
    # Paper cells: bright (no print) and not red (no seal); the rest borrow from them.
    valid = (bright >= 0.85 * level) & (small_red < REDNESS_START)
    if not valid.any():
        return np.full_like(small, level)
    weight = valid.astype(np.float32)
    k = (PAPER_WINDOW_CELLS, PAPER_WINDOW_CELLS)
    total = cv2.blur(small * weight[..., None], k)
    count = cv2.blur(weight, k)
    fallback = np.median(small[valid], axis=0)
    paper = np.where(count[..., None] > 0.05, total / np.maximum(count, 1e-6)[..., None], fallback)
    paper_f32: np.ndarray = paper.astype(np.float32)
    return paper_f32


def remove_seal_ink(image: np.ndarray) -> np.ndarray:
    """Remove red seal ink, keeping the print and handwriting beneath and around it.

    Seal ink absorbs green and blue but hardly any red, so under a seal the red channel
    still shows the print. Each red pixel is replaced by the local paper colour darkened
    by its red channel's share of the paper's red: pure seal ink becomes paper, print
    under the seal stays dark (very dark pixels keep their darkness as is). Blue-black
    handwriting and black print are not red and are left alone.

    Args:
        image: RGB uint8 page.

    Returns:
        A new RGB uint8 page; a greyscale page (all channels equal) comes back unchanged.
    """
    check_rgb(image)
    out = image.copy()
    if is_greyscale(image):
        return out
    redness = _redness(image)
    points = cv2.findNonZero((redness > REDNESS_START).astype(np.uint8))
    if points is None:
        return out
    points = points.reshape(-1, 2)
    xs, ys = points[:, 0], points[:, 1]
    paper_grid = _local_paper(image, redness)
    gy = np.minimum(ys // PAPER_GRID_PX, paper_grid.shape[0] - 1)
    gx = np.minimum(xs // PAPER_GRID_PX, paper_grid.shape[1] - 1)
    paper = paper_grid[gy, gx]
    pixels = image[ys, xs].astype(np.float32)
    red_share = pixels[:, 0] / np.maximum(paper[:, 0], 1.0)
    red_level = redness[ys, xs]

    # The seal ink's own red share, from pixels that are surely ink: mapped to paper.
    solid = red_share[red_level >= SOLID_SEAL_REDNESS]
    ink_share = float(np.percentile(solid, 35)) if solid.size >= 50 else 0.85
    ink_share = min(max(ink_share, PRINT_RED_SHARE + 0.2), 1.0)
    # Print (below PRINT_RED_SHARE) keeps its darkness; up to the ink's share it fades.
    t = np.where(
        red_share <= PRINT_RED_SHARE,
        red_share,
        PRINT_RED_SHARE
        + (red_share - PRINT_RED_SHARE) * (1.0 - PRINT_RED_SHARE) / (ink_share - PRINT_RED_SHARE),
    )
    t = np.clip(t, 0.0, 1.0)
    recovered = paper * t[:, None]
    weight = np.clip(
        (red_level.astype(np.float32) - REDNESS_START) / (REDNESS_FULL - REDNESS_START), 0.0, 1.0
    )
    blended = pixels + (recovered - pixels) * weight[:, None]
    out[ys, xs] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return out


def red_pen_kept(
    image: np.ndarray,
    seal_free: np.ndarray,
    seals: list[tuple[int, int, int, int]],
    largest: int = 0,
    margin: float = 0.0,
    words: tuple[int, int] | None = None,
) -> np.ndarray:
    """The seal-free image with the red ink outside every found seal put back.

    ``remove_seal_ink`` takes every red pixel off the page, a red ballpoint's ✓ or ring
    with the seals' ink. A person reads a red ✓ in a box as the choice, so the tick-box
    readers look at this image: red ink where no seal was found (``seals``: pixel boxes,
    x0, y0, x1, y1, already widened by the caller's margin) is the page's own colour
    again; inside a seal's box it stays removed, so a seal over a box is never a tick.
    Red ink in one piece wider or taller than ``largest`` pixels (when set) is a seal's
    too, found or not (a seal's ring, a red masthead: a pen's ✓ is a few millimetres):
    its box, widened by ``margin`` of its size, stays seal-free with its lettering inside.
    Such a piece as tall as a line of type and no taller (``words``: its least and most
    height, pixels) is words printed in red, the chosen option's words coloured in Word,
    not a seal: a seal's ring is as tall as it is wide.

    Args:
        image: the RGB uint8 page, colour as scanned.
        seal_free: ``remove_seal_ink(image)``.
        seals: where red ink is a seal's (pixel boxes).
        largest: red ink in a piece larger than this (pixels) is a seal's; 0: no limit.
        margin: the share of such a piece's size its box is widened by.
        words: a piece longer than ``largest`` whose height lies in this range (pixels)
            is a line of red type and kept; None: none is.

    Returns:
        A new RGB uint8 page; ``seal_free`` unchanged (a copy) for a greyscale page.
    """
    check_rgb(image)
    out = seal_free.copy()
    if is_greyscale(image):
        return out
    redness = _redness(image)
    red = cv2.threshold(redness, REDNESS_START, 255, cv2.THRESH_BINARY)[1]
    if not cv2.countNonZero(red):
        return out
    keep_out = list(seals)
    if largest > 0:
        # pieces measured on a quarter-size mask (each cell red if any pixel is: strokes a
        # pixel or two apart joined), fast on a whole page; where the paper itself reads
        # red (a warm cast on a phone photo lifts its redness past ``REDNESS_START`` over
        # a tenth of the page: one piece the size of the page, every red ✓ and red word
        # kept off), of clearly red ink only (``MASK_REDNESS``)
        cast = cv2.countNonZero(red) > CAST_SHARE * red.size
        clear = cv2.threshold(redness, MASK_REDNESS - 1, 255, cv2.THRESH_BINARY)[1] if cast else red
        g = PIECE_GRID_PX
        height, width = red.shape
        small = cv2.resize(
            clear[: height // g * g, : width // g * g],
            (width // g, height // g),
            interpolation=cv2.INTER_AREA,
        )
        joined = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY)[1]
        stats = cv2.connectedComponentsWithStats(joined, connectivity=8)[2]
        for x, y, w, h, _ in (stats[1:] * g).tolist():
            typed = words is not None and words[0] <= h <= words[1]
            if max(w, h) > largest and not typed:
                dx, dy = round(margin * w), round(margin * h)
                keep_out.append((x - dx - g, y - dy - g, x + w + dx + g, y + h + dy + g))
    for x0, y0, x1, y1 in keep_out:
        red[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)] = 0
    cv2.copyTo(image, red, out)
    return out


def paper_relative_shares(image: np.ndarray, window_px: int) -> Planes:
    """Each channel as a share of the local paper's level in it: three float32 (H, W)
    planes, R, G, B, 0-1 (kept apart: every measure below works plane by plane).

    The paper's level is the brightest value within ``window_px``, smoothed, so a colour
    cast, uneven light across a phone photo or tinted security paper (green tickets,
    yellowed copies) cancel out: paper becomes (1, 1, 1) wherever it is. Ink then keeps
    the shares of the channels it does not absorb: red seal ink its red, blue ink its
    blue, black print none.

    Args:
        image: RGB uint8 page (best at the detection's work scale: this is per pixel).
        window_px: Wider than the broadest ink stroke (a seal's ring, its star's arms),
            narrow enough to follow the light across the page.
    """
    check_rgb(image)
    h, w = image.shape[:2]
    # The paper level is smooth: find it at a quarter of the size (4x fewer pixels to
    # dilate), then bring it back up.
    factor = 4 if min(h, w) >= 64 else 1
    small = cv2.resize(
        image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA
    )
    k = max(3, (window_px // factor) | 1)
    paper = cv2.blur(cv2.dilate(small, np.ones((k, k), np.uint8)), (k, k))
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    # Per plane in float32 with OpenCV (the same float32 arithmetic as the array form,
    # without its (H, W, 3) temporaries); both images split once.
    papers, inks = cv2.split(paper), cv2.split(image)
    planes = []
    for channel in range(3):
        level = cv2.max(papers[channel].astype(np.float32), 16.0)
        share = cv2.divide(inks[channel].astype(np.float32), level)
        planes.append(cv2.min(share, 1.0))
    return planes[0], planes[1], planes[2]


def hue_share(shares: Planes, channel: int) -> tuple[np.ndarray, np.ndarray]:
    """How much one channel stands out of the other two in paper-relative ``shares``:
    ``(excess, share)``, the channel's share minus the larger of the others' (about 0
    on paper and black print, well above on ink of that colour, below 0 on ink of
    another) and the channel's share itself (low: dark, print)."""
    share = shares[channel]
    others = [shares[c] for c in range(3) if c != channel]
    excess: np.ndarray = cv2.subtract(share, cv2.max(others[0], others[1]))
    return excess, share


def paper_relative_redness(image: np.ndarray, window_px: int) -> tuple[np.ndarray, np.ndarray]:
    """How red each pixel is against the paper around it, whatever the paper's colour.

    Seal ink of any red, from pink and orange-red to maroon on green paper, keeps its
    red share and loses green and blue against its paper (``paper_relative_shares``);
    black print loses all three alike, blue ink its red.

    Args:
        image: RGB uint8 page (best at the detection's work scale: this is per pixel).
        window_px: Wider than the broadest ink stroke (a seal's ring, its star's arms),
            narrow enough to follow the light across the page.

    Returns:
        ``(redness, red_share)``, float32 (H, W): red share minus the larger of the green
        and blue shares (about 0 on paper and print, 0.15-0.7 on seal ink, below 0 on
        blue ink), and the red channel as a share of the paper's (under 0.4: print).
    """
    return hue_share(paper_relative_shares(image, window_px), 0)


def relative_darkness(shares: Planes) -> tuple[np.ndarray, np.ndarray]:
    """How dark and colourless each pixel is in paper-relative ``shares``: ``(darkness,
    spread)``, one minus the largest share (0 on paper, near 1 on black ink) and the
    spread between the largest and smallest share (colour: near 0 on black and grey
    ink, large on red or blue ink)."""
    # Channel by channel (OpenCV): numpy's reduction over the last axis is ~20x slower.
    red, green, blue = shares
    top = cv2.max(cv2.max(red, green), blue)
    darkness: np.ndarray = 1.0 - top
    spread: np.ndarray = cv2.subtract(top, cv2.min(cv2.min(red, green), blue))
    return darkness, spread
