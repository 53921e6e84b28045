"""Tests for the ink marks (seal, handwriting, tick) and the scan simulation."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pylopdf_fonts_zh_cn
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageDraw
from shenbao_lab.generator.ink import render_handwriting, render_seal, render_tick, stamp
from shenbao_lab.generator.scanner import (
    random_profile,
    scan,
    transform_bbox,
    write_image_pdf,
)

from tests.lab.scans import dark_bbox, scan_profile

FONT_DIR = Path(pylopdf_fonts_zh_cn.__file__).parent
SERIF = FONT_DIR / "NotoSerifSC-Regular.otf"
SANS = FONT_DIR / "NotoSansSC-Regular.otf"
A4_200 = (1654, 2339)
OWNER = "贵州黔峰智能制造（集团）有限公司"


def _rng(seed: int = 7) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.fixture(scope="module")
def seal() -> Image.Image:
    return render_seal(OWNER, diameter_px=300, rng=_rng(), font_path=SERIF, bottom_text="专用章")


def test_seal_is_deterministic(seal: Image.Image) -> None:
    again = render_seal(OWNER, diameter_px=300, rng=_rng(), font_path=SERIF, bottom_text="专用章")
    assert again.tobytes() == seal.tobytes()
    other = render_seal(OWNER, diameter_px=300, rng=_rng(8), font_path=SERIF, bottom_text="专用章")
    assert other.tobytes() != seal.tobytes()


def test_seal_is_red_and_round(seal: Image.Image) -> None:
    assert seal.mode == "RGBA"
    assert seal.width == seal.height >= 300
    px = np.asarray(seal).astype(np.float64)
    alpha = px[..., 3] / 255.0
    inked = alpha > 0.3
    r, g, b = (px[..., i][inked].mean() for i in range(3))
    assert 200 <= r <= 230 and 20 <= g <= 50 and 30 <= b <= 60

    # Along most rays from the centre the ring is inked near the outer radius.
    rel = np.arange(seal.width) + 0.5 - seal.width / 2
    xx, yy = np.meshgrid(rel, rel)
    radius = np.hypot(xx, yy)
    angle = np.degrees(np.arctan2(yy, xx))
    ring = (radius > 150 - 10) & (radius < 150 + 1)
    sector = np.floor((angle + 180) / 5).astype(int) % 72
    covered = [alpha[ring & (sector == k)].max() > 0.5 for k in range(72)]
    assert sum(covered) >= 68
    assert alpha[radius > 153].max() < 0.3  # nothing outside the ring
    # Star in the centre is solid ink.
    assert alpha[radius < 10].mean() > 0.6


def test_handwriting_lines_inside_image() -> None:
    text = "经审核，该单位申报材料真实有效，符合申报条件，同意推荐。"
    img, lines = render_handwriting(text, char_px=40, max_width_px=600, rng=_rng(), font_path=SANS)
    again, lines2 = render_handwriting(
        text, char_px=40, max_width_px=600, rng=_rng(), font_path=SANS
    )
    assert img.tobytes() == again.tobytes() and lines == lines2
    assert img.mode == "RGBA" and img.width <= 600
    assert len(lines) >= 2
    assert "".join(t for t, _ in lines) == text
    alpha = np.asarray(img)[..., 3]
    previous_bottom = 0
    for line_text, (x0, y0, x1, y1) in lines:
        assert not line_text.startswith(("，", "。"))
        assert 0 <= x0 < x1 <= img.width and 0 <= y0 < y1 <= img.height
        assert alpha[y0:y1, x0:x1].max() > 200
        assert (y0 + y1) / 2 > previous_bottom  # lines go down the page
        previous_bottom = (y0 + y1) / 2
    ink = np.asarray(img)[alpha > 128][:, :3].mean(axis=0)
    assert ink[2] > ink[0] + 30  # blue-black


def test_tick() -> None:
    tick = render_tick(40, _rng())
    assert tick.size == (40, 40) and tick.mode == "RGBA"
    assert tick.tobytes() == render_tick(40, _rng()).tobytes()
    alpha = np.asarray(tick)[..., 3]
    assert 0.04 < (alpha > 128).mean() < 0.4


def test_stamp_multiplies_and_reports_bbox(seal: Image.Image) -> None:
    page = Image.new("RGB", (800, 600), "white")
    ImageDraw.Draw(page).rectangle((350, 290, 450, 310), fill="black")
    out, bbox = stamp(page, seal, center=(400, 300), angle_deg=20, rng=_rng())
    assert out.mode == "RGB" and out.size == page.size
    arr = np.asarray(out).astype(int)
    assert arr[300, 350:450].max() < 40  # print under the ink stays dark
    x0, y0, x1, y1 = bbox
    assert abs((x0 + x1) / 2 - 400) <= 3 and abs((y0 + y1) / 2 - 300) <= 3
    assert 290 <= x1 - x0 <= 320 and 290 <= y1 - y0 <= 320
    outside = np.ones(arr.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert arr[outside].min() >= 254
    reds = arr[y0:y1, x0:x1][(arr[y0:y1, x0:x1, 0] > 150) & (arr[y0:y1, x0:x1, 1] < 120)]
    assert len(reds) > 3000  # white paper turned red

    # Ink hanging over the edge is clipped; ink off the page gives an empty box.
    _, clipped = stamp(page, seal, center=(790, 10), angle_deg=0, rng=_rng())
    assert clipped[2] == 800 and clipped[1] == 0
    assert stamp(page, seal, center=(-500, -500), angle_deg=0, rng=_rng())[1] == (0, 0, 0, 0)


def test_random_profile_ranges() -> None:
    rng = _rng()
    for _ in range(50):
        p = random_profile(rng)
        assert abs(p.skew_deg) <= 1.5 and 50 <= p.jpeg_quality <= 75
        d = random_profile(rng, degraded=True, greyscale=True, upside_down=True)
        assert abs(d.skew_deg) <= 3.0 and d.jpeg_quality < 50
        assert d.greyscale and d.upside_down
        assert d.noise_sigma > p.noise_sigma or d.blur_radius > p.blur_radius


def test_scan_is_deterministic_and_fast_enough() -> None:
    page = Image.new("RGB", A4_200, "white")
    ImageDraw.Draw(page).rectangle((200, 300, 900, 400), fill="black")
    profile = random_profile(_rng(), degraded=True)
    first = scan(page, profile, _rng(3))
    assert first.size == A4_200 and first.mode == "RGB"
    assert first.tobytes() == scan(page, profile, _rng(3)).tobytes()
    grey = scan(page, profile.model_copy(update={"greyscale": True}), _rng(3))
    assert grey.mode == "L" and grey.size == A4_200


@pytest.mark.parametrize(
    ("skew", "offset", "upside_down"),
    [(0.0, (0, 0), False), (2.5, (7, -4), False), (-1.7, (-5, 9), True), (0.0, (3, 3), True)],
)
def test_transform_bbox_agrees_with_scan(
    skew: float, offset: tuple[int, int], upside_down: bool
) -> None:
    size = (900, 1200)
    box = (150, 200, 520, 330)
    page = Image.new("RGB", size, "white")
    ImageDraw.Draw(page).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill="black")
    profile = scan_profile(skew_deg=skew, offset_px=offset, upside_down=upside_down)
    scanned = scan(page, profile, _rng())
    expected = transform_bbox(box, size, profile)
    assert np.allclose(dark_bbox(scanned), expected, atol=3)


def test_upside_down_turns_the_page() -> None:
    page = Image.new("RGB", (400, 600), "white")
    ImageDraw.Draw(page).rectangle((10, 20, 59, 49), fill="black")  # near the top left
    scanned = scan(page, scan_profile(upside_down=True), _rng())
    assert dark_bbox(scanned) == (400 - 60, 600 - 50, 400 - 10, 600 - 20)
    assert transform_bbox((10, 20, 60, 50), (400, 600), scan_profile(upside_down=True)) == (
        340.0,
        550.0,
        390.0,
        580.0,
    )


def _raw_images(pdf: pdfium.PdfDocument) -> list[bytes]:
    out = []
    for page in pdf:
        (obj,) = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
        assert obj.get_filters() == ["DCTDecode"]
        out.append(bytes(obj.get_data(decode_simple=False)))
    return out


def test_write_image_pdf(tmp_path: Path) -> None:
    colour = Image.new("RGB", A4_200, (250, 248, 240))
    ImageDraw.Draw(colour).rectangle((100, 100, 600, 200), fill=(200, 30, 40))
    grey = Image.new("L", A4_200, 235)
    pages = [colour, grey]
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    write_image_pdf(pages, first, dpi=200, jpeg_quality=[70, 60])
    write_image_pdf(pages, second, dpi=200, jpeg_quality=[70, 60])
    assert first.read_bytes() == second.read_bytes()
    assert b"CreationDate" not in first.read_bytes()

    pdf = pdfium.PdfDocument(first)
    try:
        assert len(pdf) == 2
        for page in pdf:
            w_pt, h_pt = page.get_size()
            assert abs(w_pt - 595.28) < 1 and abs(h_pt - 841.89) < 1  # A4
            assert page.get_textpage().count_chars() == 0  # no text layer
            bitmap = page.render(scale=200 / 72).to_pil()
            assert abs(bitmap.width - A4_200[0]) <= 1 and abs(bitmap.height - A4_200[1]) <= 1
        modes = [Image.open(io.BytesIO(data)).mode for data in _raw_images(pdf)]
        assert modes == ["RGB", "L"]
        rendered = pdf[0].render(scale=200 / 72).to_pil().convert("RGB")
        assert rendered.getpixel((300, 150))[0] > 150 > rendered.getpixel((300, 150))[1]
    finally:
        pdf.close()
