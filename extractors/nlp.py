"""The spaCy ``zh`` pipeline: a blank model, the jieba segmenter, and rules kept as data.

No model is downloaded: ``spacy.blank("zh")`` segments with jieba, an EntityRuler tags
organisations (by their suffix), places (the campaign's localities and the province),
dates, money and percentages, and a Matcher finds phrases such as the recommendation
opinion's 同意推荐 / 不同意推荐. Every pattern lives in ``rules/entities.yaml`` and
``rules/matcher.yaml`` and is checked at load, so a typo fails with the file and key.

jieba's dictionary load is the cost (a few seconds, ~100 MB): the pipeline is built once
per ``Rules`` object, on first use, and nothing here imports spaCy until then. The lexicon
part of ``entities.yaml`` (``Gazetteer``) needs no spaCy at all.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from extractors.normalize import Normalizer, normalizer
from pipeline.config import Campaign, Spec
from pipeline.rulebook import Rules, derived
from pipeline.rulebook.nlp import (
    EntityRules,
    MatcherRules,
)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher

EntityLabel = Literal["ORG", "GPE", "DATE", "MONEY", "PERCENT"]
PATTERN_LABEL = r"^[A-Z][A-Z0-9_]*$"


class Gazetteer(Spec):
    """The names an entity can be checked against: places and organisation suffixes."""

    province: str
    places: tuple[str, ...] = Field(description="every place name, short forms included")
    org_suffixes: tuple[str, ...]
    authorities: tuple[str, ...] = Field(
        (), description="the localities' recommending authorities, with their long forms"
    )

    @classmethod
    def of(cls, rules: EntityRules, campaign: Campaign, normalize: Normalizer) -> Gazetteer:
        """The gazetteer of a campaign: its localities, their short forms, the province."""
        names: list[str] = [rules.province.name, *rules.province.aliases, *rules.places]
        names += rules.short_forms()
        for loc in campaign.localities:
            names += [loc.city, *loc.aliases]
        places = tuple(dict.fromkeys(normalize.text(n) for n in names if normalize.text(n)))
        authorities = tuple(
            dict.fromkeys(
                normalize.text(a)
                for loc in campaign.localities
                for a in (loc.authority, *loc.authority_aliases)
            )
        )
        return cls(
            province=rules.province.name,
            places=places,
            org_suffixes=rules.org_suffixes,
            authorities=authorities,
        )


def _gazetteer(rules: Rules) -> Gazetteer:
    return Gazetteer.of(rules.entities, rules.campaign, normalizer(rules))


def gazetteer(rules: Rules) -> Gazetteer:
    """The rules' gazetteer (entities.yaml + the campaign), built once per ``Rules``."""
    return derived(rules, _gazetteer)


# --- common words ----------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """What a name's characters are checked against (``rules/plausibility.yaml``
    ``vocabulary``): the characters each may be misread for, and the dictionary's
    two-character words with their frequencies."""

    look_alikes: dict[str, tuple[str, ...]]
    words: dict[str, int]
    min_frequency: int


def _vocabulary(rules: Rules) -> Vocabulary:
    """The look-alike pairs of ``look_alikes.yaml`` and ``vocabulary.look_alikes``, and
    the two-character words of jieba's dictionary, read as a file: jieba's process-wide
    dictionary gains the campaign's places once the spaCy pipeline is built, and a
    reading must not depend on whether it was."""
    import jieba

    v = rules.plausibility.vocabulary
    alike: dict[str, set[str]] = {}
    for pair in (*rules.look_alikes.pairs, *v.look_alikes):
        a, b = pair[0], pair[1]
        alike.setdefault(a, set()).add(b)
        alike.setdefault(b, set()).add(a)
    words: dict[str, int] = {}
    with jieba.get_dict_file() as dictionary:
        for raw in dictionary:
            word, frequency, *_ = raw.decode("utf-8").split(" ")
            if len(word) == 2:
                words[word] = int(frequency)
    return Vocabulary(
        look_alikes={c: tuple(sorted(o)) for c, o in alike.items()},
        words=words,
        min_frequency=v.min_frequency,
    )


def vocabulary(rules: Rules) -> Vocabulary:
    """The rules' vocabulary, built once per ``Rules`` (the dictionary read on first use)."""
    return derived(rules, _vocabulary)


# --- rules/matcher.yaml ----------------------------------------------------------------


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
    """The loaded ``nlp`` and its Matcher, with the negation rules beside them and the
    normaliser its texts go through first."""

    def __init__(
        self,
        nlp: Language,
        matcher: Matcher,
        negated_by: dict[str, str],
        normalize: Normalizer,
    ) -> None:
        self.nlp = nlp
        self.matcher = matcher
        self.negated_by = negated_by
        self.normalize = normalize


def build_pipeline(
    entity_rules: EntityRules, matcher_rules: MatcherRules, gaz: Gazetteer, normalize: Normalizer
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
    return Pipeline(nlp, matcher, dict(matcher_rules.negated_by), normalize)


def _pipeline(rules: Rules) -> Pipeline:
    return build_pipeline(rules.entities, rules.matcher, gazetteer(rules), normalizer(rules))


def pipeline(rules: Rules) -> Pipeline:
    """The rules' pipeline, built on first use and kept with them for the process."""
    return derived(rules, _pipeline)


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


def entities(text: str, nlp: Pipeline) -> tuple[Entity, ...]:
    """The entities of a text, after the pipeline's ``normalize.text`` (offsets are into
    that)."""
    doc = nlp.nlp(nlp.normalize.text(text))
    return tuple(
        Entity(label=e.label_, text=e.text, start=e.start_char, end=e.end_char) for e in doc.ents
    )


def matches(text: str, nlp: Pipeline) -> tuple[Match, ...]:
    """The Matcher's phrases in a text, those cancelled by a negation left out."""
    loaded = nlp
    doc = loaded.nlp(loaded.normalize.text(text))
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


def recommendation_stance(text: str, nlp: Pipeline) -> Stance:
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


def self_evaluation_claim(text: str, nlp: Pipeline) -> SelfEvalClaim:
    """``met`` only when it claims the conditions or all targets met and nothing in it admits
    a shortfall or hedges (部分指标未达到, 尚未达到, 基本达到: negations win); ``unknown`` when
    it says neither (FORMS.md §4 三)."""
    labels = {m.label for m in matches(text, nlp)}
    if "SELF_EVAL_NOT_MET" in labels:
        return SelfEvalClaim.NOT_MET
    if "SELF_EVAL_MET" in labels:
        return SelfEvalClaim.MET
    return SelfEvalClaim.UNKNOWN
