"""The schema of ``rules/normalize.yaml``: folding tables, dashes, numerals, patterns."""

from __future__ import annotations

import functools
import re
import unicodedata

from pydantic import Field, field_validator, model_validator

from pipeline.config import Spec, compiles


def _single_chars(value: dict[str, object] | tuple[str, ...]) -> object:
    for ch in value:
        if len(ch) != 1:
            raise ValueError(f"{ch!r} is not a single character")
    return value


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _traditional_fold(value: dict[str, str]) -> dict[str, str]:
    """A traditional → simplified table that can only ever fold a non-simplified character:
    single characters, no key in GB 2312 (a GB 2312 character is simplified in its own
    right), every target in GB 2312 and none of them a key (folding once is enough)."""
    for k, v in value.items():
        if len(k) != 1 or len(v) != 1:
            raise ValueError(f"{k!r} → {v!r}: not one character to one character")
        if _in_gb2312(k):
            raise ValueError(f"{k!r} is a GB 2312 character: simplified in its own right")
        if not _in_gb2312(v):
            raise ValueError(f"{k!r} → {v!r}: the target is not a GB 2312 character")
        if v in value:
            raise ValueError(f"{k!r} → {v!r}: the target is itself folded")
    return value


class TraditionalFold(Spec):
    """The schema of ``rules/traditional.yaml``: traditional or variant form → simplified."""

    fold: dict[str, str] = Field(
        description="traditional or variant form → the one simplified character it is"
    )

    _fold = field_validator("fold")(_traditional_fold)


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
    outside_alphabet: dict[str, str] = Field(
        {},
        description=(
            "letters no credit code holds (I O S V Z), each with the digit the OCR reads as it;"
            " put back only when the whole code then passes its check character"
        ),
    )
    proposed_on_scans: dict[str, str] = Field(
        {},
        description=(
            "letters no credit code holds that a scan may show for a digit, and a typist may"
            " type too: on a scan the code with the digit is proposed, for review, when it"
            " then passes its check character (a born-digital copy keeps the letter)"
        ),
    )


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

    traditional: dict[str, str] = Field(
        default_factory=dict,
        description="traditional or variant form → the simplified character, folded after "
        "``fold``: not written in normalize.yaml but taken from traditional.yaml at load "
        "(``load_rules``)",
    )

    _chars = field_validator("fold", "middle_dots", "label_separators")(_single_chars)
    _traditional = field_validator("traditional")(_traditional_fold)

    @model_validator(mode="after")
    def _no_clash(self) -> NormalizeRules:
        for k, v in self.fold.items():
            if self.traditional.get(k, v) != v:
                raise ValueError(
                    f"fold {k!r} → {v!r} clashes with traditional {k!r} → {self.traditional[k]!r}"
                )
        return self

    @functools.cached_property
    def fold_table(self) -> dict[int, str]:
        """``fold`` then ``traditional`` as one ``str.translate`` table (derived from these
        rules, kept with them): a traditional form ``fold`` maps is not mapped twice."""
        table = {k: self.traditional.get(v, v) for k, v in self.fold.items()}
        return str.maketrans({**self.traditional, **table})

    def text(self, s: str) -> str:
        """NFKC, full-width folded, 【】〔〕 → (), every whitespace removed."""
        for _ in range(4):  # removing a space can let NFKC compose anew (A + ´): run to a fixpoint
            out = _SPACE.sub("", unicodedata.normalize("NFKC", s).translate(self.fold_table))
            if out == s:
                break
            s = out
        return s


_SPACE = re.compile(r"\s+")
