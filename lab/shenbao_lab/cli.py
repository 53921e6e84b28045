"""The lab's commands: ``shenbao samples …`` (the synthetic corpus) and ``shenbao bench …``
(speed and accuracy against its truth).

Registered into the ``shenbao`` command line through the ``shenbao.commands`` entry points
when the lab is installed (``make install``: the development install); the runtime
install has neither these commands nor their dependencies.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.table import Table
from rich.text import Text

from flows.console import console, expected_errors_without_traceback, fail, say
from pipeline.errors import InputError, PipelineError
from pipeline.rulebook import load_rules
from pipeline.settings import Settings
from shenbao_lab.bench import tables
from shenbao_lab.generator.real_images import REAL_DIR
from shenbao_lab.generator.styles import StyleChoice, load_styles

if TYPE_CHECKING:
    from pipeline.ocr.engine import OcrEngine
    from shenbao_lab.bench.extract import ExtractFigures
    from shenbao_lab.bench.finding_figures import FindingFigures
    from shenbao_lab.bench.seal_sets import SealBenchFigures

samples_app = typer.Typer(help="The synthetic corpus with its ground truth.", no_args_is_help=True)
bench_app = typer.Typer(
    help="Speed and accuracy against the corpus's ground truth.", no_args_is_help=True
)


def _styles_choice(value: str) -> str:
    """``--styles``: a split, ``all``, or tuned families' names (``Styles.of`` checks)."""
    try:
        load_styles().of(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return value


StylesOption = Annotated[
    str,
    typer.Option(
        help="the paper's style: the generator's own (house), or drawn per submission from "
        "the style families tuned on, withheld from tuning, or all (styles.yaml); or a "
        "comma-separated list of tuned families' names (withheld ones are refused)",
        callback=_styles_choice,
    ),
]


@samples_app.command("generate")
def samples_generate(
    out: Annotated[Path, typer.Option(help="folder to write the corpus into")],
    count: Annotated[int, typer.Option(min=1, help="submissions to generate")] = 12,
    seed: Annotated[
        int, typer.Option(help="random seed: the same seed, the same corpus")
    ] = 20220801,
    styles: StylesOption = StyleChoice.HOUSE.value,
) -> None:
    """Generate the synthetic corpus (scans, online export, ground truth)."""
    # The generator pulls in fonts and rendering that no other command needs.
    from shenbao_lab.generator import generate_corpus

    try:
        generate_corpus(out=out, count=count, seed=seed, styles=styles)
    except PipelineError as exc:
        fail(exc)
    say(f"{count} submissions generated in {out}")


@samples_app.command("stamped")
def samples_stamped(
    out: Annotated[Path, typer.Option(help="folder to write the stamped images into")],
    count: Annotated[int, typer.Option(min=1, help="images to make")] = 40,
    seed: Annotated[int, typer.Option(help="random seed: the same seed, the same set")] = 1,
    real: Annotated[
        Path, typer.Option(help="the real images whose red seals are cut out, with the negatives")
    ] = Path("tests/pipeline/real"),
) -> None:
    """The real-seal augmentation set: the real images' red seals cut out and stamped, with
    truth, onto generated pages and the real negatives (scale, turn, strength, fading,
    place, across the edge, two overlapping)."""
    from shenbao_lab.generator.stamped import generate_stamped

    try:
        made = generate_stamped(out, count, seed, real)
    except PipelineError as exc:
        fail(exc)
    stamps = sum(len(i.stamps) for i in made.images)
    say(
        f"{count} stamped images ({stamps} stamps from {len(made.sources)} real impressions) "
        f"written to {out}"
    )
    for skipped in made.skipped:
        say(f"not cut out: {skipped}")


@bench_app.command("ocr")
def bench_ocr(
    corpus: Annotated[Path, typer.Option(help="a corpus made by `samples generate`")] = Path(
        "samples"
    ),
    workers: Annotated[int, typer.Option(min=1, help="worker processes reading pages")] = 2,
    limit: Annotated[int | None, typer.Option(min=1, help="read only the first N pages")] = None,
    tesseract: Annotated[
        bool, typer.Option(help="read the same pages with Tesseract (chi_sim) when installed")
    ] = True,
) -> None:
    """Pages/s, seconds per stage, peak RSS and CER of page reading, beside Tesseract."""
    from shenbao_lab.bench.ocr import bench_ocr as measure

    settings = Settings()
    figures = measure(corpus, settings.ocr, workers=workers, limit=limit, tesseract=tesseract)
    table = Table(
        title=f"bench ocr: {figures.pages} scanned pages, {figures.workers} workers",
        title_justify="left",
    )
    table.add_column("measure")
    table.add_column("PP-OCRv6 (rapidocr)", justify="right")
    table.add_column("Tesseract chi_sim", justify="right")
    per_page = sorted(figures.per_page_s)
    tess = figures.tesseract_per_page_s
    rows = [
        ("pages/s (whole run)", f"{figures.pages_per_s:.2f}", ""),
        ("wall s per page (whole run)", f"{figures.wall_s / max(1, figures.pages):.2f}", ""),
        (
            "median s per page, one worker's view",
            f"{per_page[len(per_page) // 2]:.2f}",
            "" if tess is None else f"{tess:.2f}",
        ),
        *(
            (f"median {stage} s", f"{seconds:.3f}", "")
            for stage, seconds in figures.stage_s.items()
        ),
        *(
            (
                f"CER {group}",
                f"{rate:.2%}",
                f"{figures.tesseract_cer.get(group, 0):.2%}" if figures.tesseract_cer else "",
            )
            for group, rate in figures.cer.items()
        ),
        ("cached re-run s per page", f"{figures.cached_per_page_s:.4f}", ""),
        ("text-layer PDF s per page", f"{figures.text_layer_per_page_s:.3f}", ""),
        ("DOCX s per page", f"{figures.docx_per_page_s:.3f}", ""),
        ("peak RSS MB (largest process)", f"{figures.peak_rss_mb:.0f}", ""),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)


FiguresT = TypeVar("FiguresT", bound=BaseModel)

# The options every bench against the corpus's truth takes.
CorpusOption = Annotated[Path, typer.Option(help="a corpus made by `samples generate`")]
GenerateOption = Annotated[
    int | None,
    typer.Option(min=1, help="generate a fresh corpus of N submissions (temporary) instead"),
]
SeedOption = Annotated[int, typer.Option(help="the generated corpus's seed")]
WorkersOption = Annotated[int, typer.Option(min=1, help="worker processes reading pages")]
JsonOption = Annotated[
    Path | None, typer.Option("--json", help="also write the figures as JSON here")
]


def _show_figures(
    figures: FiguresT, tables_of: Callable[[FiguresT], list[Table]], json_path: Path | None
) -> None:
    """Print a bench's tables; write its figures as JSON when asked."""
    for table in tables_of(figures):
        console.print(table)
    if json_path is not None:
        json_path.write_text(figures.model_dump_json(indent=2), encoding="utf-8")
        console.print(Text(f"figures written to {json_path}"))


CorpusMeasure = Callable[[Path, Settings, int, int], FiguresT]
"""A bench against the corpus's truth: ``(corpus, settings, seed, workers) -> figures``."""


def _corpus_bench(
    name: str,
    measure: CorpusMeasure[FiguresT],
    tables_of: Callable[[FiguresT], list[Table]],
    help_text: str,
) -> None:
    """Register ``shenbao bench <name>``, a bench against the corpus's truth: they all take
    the same options and measure the committed corpus, or a freshly generated one."""

    def command(
        samples: CorpusOption = Path("samples"),
        generate: GenerateOption = None,
        seed: SeedOption = 20220801,
        styles: StylesOption = StyleChoice.HOUSE.value,
        workers: WorkersOption = 2,
        json_path: JsonOption = None,
    ) -> None:
        from shenbao_lab.bench.corpus import generated_corpus

        settings = Settings()
        try:
            if generate is None:
                figures = measure(samples, settings, seed, workers)
            else:
                styled = "" if styles == StyleChoice.HOUSE else f" --styles {styles}"
                with generated_corpus(generate, seed, styles) as corpus:
                    figures = measure(corpus, settings, seed, workers).model_copy(
                        update={"corpus": f"generated: --generate {generate} --seed {seed}{styled}"}
                    )
        except PipelineError as exc:
            fail(exc)
        _show_figures(figures, tables_of, json_path)

    bench_app.command(name, help=help_text)(command)


# Each bench's module loads when its command runs: the others' imports are not paid for.


def _extract(corpus: Path, settings: Settings, seed: int, workers: int) -> ExtractFigures:
    from shenbao_lab.bench.extract import bench_extract

    return bench_extract(corpus, settings, workers=workers)


def _findings(corpus: Path, settings: Settings, seed: int, workers: int) -> FindingFigures:
    from shenbao_lab.bench.findings import bench_findings
    from usecases.check import check_batch, checker

    return bench_findings(corpus, settings, checker, check_batch, seed=seed, workers=workers)


_corpus_bench(
    "extract",
    _extract,
    tables.extract_tables,
    "Exact-match accuracy of field extraction against the truth, and review flagging.",
)
_corpus_bench(
    "findings",
    _findings,
    tables.finding_tables,
    """Precision and recall per finding code against the truth, per kind of source; and
    paper against online: format-only differences and planted discrepancies (drawn from
    --seed).""",
)


@bench_app.command("seals")
def bench_seals_command(
    samples: CorpusOption = Path("samples"),
    generate: GenerateOption = None,
    seed: Annotated[
        int, typer.Option(help="the generated corpus's seed, and the stamped set's (--stamp)")
    ] = 20220801,
    workers: WorkersOption = 2,
    json_path: JsonOption = None,
    generated: Annotated[
        bool, typer.Option(help="score the generated corpus (--samples or --generate)")
    ] = True,
    real: Annotated[
        Path | None,
        typer.Option(
            help="the real images with labels.json and places.json "
            f"[default: {REAL_DIR} when it exists]"
        ),
    ] = None,
    no_real: Annotated[bool, typer.Option("--no-real", help="skip the real images")] = False,
    stamped: Annotated[
        Path | None, typer.Option(help="an augmentation set made by `samples stamped`")
    ] = None,
    stamp: Annotated[
        int | None,
        typer.Option(min=1, help="make an augmentation set of N images (temporary) instead"),
    ] = None,
    sample_pages: Annotated[
        int, typer.Option(min=0, help="generated corpus: scanned pages timed for seal work")
    ] = 12,
) -> None:
    """Seals on three sets, apart: the generated corpus (detection per slot, owner match,
    recommendation decisions and their findings, on colour and greyscale scans); the
    real images (red seals found at their place, false seals, negatives, colours, the
    published owner); the real-seal augmentation set (recall and precision per
    background, shape and case); and the seal work per page on each."""
    from shenbao_lab.bench.seal_sets import SealBenchFigures

    if stamped is not None and stamp is not None:
        raise typer.BadParameter("--stamped or --stamp, not both", param_hint="--stamp")
    real_dir = None if no_real else real or (REAL_DIR if REAL_DIR.is_dir() else None)
    settings = Settings()
    # The seal work is timed in this process: its heap kept as the batch's page readers
    # keep theirs (as bench ocr's workers do), so the CPU a page is what a reader spends.
    from pipeline.pool import return_large_buffers_to_the_os

    return_large_buffers_to_the_os()
    engine = _SealEngine(settings)
    try:
        figures = SealBenchFigures()
        if generated:
            figures = _generated_seals(
                figures, samples, generate, seed, workers, settings, engine, sample_pages
            )
        figures = _real_and_stamped(figures, real_dir, stamped, stamp, seed, settings, engine)
    except PipelineError as exc:
        fail(exc)
    _show_figures(figures, tables.seal_bench_tables, json_path)


class _SealEngine:
    """The OCR engine that reads seal lettering, made (and warmed up) when first needed:
    a bench of the generated corpus alone may never need it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: OcrEngine | None = None

    def __call__(self) -> OcrEngine:
        if self._engine is None:
            from pipeline.ocr.registry import create_engine
            from shenbao_lab.bench.seal_sets import warm_up

            self._engine = create_engine(self.settings.ocr)
            warm_up(self._engine)
        return self._engine


def _generated_seals(
    figures: SealBenchFigures,
    samples: Path,
    generate: int | None,
    seed: int,
    workers: int,
    settings: Settings,
    engine: _SealEngine,
    sample_pages: int,
) -> SealBenchFigures:
    """The generated corpus per slot as before, and the seal work on its first pages."""
    from shenbao_lab.bench.corpus import generated_corpus
    from shenbao_lab.bench.seal_sets import seal_work
    from shenbao_lab.bench.seals import bench_seals
    from usecases.check import checker

    def measure(corpus: Path) -> SealBenchFigures:
        scored = bench_seals(corpus, settings, checker, workers=workers)
        batch = sorted((corpus / "batch").glob("*.pdf"))
        work = None
        if batch and sample_pages:
            rules = load_rules(settings.rules_dir)
            work = seal_work(batch, settings, rules, engine(), pages=sample_pages)
        return figures.model_copy(update={"generated": scored, "generated_seal_work": work})

    if generate is None:
        return measure(samples)
    with generated_corpus(generate, seed) as corpus:
        measured = measure(corpus)
    assert measured.generated is not None
    return measured.model_copy(
        update={
            "generated": measured.generated.model_copy(
                update={"corpus": f"generated: --generate {generate} --seed {seed}"}
            )
        }
    )


def _real_and_stamped(
    figures: SealBenchFigures,
    real: Path | None,
    stamped: Path | None,
    stamp: int | None,
    seed: int,
    settings: Settings,
    engine: _SealEngine,
) -> SealBenchFigures:
    """The real images and the augmentation set (a folder, or made for this run)."""
    import tempfile

    from shenbao_lab.bench.seal_sets import bench_real, bench_stamped
    from shenbao_lab.generator.stamped import generate_stamped, load_stamped

    if real is None and stamped is None and stamp is None:
        return figures
    rules = load_rules(settings.rules_dir)
    update: dict[str, object] = {}
    if real is not None:
        update["real"] = bench_real(real, settings, rules, engine())
    if stamped is not None:
        update["stamped"] = bench_stamped(stamped, load_stamped(stamped), settings, rules, engine())
    elif stamp is not None:
        if real is None:
            raise InputError("--stamp makes its set from the real images: give --real")
        with tempfile.TemporaryDirectory(prefix="shenbao-bench-stamped-") as folder:
            made = generate_stamped(Path(folder), stamp, seed, real)
            update["stamped"] = bench_stamped(
                Path(folder),
                made,
                settings,
                rules,
                engine(),
                corpus=f"generated: --stamp {stamp} --seed {seed}",
            )
    return figures.model_copy(update=update)


@bench_app.command("batch")
def bench_batch(
    count: Annotated[int, typer.Option(min=1, help="generated submissions in the batch")] = 20,
    seed: SeedOption = 20220801,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="page-pool processes of the bare run (default: the cores)"),
    ] = None,
    scale: Annotated[
        int,
        typer.Option(
            min=1,
            help="then the batch's files this many times over through process_batch, the "
            "page cache warm, against the batch once the same way: what a bigger batch adds "
            "to the peak RSS (1: not run)",
        ),
    ] = 5,
    json_path: JsonOption = None,
) -> None:
    """Orchestration overhead, pages/s, peak RSS and re-run time: a generated batch without
    Prefect, through process_batch, and through it again unchanged (OCR twice: minutes),
    each run in a child process of its own, warmed up untimed; a run's peak RSS is its
    child's process tree's (the child, its page readers, Prefect's server) over its life."""
    from shenbao_lab.bench.corpus import generated_corpus
    from shenbao_lab.bench.orchestration import bench_batch as measure

    try:
        with generated_corpus(count, seed) as corpus, expected_errors_without_traceback():
            figures = measure(
                [corpus / "batch"],
                corpus / "online" / "export.xlsx",
                BATCH_RUN_COMMAND,
                workers=workers,
                corpus=f"generated: --count {count} --seed {seed}",
                # each child's one-time start, paid before timing: on born-digital PDFs
                # (no OCR), a pilot's and a certification's (each annex loads its own)
                warm_up=_one_pdf_per_annex(corpus / "electronic") or None,
                scale=scale,
                progress=lambda line: console.print(Text(line)),
            )
    except PipelineError as exc:
        fail(exc)
    _show_figures(figures, tables.orchestration_tables, json_path)


BATCH_RUN_COMMAND = (sys.executable, "-m", "flows.cli", "bench", "batch-run")
"""How ``bench batch`` starts the child process that measures one run."""


@bench_app.command("batch-run", hidden=True)
def bench_batch_run(
    mode: Annotated[str, typer.Argument(help="bare, prefect or rerun")],
    paths: Annotated[list[Path], typer.Argument(help="the batch's files and folders")],
    store: Annotated[str, typer.Option(help="the run's store")],
    scratch: Annotated[Path, typer.Option(help="the warm-up's store and cache")],
    out: Annotated[Path, typer.Option(help="where the run's figures go, as JSON")],
    online: Annotated[Path | None, typer.Option(help="the online platform's export")] = None,
    workers: WorkersOption = 1,
    warm_up: Annotated[
        list[Path] | None, typer.Option(help="a file run through first, untimed (repeatable)")
    ] = None,
) -> None:
    """One run of bench batch, measured in the child process it starts (its cache folder
    in SHENBAO_CACHE_DIR)."""
    from shenbao_lab.bench.orchestration import RunMode, measure_run

    if mode not in set(RunMode):
        raise typer.BadParameter(f"one of {', '.join(RunMode)}", param_hint="MODE")
    try:
        with expected_errors_without_traceback():
            measure_run(
                RunMode(mode),
                [str(p) for p in paths],
                str(online) if online is not None else None,
                store=store,
                workers=workers,
                warm_up=[str(p) for p in warm_up or ()],
                scratch=scratch,
                out=out,
            )
    except PipelineError as exc:
        fail(exc)


def _one_pdf_per_annex(folder: Path) -> list[Path]:
    """The first PDF of each annex among a generated corpus's electronic copies (P…, C…)."""
    firsts: dict[str, Path] = {}
    for path in sorted(folder.glob("*.pdf")):
        firsts.setdefault(path.name[:1], path)
    return list(firsts.values())


@bench_app.command("review")
def bench_review_command(
    store: Annotated[
        str | None,
        typer.Option(
            help="the store holding the sample batch already run (default: a temporary "
            "store the batch is run into first)"
        ),
    ] = None,
    samples: Annotated[
        Path, typer.Option(help="the samples folder: batch/, online/export.xlsx, truth/")
    ] = Path("samples"),
    screenshot: Annotated[
        Path | None,
        typer.Option(help="save a submission page (full page, 1600x1000 viewport) here"),
    ] = None,
    json_path: JsonOption = None,
) -> None:
    """A reviewer clears the sample batch's findings by keyboard in Chromium, timed: every
    submission opened in turn, each open finding confirmed, dismissed with a reason or
    corrected (as the samples' truth says), then the batch page must show 0 open."""
    from shenbao_lab.bench.review import bench_review, review_tables

    try:
        with expected_errors_without_traceback():
            figures = bench_review(
                samples, store, screenshot, progress=lambda line: console.print(Text(line))
            )
    except PipelineError as exc:
        fail(exc)
    _show_figures(figures, review_tables, json_path)


@bench_app.command("look-alikes")
def bench_look_alikes_command(
    out: Annotated[Path, typer.Option(help="where to write the pairs (YAML)")] = Path(
        "rules/look_alikes.yaml"
    ),
) -> None:
    """Look-alike CJK characters (rendered glyphs' bitmaps close), for the owner check."""
    from shenbao_lab.bench import look_alikes

    pairs = look_alikes.look_alike_pairs(look_alikes.common_characters())
    look_alikes.write_look_alikes(pairs, out)
    say(f"{len(pairs)} look-alike pairs written to {out}")


@bench_app.command("owners")
def bench_owners_command(
    readings: Annotated[
        Path | None,
        typer.Option(help="a seal-readings file (JSON lines; default: the committed set)"),
    ] = None,
    harvest: Annotated[
        list[Path] | None,
        typer.Option(
            help="read the scans of this generated corpus and add every seal's reading to "
            "the set (repeatable); with --out, the set is written there"
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write the set judged here (JSON lines)")] = None,
    workers: WorkersOption = 2,
    json_path: JsonOption = None,
) -> None:
    """Seal-owner verdicts on a set of real ring misreadings: never a false mismatch.

    Each reading is judged as its owner's own seal (a mismatch there would fail an honest
    applicant) and as another's (a mismatch there is the wrong seal caught), under the
    rules' thresholds and under a sweep of them.
    """
    from pipeline.rulebook import load_rules
    from shenbao_lab.bench import owners

    settings = Settings()
    try:
        rules = load_rules(settings.rules_dir)
        found = owners.load_readings(readings or owners.READINGS)
        for corpus in harvest or ():
            found += owners.harvest(corpus, settings, rules, workers)
        if out is not None:
            owners.write_readings(found, out)
        figures = owners.bench_owners(found, rules)
    except PipelineError as exc:
        fail(exc)
    _show_figures(figures, owners.owner_tables, json_path)
