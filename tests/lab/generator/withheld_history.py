"""The style split's history (issue 17), in one place for the tests of every session's marks
and dimensions: which families each session retired from withheld to tuned, which it
added as withheld, and the tick marks those brought. A fixed expectation, not read from
styles.yaml: a test fails when the file and the history disagree.
"""

from __future__ import annotations

from shenbao_lab.generator.styles import StyleFamily, TickMark

# session 14: three withheld families retired (struck options, faint ticks) ...
SESSION_14_RETIRED = (
    "pen-strike-others-heavy-hand",
    "phone-faint-tick-backhand",
    "grey-faint-tick-skewed",
)
# ... and five added as withheld, each with a mark the generator did not draw before
SESSION_14_WITHHELD = (
    "phone-tick-on-words",
    "wrapped-big-cross-merged",
    "grey-word-check-after",
    "bw-black-circle-holes",
    "copy-scribble-hurried",
)
SESSION_14_MARKS = (
    TickMark.PEN_CROSS_OVERSHOOT,
    TickMark.PEN_CHECK_WORDS,
    TickMark.TYPED_CHECK_AFTER,
    TickMark.TYPED_BLACK_CIRCLE,
    TickMark.PEN_SCRIBBLE,
)

# session 15: four of session 14's and bw-turned-glyph-cross (session 13's) retired ...
SESSION_15_RETIRED = (
    "phone-tick-on-words",
    "wrapped-big-cross-merged",
    "grey-word-check-after",
    "bw-black-circle-holes",
    "bw-turned-glyph-cross",
)
# ... and five added as withheld, each with a mark the generator did not draw before
SESSION_15_WITHHELD = (
    "grey-shaded-words-holes",
    "bw-deleted-options-double",
    "phone-bold-underlined",
    "grey-double-circle-copy",
    "pen-dot-narrow-lists",
)
SESSION_15_MARKS = (
    TickMark.TYPED_SHADING,
    TickMark.TYPED_OTHERS_DELETED,
    TickMark.TYPED_BOLD_UNDERLINE,
    TickMark.TYPED_DOUBLE_CIRCLE,
    TickMark.PEN_DOT,
)

# session 16: three of session 15's retired (shading, the others deleted, ◎) ...
SESSION_16_RETIRED = (
    "grey-shaded-words-holes",
    "bw-deleted-options-double",
    "grey-double-circle-copy",
)
# ... and three added as withheld, each with a mark the generator did not draw before,
# carrying the scan and table dimensions the retired three took
SESSION_16_WITHHELD = (
    "grey-highlighter-holes",
    "bw-hatched-double-merged",
    "red-tick-wrapped-shadow",
)
SESSION_16_MARKS = (
    TickMark.PEN_HIGHLIGHT,
    TickMark.PEN_HATCH,
    TickMark.PEN_CHECK_RED,
)

# session 17: three of session 16's and session 15's retired (a highlighter over the
# words, the words bold and underlined, a pen scribble) ...
SESSION_17_RETIRED = (
    "grey-highlighter-holes",
    "phone-bold-underlined",
    "copy-scribble-hurried",
)
# ... and three added as withheld, each with a mark the generator did not draw before,
# carrying the scan and table dimensions the retired three took
SESSION_17_WITHHELD = (
    "grey-pencil-tick-holes",
    "copy-corrected-merged",
    "phone-ringed-box-spaced",
)
SESSION_17_MARKS = (
    TickMark.PEN_CHECK_PENCIL,
    TickMark.PEN_CHECK_CORRECTED,
    TickMark.PEN_RING_BOX,
)

# session 18: three of session 17's and session 16's retired (a pencil ✓, a pen oval
# round the box, a red ✓) ...
SESSION_18_RETIRED = (
    "grey-pencil-tick-holes",
    "phone-ringed-box-spaced",
    "red-tick-wrapped-shadow",
)
# ... and three added as withheld, each with a mark the generator did not draw before,
# carrying the scan and table dimensions the retired three took
SESSION_18_WITHHELD = (
    "phone-red-words-spaced",
    "grey-marker-tick-holes",
    "lifted-tick-wrapped-shadow",
)
SESSION_18_MARKS = (
    TickMark.TYPED_RED_WORDS,
    TickMark.PEN_CHECK_MARKER,
    TickMark.PEN_CHECK_LIFTED,
)

# session 19: two of session 18's retired (the chosen words coloured red in Word, every
# box left □: 0/6; a broad felt-tip ✓ over the box's rules: 4/6) ...
SESSION_19_RETIRED = (
    "phone-red-words-spaced",
    "grey-marker-tick-holes",
)
# ... and two added as withheld, each with a mark the generator did not draw before,
# carrying the scan and table dimensions the retired two took
SESSION_19_WITHHELD = (
    "phone-stamped-tick-spaced",
    "grey-taped-tick-holes",
)
SESSION_19_MARKS = (
    TickMark.STAMP_CHECK,
    TickMark.PEN_CHECK_TAPED,
)

# session 20: one of session 19's and one of session 16's retired, so that the other
# helpers may tune on them (a ✓ beside another option's ✓ hidden under correction tape:
# 5/6; the box hatched with parallel pen strokes: 5/6) ...
SESSION_20_RETIRED = (
    "bw-hatched-double-merged",
    "grey-taped-tick-holes",
)
# ... and two added as withheld, each with a mark the generator did not draw before,
# carrying the scan and table dimensions the retired two took
SESSION_20_WITHHELD = (
    "bw-lasso-double-merged",
    "grey-tick-above-holes",
)
SESSION_20_MARKS = (
    TickMark.PEN_LASSO_WORDS,
    TickMark.PEN_CHECK_ABOVE,
)

# the newest withheld families, session 20's and the earlier sessions' still withheld:
# the ones that must carry the dimensions the retired took, each fresh beyond its mark
_RETIRED_SINCE_15 = (
    SESSION_16_RETIRED
    + SESSION_17_RETIRED
    + SESSION_18_RETIRED
    + SESSION_19_RETIRED
    + SESSION_20_RETIRED
)
NEW_WITHHELD = (
    SESSION_20_WITHHELD
    + tuple(n for n in SESSION_19_WITHHELD if n not in SESSION_20_RETIRED)
    + tuple(n for n in SESSION_18_WITHHELD if n not in _RETIRED_SINCE_15)
    + tuple(n for n in SESSION_17_WITHHELD if n not in _RETIRED_SINCE_15)
    + tuple(n for n in SESSION_16_WITHHELD if n not in _RETIRED_SINCE_15)
    + tuple(n for n in SESSION_15_WITHHELD if n not in _RETIRED_SINCE_15)
)
NEW_MARKS = (
    *SESSION_20_MARKS,
    TickMark.STAMP_CHECK,
    TickMark.PEN_CHECK_LIFTED,
    TickMark.PEN_CHECK_CORRECTED,
    TickMark.PEN_DOT,
)


def other_choices(f: StyleFamily) -> set[tuple[str, object]]:
    """A family's choices beyond its tick mark that a reader could have learnt from: its
    dpi, type size, skew, JPEG range, and the hand and ink of its opinion."""
    own: set[tuple[str, object]] = {("dpi", d) for d in f.scan.dpi if d != "house"}
    own |= {("size", s) for s in f.type.sizes if s != "house"}
    own |= {("skew", f.scan.max_skew_deg)} if f.scan.max_skew_deg is not None else set()
    own |= {("jpeg", f.scan.jpeg_quality)} if f.scan.jpeg_quality is not None else set()
    own |= {
        ("pen", (h, i))
        for h in f.handwriting.hands
        for i in f.handwriting.inks
        if (h, i) != ("house", "house")
    }
    return own


def carried_dimensions(families: list[StyleFamily]) -> set[tuple[str, object]]:
    """The scan, table, type and hand choices the families make between them (those a
    withheld family retired must hand on to the new ones, so that both splits keep using
    every dimension)."""
    out: set[tuple[str, object]] = set()
    for f in families:
        out |= {("mode", m) for m in f.scan.modes if m != "house"}
        out |= {("turn", t) for t in f.scan.turns if t}
        out |= {("holes", h) for h in f.scan.punched_holes if h}
        out |= {("shadow", h) for h in f.scan.binding_shadow if h}
        out |= {("photocopy", p) for p in f.scan.photocopy if p}
        out |= {("phone", p) for p in f.scan.phone_photo if p}
        out |= {("rules", r) for r in f.tables.rules if r != "house"}
        out |= {("merged", m) for m in f.tables.merged_cells if m}
        out |= {("lines", x) for x in f.tables.lists if x != "house"}
        out |= {("wrapped", w) for w in f.type.wrapped_options if w}
        out |= {("spaced", s) for s in f.type.spaced_labels if s}
        out |= {("hand", h.value) for h in f.handwriting.hands if h.value != "house"}
        out |= {("ink", i) for i in f.handwriting.inks if i != "house"}
    return out
