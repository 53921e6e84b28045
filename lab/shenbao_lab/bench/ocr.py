"""``shenbao bench ocr``: speed and character error rate of page reading, against truth.

Every scanned page of the corpus goes through what a batch does to it (render, normalise,
OCR), fanned out over worker processes; then the same pages again through the cache;
text-layer and DOCX files are read for their own timing; and Tesseract (chi_sim), when
installed, reads the same normalised pages in the same run.

CER: each truth line (NFKC, dash variants folded, whitespace removed) is aligned to its
best match in the page's OCR text (all lines in reading order, joined); the edit distance
over that alignment,
summed over lines, divided by the truth's characters. Spurious extra text (e.g. a seal's
own lettering read as a line) is not counted: the measure is of what should be read.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from pipeline.ingest import FileKind, discover, sniff
from pipeline.model import SourceKind
from pipeline.ocr.cache import CachedEngine
from pipeline.ocr.engine import OcrEngine, OcrSettings
from pipeline.ocr.registry import create_engine
from pipeline.pages import iter_pages, render_page_image
from pipeline.pool import return_large_buffers_to_the_os
from pipeline.preprocess import normalise_page
from pipeline.rulebook import Rules, load_rules
from pipeline.run import PageCache, read_document
from pipeline.settings import Settings
from shenbao_lab.generator.truth import Truth


class PageJob(BaseModel):
    """One scanned page to read, with its truth."""

    model_config = ConfigDict(frozen=True)

    file: Path
    file_page: int
    dpi: int
    degraded: bool
    greyscale: bool
    printed: tuple[str, ...]
    handwritten: tuple[str, ...]


class PageResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    job: PageJob
    render_s: float
    normalise_s: float
    ocr_s: float
    text: tuple[str, ...]
    rotation: int
    tesseract_s: float | None = None
    tesseract_text: str | None = None


_DASHES = str.maketrans(dict.fromkeys("—–－‐‑─", "-"))


def _squeeze(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).translate(_DASHES).split())


def cer(truth: Iterable[str], hypothesis: Iterable[str]) -> tuple[int, int]:
    """(errors, characters) of truth lines aligned into the hypothesis text."""
    hyp = "".join(_squeeze(t) for t in hypothesis)
    errors = chars = 0
    for line in truth:
        ref = _squeeze(line)
        if not ref:
            continue
        chars += len(ref)
        if not hyp:
            errors += len(ref)
            continue
        alignment = fuzz.partial_ratio_alignment(ref, hyp)
        if alignment is None:
            errors += len(ref)
            continue
        start, end = alignment.dest_start, alignment.dest_end
        # Widen the window a little: partial alignment trims unmatched ends.
        window = hyp[max(0, start - 2) : end + 2]
        errors += min(Levenshtein.distance(ref, hyp[start:end]), Levenshtein.distance(ref, window))
    return errors, chars


def scan_jobs(corpus: Path) -> list[PageJob]:
    """Every page of every scanned submission in the corpus, with its truth text."""
    jobs: list[PageJob] = []
    for path in sorted((corpus / "truth").glob("[PC]*.json")):
        truth = Truth.model_validate_json(path.read_text(encoding="utf-8"))
        scan = next(s for s in truth.sources if s.kind is SourceKind.SCAN)
        for page in scan.page_truth:
            jobs.append(
                PageJob(
                    file=corpus / scan.file,
                    file_page=page.file_page,
                    dpi=page.dpi or 200,
                    degraded=page.degraded,
                    greyscale=page.greyscale,
                    printed=tuple(line.text for line in page.lines if not line.handwritten),
                    handwritten=tuple(line.text for line in page.lines if line.handwritten),
                )
            )
    return jobs


_ENGINE: OcrEngine | None = None
_TESSERACT = False


def _init_worker(settings: OcrSettings, cache: str | None, tesseract: bool) -> None:
    global _ENGINE, _TESSERACT
    return_large_buffers_to_the_os()  # as the batch's page readers do
    engine = create_engine(settings)
    _ENGINE = CachedEngine(engine, Path(cache)) if cache else engine
    _TESSERACT = tesseract


def _tesseract(image: np.ndarray) -> tuple[float, str]:
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        Image.fromarray(image).save(png.name)
        started = time.perf_counter()
        done = subprocess.run(
            ["tesseract", png.name, "-", "-l", "chi_sim", "--psm", "3"],
            capture_output=True,
            check=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        return time.perf_counter() - started, done.stdout.decode("utf-8", "replace")


def _read(job: PageJob) -> PageResult:
    assert _ENGINE is not None
    started = time.perf_counter()
    image = render_page_image(job.file, job.file_page, job.dpi)
    render_s = time.perf_counter() - started
    started = time.perf_counter()
    page = normalise_page(image, job.dpi)
    normalise_s = time.perf_counter() - started
    started = time.perf_counter()
    lines = _ENGINE.recognize(page.ocr_image)
    ocr_s = time.perf_counter() - started
    result = PageResult(
        job=job,
        render_s=render_s,
        normalise_s=normalise_s,
        ocr_s=ocr_s,
        text=tuple(line.text for line in lines),
        rotation=page.rotation,
    )
    if _TESSERACT:
        tesseract_s, text = _tesseract(page.ocr_image)
        result = result.model_copy(update={"tesseract_s": tesseract_s, "tesseract_text": text})
    return result


@dataclass
class Figures:
    """What ``bench ocr`` reports."""

    pages: int = 0
    workers: int = 1
    wall_s: float = 0.0
    per_page_s: list[float] = field(default_factory=list)
    stage_s: dict[str, float] = field(default_factory=dict)
    cer: dict[str, float] = field(default_factory=dict)
    cached_per_page_s: float = 0.0
    text_layer_per_page_s: float = 0.0
    docx_per_page_s: float = 0.0
    tesseract_per_page_s: float | None = None
    tesseract_cer: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s else 0.0


def _rate(pairs: Iterable[tuple[int, int]]) -> float:
    errors = chars = 0
    for e, c in pairs:
        errors += e
        chars += c
    return round(errors / chars, 4) if chars else 0.0


def _cer_groups(results: list[PageResult], text_of: callable) -> dict[str, float]:  # type: ignore[valid-type]
    groups = {
        "clean printed": [r for r in results if not r.job.degraded],
        "degraded printed": [r for r in results if r.job.degraded],
    }
    figures = {
        name: _rate(cer(r.job.printed, text_of(r)) for r in rs) for name, rs in groups.items() if rs
    }
    figures["handwritten"] = _rate(cer(r.job.handwritten, text_of(r)) for r in results)
    return figures


def _electronic_timing(
    corpus: Path, suffix: str, kind: FileKind, settings: Settings, rules: Rules
) -> float:
    pages = 0
    started = time.perf_counter()
    for path in sorted((corpus / "electronic").glob(f"*.{suffix}")):
        pages += sum(1 for _ in iter_pages(path, kind, settings, rules))
    return (time.perf_counter() - started) / pages if pages else 0.0


def _cached_rerun(
    jobs: list[PageJob], settings: OcrSettings, cache: Path, run_settings: Settings, rules: Rules
) -> float:
    """Seconds per page when a batch is read again unchanged: the real path, page cache on.

    The page cache is filled first from the OCR cache the measured pass left (so no OCR
    runs twice), then every file is read again and timed.
    """
    files = sorted({job.file for job in jobs})
    engine = CachedEngine(create_engine(settings), cache)
    page_cache = PageCache(cache / "pages", rules)
    sniffed = [sniff(found, run_settings) for found in discover(files)]
    for item in sniffed:
        read_document(item, run_settings, engine, rules, cache=page_cache)
    pages = sum(item.entry.pages or 0 for item in sniffed)
    started = time.perf_counter()
    for item in sniffed:
        read_document(item, run_settings, engine, rules, cache=page_cache)
    return (time.perf_counter() - started) / max(1, pages)


def bench_ocr(
    corpus: Path,
    settings: OcrSettings,
    *,
    workers: int = 2,
    limit: int | None = None,
    tesseract: bool = True,
) -> Figures:
    """Measure page reading on the corpus's scans; Tesseract beside it when installed."""
    run_settings = Settings()  # the pipeline's, for the reruns through its real path
    rules = load_rules(run_settings.rules_dir)
    jobs = scan_jobs(corpus)[:limit]
    use_tesseract = tesseract and shutil.which("tesseract") is not None
    figures = Figures(pages=len(jobs), workers=workers)
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        with ProcessPoolExecutor(
            workers, initializer=_init_worker, initargs=(settings, cache, False)
        ) as pool:
            results = list(pool.map(_read, jobs))
        figures.wall_s = time.perf_counter() - started
        figures.cached_per_page_s = _cached_rerun(jobs, settings, Path(cache), run_settings, rules)
    figures.per_page_s = [r.render_s + r.normalise_s + r.ocr_s for r in results]
    figures.stage_s = {
        "render": statistics.median(r.render_s for r in results),
        "normalise": statistics.median(r.normalise_s for r in results),
        "ocr": statistics.median(r.ocr_s for r in results),
    }
    figures.cer = _cer_groups(results, lambda r: r.text)
    figures.text_layer_per_page_s = _electronic_timing(
        corpus, "pdf", FileKind.PDF, run_settings, rules
    )
    figures.docx_per_page_s = _electronic_timing(corpus, "docx", FileKind.DOCX, run_settings, rules)
    if use_tesseract:
        with ProcessPoolExecutor(
            workers, initializer=_init_worker, initargs=(settings, None, True)
        ) as pool:
            tess = list(pool.map(_read, jobs))
        figures.tesseract_per_page_s = statistics.median(
            (r.tesseract_s or 0) + r.render_s + r.normalise_s for r in tess
        )
        figures.tesseract_cer = _cer_groups(tess, lambda r: (r.tesseract_text or "",))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    figures.peak_rss_mb = round(max(own, children) / 1024, 1)
    return figures
