"""Seal detection on constructed scenes that real documents bring (issue 16): seals that
overlap, are cut by the edge, fill a crop, are pale, lie on tinted paper under uneven light;
and red marks that are not seals. Built with the lab's seal renderer, so that what the
real images in ``tests/pipeline/real`` taught is checked on more than those images."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from shenbao_lab.generator.fonts import fonts
from shenbao_lab.generator.ink import render_seal, stamp

from pipeline.errors import ConfigError
from pipeline.marks.seal_impressions import SealCandidate, detect_seals
from pipeline.rulebook import load_rules
from rules import RULES_DIR
from tests.rulebook import RULES, rules_folder

DPI = 200.0
MM = DPI / 25.4
W, H = 1654, 2339  # A4 at 200 dpi
OWNER = "贵州省工业和信息化厅"
SEALS = RULES.seal_detection


def _page(paper: tuple[int, int, int] = (250, 250, 247)) -> Image.Image:
    page = Image.new("RGB", (W, H), paper)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(fonts().song_otf), 34)
    for i in range(14):
        draw.text(
            (160, 300 + 120 * i),
            "申报单位（盖章）：贵州省特色食品制造业创新中心",
            font=font,
            fill=(25, 25, 25),
        )
    return page


def _ink(
    seed: int, diameter_mm: float = 42.0, colour: tuple[int, int, int] | None = None
) -> Image.Image:
    rng = np.random.default_rng(seed)
    ink = render_seal(
        OWNER, diameter_px=round(diameter_mm * MM), rng=rng, font_path=fonts().song_otf
    )
    if colour is not None:
        solid = Image.new("RGBA", ink.size, (*colour, 255))
        solid.putalpha(ink.getchannel("A"))
        ink = solid
    return ink


def _stamped(
    page: Image.Image, centre: tuple[float, float], seed: int, **kwargs: object
) -> Image.Image:
    opacity = float(kwargs.pop("opacity", 0.9))  # type: ignore[arg-type]
    ink = _ink(seed, **kwargs)  # type: ignore[arg-type]
    out, _ = stamp(
        page,
        ink,
        center=centre,
        angle_deg=17.0 * seed,
        rng=np.random.default_rng(seed),
        opacity=opacity,
    )
    return out


def _near(
    found: list[SealCandidate], centre: tuple[float, float], radius: float
) -> list[SealCandidate]:
    return [
        s
        for s in found
        if math.hypot(s.centre[0] - centre[0], s.centre[1] - centre[1]) < 0.25 * radius
    ]


def test_two_seals_stamped_half_over_each_other_are_two() -> None:
    radius = 21 * MM
    a, b = (600.0, 1200.0), (600.0 + 1.3 * radius, 1230.0)
    page = _stamped(_stamped(_page(), a, 1), b, 2)
    found = detect_seals(np.asarray(page), DPI, SEALS)
    assert len(found) == 2, found
    for centre in (a, b):
        (seal,) = _near(found, centre, radius)
        assert seal.colour == "red" and seal.shape == "round"


def test_a_seal_cut_by_the_page_edge_is_found() -> None:
    radius = 21 * MM
    centre = (W - 0.45 * radius, 900.0)
    found = detect_seals(np.asarray(_stamped(_page(), centre, 3)), DPI, SEALS)
    assert len(found) == 1 and _near(found, centre, radius), found
    assert 0.85 * radius < max(found[0].axes) < 1.15 * radius


def test_a_seal_filling_a_crop_is_a_seal_whatever_dpi_was_guessed() -> None:
    # A 640 px crop round one seal; without a dpi the reader takes the long side for A4's.
    crop = Image.new("RGB", (640, 640), (248, 246, 240))
    ink = _ink(4, diameter_mm=600 / MM)
    crop, _ = stamp(crop, ink, center=(320.0, 330.0), angle_deg=0.0, rng=np.random.default_rng(4))
    guessed = 640 / 11.69
    found = detect_seals(np.asarray(crop), guessed, SEALS)
    assert len(found) == 1, found
    seal = found[0]
    assert (
        seal.shape == "round" and abs(seal.centre[0] - 320) < 20 and abs(seal.centre[1] - 330) < 20
    )
    assert 270 < max(seal.axes) < 330


def test_a_pale_seal_and_one_on_tinted_paper_under_uneven_light_are_found() -> None:
    radius = 21 * MM
    pale = _stamped(_page(), (700.0, 1000.0), 5, opacity=0.35)
    found = detect_seals(np.asarray(pale), DPI, SEALS)
    assert len(found) == 1 and _near(found, (700.0, 1000.0), radius), found
    # Green-tinted paper, light falling off to a third darker across the page, a warm cast.
    tinted = np.asarray(_stamped(_page(paper=(200, 230, 200)), (900.0, 1500.0), 6)).astype(
        np.float32
    )
    light = np.linspace(1.0, 0.68, W, dtype=np.float32)[None, :, None]
    cast = np.array([1.0, 0.93, 0.82], np.float32)
    photo = np.clip(tinted * light * cast, 0, 255).astype(np.uint8)
    found = detect_seals(photo, DPI, SEALS)
    assert len(found) == 1 and _near(found, (900.0, 1500.0), radius), found


def test_red_marks_that_are_not_seals_are_not_found() -> None:
    page = _page()
    draw = ImageDraw.Draw(page)
    # A marker ring drawn round a cell of black print, an orange box round a black block
    # (an annotation round a QR code), a red serial number in big type.
    draw.ellipse(
        (150, 280, 150 + 40 * MM, 280 + 30 * MM), outline=(220, 30, 40), width=round(2.5 * MM)
    )
    draw.rectangle(
        (1000, 1400, 1000 + 40 * MM, 1400 + 40 * MM), outline=(240, 140, 40), width=round(1.2 * MM)
    )
    draw.rectangle(
        (1000 + 8 * MM, 1400 + 8 * MM, 1000 + 32 * MM, 1400 + 32 * MM), fill=(20, 20, 20)
    )
    font = ImageFont.truetype(str(fonts().hei_otf), round(9 * MM))
    draw.text((200, 2000), "K051971 №0012345", font=font, fill=(210, 30, 40))
    assert detect_seals(np.asarray(page), DPI, SEALS) == []


def test_a_blue_seal_is_never_red() -> None:
    page = _stamped(_page(), (800.0, 1100.0), 7, colour=(40, 60, 170))
    assert [s for s in detect_seals(np.asarray(page), DPI, SEALS) if s.colour == "red"] == []


def test_the_new_settings_are_checked_when_loaded(tmp_path: Path) -> None:
    text = (RULES_DIR / "seal_detection.yaml").read_text(encoding="utf-8")
    for old, new, key in [
        ("outside_band: [1.12, 1.3]", "outside_band: [1.0, 1.3]", "outside_band"),
        ("ink_redness: [0.035, 0.12]", "ink_redness: [0.12, 0.035]", "ink_redness"),
        ("long_axis_share: [0.07, 1.1]", "long_axis_share: [0.07, 3.0]", "long_axis_share"),
        ("[148, 210]", "[210, 148]", "paper_sizes_mm"),
    ]:
        assert old in text, old
        folder = rules_folder(tmp_path / key, {"seal_detection.yaml": text.replace(old, new)})
        with pytest.raises(ConfigError, match=key):
            load_rules(folder)
