"""``shenbao bench seals``: seals and the recommendation opinion against the generator's truth.

Every scan the truth lists is read as a batch reads it (the page pool behind the OCR and
page caches) and checked as a batch checks it (``usecases.check.checker``, handed in by
the command: extraction, then the validators). The report's ``seals`` and its SEAL_* and
RECOMMENDATION_* findings are then scored against the scan's truth:

- **detection, per slot**: a truth seal at slot S is *found* when the report has a seal
  with ``slot == S`` (one report seal per truth seal); *found in place* when, besides, the
  centres of the two boxes are at most half the seal's size apart (the larger side of the
  truth box). A report seal at a slot with no truth seal, or a second one at a slot, is a
  false positive. Recall is over truth seals, precision over report seals with a slot.
- **owner match**: over found seals, ``owner_match`` against the truth: True unless the
  truth expects SEAL_OWNER_MISMATCH at the slot. None is *undecided*, counted apart.
- **recommendation decision**: per submission, the set of RECOMMENDATION_* codes raised
  equals the expected set, codes the truth tolerates allowed either way.
- **findings**: SEAL_* and RECOMMENDATION_* findings keyed by (code, slot) against the
  expected ones; tolerated ones are neither true nor false. A false SEAL_MISSING on a
  greyscale scan is counted on its own (the target is none).

Everything comes split by colour and greyscale scans (a scan is greyscale when the truth
says a page of it is).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from pipeline.errors import InputError
from pipeline.model import BBox, FindingCode, Frozen, Seal, SourceKind, Submission
from pipeline.ocr.engine import OcrEngine
from pipeline.rulebook import load_rules
from pipeline.settings import Settings
from shenbao_lab.bench.corpus import (
    Checker,
    CodeScore,
    Score,
    Target,
    load_styles_truth,
    load_truths,
    read_submissions,
)
from shenbao_lab.generator.faults import SEAL_AND_RECOMMENDATION
from shenbao_lab.generator.styles import HOUSE, SPLITS, Split
from shenbao_lab.generator.truth import SourceTruth, Truth, TruthPage

Scans = Literal["colour", "greyscale"]
SCANS: tuple[Scans, ...] = ("colour", "greyscale")
SEAL_CODES: tuple[FindingCode, ...] = tuple(
    sorted((c for c in SEAL_AND_RECOMMENDATION if c.value.startswith("SEAL_")), key=str)
)
RECOMMENDATION_CODES: tuple[FindingCode, ...] = tuple(
    sorted((c for c in SEAL_AND_RECOMMENDATION if c.value.startswith("RECOMMENDATION_")), key=str)
)
Verdict = Literal["true", "false", "missed", "tolerated"]


class SlotOutcome(Frozen):
    """A seal slot of one submission where the truth has a seal, the report has one, or both."""

    applicant: str
    submission_id: str
    scans: Scans
    split: Split = Field("house", description="its paper's style split (issue 17)")
    slot: str
    page: int
    truth_owner: str | None = Field(description="None: no seal here in the truth")
    truth_bbox: BBox | None = Field(description="on the normalised (upright) page")
    read: bool = Field(description="the report has a seal at this slot")
    read_bbox: BBox | None = None
    read_text: str = ""
    in_place: bool | None = Field(None, description="centres ≤ half the seal's size apart")
    owner_match: bool | None = None
    expected_owner_match: bool | None = Field(
        None, description="False where the truth expects SEAL_OWNER_MISMATCH"
    )

    @property
    def truth(self) -> bool:
        return self.truth_owner is not None

    @property
    def owner_decided(self) -> bool:
        return self.truth and self.read and self.owner_match is not None


class DecisionOutcome(Frozen):
    """One submission's RECOMMENDATION_* codes against the truth's."""

    # The --json output carries the computed ``correct``; reading it back skips it.
    model_config = ConfigDict(extra="ignore")

    applicant: str
    submission_id: str
    scans: Scans
    split: Split = Field("house", description="its paper's style split (issue 17)")
    read: tuple[str, ...]
    expected: tuple[str, ...]
    tolerated: tuple[str, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def correct(self) -> bool:
        read, expected = set(self.read), set(self.expected)
        return expected <= read <= expected | set(self.tolerated)


class FindingOutcome(Frozen):
    """A SEAL_* or RECOMMENDATION_* finding raised, expected, or both, keyed by code and slot."""

    applicant: str
    submission_id: str
    scans: Scans
    split: Split = Field("house", description="its paper's style split (issue 17)")
    code: FindingCode
    slot: str | None
    verdict: Verdict = Field(
        description="true: raised and expected; false: raised, not expected nor tolerated; "
        "missed: expected, not raised; tolerated: raised and tolerated"
    )


class Detection(Frozen):
    """Per-slot detection of one group of scans."""

    precision: Score = Field(description="report seals at a slot where the truth has one")
    recall: Score = Field(description="truth seals with a report seal at their slot")
    precision_in_place: Score = Field(description="… and the boxes' centres close")
    recall_in_place: Score


class SplitSeals(Frozen):
    """The scans of one style split (issue 17): detection per slot, owners, decisions."""

    submissions: int
    precision: Score
    recall: Score
    owner_match: Score = Field(description="of found seals whose owner was decided")
    recommendation_decisions: Score
    false_owner_mismatch: int = Field(description="SEAL_OWNER_MISMATCH raised, not expected")
    wrong_findings: int = Field(description="seal and recommendation findings false or missed")


class SealFigures(BaseModel):
    """What ``bench seals`` measured; ``model_dump_json`` is the ``--json`` output."""

    corpus: str
    submissions: dict[str, int] = Field(description="scans scored, colour and greyscale")
    missing_submissions: tuple[str, ...] = Field(
        (), description="scans whose submission the pipeline did not produce (all missed)"
    )
    unslotted_seals: int = Field(0, description="report seals matched to no slot (not scored)")
    read_s: float = Field(description="seconds reading the files (OCR, or the caches)")
    check_s: float = Field(description="seconds in extraction and the validators")
    slots: tuple[SlotOutcome, ...]
    decisions: tuple[DecisionOutcome, ...]
    findings: tuple[FindingOutcome, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def detection(self) -> dict[str, Detection]:
        table: dict[str, Detection] = {}
        for scans in (*SCANS, "all"):
            rows = [s for s in self.slots if scans in ("all", s.scans)]
            truth = [s for s in rows if s.truth]
            read = [s for s in rows if s.read]
            table[scans] = Detection(
                precision=_score(read, lambda s: s.truth),
                recall=_score(truth, lambda s: s.read),
                precision_in_place=_score(read, lambda s: s.truth and bool(s.in_place)),
                recall_in_place=_score(truth, lambda s: s.read and bool(s.in_place)),
            )
        return table

    @computed_field  # type: ignore[prop-decorator]
    @property
    def owner_match(self) -> dict[str, Score]:
        """Of found seals whose owner_match was decided, how many decided right."""
        return {
            scans: _score(
                (s for s in self.slots if s.owner_decided and scans in ("all", s.scans)),
                lambda s: s.owner_match == s.expected_owner_match,
            )
            for scans in (*SCANS, "all")
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def owner_undecided(self) -> dict[str, Score]:
        """Of found seals, how many have owner_match None."""
        return {
            scans: _score(
                (s for s in self.slots if s.truth and s.read and scans in ("all", s.scans)),
                lambda s: s.owner_match is None,
            )
            for scans in (*SCANS, "all")
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recommendation_decisions(self) -> dict[str, Score]:
        return {
            scans: Score.of(d for d in self.decisions if scans in ("all", d.scans))
            for scans in (*SCANS, "all")
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_code(self) -> dict[str, dict[str, CodeScore]]:
        """Scans (colour, greyscale, all) → code → precision and recall."""
        table: dict[str, dict[str, CodeScore]] = {}
        for scans in (*SCANS, "all"):
            rows = [f for f in self.findings if scans in ("all", f.scans)]
            table[scans] = {}
            for code in (*SEAL_CODES, *RECOMMENDATION_CODES):
                table[scans][code.value] = CodeScore.of(f.verdict for f in rows if f.code is code)
        return table

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_split(self) -> dict[str, SplitSeals]:
        """All scans by the style split of their paper (issue 17: the withheld figure is the
        one that counts). Only the splits present."""
        table: dict[str, SplitSeals] = {}
        for split in SPLITS:
            slots = [s for s in self.slots if s.split == split]
            decisions = [d for d in self.decisions if d.split == split]
            if not decisions:
                continue
            findings = [f for f in self.findings if f.split == split]
            table[split] = SplitSeals(
                submissions=len(decisions),
                precision=_score([s for s in slots if s.read], lambda s: s.truth),
                recall=_score([s for s in slots if s.truth], lambda s: s.read),
                owner_match=_score(
                    (s for s in slots if s.owner_decided),
                    lambda s: s.owner_match == s.expected_owner_match,
                ),
                recommendation_decisions=Score.of(decisions),
                false_owner_mismatch=sum(
                    f.code is FindingCode.SEAL_OWNER_MISMATCH and f.verdict == "false"
                    for f in findings
                ),
                wrong_findings=sum(f.verdict in ("false", "missed") for f in findings),
            )
        return table

    @property
    def false_missing_greyscale(self) -> list[FindingOutcome]:
        """SEAL_MISSING raised on a greyscale scan where the truth neither expects nor
        tolerates it."""
        return [
            f
            for f in self.findings
            if (f.scans, f.code, f.verdict) == ("greyscale", FindingCode.SEAL_MISSING, "false")
        ]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def false_seal_missing_greyscale(self) -> int:
        return len(self.false_missing_greyscale)

    @property
    def wrong_findings(self) -> list[FindingOutcome]:
        return [f for f in self.findings if f.verdict in ("false", "missed")]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def targets(self) -> tuple[Target, ...]:
        """The issue's targets (issue 6, item 7)."""
        colour = self.detection["colour"]
        greyscale = {d.submission_id for d in self.decisions if d.scans == "greyscale"}
        falsely_missing = {f.submission_id for f in self.false_missing_greyscale}
        return (
            Target(measure="detection precision, colour", goal=0.99, score=colour.precision),
            Target(measure="detection recall, colour", goal=0.99, score=colour.recall),
            Target(measure="owner match", goal=0.95, score=self.owner_match["all"]),
            Target(
                measure="recommendation decisions",
                goal=0.99,
                score=self.recommendation_decisions["all"],
            ),
            Target(
                measure="greyscale scans without a false SEAL_MISSING",
                goal=1.0,
                score=Score(right=len(greyscale - falsely_missing), total=len(greyscale)),
            ),
        )


def _score(rows: Iterable[SlotOutcome], right: Callable[[SlotOutcome], bool]) -> Score:
    counted = list(rows)
    return Score(right=sum(right(r) for r in counted), total=len(counted))


# ---------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------


def scans_of(source: SourceTruth) -> Scans:
    return "greyscale" if any(p.greyscale for p in source.page_truth) else "colour"


def upright(bbox: BBox, page: TruthPage | None) -> BBox:
    """A truth box (of the page as scanned) on the normalised page: turned when upside down.

    The scanner's skew of a degree or so is left: it moves a seal's centre far less than
    half its size.
    """
    if page is None or not page.upside_down:
        return bbox
    x0, y0, x1, y1 = bbox
    return (1 - x1, 1 - y1, 1 - x0, 1 - y0)


def in_place(read: BBox, truth: BBox) -> bool:
    """The centres are at most half the seal's size (the larger side of the truth box) apart."""
    dx = (read[0] + read[2] - truth[0] - truth[2]) / 2
    dy = (read[1] + read[3] - truth[1] - truth[3]) / 2
    size = max(truth[2] - truth[0], truth[3] - truth[1])
    return (dx * dx + dy * dy) ** 0.5 <= size / 2


def _keyed(findings: Iterable[object]) -> set[tuple[FindingCode, str | None]]:
    return {
        (f.code, f.slot)  # type: ignore[attr-defined]
        for f in findings
        if f.code in SEAL_AND_RECOMMENDATION  # type: ignore[attr-defined]
    }


def score_submission(
    truth: Truth, source: SourceTruth, submission: Submission | None, split: Split = "house"
) -> tuple[list[SlotOutcome], DecisionOutcome, list[FindingOutcome]]:
    """One scan's seals, recommendation decision and findings against its truth.

    A submission the pipeline did not produce (None) has read nothing: every truth seal
    and expected finding is missed. ``split``: its paper's style split (issue 17).
    """
    scans = scans_of(source)
    common = {
        "applicant": truth.applicant,
        "submission_id": source.submission_id,
        "scans": scans,
        "split": split,
    }
    pages = {p.number: p for p in source.page_truth}
    read_seals: list[Seal] = list(submission.seals) if submission else []
    raised = _keyed(submission.findings) if submission else set()
    expected = _keyed(source.expected_findings)
    tolerated = _keyed(source.tolerated_findings) - expected
    mismatched = {slot for code, slot in expected if code is FindingCode.SEAL_OWNER_MISMATCH}

    slots: list[SlotOutcome] = []
    unmatched = [s for s in read_seals if s.slot is not None]
    for seal in source.seals:
        truth_bbox = upright(seal.bbox, pages.get(seal.page))
        here = [s for s in unmatched if s.slot == seal.slot]
        # The report seal nearest the truth's, when a slot has more than one.
        here.sort(key=lambda s: not in_place(s.bbox, truth_bbox))
        found = here[0] if here else None
        if found is not None:
            unmatched.remove(found)
        slots.append(
            SlotOutcome(
                **common,
                slot=seal.slot,
                page=seal.page,
                truth_owner=seal.owner,
                truth_bbox=truth_bbox,
                read=found is not None,
                read_bbox=found.bbox if found else None,
                read_text=found.text if found else "",
                in_place=in_place(found.bbox, truth_bbox) if found else None,
                owner_match=found.owner_match if found else None,
                expected_owner_match=seal.slot not in mismatched,
            )
        )
    for extra in unmatched:
        slots.append(
            SlotOutcome(
                **common,
                slot=extra.slot or "",
                page=extra.page,
                truth_owner=None,
                truth_bbox=None,
                read=True,
                read_bbox=extra.bbox,
                read_text=extra.text,
                owner_match=extra.owner_match,
            )
        )

    def codes(keys: set[tuple[FindingCode, str | None]]) -> tuple[str, ...]:
        return tuple(sorted({c.value for c, _ in keys if c in RECOMMENDATION_CODES}))

    decision = DecisionOutcome(
        **common, read=codes(raised), expected=codes(expected), tolerated=codes(tolerated)
    )
    findings: list[FindingOutcome] = []
    for code, slot in sorted(raised | expected, key=lambda k: (k[0].value, k[1] or "")):
        verdict: Verdict
        if (code, slot) in expected:
            verdict = "true" if (code, slot) in raised else "missed"
        else:
            verdict = "tolerated" if (code, slot) in tolerated else "false"
        findings.append(FindingOutcome(**common, code=code, slot=slot, verdict=verdict))
    return slots, decision, findings


def bench_seals(
    corpus: Path,
    settings: Settings,
    checker: Checker,
    *,
    workers: int = 2,
    engine: OcrEngine | None = None,
    only: Collection[str] | None = None,
) -> SealFigures:
    """Read and check every scan of the corpus (or of the ``only`` applicants) and score
    its seals, recommendation decision and seal and recommendation findings.

    Args:
        corpus: a folder made by ``shenbao samples generate``.
        settings: where the templates, campaign and caches are; the OCR settings.
        checker: ``usecases.check.checker``, which checks a submission as a batch
            does (handed in: the flows are the layer above the benches).
        workers: page-pool processes for scans not in the cache.
        engine: read with this engine in-process instead (tests: a replay).
        only: applicant ids (``P001``) to score; all by default.
    """
    truths = load_truths(corpus, only)
    styles = load_styles_truth(corpus)
    wanted = [(t, s) for t in truths for s in t.sources if s.kind is SourceKind.SCAN]
    if not wanted:
        raise InputError(f"{corpus}: the truth lists no scans to score")
    files = sorted({corpus / s.file for _, s in wanted})
    rules = load_rules(settings.rules_dir)
    started = time.perf_counter()
    submissions = read_submissions(
        files, settings, rules, scanned=set(files), workers=workers, engine=engine
    )
    read_s = time.perf_counter() - started

    check = checker(rules)
    slots: list[SlotOutcome] = []
    decisions: list[DecisionOutcome] = []
    findings: list[FindingOutcome] = []
    missing: list[str] = []
    unslotted = 0
    check_s = 0.0
    for truth, source in wanted:
        submission = submissions.get((Path(source.file).name, source.submission_id))
        if submission is None:
            missing.append(source.submission_id)
        else:
            started = time.perf_counter()
            submission = check(submission)
            check_s += time.perf_counter() - started
            unslotted += sum(s.slot is None for s in submission.seals)
        split = styles.get(truth.applicant, HOUSE).split
        scored = score_submission(truth, source, submission, split)
        slots += scored[0]
        decisions.append(scored[1])
        findings += scored[2]
    return SealFigures(
        corpus=str(corpus),
        submissions={scans: sum(scans_of(s) == scans for _, s in wanted) for scans in SCANS},
        missing_submissions=tuple(missing),
        unslotted_seals=unslotted,
        read_s=round(read_s, 2),
        check_s=round(check_s, 2),
        slots=tuple(slots),
        decisions=tuple(decisions),
        findings=tuple(findings),
    )
