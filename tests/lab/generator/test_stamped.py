"""Stamping real impressions with truth: the ellipse is where the ink landed, the ink only
darkens, and a seed makes the same set."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from shenbao_lab.generator.seal_cutouts import CutOut
from shenbao_lab.generator.stamped import (
    _Plan,
    _put,
    _truths,
    ellipse_box,
    generate_stamped,
    load_stamped,
)

from pipeline.errors import InputError
from tests.lab.tiny_real import write_real_folder


def _ring_cut(a: float = 60.0, b: float = 40.0) -> CutOut:
    """An oval ring, its outline off the cut-out's centre (as a real cut-out may be)."""
    alpha = np.zeros((110, 150), dtype=np.float32)
    centre = (70.0, 58.0)
    cv2.ellipse(alpha, (70, 58), (round(a) - 3, round(b) - 3), 0, 0, 360, 1.0, 6)
    return CutOut(
        source="drawn#1",
        alpha=alpha,
        colour=(0.95, 0.2, 0.2),
        centre=centre,
        axes=(a, b),
        angle_deg=0.0,
        shape="oval",
        colour_name="red",
        text=None,
        print_share=0.0,
    )


def _page(rng: np.random.Generator) -> Image.Image:
    page = np.full((500, 700, 3), 235, dtype=np.uint8)
    page[::7] = rng.integers(0, 255, (page[::7].shape), dtype=np.uint8)  # print of any colour
    return Image.fromarray(page)


@pytest.mark.parametrize("rotation", [0.0, 30.0, 115.0])
def test_the_truth_ellipse_is_where_the_ink_landed(rotation: float) -> None:
    rng = np.random.default_rng(3)
    plan = _Plan(_ring_cut(), (300.0, 240.0), 90.0, rotation, 1.0, 0.0)
    page = _page(rng)
    stamped = np.asarray(_put(page, plan, rng)).astype(np.float32)
    before = np.asarray(page).astype(np.float32)
    (truth,) = _truths([plan], page.size, [(plan.centre, plan.angle_deg)])
    # Ink: green taken away where red is kept.
    ys, xs = np.nonzero(before[..., 1] - stamped[..., 1] > 60)
    t = math.radians(truth.angle_deg)
    dx, dy = xs + 0.5 - truth.centre[0], ys + 0.5 - truth.centre[1]
    u = dx * math.cos(t) + dy * math.sin(t)
    v = -dx * math.sin(t) + dy * math.cos(t)
    radius = np.hypot(u / truth.axes[0], v / truth.axes[1])
    assert 0.85 < np.median(radius) < 1.0  # on the ring, just inside the outline
    assert radius.max() < 1.05
    assert truth.axes == pytest.approx((90.0, 60.0))
    assert not truth.edge_cut and not truth.overlap


def test_the_ink_multiplies_it_never_lightens() -> None:
    rng = np.random.default_rng(5)
    page = _page(rng)
    plan = _Plan(_ring_cut(), (320.0, 250.0), 120.0, 40.0, 0.9, 0.3)
    stamped = np.asarray(_put(page, plan, rng)).astype(int)
    assert (stamped <= np.asarray(page).astype(int)).all()
    assert (stamped < np.asarray(page).astype(int)).any()


def test_edge_and_overlap_are_measured_on_the_outlines() -> None:
    cut = _ring_cut()
    size = (700, 500)
    edge = _Plan(cut, (30.0, 250.0), 90.0, 0.0, 1.0, 0.0)
    left = _Plan(cut, (300.0, 250.0), 90.0, 0.0, 1.0, 0.0)
    right = _Plan(cut, (300.0 + 150.0, 250.0), 90.0, 0.0, 1.0, 0.0)  # 150 < 90 + 90
    far = _Plan(cut, (600.0, 420.0), 50.0, 0.0, 1.0, 0.0)
    plans = [edge, left, right, far]
    truths = _truths(plans, size, [(p.centre, p.angle_deg) for p in plans])
    assert [t.case for t in truths] == ["edge", "overlap", "overlap", "plain"]
    assert 0.66 < truths[0].inside < 0.76  # a third of the width off: 29% of the area
    box = ellipse_box(truths[0].centre, truths[0].axes, truths[0].angle_deg, *size)
    assert box == pytest.approx((0.0, 190.0, 120.0, 310.0))


def test_a_seed_makes_the_same_set(tmp_path: Path) -> None:
    real = write_real_folder(tmp_path / "real")
    first = generate_stamped(tmp_path / "a", 3, 11, real)
    again = generate_stamped(tmp_path / "b", 3, 11, real)
    assert first.model_dump(exclude={"real"}) == again.model_dump(exclude={"real"})
    for image in first.images:
        assert (tmp_path / "a" / image.file).read_bytes() == (
            tmp_path / "b" / image.file
        ).read_bytes()
        assert max(image.width, image.height) <= 1600 and image.stamps
        for stamp in image.stamps:
            assert stamp.source == "seal.png#1" and stamp.text == "测试有限公司 / 专用章"
    assert load_stamped(tmp_path / "a") == first
    other = generate_stamped(tmp_path / "c", 3, 12, real)
    assert other.images != first.images


def test_a_folder_without_a_set_fails_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a stamped set"):
        load_stamped(tmp_path)
