"""``shenbao bench extract``: scoring against truth, reading the corpus, the command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from shenbao_lab.bench.extract import (
    ExtractFigures,
    bench_extract,
    load_truths,
    same_value,
    score_source,
)
from shenbao_lab.generator.styles import Style, TickMark
from shenbao_lab.generator.truth import Truth, dump
from typer.testing import CliRunner

from extractors.normalize import normalizer
from flows.cli import app
from pipeline.config import ReadMethod
from pipeline.model import ExtractedField, FieldValue, Member, SourceKind
from pipeline.settings import Settings
from tests.readers import SAMPLES, SETTINGS, TEMPLATES, NoOcr
from tests.rulebook import RULES

REVIEW = RULES.review
NORMALIZE = normalizer(RULES)
MEMBER = Member(name="贵州大学", type="高校", uscc="12520000429200010M")


@pytest.mark.parametrize(
    ("read", "truth", "same"),
    [
        (None, [], True),  # a blank list is a blank
        ([], None, True),
        (None, None, True),
        ("x", [], False),
        (None, "贵阳市", False),
        ("黔工信科技(2019)29号", "黔工信科技〔2019〕29号", True),
        ("黔工信科技(2019)28号", "黔工信科技〔2019〕29号", False),
        (800, 800.0, True),
        (848.71, 848.7100000001, True),
        (848.7, 848.71, False),
        (148, 148, True),
        ([MEMBER], [MEMBER], True),
        ([MEMBER], [MEMBER.model_copy(update={"type": "企业"})], False),
        (["平台甲"], ["平台甲", "平台乙"], False),
    ],
)
def test_same_value(read: FieldValue, truth: FieldValue, same: bool) -> None:
    assert same_value(read, truth, NORMALIZE) is same


def _source(applicant: str, kind: SourceKind):  # type: ignore[no-untyped-def]
    truth = Truth.model_validate_json(
        (SAMPLES / "truth" / f"{applicant}.json").read_text(encoding="utf-8")
    )
    return truth, next(s for s in truth.sources if s.kind is kind)


def _field(value: FieldValue, confidence: float, page: int | None = None) -> ExtractedField:
    return ExtractedField(value=value, raw=str(value), page=page, confidence=confidence)


def test_scoring_counts_right_wrong_flagged_and_unread() -> None:
    truth, source = _source("P004", SourceKind.SCAN)  # a degraded scan
    values = {k: f.value for k, f in source.fields.items()}
    assert values["platforms"] == []  # blank in the truth
    fields = {k: _field(v, 0.99, page=3) for k, v in values.items() if v not in (None, [])}
    fields["uscc"] = _field("91520000214434146X", 0.5, page=3)  # wrong, flagged
    fields["city"] = _field("贵阳币", 0.97, page=3)  # wrong and sure
    fields["revenue"] = _field(values["revenue"], 0.6, page=3)  # right, falsely flagged
    del fields["legal_rep"]  # not extracted
    outcomes = score_source(truth, source, fields, TEMPLATES[truth.annex], REVIEW, NORMALIZE)

    assert [o.field for o in outcomes] == sorted(source.fields)
    by_key = {o.field: o for o in outcomes}
    assert by_key["platforms"].correct and by_key["platforms"].confidence is None
    assert not by_key["uscc"].correct and by_key["uscc"].flagged
    assert not by_key["city"].correct and not by_key["city"].flagged
    assert by_key["revenue"].correct and by_key["revenue"].flagged
    legal_rep = by_key["legal_rep"]
    assert (legal_rep.correct, legal_rep.read, legal_rep.confidence) == (False, None, None)
    assert all(o.degradation == ("degraded",) for o in outcomes)

    figures = ExtractFigures(
        corpus="test", review_threshold=REVIEW.review_threshold, sources=1, read_s=0, extract_s=0,
        outcomes=tuple(outcomes),
    )  # fmt: skip
    assert figures.overall.total == len(source.fields)
    assert figures.overall.right == len(source.fields) - 3
    assert (figures.wrong_flagged.right, figures.wrong_flagged.total) == (1, 2)
    assert figures.right_flagged.right == 1
    assert figures.unread == 1
    assert figures.by_degradation["degraded"] == figures.overall
    assert figures.by_degradation["clean"].total == 0
    assert figures.by_source["scan"] == figures.overall
    assert not legal_rep.flagged  # nothing in the report sends it to review

    # the report's FIELD_LOW_CONFIDENCE for a field not read (第3页未能识别到该栏目): a
    # reviewer sees it, so the unread field is flagged, not silently absent
    again = score_source(
        truth, source, fields, TEMPLATES[truth.annex], REVIEW, NORMALIZE, unread={"legal_rep"}
    )
    legal_rep = next(o for o in again if o.field == "legal_rep")
    assert not legal_rep.correct and legal_rep.flagged
    assert figures.by_field["city"] == {"scan": figures.by_field["city"]["scan"]}


def test_scans_are_scored_by_their_style_split_and_tick_fields_apart() -> None:
    """A styled corpus: a scan carries its paper's family and split; the tick-box fields,
    false warnings and wrong-and-sure values are counted per split (issue 17)."""
    truth, source = _source("P001", SourceKind.SCAN)
    values = {k: f.value for k, f in source.fields.items()}
    fields = {k: _field(v, 0.99, page=3) for k, v in values.items() if v not in (None, [])}
    fields["org_nature"] = _field("其他", 0.99, page=3)  # a tick read wrong, and sure
    fields["city"] = _field(values["city"], 0.5, page=3)  # right, sent to review
    withheld = Style(family="pen-fill", split="withheld", ticks=TickMark.PEN_FILL)
    scored = score_source(
        truth, source, fields, TEMPLATES[truth.annex], REVIEW, NORMALIZE, withheld
    )
    house = score_source(truth, source, fields, TEMPLATES[truth.annex], REVIEW, NORMALIZE)
    assert {(o.style, o.split) for o in scored} == {("pen-fill", "withheld")}
    ticks = {o.field for o in scored if o.tick}
    assert ticks == {"center_type", "setup_mode", "org_nature", "affiliation"}
    figures = ExtractFigures(
        corpus="test", review_threshold=REVIEW.review_threshold, sources=2, read_s=0, extract_s=0,
        outcomes=(*scored, *house),
    )  # fmt: skip
    withheld_scores = figures.by_split["withheld"]
    assert withheld_scores.submissions == 1
    assert (withheld_scores.ticks.right, withheld_scores.ticks.total) == (3, 4)
    assert withheld_scores.wrong_unflagged == 1
    assert withheld_scores.right_flagged.right == 1
    assert withheld_scores.false_warnings_per_submission == 1.0
    assert set(figures.by_split) == {"house", "withheld"}
    assert figures.by_family["pen-fill"] == withheld_scores
    targets = {t.measure: t.met for t in figures.targets}
    assert targets["wrong values flagged"] is False
    assert targets["exact, digital PDF"] is None  # nothing measured


def test_a_field_takes_the_degradation_of_its_page() -> None:
    truth, source = _source("C012", SourceKind.SCAN)  # greyscale, in the scanner stream
    outcomes = score_source(truth, source, {}, TEMPLATES[truth.annex], REVIEW, NORMALIZE)
    assert {o.degradation for o in outcomes} == {("greyscale",)}
    truth, source = _source("C003", SourceKind.DOCX)
    outcomes = score_source(truth, source, {}, TEMPLATES[truth.annex], REVIEW, NORMALIZE)
    assert {o.degradation for o in outcomes} == {()}  # electronic copies have none


def test_electronic_copies_are_scored_field_by_field_without_ocr() -> None:
    kinds = (SourceKind.TEXT_LAYER, SourceKind.DOCX)
    figures = bench_extract(SAMPLES, SETTINGS, engine=NoOcr(), only={"P001", "C003"}, kinds=kinds)
    truths = {t.applicant: t for t in load_truths(SAMPLES, {"P001", "C003"})}
    assert figures.sources == 4 and not figures.missing_submissions
    assert figures.overall.total == sum(
        len(s.fields) for t in truths.values() for s in t.sources if s.kind in kinds
    )
    assert figures.by_source["scan"].total == 0
    for outcome in figures.outcomes:
        expected = next(s for s in truths[outcome.applicant].sources if s.kind is outcome.source)
        assert outcome.truth == expected.fields[outcome.field].value
        assert outcome.correct is same_value(outcome.read, outcome.truth, NORMALIZE)
        assert outcome.confidence in (None, 1.0)  # text layers and DOCX are read exactly
        assert not outcome.flagged
    # Fields read by label were exact before tick boxes and tables existed: they stay so.
    by_label = {
        spec.key
        for template in TEMPLATES.values()
        for page in template.pages
        for spec in map(template.field, page.fields)
        if spec.method is not ReadMethod.CHECKBOX
    }
    assert [o for o in figures.wrong if o.field in by_label] == []
    # Every figure is in the JSON, and it reads back.
    again = ExtractFigures.model_validate_json(figures.model_dump_json())
    assert again.outcomes == figures.outcomes
    assert json.loads(figures.model_dump_json())["by_source"]["docx"]["total"] > 0


def _tiny_corpus(root: Path) -> Path:
    """Two applicants' electronic copies and their truth: a corpus that needs no OCR."""
    for applicant in ("P002", "C007"):
        truth, _ = _source(applicant, SourceKind.SCAN)
        electronic = tuple(s for s in truth.sources if s.kind is not SourceKind.SCAN)
        (root / "truth").mkdir(parents=True, exist_ok=True)
        (root / "truth" / f"{applicant}.json").write_text(
            dump(truth.model_copy(update={"sources": electronic})), encoding="utf-8"
        )
        for source in electronic:
            (root / source.file).parent.mkdir(exist_ok=True)
            shutil.copy(SAMPLES / source.file, root / source.file)
    return root


def test_the_command_prints_the_figures_and_writes_json(tmp_path: Path) -> None:
    corpus = _tiny_corpus(tmp_path / "corpus")
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(
        app, ["bench", "extract", "--samples", str(corpus), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    for shown in (
        "exact, digital PDF",
        "exact, DOCX",
        "exact, degraded scans",
        "wrong values flagged",
        "≥ 99.5%",
        "exact per field",
        "center_name",
    ):
        assert shown in result.output
    figures = ExtractFigures.model_validate_json(out.read_text(encoding="utf-8"))
    assert figures.sources == 4
    assert {o.applicant for o in figures.outcomes} == {"P002", "C007"}


def test_the_command_can_bench_a_freshly_generated_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shenbao_lab.generator as generator

    calls: list[tuple[int, int, str]] = []

    def generate_corpus(out: Path, count: int, seed: int, styles: str = "house") -> None:
        calls.append((count, seed, styles))
        _tiny_corpus(out)

    monkeypatch.setattr(generator, "generate_corpus", generate_corpus)
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(
        app, ["bench", "extract", "--generate", "2", "--seed", "7", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    figures = ExtractFigures.model_validate_json(out.read_text(encoding="utf-8"))
    assert figures.corpus == "generated: --generate 2 --seed 7"
    assert figures.overall.total > 0
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "extract",
            "--generate",
            "2",
            "--seed",
            "7",
            "--styles",
            "withheld",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert calls == [(2, 7, "house"), (2, 7, "withheld")]
    figures = ExtractFigures.model_validate_json(out.read_text(encoding="utf-8"))
    assert figures.corpus == "generated: --generate 2 --seed 7 --styles withheld"


@pytest.mark.slow
def test_real_ocr_of_a_degraded_scan_gives_the_truths_fields(tmp_path: Path) -> None:
    """End to end on a committed scan: render, normalise, PP-OCRv6 on the page pool, extract.

    Fields read by label must be exact or flagged for review, never wrong and sure.
    """
    settings = Settings(cache_dir=tmp_path)  # an empty cache: the OCR really runs
    figures = bench_extract(SAMPLES, settings, workers=2, only={"C007"}, kinds=[SourceKind.SCAN])
    assert not figures.missing_submissions
    assert list(tmp_path.glob("ocr/*/*/*.json")), "no page was OCR'd"
    truth, source = _source("C007", SourceKind.SCAN)
    assert {o.field for o in figures.outcomes} == set(source.fields)
    template = TEMPLATES[truth.annex]
    by_label = {
        spec.key
        for page in template.pages
        for spec in map(template.field, page.fields)
        if spec.method is not ReadMethod.CHECKBOX
    }
    read = [o for o in figures.outcomes if o.field in by_label]
    assert sum(o.correct for o in read) >= 0.95 * len(read)
    sure_and_wrong = [(o.field, o.read, o.truth) for o in read if not o.correct and not o.flagged]
    assert sure_and_wrong == []
    assert figures.by_degradation["degraded"].total == len(source.fields)


def test_a_folder_that_is_not_a_corpus_fails_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "extract", "--samples", str(tmp_path)])
    assert result.exit_code == 1
    assert "not a corpus" in result.output and "Traceback" not in result.output
