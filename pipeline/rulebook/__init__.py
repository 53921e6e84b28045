"""The rules as one typed object: every file of the rules folder, validated once.

``load_rules(directory)`` reads every YAML file of a rules folder (``Settings.rules_dir``),
validates each against its schema (the modules of this package, and the forms' in
``pipeline.config``) and checks what one file cannot check alone (the tick-box
confidences against the review threshold, the entities' words against the normaliser).
The command line builds it once and passes it down: no stage reads a rules file.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.config import (
    Campaign,
    ExportMapping,
    Spec,
    TemplateSpec,
    load_templates,
    load_yaml,
)
from pipeline.errors import ConfigError
from pipeline.model import Annex
from pipeline.rulebook.campaign_rules import CampaignRules
from pipeline.rulebook.checks import CheckRules
from pipeline.rulebook.compare import CompareRules
from pipeline.rulebook.marks import (
    LineInkDetection,
    SealDetection,
    TickDetection,
    TickRowDetection,
    UnreadDetection,
)
from pipeline.rulebook.nlp import EntityRules, MatcherRules
from pipeline.rulebook.normalize import NormalizeRules, TraditionalFold
from pipeline.rulebook.plausibility import PlausibilityRules
from pipeline.rulebook.review import ReviewRules
from pipeline.rulebook.seal_names import LookAlikes
from pipeline.rulebook.second_reading import SecondReading
from pipeline.rulebook.thresholds import MatchingRules, OpinionRules, SealRules
from pipeline.rulebook.ticks import TickRules

__all__ = ["PAGE_READING_FILES", "RULE_FILES", "Rules", "derived", "load_rules"]

RULE_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "campaign": ("campaign.yaml", Campaign),
    "export_columns": ("export_columns.yaml", ExportMapping),
    "tick_boxes": ("tick_boxes.yaml", TickDetection),
    "unread_ink": ("unread_ink.yaml", UnreadDetection),
    "tick_rows": ("tick_rows.yaml", TickRowDetection),
    "line_ink": ("line_ink.yaml", LineInkDetection),
    "seal_detection": ("seal_detection.yaml", SealDetection),
    "second_reading": ("second_reading.yaml", SecondReading),
    "normalize": ("normalize.yaml", NormalizeRules),
    "traditional": ("traditional.yaml", TraditionalFold),
    "entities": ("entities.yaml", EntityRules),
    "matcher": ("matcher.yaml", MatcherRules),
    "plausibility": ("plausibility.yaml", PlausibilityRules),
    "review": ("review.yaml", ReviewRules),
    "ticks": ("ticks.yaml", TickRules),
    "checks": ("checks.yaml", CheckRules),
    "campaign_rules": ("campaign_rules.yaml", CampaignRules),
    "compare": ("compare.yaml", CompareRules),
    "matching": ("matching.yaml", MatchingRules),
    "opinion": ("opinion.yaml", OpinionRules),
    "seals": ("seals.yaml", SealRules),
    "look_alikes": ("look_alikes.yaml", LookAlikes),
}
"""Each field of ``Rules`` but the templates: its file in the rules folder and its schema."""

PAGE_READING_FILES = (
    "tick_boxes.yaml",
    "unread_ink.yaml",
    "tick_rows.yaml",
    "line_ink.yaml",
    "seal_detection.yaml",
    "second_reading.yaml",
)
"""The files page reading depends on: their bytes key the page cache."""

TEMPLATES = "templates"
"""The rules folder's sub-folder of form templates, one YAML file per annex."""


class Rules(Spec):
    """Every rules file of one folder, validated: what the stages are handed."""

    templates: dict[Annex, TemplateSpec]
    campaign: Campaign
    export_columns: ExportMapping
    tick_boxes: TickDetection
    unread_ink: UnreadDetection
    tick_rows: TickRowDetection
    line_ink: LineInkDetection
    seal_detection: SealDetection
    second_reading: SecondReading
    normalize: NormalizeRules
    """normalize.yaml with traditional.yaml's table as its ``traditional`` (``load_rules``)."""
    traditional: TraditionalFold
    entities: EntityRules
    matcher: MatcherRules
    plausibility: PlausibilityRules
    review: ReviewRules
    ticks: TickRules
    checks: CheckRules
    campaign_rules: CampaignRules
    compare: CompareRules
    matching: MatchingRules
    opinion: OpinionRules
    seals: SealRules
    look_alikes: LookAlikes
    page_reading_digest: str
    """Digest of the page-reading files' bytes (``PAGE_READING_FILES``): editing one
    re-reads pages instead of serving readings made under the old settings."""


def _page_reading_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for name in PAGE_READING_FILES:
        path = directory / name
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}", file=str(path)) from exc
    return digest.hexdigest()[:16]


def _check_ticks(ticks: TickRules, review: ReviewRules, rows: TickRowDetection, path: Path) -> None:
    """The tick readings meant for review must fall below its threshold, the clear ones
    reach it; a part of an option judged struck on its own is long enough for the page to
    have looked for a strike through it."""
    threshold = review.review_threshold
    unsure = (
        "disagreement",
        "missing_boxes",
        "ambiguous",
        "several",
        "text_only",
        "marked_elsewhere",
        "none_ticked",
    )
    for name in unsure:
        if getattr(ticks.confidence, name) >= threshold:
            raise ConfigError(
                f"{path}: confidence.{name}: must be below the review threshold {threshold}",
                file=str(path),
            )
    if ticks.outside.struck_part < rows.strike_run:
        raise ConfigError(
            f"{path}: outside.struck_part: must be at least tick_rows.yaml strike_run "
            f"({rows.strike_run}): a shorter part's strike is never recorded",
            file=str(path),
        )
    clear = (
        "exact",
        "scan",
        "mapped_by_text",
        "outside",
        "pale",
        "struck_others",
        "glyph_before",
        "words_ink",
        "only_printed",
    )
    for name in clear:
        if getattr(ticks.confidence, name) < threshold:
            raise ConfigError(
                f"{path}: confidence.{name}: a clear reading must reach the review "
                f"threshold {threshold}",
                file=str(path),
            )


def _check_entities(entities: EntityRules, normalize: NormalizeRules, path: Path) -> None:
    """The entities' words are matched against normalised text: they must be written so."""
    for key, words in entities.words().items():
        for index, word in enumerate(words):
            if normalize.text(word) != word:
                raise ConfigError(
                    f"{path}: {key}.{index}: {word!r} must be written normalised "
                    "(no spaces, half-width)",
                    file=str(path),
                )


def _with_traditional(normalize: object, traditional: object, path: Path) -> NormalizeRules:
    """normalize.yaml's rules folding traditional.yaml's table too, checked against its fold."""
    assert isinstance(normalize, NormalizeRules) and isinstance(traditional, TraditionalFold)
    try:
        return NormalizeRules.model_validate({**dict(normalize), "traditional": traditional.fold})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc.errors()[0]['msg']}", file=str(path)) from exc


def load_rules(directory: Path) -> Rules:
    """Every rules file of ``directory``, validated alone and against each other.

    A missing, unreadable or malformed file raises ``ConfigError`` (``TemplateError`` for
    a template) naming the file and the key.
    """
    specs: dict[str, object] = {
        field: load_yaml(directory / name, schema) for field, (name, schema) in RULE_FILES.items()
    }
    specs["normalize"] = _with_traditional(
        specs["normalize"], specs["traditional"], directory / "traditional.yaml"
    )
    rules = Rules.model_validate(
        {
            "templates": load_templates(directory / TEMPLATES),
            **specs,
            "page_reading_digest": _page_reading_digest(directory),
        }
    )
    _check_ticks(rules.ticks, rules.review, rules.tick_rows, directory / "ticks.yaml")
    _check_entities(rules.entities, rules.normalize, directory / "entities.yaml")
    return rules


T = TypeVar("T")

_DERIVED: dict[tuple[int, Callable[[Rules], object]], tuple[Rules, object]] = {}
_DERIVED_LOCK = threading.RLock()  # a build may ask for another (the pipeline, its gazetteer)


def derived(rules: Rules, build: Callable[[Rules], T]) -> T:
    """``build(rules)``, built once per ``Rules`` object and kept with it (a spaCy pipeline,
    a gazetteer): what is derived follows the rules passed in, never a file read aside."""
    key = (id(rules), build)
    with _DERIVED_LOCK:  # two threads must not build one pipeline twice
        held = _DERIVED.get(key)
        if held is None or held[0] is not rules:  # the object held keeps its id unique
            held = _DERIVED[key] = (rules, build(rules))
        return held[1]  # type: ignore[return-value]
