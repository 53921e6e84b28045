"""The sampling helpers of ``seal_outlines``: the same figures as the numpy calls they
stand in for (they only save numpy's Python wrappers on thousands of calls a page)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.marks.seal_outlines import clipped, share_in_view, spaced, thin_band_peak


def test_spaced_is_linspace_made_once_and_read_only() -> None:
    values = spaced(0.7, 1.3, 31)
    assert np.array_equal(values, np.linspace(0.7, 1.3, 31))
    assert spaced(0.7, 1.3, 31) is values
    with pytest.raises(ValueError):
        values[0] = 0.0


def test_clipped_is_np_clip() -> None:
    index = np.array([[-5, 0, 3], [9, 10, 11]], np.int64)
    expected = np.clip(index, 0, 9)
    assert np.array_equal(clipped(index.copy(), 9), expected)


def test_share_in_view_is_the_mean_of_the_directions_seen() -> None:
    rng = np.random.default_rng(16)
    hit = rng.random(120) < 0.4
    view = rng.random(120) < 0.7
    assert share_in_view(hit, None) == float(hit.mean())
    assert share_in_view(hit, view) == float(hit[view].mean())
    assert share_in_view(hit, np.zeros(120, bool)) == 0.0


def test_thin_band_peak_finds_the_ring_line() -> None:
    # A ring one pixel wide at radius 40: the thin band through it is full, a band
    # that misses it is empty.
    mask = np.zeros((101, 101), bool)
    yy, xx = np.mgrid[0:101, 0:101]
    mask[np.abs(np.hypot(xx - 50.0, yy - 50.0) - 40.0) < 0.8] = True
    full = thin_band_peak(mask, (50.0, 50.0), (40.0, 40.0), 0.0, False, (0.9, 1.1), 0.05, 72)
    off = thin_band_peak(mask, (50.0, 50.0), (30.0, 30.0), 0.0, False, (0.9, 1.1), 0.05, 72)
    assert full == 1.0
    assert off == 0.0
