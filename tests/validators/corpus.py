"""Submissions of the committed corpus for the validators' tests, with seal marks from truth.

A scan's pages are what reading made of them: for scan_0007, scan_0008 and scan_0010 the
frozen OCR (``tests/extractors/golden/ocr``) split and extracted exactly as the golden
tests do; for the other scans, pages built from the truth's own lines with the truth's
fields. Either way the seal marks are the truth's seals, as a detector that found them all
and read their lettering would report them (red, or grey on a greyscale page).
"""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path

from shenbao_lab.generator.truth import SourceTruth, Truth

from extractors.fields import extract
from pipeline.model import (
    ExtractedField,
    Member,
    Page,
    SealMark,
    SourceKind,
    Submission,
    SubmissionSource,
    TextLine,
)
from pipeline.run import assemble
from tests.extractors.golden.record import SCANS, load_frozen, sniffed_scan
from tests.readers import SAMPLES, SETTINGS, TEMPLATES
from tests.rulebook import RULES
from usecases.check import validation_context

CAMPAIGN = RULES.campaign
CONTEXT = validation_context(RULES)  # as shenbao run checks
TRUTH_FILES = sorted(p for p in (SAMPLES / "truth").glob("*.json") if p.stem != "batch")
SEAL_CODES = ("SEAL_", "RECOMMENDATION_")


def truth(path: Path) -> Truth:
    return Truth.model_validate_json(path.read_text(encoding="utf-8"))


def scan_source(t: Truth) -> SourceTruth:
    return next(s for s in t.sources if s.kind is SourceKind.SCAN)


def marks_from_truth(source: SourceTruth, page: int) -> tuple[SealMark, ...]:
    greyscale = {p.number: p.greyscale for p in source.page_truth}
    return tuple(
        SealMark(
            bbox=seal.bbox,
            shape="round",
            colour="grey" if greyscale.get(seal.page, False) else "red",
            confidence=0.95,
            text=seal.owner,
            text_confidence=0.9,
        )
        for seal in source.seals
        if seal.page == page
    )


def with_marks(submission: Submission, source: SourceTruth) -> Submission:
    pages = tuple(
        p.model_copy(update={"seals": marks_from_truth(source, p.number)}) for p in submission.pages
    )
    return submission.model_copy(update={"pages": pages})


@functools.cache
def _replayed(scan: str) -> dict[str, Submission]:
    frozen = load_frozen(scan)
    sniffed = sniffed_scan(scan, SETTINGS)
    document = assemble(sniffed.source.name, frozen.sha256, list(frozen.pages), TEMPLATES)
    return {s.id: extract(s, RULES) for s in document.submissions}


def _field(value: object, raw: str) -> ExtractedField:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        value = [Member.model_validate(m) for m in value]
    return ExtractedField.model_validate({"value": value, "raw": raw, "confidence": 1.0})


def hand_built(t: Truth, source: SourceTruth) -> Submission:
    """A scan's submission from its truth: the printed and written lines, upright."""
    pages = tuple(
        Page(
            number=p.number,
            source_page=p.file_page,
            kind=SourceKind.SCAN,
            width_pt=595.0,
            height_pt=842.0,
            lines=tuple(TextLine(text=line.text, bbox=line.bbox) for line in p.lines),
            template_page=p.template_page,
        )
        for p in source.page_truth
    )
    return Submission(
        id=source.submission_id,
        annex=t.annex,
        source=SubmissionSource(file=Path(source.file).name, sha256="0" * 64, pages=source.pages),
        pages=pages,
        fields={k: _field(f.value, f.raw) for k, f in source.fields.items()},
    )


def scanned_submission(path: Path) -> tuple[Submission, SourceTruth]:
    """The scan of one truth file as the validators get it, with the truth's seal marks."""
    t = truth(path)
    source = scan_source(t)
    scan = Path(source.file).name
    replayed = scan in SCANS
    submission = _replayed(scan)[source.submission_id] if replayed else hand_built(t, source)
    return with_marks(submission, source), source


def submission_of(stem: str) -> Submission:
    """The scanned submission of one truth file (``P001``), seal marks from its truth."""
    return scanned_submission(SAMPLES / "truth" / f"{stem}.json")[0]


def page_id(submission: Submission, template_page: str) -> int:
    return next(p.number for p in submission.pages if p.template_page == template_page)


def replace_page(submission: Submission, number: int, **update: object) -> Submission:
    pages = tuple(
        p.model_copy(update=update) if p.number == number else p for p in submission.pages
    )
    return submission.model_copy(update={"pages": pages})


def with_field(
    submission: Submission, key: str, value: object, confidence: float = 1.0
) -> Submission:
    fields = dict(submission.fields)
    fields[key] = ExtractedField.model_validate(
        {"value": value, "raw": str(value or ""), "confidence": confidence}
    )
    return submission.model_copy(update={"fields": fields})


def codes(submission: Submission, prefix: str) -> list[tuple[str, str | None]]:
    return sorted((f.code.value, f.slot) for f in submission.findings if f.code.startswith(prefix))


def assert_codes_as_truth(
    found: list[tuple[str, str | None]],
    expected: list[tuple[str, str | None]],
    tolerated: list[tuple[str, str | None]],
) -> None:
    """Every expected finding, each as often as expected; beyond them only tolerated ones."""
    extra = Counter(found) - Counter(expected)
    assert not Counter(expected) - Counter(found), f"missing {Counter(expected) - Counter(found)}"
    assert set(extra) <= set(tolerated), f"unexpected {extra}"
