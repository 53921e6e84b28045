"""The spaCy ``zh`` pipeline: a blank model, the jieba segmenter, and rules kept as data.

No model is downloaded: ``spacy.blank("zh")`` segments with jieba, an EntityRuler tags
organisations (by their suffix), places (the campaign's localities and the province),
dates, money and percentages, and a Matcher finds phrases such as the recommendation
opinion's 同意推荐 / 不同意推荐. Every pattern lives in ``rules/entities.yaml`` and
``rules/matcher.yaml`` and is checked at load, so a typo fails with the file and key.

jieba's dictionary load is the cost (a few seconds, ~100 MB): the pipeline is built once
per process, on first use, and nothing here imports spaCy until then. The lexicon part of
``entities.yaml`` (``load_entity_rules``, ``Gazetteer``) needs no spaCy at all.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from extractors.normalize import normalize_text
from pipeline.config import Campaign, Regex, Spec, load_campaign, load_yaml
from rules import RULES_DIR

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher

DEFAULT_ENTITIES_PATH = RULES_DIR / "entities.yaml"
DEFAULT_MATCHER_PATH = RULES_DIR / "matcher.yaml"

EntityLabel = Literal["ORG", "GPE", "DATE", "MONEY", "PERCENT"]
PATTERN_LABEL = r"^[A-Z][A-Z0-9_]*$"


# --- token patterns as data ------------------------------------------------------------


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

    @field_validator("patterns")
    @classmethod
    def _patterns(
        cls, value: dict[str, tuple[TokenPattern, ...]]
    ) -> dict[str, tuple[TokenPattern, ...]]:
        return _non_empty(value)

    def short_forms(self) -> tuple[str, ...]:
        """The short form of every listed place that has one of two characters or more."""
        if self.place_short_form is None:
            return ()
        cut = (re.sub(self.place_short_form, "", p) for p in self.places)
        return tuple(c for c in cut if len(c) >= 2 and c not in self.places)

    @field_validator("org_suffixes", "places", "segmenter_words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for word in value:
            if normalize_text(word) != word or not word:
                raise ValueError(f"{word!r} must be written normalised (no spaces, half-width)")
        return value


def load_entity_rules(path: Path = DEFAULT_ENTITIES_PATH) -> EntityRules:
    """Load and check ``entities.yaml``; a malformed one raises ``ConfigError``."""
    return load_yaml(path, EntityRules)


class Gazetteer(Spec):
    """The names an entity can be checked against: places and organisation suffixes."""

    province: str
    places: tuple[str, ...] = Field(description="every place name, short forms included")
    org_suffixes: tuple[str, ...]

    @classmethod
    def of(cls, rules: EntityRules, campaign: Campaign) -> Gazetteer:
        """The gazetteer of a campaign: its localities, their short forms, the province."""
        names: list[str] = [rules.province.name, *rules.province.aliases, *rules.places]
        names += rules.short_forms()
        for loc in campaign.localities:
            names += [loc.city, *loc.aliases]
        places = tuple(dict.fromkeys(normalize_text(n) for n in names if normalize_text(n)))
        return cls(province=rules.province.name, places=places, org_suffixes=rules.org_suffixes)


@functools.cache
def gazetteer() -> Gazetteer:
    """The packaged gazetteer (entities.yaml + the campaign), loaded once."""
    return Gazetteer.of(load_entity_rules(), load_campaign())


# --- rules/matcher.yaml ----------------------------------------------------------------


class MatcherRules(Spec):
    """The schema of ``rules/matcher.yaml``."""

    patterns: dict[str, tuple[TokenPattern, ...]]
    negated_by: dict[str, str] = Field(
        default_factory=dict, description="label → the label whose overlapping match cancels it"
    )

    @field_validator("patterns")
    @classmethod
    def _patterns(
        cls, value: dict[str, tuple[TokenPattern, ...]]
    ) -> dict[str, tuple[TokenPattern, ...]]:
        return _non_empty(value)

    @model_validator(mode="after")
    def _negations_name_labels(self) -> MatcherRules:
        for label, negation in self.negated_by.items():
            for name in (label, negation):
                if name not in self.patterns:
                    raise ValueError(f"negated_by: {name!r} has no patterns")
        return self


def load_matcher_rules(path: Path = DEFAULT_MATCHER_PATH) -> MatcherRules:
    """Load and check ``matcher.yaml``; a malformed one raises ``ConfigError``."""
    return load_yaml(path, MatcherRules)


# --- the pipeline ----------------------------------------------------------------------


def _entity_ruler_patterns(rules: EntityRules, gaz: Gazetteer) -> list[dict[str, object]]:
    # GPE as phrases (tokenised by the pipeline itself, so they align with its segments);
    # ORG as any run of non-punctuation tokens ending on a suffix token.
    out: list[dict[str, object]] = [
        {"label": "GPE", "pattern": place, "id": "place"} for place in gaz.places
    ]
    # jieba keeps some whole names as one token (贵州大学): a token may end on the suffix
    ends = "(?:" + "|".join(re.escape(s) for s in rules.org_suffixes) + ")$"
    out += [
        {
            "label": "ORG",
            "id": "org_suffix",
            "pattern": [
                {"IS_PUNCT": False, "IS_SPACE": False, "OP": "+"},
                {"TEXT": {"REGEX": "^" + ends}},
            ],
        },
        {
            "label": "ORG",
            "id": "org_suffix",
            "pattern": [
                {"IS_PUNCT": False, "IS_SPACE": False, "OP": "*"},
                {"TEXT": {"REGEX": "^.+" + ends}},
            ],
        },
    ]
    for label, alternatives in rules.patterns.items():
        for pattern in alternatives:
            out.append({"label": label, "pattern": [t.to_spacy() for t in pattern]})
    return out


class Pipeline:
    """The loaded ``nlp`` and its Matcher, with the negation rules beside them."""

    def __init__(self, nlp: Language, matcher: Matcher, negated_by: dict[str, str]) -> None:
        self.nlp = nlp
        self.matcher = matcher
        self.negated_by = negated_by


def build_pipeline(
    entity_rules: EntityRules, matcher_rules: MatcherRules, gaz: Gazetteer
) -> Pipeline:
    """A blank zh pipeline with jieba, the EntityRuler and the Matcher from these rules.

    The segmenter's words (places, suffixes, ``segmenter_words``) are added to jieba's
    process-wide dictionary: jieba has one, and spaCy's zh tokenizer uses it.
    """
    import jieba
    import spacy
    from spacy.matcher import Matcher

    jieba.setLogLevel(logging.WARNING)  # its dictionary-load chatter is not our log
    for word in (*gaz.places, *entity_rules.org_suffixes, *entity_rules.segmenter_words):
        jieba.add_word(word)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True, "overwrite_ents": True})
    ruler.add_patterns(_entity_ruler_patterns(entity_rules, gaz))  # type: ignore[attr-defined]
    matcher = Matcher(nlp.vocab, validate=True)
    for label, alternatives in matcher_rules.patterns.items():
        matcher.add(label, [[t.to_spacy() for t in p] for p in alternatives])
    return Pipeline(nlp, matcher, dict(matcher_rules.negated_by))


_LOCK = threading.Lock()


@functools.cache
def _packaged() -> Pipeline:
    return build_pipeline(load_entity_rules(), load_matcher_rules(), gazetteer())


def pipeline() -> Pipeline:
    """The packaged pipeline, built on first use and kept for the process."""
    with _LOCK:  # two threads must not load jieba's dictionary twice
        return _packaged()


# --- what callers use ------------------------------------------------------------------


class Entity(Spec):
    label: EntityLabel
    text: str
    start: int = Field(ge=0, description="character offset in the normalised text")
    end: int = Field(ge=0)


class Match(Spec):
    label: str
    text: str
    start: int = Field(ge=0, description="character offset in the normalised text")
    end: int = Field(ge=0)


def entities(text: str, nlp: Pipeline | None = None) -> tuple[Entity, ...]:
    """The entities of a text, after ``normalize_text`` (offsets are into that)."""
    doc = (nlp or pipeline()).nlp(normalize_text(text))
    return tuple(
        Entity(label=e.label_, text=e.text, start=e.start_char, end=e.end_char)  # type: ignore[arg-type]
        for e in doc.ents
    )


def matches(text: str, nlp: Pipeline | None = None) -> tuple[Match, ...]:
    """The Matcher's phrases in a text, those cancelled by a negation left out."""
    loaded = nlp or pipeline()
    doc = loaded.nlp(normalize_text(text))
    found = [
        (loaded.nlp.vocab.strings[m_id], start, end) for m_id, start, end in loaded.matcher(doc)
    ]
    kept = []
    for label, start, end in found:
        negation = loaded.negated_by.get(label)
        if negation and any(other == negation and s < end and start < e for other, s, e in found):
            continue
        span = doc[start:end]
        kept.append(Match(label=label, text=span.text, start=span.start_char, end=span.end_char))
    return tuple(dict.fromkeys(kept))


class Stance(StrEnum):
    """What a recommendation opinion says."""

    FAVOURABLE = "favourable"
    UNFAVOURABLE = "unfavourable"
    NONE = "none"


def recommendation_stance(text: str, nlp: Pipeline | None = None) -> Stance:
    """Favourable only when it recommends and nothing in it refuses (FORMS.md §3 四)."""
    labels = {m.label for m in matches(text, nlp)}
    if "RECOMMEND_UNFAVOURABLE" in labels:
        return Stance.UNFAVOURABLE
    if "RECOMMEND_FAVOURABLE" in labels:
        return Stance.FAVOURABLE
    return Stance.NONE


class SelfEvalClaim(StrEnum):
    """What a certification's self-evaluation conclusion (三、自评结论) claims."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


def self_evaluation_claim(text: str, nlp: Pipeline | None = None) -> SelfEvalClaim:
    """``met`` only when it claims the conditions or all targets met and nothing in it admits
    a shortfall or hedges (部分指标未达到, 尚未达到, 基本达到: negations win); ``unknown`` when
    it says neither (FORMS.md §4 三)."""
    labels = {m.label for m in matches(text, nlp)}
    if "SELF_EVAL_NOT_MET" in labels:
        return SelfEvalClaim.NOT_MET
    if "SELF_EVAL_MET" in labels:
        return SelfEvalClaim.MET
    return SelfEvalClaim.UNKNOWN
