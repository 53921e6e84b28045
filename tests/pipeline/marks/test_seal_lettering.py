"""A seal's lettering: the ring (the owner), the inner lines and the serial number
(pipeline/marks/seal_lettering.py)."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz import fuzz
from shenbao_lab.generator.fonts import fonts
from shenbao_lab.generator.ink import render_seal, stamp

from pipeline.marks.seal_impressions import SealCandidate, detect_seals
from pipeline.marks.seal_lettering import (
    Lettering,
    _ink_image,
    _recognize,
    _ring,
    read_lettering,
)
from pipeline.model import SealMark, TextLine
from pipeline.ocr.engine import OcrEngine, OcrSettings
from pipeline.ocr.registry import create_engine
from tests.rulebook import RULES

SEALS = RULES.seal_detection
DPI = 200.0
MM = DPI / 25.4
OWNER = "贵阳都匀农产品开发研究院有限公司"
INNER = "发票专用章"
CODE = "5263647368706"
REAL = Path(__file__).resolve().parents[1] / "real"


@cache
def _engine() -> OcrEngine:
    return create_engine(OcrSettings())


class _Counting:
    """The real engine, counting its passes."""

    name = "counting"
    fingerprint = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        self.calls += 1
        return _engine().recognize(image)


def _seal_with_inner_line_and_serial(seed: int) -> Image.Image:
    """A generated round seal, an inner line under the star and a serial number along the
    bottom of the ring, its digits facing the centre (as real invoice seals have them)."""
    rng = np.random.default_rng(seed)
    diameter = round(42 * MM)
    seal = render_seal(OWNER, diameter_px=diameter, rng=rng, font_path=fonts().song_otf)
    radius = diameter / 2
    alpha = seal.getchannel("A")
    centre = seal.width / 2
    font_path = str(fonts().song_otf)
    # the inner line, 0.3-0.5 of the radius under the centre
    inner_font = ImageFont.truetype(font_path, round(0.17 * radius))
    ImageDraw.Draw(alpha).text(
        (centre, centre + 0.41 * radius), INNER, font=inner_font, fill=230, anchor="mm"
    )
    # the serial, left to right over 80 degrees of the bottom, tops towards the centre
    digit_font = ImageFont.truetype(font_path, round(0.13 * radius))
    for i, digit in enumerate(CODE):
        theta = 90.0 + 40.0 - 80.0 * i / (len(CODE) - 1)  # clockwise from +x, screen
        glyph = Image.new("L", (64, 64), 0)
        ImageDraw.Draw(glyph).text((32, 32), digit, font=digit_font, fill=230, anchor="mm")
        glyph = glyph.rotate(90.0 - theta, resample=Image.Resampling.BICUBIC)
        x = centre + 0.8 * radius * math.cos(math.radians(theta))
        y = centre + 0.8 * radius * math.sin(math.radians(theta))
        box = (round(x) - 32, round(y) - 32)
        alpha.paste(glyph, box, glyph)
    seal.putalpha(alpha)
    return seal


def _page_with(seal: Image.Image, angle: float, seed: int) -> Image.Image:
    page = Image.new("RGB", (900, 900), (250, 250, 247))
    stamped, _ = stamp(
        page, seal, center=(450.0, 450.0), angle_deg=angle, rng=np.random.default_rng(seed)
    )
    return stamped


@pytest.mark.parametrize(
    ("angle", "mirrored"), [(0.0, False), (125.0, False), (-150.0, False), (30.0, True)]
)
def test_ring_inner_line_and_serial_are_read_whichever_way_the_stamp_was_turned(
    angle: float, mirrored: bool
) -> None:
    page = _page_with(_seal_with_inner_line_and_serial(seed=5), angle, seed=5)
    if mirrored:  # seen through the paper
        page = page.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = np.asarray(page)
    (seal,) = detect_seals(image, DPI, SEALS)
    engine = _Counting()
    found = read_lettering(_ink_image(image), seal, engine, SEALS)  # type: ignore[arg-type]
    assert fuzz.ratio(found.text, OWNER) >= 90, found
    assert found.confidence >= 0.8
    assert found.inner == INNER and found.inner_confidence >= 0.8, found
    assert found.code == CODE and found.code_confidence >= 0.8, found
    assert found.mirrored is mirrored
    # the ring once (twice when it must be read again mirrored), the inner line and the
    # serial together once more
    assert engine.calls == found.ocr_calls <= (3 if mirrored else 2), found


def test_the_seal_01_owner_inner_line_and_serial_are_read_from_where_it_lies() -> None:
    """The PaddleX demo seal (seal-01 in tests/pipeline/real, marked by eye in
    places.json): the published text 天津君和缘商贸有限公司 / 发票专用章 / 吗繁物 /
    5263647368706. Its serial fills the gap under the name: read apart, not as part of it."""
    name = "seal-01-paddle-demo-invoice-seal-round-crop.png"
    image = np.asarray(Image.open(REAL / name).convert("RGB"))
    h, w = image.shape[:2]
    ((cx, cy, rx, ry),) = json.loads((REAL / "places.json").read_text(encoding="utf-8"))[name]
    seal = SealCandidate(
        centre=(cx * w, cy * h),
        axes=(rx * w, ry * h),
        angle_deg=0.0,
        shape="round",
        colour="red",
        confidence=0.9,
        ring_coverage=0.9,
        star=True,
    )
    found = read_lettering(_ink_image(image), seal, _engine(), SEALS)
    assert found.text == "天津君和缘商贸有限公司", found
    assert found.inner.split()[0] == "发票专用章", found
    assert found.code == "5263647368706", found
    # The ring, the ring once more centred on the name (the tight reading also reads a
    # short line of specks under it to the strip's end), the inner lines and serial: no
    # mirrored pass.
    assert found.ocr_calls <= 3 and not found.mirrored, found


# --- without the OCR ----------------------------------------------------------------------

_STRIP, _PAD = 648, 16  # a 360-degree strip and the paper round it
_WIDTH = _STRIP + 2 * _PAD


def _line(text: str, x0: float, x1: float, y0: float = 14, y1: float = 70) -> TextLine:
    h = 96
    return TextLine(text=text, bbox=(x0 / _WIDTH, y0 / h, x1 / _WIDTH, y1 / h), confidence=0.9)


def test_the_serial_read_upside_down_is_left_out_of_the_name() -> None:
    # seal-01 as the OCR read its strip from 20 degrees: the upside-down serial as '八分'
    # next to the name
    lines = [_line("天津君和缘商贸有限公司", 275, 640), _line("八分", 13, 272, 30, 80)]
    ring = _ring(lines, _PAD, _WIDTH, _STRIP, 20.0, SEALS)
    assert ring is not None and ring.text == "天津君和缘商贸有限公司" and not ring.cut
    assert abs(ring.middle_deg - 270.0) < 10  # the name's middle is at the top


def test_a_name_over_the_strip_ends_is_put_together_and_marked_cut() -> None:
    lines = [_line("有限公司", 16, 160), _line("天津君和缘商贸", 420, 664)]
    ring = _ring(lines, _PAD, _WIDTH, _STRIP, 0.0, SEALS)
    assert ring is not None and ring.text == "天津君和缘商贸有限公司" and ring.cut


def test_old_page_records_load_without_inner_and_code() -> None:
    mark = SealMark.model_validate(
        {"bbox": [0.1, 0.1, 0.3, 0.3], "shape": "round", "colour": "red", "confidence": 0.9}
    )
    assert (mark.inner, mark.inner_confidence, mark.code, mark.code_confidence) == (
        "",
        0.0,
        "",
        0.0,
    )
    assert Lettering().text == ""


class _Saying:
    """An engine that reads the same line off any image, counting its passes."""

    name = "saying"
    fingerprint = "saying"

    def __init__(self, text: str, confidence: float) -> None:
        self.line = TextLine(text=text, bbox=(0.3, 0.3, 0.6, 0.7), confidence=confidence)
        self.calls = 0

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        self.calls += 1
        return (self.line,)


@cache
def _stamped_seal() -> tuple[np.ndarray, SealCandidate]:
    image = np.asarray(_page_with(_seal_with_inner_line_and_serial(seed=5), 0.0, seed=5))
    (seal,) = detect_seals(image, DPI, SEALS)
    return _ink_image(image), seal


@pytest.mark.parametrize(
    ("text", "confidence", "calls", "kept"),
    [
        # letters only round the ring: no name, so no inner/serial pass either
        ("AB1", 0.9, 1, ""),
        # too short a reading for a mirrored name: not retried mirrored
        ("A", 0.5, 1, ""),
        # an unsure reading of letters and digits only (a serial, specks): a mirrored
        # name reads as hanzi, so not retried mirrored
        ("A3223682681", 0.53, 1, ""),
        ("2596914822", 0.53, 1, ""),
        # an unsure name with its legal form in reading order: not mirrored, inner read
        ("天津某商贸有限公司", 0.6, 2, "天津某商贸有限公司"),
        # an unsure reading of hanzi without one (a mirrored name reads so): retried
        ("后公育总突武开品", 0.6, 3, "后公育总突武开品"),
    ],
)
def test_passes_are_spent_only_where_they_can_change_the_reading(
    text: str, confidence: float, calls: int, kept: str
) -> None:
    ink, seal = _stamped_seal()
    engine = _Saying(text, confidence)
    found = read_lettering(ink, seal, engine, SEALS)  # type: ignore[arg-type]
    assert found.text == kept, found
    assert engine.calls == found.ocr_calls == calls, found


class _Seeing(_Saying):
    """``_Saying`` that keeps the images it was given."""

    def __init__(self) -> None:
        super().__init__("发票专用章", 0.9)
        self.images: list[np.ndarray] = []

    def recognize(self, image: np.ndarray) -> tuple[TextLine, ...]:
        self.images.append(image)
        return super().recognize(image)


def test_the_paper_round_an_image_read_is_a_quarter_of_its_height_at_most_the_cap() -> None:
    engine = _Seeing()
    strip = np.full((64, 400), 255, np.uint8)
    stack = np.full((300, 270), 255, np.uint8)  # the inner lines and serial stacked
    _, strip_pad, _ = _recognize(engine, strip, SEALS)  # type: ignore[arg-type]
    _, stack_pad, width = _recognize(engine, stack, SEALS)  # type: ignore[arg-type]
    assert SEALS.lettering_pad_px == 16
    assert strip_pad == 16 and stack_pad == 16  # not 300 // 4
    assert engine.images[1].shape[:2] == (300 + 32, 270 + 32) and width == 270 + 32
    uncapped = SEALS.model_copy(update={"lettering_pad_px": 0})
    assert _recognize(engine, stack, uncapped)[1] == 75  # type: ignore[arg-type]


def test_a_name_keeps_the_hanzi_between_its_ends() -> None:
    # a tight reading reads the serial's last digits and a speck beside the name surely
    lines = [_line("7.天津君和缘商贸有限公司3", 255, 640)]
    ring = _ring(lines, _PAD, _WIDTH, _STRIP, 20.0, SEALS)
    assert ring is not None and ring.text == "天津君和缘商贸有限公司"
    lines = [_line("力直当网信息技术(眉山)有限公", 200, 640)]  # marks inside are kept
    ring = _ring(lines, _PAD, _WIDTH, _STRIP, 20.0, SEALS)
    assert ring is not None and ring.text == "力直当网信息技术(眉山)有限公"


class _SayingTightly(_Saying):
    """``_Saying`` with a tight reading (``TightReader``) that says something else."""

    def __init__(self) -> None:
        super().__init__("页上的字", 0.95)
        self.tight = 0
        self.det_scales: list[float] = []

    def recognize_tight(self, image: np.ndarray, det_scale: float = 1.0) -> tuple[TextLine, ...]:
        self.tight += 1
        self.det_scales.append(det_scale)
        return (self.line.model_copy(update={"text": "天津某商贸有限公司"}),)


@pytest.mark.parametrize("tight", [True, False])
def test_the_lettering_is_read_tightly_when_the_rules_say_so(tight: bool) -> None:
    ink, seal = _stamped_seal()
    engine = _SayingTightly()
    rules = SEALS.model_copy(update={"tight_lines": tight})
    found = read_lettering(ink, seal, engine, rules)  # type: ignore[arg-type]
    assert found.text == ("天津某商贸有限公司" if tight else "页上的字"), found
    assert (engine.tight, engine.calls) == ((found.ocr_calls, 0) if tight else (0, found.ocr_calls))
    # the lines found on a copy scaled as the rules say: the ring's strip by ring_det_scale,
    # the inner lines and serial by lettering_det_scale
    if tight:
        assert found.ocr_calls == 2, found
        assert engine.det_scales == [SEALS.ring_det_scale, SEALS.lettering_det_scale]
    else:
        assert engine.det_scales == []
    assert SEALS.ring_det_scale < SEALS.lettering_det_scale < 1.0
