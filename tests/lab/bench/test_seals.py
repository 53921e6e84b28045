"""``shenbao bench seals``: scoring hand-built reports against the truth (no OCR), the command."""

from __future__ import annotations

from pathlib import Path

import pytest
import shenbao_lab.bench.seals as seals_bench
from shenbao_lab.bench.seal_sets import SealBenchFigures
from shenbao_lab.bench.seals import (
    Checker,
    DecisionOutcome,
    FindingOutcome,
    SealFigures,
    SlotOutcome,
    in_place,
    score_submission,
    upright,
)
from shenbao_lab.generator.truth import SourceTruth, Truth, TruthPage
from typer.testing import CliRunner

from flows.cli import app
from pipeline.model import (
    BBox,
    Finding,
    FindingCode,
    Seal,
    SourceKind,
    Submission,
    SubmissionSource,
)
from tests.readers import SAMPLES
from usecases.check import checker

C = FindingCode


def _scan(applicant: str) -> tuple[Truth, SourceTruth]:
    truth = Truth.model_validate_json(
        (SAMPLES / "truth" / f"{applicant}.json").read_text(encoding="utf-8")
    )
    return truth, next(s for s in truth.sources if s.kind is SourceKind.SCAN)


def _report(
    source: SourceTruth, seals: list[Seal], findings: list[tuple[FindingCode, str | None]]
) -> Submission:
    return Submission(
        id=source.submission_id,
        source=SubmissionSource(file=source.file, sha256="0" * 64, pages=source.pages),
        seals=tuple(seals),
        findings=tuple(Finding.of(code, "测试", slot=slot) for code, slot in findings),
    )


def _seal(slot: str | None, page: int, bbox: BBox, owner_match: bool | None) -> Seal:
    return Seal(slot=slot, page=page, bbox=bbox, text="印", owner_match=owner_match, confidence=0.9)


def _truth_seal(source: SourceTruth, slot: str):  # type: ignore[no-untyped-def]
    return next(s for s in source.seals if s.slot == slot)


def _shifted(bbox: BBox, dx: float) -> BBox:
    return (bbox[0] + dx, bbox[1], bbox[2] + dx, bbox[3])


def test_in_place_is_centres_within_half_the_seal() -> None:
    truth: BBox = (0.2, 0.4, 0.4, 0.54)  # 0.2 wide: half is 0.1
    assert in_place(truth, truth)
    assert in_place(_shifted(truth, 0.09), truth)
    assert not in_place(_shifted(truth, 0.11), truth)
    assert in_place((0.25, 0.45, 0.35, 0.5), truth)  # smaller, same centre


def test_an_upside_down_page_turns_the_truth_box() -> None:
    page = TruthPage(number=1, file_page=1, template_page="cover", upside_down=True)
    assert upright((0.1, 0.2, 0.3, 0.5), page) == pytest.approx((0.7, 0.5, 0.9, 0.8))
    assert upright((0.1, 0.2, 0.3, 0.5), page.model_copy(update={"upside_down": False})) == (
        0.1, 0.2, 0.3, 0.5,
    )  # fmt: skip


def _colour_case() -> tuple[list, object, list]:  # type: ignore[type-arg]
    """P006 (colour): both recommender seals from the wrong authority, expected mismatched."""
    truth, source = _scan("P006")
    lead = _truth_seal(source, "lead_org_cover")
    cover = _truth_seal(source, "recommender_cover")
    opinion = _truth_seal(source, "recommender_opinion")
    report = _report(
        source,
        [
            _seal("lead_org_cover", 1, lead.bbox, True),  # right
            _seal("recommender_cover", 1, cover.bbox, False),  # right: a planted mismatch
            _seal("recommender_opinion", opinion.page, _shifted(opinion.bbox, -0.3), True),
            # lead_org_commitment: not found
        ],
        [
            (C.SEAL_OWNER_MISMATCH, "recommender_cover"),  # true
            (C.SEAL_MISSING, "lead_org_commitment"),  # false
            (C.RECOMMENDATION_WRONG_AUTHORITY, None),  # true
            # SEAL_OWNER_MISMATCH at recommender_opinion: missed
        ],
    )
    return score_submission(truth, source, report)  # type: ignore[return-value]


def _greyscale_case() -> tuple[list, object, list]:  # type: ignore[type-arg]
    """C012 (greyscale, exempt): no recommender seals in the truth."""
    truth, source = _scan("C012")
    lead = _truth_seal(source, "lead_org_cover")
    report = _report(
        source,
        [
            _seal("lead_org_cover", 1, lead.bbox, None),  # found, undecided
            _seal("recommender_cover", 1, (0.2, 0.6, 0.4, 0.74), None),  # no truth seal: false
            _seal(None, 3, (0.1, 0.1, 0.2, 0.2), None),  # at no slot: not scored
        ],
        [
            (C.SEAL_UNVERIFIABLE, "lead_org_commitment"),  # tolerated
            (C.SEAL_MISSING, "lead_org_cover"),  # false, on greyscale
            (C.RECOMMENDATION_EXEMPT, None),  # true
            (C.RECOMMENDATION_MISSING, None),  # false: the decision is wrong
        ],
    )
    return score_submission(truth, source, report)  # type: ignore[return-value]


def _figures() -> SealFigures:
    slots, decisions, findings = [], [], []
    for case in (_colour_case(), _greyscale_case()):
        slots += case[0]
        decisions.append(case[1])
        findings += case[2]
    return SealFigures(
        corpus="test", submissions={"colour": 1, "greyscale": 1}, unslotted_seals=1,
        read_s=0, check_s=0, slots=tuple(slots), decisions=tuple(decisions),
        findings=tuple(findings),
    )  # fmt: skip


def test_a_colour_scan_is_scored_slot_by_slot() -> None:
    slots, decision, findings = _colour_case()
    by_slot = {s.slot: s for s in slots}
    assert {s.scans for s in slots} == {"colour"}
    assert [s.slot for s in slots if not s.read] == ["lead_org_commitment"]
    assert by_slot["lead_org_cover"].in_place and by_slot["recommender_cover"].in_place
    assert by_slot["recommender_opinion"].read and not by_slot["recommender_opinion"].in_place
    assert by_slot["recommender_cover"].expected_owner_match is False
    assert by_slot["lead_org_cover"].expected_owner_match is True
    assert decision.correct and decision.read == ("RECOMMENDATION_WRONG_AUTHORITY",)
    verdicts = {(f.code.value, f.slot): f.verdict for f in findings}
    assert verdicts == {
        ("SEAL_OWNER_MISMATCH", "recommender_cover"): "true",
        ("SEAL_OWNER_MISMATCH", "recommender_opinion"): "missed",
        ("SEAL_MISSING", "lead_org_commitment"): "false",
        ("RECOMMENDATION_WRONG_AUTHORITY", None): "true",
    }


def test_the_figures_split_colour_and_greyscale() -> None:
    figures = _figures()
    colour, grey = figures.detection["colour"], figures.detection["greyscale"]
    assert (colour.recall.right, colour.recall.total) == (3, 4)
    assert (colour.precision.right, colour.precision.total) == (3, 3)
    assert (colour.recall_in_place.right, colour.precision_in_place.right) == (2, 2)
    assert (grey.recall.right, grey.recall.total) == (1, 2)  # lead_org_commitment not found
    assert (grey.precision.right, grey.precision.total) == (1, 2)  # recommender_cover is false
    # Owner match: of decided found seals; P006's opinion seal read as the right owner is wrong.
    assert (figures.owner_match["colour"].right, figures.owner_match["colour"].total) == (2, 3)
    assert figures.owner_match["greyscale"].total == 0
    assert (figures.owner_undecided["greyscale"].right, figures.owner_undecided["all"].total) == (
        1, 4,
    )  # fmt: skip
    assert figures.recommendation_decisions["colour"].rate == 1.0
    assert figures.recommendation_decisions["greyscale"].rate == 0.0
    missing = figures.by_code["all"]["SEAL_MISSING"]
    assert (missing.precision.right, missing.precision.total, missing.recall.total) == (0, 2, 0)
    mismatch = figures.by_code["colour"]["SEAL_OWNER_MISMATCH"]
    assert (mismatch.precision.rate, mismatch.recall.rate) == (1.0, 0.5)
    unverifiable = figures.by_code["greyscale"]["SEAL_UNVERIFIABLE"]
    assert (unverifiable.tolerated, unverifiable.precision.total) == (1, 0)
    exempt = figures.by_code["greyscale"]["RECOMMENDATION_EXEMPT"]
    assert (exempt.precision.rate, exempt.recall.rate) == (1.0, 1.0)
    assert figures.false_seal_missing_greyscale == 1
    assert {f.verdict for f in figures.wrong_findings} == {"false", "missed"}

    met = {t.measure: t.met for t in figures.targets}
    assert met == {
        "detection precision, colour": True,
        "detection recall, colour": False,
        "owner match": False,
        "recommendation decisions": False,
        "greyscale scans without a false SEAL_MISSING": False,
    }
    again = SealFigures.model_validate_json(figures.model_dump_json())
    assert again.slots == figures.slots and again.findings == figures.findings


def test_the_figures_split_the_style_splits_apart() -> None:
    """A styled corpus (issue 17): each scan scored under its paper's split; the house
    split alone prints no split table."""
    figures = _figures()
    assert set(figures.by_split) == {"house"}
    withheld = [
        o.model_copy(update={"split": "withheld"})
        for o in (*figures.slots, *figures.decisions, *figures.findings)
        if o.applicant == "C012"
    ]
    kept = [
        o for o in (*figures.slots, *figures.decisions, *figures.findings) if o.applicant != "C012"
    ]
    mixed = figures.model_copy(
        update={
            "slots": tuple(o for o in (*kept, *withheld) if isinstance(o, SlotOutcome)),
            "decisions": tuple(o for o in (*kept, *withheld) if isinstance(o, DecisionOutcome)),
            "findings": tuple(o for o in (*kept, *withheld) if isinstance(o, FindingOutcome)),
        }
    )
    house, grey = mixed.by_split["house"], mixed.by_split["withheld"]
    assert (house.submissions, grey.submissions) == (1, 1)
    assert (house.recall.right, house.recall.total) == (3, 4)  # the colour case
    assert (grey.precision.right, grey.precision.total) == (1, 2)  # the greyscale case
    assert house.false_owner_mismatch == 0 and house.wrong_findings == 2
    assert grey.recommendation_decisions.rate == 0.0
    assert "withheld" in SealFigures.model_validate_json(mixed.model_dump_json()).by_split


def test_a_submission_not_produced_misses_everything() -> None:
    truth, source = _scan("P004")
    slots, decision, findings = score_submission(truth, source, None)
    assert len(slots) == len(source.seals) and not any(s.read for s in slots)
    assert not decision.correct and decision.expected == ("RECOMMENDATION_MISSING",)
    assert {f.verdict for f in findings} == {"missed"}
    seal_and_recommendation = [
        (f.code, f.slot)
        for f in source.expected_findings
        if f.code.value.startswith(("SEAL_", "RECOMMENDATION_"))
    ]
    assert [(f.code, f.slot) for f in findings] == sorted(
        seal_and_recommendation, key=lambda k: (k[0].value, k[1] or "")
    )


def test_the_command_prints_the_figures_and_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []

    def measure(corpus: Path, settings: object, check: Checker, *, workers: int) -> SealFigures:
        assert check is checker  # the batch's checking, handed in from the flows layer
        calls.append(corpus)
        return _figures()

    monkeypatch.setattr(seals_bench, "bench_seals", measure)
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(
        app, ["bench", "seals", "--samples", str(tmp_path), "--json", str(out), "--no-real"]
    )
    assert result.exit_code == 0, result.output
    assert calls == [tmp_path]
    for shown in (
        "precision (slot)",
        "recall (slot)",
        "owner match",
        "recommendation decisions",
        "false SEAL_MISSING",
        "≥ 99% met",
        "MISSED",
        "SEAL_OWNER_MISMATCH",
        "NOT FOUND",
        "RECOMMENDATION_MISSING",
    ):
        assert shown in result.output
    written = SealBenchFigures.model_validate_json(out.read_text(encoding="utf-8"))
    assert written.generated == _figures() and written.real is None


def test_a_folder_that_is_not_a_corpus_fails_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "seals", "--samples", str(tmp_path), "--no-real"])
    assert result.exit_code == 1
    assert "not a corpus" in result.output and "Traceback" not in result.output
