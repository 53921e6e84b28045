"""The schemas of the page-mark detectors' files: ``rules/tick_boxes.yaml``,
``rules/unread_ink.yaml`` and ``rules/seal_detection.yaml``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipeline.config import Spec


class TickDetection(Spec):
    """The schema of ``rules/tick_boxes.yaml``: how boxes are found and ink is measured."""

    box_side_mm: tuple[float, float] = Field(description="smallest and largest box side, mm")
    max_side_difference: float = Field(ge=0.0, lt=1.0)
    ink_share: float = Field(gt=0.0, lt=1.0, description="ink is darker than this × paper")
    paper_window_mm: float = Field(gt=0.0)
    edge_run: float = Field(gt=0.0, le=1.0)
    edge_cover: float = Field(gt=0.0, le=1.0)
    wobbly_floor: float = Field(
        gt=0.0, le=1.0, description="least single-line cover before a pixel's wobble is allowed"
    )
    wobbly_clear: float = Field(
        ge=0.0, lt=1.0, description="most ink inside a square found with a wobble allowed"
    )
    inset: float = Field(ge=0.0, lt=0.4)
    glyph_run: float = Field(gt=0.0, le=1.0)
    glyph_straight_share: float = Field(gt=0.0, le=1.0)
    cross_stroke: float = Field(gt=0.0, le=1.0)
    left_clearance: float = Field(ge=0.0, le=1.0)
    filled_share: float = Field(gt=0.5, le=1.0, description="a box this full inside is filled")
    filled_rows: float = Field(gt=0.0, le=1.0)
    filled_clearance: float = Field(gt=0.0, le=1.0)
    crossed_side: float = Field(
        ge=0.0, lt=0.5, description="a box found from its sides matches the clean ones this close"
    )
    marked_row_reach: float = Field(
        gt=0.0, description="or on a clean box's row, this many box sides left of it"
    )
    marked_reach: float = Field(
        gt=0.0, description="a marked square lies this many box sides from the page's boxes"
    )
    marked_spine: float = Field(gt=0.0, le=1.0, description="share of glyph_run")
    scribble_margin: float = Field(
        gt=0.0,
        le=1.0,
        description="strokes run out of a box: looked for this share of a side round it",
    )
    scribble_part: tuple[float, float] = Field(
        description="a box with strokes run out of it: a part up to this many box sides tall, wide"
    )
    seal_ring_search: tuple[float, float] = Field(
        description="a seal's ring lies between these radii, shares of its box's half sides"
    )
    seal_ring_peak: float = Field(
        gt=0.0, le=1.0, description="the ring's ink: this share of its densest radius or more"
    )
    joined_tries: int = Field(gt=0, description="squares judged by seals on a page at most")
    seal_ring_free: float = Field(
        gt=0.0, le=1.0, description="a box by a seal is judged on this share of its inside free"
    )
    seal_face_clear: float = Field(
        ge=0.0, le=1.0, description="a box with a seal's face beside it: at most this inked"
    )
    red_pen_largest_mm: float = Field(
        gt=0.0, description="red ink in a piece larger than this (mm) is a seal's, found or not"
    )
    red_words_mm: tuple[float, float] = Field(
        description="a red piece longer than red_pen_largest_mm but this tall (mm): red type"
    )
    red_pen_seal_margin: float = Field(
        ge=0.0, le=1.0, description="red ink within this share round a red seal's box is its"
    )
    ring_rule: float = Field(gt=0.0, description="straight runs this many sides long: rules")
    ring_radius: tuple[float, float] = Field(
        description="a pen ring: from this many sides past the box to this far from its centre"
    )
    ring_angles: int = Field(ge=8, description="rays a ring is looked for along")
    ring_words: float = Field(
        ge=0.0, lt=90.0, description="degrees either side of the right left out (the words)"
    )
    ring_cover: float = Field(gt=0.0, le=1.0, description="share of the rays with ink")
    ring_step: float = Field(gt=0.0, description="the ring's radius changes by this much a ray")
    ring_smooth: float = Field(gt=0.0, le=1.0, description="share of rays changing that little")
    ring_thick: float = Field(gt=0.0, description="the ring's median run along a ray, sides")
    ring_reach: float = Field(gt=0.0, description="ringed boxes looked for this far along rows")
    pale_contrast: float = Field(
        gt=0.0, lt=1.0, description="pale ink: darker than paper by this share of the border's"
    )
    pale_lightest: float = Field(gt=0.0, lt=1.0, description="pale ink is darker than this × paper")
    pale_span: float = Field(gt=0.0, le=1.0, description="a pale stroke spans this of the inside")
    overrun_run: float = Field(
        gt=0.0, le=1.0, description="a box's sides found from straight runs this share of it"
    )
    overrun_reach: float = Field(
        gt=0.0, le=1.0, description="...when an edge runs on this share of the side past a corner"
    )
    round_side: float = Field(
        gt=0.0, lt=1.0, description="a round mark's sides within this share of the clean boxes'"
    )
    round_reach: float = Field(gt=0.0, description="a round mark lies this many sides from a box")
    round_radius: tuple[float, float] = Field(
        description="a round mark's outline lies between these radii, shares of its half sides"
    )
    round_inside: float = Field(
        gt=0.0, lt=1.0, description="a round mark's inside: within this share of its radius"
    )
    vector_inside: float = Field(gt=0.0, le=1.0)
    ticked_glyphs: tuple[str, ...]
    empty_glyphs: tuple[str, ...]

    @model_validator(mode="after")
    def _consistent(self) -> TickDetection:
        low, high = self.box_side_mm
        if not 0.0 < low < high:
            raise ValueError("box_side_mm: needs 0 < smallest < largest")
        inner, outer = self.seal_ring_search
        if not 0.0 < inner < 1.0 < outer:
            raise ValueError("seal_ring_search: needs 0 < inner < 1 < outer")
        inner, outer = self.round_radius
        if not 0.0 < inner < 1.0 < outer:
            raise ValueError("round_radius: needs 0 < inner < 1 < outer")
        tall, wide = self.scribble_part
        if not 1.0 <= tall <= wide:
            raise ValueError("scribble_part: needs 1 <= tall <= wide (box sides)")
        glyphs = self.ticked_glyphs + self.empty_glyphs
        if any(len(g) != 1 for g in glyphs):
            raise ValueError("ticked_glyphs/empty_glyphs: one character each")
        if set(self.ticked_glyphs) & set(self.empty_glyphs):
            raise ValueError("a glyph cannot be both ticked and empty")
        return self


class UnreadDetection(Spec):
    """The schema of ``rules/unread_ink.yaml``: how unread ink is found on a scan."""

    analysis_dpi: float = Field(gt=0.0, description="resolution the page is analysed at")
    ink_share: float = Field(gt=0.0, lt=1.0, description="ink is darker than this × paper")
    paper_window_mm: float = Field(gt=0.0)
    rule_run_mm: float = Field(gt=0.0, description="straight runs this long are rules")
    rule_margin_mm: float = Field(ge=0.0)
    line_margin_mm: float = Field(ge=0.0, description="OCR line boxes grown by this much")
    box_margin_mm: float = Field(ge=0.0, description="tick boxes grown by this much")
    close_mm: float = Field(gt=0.0, description="strokes this close are one blob")
    min_ink_mm2: float = Field(gt=0.0)
    min_side_mm: float = Field(gt=0.0)
    min_height_mm: float = Field(gt=0.0)
    page_margin_mm: float = Field(ge=0.0)

    @model_validator(mode="after")
    def _consistent(self) -> UnreadDetection:
        if self.close_mm >= self.rule_run_mm:
            raise ValueError("close_mm must be shorter than rule_run_mm (a blob is no rule)")
        if self.min_height_mm > self.min_side_mm:
            raise ValueError("min_height_mm cannot exceed min_side_mm (the longer side)")
        return self


class TickRowDetection(Spec):
    """The schema of ``rules/tick_rows.yaml``: where ink is looked for along a row of tick
    boxes, outside the boxes (a ring, an underline, a ✓ after the words)."""

    row_tolerance: float = Field(gt=0.0, le=1.0, description="boxes share a row (sides)")
    search_before: float = Field(ge=0.0, description="sides searched left of the first box")
    search_after: float = Field(gt=0.0, description="sides searched right of the last box")
    above: tuple[float, float] = Field(description="band above the boxes' tops, in sides")
    across: tuple[float, float] = Field(description="band across the boxes, shares of a side")
    below: tuple[float, float] = Field(description="band below the boxes' bottoms, in sides")
    column_ink_mm: float = Field(gt=0.0, description="a band's column is inked past this")
    rule_sides: float = Field(gt=0.0, description="straight runs this long (sides) are rules")
    rule_piece: float = Field(gt=0.0, description="a rule's level pieces, this long (sides)")
    rule_gap: float = Field(ge=0.0, description="a rule's breaks bridged, this long (sides)")
    rule_thick: float = Field(gt=0.0, description="a rule's thickness, at most (sides)")
    rule_degrees: float = Field(ge=0.0, le=10.0, description="a rule's slope, at most")
    merge_gap: float = Field(ge=0.0, description="inked x-ranges this close (sides) are one")
    min_span: float = Field(ge=0.0, description="shorter inked x-ranges (sides) are specks")
    page_margin_mm: float = Field(ge=0.0)
    struck: tuple[float, float] = Field(description="band a strike is looked for, shares of a side")
    strike_run: float = Field(gt=0.0, description="a level run this long (sides) is a strike")
    strike_degrees: float = Field(ge=0.0, le=20.0, description="a strike's slope, at most")
    strike_step: float = Field(gt=0.0, description="the slopes tried, this many degrees apart")

    @model_validator(mode="after")
    def _consistent(self) -> TickRowDetection:
        for name in ("above", "below", "across", "struck"):
            low, high = getattr(self, name)
            if not -1.0 <= low < high <= 1.0:
                raise ValueError(f"{name}: needs -1 <= low < high <= 1")
        return self


class LineInkDetection(Spec):
    """The schema of ``rules/line_ink.yaml``: where ink is measured across a text line."""

    min_chars: int = Field(ge=1, description="lines with fewer characters are not measured")
    band: tuple[float, float] = Field(description="the band measured, shares of the height")
    reach: float = Field(ge=0.0, description="heights measured beyond the line's ends")
    column_ink_mm: float = Field(gt=0.0, description="a column is inked past this")
    merge_gap: float = Field(ge=0.0, description="inked x-ranges this close (heights) are one")
    min_span: float = Field(ge=0.0, description="narrower inked x-ranges (heights) are left out")
    page_margin_mm: float = Field(ge=0.0)
    shade_step: float = Field(gt=0.0, description="heights each darkness value covers")
    paper_reach: float = Field(
        gt=0.0, description="heights above and below the line where its paper is taken"
    )
    paper_span: float = Field(ge=0.0, description="heights across which the paper is taken")
    tint_window: float = Field(
        gt=0.0, description="heights along a row within which its brightest pixel is taken"
    )
    tint_band: tuple[float, float] = Field(
        description="the rows of the ground, shares of the line's height from its top"
    )
    tint_quantile: float = Field(
        ge=0.0, le=1.0, description="of the band's rows, this quantile's brightness is the ground"
    )
    tint_paper: tuple[float, float] = Field(
        description="heights above and below the line where its paper is taken"
    )
    colour_saturation: int = Field(
        ge=1, le=255, description="ink this saturated (HSV, 0-255) is coloured, not print"
    )
    chroma_levels: int = Field(
        ge=0, le=255, description="ink this far between its brightest and darkest channel: coloured"
    )
    pen_levels: int = Field(
        ge=1,
        le=255,
        description="ink whose channels lie this far apart once the paper is white: a pen's",
    )
    stroke_min_ink: float = Field(
        ge=0.0, lt=1.0, description="steps with less ink (share of the band) have no stroke width"
    )

    @model_validator(mode="after")
    def _consistent(self) -> LineInkDetection:
        _range(self.band, "band", upper=1.0)
        _range(self.tint_band, "tint_band", upper=1.0)
        _range(self.tint_paper, "tint_paper")
        return self


def _range(value: tuple[float, float], name: str, *, upper: float | None = None) -> None:
    low, high = value
    if not 0.0 <= low < high or (upper is not None and high > upper):
        raise ValueError(f"{name}: needs 0 <= low < high" + (f" <= {upper}" if upper else ""))


class PartialRing(Spec):
    """A partial or pale impression kept on clear paper (``SealDetection.partial_ring``)."""

    coverage: float = Field(gt=0.0, le=1.0, description="ink in this share of directions")
    peak: float = Field(gt=0.0, le=1.0, description="on the ring's one line in this share")
    max_outside: float = Field(ge=0.0, le=1.0, description="ink just outside, at most")
    max_width: float = Field(gt=0.0, le=0.5, description="the ring's width, at most")


class GreyPartialRing(Spec):
    """A grey ring broken where a 1-bit or photocopied scan lost its faint ink
    (``SealDetection.partial_ring_grey``): kept with a star inside and paper round it."""

    coverage: float = Field(gt=0.0, le=1.0, description="ink in this share of directions")
    peak: float = Field(gt=0.0, le=1.0, description="on one thin circle in this share")
    max_outside: float = Field(ge=0.0, le=1.0, description="ink just outside, at most")


class RingSearch(Spec):
    """A seal's ring looked for by search round each Hough ring
    (``SealDetection.ring_search``)."""

    reach: float = Field(gt=0.0, le=1.0, description="centres this far off, share of the radius")
    radii: tuple[float, float] = Field(description="radii tried, shares of the Hough ring's")
    max_outside: float = Field(ge=0.0, le=1.0, description="ink just outside, at most")
    max_width: float = Field(gt=0.0, le=1.0, description="the ring's width, at most")
    max_line: float = Field(gt=0.0, le=1.0, description="the ring's width where it is a line")
    coarse: tuple[float, float, int] = Field(
        description="the coarse grid: centre step and radius step (shares of the radius), "
        "directions sampled"
    )
    fine: tuple[float, float, float, float, int] = Field(
        description="the fine grid round the coarse best: centre reach and step, radius reach "
        "and step (shares of the radius), directions sampled"
    )

    @model_validator(mode="after")
    def _consistent(self) -> RingSearch:
        _range(self.radii, "radii", upper=3.0)
        steps = (*self.coarse[:2], *self.fine[:4])
        if min(steps) <= 0.0 or min(self.coarse[2], self.fine[4]) < 8:
            raise ValueError("grid steps must be positive and at least 8 directions sampled")
        return self


class InkThresholds(Spec):
    """How a seal in another ink than red is found (``SealDetection.other_inks``)."""

    levels: tuple[float, float] = Field(description="faint and sure ink's measure (0-1)")
    min_share: float = Field(0.0, ge=0.0, lt=1.0, description="its channel's share, at least")
    max_spread: float = Field(1.0, gt=0.0, le=1.0, description="black: colour spread, at most")
    max_ring_width: float = Field(gt=0.0, le=0.5, description="replaces the red one")
    ring_peak: float = Field(gt=0.0, le=1.0, description="replaces the red one")
    lettered_coverage: float = Field(ge=0.0, le=1.0, description="replaces the red one")
    partial_ring: PartialRing | None = Field(
        None, description="replaces the red one (None: no partial ring is kept)"
    )
    edge_ring_votes: float = Field(
        0.0, ge=0.0, le=1.0, description="replaces the red one (0: no lower-vote search)"
    )
    pair_oval_overlap: float = Field(
        0.0, ge=0.0, le=2.0, description="replaces the red one (0: no oval over two rounds)"
    )
    over_seal_offset: float = Field(
        0.0, ge=0.0, le=2.0, description="replaces the red one (0: no seal within a seal)"
    )
    ring_swing: float = Field(
        0.0, ge=0.0, le=1.0, description="replaces the red one (0: no circle for a swung fit)"
    )
    edge_held_ellipse: bool = Field(
        False, description="replaces the red one (false: no held ellipse at the edge)"
    )
    ring_search_extent: float = Field(
        0.0, ge=0.0, le=2.0, description="replaces the red one (0: all the ink is searched)"
    )
    shapes: tuple[Literal["round", "oval", "square"], ...] = Field(
        ("round", "oval", "square"), min_length=1, description="the shapes kept"
    )
    only_without_red: bool = Field(
        False, description="looked for only on a page where no red seal was found"
    )

    @model_validator(mode="after")
    def _consistent(self) -> InkThresholds:
        _range(self.levels, "levels", upper=1.0)
        return self


class SealDetection(Spec):
    """The schema of ``rules/seal_detection.yaml``: how seals are found and read."""

    work_dpi: float = Field(gt=20.0, le=300.0, description="detection resolution, dpi")
    paper_sizes_mm: tuple[tuple[float, float], ...] = Field(
        min_length=1, description="paper sizes (short, long side) whose dpi is believed, mm"
    )
    paper_size_tolerance: float = Field(gt=0.0, lt=0.5)
    work_long_side_px: int = Field(ge=200, le=4000, description="work size without a dpi")
    long_axis_share: tuple[float, float] = Field(
        description="a seal's long axis as shares of the image's short side, without a dpi"
    )
    long_axis_mm: tuple[float, float] = Field(description="a seal's long axis, mm")
    min_round_mm: float = Field(gt=0.0, description="smallest round or oval seal, mm")
    max_aspect: float = Field(ge=1.0, description="long over short axis, at most")
    oval_aspect: float = Field(ge=1.0, description="above this a ring is oval")
    paper_window_mm: float = Field(gt=0.0, le=50.0)
    ink_redness: tuple[float, float] = Field(description="faint and sure seal ink's redness")
    ink_min_red_share: float = Field(ge=0.0, lt=1.0)
    tint_mm: float = Field(gt=0.0, le=20.0)
    faint_arc: float = Field(gt=0.0, le=2.0, description="faint ink this long is ink")
    other_inks: dict[Literal["blue", "black"], InkThresholds] = Field(
        default_factory=dict, description="seals in other inks than red, on colour scans"
    )
    merge_mm: float = Field(gt=0.0, le=10.0)
    beyond_page_mm: float = Field(
        0.0,
        ge=0.0,
        le=50.0,
        description="broad ink this wide at the image's edge, longer than a seal: beyond the page",
    )
    beyond_ring_peak: float = Field(
        0.75, gt=0.0, le=1.0, description="ring peak an outline running over that ground needs"
    )
    hough_votes_red: float = Field(gt=0.0)
    max_rings_tried: int = Field(ge=0, le=200)
    hough_from_round: bool = Field(
        False,
        description="rings looked for (Hough) from the smallest round seal's radius over "
        "max_aspect (min_round), not the smallest seal's of any shape (long_axis' first)",
    )
    unsized_round_share: float = Field(
        0.0,
        ge=0.0,
        le=1.1,
        description="without believable mm, the smallest round seal's long axis as a share of "
        "the image's short side, where the ring search starts (with hough_from_round; "
        "0: long_axis_share's first)",
    )
    pair_oval_overlap: float = Field(
        0.0, ge=0.0, le=2.0, description="two round seals overlapping this much: an oval tried"
    )
    pair_oval_gain: float = Field(
        0.05, ge=0.0, le=1.0, description="that oval's ring fuller than either piece's by this"
    )
    over_seal_offset: float = Field(
        0.0, ge=0.0, le=2.0, description="a smaller seal centred this far out is another (0: none)"
    )
    over_seal_peak: float = Field(1.0, gt=0.0, le=1.0, description="... with this much ring")
    around_ring_seals: bool = Field(
        False,
        description="ring outlines that failed checked again with paper just outside judged "
        "without all the ink of the sure seals found (star, over_seal_peak)",
    )
    weak_over_seal: bool = Field(
        False,
        description="an outline only a weaker search found, near a seal found, kept when it "
        "is another seal over it (over_seal_offset, over_seal_peak)",
    )
    edge_ring_votes: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of the votes a ring cut by the edge or a seal needs (0: none)",
    )
    starred_ring_votes: bool = Field(
        False, description="rings round a star also taken at edge_ring_votes"
    )
    ring_search_peak: float = Field(
        ge=0.0, le=1.0, description="region seals with less ring than this keep their ink"
    )
    min_ring_rays: int = Field(ge=5, le=120)
    ring_swing: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="an ellipse refit moved this share of the ring's radius is refitted as a "
        "circle too (0: not)",
    )
    edge_held_ellipse: bool = Field(
        False,
        description="a ring cut by the edge also fitted as an ellipse held round its circle's "
        "centre",
    )
    ring_search_extent: float = Field(
        0.0,
        ge=0.0,
        le=2.0,
        description="rings looked for only in ink regions this share of the smallest seal "
        "across (0: all the ink; red: 0, other_inks set their own)",
    )
    edge_hough_held: bool = Field(
        False,
        description="a ring cut by the edge also fitted as an ellipse held round the Hough "
        "ring's own centre",
    )
    ring_search: RingSearch | None = Field(
        None,
        description="each Hough ring also looked for as the circle nearby with ink in the "
        "most directions, kept round a star on clear paper (None: not)",
    )
    ring_grow: float = Field(
        1.0, ge=1.0, le=1.5, description="a ring's fit tried again from this much larger (1: not)"
    )
    ring_band: tuple[float, float]
    ring_bins: int = Field(ge=36, le=1440)
    ring_coverage: float = Field(gt=0.0, le=1.0)
    ring_peak: float = Field(gt=0.0, le=1.0)
    partial_ring: PartialRing | None = Field(
        None, description="a partial ring kept on clear paper (None: none is)"
    )
    max_ring_width: float = Field(gt=0.0, le=0.5)
    min_in_view: float = Field(gt=0.0, le=1.0)
    edge_off_share: float = Field(gt=0.0, lt=1.0, description="outline off the page: 骑缝章")
    outside_band: tuple[float, float]
    ring_contrast: float = Field(ge=0.0, le=1.0)
    starless_line: tuple[float, float] = Field(
        description="a ring without a star: its width (share of radius) in this share of directions"
    )
    lettering_band: tuple[float, float]
    lettering_coverage: float = Field(ge=0.0, le=1.0)
    bare_ring_width: float = Field(ge=0.0, le=0.5)
    bare_ring_peak: float = Field(gt=0.0, le=1.0)
    lettered_ring_width: float = Field(gt=0.0, le=0.5)
    lettered_ring_peak: float = Field(
        gt=0.0, le=1.0, description="ring peak a ring wider than max_ring_width needs"
    )
    lettered_coverage: float = Field(ge=0.0, le=1.0)
    lettered_contrast: float = Field(ge=0.0, le=1.0)
    ring_line: float = Field(gt=0.0, le=0.2)
    fill_range: tuple[float, float]
    paper_inside_band: tuple[float, float]
    max_inside_tint: float = Field(gt=0.0, le=1.0, description="paper inside a ring, redder")
    square_fill: float = Field(gt=0.79, le=1.0)
    star_radius: float = Field(gt=0.0, lt=0.5)
    star_share: float = Field(gt=0.0, lt=1.0)
    hough_canny: float = Field(gt=0.0)
    hough_votes: float = Field(gt=0.0)
    grey_hough_radius_px: float = Field(gt=0.0)
    ring_coverage_grey: float = Field(gt=0.0, le=1.0)
    ring_peak_grey: float = Field(gt=0.0, le=1.0)
    partial_ring_grey: GreyPartialRing | None = Field(
        None, description="a broken grey ring kept round a star on clear paper (None: none is)"
    )
    ring_contrast_grey: float = Field(gt=0.0, le=1.0)
    text_band_ink_grey: float = Field(ge=0.0, le=1.0)
    grey_ink_share: float = Field(gt=0.0, lt=1.0)
    max_confidence_grey: float = Field(gt=0.0, le=1.0)
    text_band: tuple[float, float]
    gap_band: tuple[float, float]
    gap_window_deg: float = Field(gt=0.0, lt=180.0)
    strip_height_px: int = Field(ge=16, le=256)
    lettering_pad_px: int = Field(
        0, ge=0, le=256, description="paper round an image the OCR reads, at most (0: no cap)"
    )
    tight_lines: bool = True
    lettering_det_scale: float = Field(1.0, gt=0.0, le=1.0)
    ring_det_scale: float = Field(
        1.0, gt=0.0, le=1.0, description="lettering_det_scale for the ring's strips"
    )
    serial_sector_deg: float = Field(ge=0.0, lt=180.0)
    cut_margin_deg: float = Field(ge=0.0, lt=90.0)
    code_sector_deg: float = Field(gt=0.0, le=180.0)
    code_ink_deg: float = Field(gt=0.0, le=180.0)
    code_min_chars: int = Field(ge=1, le=40)
    inner_radius: float = Field(gt=0.0, le=1.0)
    inner_ink_from: float = Field(ge=0.0, lt=1.0)
    min_ink_share: float = Field(ge=0.0, lt=1.0)
    retry_below: float = Field(ge=0.0, le=1.0)
    mirror_min_glyphs: int = Field(ge=0, le=40)
    unmirrored_marks: tuple[str, ...] = ()
    square_tries: int = Field(ge=1, le=5)
    min_text_confidence: float = Field(ge=0.0, le=1.0)
    max_seals_read: int = Field(ge=0, le=50)

    @model_validator(mode="after")
    def _consistent(self) -> SealDetection:
        _range(self.long_axis_mm, "long_axis_mm")
        _range(self.long_axis_share, "long_axis_share", upper=2.0)
        for short, long in self.paper_sizes_mm:
            if not 0.0 < short <= long:
                raise ValueError("paper_sizes_mm: each is (short side, long side), mm")
        _range(self.outside_band, "outside_band", upper=2.0)
        _range(self.lettering_band, "lettering_band", upper=1.0)
        _range(self.ink_redness, "ink_redness", upper=1.0)
        if self.outside_band[0] <= self.ring_band[1]:
            raise ValueError("outside_band: must lie outside ring_band")
        _range(self.ring_band, "ring_band", upper=1.5)
        _range(self.fill_range, "fill_range", upper=1.0)
        _range(self.paper_inside_band, "paper_inside_band", upper=1.0)
        share, width = self.starless_line
        if not (1 / 3 <= share <= 1.0 and 0.0 < width <= 0.5):
            raise ValueError("starless_line: (share of directions 1/3-1, width 0-0.5)")
        _range(self.text_band, "text_band", upper=1.0)
        _range(self.gap_band, "gap_band", upper=1.0)
        if not self.text_band[0] <= self.gap_band[0] < self.gap_band[1] <= self.text_band[1]:
            raise ValueError("gap_band: must lie within text_band")
        if not self.inner_ink_from < self.text_band[0]:
            raise ValueError("inner_ink_from: must lie inside text_band")
        if self.code_ink_deg > self.code_sector_deg:
            raise ValueError("code_ink_deg: cannot exceed code_sector_deg")
        if not self.long_axis_mm[0] <= self.min_round_mm <= self.long_axis_mm[1]:
            raise ValueError("min_round_mm: must lie within long_axis_mm")
        if self.oval_aspect > self.max_aspect:
            raise ValueError("oval_aspect: cannot exceed max_aspect")
        return self
