"""Cutting real impressions out: red ink as alpha, print under it not cut along."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shenbao_lab.generator.real_images import Place, RealSeal, load_real_images
from shenbao_lab.generator.seal_cutouts import CutOut, Skipped, cut_out, cut_outs

from pipeline.errors import InputError
from tests.lab.tiny_real import PAPER, RING, SIZE, print_rows, red_seal, write_real_folder


def _seal(place: Place) -> RealSeal:
    return RealSeal(shape="round", colour="red", text=None, text_kind=None, place=place)


def _drawn() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    image = np.full((SIZE, SIZE, 3), PAPER, dtype=np.uint8)
    printed = print_rows(image)
    ink = red_seal(image)
    return image, printed, ink


def test_the_red_ink_is_the_alpha_and_the_print_under_it_is_not() -> None:
    image, printed, ink = _drawn()
    cx, cy, radius, _ = RING
    place = Place(cx=cx / SIZE, cy=cy / SIZE, rx=radius / SIZE, ry=radius / SIZE)
    cut = cut_out(image, _seal(place), "drawn#1")
    assert isinstance(cut, CutOut)
    # The cut-out's frame: the grown ellipse's box from its top-left corner.
    x0 = y0 = round(cx - radius * 1.25)
    alpha = np.zeros((SIZE, SIZE), dtype=np.float32)
    h, w = cut.alpha.shape
    alpha[y0 : y0 + h, x0 : x0 + w] = cut.alpha
    assert alpha[ink & ~printed].mean() > 0.8  # the seal's own ink
    print_only = printed & ~ink
    print_only[:, : cx - radius + 20] = False  # inside the ring, clear of it
    print_only[:, cx + radius - 20 :] = False
    assert alpha[print_only].mean() < 0.05  # the text under the seal is not cut along
    assert alpha[ink & printed].mean() > 0.5  # where print hid the ink, filled in
    # The ink's colour: red let through, green and blue absorbed.
    r, g, b = cut.colour
    assert r > 0.85 and g < 0.4 and b < 0.4
    # The outline is the ring's outer edge, centred on the seal.
    assert cut.axes[0] == pytest.approx(radius, rel=0.06)
    assert cut.axes[1] == pytest.approx(radius, rel=0.06)
    assert (x0 + cut.centre[0], y0 + cut.centre[1]) == pytest.approx((cx, cy), abs=3)


def test_a_seal_cut_by_the_edge_or_mostly_print_is_skipped() -> None:
    image, _, _ = _drawn()
    off = Place(cx=0.05, cy=0.5, rx=0.2, ry=0.2)
    assert "edge" in _skipped(cut_out(image, _seal(off), "drawn#1"))
    dark = np.full((SIZE, SIZE, 3), PAPER, dtype=np.uint8)
    dark[100:300, 100:300] = (30, 30, 30)
    red_seal(dark)  # over solid print the ring is no longer red
    centre = Place(cx=0.5, cy=0.5, rx=0.3, ry=0.3)
    assert "other ink" in _skipped(cut_out(dark[:, :, :], _seal(centre), "drawn#1"))


def _skipped(result: CutOut | Skipped) -> str:
    assert isinstance(result, Skipped)
    return result.reason


def test_a_folder_is_cut_by_its_labels(tmp_path: Path) -> None:
    folder = write_real_folder(tmp_path / "real")
    images = {i.file: i for i in load_real_images(folder)}
    assert images["blank.png"].negative and not images["blank.png"].seals
    made, skipped = cut_outs(folder)
    assert [c.source for c in made] == ["seal.png#1"] and not skipped
    assert made[0].text == "测试有限公司 / 专用章"  # published: carried to the stamps' truth
    assert made[0].rgba().mode == "RGBA"


def test_labels_without_places_fail_in_one_line(tmp_path: Path) -> None:
    folder = write_real_folder(tmp_path / "real")
    (folder / "places.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="1 seals, 0 places"):
        load_real_images(folder)
