"""The schema of ``rules/normalize.yaml``: folding tables, dashes, numerals, patterns."""

from __future__ import annotations

import functools
import re
import unicodedata

from pydantic import Field, field_validator

from pipeline.config import Spec, compiles


def _single_chars(value: dict[str, object] | tuple[str, ...]) -> object:
    for ch in value:
        if len(ch) != 1:
            raise ValueError(f"{ch!r} is not a single character")
    return value


class Numerals(Spec):
    digits: dict[str, int] = Field(description="Chinese digit character → 0–9")
    units: dict[str, int] = Field(description="十百千 and 拾佰仟 → 10, 100, 1000")
    big_units: dict[str, int] = Field(description="万 and 亿")
    daxie: str = Field(min_length=1, description="characters that mark a 大写 amount")

    _chars = field_validator("digits", "units", "big_units")(_single_chars)

    @field_validator("digits")
    @classmethod
    def _digit_values(cls, value: dict[str, int]) -> dict[str, int]:
        for ch, d in value.items():
            if not 0 <= d <= 9:
                raise ValueError(f"{ch!r}: {d} is not a digit")
        return value


class MoneyRules(Spec):
    yuan: tuple[str, ...] = Field(min_length=1)
    jiao: tuple[str, ...] = Field(min_length=1)
    fen: tuple[str, ...] = Field(min_length=1)
    whole: tuple[str, ...] = ()
    wan_suffixes: tuple[str, ...] = Field(min_length=1)
    yuan_suffixes: tuple[str, ...] = Field(min_length=1)
    prefixes: tuple[str, ...] = ()


class MobileRules(Spec):
    strip: str = ""
    prefix: str
    pattern: str

    _regex = field_validator("prefix", "pattern")(compiles)


class EmailRules(Spec):
    pattern: str
    at_readings: tuple[str, ...] = Field(
        (), description="what the OCR reads an @ as; one of them in an address without @ is it"
    )
    trailing: str = Field(
        "", description="characters an address never ends with (a speck, a full stop), removed"
    )

    _regex = field_validator("pattern")(compiles)


class UsccRules(Spec):
    strip: str = Field("", description="characters never part of a code, removed")


class DocNumberRules(Spec):
    pattern: str = Field(
        description="a document number whose year's brackets were lost or misread: groups "
        "issuer, year and serial"
    )

    _regex = field_validator("pattern")(compiles)

    @field_validator("pattern")
    @classmethod
    def _named_groups(cls, value: str) -> str:
        missing = {"issuer", "year", "serial"} - set(re.compile(value).groupindex)
        if missing:
            raise ValueError(f"pattern lacks the groups {sorted(missing)}")
        return value


class NormalizeRules(Spec):
    """The schema of ``rules/normalize.yaml``."""

    fold: dict[str, str] = Field(description="character → replacement, applied after NFKC")
    middle_dots: tuple[str, ...] = Field(min_length=1)
    dashes: tuple[str, ...] = Field(min_length=1)
    list_separators: tuple[str, ...] = Field(min_length=1)
    list_line_short: float = Field(
        2.0,
        gt=0,
        description="a list's line that ends this many character widths short of the "
        "furthest right a value in its column reaches was ended by the writer, not by the "
        "cell's edge: the line break separates two items",
    )
    written_digits: dict[str, str] = Field(
        default_factory=dict,
        description="a character the OCR reads where a hand wrote a digit → that digit; "
        "tried only on a date that does not parse as read",
    )
    written_digit_cap: float = Field(
        0.5,
        ge=0,
        le=1,
        description="confidence at most of a date read only by taking a character for a "
        "written digit: below the review threshold, a reviewer confirms it",
    )
    label_separators: tuple[str, ...] = Field(
        min_length=1, description="what may stand between a label and its value, as read"
    )
    numerals: Numerals
    money: MoneyRules
    integer_units: tuple[str, ...] = ()
    mobile: MobileRules
    email: EmailRules
    uscc: UsccRules = UsccRules()
    doc_number: DocNumberRules

    _chars = field_validator("fold", "middle_dots", "label_separators")(_single_chars)

    @functools.cached_property
    def fold_table(self) -> dict[int, str]:
        """``fold`` as a ``str.translate`` table (derived from these rules, kept with them)."""
        return str.maketrans(self.fold)

    def text(self, s: str) -> str:
        """NFKC, full-width folded, 【】〔〕 → (), every whitespace removed."""
        for _ in range(4):  # removing a space can let NFKC compose anew (A + ´): run to a fixpoint
            out = _SPACE.sub("", unicodedata.normalize("NFKC", s).translate(self.fold_table))
            if out == s:
                break
            s = out
        return s


_SPACE = re.compile(r"\s+")
