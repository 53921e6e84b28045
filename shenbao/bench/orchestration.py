"""``shenbao bench batch``: what Prefect costs a batch — time, memory, and the re-run.

One batch of files, three runs in one process, each into a fresh local store:

0. **warm-up**, untimed: a file or two through the bare pipeline, so the process's
   one-time start (imports, the NLP models) is in neither run's time;
1. **bare**: the batch's work without Prefect — every file sniffed and read (scans on a
   page pool of ``workers`` processes behind the page cache, as the flow reads them),
   checked (``checker`` → ``build_report`` → ``check_batch``), its reports, originals,
   manifest, index and summary written by the flow's own step functions, called plainly;
2. **prefect**: ``process_batch`` on the same inputs. Prefect's server (the ephemeral one,
   unless ``PREFECT_API_URL`` names one) is started first by an empty flow, timed apart:
   the start-up is the first empty flow's time less a second one's;
3. **re-run**: ``process_batch`` again on the unchanged batch into the same store.

Both first runs read with an empty cache folder of their own (OCR and page caches), so both
do the OCR; the re-run keeps the Prefect run's. Each run's peak RSS is the largest sum of
the resident memory of this process and all its descendants (page-pool workers, Prefect's
server), sampled every 0.2 s. Pages are those of the reports written (a DOCX has pages
too), counted the same way in each store.

The flows are the layer above the benches, so the command hands in what is needed of them
(``FlowPieces``).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import psutil
from pydantic import BaseModel, ConfigDict, Field, computed_field

from shenbao.bench.corpus import Checker
from shenbao.bench.findings import OnlineCheck
from shenbao.pipeline import ingest
from shenbao.pipeline.config import (
    TemplateSpec,
    load_campaign,
    load_export_mapping,
    load_templates,
)
from shenbao.pipeline.errors import InputError
from shenbao.pipeline.model import Annex, Finding, Manifest, OnlineExportRef, Report
from shenbao.pipeline.online import load_online_export
from shenbao.pipeline.pool import PagePool
from shenbao.pipeline.run import (
    PageCache,
    build_report,
    read_document,
    unique_ids,
    unreadable_submission,
)
from shenbao.pipeline.settings import Settings
from shenbao.storage.base import ObjectStore, report_key
from shenbao.storage.local_store import open_store

MAX_OVERHEAD = 0.25
"""Issue 8: the Prefect run at most 25 % slower than the bare pipeline."""
MAX_PEAK_RSS_MB = 2048.0
"""Issue 8: peak RSS of the whole process tree at most 2 GB (2048 MiB) at any batch size."""
MAX_RERUN_RATIO = 0.10
"""Issue 8: the unchanged batch re-runs in at most 10 % of the first run's time."""
SAMPLE_EVERY_S = 0.2
CACHE_ENV = "SHENBAO_CACHE_DIR"
"""What ``process_batch`` builds its ``Settings`` from: the cache folder is set through it."""

MIB = 1024 * 1024


# ---------------------------------------------------------------------------------------
# What the command hands in
# ---------------------------------------------------------------------------------------


class BatchOutcome(Protocol):
    """What the bench reads of ``process_batch``'s result."""

    @property
    def manifest_key(self) -> str: ...

    @property
    def written(self) -> int: ...


@dataclass(frozen=True)
class FlowPieces:
    """``shenbao.flows`` pieces the bench runs: the flow itself, and for the bare run the
    checking functions and the flow's steps as plain functions (a task's ``.fn``)."""

    process_batch: Callable[..., BatchOutcome]
    """called as ``process_batch(paths=, online=, batch=, store=, received=)``"""
    checker: Checker
    check_batch: OnlineCheck
    publish_reports: Callable[
        [ObjectStore, ingest.SniffedFile | None, list[Report], dict[Annex, TemplateSpec], Settings],
        int,
    ]
    store_original: Callable[[ObjectStore, ingest.SniffedFile, Settings], int]
    write_manifest: Callable[[ObjectStore, Manifest], tuple[str, int]]
    write_batch_pages: Callable[
        [ObjectStore, Manifest, list[Report], dict[Annex, TemplateSpec], tuple[Finding, ...]],
        tuple[str, int],
    ]
    start_prefect: Callable[[], object] | None = None
    """an empty flow: its first call starts Prefect's server; None: start-up not measured"""


# ---------------------------------------------------------------------------------------
# Peak RSS of a process tree
# ---------------------------------------------------------------------------------------


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of ``process`` and all its descendants (those gone meanwhile: 0)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            total += member.memory_info().rss
    return total


class RssSampler:
    """Samples the RSS of a process tree on a background thread; ``peak_mb`` is the largest.

    Use as a context manager around the work measured; sampled on entry, every
    ``interval_s``, and on exit.
    """

    def __init__(self, pid: int | None = None, interval_s: float = SAMPLE_EVERY_S) -> None:
        self.process = psutil.Process(pid or os.getpid())
        self.interval_s = interval_s
        self.peak_bytes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def sample(self) -> int:
        rss = tree_rss(self.process)
        self.peak_bytes = max(self.peak_bytes, rss)
        self.samples += 1
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    @property
    def peak_mb(self) -> float:
        return round(self.peak_bytes / MIB, 1)

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


# ---------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RunFigures(Frozen):
    """One run of the batch."""

    wall_s: float = Field(ge=0, description="seconds, start to end of the run")
    files: int = Field(ge=0, description="files in its manifest")
    submissions: int = Field(ge=0, description="reports in its manifest")
    pages: int = Field(ge=0, description="pages of its reports")
    written: int = Field(ge=0, description="objects written to the store")
    read_afresh: int = Field(ge=0, description="files read into the page cache by this run")
    peak_rss_mb: float = Field(ge=0, description="MiB, this process and its descendants")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pages_per_s(self) -> float | None:
        return round(self.pages / self.wall_s, 3) if self.wall_s > 0 else None


class Limit(Frozen):
    """A figure the issue bounds from above, and whether it stays within."""

    measure: str
    value: float
    limit: float
    unit: str = Field("", description="'%' for a ratio shown as a percentage, else the unit")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def met(self) -> bool:
        return self.value <= self.limit


class BatchFigures(BaseModel):
    """What ``bench batch`` measured; ``model_dump_json`` is the ``--json`` output."""

    corpus: str
    workers: int = Field(description="page-pool processes of the bare run")
    cores: int
    warm_up: tuple[str, ...] = Field(
        (), description="files run through first, untimed (see bench_batch)"
    )
    warm_up_s: float = Field(0.0, description="seconds of that warm-up, in no run's time")
    bare: RunFigures
    prefect: RunFigures = Field(description="the first process_batch; its server already up")
    prefect_start_s: float | None = Field(
        description="Prefect's start-up: the first empty flow's seconds less a second one's "
        "(None: not measured)"
    )
    prefect_start_rss_mb: float = Field(
        0.0, description="peak MiB while Prefect started (its server among the children)"
    )
    rerun: RunFigures = Field(description="process_batch again on the unchanged batch")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def prefect_total_s(self) -> float:
        """The Prefect run with its server's start-up: what a one-off ``shenbao run`` pays."""
        return round(self.prefect.wall_s + (self.prefect_start_s or 0.0), 3)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overhead(self) -> float:
        """prefect (start-up included) / bare − 1."""
        return round(self.prefect_total_s / self.bare.wall_s - 1, 4)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overhead_running(self) -> float:
        """prefect (server already up, as for a served deployment) / bare − 1."""
        return round(self.prefect.wall_s / self.bare.wall_s - 1, 4)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rerun_ratio(self) -> float:
        """re-run / first Prefect run (neither paying the start-up)."""
        return round(self.rerun.wall_s / self.prefect.wall_s, 4)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def peak_rss_mb(self) -> float:
        return max(
            self.bare.peak_rss_mb,
            self.prefect.peak_rss_mb,
            self.prefect_start_rss_mb,
            self.rerun.peak_rss_mb,
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def consistent(self) -> bool:
        """The runs did the same batch: same files, reports and pages; the re-run wrote
        nothing; both first runs read every file afresh and the re-run none."""
        runs = (self.bare, self.prefect, self.rerun)
        return (
            len({(r.files, r.submissions, r.pages) for r in runs}) == 1
            and self.rerun.written == 0
            and self.bare.read_afresh == self.prefect.read_afresh > 0
            and self.rerun.read_afresh == 0
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def targets(self) -> tuple[Limit, ...]:
        return (
            Limit(
                measure="orchestration overhead, Prefect start-up included (prefect / bare − 1)",
                value=self.overhead,
                limit=MAX_OVERHEAD,
                unit="%",
            ),
            Limit(
                measure="peak RSS, process tree",
                value=self.peak_rss_mb,
                limit=MAX_PEAK_RSS_MB,
                unit="MiB",
            ),
            Limit(
                measure="unchanged re-run / first run",
                value=self.rerun_ratio,
                limit=MAX_RERUN_RATIO,
                unit="%",
            ),
        )


# ---------------------------------------------------------------------------------------
# The runs
# ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def cache_dir_env(path: Path) -> Iterator[None]:
    """``SHENBAO_CACHE_DIR`` set to ``path`` inside, as it was after."""
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before


def cached_files(cache_dir: Path) -> int:
    """Files the page cache under ``cache_dir`` holds (one entry per file read)."""
    return sum(1 for _ in (cache_dir / "pages").rglob("*.json"))


def stored_batch(store: ObjectStore, key: str) -> tuple[int, int, int]:
    """Files, submissions and pages (of the reports) of the batch whose manifest is ``key``."""
    manifest = Manifest.model_validate_json(store.get_bytes(key))
    sids = [sid for entry in manifest.files for sid in entry.submissions]
    pages = sum(
        len(json.loads(store.get_bytes(report_key(manifest.batch, sid)))["pages"]) for sid in sids
    )
    return len(manifest.files), len(sids), pages


def bare_batch(
    paths: list[str],
    online: str | None,
    store: ObjectStore,
    settings: Settings,
    pieces: FlowPieces,
    workers: int,
) -> tuple[str, int]:
    """The batch's work as ``process_batch`` does it, without Prefect (no received date).

    Returns:
        The manifest's key and the objects written.
    """
    ingest.require_inputs([Path(p) for p in paths])
    online_ref: OnlineExportRef | None = None
    records = None
    if online is not None:
        sha256, size = ingest.file_digest(Path(online))
        online_ref = OnlineExportRef(file=Path(online).name, sha256=sha256, size=size)
        mapping = load_export_mapping(settings.config_dir / "export_columns.yaml")
        records = load_online_export(Path(online), mapping).records

    sniffed = [ingest.sniff(s, settings) for s in ingest.discover([Path(p) for p in paths])]
    batch_id = ingest.default_batch_id(Path(paths[0]), [s.entry for s in sniffed])
    templates = load_templates(settings.templates_dir)
    campaign = load_campaign(settings.config_dir / "campaign.yaml")
    cache = PageCache(settings.cache_dir / "pages")
    with PagePool(settings.ocr, settings.cache_dir, workers, settings.page_timeout_s) as pool:
        documents = [
            read_document(s, settings, pool.engine, templates, cache=cache, pool=pool)
            for s in sniffed
            if not s.quarantined
        ]
    documents = unique_ids(documents)
    check = pieces.checker(templates, campaign)
    reports = [
        build_report(check(s), batch_id, pool.engine, templates, d.timings.get(s.id))
        for d in documents
        for s in d.submissions
    ]
    reports += [
        build_report(u, batch_id, None, templates)
        for u in map(unreadable_submission, sniffed)
        if u is not None
    ]
    reports, paper_missing = pieces.check_batch(reports, records, templates, campaign)

    by_file: dict[str, list[Report]] = {}
    for report in reports:
        by_file.setdefault(report.source.file, []).append(report)
    written = 0
    for item in sniffed:
        if item.entry.file in by_file:
            written += pieces.publish_reports(
                store, item, by_file[item.entry.file], templates, settings
            )
    for item in sniffed:
        written += pieces.store_original(store, item, settings)
    entries = tuple(
        s.entry.model_copy(
            update={"submissions": tuple(r.submission_id for r in by_file.get(s.entry.file, ()))}
        )
        for s in sniffed
    )
    manifest = Manifest(batch=batch_id, online=online_ref, files=entries)
    key, manifest_written = pieces.write_manifest(store, manifest)
    _, pages_written = pieces.write_batch_pages(store, manifest, reports, templates, paper_missing)
    return key, written + manifest_written + pages_written


def _line(name: str, run: RunFigures) -> str:
    return (
        f"{name}: {run.wall_s:.1f} s, {run.pages} pages ({run.pages_per_s or 0:.2f}/s), "
        f"{run.read_afresh} files read afresh, {run.written} objects written, "
        f"peak {run.peak_rss_mb:.0f} MiB"
    )


def _timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    """``work()``'s result, its wall seconds and the process tree's peak RSS (MiB) meanwhile."""
    with RssSampler() as sampler:
        started = time.perf_counter()
        result = work()
        wall_s = time.perf_counter() - started
    return result, wall_s, sampler.peak_mb


def _figures(
    store: ObjectStore, key: str, wall_s: float, written: int, read_afresh: int, peak_mb: float
) -> RunFigures:
    files, submissions, pages = stored_batch(store, key)
    return RunFigures(
        wall_s=round(wall_s, 3),
        files=files,
        submissions=submissions,
        pages=pages,
        written=written,
        read_afresh=read_afresh,
        peak_rss_mb=peak_mb,
    )


def bench_batch(
    paths: list[Path],
    online: Path | None,
    pieces: FlowPieces,
    *,
    settings: Settings | None = None,
    workers: int | None = None,
    corpus: str = "",
    work_dir: Path | None = None,
    warm_up: list[Path] | None = None,
    progress: Callable[[str], object] | None = None,
) -> BatchFigures:
    """Run the batch bare, through ``process_batch``, and through it again; measure each.

    Args:
        paths: the batch's files and folders.
        online: the online export the batch is matched to.
        pieces: what the command hands in of ``shenbao.flows``.
        settings: templates, campaign and OCR settings (the cache folder is replaced);
            ``Settings()`` by default. ``process_batch`` builds its own from the
            environment, with ``SHENBAO_CACHE_DIR`` set to its fresh folder.
        workers: page-pool processes of the bare run; by default the cores (as the flow).
        corpus: what the figures say the batch was.
        work_dir: where the stores and caches go (a temporary folder, removed, by default).
        warm_up: files run once through the bare pipeline, untimed, before anything is
            measured: the process's one-time start (imports, jieba and the NLP models,
            templates; ~15 s) is paid by whichever run comes first, so by neither. By
            default the batch's first file (a scan: its OCR, into a scratch cache); a
            born-digital copy warms as well without OCR.
        progress: told a line as each run ends (a long bench shows what it has so far).

    Raises:
        InputError: a run produced no manifest, or no inputs.
    """
    settings = settings or Settings()
    cores = os.cpu_count() or 1
    workers = workers or cores
    arguments: dict[str, Any] = {
        "paths": [str(p) for p in paths],
        "online": str(online) if online is not None else None,
        "batch": None,
        "received": None,
    }
    with contextlib.ExitStack() as stack:
        if work_dir is None:
            work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shenbao-bb-")))
        bare_cache, flow_cache = work_dir / "cache-bare", work_dir / "cache-prefect"
        bare_store = open_store(str(work_dir / "store-bare"))
        flow_uri = str(work_dir / "store-prefect")

        warm_paths = warm_up or [ingest.discover(list(paths))[0].path]
        started = time.perf_counter()
        bare_batch(
            [str(p) for p in warm_paths],
            arguments["online"],
            open_store(str(work_dir / "store-warm-up")),
            settings.model_copy(update={"cache_dir": work_dir / "cache-warm-up"}),
            pieces,
            workers,
        )
        warm_up_s = time.perf_counter() - started
        tell = progress or (lambda line: None)
        tell(f"warm-up ({', '.join(p.name for p in warm_paths)}): {warm_up_s:.1f} s")

        bare_settings = settings.model_copy(update={"cache_dir": bare_cache})
        (key, written), wall_s, peak = _timed(
            lambda: bare_batch(
                arguments["paths"], arguments["online"], bare_store, bare_settings, pieces, workers
            )
        )
        bare = _figures(bare_store, key, wall_s, written, cached_files(bare_cache), peak)
        tell(_line("bare pipeline", bare))

        with cache_dir_env(flow_cache):
            start_s: float | None = None
            start_peak = 0.0
            if pieces.start_prefect is not None:
                _, first_s, start_peak = _timed(pieces.start_prefect)
                _, later_s, _ = _timed(pieces.start_prefect)
                start_s = round(max(0.0, first_s - later_s), 3)
                tell(f"Prefect start-up: {start_s:.1f} s (peak {start_peak:.0f} MiB)")
            flow_store = open_store(flow_uri)
            result, wall_s, peak = _timed(lambda: pieces.process_batch(**arguments, store=flow_uri))
            afresh = cached_files(flow_cache)
            prefect = _figures(
                flow_store, result.manifest_key, wall_s, result.written, afresh, peak
            )
            tell(_line("Prefect", prefect))
            result, wall_s, peak = _timed(lambda: pieces.process_batch(**arguments, store=flow_uri))
            rerun = _figures(
                flow_store,
                result.manifest_key,
                wall_s,
                result.written,
                cached_files(flow_cache) - afresh,
                peak,
            )
            tell(_line("Prefect re-run", rerun))
    if not bare.files:
        raise InputError("the batch has no files")
    return BatchFigures(
        corpus=corpus or ", ".join(str(p) for p in paths),
        workers=workers,
        cores=cores,
        warm_up=tuple(p.name for p in warm_paths),
        warm_up_s=round(warm_up_s, 3),
        bare=bare,
        prefect=prefect,
        prefect_start_s=start_s,
        prefect_start_rss_mb=start_peak,
        rerun=rerun,
    )
