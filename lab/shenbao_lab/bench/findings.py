"""``shenbao bench findings``: every finding code against the truth, and paper against online.

Every source the truth lists (each applicant's paper scan, born-digital PDF and DOCX) is
read as a batch reads it (scans on the page pool behind the OCR and page caches), checked
as a batch checks it (``checker``), made its report (``pipeline.run.build_report``) and,
one kind of source at a time, matched as one batch to the corpus's online export
(``check_batch``, against the first of the truth's ``export_files``). Both callables are
handed in by the command: the flows are the layer above the benches. Three measures:

1. **The truth's findings.** A finding is keyed by its code and the first of its field,
   slot, section and key that is set, as the truth's ``ExpectedFinding`` is. Per code and
   kind: *true* (expected and raised), *missed* (expected, not raised), *false* (raised,
   neither expected nor tolerated); *tolerated* ones count neither way. An expected finding
   on a field that was not raised while that field carries FIELD_LOW_CONFIDENCE is
   *deferred* to review: counted apart, in neither precision nor recall (the reading was
   too unsure to decide on, and said so). FIELD_LOW_CONFIDENCE itself is not scored (the
   truth never expects it: it is about the reading, not the form); it is counted per kind.
   PAPER_MISSING is the batch's: expected for a kind are the truth's
   ``expected_batch_findings`` (filings online only, with no paper of any kind) and every
   filing whose applicant has no source of that kind among the files read. A generated
   corpus gives every applicant a scan, a PDF and a DOCX, so for each kind the expected
   PAPER_MISSING are exactly the batch truth's.
2. **Format-only differences.** The fields the truth's ``online.format_variants`` lists (the
   export writes them otherwise, meaning the same) of each submission matched to its own
   filing, unless the truth expects a FIELD_MISMATCH there: a FIELD_MISMATCH on one is false.
3. **Planted online discrepancies (mutation).** From the reports already checked (nothing
   is read again), for each submission matched to its own filing and each field both the
   export and the paper's truth carry (not the match keys, not a blank), the filing is
   copied with that one field changed (``MUTATIONS``) and ``check_batch`` runs again for
   that one report against that one filing. The field is set to the paper's true value in
   the export's form first, so the mutation is the only difference on it. A planted
   discrepancy must give FIELD_MISMATCH on the field (*caught*) or, when the paper reading
   was unsure, FIELD_LOW_CONFIDENCE on it (*deferred* to review, counted apart); anything
   else is a silent match (*missed*). A format-only variant must give no FIELD_MISMATCH.
   What a mutation draws (which digit, which person) comes from ``seed`` with the
   applicant, field and mutation, so a run repeats exactly and every kind of source gets
   the same plantings.

The mutations live in ``bench.mutations``; the outcomes, and the figures computed from
them, in ``bench.finding_figures``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

from extractors.normalize import Normalizer, normalizer
from pipeline.config import (
    Campaign,
    TemplateSpec,
)
from pipeline.errors import InputError
from pipeline.model import Annex, Finding, FindingCode, OnlineRecord, Report, SourceKind
from pipeline.ocr.engine import OcrEngine
from pipeline.online import load_online_export
from pipeline.rulebook import load_rules
from pipeline.run import build_report
from pipeline.settings import Settings
from shenbao_lab.bench.corpus import Checker, load_styles_truth, load_truths, read_submissions
from shenbao_lab.bench.extract import SOURCE_NAMES, same_value
from shenbao_lab.bench.finding_figures import (
    BATCH,
    FindingFigures,
    FindingOutcome,
    FindingVerdict,
    FormatOutcome,
    MutationOutcome,
    MutationVerdict,
    WrongMatch,
)
from shenbao_lab.bench.mutations import (
    MUTATIONS,
    MutableField,
    Mutation,
    Skip,
    mutable_fields,
    mutation_rng,
    online_form,
)
from shenbao_lab.generator.faults import ExpectedFinding
from shenbao_lab.generator.truth import BatchTruth, SourceTruth, Truth

OnlineCheck = Callable[
    [list[Report], tuple[OnlineRecord, ...], dict[Annex, TemplateSpec], Campaign],
    tuple[list[Report], tuple[Finding, ...]],
]
"""``usecases.check.check_batch``: reports matched to their filings across a batch,
with the online validators' findings; and the batch's PAPER_MISSING."""

Key = tuple[FindingCode, str | None]

UNSCORED = frozenset({FindingCode.FIELD_LOW_CONFIDENCE})
"""Raised codes left out of precision: about the reading, never expected by the truth."""


# ---------------------------------------------------------------------------------------
# Scoring the truth's findings
# ---------------------------------------------------------------------------------------


def finding_key(finding: Finding | ExpectedFinding) -> Key:
    """Code and the first of field, slot, section and key that is set (the truth's keying)."""
    for part in (finding.field, finding.slot, finding.section, finding.key):
        if part is not None:
            return finding.code, part
    return finding.code, None


def score_findings(
    raised: Iterable[Finding],
    expected: Iterable[ExpectedFinding],
    tolerated: Iterable[ExpectedFinding] = (),
) -> list[tuple[Key, FindingVerdict]]:
    """Each key raised or expected, with its verdict (see the module's docstring)."""
    raised = list(raised)
    found = {finding_key(f) for f in raised if f.code not in UNSCORED}
    unsure = {f.field for f in raised if f.code is FindingCode.FIELD_LOW_CONFIDENCE and f.field}
    wanted = {finding_key(e): e for e in expected}
    allowed = {finding_key(t) for t in tolerated} - set(wanted)
    scored: list[tuple[Key, FindingVerdict]] = []
    for key in sorted(found | set(wanted), key=lambda k: (k[0].value, k[1] or "")):
        verdict: FindingVerdict
        if key in wanted:
            field = wanted[key].field
            if key in found:
                verdict = "true"
            else:
                verdict = "deferred" if field is not None and field in unsure else "missed"
        else:
            verdict = "tolerated" if key in allowed else "false"
        scored.append((key, verdict))
    return scored


def expected_paper_missing(
    batch: BatchTruth, truths: Iterable[Truth], with_paper: Collection[str]
) -> tuple[ExpectedFinding, ...]:
    """The batch truth's PAPER_MISSING, and one for each filing of an applicant not in
    ``with_paper`` (applicant ids with a source of the kind among the files read)."""
    return batch.expected_batch_findings + tuple(
        ExpectedFinding(code=FindingCode.PAPER_MISSING, key=t.online.record_id)
        for t in truths
        if t.online.present and t.applicant not in with_paper
    )


def load_batch_truth(corpus: Path) -> BatchTruth:
    path = corpus / "truth" / "batch.json"
    if not path.is_file():
        raise InputError(f"{corpus}: no truth/batch.json: not a corpus made by `samples generate`")
    return BatchTruth.model_validate_json(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------
# Planting the mutations of a filing, and checking each
# ---------------------------------------------------------------------------------------


def mutate(
    truth: Truth,
    source: SourceTruth,
    report: Report,
    record: OnlineRecord,
    fields: dict[str, MutableField],
    online: Callable[[Report, OnlineRecord], Report],
    seed: int,
    mutations: Sequence[Mutation] = MUTATIONS,
    *,
    normalize: Normalizer,
) -> list[MutationOutcome]:
    """Every mutation of every mutable field of the filing, each checked on its own.

    ``report`` is the submission's report before matching; ``online`` matches one report
    to one filing (``check_batch`` for a batch of one); ``normalize`` tells a misread
    paper value from a format-only difference (``same_value``).
    """
    outcomes: list[MutationOutcome] = []
    for key, field in fields.items():
        true = source.fields.get(key)
        if key not in record.fields or true is None or true.value in (None, [], ""):
            continue
        base = online_form(true.value)
        read = report.fields.get(key)
        for mutation in mutations:
            value = mutation.make(
                base, field, mutation_rng(seed, truth.applicant, key, mutation.name)
            )
            if isinstance(value, Skip):
                continue
            checked = online(
                report, record.model_copy(update={"fields": {**record.fields, key: value}})
            )
            on_field = {f.code for f in checked.findings if f.field == key}
            mismatch = FindingCode.FIELD_MISMATCH in on_field
            verdict: MutationVerdict
            if not mutation.planted:
                verdict = "false" if mismatch else "clean"
            elif mismatch:
                verdict = "caught"
            else:
                unsure = FindingCode.FIELD_LOW_CONFIDENCE in on_field
                verdict = "deferred" if unsure else "missed"
            outcomes.append(
                MutationOutcome(
                    applicant=truth.applicant,
                    submission_id=source.submission_id,
                    kind=source.kind,
                    field=key,
                    mutation=mutation.name,
                    planted=mutation.planted,
                    truth=base,
                    online=value,
                    paper=read.value if read else None,
                    paper_misread=not same_value(
                        read.value if read else None, true.value, normalize
                    ),
                    matched=checked.online is not None
                    and checked.online.record_id == record.record_id,
                    verdict=verdict,
                )
            )
    return outcomes


# ---------------------------------------------------------------------------------------
# Reading, checking and scoring the corpus
# ---------------------------------------------------------------------------------------


def bench_findings(
    corpus: Path,
    settings: Settings,
    checker: Checker,
    check_batch: OnlineCheck,
    *,
    seed: int = 0,
    workers: int = 2,
    engine: OcrEngine | None = None,
    only: Collection[str] | None = None,
    kinds: Collection[SourceKind] = tuple(SOURCE_NAMES),
    mutations: Sequence[Mutation] = MUTATIONS,
) -> FindingFigures:
    """Read, check and match every source of the corpus (or of the ``only`` applicants, of
    ``kinds``), and score its findings, format-only fields and planted discrepancies.

    Args:
        corpus: a folder made by ``shenbao samples generate``.
        settings: where the templates, campaign, export mapping and caches are; the OCR.
        checker: ``usecases.check.checker``.
        check_batch: ``usecases.check.check_batch``.
        seed: what the mutations draw from.
        workers: page-pool processes for scans not in the cache.
        engine: read with this engine in-process instead (tests: a replay, or no OCR).
        only: applicant ids (``P001``) to score; all by default. The others' filings are
            still in the export: without their paper, PAPER_MISSING is expected for them.
        kinds: source kinds to score, each matched to the export as a batch of its own.
        mutations: the mutations planted (all by default; none: measures 1 and 2 only).
    """
    truths = load_truths(corpus)
    styles = load_styles_truth(corpus)
    chosen = [t for t in truths if only is None or t.applicant in only]
    batch = load_batch_truth(corpus)
    if not batch.export_files:
        raise InputError(f"{corpus}: truth/batch.json names no online export")
    rules = load_rules(settings.rules_dir)
    templates, campaign, mapping = rules.templates, rules.campaign, rules.export_columns
    records = load_online_export(corpus / batch.export_files[0], mapping).records
    by_record = {r.record_id: r for r in records}
    mutable = {annex: mutable_fields(mapping, t, campaign) for annex, t in templates.items()}
    check = checker(rules)
    normalize = normalizer(rules)

    def one(report: Report, record: OnlineRecord) -> Report:
        (checked,), _ = check_batch([report], (record,), rules)
        return checked

    findings: list[FindingOutcome] = []
    variants: list[FormatOutcome] = []
    planted: list[MutationOutcome] = []
    missing: list[str] = []
    wrong: list[WrongMatch] = []
    counts: dict[str, int] = {}
    low: dict[str, int] = {}
    read_s = check_s = online_s = 0.0
    # The kinds asked for that the truth lists sources of.
    benched = tuple(
        k
        for k in SOURCE_NAMES
        if k in kinds and any(s.kind is k for t in chosen for s in t.sources)
    )
    if not benched:
        raise InputError(f"{corpus}: the truth lists no sources of the kinds asked for")
    for kind in benched:
        wanted = [(t, s) for t in chosen for s in t.sources if s.kind is kind]
        counts[kind.value] = len(wanted)
        low[kind.value] = 0
        files = sorted({corpus / s.file for _, s in wanted})
        started = time.perf_counter()
        # One kind at a time: a PDF and a DOCX of one applicant give the same submission id.
        submissions = read_submissions(
            files,
            settings,
            rules,
            scanned=set(files) if kind is SourceKind.SCAN else set(),
            workers=workers,
            engine=engine,
        )
        read_s += time.perf_counter() - started

        started = time.perf_counter()
        reports = {
            sid: build_report(check(s), f"bench-findings-{kind.value}", None, templates)
            for (_, sid), s in submissions.items()
        }
        check_s += time.perf_counter() - started

        started = time.perf_counter()
        matched, paper_missing = check_batch(list(reports.values()), records, rules)
        by_id = {r.submission_id: r for r in matched}
        with_paper = {
            t.applicant
            for t in truths
            for s in t.sources
            if s.kind is kind and corpus / s.file in files
        }
        expected = expected_paper_missing(batch, truths, with_paper)
        findings += [
            FindingOutcome(
                applicant="", submission_id=BATCH, kind=kind, code=code, key=key, verdict=verdict
            )
            for (code, key), verdict in score_findings(paper_missing, expected)
        ]
        for truth, source in wanted:
            report = by_id.get(source.submission_id)
            if report is None:
                missing.append(f"{kind.value}:{source.submission_id}")
            raised = report.findings if report else ()
            low[kind.value] += sum(f.code is FindingCode.FIELD_LOW_CONFIDENCE for f in raised)
            split = styles[truth.applicant].split if truth.applicant in styles else "house"
            family = styles[truth.applicant].family if truth.applicant in styles else "house"
            findings += [
                FindingOutcome(
                    applicant=truth.applicant,
                    submission_id=source.submission_id,
                    kind=kind,
                    code=code,
                    key=key,
                    verdict=verdict,
                    split=split if kind is SourceKind.SCAN else "house",
                    style=family if kind is SourceKind.SCAN else "house",
                )
                for (code, key), verdict in score_findings(
                    raised, source.expected_findings, source.tolerated_findings
                )
            ]
            if report is None:
                continue
            own = truth.online.record_id if truth.online.present else None
            got = report.online.record_id if report.online else None
            if got != own:
                wrong.append(
                    WrongMatch(
                        submission_id=report.submission_id, kind=kind, matched=got, truth=own
                    )
                )
            if own is None or got != own:
                continue
            record = by_record[own]
            variants += format_outcomes(truth, source, report, record)
            planted += mutate(
                truth,
                source,
                reports[source.submission_id],
                record,
                mutable.get(truth.annex, {}),
                one,
                seed,
                mutations,
                normalize=normalize,
            )
        online_s += time.perf_counter() - started

    split_counts: dict[str, int] = {}
    family_counts: dict[str, int] = {}
    if SourceKind.SCAN in benched:
        for truth in chosen:
            if any(source.kind is SourceKind.SCAN for source in truth.sources):
                style = styles.get(truth.applicant)
                split = style.split if style else "house"
                split_counts[split] = split_counts.get(split, 0) + 1
                family = style.family if style else "house"
                family_counts[family] = family_counts.get(family, 0) + 1
    return FindingFigures(
        corpus=str(corpus),
        export=batch.export_files[0],
        seed=seed,
        kinds=benched,
        submissions=counts,
        missing_submissions=tuple(missing),
        wrong_matches=tuple(wrong),
        low_confidence=low,
        read_s=round(read_s, 2),
        check_s=round(check_s, 2),
        online_s=round(online_s, 2),
        findings=tuple(findings),
        format_variants=tuple(variants),
        mutations=tuple(planted),
        split_submissions=split_counts,
        family_submissions=family_counts,
    )


def format_outcomes(
    truth: Truth, source: SourceTruth, report: Report, record: OnlineRecord
) -> list[FormatOutcome]:
    """The truth's format-only fields of a report matched to its own filing, unless the
    truth expects a FIELD_MISMATCH on one."""
    expected = {e.field for e in source.expected_findings if e.code is FindingCode.FIELD_MISMATCH}
    mismatched = {f.field for f in report.findings if f.code is FindingCode.FIELD_MISMATCH}
    return [
        FormatOutcome(
            applicant=truth.applicant,
            submission_id=source.submission_id,
            kind=source.kind,
            field=key,
            paper=read.value if (read := report.fields.get(key)) else None,
            online=record.fields.get(key),
            mismatch=key in mismatched,
        )
        for key in truth.online.format_variants
        if key not in expected
    ]
