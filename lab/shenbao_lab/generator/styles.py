"""Style families: named, seeded sets of rendering choices, drawn per submission (issue 17).

The generator's own habits (``house``) are one family; the others imitate forms filled,
printed and scanned by other hands. Families are data (``styles.yaml``), validated when
loaded; each is ``tuned`` (readers may be tuned on it) or ``withheld`` (only measured).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

STYLES_FILE = Path(__file__).with_name("styles.yaml")
Split = Literal["house", "tuned", "withheld"]
SPLITS: tuple[Split, ...] = ("house", "tuned", "withheld")


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
        )

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


class StyleFamily(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    split: Split
    ticks: tuple[TickMark, ...] = Field(min_length=1)


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
        """The families ``--styles`` names: a split, or ``all`` (every one but house)."""
        if choice not in STYLE_CHOICES:
            raise ValueError(f"styles must be one of {', '.join(STYLE_CHOICES)}")
        if choice == "all":
            return tuple(f for f in self.families if f.split != "house")
        return tuple(f for f in self.families if f.split == choice)


@cache
def load_styles(path: Path = STYLES_FILE) -> Styles:
    return Styles.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class Style(BaseModel):
    """One submission's style: its family and the choice drawn in each dimension."""

    model_config = ConfigDict(frozen=True)

    family: str
    split: Split
    ticks: TickMark


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
    ticks = family.ticks[int(rng.integers(len(family.ticks)))]
    return Style(family=family.name, split=family.split, ticks=ticks)
