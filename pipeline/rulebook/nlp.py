"""The schemas of ``rules/entities.yaml`` and ``rules/matcher.yaml``: token patterns as data."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from pipeline.config import Regex, Spec

PATTERN_LABEL = r"^[A-Z][A-Z0-9_]*$"


class StrPredicate(Spec):
    """A test on a token's text: a regular expression, or membership of a list."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    regex: str | None = Field(None, alias="REGEX")
    in_: tuple[str, ...] | None = Field(None, alias="IN", min_length=1)
    not_in: tuple[str, ...] | None = Field(None, alias="NOT_IN", min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> StrPredicate:
        given = [k for k in ("regex", "in_", "not_in") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of REGEX, IN, NOT_IN")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"REGEX is not a valid regular expression: {exc}") from exc
        return self


class TokenSpec(Spec):
    """One token of a pattern, in spaCy's Matcher syntax (the subset the rules use)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    text: str | StrPredicate | None = Field(None, alias="TEXT")
    lower: str | StrPredicate | None = Field(None, alias="LOWER")
    is_punct: bool | None = Field(None, alias="IS_PUNCT")
    is_digit: bool | None = Field(None, alias="IS_DIGIT")
    like_num: bool | None = Field(None, alias="LIKE_NUM")
    op: str | None = Field(None, alias="OP", pattern=r"^(?:[!?+*]|\{\d*,?\d*\})$")

    def to_spacy(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in self.model_dump(by_alias=True, exclude_none=True).items():
            out[key] = (
                {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
                if isinstance(value, dict)
                else value
            )
        return out


TokenPattern = tuple[TokenSpec, ...]


def _non_empty(
    patterns: dict[str, tuple[TokenPattern, ...]],
) -> dict[str, tuple[TokenPattern, ...]]:
    for label, alternatives in patterns.items():
        if not re.match(PATTERN_LABEL, label):
            raise ValueError(f"{label!r}: a label is upper case (ORG, RECOMMEND_FAVOURABLE)")
        if not alternatives or any(not p for p in alternatives):
            raise ValueError(f"{label}: a pattern needs at least one token")
    return patterns


# --- rules/entities.yaml ---------------------------------------------------------------


class Province(Spec):
    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()


class EntityRules(Spec):
    """The schema of ``rules/entities.yaml``."""

    province: Province
    places: tuple[str, ...] = Field((), description="place names besides the localities")
    place_short_form: Regex | None = Field(
        None, description="cut off a place's end to give its short form (赤水市 → 赤水)"
    )
    org_suffixes: tuple[str, ...] = Field(min_length=1)
    segmenter_words: tuple[str, ...] = ()
    patterns: dict[Literal["DATE", "MONEY", "PERCENT"], tuple[TokenPattern, ...]] = Field(
        default_factory=dict
    )

    _patterns = field_validator("patterns")(_non_empty)

    def short_forms(self) -> tuple[str, ...]:
        """The short form of every listed place that has one of two characters or more."""
        if self.place_short_form is None:
            return ()
        cut = (re.sub(self.place_short_form, "", p) for p in self.places)
        return tuple(c for c in cut if len(c) >= 2 and c not in self.places)

    @field_validator("org_suffixes", "places", "segmenter_words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # that each is written normalised needs normalize.yaml: checked by ``load_rules``
        for word in value:
            if not word:
                raise ValueError(f"{word!r} must be written normalised (no spaces, half-width)")
        return value

    def words(self) -> dict[str, tuple[str, ...]]:
        """The words the segmenter and the gazetteer take as written, by key."""
        return {
            "org_suffixes": self.org_suffixes,
            "places": self.places,
            "segmenter_words": self.segmenter_words,
        }


class MatcherRules(Spec):
    """The schema of ``rules/matcher.yaml``."""

    patterns: dict[str, tuple[TokenPattern, ...]]
    negated_by: dict[str, str] = Field(
        default_factory=dict, description="label → the label whose overlapping match cancels it"
    )

    _patterns = field_validator("patterns")(_non_empty)

    @model_validator(mode="after")
    def _negations_name_labels(self) -> MatcherRules:
        for label, negation in self.negated_by.items():
            for name in (label, negation):
                if name not in self.patterns:
                    raise ValueError(f"negated_by: {name!r} has no patterns")
        return self
