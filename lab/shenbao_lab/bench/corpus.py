"""What the accuracy benches share: the corpus and its truth, reading it as a batch does,
and the figures they print (a score out of a total, a target met or missed).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, computed_field

from pipeline.config import Campaign, TemplateSpec
from pipeline.errors import InputError
from pipeline.ingest import SniffedFile, discover, sniff
from pipeline.model import Annex, Submission
from pipeline.ocr.cache import cached_engine
from pipeline.ocr.engine import OcrEngine
from pipeline.pool import PagePool
from pipeline.rulebook import Rules
from pipeline.run import PageCache, read_document
from pipeline.settings import Settings
from shenbao_lab.generator.styles import Style
from shenbao_lab.generator.truth import STYLES_TRUTH, StylesTruth, Truth

Checker = Callable[[dict[Annex, TemplateSpec], Campaign], Callable[[Submission], Submission]]
"""``usecases.check.checker``: handed in by the commands."""

# ---------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------


class Judged(Protocol):
    @property
    def correct(self) -> bool: ...


class Score(BaseModel):
    """Right out of total."""

    model_config = ConfigDict(frozen=True)

    right: int
    total: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        return round(self.right / self.total, 4) if self.total else None

    @classmethod
    def of(cls, outcomes: Iterable[Judged]) -> Score:
        counted = list(outcomes)
        return cls(right=sum(o.correct for o in counted), total=len(counted))

    def __str__(self) -> str:
        if not self.total:
            return "—"
        return f"{self.right}/{self.total} ({self.right / self.total:.1%})"


class Target(BaseModel):
    """A figure the issue asks for, and whether it is met."""

    model_config = ConfigDict(frozen=True)

    measure: str
    goal: float = Field(description="the least acceptable rate")
    score: Score

    @computed_field  # type: ignore[prop-decorator]
    @property
    def met(self) -> bool | None:
        rate = self.score.rate
        return None if rate is None else rate >= self.goal


class CodeScore(BaseModel):
    """One finding code's precision and recall against the truth's expected findings."""

    model_config = ConfigDict(frozen=True)

    precision: Score
    recall: Score
    tolerated: int = Field(description="raised where the truth tolerates it")
    deferred: int = Field(
        0,
        description="expected, not raised, the field flagged FIELD_LOW_CONFIDENCE instead "
        "(for review): in neither precision nor recall",
    )

    @classmethod
    def of(cls, verdicts: Iterable[str]) -> CodeScore:
        """From verdicts ``true`` (raised, expected), ``false`` (raised, neither expected nor
        tolerated), ``missed``, ``tolerated`` and ``deferred``."""
        counted = list(verdicts)
        true, false, missed = (counted.count(v) for v in ("true", "false", "missed"))
        return cls(
            precision=Score(right=true, total=true + false),
            recall=Score(right=true, total=true + missed),
            tolerated=counted.count("tolerated"),
            deferred=counted.count("deferred"),
        )


# ---------------------------------------------------------------------------------------
# Reading the corpus
# ---------------------------------------------------------------------------------------


def load_truths(corpus: Path, only: Collection[str] | None = None) -> list[Truth]:
    """The corpus's per-applicant truth (``truth/<id>.json``), optionally only some ids.

    Raises:
        InputError: the folder has no truth: it is not a corpus made by ``samples generate``.
    """
    truths = [
        Truth.model_validate_json(path.read_text(encoding="utf-8"))
        for path in sorted((corpus / "truth").glob("*.json"))
        if path.name not in ("batch.json", STYLES_TRUTH)
    ]
    if not truths:
        raise InputError(f"{corpus}: no truth/*.json: not a corpus made by `samples generate`")
    return [t for t in truths if only is None or t.applicant in only]


def load_styles_truth(corpus: Path) -> dict[str, Style]:
    """Each applicant's paper style (``truth/styles.json``); empty for a corpus in the
    generator's own style, whose every submission is ``house``."""
    path = corpus / "truth" / STYLES_TRUTH
    if not path.exists():
        return {}
    return dict(StylesTruth.model_validate_json(path.read_text(encoding="utf-8")).applicants)


def _sniffed(path: Path, settings: Settings) -> SniffedFile:
    (found,) = discover([path])
    return sniff(found, settings)


def read_submissions(
    files: Iterable[Path],
    settings: Settings,
    rules: Rules,
    *,
    scanned: Collection[Path] = (),
    workers: int = 2,
    engine: OcrEngine | None = None,
) -> dict[tuple[str, str], Submission]:
    """Every submission in the files, by file name and id, read as a batch reads them
    (an applicant's PDF and DOCX give the same submission id: the file tells them apart).

    Without an ``engine``: the configured OCR behind the OCR cache, the page cache under
    ``settings.cache_dir``, and a page pool of ``workers`` processes — started only when
    one of the ``scanned`` files is not in the page cache (electronic copies need none).
    With one (a replay, in tests): read in this process, no caches.
    """
    sniffed = [_sniffed(path, settings) for path in files]
    for item in sniffed:
        if item.quarantined:
            raise InputError(
                f"{item.source.name} was not accepted: {item.entry.reason_en}",
                file=item.source.name,
            )
    submissions: dict[tuple[str, str], Submission] = {}
    with ExitStack() as stack:
        cache: PageCache | None = None
        pool: PagePool | None = None
        if engine is None:
            engine = cached_engine(
                settings.ocr.model_copy(update={"threads": 1}), settings.cache_dir
            )
            cache = PageCache(settings.cache_dir / "pages", rules)
            unread = [
                s.source.path
                for s in sniffed
                if s.source.path in scanned and cache.get(s.entry.sha256 or "", engine) is None
            ]
            if unread:
                pool = stack.enter_context(
                    PagePool(settings.ocr, settings.cache_dir, rules, workers)
                )
                engine = pool.engine
        for item in sniffed:
            document = read_document(item, settings, engine, rules, cache=cache, pool=pool)
            submissions.update(((item.source.name, s.id), s) for s in document.submissions)
    return submissions


@contextmanager
def generated_corpus(count: int, seed: int, styles: str = "house") -> Iterator[Path]:
    """A fresh corpus of ``count`` submissions in a temporary folder, removed afterwards."""
    # The generator pulls in fonts and rendering that scoring alone does not need.
    from shenbao_lab import generator

    with tempfile.TemporaryDirectory(prefix="shenbao-bench-corpus-") as folder:
        generator.generate_corpus(out=Path(folder), count=count, seed=seed, styles=styles)
        yield Path(folder)
