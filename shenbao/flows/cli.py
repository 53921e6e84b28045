"""The ``shenbao`` command line (DESIGN.md, "Command line").

Exit status: 0 when the batch ran, quarantined files and findings included; 1 when the
run itself failed, told in one line (a traceback only for what nobody expected).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shenbao.flows import prefect_env
from shenbao.pipeline.errors import PipelineError
from shenbao.pipeline.model import Manifest, Report
from shenbao.pipeline.settings import Settings

if TYPE_CHECKING:
    from shenbao.bench.corpus import Score, Target
    from shenbao.bench.extract import ExtractFigures, FieldOutcome
    from shenbao.bench.findings import FindingFigures
    from shenbao.bench.orchestration import BatchFigures as OrchestrationFigures
    from shenbao.bench.orchestration import FlowPieces
    from shenbao.bench.seals import SealFigures
    from shenbao.flows.artifacts import SubmissionRow
    from shenbao.flows.progress import Stage
    from shenbao.storage.base import ObjectStore

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
            help="store URI: a path, file:///abs/path, s3://bucket or s3://bucket/prefix "
            "(default: SHENBAO_STORE or var/store)"
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="threads of the flow: submissions checked and files published at once "
            "(default 4; pages are read on one process per core)",
        ),
    ] = None,
    received: Annotated[
        str | None,
        typer.Option(
            help="the day the batch's paper was received (YYYY-MM-DD): checked against the "
            "paper deadline; without it that deadline is not checked"
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            help="run pages and submissions on the Dask cluster whose scheduler is at this "
            "address (tcp://host:8786)"
        ),
    ] = None,
    dask_workers: Annotated[
        int | None,
        typer.Option(
            min=1, help="run pages and submissions on a local Dask cluster of N worker processes"
        ),
    ] = None,
) -> None:
    """Run a batch: every file under PATH into the store, with a summary table."""
    store_uri = store or Settings().store
    arguments = {
        "paths": [str(p) for p in paths],
        "online": str(online) if online else None,
        "batch": batch,
        "received": received,
    }
    # Prefect's server boots while Prefect (seconds to import; only the commands running
    # flows need it) is imported and the inputs checked.
    server = prefect_env.start_server()
    from shenbao.flows.batch import FLOW_THREADS, check_run, process_batch, task_runner

    try:
        # Checked before the flow waits for Prefect's server, so a typo fails at once.
        object_store, _ = check_run(**arguments, store=store_uri)
        runner = task_runner(workers or FLOW_THREADS, dask, dask_workers)
        flow = process_batch.with_options(task_runner=runner)
        prefect_env.api_ready(server)
        with _expected_errors_without_traceback(), _progress_shown():
            result = flow(**arguments, store=store_uri)
        manifest = Manifest.model_validate_json(object_store.get_bytes(result.manifest_key))
        rows = _stored_rows(object_store, manifest)
    except PipelineError as exc:
        _fail(exc)
    console.print(_manifest_table(manifest))
    console.print(_submissions_table(manifest.batch, rows))
    console.print(
        f"{result.files} files: {result.processed} processed, {result.quarantined} quarantined"
    )
    if result.online is not None:
        _say(f"online export: {result.online.file} (sha256 {result.online.sha256[:12]}…, recorded)")
    _say(f"manifest: {result.manifest_location}")
    _say(f"index: {result.index_location}")


@app.command()
def reconcile(
    batch: Annotated[str, typer.Option(help="the id of a batch the store holds")],
    online: Annotated[Path, typer.Option(help="the newer online platform's export")],
    store: Annotated[
        str | None,
        typer.Option(help="store URI, as for run (default: SHENBAO_STORE or var/store)"),
    ] = None,
) -> None:
    """Re-check a stored batch against a newer online export, without reading any page."""
    store_uri = store or Settings().store
    server = prefect_env.start_server()  # boots while Prefect is imported
    from shenbao.flows.progress import Stage
    from shenbao.flows.reconcile import check_reconcile, reconcile_batch

    try:
        # Checked before the flow waits for Prefect's server, so a typo fails at once.
        object_store, _, _ = check_reconcile(batch, str(online), store_uri)
        prefect_env.api_ready(server)
        # no page is read again: files and submissions only
        with (
            _expected_errors_without_traceback(),
            _progress_shown((Stage.FILES, Stage.SUBMISSIONS)),
        ):
            result = reconcile_batch(batch=batch, online=str(online), store=store_uri)
        manifest = Manifest.model_validate_json(object_store.get_bytes(result.manifest_key))
        rows = _stored_rows(object_store, manifest)
    except PipelineError as exc:
        _fail(exc)
    console.print(_manifest_table(manifest))
    console.print(_submissions_table(manifest.batch, rows))
    _say(f"reconciled with {online.name}: {result.written} objects written (changed only)")
    _say(f"manifest: {result.manifest_location}")
    _say(f"index: {result.index_location}")


@app.command()
def serve(
    cron: Annotated[
        str | None,
        typer.Option(
            help="when reconcile-latest runs, a cron in TIMEZONE "
            "(default: SHENBAO_RECONCILE_CRON or '0 2 * * *', nightly at 02:00)"
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            help="IANA time zone of the cron (default: SHENBAO_RECONCILE_TIMEZONE or Asia/Shanghai)"
        ),
    ] = None,
    exports: Annotated[
        Path | None,
        typer.Option(
            help="folder the online exports are dropped into; the newest is reconciled "
            "(default: SHENBAO_EXPORTS_DIR or var/exports)"
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="store URI both deployments use, as for run (default: SHENBAO_STORE or var/store)"
        ),
    ] = None,
) -> None:
    """Register the deployments (process-batch on demand, reconcile-latest on the cron)
    with the Prefect server (PREFECT_API_URL, or a temporary one) and serve them until
    Ctrl-C."""
    store_uri = store or Settings().store
    server = prefect_env.start_server()  # boots while Prefect is imported
    from shenbao.flows.deploy import load_deploy_settings, serve_all
    from shenbao.storage.local_store import open_store

    try:
        # Checked before waiting for Prefect's server, so a typo fails at once.
        settings = load_deploy_settings(cron=cron, timezone=timezone, exports=exports)
        open_store(store_uri).check_writable()  # both deployments write to it
        prefect_env.api_ready(server)
    except PipelineError as exc:
        _fail(exc)
    if not settings.exports_dir.is_dir():
        error_console.print(
            Text(
                f"warning: the exports folder {settings.exports_dir} does not exist yet: "
                "reconcile-latest fails until it does",
                style="yellow",
            ),
            soft_wrap=True,
        )
    serve_all(settings, store=store_uri)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="one input file (PDF, TIFF, JPEG, PNG, DOCX)")],
    online: Annotated[
        Path | None,
        typer.Option(help="the online export (xlsx/csv/json) to match the file's submissions to"),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="print the report(s) as JSON on stdout")
    ] = False,
) -> None:
    """One file through the pipeline without a store: its report(s)."""
    from shenbao.flows.checking import check_batch, checker
    from shenbao.pipeline.config import load_campaign, load_export_mapping, load_templates
    from shenbao.pipeline.ocr.cache import cached_engine
    from shenbao.pipeline.online import load_online_export
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
            check=checker(templates, campaign),
        )
        records = None
        if online is not None:
            mapping = load_export_mapping(settings.config_dir / "export_columns.yaml")
            records = load_online_export(online, mapping).records
        # one file is not a batch: filings without paper here are not findings
        reports, _ = check_batch(reports, records, templates, campaign)
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
    from shenbao.reports.shown import visible

    first, last = report.source.pages
    table = Table(
        title=f"{visible(report.submission_id)}  {report.annex.value}  pages {first}–{last}  "
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
            Text(visible(page.lines[0].text) if page.lines else ""),
        )
    for finding in report.findings:
        table.add_row("", Text(finding.code.value, style="red"), "", Text(visible(finding.message)))
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
    _say(f"{count} submissions generated in {out}")


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


def _run_bench(
    measure: Callable[[Path], FiguresT],
    tables: Callable[[FiguresT], list[Table]],
    *,
    samples: Path,
    generate: int | None,
    seed: int,
    json_path: Path | None,
) -> None:
    """Measure the committed corpus, or a freshly generated one; print; write the JSON."""
    from shenbao.bench.corpus import generated_corpus

    try:
        if generate is None:
            figures = measure(samples)
        else:
            with generated_corpus(generate, seed) as corpus:
                figures = measure(corpus).model_copy(
                    update={"corpus": f"generated: --generate {generate} --seed {seed}"}
                )
    except PipelineError as exc:
        _fail(exc)
    for table in tables(figures):
        console.print(table)
    if json_path is not None:
        json_path.write_text(figures.model_dump_json(indent=2), encoding="utf-8")
        console.print(Text(f"figures written to {json_path}"))


@bench_app.command("extract")
def bench_extract(
    samples: CorpusOption = Path("samples"),
    generate: GenerateOption = None,
    seed: SeedOption = 20220801,
    workers: WorkersOption = 2,
    json_path: JsonOption = None,
) -> None:
    """Exact-match accuracy of field extraction against the truth, and review flagging."""
    from shenbao.bench.extract import bench_extract as measure

    settings = Settings()
    _run_bench(
        lambda corpus: measure(corpus, settings, workers=workers),
        _extract_tables,
        samples=samples,
        generate=generate,
        seed=seed,
        json_path=json_path,
    )


def _extract_tables(figures: ExtractFigures) -> list[Table]:
    from shenbao.bench.extract import DEGRADATIONS, SOURCE_NAMES

    summary = Table(
        title=f"bench extract: {figures.corpus}, {figures.sources} sources, "
        f"{len(figures.outcomes)} fields (read {figures.read_s:.1f} s, "
        f"extract {figures.extract_s:.1f} s)",
        title_justify="left",
    )
    summary.add_column("measure")
    summary.add_column("result", justify="right")
    summary.add_column("target", justify="right")
    goals = {t.measure: t for t in figures.targets}

    def target(measure: str) -> Text:
        goal = goals.get(measure)
        if goal is None:
            return Text("")
        mark, style = {True: ("met", "green"), False: ("MISSED", "red"), None: ("n/a", "")}[
            goal.met
        ]
        return Text(f"≥ {goal.goal:.1%} {mark}", style=style)

    summary.add_row("exact, overall", str(figures.overall), "")
    for kind, name in SOURCE_NAMES.items():
        summary.add_row(
            f"exact, {name}", str(figures.by_source[kind.value]), target(f"exact, {name}")
        )
    for degradation in DEGRADATIONS:
        measure = f"exact, {degradation} scans"
        summary.add_row(measure, str(figures.by_degradation[degradation]), target(measure))
    summary.add_row(
        "wrong values flagged (below the review threshold)",
        str(figures.wrong_flagged),
        target("wrong values flagged"),
    )
    summary.add_row("right values falsely flagged", str(figures.right_flagged), "")
    summary.add_row("wrong because not extracted at all", str(figures.unread), "")
    if figures.missing_submissions:
        summary.add_row(
            "submissions not produced", Text(", ".join(figures.missing_submissions)), ""
        )

    per_field = Table(title="exact per field", title_justify="left")
    per_field.add_column("field")
    for name in SOURCE_NAMES.values():
        per_field.add_column(name, justify="right")
    for key, row in figures.by_field.items():
        cells = [row.get(kind.value) for kind in SOURCE_NAMES]
        per_field.add_row(
            key,
            *(
                Text("—")
                if score is None
                else Text(f"{score.right}/{score.total}", style="" if score.rate == 1 else "red")
                for score in cells
            ),
        )

    wrong = Table(
        title=f"wrong values read ({len(figures.misread)}; review threshold "
        f"{figures.review_threshold}: below it a value is flagged for review)",
        title_justify="left",
    )
    for column in ("source", "submission", "field", "read", "truth", "confidence"):
        wrong.add_column(column, justify="right" if column == "confidence" else "left")
    for outcome in figures.misread:
        source = SOURCE_NAMES[outcome.source]
        if outcome.degradation:
            source += f" ({'+'.join(outcome.degradation)})"
        wrong.add_row(
            source,
            outcome.submission_id,
            outcome.field,
            Text(f"{_shown(outcome.read)}  ‹{outcome.raw}›"),
            Text(_shown(outcome.truth)),
            Text(
                f"{outcome.confidence:.2f} " + ("flagged" if outcome.flagged else "SURE"),
                style="" if outcome.flagged else "red",
            ),
        )

    unread = Table(
        title=f"not extracted though the truth has a value ({figures.unread})",
        title_justify="left",
    )
    unread.add_column("field")
    for name in SOURCE_NAMES.values():
        unread.add_column(name, justify="right")
    unread.add_column("submissions")
    missing: dict[str, list[FieldOutcome]] = {}
    for outcome in figures.wrong:
        if not outcome.extracted:
            missing.setdefault(outcome.field, []).append(outcome)
    for key, outcomes in sorted(missing.items()):
        ids = sorted({o.submission_id for o in outcomes})
        unread.add_row(
            key,
            *(str(sum(o.source is kind for o in outcomes) or "") for kind in SOURCE_NAMES),
            Text(", ".join(ids) if len(ids) <= 3 else f"{len(ids)} submissions"),
        )
    return [summary, per_field, wrong, unread]


@bench_app.command("seals")
def bench_seals(
    samples: CorpusOption = Path("samples"),
    generate: GenerateOption = None,
    seed: SeedOption = 20220801,
    workers: WorkersOption = 2,
    json_path: JsonOption = None,
) -> None:
    """Seal detection per slot, owner match, recommendation decisions and their findings,
    on colour and greyscale scans."""
    from shenbao.bench.seals import bench_seals as measure
    from shenbao.flows.checking import checker

    settings = Settings()
    _run_bench(
        lambda corpus: measure(corpus, settings, checker, workers=workers),
        _seal_tables,
        samples=samples,
        generate=generate,
        seed=seed,
        json_path=json_path,
    )


def _target_cell(goal: Target) -> Text:
    mark, style = {True: ("met", "green"), False: ("MISSED", "red"), None: ("n/a", "")}[goal.met]
    return Text(f"≥ {goal.goal:.0%} {mark}", style=style)


def _fraction(score: Score) -> Text:
    if not score.total:
        return Text("—")
    return Text(
        f"{score.right}/{score.total} {score.right / score.total:.1%}",
        style="" if score.right == score.total else "yellow",
    )


def _seal_tables(figures: SealFigures) -> list[Table]:
    from shenbao.bench.seals import SCANS

    columns = (*SCANS, "all")
    counts = ", ".join(f"{n} {scans}" for scans, n in figures.submissions.items())
    summary = Table(
        title=f"bench seals: {figures.corpus}; scans: {counts} "
        f"(read {figures.read_s:.1f} s, check {figures.check_s:.1f} s)",
        title_justify="left",
    )
    summary.add_column("measure")
    for scans in columns:
        summary.add_column(scans, justify="right")
    summary.add_column("target", justify="right")
    goals = {t.measure: t for t in figures.targets}
    detection = figures.detection
    rows: list[tuple[str, dict[str, Score], str | None]] = [
        (
            "precision (slot)",
            {k: d.precision for k, d in detection.items()},
            "detection precision, colour",
        ),
        ("recall (slot)", {k: d.recall for k, d in detection.items()}, "detection recall, colour"),
        ("precision, in place", {k: d.precision_in_place for k, d in detection.items()}, None),
        ("recall, in place", {k: d.recall_in_place for k, d in detection.items()}, None),
        ("owner match (decided)", figures.owner_match, "owner match"),
        ("owner undecided", figures.owner_undecided, None),
        ("recommendation decisions", figures.recommendation_decisions, "recommendation decisions"),
    ]
    for measure, cells, goal in rows:
        summary.add_row(
            measure,
            *(_fraction(cells[k]) for k in columns),
            _target_cell(goals[goal]) if goal else "",
        )
    false_missing = {
        scans: sum(
            f.scans == scans and f.code.value == "SEAL_MISSING" and f.verdict == "false"
            for f in figures.findings
        )
        for scans in SCANS
    }
    grey = goals["greyscale scans without a false SEAL_MISSING"]
    mark, style = {True: ("met", "green"), False: ("MISSED", "red"), None: ("n/a", "")}[grey.met]
    summary.add_row(
        "false SEAL_MISSING",
        *(str(false_missing[k]) for k in SCANS),
        str(sum(false_missing.values())),
        Text(f"0 grey {mark}", style=style),
    )
    if figures.unslotted_seals:
        summary.add_row("seals at no slot (unscored)", "", "", str(figures.unslotted_seals), "")
    if figures.missing_submissions:
        summary.add_row(
            "submissions not produced", "", "", Text(", ".join(figures.missing_submissions)), ""
        )

    codes = Table(
        title="seal and recommendation findings (code + slot): precision | recall",
        title_justify="left",
    )
    codes.add_column("code")
    for scans in columns:
        codes.add_column(scans, justify="right")
    codes.add_column("tolerated", justify="right")
    for code in figures.by_code["all"]:
        cells: list[Text] = []
        for scans in columns:
            score = figures.by_code[scans][code]
            cells.append(
                Text(
                    f"{_short(score.precision)} | {_short(score.recall)}",
                    style=""
                    if score.precision.right == score.precision.total
                    and score.recall.right == score.recall.total
                    else "red",
                )
            )
        codes.add_row(code, *cells, str(figures.by_code["all"][code].tolerated or ""))

    wrong = Table(
        title=f"wrong seal and recommendation findings ({len(figures.wrong_findings)})",
        title_justify="left",
    )
    for column in ("submission", "code", "slot", "verdict"):
        wrong.add_column(column)
    for finding in figures.wrong_findings:
        wrong.add_row(
            f"{finding.submission_id} ({finding.scans})",
            finding.code.value,
            finding.slot or "",
            Text(
                "raised, not expected" if finding.verdict == "false" else "expected, not raised",
                style="red",
            ),
        )

    slots = Table(
        title="seal slots not found, out of place, falsely found, or owner not decided right",
        title_justify="left",
    )
    for column in ("submission", "slot", "p.", "truth owner", "read", "owner_match"):
        slots.add_column(column, overflow="fold")
    for slot in figures.slots:
        owner_right = slot.owner_match == slot.expected_owner_match
        if slot.truth and slot.read and slot.in_place and owner_right:
            continue
        if not slot.truth:
            read = Text("FALSE", style="red")
        elif not slot.read:
            read = Text("NOT FOUND", style="red")
        elif not slot.in_place:
            read = Text(f"OUT OF PLACE ‹{slot.read_text}›", style="red")
        else:
            read = Text(f"‹{slot.read_text}›")
        slots.add_row(
            f"{slot.submission_id} ({slot.scans})",
            slot.slot,
            str(slot.page),
            slot.truth_owner or "",
            read,
            Text(
                "" if not slot.read else f"{slot.owner_match}, truth {slot.expected_owner_match}",
                style="" if owner_right or slot.owner_match is None else "red",
            ),
        )

    decisions = Table(title="wrong recommendation decisions", title_justify="left")
    for column in ("submission", "raised", "expected", "tolerated"):
        decisions.add_column(column)
    for decision in figures.decisions:
        if not decision.correct:
            decisions.add_row(
                f"{decision.submission_id} ({decision.scans})",
                ", ".join(decision.read) or "—",
                ", ".join(decision.expected) or "—",
                ", ".join(decision.tolerated) or "—",
            )
    return [summary, codes, *(table for table in (wrong, slots, decisions) if table.row_count)]


@bench_app.command("findings")
def bench_findings(
    samples: CorpusOption = Path("samples"),
    generate: GenerateOption = None,
    seed: SeedOption = 20220801,
    workers: WorkersOption = 2,
    json_path: JsonOption = None,
) -> None:
    """Precision and recall per finding code against the truth, per kind of source; and
    paper against online: format-only differences and planted discrepancies (drawn from
    --seed)."""
    from shenbao.bench.findings import bench_findings as measure
    from shenbao.flows.checking import check_batch, checker

    settings = Settings()
    _run_bench(
        lambda corpus: measure(corpus, settings, checker, check_batch, seed=seed, workers=workers),
        _finding_tables,
        samples=samples,
        generate=generate,
        seed=seed,
        json_path=json_path,
    )


def _finding_tables(figures: FindingFigures) -> list[Table]:
    from shenbao.bench.extract import SOURCE_NAMES
    from shenbao.bench.findings import ALL, MUTATIONS

    columns = figures.columns
    names = {kind.value: name for kind, name in SOURCE_NAMES.items()} | {ALL: ALL}
    counts = ", ".join(f"{n} {names[kind]}" for kind, n in figures.submissions.items())
    summary = Table(
        title=f"bench findings: {figures.corpus}; sources: {counts}; matched to "
        f"{figures.export}; mutations from seed {figures.seed} (read {figures.read_s:.1f} s, "
        f"check {figures.check_s:.1f} s, online {figures.online_s:.1f} s)",
        title_justify="left",
    )
    summary.add_column("measure")
    for column in columns:
        summary.add_column(names[column], justify="right")
    summary.add_column("target", justify="right")
    goals = {t.measure: t for t in figures.targets}
    overall = figures.overall
    rows: list[tuple[str, dict[str, Score], str | None]] = [
        (
            "precision, all codes",
            {k: s.precision for k, s in overall.items()},
            "precision, overall",
        ),
        (
            "recall, the truth's findings",
            {k: s.recall for k, s in overall.items()},
            "recall, the truth's findings",
        ),
        (
            "format-only fields of the export: no FIELD_MISMATCH",
            figures.format_only,
            "format-only fields of the export without FIELD_MISMATCH",
        ),
        (
            "planted discrepancies: FIELD_MISMATCH",
            {k: s.score for k, s in figures.planted.items()},
            "recall, planted online discrepancies",
        ),
        (
            "format-only variants planted: no FIELD_MISMATCH",
            {k: s.score for k, s in figures.format_planted.items()},
            "format-only variants planted without FIELD_MISMATCH",
        ),
    ]
    for measure, cells, goal in rows:
        summary.add_row(
            measure,
            *(_fraction(cells[k]) for k in columns),
            _target_cell(goals[goal]) if goal else "",
        )
    counted: list[tuple[str, dict[str, int]]] = [
        (
            "expected, deferred to review (FIELD_LOW_CONFIDENCE)",
            {k: s.deferred for k, s in overall.items()},
        ),
        ("raised where tolerated", {k: s.tolerated for k, s in overall.items()}),
        ("planted, deferred to review", {k: s.deferred for k, s in figures.planted.items()}),
        (
            "FIELD_LOW_CONFIDENCE raised (not scored)",
            figures.low_confidence | {ALL: sum(figures.low_confidence.values())},
        ),
    ]
    for measure, numbers in counted:
        summary.add_row(measure, *(str(numbers.get(k, 0)) for k in columns), "")
    if figures.missing_submissions:
        summary.add_row(
            "submissions not produced",
            *("" for _ in columns[:-1]),
            Text(", ".join(figures.missing_submissions)),
            "",
        )
    for match in figures.wrong_matches:
        summary.add_row(
            Text(f"{match.submission_id} ({names[match.kind.value]}) matched", style="red"),
            *("" for _ in columns[:-1]),
            Text(f"{match.matched or '—'}, truth {match.truth or '—'}"),
            "",
        )

    codes = Table(
        title="findings (code + field|slot|section|key): precision | recall", title_justify="left"
    )
    codes.add_column("code", overflow="fold")
    for column in columns:
        codes.add_column(names[column], justify="right")
    codes.add_column("deferred", justify="right")
    codes.add_column("tolerated", justify="right")
    for code, every in figures.by_code[ALL].items():
        cells: list[Text] = []
        for column in columns:
            score = figures.by_code[column][code]
            perfect = (
                score.precision.right == score.precision.total
                and score.recall.right == score.recall.total
            )
            cells.append(
                Text(
                    f"{_short(score.precision)} | {_short(score.recall)}",
                    style="" if perfect else "red",
                )
            )
        codes.add_row(code, *cells, str(every.deferred or ""), str(every.tolerated or ""))

    mutations = Table(
        title="online filings mutated one field at a time: planted caught (+ deferred) | "
        "format-only without FIELD_MISMATCH",
        title_justify="left",
    )
    mutations.add_column("mutation")
    for column in columns:
        mutations.add_column(names[column], justify="right")
    for mutation in MUTATIONS:
        row = figures.by_mutation[mutation.name]
        mutations.add_row(
            Text(f"{'planted' if mutation.planted else 'format'}: {mutation.description}"),
            *(
                Text(
                    _short(row[k].score) + (f" (+{row[k].deferred})" if row[k].deferred else ""),
                    style="" if row[k].score.right == row[k].score.total else "red",
                )
                for k in columns
            ),
        )

    verdicts = {
        "false": "raised, not expected",
        "missed": "expected, not raised",
        "deferred": "expected; the field deferred to review",
    }
    wrong = Table(title=f"wrong findings ({len(figures.wrong_findings)})", title_justify="left")
    for column in ("submission", "code", "key", "verdict"):
        wrong.add_column(column)
    for finding in figures.wrong_findings:
        wrong.add_row(
            f"{finding.submission_id} ({names[finding.kind.value]})",
            finding.code.value,
            finding.key or "",
            Text(
                verdicts[finding.verdict],
                style="yellow" if finding.verdict == "deferred" else "red",
            ),
        )

    fields = Table(
        title="format-only fields of the export given FIELD_MISMATCH", title_justify="left"
    )
    for column in ("submission", "field", "paper (read)", "online"):
        fields.add_column(column)
    for variant in figures.format_variants:
        if variant.mismatch:
            fields.add_row(
                f"{variant.submission_id} ({names[variant.kind.value]})",
                variant.field,
                Text(_shown(variant.paper)),
                Text(_shown(variant.online)),
            )

    planted = Table(
        title=f"mutations missed, given FIELD_MISMATCH falsely, or deferred "
        f"({len(figures.wrong_mutations)})",
        title_justify="left",
    )
    for column in ("submission", "field", "mutation", "online", "paper (read)", "verdict"):
        planted.add_column(column, overflow="fold")
    shown = {
        "missed": "silent match",
        "false": "FIELD_MISMATCH",
        "deferred": "deferred to review",
    }
    for outcome in figures.wrong_mutations:
        paper = _shown(outcome.paper) + (" (misread)" if outcome.paper_misread else "")
        verdict = shown[outcome.verdict] + ("" if outcome.matched else ", not matched")
        planted.add_row(
            f"{outcome.submission_id} ({names[outcome.kind.value]})",
            outcome.field,
            outcome.mutation,
            Text(_shown(outcome.online)),
            Text(paper),
            Text(verdict, style="yellow" if outcome.verdict == "deferred" else "red"),
        )
    return [
        summary,
        codes,
        mutations,
        *(table for table in (wrong, fields, planted) if table.row_count),
    ]


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
    from shenbao.bench.corpus import generated_corpus
    from shenbao.bench.orchestration import bench_batch as measure

    try:
        with generated_corpus(count, seed) as corpus, _expected_errors_without_traceback():
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
        _fail(exc)
    for table in _orchestration_tables(figures):
        console.print(table)
    if json_path is not None:
        json_path.write_text(figures.model_dump_json(indent=2), encoding="utf-8")
        console.print(Text(f"figures written to {json_path}"))


BATCH_RUN_COMMAND = (sys.executable, "-m", "shenbao.flows.cli", "bench", "batch-run")
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
    from shenbao.bench.orchestration import RunMode, measure_run

    if mode not in set(RunMode):
        raise typer.BadParameter(f"one of {', '.join(RunMode)}", param_hint="MODE")
    try:
        with _expected_errors_without_traceback():
            measure_run(
                RunMode(mode),
                [str(p) for p in paths],
                str(online) if online is not None else None,
                flow_pieces(),
                store=store,
                workers=workers,
                warm_up=[str(p) for p in warm_up or ()],
                scratch=scratch,
                out=out,
            )
    except PipelineError as exc:
        _fail(exc)


def _one_pdf_per_annex(folder: Path) -> list[Path]:
    """The first PDF of each annex among a generated corpus's electronic copies (P…, C…)."""
    firsts: dict[str, Path] = {}
    for path in sorted(folder.glob("*.pdf")):
        firsts.setdefault(path.name[:1], path)
    return list(firsts.values())


def flow_pieces() -> FlowPieces:
    """What a ``bench batch`` run's child runs of the flows: ``process_batch``, and for the
    run without Prefect the checking functions and the batch flow's steps as plain
    functions."""
    from prefect import flow

    from shenbao.bench.orchestration import FlowPieces
    from shenbao.flows import batch as batch_flow
    from shenbao.flows.checking import check_batch, checker

    @flow(name="bench-prefect-start")
    def prefect_start() -> None:
        """Nothing: its first run starts Prefect's server, a later one times a flow run."""

    return FlowPieces(
        process_batch=batch_flow.process_batch,
        checker=checker,
        check_batch=check_batch,
        publish_reports=batch_flow.publish_reports.fn,
        store_original=batch_flow.store_original.fn,
        write_manifest=batch_flow.write_manifest.fn,
        write_batch_pages=batch_flow.write_batch_pages.fn,
        start_prefect=prefect_start,
    )


def _orchestration_tables(figures: OrchestrationFigures) -> list[Table]:
    runs = figures.runs
    table = Table(
        title=f"bench batch: {figures.corpus}; {figures.bare.files} files, "
        f"{figures.bare.submissions} submissions, {figures.bare.pages} pages; "
        f"{figures.workers} page readers, {figures.cores} cores; each run a child process, "
        f"warmed up untimed on {', '.join(figures.warm_up) or 'nothing'}",
        title_justify="left",
    )
    table.add_column("measure")
    table.add_column("bare pipeline", justify="right")
    table.add_column("Prefect", justify="right")
    table.add_column("Prefect re-run", justify="right")
    if figures.warm is not None:
        table.add_column("Prefect, cache warm, empty store", justify="right")
    if figures.scaled is not None:
        table.add_column(f"the same, batch ×{figures.scale}", justify="right")
    start = figures.prefect_start_s
    rows = [
        ("wall s", *(f"{r.wall_s:.1f}" for r in runs)),
        ("submissions", *(str(r.submissions) for r in runs)),
        (
            "Prefect start-up s (apart)",
            "",
            "—" if start is None else f"{start:.1f}",
            *([""] * (len(runs) - 2)),
        ),
        ("pages/s", *("—" if r.pages_per_s is None else f"{r.pages_per_s:.2f}" for r in runs)),
        ("files read afresh (OCR)", *(str(r.read_afresh) for r in runs)),
        ("objects written", *(str(r.written) for r in runs)),
        ("peak RSS MiB, the run's process tree", *(f"{r.peak_rss_mb:.0f}" for r in runs)),
        ("warm-up s (untimed, first)", *(f"{r.warm_up_s:.1f}" for r in runs)),
    ]
    for row in rows:
        table.add_row(*row)

    targets = Table(title="bench batch: targets (issue 8)", title_justify="left")
    targets.add_column("measure")
    targets.add_column("result", justify="right")
    targets.add_column("target", justify="right")
    for goal in figures.targets:
        if goal.unit == "%":
            value, limit = f"{goal.value:.1%}", f"≤ {goal.limit:.0%}"
        else:
            value, limit = f"{goal.value:.0f} {goal.unit}", f"≤ {goal.limit:.0f} {goal.unit}"
        mark, style = ("met", "green") if goal.met else ("MISSED", "red")
        targets.add_row(goal.measure, value, Text(f"{limit} {mark}", style=style))
    targets.add_row(
        "orchestration overhead, Prefect's server already up",
        f"{figures.overhead_running:.1%}",
        "",
    )
    if figures.scaled_growth_mb is not None:
        targets.add_row(
            f"peak RSS added by a batch ×{figures.scale} (cache warm)",
            f"{figures.scaled_growth_mb:+.0f} MiB",
            "",
        )
    if not figures.consistent:
        targets.add_row(
            Text("the runs disagree (files, reports, pages, fresh reads) or the re-run wrote"),
            Text("inconsistent", style="red"),
            "",
        )
    return [table, targets]


def _short(score: Score) -> str:
    return f"{score.right}/{score.total}" if score.total else "—"


def _shown(value: object) -> str:
    if isinstance(value, list):
        return (
            "; ".join(
                "/".join(str(v) for v in item.model_dump().values())
                if hasattr(item, "model_dump")
                else str(item)
                for item in value
            )
            or "[]"
        )
    return "∅" if value is None else str(value)


def _manifest_table(manifest: Manifest) -> Table:
    from shenbao.reports.shown import visible

    table = Table(title=f"batch {manifest.batch}", title_justify="left")
    # names, ids and reasons folded, never cut with an ellipsis: they are copied from here
    table.add_column("file", overflow="fold")
    table.add_column("state", min_width=len("quarantined"))
    table.add_column("pages", justify="right")
    table.add_column("submissions", overflow="fold")
    table.add_column("reason", overflow="fold")
    for entry in manifest.files:
        style = "red" if entry.state == "quarantined" else "green"
        table.add_row(
            Text(visible(entry.file)),
            Text(entry.state, style=style),
            "" if entry.pages is None else str(entry.pages),
            Text(visible("\n".join(entry.submissions))),
            Text(visible(entry.reason or "")),
        )
    return table


_STATUS_STYLES = {"pass": "green", "needs_review": "yellow", "fail": "red"}


def _stored_rows(store: ObjectStore, manifest: Manifest) -> list[SubmissionRow]:
    """The summary row of each report the store now holds for the batch, in manifest order,
    one report in memory at a time (a report with its pages is large). A report that
    cannot be read has no row: reconcile skipped it and the manifest's findings name it.

    Raises:
        InputError: a submission the manifest lists has no report.
    """
    from pydantic import ValidationError

    from shenbao.flows.artifacts import row_of
    from shenbao.pipeline.errors import InputError
    from shenbao.storage.base import ObjectMissingError, report_key

    rows = []
    for entry in manifest.files:
        for sid in entry.submissions:
            key = report_key(manifest.batch, sid)
            try:
                rows.append(row_of(Report.model_validate_json(store.get_bytes(key))))
            except ObjectMissingError:
                raise InputError(f"the manifest lists {sid} but the store has no {key}") from None
            except ValidationError:
                continue
    return rows


def _submissions_table(batch: str, rows: list[SubmissionRow]) -> Table:
    """Per submission: id, annex, status, errors, warnings, the online filing matched."""
    from shenbao.reports.shown import visible

    table = Table(title=f"submissions of batch {batch}", title_justify="left")
    table.add_column("submission", overflow="fold")  # copied from here: never cut
    table.add_column("annex")
    table.add_column("status")
    table.add_column("errors", justify="right")
    table.add_column("warnings", justify="right")
    table.add_column("online record", overflow="fold")
    for row in rows:
        table.add_row(
            Text(visible(row.submission)),
            row.annex.value,
            Text(row.status.value, style=_STATUS_STYLES[row.status.value]),
            str(row.errors),
            str(row.warnings),
            Text(visible(row.online or "—")),
        )
    return table


@contextmanager
def _progress_shown(stages: tuple[Stage, ...] | None = None) -> Iterator[None]:
    """The run's progress bars on the console; Prefect's console logs print above them."""
    from shenbao.flows import progress

    with progress.shown(console, stages or tuple(progress.Stage)), _logs_above_progress():
        yield


@contextmanager
def _logs_above_progress() -> Iterator[None]:
    """Prefect's console log handlers print through our console while the bars are drawn
    (a line written past them to the terminal would tear them); restored after."""
    from prefect.logging.handlers import PrefectConsoleHandler

    if not console.is_terminal:
        yield
        return
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    own = [h.console for h in handlers]
    for handler in handlers:
        handler.console = console
    try:
        yield
    finally:
        for handler, previous in zip(handlers, own, strict=True):
            handler.console = previous


def _say(line: str) -> None:
    """A line that may hold a path or an address, printed whole: never wrapped (a path
    broken over two lines cannot be copied) nor cropped, however narrow the terminal."""
    console.print(Text(line), soft_wrap=True)


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


class _HiddenCharactersShown(logging.Filter):
    """Shows a log message's hidden characters as markers (``reports.shown.visible``): a
    file name or an export's record id with a bidi control must not turn the console's, or
    Prefect's UI's, line into another."""

    def filter(self, record: logging.LogRecord) -> bool:
        from shenbao.reports.shown import visible

        message = record.getMessage()
        shown = visible(message)
        if shown != message:
            record.msg, record.args = shown, None
        return True


@contextmanager
def _expected_errors_without_traceback() -> Iterator[None]:
    """While a command runs, the logs people read (the console, and the run logs Prefect's
    UI shows) tell an expected error in one line and show hidden characters."""
    handlers = list(logging.getLogger().handlers)
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        handlers += [h for h in logging.getLogger(name).handlers if h not in handlers]
    filters: list[logging.Filter] = [_NoTracebackForExpected(), _HiddenCharactersShown()]
    for handler in handlers:
        for log_filter in filters:
            handler.addFilter(log_filter)
    try:
        yield
    finally:
        for handler in handlers:
            for log_filter in filters:
                handler.removeFilter(log_filter)


def main() -> None:
    """The ``shenbao`` console script: Prefect's settings first (before Prefect is
    imported), then the command."""
    prefect_env.apply_defaults()
    app()


if __name__ == "__main__":  # BATCH_RUN_COMMAND: python -m shenbao.flows.cli
    main()
