"""The schema of ``rules/plausibility.yaml``: how sure a reading may be."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config import Spec

Unit = float

Curve = tuple[tuple[Unit, Unit], ...]
CharacterClass = Literal["cjk", "digit", "latin", "other"]


def _a_rising_curve_over_0_1(points: Curve) -> Curve:
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    if xs[0] != 0.0 or xs[-1] != 1.0:
        raise ValueError("the curve must run from score 0.0 to score 1.0")
    if any(b <= a for a, b in itertools.pairwise(xs)):
        raise ValueError("scores must strictly increase")
    if any(b < a for a, b in itertools.pairwise(ys)):
        raise ValueError("a weaker character can never allow more confidence")
    if any(not 0.0 <= v <= 1.0 for v in (*xs, *ys)):
        raise ValueError("scores and confidences are between 0 and 1")
    return points


class CharacterRules(Spec):
    """Per character class: a piecewise-linear curve, character score → confidence cap."""

    cjk: Curve = Field(min_length=2)
    digit: Curve = Field(min_length=2)
    latin: Curve = Field(min_length=2)
    other: Curve = Field(min_length=2, description="punctuation and symbols")

    _curves = field_validator("cjk", "digit", "latin", "other")(_a_rising_curve_over_0_1)

    def curve(self, kind: CharacterClass) -> Curve:
        return getattr(self, kind)  # type: ignore[no-any-return]


class Factors(Spec):
    unparsed: float = Field(ge=0.0, le=1.0)
    near_miss: float = Field(ge=0.0, le=1.0)
    out_of_range: float = Field(ge=0.0, le=1.0)


class AgreementRules(Spec):
    disagreement_cap: float = Field(ge=0.0, le=1.0)


class UnreadInkRules(Spec):
    """Where unread ink on a scan makes a reading unsure (``unread_ink`` in the YAML)."""

    factor: float = Field(ge=0.0, le=1.0)
    row_overlap: float = Field(gt=0.0, le=1.0, description="share of a row's height")
    continuation_gap: float = Field(ge=0.0, description="row heights past the value's end")
    continuation_lead: float = Field(ge=0.0, description="row heights before its end")
    continuation_margin: float = Field(ge=0.0, description="row heights above and below")
    precede_gap: float = Field(ge=0.0, description="row heights before the value's start")
    precede_lead: float = Field(ge=0.0, description="row heights past its start")
    precede_late: float = Field(ge=0.0, description="row heights a neighbour starts further left")
    precede_rows: float = Field(gt=0.0, description="row heights to the neighbours looked at")
    below_depth: float = Field(gt=0.0, description="label heights under a `below` label")
    mark_size: float = Field(gt=0.0, description="a printed mark's size, in its row's heights")


class RowRhythmRules(Spec):
    """Where a value's cell ends on a form of spaced rows (``extractors.fields``)."""

    spaced: float = Field(
        gt=0.0, description="line heights the labels' row pitch reaches on a spaced form"
    )
    next_row: float = Field(
        gt=0.0, le=1.0, description="share of the row pitch a line below starts a new row at"
    )


class FormPatternRules(Spec):
    """The shape a field's value always has on the campaign's forms (``extractors.fields``)."""

    patterns: dict[str, str] = Field(
        default_factory=dict, description="per field key: a regex its whole value matches"
    )
    start_slack: int = Field(
        ge=0, description="characters at a reading's start that alone may differ from another"
    )


class SealedLabelRules(Spec):
    """A ``below`` label its own seal is stamped over (``extractors.fields``)."""

    min_ratio: float = Field(
        ge=0.0, le=100.0, description="rapidfuzz ratio a whole short line reaches against a label"
    )
    max_extra: int = Field(ge=0, description="characters the line may hold beyond the label")
    min_length: int = Field(ge=2, description="labels shorter than this are never guessed")
    quality: float = Field(ge=0.0, le=1.0, description="label quality, no seal over the line")
    sealed_quality: float = Field(
        ge=0.0, le=1.0, description="label quality when a found seal covers the line"
    )
    seal_overlap: float = Field(
        gt=0.0, le=1.0, description="share of the line's box a seal's box must cover"
    )
    seal_only_quality: float = Field(
        ge=0.0, le=1.0, description="label quality when no line reads the label, a seal does"
    )
    seal_only_date_quality: float = Field(
        ge=0.0,
        le=1.0,
        description="... when the page's one such seal is over a date read whole, to its 日",
    )
    lettering_ratio: float = Field(
        ge=0.0, le=100.0, description="rapidfuzz ratio a value reaches against a seal's lettering"
    )
    lettering_inside: float = Field(
        gt=0.0, le=1.0, description="share of a line inside a seal to be its lettering"
    )
    lettering_height: float = Field(gt=0.0, description="label heights a lettering piece stands")
    name_pattern: str = Field(description="a value read under a hidden label looks like this")
    last_date_reach: float = Field(
        gt=0.0, description="label heights under the label before it a hidden-label date lies"
    )


class LabelRemnantRules(Spec):
    """A label whose end a found seal hid (``extractors.sealed_labels``)."""

    min_chars: int = Field(ge=2, description="the fewest characters of the label's start read")
    max_extra: int = Field(ge=0, description="characters after them the seal's ink may add")
    slack_chars: float = Field(
        ge=0.0, description="character pitches past the hidden end a seal may still begin"
    )
    quality: float = Field(ge=0.0, le=1.0, description="label quality of such a start")
    pieces_gap: float = Field(
        ge=0.0, description="character widths between two pieces of a label cut along its row"
    )


class DateCompletionRules(Spec):
    """A date read in part, completed by its 年月日 structure (``extractors.fields``)."""

    pattern: str = Field(
        description="a date's structure: named groups year, month, day, end (its 日)"
    )
    min_year_digits: int = Field(ge=1, le=4, description="the fewest digits of the year read")
    open_day_digits: int = Field(
        ge=1, le=2, description="digits a day read without its 日 must have"
    )
    cap: float = Field(ge=0.0, le=1.0, description="the confidence a completed date is capped at")


class VocabularyRules(Spec):
    """Names made of common words, checked against the dictionary (``vocabulary``)."""

    fields: tuple[str, ...] = Field((), description="fields whose names are common words")
    common_fields: tuple[str, ...] = Field(
        (),
        description="of fields, those whose names hold no proper name at all: a character "
        "is in place only in a word at least min_frequency frequent, not a rare one",
    )
    look_alikes: tuple[str, ...] = Field(
        (), description="pairs the recogniser confuses, beside rules/look_alikes.yaml's"
    )
    min_frequency: int = Field(
        1, ge=1, description="a look-alike's word counts when at least this frequent"
    )

    @field_validator("look_alikes")
    @classmethod
    def _pairs(cls, pairs: tuple[str, ...]) -> tuple[str, ...]:
        for pair in pairs:
            if len(pair) != 2 or pair[0] == pair[1]:
                raise ValueError(f"{pair!r}: a pair is two distinct characters")
        return pairs

    @model_validator(mode="after")
    def _common_checked(self) -> VocabularyRules:
        if unchecked := set(self.common_fields) - set(self.fields):
            raise ValueError(f"common_fields {sorted(unchecked)} are not among fields")
        return self


class PlausibilityRules(Spec):
    """The schema of ``rules/plausibility.yaml``."""

    characters: CharacterRules
    factors: Factors
    near_miss_min_length: int = Field(ge=2)
    member_suffix_fixed_from: int = Field(
        0,
        ge=0,
        description="a member's name ending one character from a suffix at least this long "
        "is proposed with that suffix, for review (0: never)",
    )
    org_name_min_length: int = Field(
        ge=1, description="an organisation's name is never shorter (characters)"
    )
    person_name_min_length: int = Field(
        ge=1, description="a person's name in Chinese characters is never shorter"
    )
    person_name_pattern: str = Field(
        ".+", description="a person's name read whole matches this (regex), else unparsed"
    )
    surnames: str = Field(
        "",
        description="the single-character surnames a person's name begins with (empty: not "
        "checked); a name without a middle dot beginning with none of them (nor with one of "
        "compound_surnames) is unparsed",
    )
    compound_surnames: list[str] = Field(
        default_factory=list, description="two-character surnames (欧阳, 司马, …)"
    )
    email_digit_look_alikes: str = Field(
        "", description="letters an e-mail's digits are misread as, doubted beside a digit"
    )
    blank_marks: str = Field("", description="characters of a printed blank (年月日)")
    structure_marks: dict[str, str] = Field(
        default_factory=dict,
        description="per field type: characters a parsed value holds as marks, capping nothing",
    )
    place_fields: tuple[str, ...] = Field((), description="keys whose start is a place")
    suffix_fields: tuple[str, ...] = Field((), description="keys that end on an org suffix")
    doc_issuers: tuple[str, ...] = Field(
        (), description="issuers' abbreviations a document number begins with"
    )
    vocabulary: VocabularyRules = Field(default_factory=VocabularyRules)
    issuer_fields: tuple[str, ...] = Field(
        (), description="fields whose number always begins with one of doc_issuers"
    )
    place_start_fields: tuple[str, ...] = Field(
        (), description="keys whose value always begins with a known place"
    )
    authority_fields: tuple[str, ...] = Field(
        (), description="keys whose value is one of the campaign's authorities"
    )
    choice_kept: tuple[float, float] = Field(
        (1.0, 1.0),
        description="a reading that is no option but keeps at least [0] of one option's "
        "characters in order, which make at least [1] of the reading, is that option misread",
    )
    authority_place_whole: bool = Field(
        False,
        description="an authority read with one character lost from the ending all "
        "authorities share, its place read whole and no other authority near, is sure",
    )
    lettering_before_option: int = Field(
        0,
        ge=0,
        description="a choice read as an option after at least this many characters of a "
        "seal's lettering over its row is that option (0: never)",
    )
    choice_min_length: int = Field(
        1,
        ge=1,
        description="a choice read as no option and shorter than this is a fragment "
        "misread (a seal's lettering, a cut line), never an option written outside the list",
    )
    choice_one_lost: int = Field(
        0,
        ge=0,
        description="a reading that is one option with one character lost, the option at "
        "least this long and no other option so near, is that option (0: never)",
    )
    authority_near: float = Field(
        100.0, ge=0.0, le=100.0, description="rapidfuzz ratio of a misread authority"
    )
    authority_sure_from: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="a value read as exactly one authority, none other near it: its weakest "
        "character's cap at least this is no doubt",
    )
    authority_lost: tuple[int, int] = Field(
        (0, 0),
        description="a reading that is one authority with at most [0] of its characters "
        "lost (the rest in order), and no other authority with at most [1] lost",
    )
    authority_lettering_kept: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="share of an authority's characters a seal's lettering over the reading "
        "keeps in order, to agree that the reading is that authority",
    )
    date_ranges: dict[str, tuple[dt.date, dt.date]] = Field(default_factory=dict)
    number_ranges: dict[str, tuple[float, float]] = Field(default_factory=dict)
    date_order: tuple[tuple[str, str], ...] = Field(
        (), description="pairs of date fields: the first on or before the second"
    )
    same_day: tuple[tuple[str, str], ...] = Field(
        (),
        description="pairs of date fields signed together on two pages: read alike, each "
        "is a second reading of the other",
    )
    agreement: AgreementRules
    unread_ink: UnreadInkRules
    row_rhythm: RowRhythmRules
    form_patterns: FormPatternRules
    sealed_label: SealedLabelRules
    label_remnant: LabelRemnantRules
    date_completion: DateCompletionRules

    @field_validator("surnames")
    @classmethod
    def _surnames_without_spaces(cls, value: str) -> str:
        # the YAML folds the list over several lines (spaces between them)
        return "".join(value.split())

    @field_validator("compound_surnames")
    @classmethod
    def _compound_surnames_are_two(cls, value: list[str]) -> list[str]:
        wrong = [name for name in value if len(name) != 2]
        if wrong:
            raise ValueError(f"compound_surnames: not two characters: {', '.join(wrong)}")
        return value

    @model_validator(mode="after")
    def _ordered_dates_are_dates(self) -> PlausibilityRules:
        for pair in (*self.date_order, *self.same_day):
            unknown = [key for key in pair if key not in self.date_ranges]
            if unknown:
                raise ValueError(f"date pair: {', '.join(unknown)} not in date_ranges")
        return self

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> PlausibilityRules:
        ranges: dict[str, tuple[object, object]] = {**self.date_ranges, **self.number_ranges}
        for key, (low, high) in ranges.items():
            if not low <= high:  # type: ignore[operator]
                raise ValueError(f"{key}: the range {low}..{high} is empty")
        return self
