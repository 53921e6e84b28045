"""What ``bench findings`` measured: an outcome per finding, format-only field and planted
mutation, and the figures (precision, recall, targets) computed from them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from pipeline.model import FieldValue, FindingCode, Frozen, Severity, SourceKind
from shenbao_lab.bench.corpus import CodeScore, Score, Target
from shenbao_lab.bench.mutations import MUTATIONS
from shenbao_lab.generator.styles import SPLITS, Split

FindingVerdict = Literal["true", "false", "missed", "deferred", "tolerated"]
MutationVerdict = Literal["caught", "deferred", "missed", "clean", "false"]

ALL = "all"
BATCH = "batch"
"""The submission id of a batch-level finding's outcome (PAPER_MISSING)."""


class FindingOutcome(Frozen):
    """A finding raised, expected, or both, keyed by code and field|slot|section|key."""

    applicant: str = Field(description="'' for a batch-level finding")
    submission_id: str = Field(description=f"'{BATCH}' for a batch-level finding")
    kind: SourceKind
    code: FindingCode
    key: str | None
    verdict: FindingVerdict = Field(
        description="true: raised and expected; false: raised, neither expected nor "
        "tolerated; missed: expected, not raised; deferred: expected, not raised, the field "
        "flagged FIELD_LOW_CONFIDENCE; tolerated: raised and tolerated"
    )
    split: Split = Field(
        "house", description="the style split of the applicant's paper (scans; issue 17)"
    )
    style: str = Field("house", description="the style family of the applicant's paper (scans)")


class FieldOutcome(Frozen):
    """What became of one field of one source's submission, matched to its own filing."""

    applicant: str
    submission_id: str
    kind: SourceKind
    field: str


class FormatOutcome(FieldOutcome):
    """A field the export writes otherwise than the paper, meaning the same (the truth's)."""

    paper: FieldValue = Field(description="as read; None when not read")
    online: FieldValue = Field(description="as the export gives it")
    mismatch: bool = Field(description="FIELD_MISMATCH raised on it (false)")


class MutationOutcome(FieldOutcome):
    """One field of one filing changed by one mutation, and what checking made of it."""

    mutation: str
    planted: bool = Field(description="a discrepancy in meaning; False: format only")
    truth: FieldValue = Field(description="the paper's true value, in the export's form")
    online: FieldValue = Field(description="the filing's value as mutated")
    paper: FieldValue = Field(description="the paper's value as read; None when not read")
    paper_misread: bool = Field(description="the paper's reading differs from the truth")
    matched: bool = Field(description="the report still matched the mutated filing")
    verdict: MutationVerdict = Field(
        description="planted: caught (FIELD_MISMATCH), deferred (FIELD_LOW_CONFIDENCE, no "
        "FIELD_MISMATCH) or missed (silent); format only: clean or false (FIELD_MISMATCH)"
    )


class WrongMatch(Frozen):
    """A submission matched to another filing than its own (or to one it has none of)."""

    submission_id: str
    kind: SourceKind
    matched: str | None
    truth: str | None


class MutationScore(Frozen):
    score: Score = Field(
        description="planted: caught of caught and missed; format only: clean of all"
    )
    deferred: int = Field(0, description="planted, deferred to review (in neither)")


class SplitFindings(Frozen):
    """The scans of one style split: findings against the truth."""

    submissions: int
    all_codes: CodeScore
    errors: CodeScore = Field(description="the error-level codes alone")
    unexpected_warnings_per_submission: float = Field(
        description="warnings raised that the truth does not expect (or only tolerates), "
        "per submission: review work for nothing"
    )


def _split_findings(scans: list[FindingOutcome], submissions: int | None) -> SplitFindings:
    """Every code, the error-level codes alone, and the warnings raised per submission."""
    count = submissions or len({f.submission_id for f in scans})
    warnings = sum(
        f.code.severity is Severity.WARNING and f.verdict in ("false", "tolerated") for f in scans
    )
    return SplitFindings(
        submissions=count,
        all_codes=CodeScore.of(f.verdict for f in scans),
        errors=CodeScore.of(f.verdict for f in scans if f.code.severity is Severity.ERROR),
        unexpected_warnings_per_submission=round(warnings / count, 2),
    )


class FindingFigures(BaseModel):
    """What ``bench findings`` measured; ``model_dump_json`` is the ``--json`` output."""

    corpus: str
    export: str = Field(description="the export file the batches were matched to")
    seed: int = Field(description="what the mutations are drawn from")
    kinds: tuple[SourceKind, ...]
    submissions: dict[str, int] = Field(description="sources scored, per kind")
    missing_submissions: tuple[str, ...] = Field(
        (), description="kind:id of sources whose submission was not produced (all missed)"
    )
    wrong_matches: tuple[WrongMatch, ...] = ()
    low_confidence: dict[str, int] = Field(
        description="FIELD_LOW_CONFIDENCE raised per kind (not scored)"
    )
    read_s: float = Field(description="seconds reading the files (OCR, or the caches)")
    check_s: float = Field(description="seconds in extraction and the paper validators")
    online_s: float = Field(description="seconds matching to the export, mutations included")
    findings: tuple[FindingOutcome, ...]
    format_variants: tuple[FormatOutcome, ...]
    mutations: tuple[MutationOutcome, ...]
    split_submissions: dict[str, int] = Field(
        default_factory=dict,
        description="scanned submissions scored per style split (those with no finding too)",
    )
    family_submissions: dict[str, int] = Field(
        default_factory=dict,
        description="scanned submissions scored per style family (those with no finding too)",
    )

    @property
    def columns(self) -> tuple[str, ...]:
        return (*(k.value for k in self.kinds), ALL)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_code(self) -> dict[str, dict[str, CodeScore]]:
        """Kind (and all) → code → precision and recall."""
        codes = sorted({f.code for f in self.findings}, key=list(FindingCode).index)
        return {
            column: {
                code.value: CodeScore.of(
                    f.verdict for f in self.findings if f.code is code and _in(f.kind, column)
                )
                for code in codes
            }
            for column in self.columns
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_split(self) -> dict[str, SplitFindings]:
        """Scans by the style split of their paper (issue 17), only the splits present:
        every code, the error-level codes alone, and the warnings raised per submission."""
        table: dict[str, SplitFindings] = {}
        for split in SPLITS:
            scans = [f for f in self._scans() if f.split == split]
            if scans:
                table[split] = _split_findings(scans, self.split_submissions.get(split))
        return table

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_family(self) -> dict[str, SplitFindings]:
        """Scans by the style family of their paper, measured as the splits are."""
        scans = self._scans()
        families = {f.style for f in scans} | set(self.family_submissions)  # none found too
        return {
            family: _split_findings(
                [f for f in scans if f.style == family], self.family_submissions.get(family)
            )
            for family in sorted(families)
        }

    def _scans(self) -> list[FindingOutcome]:
        return [f for f in self.findings if f.kind is SourceKind.SCAN and f.submission_id != BATCH]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overall(self) -> dict[str, CodeScore]:
        """Kind (and all) → every code together."""
        return {
            column: CodeScore.of(f.verdict for f in self.findings if _in(f.kind, column))
            for column in self.columns
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def format_only(self) -> dict[str, Score]:
        """The truth's format-only fields without a FIELD_MISMATCH."""
        table: dict[str, Score] = {}
        for column in self.columns:
            rows = [o for o in self.format_variants if _in(o.kind, column)]
            table[column] = Score(right=sum(not o.mismatch for o in rows), total=len(rows))
        return table

    @computed_field  # type: ignore[prop-decorator]
    @property
    def planted(self) -> dict[str, MutationScore]:
        """Planted discrepancies caught (deferred ones apart)."""
        return {
            column: _mutation_score(m for m in self.mutations if m.planted and _in(m.kind, column))
            for column in self.columns
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def format_planted(self) -> dict[str, MutationScore]:
        """Format-only variants planted without a FIELD_MISMATCH."""
        return {
            column: _mutation_score(
                m for m in self.mutations if not m.planted and _in(m.kind, column)
            )
            for column in self.columns
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_mutation(self) -> dict[str, dict[str, MutationScore]]:
        """Mutation → kind (and all) → its score."""
        return {
            mutation.name: {
                column: _mutation_score(
                    m for m in self.mutations if m.mutation == mutation.name and _in(m.kind, column)
                )
                for column in self.columns
            }
            for mutation in MUTATIONS
        }

    @property
    def wrong_findings(self) -> list[FindingOutcome]:
        return [f for f in self.findings if f.verdict in ("false", "missed", "deferred")]

    @property
    def wrong_mutations(self) -> list[MutationOutcome]:
        return [m for m in self.mutations if m.verdict in ("missed", "false", "deferred")]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def targets(self) -> tuple[Target, ...]:
        return (
            Target(measure="precision, overall", goal=0.98, score=self.overall[ALL].precision),
            Target(
                measure="recall, the truth's findings", goal=1.0, score=self.overall[ALL].recall
            ),
            Target(
                measure="recall, planted online discrepancies",
                goal=1.0,
                score=self.planted[ALL].score,
            ),
            Target(
                measure="format-only fields of the export without FIELD_MISMATCH",
                goal=1.0,
                score=self.format_only[ALL],
            ),
            Target(
                measure="format-only variants planted without FIELD_MISMATCH",
                goal=1.0,
                score=self.format_planted[ALL].score,
            ),
        )


def _in(kind: SourceKind, column: str) -> bool:
    return column in (ALL, kind.value)


def _mutation_score(outcomes: Iterable[MutationOutcome]) -> MutationScore:
    verdicts = [m.verdict for m in outcomes]
    right = verdicts.count("caught") + verdicts.count("clean")
    return MutationScore(
        score=Score(right=right, total=right + verdicts.count("missed") + verdicts.count("false")),
        deferred=verdicts.count("deferred"),
    )
