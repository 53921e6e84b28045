"""Style families: named, seeded sets of rendering choices, drawn per submission (issue 17).

The generator's own habits (``house``) are one family; the others imitate forms filled,
printed and scanned by other hands. Families are data (``styles.yaml``), validated when
loaded; each is ``tuned`` (readers may be tuned on it) or ``withheld`` (only measured).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

STYLES_FILE = Path(__file__).with_name("styles.yaml")
Split = Literal["house", "tuned", "withheld"]
SPLITS: tuple[Split, ...] = ("house", "tuned", "withheld")
T = TypeVar("T")


class StyleChoice(StrEnum):
    """What ``--styles`` takes: one split, or every family but ``house``."""

    HOUSE = "house"
    TUNED = "tuned"
    WITHHELD = "withheld"
    ALL = "all"


STYLE_CHOICES = tuple(c.value for c in StyleChoice)


class TickMark(StrEnum):
    """How the chosen option of a tick group is marked (``styles.yaml`` says each)."""

    HOUSE = "house"
    TYPED_CHECK = "typed_check"
    TYPED_BLACK_SQUARE = "typed_black_square"
    TYPED_CHECK_GLYPH = "typed_check_glyph"
    PEN_CHECK_LARGE = "pen_check_large"
    PEN_CROSS = "pen_cross"
    PEN_FILL = "pen_fill"
    PEN_CIRCLE = "pen_circle"
    PEN_BESIDE = "pen_beside"
    PEN_UNDERLINE = "pen_underline"
    TYPED_CROSS_GLYPH = "typed_cross_glyph"
    TYPED_BALLOT_CHECK = "typed_ballot_check"
    TYPED_BALLOT_CROSS = "typed_ballot_cross"
    TYPED_CHECK_BEFORE = "typed_check_before"
    PEN_SLASH = "pen_slash"
    PEN_CHECK_FAINT = "pen_check_faint"
    PEN_CIRCLE_STRIKE = "pen_circle_strike"
    PEN_STRIKE_OTHERS = "pen_strike_others"
    PEN_CROSS_OVERSHOOT = "pen_cross_overshoot"
    PEN_CHECK_WORDS = "pen_check_words"
    TYPED_CHECK_AFTER = "typed_check_after"
    TYPED_BLACK_CIRCLE = "typed_black_circle"
    PEN_SCRIBBLE = "pen_scribble"
    TYPED_SHADING = "typed_shading"
    TYPED_OTHERS_DELETED = "typed_others_deleted"
    TYPED_BOLD_UNDERLINE = "typed_bold_underline"
    TYPED_DOUBLE_CIRCLE = "typed_double_circle"
    PEN_DOT = "pen_dot"
    PEN_HIGHLIGHT = "pen_highlight"
    PEN_HATCH = "pen_hatch"
    PEN_CHECK_RED = "pen_check_red"
    PEN_CHECK_PENCIL = "pen_check_pencil"
    PEN_CHECK_CORRECTED = "pen_check_corrected"
    PEN_RING_BOX = "pen_ring_box"
    TYPED_RED_WORDS = "typed_red_words"
    PEN_CHECK_MARKER = "pen_check_marker"
    PEN_CHECK_LIFTED = "pen_check_lifted"
    STAMP_CHECK = "stamp_check"
    PEN_CHECK_TAPED = "pen_check_taped"
    PEN_LASSO_WORDS = "pen_lasso_words"
    PEN_CHECK_ABOVE = "pen_check_above"

    @property
    def strikes_others(self) -> bool:
        """The options not chosen are struck out by pen (a line through their words)."""
        return self in (TickMark.PEN_CIRCLE_STRIKE, TickMark.PEN_STRIKE_OTHERS)

    @property
    def typed(self) -> bool:
        """Printed with the form (typed in Word), not drawn on the paper by pen."""
        return self.value.startswith("typed_")

    @property
    def glyph_boxes(self) -> bool:
        """The boxes are typed characters (□), not ruled squares."""
        return self in (
            TickMark.TYPED_BLACK_SQUARE,
            TickMark.TYPED_CHECK_GLYPH,
            TickMark.TYPED_CROSS_GLYPH,
            TickMark.TYPED_BALLOT_CHECK,
            TickMark.TYPED_BALLOT_CROSS,
            TickMark.TYPED_CHECK_AFTER,
            TickMark.TYPED_BLACK_CIRCLE,
            TickMark.TYPED_SHADING,
            TickMark.TYPED_OTHERS_DELETED,
            TickMark.TYPED_BOLD_UNDERLINE,
            TickMark.TYPED_DOUBLE_CIRCLE,
            TickMark.TYPED_RED_WORDS,
        )

    @property
    def typed_after_words(self) -> bool:
        """The chosen option's box is left as the others (□) and a √ is typed just after
        its words."""
        return self is TickMark.TYPED_CHECK_AFTER

    @property
    def marks_words(self) -> bool:
        """The chosen option's box is left as the others (□) and its words are set apart
        in Word: shaded grey behind them, typed bold and underlined, or coloured red."""
        return self in (
            TickMark.TYPED_SHADING,
            TickMark.TYPED_BOLD_UNDERLINE,
            TickMark.TYPED_RED_WORDS,
        )

    @property
    def deletes_others(self) -> bool:
        """The other options of a ticked group were deleted in Word, boxes and words: only
        the chosen option's words are left in the cell, with no box before them (a group
        left blank keeps every option and its □)."""
        return self is TickMark.TYPED_OTHERS_DELETED

    @property
    def boxless(self) -> bool:
        """No box at all, ruled or typed: the chosen option's words carry a mark before them."""
        return self is TickMark.TYPED_CHECK_BEFORE

    @property
    def symbol_font(self) -> bool:
        """Typed in a symbol font (Word's ☑ ☒ ✔ come from one), not the text's own face."""
        return self in (
            TickMark.TYPED_BALLOT_CHECK,
            TickMark.TYPED_BALLOT_CROSS,
            TickMark.TYPED_CHECK_BEFORE,
        )


Face = Literal["house", "song", "hei"]
"""The form's body type: ``house`` (labels 黑体 on the cover, 宋体 elsewhere), or one face
for every label, value, option and table cell. Only the faces the project installs can
be used offline: 宋体-like Noto Serif SC (``song``) and 黑体-like Noto Sans SC (``hei``),
from the ``pylopdf-fonts-zh-cn`` wheel; 楷体 and 仿宋 are not on the machine."""
Colon = Literal["house", "fullwidth", "ascii", "none"]
"""After a label: ``house`` (： on the cover, none in the table), ：, : or nothing."""
ScanMode = Literal["house", "greyscale", "bilevel"]
"""``house`` (colour or greyscale as the scenario says), greyscale, or 1-bit black/white."""
TableRules = Literal["house", "no_vertical", "thick", "double"]
"""Table rulings: ``house`` (a full grid of thin rules), no vertical rules at all, every
rule thick, or the frame and the header's rule doubled."""
ListLines = Literal["house", "lines"]
"""A list cell (the platforms): ``house`` (one run joined by 、 or ；, wrapped at the cell's
edge) or ``lines`` (each item on a line of its own, no separator)."""
Turn = Literal[0, 90, 180, 270]
"""One page fed turned clockwise by this many degrees (0: none beyond the scenario's)."""


class Hand(StrEnum):
    """Whose hand writes the recommendation opinion and its date (``styles.yaml`` says
    each; ``ink.HANDS`` holds what each means for the pen)."""

    HOUSE = "house"
    NEAT = "neat"
    HURRIED = "hurried"
    HEAVY = "heavy"
    BACKHAND = "backhand"


Ink = Literal["house", "blue", "black"]
"""The colour of the pen that writes the opinion and its date: ``house`` (blue-black)."""

MIN_PT, MAX_PT = 10.5, 14.0
MIN_DPI, MAX_DPI = 150, 300


def _one_of(values: tuple[object, ...], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what}: a choice is listed twice")


class TypeChoices(BaseModel):
    """What a family may choose for its type (one choice per submission)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    faces: tuple[Face, ...] = Field(("house",), min_length=1)
    sizes: tuple[float | Literal["house"], ...] = Field(("house",), min_length=1)
    spaced_labels: tuple[bool, ...] = Field((False,), min_length=1)
    colons: tuple[Colon, ...] = Field(("house",), min_length=1)
    wrapped_options: tuple[bool, ...] = Field((False,), min_length=1)

    @model_validator(mode="after")
    def _in_range(self) -> TypeChoices:
        for size in self.sizes:
            if size != "house" and not MIN_PT <= float(size) <= MAX_PT:
                raise ValueError(f"type size {size} pt is outside {MIN_PT}–{MAX_PT} pt")
        for values, what in (
            (self.faces, "faces"),
            (self.sizes, "sizes"),
            (self.spaced_labels, "spaced_labels"),
            (self.colons, "colons"),
            (self.wrapped_options, "wrapped_options"),
        ):
            _one_of(tuple(values), what)
        return self


class ScanChoices(BaseModel):
    """What a family may choose for its scanner and the paper it was fed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    modes: tuple[ScanMode, ...] = Field(("house",), min_length=1)
    dpi: tuple[int | Literal["house"], ...] = Field(("house",), min_length=1)
    jpeg_quality: tuple[int, int] | None = Field(
        None, description="JPEG quality drawn in [low, high]; None: the house profile's"
    )
    max_skew_deg: float | None = Field(
        None, ge=0.0, le=15.0, description="skew drawn in ±this; None: the house profile's"
    )
    turns: tuple[Turn, ...] = Field((0,), min_length=1)
    photocopy: tuple[bool, ...] = Field((False,), min_length=1)
    binding_shadow: tuple[bool, ...] = Field((False,), min_length=1)
    punched_holes: tuple[bool, ...] = Field((False,), min_length=1)
    phone_photo: tuple[bool, ...] = Field((False,), min_length=1)

    @model_validator(mode="after")
    def _in_range(self) -> ScanChoices:
        for dpi in self.dpi:
            if dpi != "house" and not MIN_DPI <= int(dpi) <= MAX_DPI:
                raise ValueError(f"scan dpi {dpi} is outside {MIN_DPI}–{MAX_DPI}")
        if self.jpeg_quality is not None:
            low, high = self.jpeg_quality
            if not 10 <= low <= high <= 95:
                raise ValueError("jpeg_quality must be [low, high] within 10–95")
        for values, what in (
            (self.modes, "modes"),
            (self.dpi, "dpi"),
            (self.turns, "turns"),
            (self.photocopy, "photocopy"),
            (self.binding_shadow, "binding_shadow"),
            (self.punched_holes, "punched_holes"),
            (self.phone_photo, "phone_photo"),
        ):
            _one_of(tuple(values), what)
        return self


class TableChoices(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[TableRules, ...] = Field(("house",), min_length=1)
    lists: tuple[ListLines, ...] = Field(("house",), min_length=1)
    merged_cells: tuple[bool, ...] = Field((False,), min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> TableChoices:
        _one_of(self.rules, "rules")
        _one_of(self.lists, "lists")
        _one_of(self.merged_cells, "merged_cells")
        return self


class HandChoices(BaseModel):
    """Whose hand, and what pen, may write the opinion and its date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hands: tuple[Hand, ...] = Field((Hand.HOUSE,), min_length=1)
    inks: tuple[Ink, ...] = Field(("house",), min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> HandChoices:
        _one_of(self.hands, "hands")
        _one_of(self.inks, "inks")
        return self


class StyleFamily(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    split: Split
    ticks: tuple[TickMark, ...] = Field(min_length=1)
    type: TypeChoices = TypeChoices()
    scan: ScanChoices = ScanChoices()
    tables: TableChoices = TableChoices()
    handwriting: HandChoices = HandChoices()


class Styles(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    families: tuple[StyleFamily, ...]

    @model_validator(mode="after")
    def _well_formed(self) -> Styles:
        names = [f.name for f in self.families]
        if len(set(names)) != len(names):
            raise ValueError("style family names must be unique")
        house = [f for f in self.families if f.split == "house"]
        if [f.name for f in house] != ["house"] or house[0].ticks != (TickMark.HOUSE,):
            raise ValueError("exactly one house family, named house, with ticks [house]")
        plain = (TypeChoices(), ScanChoices(), TableChoices(), HandChoices())
        if (house[0].type, house[0].scan, house[0].tables, house[0].handwriting) != plain:
            raise ValueError("the house family chooses no type, scan, tables or handwriting")
        if any(TickMark.HOUSE in f.ticks for f in self.families if f.split != "house"):
            raise ValueError("only the house family marks ticks the house way")
        for split in ("tuned", "withheld"):
            if not any(f.split == split for f in self.families):
                raise ValueError(f"no {split} style family")
        return self

    def family(self, name: str) -> StyleFamily:
        for f in self.families:
            if f.name == name:
                return f
        raise KeyError(name)

    def of(self, choice: str) -> tuple[StyleFamily, ...]:
        """The families ``--styles`` names: a split, ``all`` (every one but house), or a
        comma-separated list of tuned families' names (a corpus to tune a reader on a few
        habits). A withheld family is never drawn by name: it is only measured, with the
        rest of its split (``withheld`` or ``all``)."""
        if choice == "all":
            return tuple(f for f in self.families if f.split != "house")
        if choice in STYLE_CHOICES:
            return tuple(f for f in self.families if f.split == choice)
        names = [n.strip() for n in choice.split(",") if n.strip()]
        if not names:
            raise ValueError(
                f"styles must be one of {', '.join(STYLE_CHOICES)} or tuned families' names"
            )
        known = {f.name: f for f in self.families}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(
                f"no style family named {', '.join(unknown)}: styles must be one of "
                f"{', '.join(STYLE_CHOICES)} or tuned families' names"
            )
        untuned = [n for n in names if known[n].split != "tuned"]
        if untuned:
            raise ValueError(
                f"{', '.join(untuned)}: only tuned families can be named; a withheld family "
                "is only measured with its split (--styles withheld or all), the house "
                "family is --styles house"
            )
        if len(set(names)) != len(names):
            raise ValueError("styles: a family is named twice")
        return tuple(known[n] for n in names)


@cache
def load_styles(path: Path = STYLES_FILE) -> Styles:
    return Styles.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class TypeStyle(BaseModel):
    """One submission's type (``house`` everywhere: the generator's own habits)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    face: Face = "house"
    size: float | None = Field(None, description="body size in pt; None: the house sizes")
    spaced_labels: bool = False
    colon: Colon = "house"
    wrapped_options: bool = Field(
        False, description="a narrower option cell; options broken at its edge run on below"
    )


class ScanStyle(BaseModel):
    """One submission's scanner and paper; None / False / 0: as the house does."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: ScanMode = "house"
    dpi: int | None = None
    jpeg_quality: int | None = None
    skew_deg: float | None = Field(None, description="the most a page is skewed, ±degrees")
    turn: Turn = 0
    turned_page: int | None = Field(None, description="1-based page fed turned by `turn`")
    photocopy: bool = False
    binding_shadow: bool = False
    punched_holes: bool = False
    phone_photo: bool = False

    @property
    def house(self) -> bool:
        return self == ScanStyle()


class Style(BaseModel):
    """One submission's style: its family and the choice drawn in each dimension."""

    model_config = ConfigDict(frozen=True)

    family: str
    split: Split
    ticks: TickMark
    type: TypeStyle = TypeStyle()
    scan: ScanStyle = ScanStyle()
    tables: TableRules = "house"
    lists: ListLines = "house"
    merged_cells: bool = False
    hand: Hand = Hand.HOUSE
    ink: Ink = "house"


HOUSE = Style(family="house", split="house", ticks=TickMark.HOUSE)


def draw_style(choice: str, seed: int, index: int, styles: Styles | None = None) -> Style:
    """The style of submission ``index`` of a corpus made with ``--styles choice``.

    The families take turns in an order shuffled by ``seed`` (a small corpus still holds
    each about equally); the choices within one come from a stream of its own (``seed``,
    ``index``, 17), so a submission's content is the same whatever its style. ``house``
    draws nothing.
    """
    if choice == "house":
        return HOUSE
    families = (styles or load_styles()).of(choice)
    order = np.random.default_rng([seed, 17]).permutation(len(families))
    family = families[int(order[index % len(families)])]
    rng = np.random.default_rng([seed, index, 17])

    def pick(options: tuple[T, ...]) -> T:
        # one draw per dimension, even from a single choice: adding a choice to one
        # dimension does not change what the others draw
        return options[int(rng.integers(len(options)))]

    ticks = pick(family.ticks)
    t, s = family.type, family.scan
    size = pick(t.sizes)
    type_ = TypeStyle(
        face=pick(t.faces),
        size=None if size == "house" else float(size),
        spaced_labels=pick(t.spaced_labels),
        colon=pick(t.colons),
    )
    dpi = pick(s.dpi)
    quality = (
        int(rng.integers(s.jpeg_quality[0], s.jpeg_quality[1] + 1)) if s.jpeg_quality else None
    )
    turn = pick(s.turns)
    scan = ScanStyle(
        mode=pick(s.modes),
        dpi=None if dpi == "house" else int(dpi),
        jpeg_quality=quality,
        skew_deg=s.max_skew_deg,
        turn=turn,
        # which page: drawn when the corpus knows the page count (``with_turned_page``)
        turned_page=None,
        photocopy=pick(s.photocopy),
        binding_shadow=pick(s.binding_shadow),
        punched_holes=pick(s.punched_holes),
    )
    tables = pick(family.tables.rules)
    # the dimensions added later draw after the earlier ones: a family that does not use
    # them draws the same as before they existed
    type_ = type_.model_copy(update={"wrapped_options": pick(t.wrapped_options)})
    scan = scan.model_copy(update={"phone_photo": pick(s.phone_photo)})
    return Style(
        family=family.name,
        split=family.split,
        ticks=ticks,
        type=type_,
        scan=scan,
        tables=tables,
        lists=pick(family.tables.lists),
        hand=pick(family.handwriting.hands),
        ink=pick(family.handwriting.inks),
        merged_cells=pick(family.tables.merged_cells),
    )


def with_turned_page(style: Style, pages: int, seed: int, index: int) -> Style:
    """``style`` with the page its ``turn`` applies to drawn (never the cover: a person
    feeding the stack checks the first sheet)."""
    if style.scan.turn == 0 or pages < 2:
        return style
    rng = np.random.default_rng([seed, index, 17, 1])
    page = int(rng.integers(2, pages + 1))
    return style.model_copy(update={"scan": style.scan.model_copy(update={"turned_page": page})})
