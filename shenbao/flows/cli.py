"""The ``shenbao`` command line (DESIGN.md, "Command line").

Exit status: 0 when the batch ran, quarantined files and findings included; 1 when the
run itself failed, told in one line (a traceback only for what nobody expected).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shenbao.pipeline.errors import PipelineError
from shenbao.pipeline.model import Manifest, Report
from shenbao.pipeline.settings import Settings

app = typer.Typer(
    help="申报材料核验: check stamped paper applications against their online filings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
samples_app = typer.Typer(help="The synthetic corpus with its ground truth.", no_args_is_help=True)
app.add_typer(samples_app, name="samples")
bench_app = typer.Typer(
    help="Speed and accuracy against the corpus's ground truth.", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")

console = Console()
error_console = Console(stderr=True)


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="files and folders of scanned submissions")],
    online: Annotated[Path | None, typer.Option(help="the online platform's export")] = None,
    batch: Annotated[
        str | None,
        typer.Option(help="batch id; by default derived from the inputs, the same on re-runs"),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="store URI: a path, file:///abs/path or s3://bucket[/prefix] "
            "(default: SHENBAO_STORE or var/store)"
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="files handled at once")] = 4,
) -> None:
    """Run a batch: every file under PATH into the store, with a summary table."""
    # Prefect takes seconds to import; only this command needs it.
    from prefect.task_runners import ThreadPoolTaskRunner

    from shenbao.flows.batch import check_run, process_batch

    store_uri = store or Settings().store
    arguments = {
        "paths": [str(p) for p in paths],
        "online": str(online) if online else None,
        "batch": batch,
    }
    try:
        # Checked before Prefect starts its server, so a typo fails at once.
        object_store, _ = check_run(**arguments, store=store_uri)
        flow = process_batch.with_options(task_runner=ThreadPoolTaskRunner(max_workers=workers))
        with _expected_errors_without_traceback():
            result = flow(**arguments, store=store_uri)
        manifest = Manifest.model_validate_json(object_store.get_bytes(result.manifest_key))
    except PipelineError as exc:
        _fail(exc)
    console.print(_manifest_table(manifest))
    console.print(
        f"{result.files} files: {result.processed} processed, {result.quarantined} quarantined"
    )
    if result.online is not None:
        console.print(
            Text(
                f"online export: {result.online.file} "
                f"(sha256 {result.online.sha256[:12]}…, recorded)"
            )
        )
    console.print(Text(f"manifest: {result.manifest_location}"))


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="one input file (PDF, TIFF, JPEG, PNG, DOCX)")],
    json_output: Annotated[
        bool, typer.Option("--json", help="print the report(s) as JSON on stdout")
    ] = False,
) -> None:
    """One file through the pipeline without a store: its report(s)."""
    from shenbao.extractors.fields import extract
    from shenbao.pipeline.config import load_campaign, load_templates
    from shenbao.pipeline.ocr.cache import cached_engine
    from shenbao.pipeline.run import PageCache, inspect_file

    settings = Settings()
    try:
        engine = cached_engine(settings.ocr, settings.cache_dir)
        templates = load_templates(settings.templates_dir)
        campaign = load_campaign(settings.config_dir / "campaign.yaml")
        cache = PageCache(settings.cache_dir / "pages")
        reports = inspect_file(
            file,
            settings,
            engine,
            templates,
            cache=cache,
            check=lambda submission: extract(submission, templates, campaign),
        )
    except PipelineError as exc:
        _fail(exc)
    if json_output:
        data = [r.model_dump(mode="json", by_alias=True) for r in reports]
        payload = data if len(data) > 1 else data[0]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for report in reports:
        console.print(_report_summary(report))


def _report_summary(report: Report) -> Table:
    first, last = report.source.pages
    table = Table(
        title=f"{report.submission_id}  {report.annex.value}  pages {first}–{last}  "
        f"{report.status.value}",
        title_justify="left",
    )
    table.add_column("page", justify="right")
    table.add_column("kind")
    table.add_column("lines", justify="right")
    table.add_column("first line")
    for page in report.pages:
        table.add_row(
            str(page.number),
            page.kind.value + (f" ↻{page.rotation}°" if page.rotation else ""),
            str(len(page.lines)),
            Text(page.lines[0].text if page.lines else ""),
        )
    for finding in report.findings:
        table.add_row("", Text(finding.code.value, style="red"), "", Text(finding.message))
    return table


@samples_app.command("generate")
def samples_generate(
    out: Annotated[Path, typer.Option(help="folder to write the corpus into")],
    count: Annotated[int, typer.Option(min=1, help="submissions to generate")] = 12,
    seed: Annotated[
        int, typer.Option(help="random seed: the same seed, the same corpus")
    ] = 20220801,
) -> None:
    """Generate the synthetic corpus (scans, online export, ground truth)."""
    # The generator pulls in fonts and rendering that no other command needs.
    from shenbao.samples.generator import generate_corpus

    try:
        generate_corpus(out=out, count=count, seed=seed)
    except PipelineError as exc:
        _fail(exc)
    console.print(Text(f"{count} submissions generated in {out}"))


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
    from shenbao.bench.ocr import bench_ocr as measure

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


def _manifest_table(manifest: Manifest) -> Table:
    table = Table(title=f"batch {manifest.batch}", title_justify="left")
    table.add_column("file")
    table.add_column("state")
    table.add_column("pages", justify="right")
    table.add_column("submissions")
    table.add_column("reason")
    for entry in manifest.files:
        style = "red" if entry.state == "quarantined" else "green"
        table.add_row(
            Text(entry.file),
            Text(entry.state, style=style),
            "" if entry.pages is None else str(entry.pages),
            Text("\n".join(entry.submissions)),
            Text(entry.reason or ""),
        )
    return table


def _fail(error: PipelineError) -> NoReturn:
    error_console.print(Text(f"error: {error}", style="red"), soft_wrap=True)
    raise typer.Exit(code=1) from error


class _NoTracebackForExpected(logging.Filter):
    """Drops the traceback of an expected error from console logs: it is told in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, PipelineError):
            record.exc_info = None
            record.exc_text = None
        return True


@contextmanager
def _expected_errors_without_traceback() -> Iterator[None]:
    handlers = list(logging.getLogger().handlers)
    quiet = _NoTracebackForExpected()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


def main() -> None:
    """The ``shenbao`` console script."""
    app()
