"""``shenbao bench extract``: field extraction against the generator's truth.

Every source the truth lists (the paper scan, the born-digital PDF and the DOCX of each
applicant) is read as a batch reads it — scans on the page pool through the OCR and page
caches — and ``extractors.fields.extract`` runs on each submission. Every field the
truth lists for a source is then scored:

- **exact**: the extracted value equals the truth's in meaning (``same_value``); a field
  that was not extracted at all counts as wrong, unless the truth is blank too;
- **flagged**: its confidence is below the review threshold (``needs_review``), or it
  was not extracted and the report's FIELD_LOW_CONFIDENCE sends it to review as not
  read, so a reviewer sees it instead of a decision. Wrong values should be flagged (wrong-and-sure
  is the worst error); right ones should not (each false flag costs a reviewer's time).

Figures come per field, per source kind and, for scans, per degradation of the page the
field sits on (clean / degraded / greyscale), with the wrong values listed.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from extractors.fields import extract
from extractors.normalize import Normalizer, normalizer
from extractors.review import needs_review
from pipeline.config import ReadMethod, TemplateSpec
from pipeline.errors import InputError
from pipeline.model import Annex, ExtractedField, FieldValue, FindingCode, SourceKind
from pipeline.ocr.engine import OcrEngine
from pipeline.rulebook import load_rules
from pipeline.rulebook.review import ReviewRules
from pipeline.settings import Settings
from shenbao_lab.bench.corpus import (
    Score,
    Target,
    load_styles_truth,
    load_truths,
    read_submissions,
)
from shenbao_lab.generator.styles import HOUSE, SPLITS, Split, Style
from shenbao_lab.generator.truth import SourceTruth, Truth, TruthPage

Degradation = Literal["clean", "degraded", "greyscale"]
DEGRADATIONS: tuple[Degradation, ...] = ("clean", "degraded", "greyscale")
SOURCE_NAMES: dict[SourceKind, str] = {
    SourceKind.SCAN: "scan",
    SourceKind.TEXT_LAYER: "digital PDF",
    SourceKind.DOCX: "DOCX",
}


def same_value(read: FieldValue, truth: FieldValue, normalize: Normalizer) -> bool:
    """Equal in meaning: a blank list is a blank, 〔〕 and () in document numbers alike.

    The truth writes an empty list (``platforms: []``) where extraction gives None, and
    keeps a document number's 〔〕 while the normaliser folds brackets to ().
    """
    if truth == [] or truth is None:
        return read in (None, [])
    if isinstance(truth, str) and isinstance(read, str):
        return normalize.doc_number(read) == normalize.doc_number(truth)
    if isinstance(truth, float) and isinstance(read, int | float):
        return abs(read - truth) < 1e-6
    return read == truth


class FieldOutcome(BaseModel):
    """One field of one source: what was read, what the truth says, and the verdict."""

    model_config = ConfigDict(frozen=True)

    applicant: str
    submission_id: str
    source: SourceKind
    degradation: tuple[Degradation, ...] = Field(
        description="of the scan page the field sits on; empty for electronic copies"
    )
    field: str
    read: FieldValue
    truth: FieldValue
    raw: str | None = Field(description="the text it was read from; None when not extracted")
    confidence: float | None = Field(description="None when the field was not extracted")
    correct: bool
    flagged: bool = Field(
        description="confidence below the review threshold; a field not extracted: the "
        "report sends it to review as not read (FIELD_LOW_CONFIDENCE)"
    )
    tick: bool = Field(False, description="a tick-box field (read from marked boxes)")
    style: str = Field("house", description="the style family of the paper (scans)")
    split: Split = Field("house", description="its family's split: house, tuned, withheld")

    @property
    def extracted(self) -> bool:
        return self.confidence is not None


class StyleScores(BaseModel):
    """The scans of one split of the style families."""

    model_config = ConfigDict(frozen=True)

    submissions: int
    exact: Score
    ticks: Score = Field(description="tick-box fields only")
    right_flagged: Score = Field(description="right values sent to review (false warnings)")
    wrong_unflagged: int = Field(description="wrong values read and not flagged (wrong and sure)")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def false_warnings_per_submission(self) -> float | None:
        if not self.submissions:
            return None
        return round(self.right_flagged.right / self.submissions, 2)


def _style_scores(scans: list[FieldOutcome]) -> StyleScores:
    """Exact, tick-box fields, right values sent to review, wrong values not sent."""
    right = [o for o in scans if o.correct and o.extracted]
    return StyleScores(
        submissions=len({o.submission_id for o in scans}),
        exact=Score.of(scans),
        ticks=Score.of(o for o in scans if o.tick),
        right_flagged=Score(right=sum(o.flagged for o in right), total=len(right)),
        wrong_unflagged=sum(not o.flagged for o in scans if not o.correct and o.extracted),
    )


class ExtractFigures(BaseModel):
    """What ``bench extract`` measured; ``model_dump_json`` is the ``--json`` output."""

    corpus: str
    review_threshold: float
    sources: int = Field(description="sources scored (a scan, PDF or DOCX of an applicant)")
    missing_submissions: tuple[str, ...] = Field(
        (), description="sources whose submission the pipeline did not produce (all wrong)"
    )
    read_s: float = Field(description="seconds reading the files (OCR, or the caches)")
    extract_s: float = Field(description="seconds in extract()")
    outcomes: tuple[FieldOutcome, ...]

    def _where(
        self, kind: SourceKind | None = None, degradation: Degradation | None = None
    ) -> list[FieldOutcome]:
        return [
            o
            for o in self.outcomes
            if (kind is None or o.source is kind)
            and (degradation is None or degradation in o.degradation)
        ]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overall(self) -> Score:
        return Score.of(self.outcomes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_source(self) -> dict[str, Score]:
        return {kind.value: Score.of(self._where(kind)) for kind in SOURCE_NAMES}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_degradation(self) -> dict[str, Score]:
        """Scans only, by the degradation of the field's page."""
        return {d: Score.of(self._where(SourceKind.SCAN, d)) for d in DEGRADATIONS}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_field(self) -> dict[str, dict[str, Score]]:
        """Field → source kind → score (kinds where the field was never scored left out)."""
        table: dict[str, dict[str, Score]] = {}
        for key in sorted({o.field for o in self.outcomes}):
            row = {
                kind.value: Score.of(o for o in self._where(kind) if o.field == key)
                for kind in SOURCE_NAMES
            }
            table[key] = {kind: score for kind, score in row.items() if score.total}
        return table

    def _scans_of(self, split: str) -> list[FieldOutcome]:
        return [o for o in self._where(SourceKind.SCAN) if o.split == split]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_split(self) -> dict[str, StyleScores]:
        """Scans by the split of their paper's style family (issue 17): the withheld figure
        is the one that counts. Only the splits present."""
        table: dict[str, StyleScores] = {}
        for split in SPLITS:
            scans = self._scans_of(split)
            if scans:
                table[split] = _style_scores(scans)
        return table

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_family(self) -> dict[str, StyleScores]:
        """Scans by style family, measured as the splits are."""
        families = sorted({o.style for o in self._where(SourceKind.SCAN)})
        return {
            family: _style_scores([o for o in self._where(SourceKind.SCAN) if o.style == family])
            for family in families
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def wrong_flagged(self) -> Score:
        """Of the wrong values that were extracted, how many were below the threshold."""
        return Score(right=sum(o.flagged for o in self.misread), total=len(self.misread))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def right_flagged(self) -> Score:
        """Of the right values that were extracted, how many were falsely below it."""
        right = [o for o in self.outcomes if o.correct and o.extracted]
        return Score(right=sum(o.flagged for o in right), total=len(right))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unread(self) -> int:
        """Wrong because not extracted at all (no reading, so nothing to flag)."""
        return sum(not o.correct and not o.extracted for o in self.outcomes)

    @property
    def misread(self) -> list[FieldOutcome]:
        return [o for o in self.outcomes if not o.correct and o.extracted]

    @property
    def wrong(self) -> list[FieldOutcome]:
        return [o for o in self.outcomes if not o.correct]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def targets(self) -> tuple[Target, ...]:
        """The issue's targets (issue 4, item 6)."""
        by_source = self.by_source
        return (
            Target(measure="exact, digital PDF", goal=0.995, score=by_source["text_layer"]),
            Target(measure="exact, DOCX", goal=0.995, score=by_source["docx"]),
            Target(
                measure="exact, degraded scans", goal=0.98, score=self.by_degradation["degraded"]
            ),
            Target(measure="wrong values flagged", goal=0.90, score=self.wrong_flagged),
        )


# ---------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------


def _template_page_of(key: str, template: TemplateSpec) -> str | None:
    """The template page a field is printed on (the table's page over the cover's)."""
    pages = [p.id for p in template.pages if key in p.fields]
    if pages:
        return pages[-1]
    sections = {s.id: s.page for s in template.sections}
    for table in template.tables:
        if key == table.key or any(key.startswith(f"{row.key}_") for row in table.rows):
            return sections.get(table.section)
    return None


def _degradation(page: TruthPage | None) -> tuple[Degradation, ...]:
    if page is None:
        return ()
    marks: tuple[Degradation, ...] = tuple(
        d for d, on in (("degraded", page.degraded), ("greyscale", page.greyscale)) if on
    )
    return marks or ("clean",)


def _field_page(
    key: str, field: ExtractedField | None, source: SourceTruth, template: TemplateSpec | None
) -> TruthPage | None:
    """The truth page a field sits on: where it was read, else where the template prints it."""
    by_number = {p.number: p for p in source.page_truth}
    if field is not None and field.page in by_number:
        return by_number[field.page]
    template_page = _template_page_of(key, template) if template else None
    for page in source.page_truth:
        if page.template_page == template_page:
            return page
    # A field of no known page: the submission's own degradation when all pages share it.
    kinds = {_degradation(p) for p in source.page_truth}
    return source.page_truth[0] if len(kinds) == 1 else None


def score_source(
    truth: Truth,
    source: SourceTruth,
    fields: dict[str, ExtractedField],
    template: TemplateSpec | None,
    review: ReviewRules,
    normalize: Normalizer,
    style: Style = HOUSE,
    unread: Collection[str] = (),
) -> list[FieldOutcome]:
    """Every field the truth lists for one source, scored against what was extracted;
    a scan carries its paper's ``style``. A field not extracted at all is flagged when the
    submission's findings send it to review as not read (``unread``: the keys of its
    FIELD_LOW_CONFIDENCE findings, 所属产业领域：第1页未能识别到该栏目，需人工核对, a label
    the OCR never read under a seal): a reviewer sees it, it is not silently absent."""
    outcomes: list[FieldOutcome] = []
    ticks = (
        {f.key for f in template.fields if f.method is ReadMethod.CHECKBOX} if template else set()
    )
    scan = source.kind is SourceKind.SCAN
    for key in sorted(source.fields):
        expected = source.fields[key].value
        field = fields.get(key)
        page = _field_page(key, field, source, template) if source.kind is SourceKind.SCAN else None
        outcomes.append(
            FieldOutcome(
                applicant=truth.applicant,
                submission_id=source.submission_id,
                source=source.kind,
                degradation=_degradation(page),
                field=key,
                read=field.value if field else None,
                truth=expected,
                raw=field.raw if field else None,
                confidence=field.confidence if field else None,
                correct=same_value(field.value if field else None, expected, normalize),
                flagged=(
                    needs_review(field.confidence, review) if field is not None else key in unread
                ),
                tick=key in ticks,
                style=style.family if scan else "house",
                split=style.split if scan else "house",
            )
        )
    return outcomes


# ---------------------------------------------------------------------------------------
# Reading and scoring the corpus
# ---------------------------------------------------------------------------------------


def bench_extract(
    corpus: Path,
    settings: Settings,
    *,
    workers: int = 2,
    engine: OcrEngine | None = None,
    only: Collection[str] | None = None,
    kinds: Collection[SourceKind] = tuple(SOURCE_NAMES),
) -> ExtractFigures:
    """Read every source of the corpus (or of the ``only`` applicants, of ``kinds``) and
    score the extracted fields against the truth.

    Args:
        corpus: a folder made by ``shenbao samples generate``.
        settings: where the templates, campaign and caches are; the OCR settings.
        workers: page-pool processes for scans not in the cache.
        engine: read with this engine in-process instead (tests: a replay, or no OCR).
        only: applicant ids (``P001``) to score; all by default.
        kinds: source kinds to score.
    """
    truths = load_truths(corpus, only)
    styles = load_styles_truth(corpus)
    if not truths:
        raise InputError(f"{corpus}: no truth/*.json: not a corpus made by `samples generate`")
    wanted = [(t, s) for t in truths for s in t.sources if s.kind in kinds]
    files = sorted({corpus / s.file for _, s in wanted})
    started = time.perf_counter()
    scanned = {corpus / s.file for _, s in wanted if s.kind is SourceKind.SCAN}
    rules = load_rules(settings.rules_dir)
    submissions = read_submissions(
        files, settings, rules, scanned=scanned, workers=workers, engine=engine
    )
    read_s = time.perf_counter() - started

    templates, review, normalize = rules.templates, rules.review, normalizer(rules)
    outcomes: list[FieldOutcome] = []
    missing: list[str] = []
    extract_s = 0.0
    for truth, source in wanted:
        submission = submissions.get((Path(source.file).name, source.submission_id))
        fields: dict[str, ExtractedField] = {}
        unread: set[str] = set()
        if submission is None:
            missing.append(source.submission_id)
        else:
            started = time.perf_counter()
            read = extract(submission, rules)
            extract_s += time.perf_counter() - started
            fields = read.fields
            unread = {
                f.field
                for f in read.findings
                if f.code is FindingCode.FIELD_LOW_CONFIDENCE and f.field and f.field not in fields
            }
        template = templates.get(truth.annex) if truth.annex is not Annex.UNKNOWN else None
        style = styles.get(truth.applicant, HOUSE)
        outcomes += score_source(truth, source, fields, template, review, normalize, style, unread)
    return ExtractFigures(
        corpus=str(corpus),
        review_threshold=review.review_threshold,
        sources=len(wanted),
        missing_submissions=tuple(missing),
        read_s=round(read_s, 2),
        extract_s=round(extract_s, 2),
        outcomes=tuple(outcomes),
    )
