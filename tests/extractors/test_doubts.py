"""Why a reading is unsure: cues entered with each factor and cap, named for reviewers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from extractors.checks import check_fields
from extractors.doubts import Ledger, doubted, explain, pruned, ranked
from extractors.normalize import normalizer
from pipeline.errors import ConfigError
from pipeline.model import (
    Annex,
    Doubt,
    ExtractedField,
    FieldDoubt,
    FindingCode,
    Submission,
    SubmissionSource,
)
from pipeline.rulebook import load_rules
from rules import RULES_DIR
from tests.rulebook import RULES, rules_folder

REVIEW = RULES.review


def _field(confidence: float, *doubts: FieldDoubt) -> ExtractedField:
    return ExtractedField(value="x", raw="x", page=1, confidence=confidence, doubts=doubts)


def test_a_ledger_multiplies_and_caps_and_records_only_what_lowers() -> None:
    ledger = Ledger()
    ledger.times(1.0, Doubt.LABEL)  # no doubt: not recorded
    ledger.times(0.5, Doubt.NEAR_PLACE, "贵州省")
    ledger.cap(0.8, Doubt.CELL, "12")  # does not bind (0.5 < 0.8) but is a cue
    ledger.times(0.9, Doubt.UNPARSED)
    assert ledger.confidence == pytest.approx(0.45)
    assert [(d.cue, d.detail, d.effect) for d in ledger.doubts] == [
        (Doubt.NEAR_PLACE, "贵州省", 0.5),
        (Doubt.CELL, "12", 0.8),
        (Doubt.UNPARSED, "", 0.9),
    ]


effects = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(st.lists(st.tuples(st.sampled_from(list(Doubt)), st.sampled_from("ab"), effects)))
def test_ranked_keeps_each_cue_once_at_its_strongest_and_orders_by_effect(
    entries: list[tuple[Doubt, str, float]],
) -> None:
    doubts = [FieldDoubt(cue=c, detail=d, effect=e) for c, d, e in entries]
    got = ranked(doubts)
    assert [d.effect for d in got] == sorted(d.effect for d in got)
    assert {(d.cue, d.detail) for d in got} == {(c, d) for c, d, _ in entries}
    for d in got:
        assert d.effect == min(e for c, k, e in entries if (c, k) == (d.cue, d.detail))


def test_doubted_caps_and_adds_the_cue() -> None:
    field = _field(0.95, FieldDoubt(cue=Doubt.CHARACTER, detail="遗", effect=0.95))
    got = doubted(field, 0.6, Doubt.TICK_NONE_TICKED, effect=0.6)
    assert got.confidence == 0.6
    assert [d.cue for d in got.doubts] == [Doubt.TICK_NONE_TICKED, Doubt.CHARACTER]


def test_pruning_keeps_strong_cues_and_for_a_flagged_reading_its_strongest() -> None:
    weak = FieldDoubt(cue=Doubt.LABEL, effect=0.98)
    weaker = FieldDoubt(cue=Doubt.CELL, detail="1", effect=0.99)
    strong = FieldDoubt(cue=Doubt.CHARACTER, detail="遗", effect=0.3)
    assert pruned(_field(0.3, strong, weak), REVIEW).doubts == (strong,)
    assert pruned(_field(0.97, weak, weaker), REVIEW).doubts == ()  # sure: nothing to say
    assert pruned(_field(0.85, weak, weaker), REVIEW).doubts == (weak,)  # flagged: why


def test_the_message_names_the_cues_in_reviewers_words() -> None:
    field = _field(
        0.2,
        FieldDoubt(cue=Doubt.CHARACTER, detail="遗", effect=0.2),
        FieldDoubt(cue=Doubt.OUT_OF_RANGE, effect=0.5),
    )
    assert explain(field, REVIEW) == "字符「遗」识别把握低；日期或数值超出合理范围"
    # a wording that quotes a detail, without one, drops the quote
    bare = _field(0.2, FieldDoubt(cue=Doubt.CELL, effect=0.2))
    assert explain(bare, REVIEW) == "表格单元格识别把握低"
    assert explain(_field(0.2), REVIEW) == ""


def test_at_most_doubts_shown_are_named() -> None:
    many = [FieldDoubt(cue=c, effect=0.1) for c in list(Doubt)[: REVIEW.doubts_shown + 2]]
    assert explain(_field(0.1, *many), REVIEW).count("；") == REVIEW.doubts_shown - 1


def test_a_low_confidence_finding_says_why() -> None:
    field = _field(0.3, FieldDoubt(cue=Doubt.NEAR_PLACE, detail="贵州省", effect=0.3))
    template = RULES.templates[Annex.PILOT]
    source = SubmissionSource(file="s.pdf", sha256="0" * 64, pages=(1, 9))
    submission = Submission(id="s", annex=Annex.PILOT, source=source, fields={"center_name": field})
    findings = check_fields(
        submission,
        template,
        RULES.campaign,
        rules=RULES.checks,
        review=REVIEW,
        normalize=normalizer(RULES),
    )
    low = [f for f in findings if f.code is FindingCode.FIELD_LOW_CONFIDENCE]
    assert len(low) == 1
    assert "与地名「贵州省」仅差一字，疑为误识" in low[0].message


def test_every_cue_must_have_words(tmp_path: Path) -> None:
    review = yaml.safe_load((RULES_DIR / "review.yaml").read_text(encoding="utf-8"))
    del review["doubts"]["tick_none_ticked"]
    with pytest.raises(ConfigError, match="tick_none_ticked"):
        load_rules(rules_folder(tmp_path, {"review.yaml": review}))
