"""``shenbao bench findings``: keying and scoring hand-made findings, the verdicts on the
mutations planted, and the command end to end on born-digital copies (no OCR)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from shenbao_lab.bench.finding_figures import (
    BATCH,
    FindingFigures,
    FindingOutcome,
    FormatOutcome,
    MutationOutcome,
)
from shenbao_lab.bench.findings import expected_paper_missing, finding_key, mutate, score_findings
from shenbao_lab.bench.mutations import MUTATIONS, mutable_fields, online_form
from shenbao_lab.generator.faults import ExpectedFinding
from shenbao_lab.generator.truth import BatchTruth, SourceTruth, Truth, dump
from typer.testing import CliRunner

from extractors.normalize import normalizer
from flows.cli import app
from pipeline.model import (
    Annex,
    ExtractedField,
    Finding,
    FindingCode,
    OnlineMatch,
    OnlineRecord,
    Report,
    SourceKind,
    Status,
    SubmissionSource,
)
from tests.readers import SAMPLES, TEMPLATES
from tests.rulebook import RULES

C = FindingCode
CAMPAIGN = RULES.campaign
NORMALIZE = normalizer(RULES)
MAPPING = RULES.export_columns
BY_NAME = {m.name: m for m in MUTATIONS}


def _finding(code: FindingCode, **keys: str) -> Finding:
    return Finding.of(code, "测试", **keys)


def _expected(code: FindingCode, **keys: str) -> ExpectedFinding:
    return ExpectedFinding(code=code, **keys)


def _truth(applicant: str) -> Truth:
    return Truth.model_validate_json(
        (SAMPLES / "truth" / f"{applicant}.json").read_text(encoding="utf-8")
    )


# ---------------------------------------------------------------------------------------
# Keying and scoring
# ---------------------------------------------------------------------------------------


def test_a_finding_is_keyed_by_the_first_of_field_slot_section_and_key() -> None:
    assert finding_key(_finding(C.FIELD_MISMATCH, field="revenue", key="unit_slip")) == (
        C.FIELD_MISMATCH,
        "revenue",
    )
    assert finding_key(_finding(C.SEAL_MISSING, slot="lead_org_cover")) == (
        C.SEAL_MISSING,
        "lead_org_cover",
    )
    assert finding_key(_finding(C.SECTION_MISSING, section="plan_budget")) == (
        C.SECTION_MISSING,
        "plan_budget",
    )
    assert finding_key(_finding(C.DEADLINE_MISSED, key="online")) == (C.DEADLINE_MISSED, "online")
    assert finding_key(_finding(C.ONLINE_RECORD_MISSING)) == (C.ONLINE_RECORD_MISSING, None)
    # the truth's findings are keyed the same way
    assert finding_key(_expected(C.DEADLINE_MISSED, key="online")) == (C.DEADLINE_MISSED, "online")


def test_findings_are_true_false_missed_tolerated_or_deferred() -> None:
    raised = [
        _finding(C.FIELD_MISMATCH, field="revenue"),  # true
        _finding(C.FIELD_MISMATCH, field="revenue", key="unit_slip"),  # the same key: once
        _finding(C.FIELD_INVALID, field="mobile"),  # false
        _finding(C.SEAL_UNVERIFIABLE, slot="lead_org_cover"),  # tolerated
        _finding(C.FIELD_LOW_CONFIDENCE, field="legal_rep"),  # not scored; defers legal_rep
        _finding(C.FIELD_LOW_CONFIDENCE, field="address"),  # not scored, defers nothing
    ]
    expected = [
        _expected(C.FIELD_MISMATCH, field="revenue"),
        _expected(C.FIELD_MISMATCH, field="legal_rep"),  # deferred
        _expected(C.FIELD_MISMATCH, field="city"),  # missed
        _expected(C.RECOMMENDATION_EXEMPT),  # missed
    ]
    tolerated = [
        _expected(C.SEAL_UNVERIFIABLE, slot="lead_org_cover"),
        _expected(C.FIELD_MISMATCH, field="revenue"),  # expected wins over tolerated
    ]
    assert score_findings(raised, expected, tolerated) == [
        ((C.FIELD_INVALID, "mobile"), "false"),
        ((C.FIELD_MISMATCH, "city"), "missed"),
        ((C.FIELD_MISMATCH, "legal_rep"), "deferred"),
        ((C.FIELD_MISMATCH, "revenue"), "true"),
        ((C.RECOMMENDATION_EXEMPT, None), "missed"),
        ((C.SEAL_UNVERIFIABLE, "lead_org_cover"), "tolerated"),
    ]
    # a missing submission raised nothing: every expected finding is missed
    assert {v for _, v in score_findings([], expected)} == {"missed"}


def test_paper_missing_is_the_batch_truths_and_the_filings_without_paper_of_the_kind() -> None:
    batch = BatchTruth.model_validate_json(
        (SAMPLES / "truth" / "batch.json").read_text(encoding="utf-8")
    )
    truths = [_truth(a) for a in ("P001", "P002", "P010")]  # P010 has no filing
    everyone = expected_paper_missing(batch, truths, {"P001", "P002", "P010"})
    assert everyone == batch.expected_batch_findings
    assert [finding_key(f) for f in everyone] == [(C.PAPER_MISSING, "GZ2022-0192")]
    without_p002 = expected_paper_missing(batch, truths, {"P001"})
    assert {finding_key(f) for f in without_p002} == {
        (C.PAPER_MISSING, "GZ2022-0192"),
        (C.PAPER_MISSING, "GZ2022-0115"),  # P002's; none for P010, which filed nothing
    }


def _outcome(kind: SourceKind, code: FindingCode, key: str | None, verdict: str) -> FindingOutcome:
    return FindingOutcome.model_validate(
        {"applicant": "P002", "submission_id": "s", "kind": kind, "code": code, "key": key}
        | {"verdict": verdict}
    )


def _mutation(kind: SourceKind, name: str, verdict: str) -> MutationOutcome:
    return MutationOutcome.model_validate(
        {
            "applicant": "P002",
            "submission_id": "s",
            "kind": kind,
            "field": "revenue",
            "mutation": name,
            "planted": BY_NAME[name].planted,
            "truth": 1.0,
            "online": 2.0,
            "paper": 1.0,
            "paper_misread": False,
            "matched": True,
            "verdict": verdict,
        }
    )


def _figures() -> FindingFigures:
    pdf, docx = SourceKind.TEXT_LAYER, SourceKind.DOCX
    return FindingFigures(
        corpus="test",
        export="online/export.xlsx",
        seed=7,
        kinds=(pdf, docx),
        submissions={"text_layer": 1, "docx": 1},
        low_confidence={"text_layer": 0, "docx": 2},
        read_s=0,
        check_s=0,
        online_s=0,
        findings=(
            _outcome(pdf, C.FIELD_MISMATCH, "revenue", "true"),
            _outcome(pdf, C.FIELD_INVALID, "mobile", "false"),
            _outcome(pdf, C.PAPER_MISSING, "GZ2022-0192", "true"),
            _outcome(docx, C.FIELD_MISMATCH, "revenue", "deferred"),
            _outcome(docx, C.FIELD_MISMATCH, "city", "missed"),
            _outcome(docx, C.SEAL_UNVERIFIABLE, "lead_org_cover", "tolerated"),
            _outcome(docx, C.PAPER_MISSING, "GZ2022-0192", "true"),
        ),
        format_variants=(
            FormatOutcome(
                applicant="P002",
                submission_id="s",
                kind=pdf,
                field="email",
                paper="a@b.cn",
                online="A@B.CN",
                mismatch=False,
            ),
            FormatOutcome(
                applicant="P002",
                submission_id="s",
                kind=docx,
                field="email",
                paper="a@b.cn",
                online="A@B.CN",
                mismatch=True,
            ),
        ),
        mutations=(
            _mutation(pdf, "digit", "caught"),
            _mutation(pdf, "unit_slip", "missed"),
            _mutation(docx, "digit", "deferred"),
            _mutation(pdf, "thousands", "clean"),
            _mutation(docx, "thousands", "false"),
        ),
    )


def test_the_figures_add_up_per_kind_and_overall() -> None:
    figures = _figures()
    assert figures.columns == ("text_layer", "docx", "all")
    overall = figures.overall
    assert (overall["text_layer"].precision.right, overall["text_layer"].precision.total) == (2, 3)
    assert (overall["text_layer"].recall.right, overall["text_layer"].recall.total) == (2, 2)
    assert (overall["docx"].precision.right, overall["docx"].precision.total) == (1, 1)
    assert (overall["docx"].recall.right, overall["docx"].recall.total) == (1, 2)
    assert (overall["docx"].deferred, overall["docx"].tolerated) == (1, 1)
    assert (overall["all"].precision.right, overall["all"].precision.total) == (3, 4)
    mismatch = figures.by_code["all"]["FIELD_MISMATCH"]
    assert (mismatch.recall.right, mismatch.recall.total, mismatch.deferred) == (1, 2, 1)
    assert list(figures.by_code["all"]) == [  # in FindingCode's order
        "FIELD_INVALID", "SEAL_UNVERIFIABLE", "PAPER_MISSING", "FIELD_MISMATCH",
    ]  # fmt: skip
    assert figures.format_only["text_layer"].rate == 1.0
    assert (figures.format_only["all"].right, figures.format_only["all"].total) == (1, 2)
    planted = figures.planted
    assert (planted["text_layer"].score.right, planted["text_layer"].score.total) == (1, 2)
    assert (planted["docx"].score.total, planted["docx"].deferred) == (0, 1)
    format_planted = figures.format_planted["all"].score
    assert (format_planted.right, format_planted.total) == (1, 2)
    assert figures.by_mutation["digit"]["all"].score.total == 1
    assert figures.by_mutation["digit"]["all"].deferred == 1
    assert figures.by_mutation["member_added"]["all"].score.total == 0
    assert {f.verdict for f in figures.wrong_findings} == {"false", "missed", "deferred"}
    assert {m.verdict for m in figures.wrong_mutations} == {"missed", "deferred", "false"}
    targets = {t.measure: t for t in figures.targets}
    assert len(targets) == 5
    assert targets["precision, overall"].met is False
    assert targets["recall, planted online discrepancies"].score.rate == 0.5
    again = FindingFigures.model_validate_json(figures.model_dump_json())
    assert again.overall == figures.overall


# ---------------------------------------------------------------------------------------
# Planting mutations and judging what checking raised (the mutations: test_mutations.py)
# ---------------------------------------------------------------------------------------


# --- verdicts of mutate(), with a stand-in for check_batch -----------------------------


def _report(source: SourceTruth, unsure: str) -> Report:
    fields = {
        key: ExtractedField(value=f.value, raw=f.raw, confidence=0.5 if key == unsure else 1.0)
        for key, f in source.fields.items()
    }
    fields["reg_capital"] = fields["reg_capital"].model_copy(update={"value": 1})  # misread
    return Report(
        batch="test",
        submission_id=source.submission_id,
        annex=Annex.PILOT,
        source=SubmissionSource(file=source.file, sha256="0" * 64, pages=source.pages),
        status=Status.NEEDS_REVIEW,
        fields=fields,
        findings=(_finding(C.FIELD_LOW_CONFIDENCE, field=unsure),),
    )


def _record(truth: Truth) -> OnlineRecord:
    values = dict(truth.online.values)
    return OnlineRecord(record_id=truth.online.record_id, annex=truth.annex, row=2, fields=values)


class StandIn:
    """``check_batch`` for one report: FIELD_MISMATCH wherever the filing's value is not
    exactly the truth's (format variants included), never on an unsure field."""

    def __init__(self, truth: Truth, unsure: str, match: bool = True) -> None:
        self.base = {k: online_form(f.value) for k, f in truth.sources[2].fields.items()}
        self.unsure = unsure
        self.match = match
        self.records: list[OnlineRecord] = []

    def __call__(self, report: Report, record: OnlineRecord) -> Report:
        self.records.append(record)
        differ = [
            k
            for k, v in record.fields.items()
            if k in self.base and v != self.base[k] and k != self.unsure
        ]
        findings = report.findings + tuple(_finding(C.FIELD_MISMATCH, field=k) for k in differ)
        online = OnlineMatch(matched_by="uscc", record_id=record.record_id) if self.match else None
        return report.model_copy(update={"findings": findings, "online": online})


def test_scans_are_scored_by_their_style_split_with_errors_and_warnings_apart() -> None:
    """Issue 17: a styled corpus's scans per split; error-level precision and the
    warnings raised that the truth does not expect, per submission."""
    scan = SourceKind.SCAN

    def outcome(submission: str, code: FindingCode, verdict: str, split: str) -> FindingOutcome:
        return FindingOutcome.model_validate(
            {"applicant": submission, "submission_id": submission, "kind": scan, "code": code}
            | {"key": "k", "verdict": verdict, "split": split, "style": f"{split}-{submission}"}
        )

    figures = _figures().model_copy(
        update={
            "findings": (
                *_figures().findings,
                outcome("a", C.FIELD_MISMATCH, "true", "tuned"),
                outcome("a", C.FIELD_LOW_CONFIDENCE, "false", "tuned"),
                outcome("b", C.DOMAIN_INELIGIBLE, "false", "withheld"),
                outcome("b", C.SEAL_MISSING, "true", "withheld"),
                outcome("c", C.SEAL_UNVERIFIABLE, "tolerated", "withheld"),
                outcome("c", C.FIELD_MISMATCH, "missed", "withheld"),
            )
        }
    )
    splits = figures.by_split
    assert set(splits) == {"tuned", "withheld"}  # electronic copies are in no split
    assert splits["tuned"].submissions == 1
    assert str(splits["tuned"].errors.precision) == "1/1 (100.0%)"
    assert splits["tuned"].unexpected_warnings_per_submission == 1.0
    withheld = splits["withheld"]
    assert (withheld.submissions, withheld.errors.precision.right) == (2, 1)
    assert (withheld.errors.precision.total, withheld.errors.recall.total) == (2, 2)
    assert withheld.unexpected_warnings_per_submission == 0.5
    # submissions with no finding at all count too, when the bench says how many there were
    counted = figures.model_copy(update={"split_submissions": {"tuned": 4, "withheld": 2}})
    assert counted.by_split["tuned"].unexpected_warnings_per_submission == 0.25
    # and per family, measured the same way
    families = figures.by_family
    assert set(families) == {"tuned-a", "withheld-b", "withheld-c"}
    assert families["tuned-a"] == splits["tuned"]
    assert (families["withheld-b"].errors.precision.right, families["withheld-b"].submissions) == (
        1,
        1,
    )
    assert families["withheld-c"].errors.recall.total == 1
    quiet = figures.model_copy(update={"family_submissions": {"tuned-a": 1, "tuned-d": 1}})
    assert quiet.by_family["tuned-d"].errors.precision.total == 0  # a family nothing raised on


def test_mutate_changes_one_field_at_a_time_and_judges_what_checking_raised() -> None:
    truth = _truth("P002")
    source = truth.sources[2]
    assert source.kind is SourceKind.DOCX
    record = _record(truth)
    fields = mutable_fields(MAPPING, TEMPLATES[truth.annex], CAMPAIGN)
    stand_in = StandIn(truth, unsure="legal_rep")
    paper = _report(source, "legal_rep")
    outcomes = mutate(truth, source, paper, record, fields, stand_in, seed=7, normalize=NORMALIZE)

    assert len(stand_in.records) == len(outcomes)
    for outcome, mutated in zip(outcomes, stand_in.records, strict=True):
        changed = {k for k, v in mutated.fields.items() if v != record.fields[k]}
        assert changed <= {outcome.field}  # that one field, nothing else
        assert mutated.fields[outcome.field] == outcome.online
        assert outcome.truth == online_form(source.fields[outcome.field].value)
    keys = [(o.field, o.mutation) for o in outcomes]
    assert len(keys) == len(set(keys))
    assert {o.field for o in outcomes} <= set(fields) & set(source.fields)
    assert {o.mutation for o in outcomes} == set(BY_NAME)  # P002 has something for each
    by = {(o.field, o.mutation): o for o in outcomes}
    assert by["revenue", "digit"].verdict == "caught"
    assert by["revenue", "thousands"].verdict == "false"  # the stand-in compares exactly
    assert by["legal_rep", "person"].verdict == "deferred"  # unsure: FIELD_LOW_CONFIDENCE
    assert by["legal_rep", "name_spaces"].verdict == "clean"
    assert by["reg_capital", "digit"].paper_misread and not by["revenue", "digit"].paper_misread
    assert all(o.matched and o.kind is SourceKind.DOCX for o in outcomes)

    again = StandIn(truth, unsure="legal_rep")
    assert mutate(truth, source, paper, record, fields, again, 7, normalize=NORMALIZE) == outcomes
    other = mutate(truth, source, paper, record, fields, again, 8, normalize=NORMALIZE)
    assert [o.online for o in other] != [o.online for o in outcomes]


def test_a_planted_discrepancy_nothing_was_raised_on_is_a_silent_match() -> None:
    truth = _truth("P002")
    source = truth.sources[2]
    record = _record(truth)
    fields = mutable_fields(MAPPING, TEMPLATES[truth.annex], CAMPAIGN)

    def nothing(report: Report, record: OnlineRecord) -> Report:
        return report  # no online validators: nothing raised, not even a match

    paper = _report(source, "address")
    outcomes = mutate(truth, source, paper, record, fields, nothing, seed=7, normalize=NORMALIZE)
    verdicts = {(o.planted, o.verdict) for o in outcomes if o.field != "address"}
    assert verdicts == {(True, "missed"), (False, "clean")}
    assert {o.verdict for o in outcomes if o.field == "address"} == {"deferred"}
    assert not any(o.matched for o in outcomes)


# ---------------------------------------------------------------------------------------
# The command, end to end on born-digital copies (no OCR)
# ---------------------------------------------------------------------------------------

KEPT = ("P002", "P010", "C012")


def _electronic_corpus(root: Path, kept: tuple[str, ...] = KEPT) -> Path:
    """The committed corpus's truth, export and batch truth, with the born-digital copies of
    some applicants only: the others' paper never came (their truth lists no source)."""
    (root / "truth").mkdir(parents=True)
    shutil.copytree(SAMPLES / "online", root / "online")
    shutil.copy(SAMPLES / "truth" / "batch.json", root / "truth" / "batch.json")
    for path in sorted((SAMPLES / "truth").glob("[CP]*.json")):
        truth = Truth.model_validate_json(path.read_text(encoding="utf-8"))
        has_paper = truth.applicant in kept
        sources = tuple(s for s in truth.sources if has_paper and s.kind is not SourceKind.SCAN)
        (root / "truth" / path.name).write_text(
            dump(truth.model_copy(update={"sources": sources})), encoding="utf-8"
        )
        for source in sources:
            (root / source.file).parent.mkdir(exist_ok=True)
            shutil.copy(SAMPLES / source.file, root / source.file)
    return root


def test_the_command_scores_born_digital_copies_and_its_figures_add_up(tmp_path: Path) -> None:
    corpus = _electronic_corpus(tmp_path / "corpus")
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(
        app, ["bench", "findings", "--samples", str(corpus), "--seed", "7", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    for shown in (
        "bench findings",
        "precision,",
        "recall, the",
        "≥ 98%",
        "digital PDF",
        "DOCX",
        "planted: a digit",
        "format: full-width",
    ):
        assert shown in result.output
    figures = FindingFigures.model_validate_json(out.read_text(encoding="utf-8"))
    assert figures.seed == 7 and figures.export == "online/export.xlsx"
    assert figures.kinds == (SourceKind.TEXT_LAYER, SourceKind.DOCX)
    assert figures.submissions == {"text_layer": 3, "docx": 3}
    assert not figures.missing_submissions

    truths = {a: _truth(a) for a in KEPT}
    batch = BatchTruth.model_validate_json(
        (SAMPLES / "truth" / "batch.json").read_text(encoding="utf-8")
    )
    for kind in figures.kinds:
        rows = [f for f in figures.findings if f.kind is kind]
        # every expected finding is scored once, as true, missed or deferred
        expected = {
            (t.applicant, finding_key(e))
            for t in truths.values()
            for s in t.sources
            if s.kind is kind
            for e in s.expected_findings
        }
        # PAPER_MISSING: the online-only filing and the nine whose paper never came
        papers = {f.key for f in rows if f.submission_id == BATCH and f.verdict != "false"}
        assert papers == {
            e.key for e in batch.expected_batch_findings
        } | {
            _truth(p.stem).online.record_id
            for p in (SAMPLES / "truth").glob("[CP]*.json")
            if p.stem not in KEPT
        }  # fmt: skip
        scored = {
            (f.applicant, (f.code, f.key))
            for f in rows
            if f.submission_id != BATCH and f.verdict in ("true", "missed", "deferred")
        }
        assert scored == expected
        score = figures.overall[kind.value]
        assert score.recall.total + score.deferred == len(expected) + len(papers)
        assert score.precision.total == sum(f.verdict in ("true", "false") for f in rows)
        # format-only fields: those the truth lists, of the applicants with a filing
        assert figures.format_only[kind.value].total == sum(
            len(set(t.online.format_variants) - {
                e.field for e in t.sources[1].expected_findings
                if e.code is C.FIELD_MISMATCH
            })
            for t in truths.values() if t.online.present
        )  # fmt: skip
        planted = [m for m in figures.mutations if m.kind is kind]
        assert {m.applicant for m in planted} == {"P002", "C012"}  # P010 filed nothing
        assert figures.planted[kind.value].score.total + figures.planted[kind.value].deferred + (
            figures.format_planted[kind.value].score.total
        ) == len(planted)
    for column in ("text_layer", "docx", "all"):
        assert sum(s.recall.total for s in figures.by_code[column].values()) == (
            figures.overall[column].recall.total
        )
    keys = {(m.kind, m.submission_id, m.field, m.mutation) for m in figures.mutations}
    assert len(figures.mutations) == len(keys)
    assert {t.measure for t in figures.targets} >= {
        "precision, overall",
        "recall, planted online discrepancies",
    }
    # the same plantings in either kind of copy
    by_kind = {
        kind: [(m.field, m.mutation, m.online) for m in figures.mutations if m.kind is kind]
        for kind in figures.kinds
    }
    assert by_kind[SourceKind.TEXT_LAYER] == by_kind[SourceKind.DOCX]


def test_the_command_draws_the_mutations_from_the_generated_corpus_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shenbao_lab.generator as generator

    calls: list[tuple[int, int, str]] = []

    def generate_corpus(out: Path, count: int, seed: int, styles: str = "house") -> None:
        calls.append((count, seed, styles))
        shutil.rmtree(out)
        _electronic_corpus(out, kept=("C012",))

    monkeypatch.setattr(generator, "generate_corpus", generate_corpus)
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(
        app, ["bench", "findings", "--generate", "3", "--seed", "11", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert calls == [(3, 11, "house")]
    figures = FindingFigures.model_validate_json(out.read_text(encoding="utf-8"))
    assert figures.corpus == "generated: --generate 3 --seed 11"
    assert figures.seed == 11 and figures.mutations
