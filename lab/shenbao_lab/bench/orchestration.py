"""``shenbao bench batch``: what Prefect costs a batch — time, memory, and the re-run.

One batch of files, three runs, each in a child process of its own (the hidden command
``shenbao bench batch-run``):

1. **bare**: the batch's work without Prefect — the use cases ``process_batch`` runs as
   tasks, called plainly (``bare_batch``): every file sniffed and read (scans on a page
   pool of ``workers`` processes behind the page cache), checked, and published — its
   reports, originals, manifest, index and summary;
2. **prefect**: ``process_batch`` on the same inputs. Prefect's server (the ephemeral one,
   unless ``PREFECT_API_URL`` names one) is started first by an empty flow, timed apart:
   the start-up is the first empty flow's time less a second one's;
3. **re-run**: ``process_batch`` again on the unchanged batch into the same store, with the
   same cache; its child starts Prefect first, untimed.

Each child first runs a warm-up, untimed: a file or two through the bare pipeline into a
scratch store and cache, so its one-time start (imports, the NLP models) is in no run's
time; it then times its run's work alone and writes what it measured (``MeasuredRun``) as
JSON to a file the parent names. Both first runs read with an empty cache folder of their
own (OCR and page caches, given by ``SHENBAO_CACHE_DIR`` in the child's environment, which
is otherwise the bench's), so both do the OCR; the re-run keeps the Prefect run's.

Each run's peak RSS is the largest sum of the resident memory of its child and all the
child's descendants (page-pool workers, Prefect's server), sampled by the parent every
0.2 s over the child's whole life — imports and warm-up included — so the figure is what
that run costs alone, not the bench's own process (which generated the corpus). Pages are
those of the reports written (a DOCX has pages too), counted the same way in each store.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil
from pydantic import BaseModel, Field, ValidationError, computed_field

from flows.spool import run_spool
from pipeline import ingest
from pipeline.errors import InputError, PipelineError
from pipeline.model import Frozen, Manifest
from pipeline.pool import PagePool
from pipeline.rulebook import load_rules
from pipeline.run import PageCache, ReportSpool, read_in_turn
from pipeline.settings import Settings
from storage.base import ObjectStore, report_key
from storage.local_store import open_store
from usecases.check import checker
from usecases.publish import check_and_publish
from usecases.read import export_ref, load_export, read_and_check
from usecases.review import keep_export

MAX_OVERHEAD = 0.25
"""Issue 8: the Prefect run at most 25 % slower than the bare pipeline."""
MAX_PEAK_RSS_MB = 2048.0
"""Issue 8: peak RSS of the whole process tree at most 2 GB (2048 MiB) at any batch size."""
MAX_RERUN_RATIO = 0.10
"""Issue 8: the unchanged batch re-runs in at most 10 % of the first run's time."""
SAMPLE_EVERY_S = 0.2
CACHE_ENV = "SHENBAO_CACHE_DIR"
"""What a child builds its ``Settings`` from (``process_batch`` too): its cache folder."""
LOG_TAIL_LINES = 20
"""Lines of a failed child's output told in the error."""

MIB = 1024 * 1024


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


class RunFigures(Frozen):
    """One run of the batch."""

    wall_s: float = Field(ge=0, description="seconds, start to end of the run")
    files: int = Field(ge=0, description="files in its manifest")
    submissions: int = Field(ge=0, description="reports in its manifest")
    pages: int = Field(ge=0, description="pages of its reports")
    written: int = Field(ge=0, description="objects written to the store")
    read_afresh: int = Field(ge=0, description="files read into the page cache by this run")
    peak_rss_mb: float = Field(
        ge=0, description="MiB, the run's child process and its descendants, over its life"
    )
    warm_up_s: float = Field(
        0.0, ge=0, description="seconds of the child's warm-up before the run, in no run's time"
    )

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
        (), description="files each child runs through first, untimed (see bench_batch)"
    )
    bare: RunFigures
    prefect: RunFigures = Field(description="the first process_batch; its server already up")
    prefect_start_s: float | None = Field(
        description="Prefect's start-up: the first empty flow's seconds less a second one's "
        "(None: not measured)"
    )
    rerun: RunFigures = Field(description="process_batch again on the unchanged batch")
    scale: int = Field(1, ge=1, description="how many times the batch the scaled run reads")
    warm: RunFigures | None = Field(
        None,
        description="process_batch into an empty store, every page in the page cache: "
        "every report published, no page read (None: scale 1, not run)",
    )
    scaled: RunFigures | None = Field(
        None,
        description="the same with the batch's files ``scale`` times over (None: not run)",
    )

    @property
    def runs(self) -> tuple[RunFigures, ...]:
        return tuple(r for r in (self.bare, self.prefect, self.rerun, self.warm, self.scaled) if r)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def warm_up_s(self) -> float:
        """The longest of the children's warm-ups (seconds, in no run's time)."""
        return max(r.warm_up_s for r in self.runs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def scaled_growth_mb(self) -> float | None:
        """Peak RSS of the scaled run less the warm one's: what ``scale`` times the batch
        adds (None: not run)."""
        if self.warm is None or self.scaled is None:
            return None
        return round(self.scaled.peak_rss_mb - self.warm.peak_rss_mb, 1)

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
        """The largest run's: each child's process tree, sampled over its whole life."""
        return max(r.peak_rss_mb for r in self.runs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def consistent(self) -> bool:
        """The runs did the same batch: same files, reports and pages (the scaled run
        ``scale`` times them); the re-run wrote nothing; both first runs read every file
        afresh, the others none."""
        runs = (self.bare, self.prefect, self.rerun, *([self.warm] if self.warm else []))
        scaled = self.scaled is None or (
            (self.scaled.files, self.scaled.submissions, self.scaled.pages)
            == (
                self.scale * self.bare.files,
                self.scale * self.bare.submissions,
                self.scale * self.bare.pages,
            )
            and self.scaled.read_afresh == 0
        )
        return (
            len({(r.files, r.submissions, r.pages) for r in runs}) == 1
            and self.rerun.written == 0
            and self.bare.read_afresh == self.prefect.read_afresh > 0
            and self.rerun.read_afresh == 0
            and (self.warm is None or self.warm.read_afresh == 0)
            and scaled
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


class RunMode(StrEnum):
    """Which of the batch's runs a child process measures."""

    BARE = "bare"
    PREFECT = "prefect"
    RERUN = "rerun"


class MeasuredRun(Frozen):
    """What a child measured of its run: the JSON it leaves for the parent."""

    wall_s: float = Field(ge=0, description="seconds of the run's work alone")
    manifest_key: str = Field(description="the run's manifest in its store")
    written: int = Field(ge=0, description="objects written to the store")
    prefect_start_s: float | None = Field(
        None, description="Prefect's start-up, as BatchFigures.prefect_start_s (prefect run only)"
    )
    warm_up_s: float = Field(ge=0, description="seconds of the untimed warm-up before the run")


class ChildRunError(PipelineError):
    """A run's child process failed: it exited non-zero, or left no figures."""


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
    workers: int,
) -> tuple[str, int]:
    """The batch's work as ``process_batch`` does it, without Prefect (no received date):
    the same use cases, their steps called here one after another, the files read one
    after another with their scans on a page pool of ``workers`` processes.

    Returns:
        The manifest's key and the objects written.
    """
    ingest.require_inputs([Path(p) for p in paths])
    online_ref = export_ref(online) if online is not None else None
    rules = load_rules(settings.rules_dir)
    records = load_export(Path(online), rules).records if online is not None else None
    sniffed = [ingest.sniff(s, settings) for s in ingest.discover([Path(p) for p in paths])]
    batch_id = ingest.default_batch_id(Path(paths[0]), [s.entry for s in sniffed])
    check = checker(rules)
    with (
        PagePool(settings.ocr, settings.cache_dir, rules, workers, settings.page_timeout_s) as pool,
        run_spool(settings.cache_dir / "spool") as folder,
    ):
        waiting, sniffed = read_and_check(
            sniffed,
            batch_id,
            ReportSpool(folder),
            rules.templates,
            pool.engine,
            PageCache(settings.cache_dir / "pages", rules),
            read_afresh=read_in_turn(settings, rules, pool.engine, pool),
            check_all=lambda submissions: [check(s) for s in submissions],
            received=None,
        )
        result, _, _ = check_and_publish(
            store,
            batch_id,
            online_ref,
            records,
            None,
            sniffed,
            waiting,
            rules,
            settings,
        )
    # the export kept in the store, as process_batch keeps it (a reviewer's correction is
    # compared with it again)
    kept = keep_export(store, Path(online)) if online is not None else False
    return result.manifest_key, result.written + kept


def _line(name: str, run: RunFigures) -> str:
    return (
        f"{name}: {run.wall_s:.1f} s, {run.pages} pages ({run.pages_per_s or 0:.2f}/s), "
        f"{run.read_afresh} files read afresh, {run.written} objects written, "
        f"peak {run.peak_rss_mb:.0f} MiB (warm-up {run.warm_up_s:.1f} s, untimed)"
    )


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    """``work()``'s result and its wall seconds."""
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def _empty_flow() -> Callable[[], object]:
    """A flow that does nothing: its first run starts Prefect's server, a later one times
    a flow run."""
    from prefect import flow

    @flow(name="bench-prefect-start")
    def prefect_start() -> None:
        """Nothing."""

    return prefect_start


def measure_run(
    mode: RunMode,
    paths: list[str],
    online: str | None,
    *,
    store: str,
    workers: int,
    warm_up: list[str],
    scratch: Path,
    out: Path,
) -> MeasuredRun:
    """One run of the batch, in the child process ``bench_batch`` started for it.

    The warm-up first, untimed; then, timed, the run's work alone: ``bare_batch``, or
    ``process_batch`` once Prefect's server is up (for the prefect run, its start-up timed
    apart: the first empty flow's seconds less a second one's).

    Args:
        mode: which run.
        paths: the batch's files and folders.
        online: the online export the batch is matched to.
        store: the run's store URI (the re-run's is the prefect run's).
        workers: page-pool processes of the warm-up and the bare run.
        warm_up: files run through the bare pipeline first, into ``scratch``.
        scratch: where the warm-up's store and cache go.
        out: where the figures go, as JSON; written last, so a child that failed leaves none.

    Returns:
        The figures written to ``out``.
    """
    # Prefect imported (seconds) before anything is timed, by every run alike
    from flows.batch import process_batch

    start_prefect = _empty_flow()
    settings = Settings()  # its cache folder from SHENBAO_CACHE_DIR, as process_batch's
    warm_up_s = 0.0
    if warm_up:
        warm_settings = settings.model_copy(update={"cache_dir": scratch / "cache"})
        _, warm_up_s = _timed(
            lambda: bare_batch(
                warm_up, online, open_store(str(scratch / "store")), warm_settings, workers
            )
        )
    start_s: float | None = None
    if mode is RunMode.BARE:
        (key, written), wall_s = _timed(
            lambda: bare_batch(paths, online, open_store(store), settings, workers)
        )
    else:
        _, first_s = _timed(start_prefect)
        if mode is RunMode.PREFECT:
            _, later_s = _timed(start_prefect)
            start_s = round(max(0.0, first_s - later_s), 3)
        result, wall_s = _timed(
            lambda: process_batch(
                paths=paths, online=online, batch=None, store=store, received=None
            )
        )
        key, written = result.manifest_key, result.written
    measured = MeasuredRun(
        wall_s=round(wall_s, 3),
        manifest_key=key,
        written=written,
        prefect_start_s=start_s,
        warm_up_s=round(warm_up_s, 3),
    )
    out.write_text(measured.model_dump_json(indent=2), encoding="utf-8")
    return measured


def _output_tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:]) or "(no output)"


def _end(child: subprocess.Popen[bytes]) -> None:
    """Kills ``child`` and its descendants (the bench itself was stopped): none left running."""
    try:
        descendants = psutil.Process(child.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    child.kill()
    for process in descendants:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    child.wait()


def run_child(
    name: str, command: Sequence[str], cache_dir: Path, out: Path, log: Path
) -> tuple[MeasuredRun, float]:
    """Runs ``command`` (which tells the child to write ``out``) in a child process with
    ``cache_dir`` as its cache folder, sampling its process tree from start to exit; reads
    the figures it left.

    Args:
        name: the run, as errors tell it ("bare").
        command: the child's command line.
        cache_dir: ``SHENBAO_CACHE_DIR`` in the child's environment (otherwise this one's).
        out: where the child writes its figures (removed first, if there).
        log: where its output goes.

    Returns:
        What the child measured, and the peak RSS (MiB) of its process tree.

    Raises:
        ChildRunError: it exited non-zero or left no figures; its output's last lines told.
    """
    out.unlink(missing_ok=True)
    environment = os.environ | {CACHE_ENV: str(cache_dir)}
    # a file, not a pipe: a pipe nobody reads while waiting would fill and stall the child
    with log.open("wb") as sink:
        child = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        try:
            with RssSampler(pid=child.pid) as sampler:
                status = child.wait()
        except BaseException:
            _end(child)
            raise
    if status < 0:  # by a signal: the OOM killer's SIGKILL, say
        problem = f"was killed by {signal.Signals(-status).name}"
    elif status != 0:
        problem = f"exited with status {status}"
    elif not out.is_file():
        problem = f"exited without writing its figures to {out}"
    else:
        try:
            return MeasuredRun.model_validate_json(out.read_bytes()), sampler.peak_mb
        except ValidationError as exc:
            problem = f"wrote figures that do not read ({exc.error_count()} errors) to {out}"
    raise ChildRunError(
        f"the {name} run's child process {problem}; its output ({log}) ends:\n{_output_tail(log)}"
    )


def _child_run(
    mode: RunMode,
    run_command: Sequence[str],
    arguments: list[str],
    work_dir: Path,
    name: str,
    *,
    store_of: str | None = None,
    cache_of: str | None = None,
) -> tuple[RunFigures, MeasuredRun]:
    """The ``mode`` run in a child, into ``store-{store_of or name}`` with
    ``cache-{cache_of or name}``, its figures and output in ``{name}.json`` and
    ``{name}.log``; its figures (``read_afresh`` counts the whole cache: the caller
    subtracts what was there before)."""
    store = work_dir / f"store-{store_of or name}"
    cache = work_dir / f"cache-{cache_of or name}"
    out, log = work_dir / f"{name}.json", work_dir / f"{name}.log"
    command = [
        *run_command,
        mode.value,
        *arguments,
        "--store",
        str(store),
        "--scratch",
        str(work_dir / f"warm-up-{name}"),
        "--out",
        str(out),
    ]
    measured, peak_mb = run_child(name, command, cache, out, log)
    files, submissions, pages = stored_batch(open_store(str(store)), measured.manifest_key)
    figures = RunFigures(
        wall_s=measured.wall_s,
        files=files,
        submissions=submissions,
        pages=pages,
        written=measured.written,
        read_afresh=cached_files(cache),
        peak_rss_mb=peak_mb,
        warm_up_s=measured.warm_up_s,
    )
    return figures, measured


def scaled_batch(paths: Sequence[Path], folder: Path, times: int) -> Path:
    """``folder`` holding every input file of ``paths`` ``times`` over, each copy under a
    name of its own (``copy02_scan_0001.pdf``): linked where the file system allows, so a
    batch ten times the size costs no disk. The same bytes, so the page cache has them."""
    folder.mkdir(parents=True, exist_ok=True)
    for found in ingest.discover(list(paths)):
        flat = found.name.replace("/", "_")
        for copy in range(1, times + 1):
            target = folder / f"copy{copy:02d}_{flat}"
            if target.exists():
                continue
            try:
                os.link(found.path, target)
            except OSError:  # another file system, or links refused
                shutil.copyfile(found.path, target)
    return folder


def bench_batch(
    paths: list[Path],
    online: Path | None,
    run_command: Sequence[str],
    *,
    workers: int | None = None,
    corpus: str = "",
    work_dir: Path | None = None,
    warm_up: list[Path] | None = None,
    scale: int = 1,
    progress: Callable[[str], object] | None = None,
) -> BatchFigures:
    """Run the batch bare, through ``process_batch``, and through it again, each in a child
    process of its own; measure each.

    Args:
        paths: the batch's files and folders.
        online: the online export the batch is matched to.
        run_command: starts a child that runs ``measure_run``, given the run's mode and
            arguments after it: the flows' hidden ``shenbao bench batch-run``, which hands
            in what is needed of them. The children inherit this process's environment
            (Prefect's settings among it), each with its own ``SHENBAO_CACHE_DIR``.
        workers: page-pool processes of the bare run; by default the cores (as the flow).
        corpus: what the figures say the batch was.
        work_dir: where the stores, caches, and each child's figures and output
            (``bare.json``, ``bare.log`` …) go (a temporary folder, removed, by default).
        warm_up: files each child runs once through the bare pipeline, untimed, before its
            run: a process's one-time start (imports, jieba and the NLP models, templates;
            ~15 s) is paid by no run. By default the batch's first file (a scan: its OCR,
            into a scratch cache); a born-digital copy warms as well without OCR.
        scale: above 1, two runs more, each ``process_batch`` into an empty store with the
            Prefect run's page cache (no page read, every report published): the batch as
            it is (``warm``), then its files ``scale`` times over under other names
            (``scaled``): what a batch ``scale`` times the size adds to the peak RSS.
        progress: told a line as each run ends (a long bench shows what it has so far).

    Raises:
        InputError: no inputs, or the batch has no files.
        ChildRunError: a run's child failed (the message ends with its output's last lines).
    """
    cores = os.cpu_count() or 1
    workers = workers or cores
    warm_paths = warm_up or [ingest.discover(list(paths))[0].path]
    arguments = [
        *(str(p) for p in paths),
        *(["--online", str(online)] if online is not None else []),
        "--workers",
        str(workers),
        *(option for p in warm_paths for option in ("--warm-up", str(p))),
    ]
    tell = progress or (lambda line: None)
    with contextlib.ExitStack() as stack:
        if work_dir is None:
            work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shenbao-bb-")))
        work_dir.mkdir(parents=True, exist_ok=True)

        bare, _ = _child_run(RunMode.BARE, run_command, arguments, work_dir, "bare")
        tell(_line("bare pipeline", bare))
        prefect, measured = _child_run(RunMode.PREFECT, run_command, arguments, work_dir, "prefect")
        start_s = measured.prefect_start_s
        if start_s is not None:
            tell(f"Prefect start-up: {start_s:.1f} s")
        tell(_line("Prefect", prefect))
        rerun, _ = _child_run(
            RunMode.RERUN,
            run_command,
            arguments,
            work_dir,
            "rerun",
            store_of="prefect",
            cache_of="prefect",
        )
        # the re-run's store and cache are the prefect run's: only what it added was read
        rerun = rerun.model_copy(update={"read_afresh": rerun.read_afresh - prefect.read_afresh})
        tell(_line("Prefect re-run", rerun))
        warm = scaled = None
        if scale > 1:
            options = arguments[len(paths) :]
            warm, _ = _child_run(
                RunMode.RERUN, run_command, arguments, work_dir, "warm", cache_of="prefect"
            )
            warm = warm.model_copy(update={"read_afresh": warm.read_afresh - prefect.read_afresh})
            tell(_line("Prefect, page cache warm, empty store", warm))
            copies = [str(scaled_batch(paths, work_dir / f"batch-x{scale}", scale)), *options]
            scaled, _ = _child_run(
                RunMode.RERUN, run_command, copies, work_dir, f"x{scale}", cache_of="prefect"
            )
            scaled = scaled.model_copy(
                update={"read_afresh": scaled.read_afresh - prefect.read_afresh}
            )
            tell(_line(f"the same, {scale} times the batch", scaled))
    if not bare.files:
        raise InputError("the batch has no files")
    return BatchFigures(
        corpus=corpus or ", ".join(str(p) for p in paths),
        workers=workers,
        cores=cores,
        warm_up=tuple(p.name for p in warm_paths),
        bare=bare,
        prefect=prefect,
        prefect_start_s=start_s,
        rerun=rerun,
        scale=scale,
        warm=warm,
        scaled=scaled,
    )
