"""Why a reading is unsure: each cue that lowers a confidence is recorded beside it.

A reviewer sent a FIELD_LOW_CONFIDENCE must see which cue sent it — a character the OCR
scored low, a name one character from a known place, a tick mark round the words instead
of in the box — not just a number. So confidences are built on a ``Ledger``: every factor
and cap is entered with its cue (``pipeline.model.Doubt``), and the reading carries the
cues that lowered it (``ExtractedField.doubts``), strongest first. Words for reviewers
are data (``rules/review.yaml`` ``doubts``); ``explain`` puts them together.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.model import Doubt, ExtractedField, FieldDoubt
from pipeline.rulebook.review import ReviewRules


class Ledger:
    """A confidence built from factors and caps, each with the cue behind it."""

    def __init__(self, start: float = 1.0) -> None:
        self.confidence = start
        self._doubts: list[FieldDoubt] = []

    def times(self, factor: float, cue: Doubt, detail: str = "") -> None:
        """Multiply by ``factor`` (a sign of a misread); recorded when it lowers."""
        self.confidence *= factor
        self._note(factor, cue, detail)

    def cap(self, limit: float, cue: Doubt, detail: str = "") -> None:
        """At most ``limit``; recorded when the cap is below 1, whether or not it binds
        (a cap that does not bind today still says what a reviewer should look at)."""
        self.confidence = min(self.confidence, limit)
        self._note(limit, cue, detail)

    def _note(self, effect: float, cue: Doubt, detail: str) -> None:
        if effect < 1.0:
            self._doubts.append(FieldDoubt(cue=cue, detail=detail, effect=round(effect, 4)))

    @property
    def doubts(self) -> tuple[FieldDoubt, ...]:
        return ranked(self._doubts)


def ranked(doubts: Iterable[FieldDoubt]) -> tuple[FieldDoubt, ...]:
    """Strongest first (lowest effect), each cue and detail once."""
    seen: dict[tuple[Doubt, str], FieldDoubt] = {}
    for d in doubts:
        key = (d.cue, d.detail)
        if key not in seen or d.effect < seen[key].effect:
            seen[key] = d
    return tuple(sorted(seen.values(), key=lambda d: (d.effect, d.cue.value, d.detail)))


def doubted(
    field: ExtractedField, confidence: float, cue: Doubt, detail: str = "", effect: float = 1.0
) -> ExtractedField:
    """``field`` at ``confidence`` with one more cue (``effect``: what the cue allows)."""
    added = FieldDoubt(cue=cue, detail=detail, effect=round(min(effect, 1.0), 4))
    return field.model_copy(
        update={"confidence": round(confidence, 4), "doubts": ranked((*field.doubts, added))}
    )


def pruned(field: ExtractedField, rules: ReviewRules) -> ExtractedField:
    """``field`` keeping the cues worth a reviewer's attention: those that alone allow less
    than ``doubt_below``, or, for a reading sent to review by small cues together, the
    strongest of them."""
    kept = tuple(d for d in field.doubts if d.effect < rules.doubt_below)
    if not kept and field.confidence < rules.review_threshold:
        kept = field.doubts[:1]
    return field if kept == field.doubts else field.model_copy(update={"doubts": kept})


def explain(field: ExtractedField, rules: ReviewRules) -> str:
    """The cues that sent a reading to review, in reviewers' words ("" when none is known),
    at most ``doubts_shown`` of them, strongest first."""
    words = []
    for d in field.doubts[: rules.doubts_shown]:
        template = rules.doubts[d.cue]
        words.append(template.format(detail=d.detail) if d.detail else _no_detail(template))
    return "；".join(words)


def _no_detail(template: str) -> str:
    """A wording meant for a detail, without it: the quoted part dropped."""
    return template.replace("「{detail}」", "").replace("{detail}", "")
