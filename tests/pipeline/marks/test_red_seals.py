"""Small generated checks of the red ring rules (pipeline/marks/red_seals.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np

from pipeline.marks.red_seals import (
    _best_circle,
    _broad,
    _check_red,
    _components,
    _fit_centred_ellipse,
    _fit_ring,
    _fuller,
    _over,
    _pair_ovals,
    _ring_fits,
    _ring_outlines,
    _searched_rings,
    _sure_seal,
    _without_rings,
    beyond_page,
    paper_tint,
    red_candidates,
)
from pipeline.marks.seal_outlines import (
    Frame,
    SealCandidate,
    band_coverage,
    starless_pieces,
    suppress,
    thin_band_peak,
)
from pipeline.rulebook.marks import SealDetection
from tests.rulebook import RULES

SEALS = RULES.seal_detection
FRAME = Frame(scale=1.0, unit=4.0, long_axis=(56.0, 224.0), min_round=112.0, by_size=True)
CENTRE = (150.0, 150.0)
RADIUS = 80.0


def _ring(
    width: float, sweep: float = 360.0, lettered: bool = False, letters_deg: int = 360
) -> np.ndarray:
    """A ring of ``width`` (share of the radius) over ``sweep`` degrees, with radial
    strokes of lettering inside over ``letters_deg`` degrees when ``lettered``."""
    mask = np.zeros((300, 300), np.uint8)
    thickness = max(1, round(width * RADIUS))
    radius = round(RADIUS - thickness / 2)
    cv2.ellipse(mask, (150, 150), (radius, radius), 0, 0, sweep, 1, thickness)
    if lettered:
        for degrees in range(0, letters_deg, 6):
            t = math.radians(degrees)
            inner = (0.55 * RADIUS, 0.72 * RADIUS)
            p0 = (round(150 + inner[0] * math.cos(t)), round(150 + inner[0] * math.sin(t)))
            p1 = (round(150 + inner[1] * math.cos(t)), round(150 + inner[1] * math.sin(t)))
            cv2.line(mask, p0, p1, 1, 2)
    return mask > 0


def _seal(mask: np.ndarray, rules: SealDetection = SEALS) -> object:
    return _check_red(CENTRE, (RADIUS, RADIUS), 0.0, False, mask, mask, mask, FRAME, rules)


def test_a_thin_lettered_ring_is_a_seal() -> None:
    assert _seal(_ring(0.06, lettered=True)) is not None


def test_a_broad_lettered_ring_is_kept() -> None:
    width = (SEALS.max_ring_width + SEALS.lettered_ring_width) / 2
    assert _seal(_ring(width, lettered=True)) is not None


def test_a_broad_ring_without_lettering_is_refused() -> None:
    width = (SEALS.max_ring_width + SEALS.lettered_ring_width) / 2
    assert _seal(_ring(width)) is None


def test_a_broad_unlettered_half_ring_is_refused() -> None:
    assert _seal(_ring(0.12, sweep=200.0)) is None


def _tinted(inside: float, outside: float) -> np.ndarray:
    """A page's ``paper_tint``: ``outside`` everywhere, ``inside`` within the ring."""
    tint = np.full((300, 300), outside, np.float32)
    cv2.circle(tint, (150, 150), round(0.9 * RADIUS), inside, -1)
    return tint


def _tinted_seal(tint: np.ndarray) -> object:
    mask = _ring(0.06, lettered=True)
    return _check_red(CENTRE, (RADIUS, RADIUS), 0.0, False, mask, mask, mask, FRAME, SEALS, tint)


def test_a_ring_round_a_block_shaded_redder_than_its_paper_is_refused() -> None:
    # Peach header cells of a table (noseal-02) whose borders look like a ring.
    assert _tinted_seal(_tinted(2 * SEALS.max_inside_tint, 0.0)) is None


def test_a_seal_on_tinted_paper_is_kept() -> None:
    # The same tint inside and round it: a seal on pink or yellowish paper.
    shade = 2 * SEALS.max_inside_tint
    assert _tinted_seal(_tinted(shade, shade)) is not None
    assert _tinted_seal(_tinted(0.0, 0.0)) is not None


def test_paper_tint_is_red_over_green_and_blue() -> None:
    page = np.array([[[255, 255, 255], [255, 235, 225], [200, 220, 255]]], np.uint8)
    tint = paper_tint(page)
    assert tint[0, 0] == 0.0
    assert abs(float(tint[0, 1]) - 20 / 255) < 1e-6
    assert tint[0, 2] < 0.0


def _crossed(mask: np.ndarray, share: float, star: bool) -> object:
    """``mask`` with radial strokes across the ring's line in ``share`` of directions (red
    glyphs an oval was fitted round: their strokes cross it), and a star when asked."""
    page = mask.astype(np.uint8)
    for degrees in np.arange(0.0, 360.0 * share, 2.0):
        t = math.radians(float(degrees))
        p0 = (round(150 + 0.7 * RADIUS * math.cos(t)), round(150 + 0.7 * RADIUS * math.sin(t)))
        p1 = (round(150 + RADIUS * math.cos(t)), round(150 + RADIUS * math.sin(t)))
        cv2.line(page, p0, p1, 1, 3)
    if star:
        cv2.circle(page, (150, 150), round(0.15 * RADIUS), 1, -1)
    return _seal(page > 0)


def test_a_ring_without_a_star_must_be_a_line_in_most_directions() -> None:
    ring = _ring(0.06, lettered=True)
    assert _crossed(ring, 0.6, star=False) is None
    assert _crossed(ring, 0.6, star=True) is not None
    assert _crossed(ring, 0.2, star=False) is not None


# A pale impression: its ring left in 0.6 of the directions (under ring_coverage, over
# partial_ring's), thin.
PARTIAL_SWEEP = 360.0 * 0.6


def test_a_partial_lettered_ring_on_clear_paper_is_a_seal() -> None:
    assert SEALS.partial_ring is not None
    assert SEALS.partial_ring.coverage < 0.6 < SEALS.ring_coverage
    assert _seal(_ring(0.06, sweep=PARTIAL_SWEEP, lettered=True)) is not None


def test_a_partial_ring_with_ink_just_outside_is_refused() -> None:
    mask = _ring(0.06, sweep=PARTIAL_SWEEP, lettered=True).astype(np.uint8)
    # Print just outside the ring (a line of red glyphs it was laid over).
    for degrees in range(0, 360, 10):
        t = math.radians(degrees)
        x, y = round(150 + 1.2 * RADIUS * math.cos(t)), round(150 + 1.2 * RADIUS * math.sin(t))
        cv2.circle(mask, (x, y), 3, 1, -1)
    assert _seal(mask > 0) is None


def test_only_a_ring_refused_for_the_ink_outside_is_marked_so() -> None:
    """``near_refused``: set for a partial ring refused for the ink just outside it (a
    check with ``partial_around`` may pass it), not for one refused for its build.
    (Print in about a fifth of the directions: clear of ``ring_contrast``, not clear
    enough for ``partial_ring.max_outside``.)"""
    mask = _ring(0.06, sweep=PARTIAL_SWEEP, lettered=True).astype(np.uint8)
    for degrees in range(0, 360, 20):
        t = math.radians(degrees)
        x, y = round(150 + 1.2 * RADIUS * math.cos(t)), round(150 + 1.2 * RADIUS * math.sin(t))
        cv2.circle(mask, (x, y), 3, 1, -1)
    page = mask > 0
    near: list[bool] = []
    args = (CENTRE, (RADIUS, RADIUS), 0.0, False, page, page, page, FRAME, SEALS)
    assert _check_red(*args, near_refused=near) is None
    assert near == [True]
    # Judged without that ink (as without the sure seals found next to it): a seal.
    clear = _ring(0.06, sweep=PARTIAL_SWEEP, lettered=True)
    assert _check_red(*args, partial_around=clear) is not None
    bare = _ring(0.06, sweep=PARTIAL_SWEEP)
    near = []
    bare_args = (CENTRE, (RADIUS, RADIUS), 0.0, False, bare, bare, bare, FRAME, SEALS)
    assert _check_red(*bare_args, near_refused=near) is None
    assert near == []


def test_a_bare_partial_ring_is_refused() -> None:
    assert _seal(_ring(0.06, sweep=PARTIAL_SWEEP)) is None


def test_no_partial_ring_without_the_rule() -> None:
    """``other_inks`` (blue, black) keep no partial ring."""
    strict = SEALS.model_copy(update={"partial_ring": None})
    assert _seal(_ring(0.06, sweep=PARTIAL_SWEEP, lettered=True), strict) is None


def test_a_broad_ring_with_sparse_lettering_is_kept_in_red_only() -> None:
    """A small oval seal's thick ring with faded lettering over half the circle only; the
    other inks' lettered_coverage (a printed logo's swoosh) refuses it."""
    width = (SEALS.max_ring_width + SEALS.lettered_ring_width) / 2
    mask = _ring(width, lettered=True, letters_deg=180)
    assert _seal(mask) is not None
    blue = SEALS.other_inks["blue"]
    strict = SEALS.model_copy(update={"lettered_coverage": blue.lettered_coverage})
    assert _seal(mask, strict) is None


def _lettered_ring_at(mask: np.ndarray, centre: tuple[int, int], radius: int) -> None:
    """A thin ring with radial lettering strokes and a star-like blob, drawn into ``mask``."""
    cv2.circle(mask, centre, radius - 2, 1, 4)
    for degrees in range(0, 360, 8):
        t = math.radians(degrees)
        inner = (0.58 * radius, 0.75 * radius)
        p0 = (round(centre[0] + inner[0] * math.cos(t)), round(centre[1] + inner[0] * math.sin(t)))
        p1 = (round(centre[0] + inner[1] * math.cos(t)), round(centre[1] + inner[1] * math.sin(t)))
        cv2.line(mask, p0, p1, 1, 2)
    cv2.circle(mask, centre, round(0.12 * radius), 1, -1)


def _found(mask: np.ndarray) -> list[tuple[float, float]]:
    ink = mask > 0
    return [seal.centre for seal in red_candidates(ink, ink, ink, FRAME, SEALS)]


def test_a_smaller_seal_over_a_seal_leaves_its_ring_in_place() -> None:
    """A smaller seal stamped half over a seal: the region round both passes as a ring
    (0.7-0.8 of it on one line); the first seal's own ring, found in that region's ink,
    wins over it."""
    mask = np.zeros((360, 520), np.uint8)
    _lettered_ring_at(mask, (170, 180), 80)
    _lettered_ring_at(mask, (240, 203), 60)
    found = _found(mask)
    assert any(math.dist(c, (170, 180)) < 5 for c in found)


def test_a_half_seal_at_the_edge_is_found_at_its_centre() -> None:
    """Half the seal off the image, its ink faded out a few pixels before the edge (ink is
    measured against the paper round it): its outline from the arc off the edge."""
    mask = np.zeros((300, 300), np.uint8)
    _lettered_ring_at(mask, (150, 0), 80)
    mask[:4] = 0
    found = _found(mask)
    assert len(found) == 1
    assert math.dist(found[0], (150, 0)) < 5


def test_paper_outside_is_judged_without_the_seals_found() -> None:
    """A seal stamped half over another: the other's ring and lettering lie just outside
    its own ring in many directions. Judged on the ink (``around``) without the seals
    already found, it keeps its paper contrast."""
    ring = _ring(0.06, sweep=306.0, lettered=True).astype(np.uint8)
    mask = ring.copy()
    # The other seal's ink just outside the ring, over 0.6 of the directions.
    cv2.ellipse(mask, (150, 150), (round(1.2 * RADIUS),) * 2, 0, 0, 216, 1, 10)
    assert _seal(mask > 0) is None
    ink = mask > 0
    found = _check_red(
        CENTRE, (RADIUS, RADIUS), 0.0, False, ink, ink, ink, FRAME, SEALS, around=ring > 0
    )
    assert found is not None


# --- the same figures, computed faster ----------------------------------------------------


def test_paper_tint_is_the_float_difference_to_the_bit() -> None:
    """``paper_tint`` in int16 gives exactly the float32 (R - max(G, B)) / 255."""
    rng = np.random.default_rng(7)
    page = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    rgb = page.astype(np.float32)
    expected = (rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2])) / 255.0
    got = paper_tint(page)
    assert got.dtype == np.float32
    assert np.array_equal(got, expected)


def test_thin_band_peak_is_the_most_of_seven_band_coverages() -> None:
    """One sampling of the outline gives what seven ``band_coverage`` calls give, with
    and without a view, on a partial ring (some directions inked at some radii only)."""
    ink = _ring(0.06, sweep=250.0, lettered=True, letters_deg=200)
    band, line, bins = SEALS.ring_band, SEALS.ring_line, SEALS.ring_bins
    view = np.arange(bins) % 3 != 0
    for centre, axes in ((CENTRE, (RADIUS, RADIUS)), ((146.0, 153.0), (83.0, 71.0))):
        for seen in (None, view):
            expected = max(
                band_coverage(ink, centre, axes, 17.0, False, (q, q + line), bins, seen)
                for q in np.linspace(band[0], band[1] - line, 7)
            )
            got = thin_band_peak(ink, centre, axes, 17.0, False, band, line, bins, seen)
            assert got == expected
            assert 0.0 < got < 1.0


def _dashed_ring(centre: tuple[int, int], dash: int = 11, sweep: int = 360) -> np.ndarray:
    """A faint ring left in fragments: a dash of ``dash`` degrees every 30 degrees, over
    ``sweep`` degrees."""
    mask = np.zeros((400, 300), np.uint8)
    for start in range(0, sweep, 30):
        cv2.ellipse(mask, centre, (78, 78), 0, start, start + dash, 1, 3)
    return mask > 0


def _ring_near(ink: np.ndarray, centre: tuple[int, int], rules: SealDetection) -> bool:
    return any(
        math.dist(c, centre) < 4 and abs(max(axes) - 80) < 4
        for c, axes, _, _ in _ring_outlines(ink, FRAME, rules)
    )


def test_a_faint_ring_cut_by_the_edge_is_looked_for_at_fewer_votes() -> None:
    """A ring in fragments running a third off the image draws too few votes from its
    arc on the page; the lower-vote search for rings cut by the edge finds it."""
    ink = _dashed_ring((15, 200))
    assert _ring_near(ink, (15, 200), SEALS)
    assert not _ring_near(ink, (15, 200), SEALS.model_copy(update={"edge_ring_votes": 0.0}))


def test_the_lower_vote_search_takes_only_rings_cut_by_the_edge() -> None:
    """The same fragments (a third of the ring left out) on the page: not a ring cut by
    the edge, so it must draw the full vote."""
    ink = _dashed_ring((150, 200), sweep=240)
    assert not _ring_near(ink, (150, 200), SEALS)


def test_a_ring_cut_by_the_edge_is_refitted_as_a_circle() -> None:
    """Its arc on the page fixes a circle's three parameters where an ellipse's five swing
    off round the missing part."""
    ink = _dashed_ring((15, 200), dash=20)
    fitted = _fit_ring(ink, (22.0, 195.0), 74.0, SEALS, circle=True)
    assert fitted is not None
    (x, y), (a, b), _ = fitted
    assert math.dist((x, y), (15, 200)) < 3
    assert a == b and abs(a - 80) < 3


def _piece(centre: tuple[float, float], radius: float, peak: float) -> SealCandidate:
    return SealCandidate(
        centre=centre,
        axes=(radius, radius),
        angle_deg=0.0,
        shape="round",
        colour="red",
        confidence=0.8,
        ring_coverage=peak,
        star=False,
    )


def test_an_oval_found_as_two_round_pieces_is_tried_as_one() -> None:
    """The Hough search finds an oval's two ends as circles; an ellipse spanning both,
    refitted to the ring ink, is the oval."""
    mask = np.zeros((300, 400), np.uint8)
    cv2.ellipse(mask, (200, 150), (98, 63), 20, 0, 360, 1, 4)
    t = math.radians(20)
    ends = [(200 + s * 36 * math.cos(t), 150 + s * 36 * math.sin(t)) for s in (-1, 1)]
    pieces = [_piece(ends[0], 64, 0.85), _piece(ends[1], 64, 0.9)]
    ((centre, axes, _, _), spanned), *_ = _pair_ovals(pieces, mask > 0, SEALS)
    assert set(spanned) == set(pieces)
    assert math.dist(centre, (200, 150)) < 3
    assert abs(max(axes) - 100) < 4 and abs(min(axes) - 65) < 4


def test_an_oval_over_two_pieces_needs_a_fuller_ring_than_theirs() -> None:
    """An oval seal's whole ring is fuller than the arcs its two ends' circles follow; the
    outline round two round seals stamped over each other is not (``pair_oval_gain``)."""
    pieces = [_piece((150, 150), 64, 0.85), _piece((210, 150), 64, 0.9)]
    assert _fuller(replace(pieces[0], ring_coverage=1.0, shape="oval"), pieces, SEALS)
    faint = [_piece((150, 150), 64, 0.61), _piece((210, 150), 64, 0.69)]
    assert not _fuller(replace(faint[0], ring_coverage=0.69, shape="oval"), faint, SEALS)


def test_a_faint_ring_running_under_a_seal_found_is_looked_for_at_fewer_votes() -> None:
    """The ink of a seal already found is left out of the ring search: a ring running
    under it keeps only its arc outside it, and is looked for at the lower vote as a ring
    cut by the edge is."""
    ink = _dashed_ring((150, 200), sweep=240)
    hidden = np.zeros(ink.shape, np.uint8)
    cv2.circle(hidden, (round(150 + 78 * 0.5), round(200 - 78 * 0.87)), 50, 1, -1)
    found = _ring_outlines(ink, FRAME, SEALS, ink, hidden > 0)
    assert any(math.dist(c, (150, 200)) < 4 and abs(max(axes) - 80) < 4 for c, axes, _, _ in found)


def _seal_at(
    centre: tuple[float, float], radius: float, peak: float, star: bool = True
) -> SealCandidate:
    return replace(_piece(centre, radius, peak), star=star)


def test_a_smaller_seal_stamped_mostly_over_a_seal_is_kept() -> None:
    """A smaller seal with its own star, centred out near the kept seal's ring, lies more
    than half within it: another seal (``over_seal_offset``), not a piece of it."""
    big = _seal_at((200, 200), 93, 1.0)
    small = _seal_at((200 + 0.87 * 93, 200), 56, 0.83)
    assert len(suppress([big, small])) == 1
    assert suppress([big, small], SEALS.over_seal_offset, SEALS.over_seal_peak) == [big, small]


def test_a_ring_in_a_seals_lettering_stays_part_of_it() -> None:
    """Off-centre rings inside a seal nearer its middle, or without a star of their own,
    or with a weaker ring, are pieces of it (its lettering fitted as a ring)."""
    big = _seal_at((200, 200), 75, 0.88)
    rules = (SEALS.over_seal_offset, SEALS.over_seal_peak)
    for piece in (
        _seal_at((200 + 0.7 * 75, 200), 51, 0.8),
        _seal_at((200 + 0.87 * 75, 200), 51, 0.8, star=False),
        _seal_at((200 + 0.87 * 75, 200), 51, SEALS.over_seal_peak - 0.05),
    ):
        assert suppress([big, piece], *rules) == [big]


def _wavering(mask: np.ndarray) -> np.ndarray:
    """``mask`` with its ring redrawn by hand: a broad line whose radius wavers between
    0.74 and 1.02 of the radius over the turn, the lettering inside kept."""
    out = mask.copy().astype(np.uint8)
    cv2.circle(out, (150, 150), 80, 0, 30)  # the stamped ring away
    turns = np.linspace(0.0, 2 * math.pi, 240, endpoint=False)
    radius = RADIUS * (0.88 + 0.14 * np.sin(2 * turns))
    points = np.stack([150 + radius * np.cos(turns), 150 + radius * np.sin(turns)], axis=1)
    cv2.polylines(out, [np.round(points).astype(np.int32)], True, 1, round(0.16 * RADIUS))
    return out > 0


def test_a_broad_ring_drawn_by_hand_round_lettering_is_refused() -> None:
    """Broad and lettered, but not one ellipse all round (lettered_ring_peak): a marker
    line drawn round a cell over a faint seal's lettering, not an over-inked seal."""
    drawn = _wavering(_ring(0.16, lettered=True))
    assert _seal(drawn) is None
    assert _seal(drawn, SEALS.model_copy(update={"lettered_ring_peak": 0.5})) is not None


def test_a_piece_within_a_second_fit_of_a_kept_seal_is_that_seal() -> None:
    """A faint seal fitted twice (each fit half or more within the other; the surer one,
    off its centre, kept): an arc of its lettering fitted as a small ring lies within the
    second fit, not half within the kept one, and is that seal, not another."""
    kept = replace(_piece((660.0, 1118.0), 0.0, 0.79), axes=(137.0, 166.0), angle_deg=87.0)
    second = _piece((659.0, 1073.0), 178.0, 0.7)
    arc = _seal_at((716.0, 984.0), 84.0, 0.63, star=False)
    rules = (SEALS.over_seal_offset, SEALS.over_seal_peak)
    assert suppress([kept, arc], *rules) == [kept, arc]  # alone, not within the kept fit
    assert suppress([kept, second, arc], *rules) == [kept]


def test_an_outline_round_two_seals_passes_nothing_on() -> None:
    """An outline round two seals stamped over each other (they within it, not it within
    them) is dropped, and a third seal within it but not within either stays."""
    left = _piece((200.0, 180.0), 80.0, 0.9)
    right = _piece((320.0, 180.0), 80.0, 0.9)
    joint = _piece((260.0, 180.0), 150.0, 0.7)
    third = _piece((260.0, 70.0), 50.0, 0.65)
    rules = (SEALS.over_seal_offset, SEALS.over_seal_peak)
    assert suppress([joint, left, right, third], *rules) == [left, right, third]


# --- the ground round a photographed page, a fit settled on the lettering ------------------


def _on_the_table(seal_y: int) -> np.ndarray:
    """A page photographed on a table: a broad band of 'red' ground along the image's top
    (wood reads as red against the paper), a lettered seal with its centre ``seal_y``
    below the image's top."""
    mask = np.zeros((400, 500), np.uint8)
    mask[:40] = 1
    _lettered_ring_at(mask, (250, seal_y), 80)
    return mask > 0


def test_the_ground_round_a_photographed_page_is_beyond_it() -> None:
    ink = _on_the_table(250)
    beyond = beyond_page(ink, FRAME, SEALS)
    assert beyond is not None
    assert beyond[:40].all() and not beyond[60:].any()  # the band and its rim, no more
    assert beyond_page(ink, FRAME, SEALS.model_copy(update={"beyond_page_mm": 0.0})) is None


def test_a_seal_cut_by_the_edge_or_broad_in_the_page_is_not_ground() -> None:
    """A seal cut by the image's edge runs along it no longer than a seal; a broad blob
    (an over-inked star) inside the page does not reach the edge."""
    mask = np.zeros((400, 500), np.uint8)
    _lettered_ring_at(mask, (250, 0), 80)
    mask[:6, 200:300] = 1  # over-inked where it meets the edge
    cv2.circle(mask, (250, 250), 30, 1, -1)
    assert beyond_page(mask > 0, FRAME, SEALS) is None


def test_a_seal_running_onto_the_ground_is_judged_on_the_page() -> None:
    """A seal stamped across the page's edge onto the table: the ground over most of it
    is neither its ink nor paper (taken as ink it fills the outline like a solid block);
    judged on its part on the page it is a seal."""
    mask = np.zeros((400, 500), np.uint8)
    _lettered_ring_at(mask, (250, 150), 80)
    mask[:190] = 1
    ink = mask > 0
    beyond = beyond_page(ink, FRAME, SEALS)
    assert beyond is not None
    centre, axes = (250.0, 150.0), (80.0, 80.0)
    assert _check_red(centre, axes, 0.0, False, ink, ink, ink, FRAME, SEALS) is None
    page = ink & ~beyond
    kept = _check_red(centre, axes, 0.0, False, page, page, page, FRAME, SEALS, beyond=beyond)
    assert kept is not None


def test_no_seal_is_found_in_the_ground() -> None:
    """The band's broad edge is no ring; the seal on the page is found once."""
    found = _found(_on_the_table(250))
    assert len(found) == 1 and math.dist(found[0], (250, 250)) < 5


def test_a_fit_settled_on_the_lettering_is_tried_again_larger() -> None:
    """Heavy lettering close under a thin, broken ring: a fit started at the lettering
    stays there; tried again from a larger outline it reaches the ring (round a star;
    without one the larger fit is not taken)."""
    mask = np.zeros((300, 300), np.uint8)
    cv2.ellipse(mask, (150, 150), (72, 72), 0, 0, 360, 1, 2)
    mask[::7] = 0  # broken (a faint ring)
    cv2.circle(mask, (150, 150), 10, 1, -1)  # the star
    for degrees in range(0, 360, 4):
        t = math.radians(degrees)
        for share in (0.6, 0.7):
            x, y = 150 + share * 80 * math.cos(t), 150 + share * 80 * math.sin(t)
            cv2.circle(mask, (round(x), round(y)), 3, 1, -1)
    ink = mask > 0

    def radii(rules: SealDetection) -> list[float]:
        return [max(axes) for _, axes, _, _ in _ring_fits(ink, CENTRE, 60.0, rules)]

    assert not any(abs(r - 73) < 3 for r in radii(SEALS.model_copy(update={"ring_grow": 1.0})))
    assert any(abs(r - 73) < 3 for r in radii(SEALS))
    ink[140:161, 140:161] = False
    assert not any(abs(r - 73) < 3 for r in radii(SEALS))


def test_a_starless_ring_within_a_starred_seal_is_a_piece_of_it() -> None:
    """An arc of a faint seal's lettering fitted as a ring runs round more fully than the
    seal's own ring and ranks first; it has no star, lies within the starred seal: it is
    a piece of that seal, which is kept."""
    seal = _seal_at((300.0, 300.0), 80.0, 0.62)
    arc = _seal_at((315.0, 290.0), 45.0, 0.75, star=False)
    assert suppress([seal, arc]) == [arc]
    assert suppress(starless_pieces([seal, arc])) == [seal]
    # A starred ring within it (another seal stamped over it) is left to suppress; a
    # starless one beside it stays.
    other = _seal_at((315.0, 290.0), 45.0, 0.75)
    beside = _seal_at((480.0, 300.0), 60.0, 0.75, star=False)
    assert starless_pieces([seal, other, beside]) == [seal, other, beside]


def test_a_seal_under_a_smaller_seal_ranked_first_is_kept() -> None:
    """The same two seals the other way round: the smaller one's ring is fuller and it is
    kept first; the larger one with its own star is not an outline round it. Without a
    star the larger outline is one round the smaller seal (dropped)."""
    big = _seal_at((200, 200), 88, 0.77)
    small = _seal_at((200 + 0.9 * 88, 200), 69, 0.81)
    rules = (SEALS.over_seal_offset, SEALS.over_seal_peak)
    assert suppress([big, small]) == [small]
    assert suppress([big, small], *rules) == [small, big]
    assert suppress([replace(big, star=False), small], *rules) == [small]


def test_an_ellipse_fit_swung_off_a_partial_ring_is_refitted_as_a_circle() -> None:
    """A seal whose faint side left no ring ink (its arc on one side, a star, specks of
    lettering): the ellipse fit from a Hough ring swings off round the missing part; the
    ring is refitted as a circle too, as one cut by the image's edge is."""
    mask = np.zeros((300, 300), np.uint8)
    cv2.ellipse(mask, (150, 150), (72, 72), 0, -80, 80, 1, 4)
    cv2.circle(mask, (150, 150), 10, 1, -1)
    for speck in ((120, 140), (130, 175), (175, 120)):
        cv2.circle(mask, speck, 4, 1, -1)
    ink = mask > 0

    def on_the_ring(rules: SealDetection) -> bool:
        return any(
            math.dist(c, (150, 150)) < 3 and abs(max(axes) - 73) < 3
            for c, axes, _, _ in _ring_fits(ink, (145.0, 150.0), 60.0, rules)
        )

    assert on_the_ring(SEALS)
    assert not on_the_ring(SEALS.model_copy(update={"ring_swing": 0.0}))


def test_a_faint_ring_round_a_star_is_looked_for_at_fewer_votes_as_a_weak_outline() -> None:
    """A faint ring in short fragments on the page draws too few votes; round a star it
    is looked for at the lower vote, refitted as a circle and marked weak (clear paper
    round it, kept only where nothing else was found)."""
    mask = _dashed_ring((150, 200), dash=9).astype(np.uint8)
    cv2.circle(mask, (150, 200), 12, 1, -1)
    ink = mask > 0

    def rings(rules: SealDetection) -> tuple[list[tuple[float, float]], int]:
        weak: list[tuple[tuple[float, float], tuple[float, float], float, bool]] = []
        found = _ring_outlines(ink, FRAME, rules, faint=ink, weak=weak)
        return [c for c, axes, _, _ in found if math.dist(c, (150, 200)) < 4], len(weak)

    found, weak = rings(SEALS)
    assert len(found) == 1 and weak == 1
    assert rings(SEALS.model_copy(update={"starred_ring_votes": False})) == ([], 0)
    # Without the star it is not taken.
    mask[180:221, 130:171] = 0
    ink = mask > 0
    assert rings(SEALS) == ([], 0)


def test_a_weak_outline_needs_clear_paper_round_it() -> None:
    """A whole lettered ring with red print just outside passes as a seal; found only by
    a weaker search (``clear``) it does not."""
    mask = _ring(0.06, lettered=True)
    cv2.circle(mask.view(np.uint8), (150, 150), 10, 1, -1)
    for degrees in range(0, 360, 9):
        t = math.radians(degrees)
        x, y = 150 + 1.2 * RADIUS * math.cos(t), 150 + 1.2 * RADIUS * math.sin(t)
        cv2.circle(mask.view(np.uint8), (round(x), round(y)), 2, 1, -1)
    args = (CENTRE, (RADIUS, RADIUS), 0.0, False, mask, mask, mask, FRAME, SEALS)
    assert _check_red(*args) is not None
    assert _check_red(*args, clear=True) is None


def test_an_ellipse_round_a_held_centre_is_fixed_by_half_its_arc() -> None:
    """Three parameters (axes and angle) round a known centre: half an ellipse's arc fixes
    them; cv2's convention, the first semi-axis along the angle."""
    t = np.linspace(0.0, math.pi, 40)
    turn = math.radians(30.0)
    x, y = 60.0 * np.cos(t), 48.0 * np.sin(t)
    points = np.stack(
        [
            100 + x * math.cos(turn) - y * math.sin(turn),
            80 + x * math.sin(turn) + y * math.cos(turn),
        ],
        axis=1,
    )
    fitted = _fit_centred_ellipse(points, (100.0, 80.0))
    assert fitted is not None
    (first, second), angle = fitted
    assert abs(first - 48.0) < 0.5 and abs(second - 60.0) < 0.5
    assert abs((angle - 120.0 + 90.0) % 180.0 - 90.0) < 0.5  # the short axis at 120 degrees


def _cut_oval(angle: float) -> np.ndarray:
    """An oval ring (64 x 50) in dashes, its centre on the image's bottom edge."""
    mask = np.zeros((300, 300), np.uint8)
    for start in range(0, 360, 30):
        cv2.ellipse(mask, (150, 299), (64, 50), angle, start, start + 20, 1, 3)
    return mask > 0


def test_an_oval_cut_by_the_edge_is_fitted_round_its_held_centre() -> None:
    """Half an oval on the image, stood upright: its circle refit settles near its short
    axis; the ellipse held round the centre takes its long axis from the arc."""
    ink = _cut_oval(90.0)
    fitted = _fit_ring(ink, (150.0, 299.0), 57.0, SEALS, start=((57.0, 57.0), 0.0), held=True)
    assert fitted is not None
    centre, axes, _ = fitted
    assert centre == (150.0, 299.0)
    assert abs(max(axes) - 64) < 3 and abs(min(axes) - 50) < 3


def test_a_ring_cut_by_the_edge_is_also_tried_as_a_held_ellipse() -> None:
    """A ring cut by the edge: one more outline, an ellipse, with the rule; none without."""
    ink = _cut_oval(90.0)
    rules = SEALS.model_copy(update={"edge_hough_held": False})
    on = _ring_fits(ink, (150.0, 299.0), 57.0, rules)
    off = _ring_fits(
        ink, (150.0, 299.0), 57.0, rules.model_copy(update={"edge_held_ellipse": False})
    )
    assert len(on) == len(off) + 1
    (_, axes, _, _) = on[-1]
    assert axes[0] != axes[1]


def test_a_ring_cut_by_the_edge_is_also_held_round_the_hough_rings_centre() -> None:
    """``edge_hough_held``: one more ellipse, held round the Hough ring's own centre (not
    its circle refit's), taking the oval's axes from the arc, and weak; not without the
    rule, nor without ``edge_held_ellipse`` (other inks)."""
    ink = _cut_oval(90.0)
    on = _ring_fits(ink, (150.0, 299.0), 57.0, SEALS)
    off = _ring_fits(ink, (150.0, 299.0), 57.0, SEALS.model_copy(update={"edge_hough_held": False}))
    assert len(on) == len(off) + 1
    held = [o for o in on if o not in off]
    assert len(held) == 1
    (centre, axes, _, _) = held[0]
    assert centre == (150.0, 299.0)
    assert abs(max(axes) - 64) < 3 and abs(min(axes) - 50) < 3
    weak: list[tuple[tuple[float, float], tuple[float, float], float, bool]] = []
    assert _ring_fits(ink, (150.0, 299.0), 57.0, SEALS, weak=weak) == on
    assert weak == held  # weak: red print along the edge makes such outlines too
    neither = SEALS.model_copy(update={"edge_held_ellipse": False})
    assert len(_ring_fits(ink, (150.0, 299.0), 57.0, neither)) == len(off) - 1


def test_a_weak_outline_near_a_seal_is_kept_only_as_another_seal_over_it() -> None:
    """An outline only a weaker search found, near a seal found, is kept when it is
    another seal stamped half over that one (``weak_over_seal``: its own star and ring,
    the centres out by their rings: tuning seed 9 page 0011, 0.89 out, ring 0.66); an
    arc nearer the seal's middle, one without a star or with less ring is not."""
    found = _seal_at((395.0, 126.0), 86.0, 0.63)
    other = _seal_at((453.0, 176.0), 65.0, 0.66)
    assert _over(other, found, SEALS)
    assert not _over(other, found, SEALS.model_copy(update={"weak_over_seal": False}))
    assert not _over(other, found, SEALS.model_copy(update={"over_seal_offset": 0.0}))
    for piece in (
        _seal_at((395.0 + 0.6 * 86, 126.0), 65.0, 0.66),
        _seal_at((453.0, 176.0), 65.0, 0.66, star=False),
        _seal_at((453.0, 176.0), 65.0, SEALS.over_seal_peak - 0.05),
    ):
        assert not _over(piece, found, SEALS)


def test_a_sure_seals_whole_ink_is_left_out_of_the_paper_round_other_rings() -> None:
    """``around_ring_seals``: once the ring search found a sure seal (a star, its ring on
    its line in ``over_seal_peak``), a seal half over it is judged without its ring and
    lettering just outside (the disc, to 1.05 of its outline); before, only its ring."""
    mask = _ring(0.06, lettered=True).astype(np.uint8)
    seal = _seal_at(CENTRE, RADIUS, 0.72)
    band = _without_rings(mask.copy(), [seal])
    disc = _without_rings(mask.copy(), [seal], disc=True)
    assert band.any() and not disc.any()  # the lettering stays with the ring alone out
    assert _sure_seal(seal, SEALS)
    for unsure in (
        _seal_at(CENTRE, RADIUS, 0.72, star=False),
        _seal_at(CENTRE, RADIUS, SEALS.over_seal_peak - 0.05),
    ):
        assert not _sure_seal(unsure, SEALS)
    assert not _sure_seal(seal, SEALS.model_copy(update={"around_ring_seals": False}))
    assert not _sure_seal(seal, SEALS.model_copy(update={"over_seal_offset": 0.0}))


def _two_over_each_other() -> np.ndarray:
    """Two lettered seals with stars half over each other (the second 0.8 of the sum of
    their radii out); ink as bool."""
    mask = np.zeros((360, 560), np.uint8)
    _lettered_ring_at(mask, (190, 180), 90)
    _lettered_ring_at(mask, (190 + 138, 180), 82)
    return mask > 0


def test_a_hough_ring_off_a_seal_under_another_is_found_again_by_search() -> None:
    """``ring_search``: from a Hough ring 0.2 of its radius off the second seal's centre
    and 0.85 of its size, the circle with ink in the most directions is that seal's ring
    (the other seal's ring and lettering cross it in a few directions only)."""
    ink = _two_over_each_other()
    spec = SEALS.ring_search
    assert spec is not None
    (x, y), r = _best_circle(ink, (328.0 + 16.0, 180.0 - 8.0), 0.85 * 82, spec, 0.5)
    assert math.dist((x, y), (328.0, 180.0)) < 4
    assert abs(r - 80) < 4  # (the ring drawn 4 px wide inward from 82)
    outlines = _searched_rings(ink, [(344.0, 172.0, 0.85 * 82)], SEALS)
    assert outlines and all(math.dist(o[0], (328.0, 180.0)) < 4 for o in outlines)
    assert (
        _searched_rings(ink, [(344.0, 172.0, 70.0)], SEALS.model_copy(update={"ring_search": None}))
        == []
    )


def _best_circle_plainly(
    ink: np.ndarray, centre: tuple[float, float], radius: float, reach: float, radii: tuple
) -> tuple[tuple[float, float], float]:
    """``_best_circle`` written out over every centre of its grids one by one: what the
    search worked out per grid row and column must give, to the bit."""
    h, w = ink.shape
    best = (centre, radius)
    grids = ((reach, 0.1, np.arange(radii[0], radii[1] + 1e-9, 0.05) * radius, 48), None)
    for fine in (False, True):
        if fine:
            rs = best[1] + np.arange(-0.04, 0.04 + 1e-9, 0.01) * radius
            grid = (0.05, 0.025, rs, 180)
        else:
            grid = grids[0]
        span, step, rs, bins = grid
        angles = np.linspace(0.0, 2 * math.pi, bins, endpoint=False)
        offsets = np.arange(-span, span + 1e-9, step) * radius
        top, pick = -1.0, best
        for y0 in best[0][1] + offsets:
            for x0 in best[0][0] + offsets:
                for r in rs:
                    xs = x0 + r * np.cos(angles)
                    ys = y0 + r * np.sin(angles)
                    on = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
                    if on.sum() < 0.5 * bins:
                        score = 0.0
                    else:
                        xi = np.clip(xs.astype(np.int64), 0, w - 1)
                        yi = np.clip(ys.astype(np.int64), 0, h - 1)
                        score = (ink[yi, xi] & on).sum() / on.sum()
                    if score > top:
                        top, pick = score, ((float(x0), float(y0)), float(r))
        best = pick
    return best


def test_the_circle_search_gives_what_each_centre_searched_alone_gives() -> None:
    """``_best_circle`` reads the ink for all its grid's centres at once: the same circle
    as each centre, radius and direction worked out one by one, also where the grid runs
    off the image."""
    ink = _two_over_each_other()
    spec = SEALS.ring_search
    assert spec is not None
    for centre, radius in (
        ((344.0, 172.0), 0.85 * 82),
        ((60.0, 40.0), 70.0),
        ((190.0, 180.0), 95.0),
    ):
        assert _best_circle(ink, centre, radius, spec, 0.5) == _best_circle_plainly(
            ink, centre, radius, spec.reach, spec.radii
        )


def test_a_searched_circle_is_a_seal_only_round_a_star_on_clear_paper() -> None:
    """What only the circle search found must have a star, a thin line and clear paper
    just outside (``ring_search``'s max_outside and max_line: red print round a glyph
    cluster, the real seal-06's title, made such outlines); the same outline found
    otherwise is judged as before."""
    spec = SEALS.ring_search
    assert spec is not None
    starred = np.zeros((300, 300), np.uint8)
    _lettered_ring_at(starred, (150, 150), 80)
    starless = _ring(0.06, lettered=True).astype(np.uint8)

    def check(mask: np.ndarray, searched: bool, rules: SealDetection = SEALS) -> object:
        ink = mask > 0
        return _check_red(
            CENTRE, (RADIUS, RADIUS), 0.0, False, ink, ink, ink, FRAME, rules, searched=searched
        )

    assert check(starred, True) is not None
    assert check(starless, False) is not None and check(starless, True) is None
    printed = starred.copy()  # print just outside the ring, in a third of its directions
    cv2.ellipse(printed, (150, 150), (96, 96), 0, 0, 140, 1, 6)
    assert check(printed, False) is not None
    assert check(printed, True) is None
    # ... judged on all the ink, even where ``around`` leaves a neighbour's out
    ink, clean = printed > 0, starred > 0
    args = (CENTRE, (RADIUS, RADIUS), 0.0, False, ink, ink, ink, FRAME, SEALS, None, clean)
    assert _check_red(*args) is not None
    assert _check_red(*args, searched=True) is None
    assert (
        check(
            printed,
            True,
            SEALS.model_copy(update={"ring_search": spec.model_copy(update={"max_outside": 0.5})}),
        )
        is not None
    )
    crossed = starred.copy()  # glyph strokes across the ring's line in 0.6 of directions
    for degrees in np.arange(0.0, 360.0 * 0.6, 2.0):
        t = math.radians(float(degrees))
        p0 = (round(150 + 0.7 * RADIUS * math.cos(t)), round(150 + 0.7 * RADIUS * math.sin(t)))
        p1 = (round(150 + RADIUS * math.cos(t)), round(150 + RADIUS * math.sin(t)))
        cv2.line(crossed, p0, p1, 1, 3)
    assert check(crossed, False) is not None
    assert check(crossed, True) is None
    broad = starred.copy()  # a ring 0.125 of the radius wide: lettering, not a die's line
    cv2.circle(broad, (150, 150), 75, 1, 10)
    assert check(broad, False) is not None
    assert check(broad, True) is None


def _outlines_near(
    ink: np.ndarray, centre: tuple[float, float], rules: SealDetection
) -> list[tuple[float, float]]:
    return [
        (max(axes), min(axes))
        for c, axes, _, _ in _ring_outlines(ink, FRAME, rules)
        if math.dist(c, centre) < 5
    ]


def test_the_ring_search_starts_at_the_smallest_round_seals_radius() -> None:
    """``hough_from_round``: the radii searched start at min_round / 2 / max_aspect, not
    at the smallest seal of any shape's (a square's, which the search never yields): an
    oval as small and flat as a round seal may be (min_round long, aspect 1.6) is still
    found and refitted; a ring smaller than that is no longer looked for."""
    on = SEALS.model_copy(update={"hough_from_round": True})
    off = SEALS.model_copy(update={"hough_from_round": False})
    oval = np.zeros((300, 300), np.uint8)
    cv2.ellipse(oval, (150, 150), (58, 36), 0, 0, 360, 1, 3)
    found = _outlines_near(oval > 0, (150.0, 150.0), on)
    assert any(abs(a - 58) < 4 and abs(b - 36) < 4 for a, b in found)
    small = np.zeros((300, 300), np.uint8)
    cv2.circle(small, (150, 150), 22, 1, 3)  # 44 px across: min_round is 112
    assert _outlines_near(small > 0, (150.0, 150.0), off)
    assert not _outlines_near(small > 0, (150.0, 150.0), on)


def test_without_believable_mm_the_ring_search_starts_at_the_smallest_round_seal() -> None:
    """``unsized_round_share``: on an image without believable mm (min_round is then the
    smallest seal's of any shape, long_axis_share's first) the radii searched start at a
    round seal's, this share of the short side over 2 x max_aspect: an oval as small and
    flat as that is still found and refitted; a ring of half that size, which the search
    found before, is no longer looked for."""
    rules = SEALS.model_copy(update={"hough_from_round": True, "unsized_round_share": 0.14})
    before = rules.model_copy(update={"unsized_round_share": 0.0})
    short = 600.0  # the image's short side, work pixels
    low, high = (share * short for share in rules.long_axis_share)
    frame = Frame(
        scale=1.0, unit=short / 210.0, long_axis=(low, high), min_round=low, by_size=False
    )
    smallest = 0.14 * short  # 84 px long: its short semi-axis at aspect 1.6 is 26 px
    oval = np.zeros((600, 600), np.uint8)
    cv2.ellipse(oval, (300, 300), (round(smallest / 2), round(smallest / 2 / 1.6)), 0, 0, 360, 1, 3)
    found = [
        max(a)
        for c, a, _, _ in _ring_outlines(oval > 0, frame, rules)
        if math.dist(c, (300, 300)) < 5
    ]
    assert any(abs(a - smallest / 2) < 4 for a in found)
    small = np.zeros((600, 600), np.uint8)
    cv2.circle(small, (300, 300), 18, 1, 3)  # 36 px across: far under a round seal (84)
    near = [
        c for c, _, _, _ in _ring_outlines(small > 0, frame, before) if math.dist(c, (300, 300)) < 5
    ]
    assert near
    assert not [
        c for c, _, _, _ in _ring_outlines(small > 0, frame, rules) if math.dist(c, (300, 300)) < 5
    ]
    # Pages with believable mm are not touched.
    assert _outlines_near(small > 0, (300.0, 300.0), rules) == _outlines_near(
        small > 0, (300.0, 300.0), before
    )


def test_broad_ink_is_the_discs_opening_found_cheaply() -> None:
    """``_broad`` (red_ink's broad faint ink: tinted paper, shaded cells) is the opening by
    the disc, on masks of strokes, of blobs and of both, up to the mask's rim."""
    rng = np.random.default_rng(16)
    for side in (3, 7, 11, 21, 27):
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
        for density in (0.3, 0.7, 0.97):
            mask = (rng.random((90, 130)) < density).astype(np.uint8)
            mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)) if density < 0.5 else mask
            want = cv2.morphologyEx(mask, cv2.MORPH_OPEN, disc) > 0
            got = _broad(mask, side)
            assert np.array_equal(np.zeros_like(want) if got is None else got, want)
    strokes = np.zeros((60, 200), np.uint8)
    cv2.putText(strokes, "seal 16", (5, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 1, 3)
    assert _broad(strokes, 11) is None  # strokes only: nothing broad


def test_components_are_labelled_the_same_in_16_or_32_bits() -> None:
    """``_components``: 16-bit labels where they cannot run past 65535, the same labels
    and stats as OpenCV's 32-bit ones; 32-bit where a mask may have more regions."""
    rng = np.random.default_rng(16)
    for density in (0.01, 0.3, 0.9):
        mask = (rng.random((240, 310)) < density).astype(np.uint8)
        count, labels, stats = _components(mask)
        want = cv2.connectedComponentsWithStats(mask, connectivity=8)
        assert labels.dtype == np.uint16
        assert count == want[0]
        assert np.array_equal(labels, want[1]) and np.array_equal(stats, want[2])
    dots = np.zeros((600, 600), np.uint8)
    dots[::2, ::2] = 1  # 90000 regions of one pixel each
    count, labels, _ = _components(dots)
    assert count == 90001 and labels.dtype == np.int32
