"""The schema of ``rules/ticks.yaml``: tick-box ink levels and confidences."""

from __future__ import annotations

from pydantic import Field, model_validator

from pipeline.config import Spec


class TickConfidence(Spec):
    """How sure each kind of tick-box reading is."""

    exact: float = Field(ge=0.0, le=1.0)
    scan: float = Field(ge=0.0, le=1.0)
    mapped_by_text: float = Field(ge=0.0, le=1.0)
    disagreement: float = Field(ge=0.0, le=1.0)
    missing_boxes: float = Field(ge=0.0, le=1.0)
    ambiguous: float = Field(ge=0.0, le=1.0)
    several: float = Field(ge=0.0, le=1.0)
    text_only: float = Field(ge=0.0, le=1.0)
    marked_elsewhere: float = Field(ge=0.0, le=1.0)
    none_ticked: float = Field(ge=0.0, le=1.0)
    typed_glyph: float = Field(ge=0.0, le=1.0)
    outside: float = Field(ge=0.0, le=1.0)
    pale: float = Field(ge=0.0, le=1.0)
    struck_others: float = Field(ge=0.0, le=1.0)
    glyph_before: float = Field(ge=0.0, le=1.0)
    words_ink: float = Field(ge=0.0, le=1.0)
    only_printed: float = Field(ge=0.0, le=1.0)
    ringed: float = Field(ge=0.0, le=1.0)


class TypedMarks(Spec):
    """What the OCR reads in front of an option's words where a box is typed, not ruled."""

    ticked: str = Field(min_length=1)
    empty: str = Field(min_length=1)
    in_box: str = Field(
        min_length=1, description="ticked marks that fill a box's place (never typed after words)"
    )

    @model_validator(mode="after")
    def _apart(self) -> TypedMarks:
        if set(self.ticked) & set(self.empty):
            raise ValueError("typed_marks: a character cannot be both ticked and empty")
        if not set(self.in_box) <= set(self.ticked):
            raise ValueError("typed_marks: in_box marks must be ticked marks")
        return self


class OutsideMarks(Spec):
    """How a mark made outside the boxes is told from the group's other options
    (``outside`` in ``rules/ticks.yaml``; the ink is ``Page.tick_rows``)."""

    stroke_marked: float = Field(gt=0.0, le=1.0, description="words' share under a stroke")
    stroke_clear: float = Field(ge=0.0, lt=1.0, description="...at most this on the others")
    stroke_alone: float = Field(
        gt=0.0, le=1.0, description="a stroke's share that marks the one option carrying one"
    )
    stroke_quiet: float = Field(
        ge=0.0, lt=1.0, description="...while the others carry this at most"
    )
    place_alone: float = Field(
        gt=0.0, le=1.0, description="share inked above the one option's box place"
    )
    place_quiet: float = Field(ge=0.0, lt=1.0, description="...at most this above the others'")
    gap: tuple[float, float] = Field(description="gap before the next box searched, sides")
    gap_marked: float = Field(gt=0.0, le=1.0, description="gap's share inked by a mark")
    gap_clear: float = Field(ge=0.0, lt=1.0, description="...at most this on the others")
    longest_stroke: float = Field(gt=0.0, description="longer strokes (sides) are no mark")
    struck_marked: float = Field(gt=0.0, le=1.0, description="words' share struck through")
    struck_clear: float = Field(ge=0.0, lt=1.0, description="...at most this on the one left")
    struck_part: float = Field(gt=0.0, description="parts this long (sides) judged on their own")
    struck_crossed: float = Field(
        ge=0.0, lt=1.0, description="struck words with strokes above and below past this: a ✓"
    )
    after_em: float = Field(
        gt=0.0, description="words' ink this many ems wider than the siblings' print: a glyph after"
    )

    @model_validator(mode="after")
    def _ordered(self) -> OutsideMarks:
        if (
            self.stroke_clear >= self.stroke_marked
            or self.gap_clear >= self.gap_marked
            or self.struck_clear >= self.struck_marked
        ):
            raise ValueError("a clear option must carry less ink than a marked one")
        if not 0.0 <= self.gap[0] < self.gap[1]:
            raise ValueError("gap: needs 0 <= near < far")
        return self


class PaleMarks(Spec):
    """When a box with no dark ink is read from its pale ink (``pale`` in
    ``rules/ticks.yaml``; the measure is ``TickBox.pale``)."""

    marked: float = Field(gt=0.0, le=1.0, description="the box's inside this pale-marked")
    clear: float = Field(ge=0.0, lt=1.0, description="...while every other box is at most this")
    short_of_tick: float = Field(
        gt=0.0, le=1.0, description="a box with dark ink short of a tick: this pale-marked"
    )

    @model_validator(mode="after")
    def _ordered(self) -> PaleMarks:
        if self.clear >= self.marked:
            raise ValueError("pale: a clear box must carry less pale ink than a marked one")
        if self.short_of_tick < self.marked:
            raise ValueError("pale: short_of_tick needs at least the marked share")
        return self


class GlyphBefore(Spec):
    """When a box-less group is read from a glyph's ink before one option's words
    (``glyph_before`` in ``rules/ticks.yaml``; the ink is ``Page.line_ink``)."""

    split: float = Field(gt=0.0, description="paper this wide (line heights) parts options")
    glyph: tuple[float, float] = Field(description="a glyph's width, in the words' ems")
    marked: float = Field(gt=0.0, description="words this many ems wider carry a glyph")
    clear: float = Field(ge=0.0, description="words at most this many ems wider are clear")

    @model_validator(mode="after")
    def _ordered(self) -> GlyphBefore:
        if not 0.0 < self.glyph[0] < self.glyph[1]:
            raise ValueError("glyph: needs 0 < low < high")
        if self.clear >= self.marked:
            raise ValueError("clear must be below marked")
        return self


class WordsInk(Spec):
    """When a group is read from the ink its options' words carry besides their print
    (``words_ink`` in ``rules/ticks.yaml``; the darkness is ``LineInk.shade``)."""

    same_size: float = Field(gt=0.0, lt=1.0, description="lines this near in height are alike")
    min_lines: int = Field(ge=1, description="printed lines needed for the page's expectation")
    marked: float = Field(gt=0.0, description="the chosen words carry this many printed inks")
    margin: float = Field(gt=0.0, description="...and this much more than any other option")
    plain: float = Field(gt=0.0, description="every other option at most this")
    noticed: float = Field(gt=0.0, description="an option this inked, not clear, is a doubt")
    noticed_margin: float = Field(ge=0.0, description="...when this far above the others")
    tint_margin: float = Field(gt=0.0, description="a tinted ground this much darker")
    tint_ratio: float = Field(gt=1.0, description="...and this many times as dark")
    heavier_ink: float = Field(gt=1.0, description="heavier words: this many times the ink")
    colour_min: float = Field(gt=0.0, le=1.0, description="coloured share of the words' ink")
    colour_ratio: float = Field(gt=1.0, description="...this many times any other option's")
    heavier_stroke: float = Field(gt=1.0, description="...and this many times the strokes' width")
    heavier_print: float = Field(gt=0.0, description="...and at least this many printed inks")
    lighter: float = Field(
        gt=0.0, lt=1.0, description="greyscale: words this share of every other's ink: a doubt"
    )
    coloured_words: float = Field(
        gt=0.0, le=1.0, description="words printed in colour: this share of their ink coloured"
    )
    coloured_plain: float = Field(
        ge=0.0, lt=1.0, description="...while every other option's words at most this"
    )
    pen_min: float = Field(
        gt=0.0, le=1.0, description="a pen's colour over words: this share of their ink"
    )
    pen_plain: float = Field(
        ge=0.0, lt=1.0, description="...while every other option's words at most this"
    )

    @model_validator(mode="after")
    def _ordered(self) -> WordsInk:
        if not self.plain < self.marked or not self.noticed <= self.marked:
            raise ValueError("words_ink: needs plain < marked and noticed <= marked")
        if not self.coloured_plain < self.coloured_words:
            raise ValueError("words_ink: needs coloured_plain < coloured_words")
        if not self.pen_plain < self.pen_min:
            raise ValueError("words_ink: needs pen_plain < pen_min")
        return self


class TickRules(Spec):
    """The schema of ``rules/ticks.yaml``."""

    ticked_ink: float = Field(gt=0.0, le=1.0)
    empty_ink: float = Field(ge=0.0, lt=1.0)
    label_match: float = Field(ge=0.0, le=100.0)
    wrap_depth: float = Field(ge=0.0)
    seal_ring: float = Field(
        ge=0.0, lt=1.0, description="ink this near a non-red seal's ring is the ring's"
    )
    seal_face: float = Field(
        ge=0.0,
        lt=1.0,
        description="a box this near inside a dark seal's face may hold its lettering",
    )
    seal_lettering: float = Field(
        gt=0.0,
        le=1.0,
        description="a line this much inside a seal, off the label column, is its words",
    )
    option_match: float = Field(ge=0.0, le=100.0)
    unread_label: float = Field(
        gt=0.0, le=1.0, description="the label's quality when its own options' words stand in"
    )
    box_gap: float = Field(
        gt=0.0, description="a box starting nearer than this many sides after another is a glyph"
    )
    spaced_gap: float = Field(
        gt=0.0, description="a spaced label's pieces on a row stand at most this many heights apart"
    )
    alone_option: int = Field(
        ge=2, description="a lone option this long, a label's start beside it, finds the group"
    )
    alone_words_slack: float = Field(
        ge=0.0,
        description="ink on a lone option's line further than this many line heights past its "
        "words (LineInk.spans) is words the OCR did not read: the option is not alone",
    )
    confidence: TickConfidence
    near_sides: float = Field(ge=0.0, description="unread ink this many box sides round")
    near_words: float = Field(ge=0.0, description="...and this many right of the last box")
    typed_marks: TypedMarks
    outside: OutsideMarks
    pale: PaleMarks
    glyph_before: GlyphBefore
    words_ink: WordsInk

    @model_validator(mode="after")
    def _ink_levels_ordered(self) -> TickRules:
        if self.empty_ink >= self.ticked_ink:
            raise ValueError("empty_ink must be below ticked_ink")
        return self
