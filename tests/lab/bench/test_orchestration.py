"""``shenbao bench batch``: the RSS sampler sees a child's memory, the figures' arithmetic
and targets on hand-made numbers, a run's child process (its tree's memory, its figures, and
how it fails), the command's tables, and one tiny run end to end, each run in a child of its
own, on two born-digital copies (no OCR) whose figures are complete and consistent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from shenbao_lab import cli as lab_cli
from shenbao_lab.bench import corpus as corpus_module
from shenbao_lab.bench import orchestration
from shenbao_lab.bench.orchestration import (
    CACHE_ENV,
    BatchFigures,
    ChildRunError,
    MeasuredRun,
    RssSampler,
    RunFigures,
    bench_batch,
    run_child,
    tree_rss,
)
from typer.testing import CliRunner

from flows.cli import app
from tests.readers import SAMPLES

MIB = 1024 * 1024
MAX_CHILD_MB = 2048.0
runner = CliRunner()


def _run(wall_s: float, **changes: object) -> RunFigures:
    values: dict[str, object] = {
        "wall_s": wall_s,
        "files": 20,
        "submissions": 20,
        "pages": 160,
        "written": 500,
        "read_afresh": 20,
        "peak_rss_mb": 1200.0,
    }
    return RunFigures.model_validate(values | changes)


def _figures(
    bare: float = 100.0,
    prefect: float = 110.0,
    start: float | None = 5.0,
    rerun: float = 8.0,
    rss: float = 1500.0,
) -> BatchFigures:
    return BatchFigures(
        corpus="hand-made",
        workers=2,
        cores=2,
        bare=_run(bare),
        prefect=_run(prefect, peak_rss_mb=rss),
        prefect_start_s=start,
        rerun=_run(rerun, written=0, read_afresh=0, peak_rss_mb=900.0),
    )


# ---------------------------------------------------------------------------------------
# The RSS sampler
# ---------------------------------------------------------------------------------------

HOG = """
import sys, time
block = b"\\x01" * (int(sys.argv[1]) << 20)  # written, so resident
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextmanager
def _memory_hog(mib: int, seconds: float) -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOG, str(mib), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        yield child
    finally:
        child.kill()
        child.wait()


def test_the_sampler_sees_a_child_allocating_memory() -> None:
    alone = tree_rss(psutil.Process())
    with RssSampler(interval_s=0.05) as sampler, _memory_hog(200, 5):
        time.sleep(0.3)  # several samples while the child holds its memory
    assert sampler.samples >= 3
    assert sampler.peak_bytes >= alone + 180 * MIB
    assert sampler.peak_mb == round(sampler.peak_bytes / MIB, 1)
    # the child gone, the tree is this process again
    assert tree_rss(psutil.Process()) < alone + 100 * MIB


def test_a_child_of_another_process_is_counted_with_it() -> None:
    with _memory_hog(120, 5) as child:
        assert tree_rss(psutil.Process(child.pid)) >= 110 * MIB
        assert tree_rss(psutil.Process()) >= tree_rss(psutil.Process(child.pid))


def test_a_process_gone_counts_nothing() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    process = psutil.Process(child.pid)
    child.wait()
    assert tree_rss(process) == 0


# ---------------------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------------------


def test_the_figures_arithmetic_on_hand_made_numbers() -> None:
    figures = _figures()
    assert figures.prefect_total_s == 115.0
    assert figures.overhead == pytest.approx(0.15)
    assert figures.overhead_running == pytest.approx(0.10)
    assert figures.rerun_ratio == pytest.approx(round(8 / 110, 4))
    assert figures.peak_rss_mb == 1500.0
    assert figures.bare.pages_per_s == 1.6
    assert figures.rerun.pages_per_s == 20.0
    assert figures.consistent
    assert [(t.value, t.limit, t.met) for t in figures.targets] == [
        (pytest.approx(0.15), 0.25, True),
        (1500.0, 2048.0, True),
        (pytest.approx(0.0727), 0.10, True),
    ]
    # the JSON carries what the table shows
    data = json.loads(figures.model_dump_json())
    assert data["overhead"] == pytest.approx(0.15)
    assert [t["met"] for t in data["targets"]] == [True, True, True]


def test_targets_missed() -> None:
    figures = _figures(bare=100.0, prefect=120.0, start=10.0, rerun=24.0, rss=2100.0)
    assert figures.overhead == pytest.approx(0.30)
    assert figures.overhead_running == pytest.approx(0.20)
    assert figures.rerun_ratio == pytest.approx(0.2)
    assert [t.met for t in figures.targets] == [False, False, False]
    # exactly at the limit is within it
    at = _figures(bare=100.0, prefect=120.0, start=5.0, rerun=12.0, rss=2048.0)
    assert [t.met for t in at.targets] == [True, True, True]


def test_without_a_start_up_measured_the_overhead_is_the_runs_alone() -> None:
    figures = _figures(start=None)
    assert figures.prefect_total_s == 110.0
    assert figures.overhead == figures.overhead_running == pytest.approx(0.10)


def test_consistency() -> None:
    good = _figures()
    assert good.consistent
    for run, change in [
        ("rerun", {"written": 3}),
        ("rerun", {"read_afresh": 1}),
        ("prefect", {"read_afresh": 0}),
        ("prefect", {"pages": 159}),
        ("bare", {"submissions": 19}),
    ]:
        changed = getattr(good, run).model_copy(update=change)
        assert not good.model_copy(update={run: changed}).consistent, (run, change)
    # neither first run read anything afresh: the cache was not fresh, the OCR not measured
    nothing_read = {
        r: getattr(good, r).model_copy(update={"read_afresh": 0}) for r in ("bare", "prefect")
    }
    assert not good.model_copy(update=nothing_read).consistent


def test_the_warm_up_figure_is_the_longest_childs() -> None:
    figures = _figures()
    assert figures.warm_up_s == 0.0
    runs = {"bare": 2.0, "prefect": 3.5, "rerun": 1.0}
    warmed = figures.model_copy(
        update={r: getattr(figures, r).model_copy(update={"warm_up_s": s}) for r, s in runs.items()}
    )
    assert warmed.warm_up_s == 3.5
    assert json.loads(warmed.model_dump_json())["warm_up_s"] == 3.5


# ---------------------------------------------------------------------------------------
# A run's child process
# ---------------------------------------------------------------------------------------

MEASURED = MeasuredRun(wall_s=1.5, manifest_key="batches/b/manifest.json", written=3, warm_up_s=0.5)

# A child that holds memory itself and in a grandchild of its own, then leaves its figures
# (argv: out, its cache folder's expected value, MiB held by each).
TREE_HOG = """
import os, subprocess, sys, time
out, cache, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
assert os.environ["SHENBAO_CACHE_DIR"] == cache, os.environ["SHENBAO_CACHE_DIR"]
grandchild = subprocess.Popen(
    [sys.executable, "-c", "import time; b = b'\\x01' * (%d << 20); time.sleep(1.5)" % mib]
)
block = b"\x01" * (mib << 20)
time.sleep(1.5)
grandchild.wait()
print("figures written", flush=True)
open(out, "w").write(sys.argv[4])
"""


def test_a_childs_figures_and_the_peak_of_its_process_tree(tmp_path: Path) -> None:
    out, log = tmp_path / "bare.json", tmp_path / "bare.log"
    out.write_text("left by an earlier run", encoding="utf-8")
    command = [
        sys.executable, "-c", TREE_HOG, str(out), str(tmp_path / "cache"), "150",
        MEASURED.model_dump_json(),
    ]  # fmt: skip
    before = os.environ.get(CACHE_ENV)
    measured, peak_mb = run_child("bare", command, tmp_path / "cache", out, log)
    assert measured == MEASURED
    assert peak_mb >= 2 * 140  # the child and its grandchild, together
    assert os.environ.get(CACHE_ENV) == before  # set for the child alone
    assert log.read_text(encoding="utf-8") == "figures written\n"


@pytest.mark.parametrize(
    ("script", "told"),
    [
        (
            "import sys; print('reading P001.pdf'); sys.exit('error: the store is gone')",
            ["the bare run's child process exited with status 1", "reading P001.pdf",
             "error: the store is gone"],
        ),
        ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", ["was killed by SIGKILL"]),
        ("print('done, nothing written')", ["exited without writing its figures to",
                                            "done, nothing written"]),
        (
            "import sys; open(sys.argv[1], 'w').write('{\"wall_s\": -1}')",
            ["wrote figures that do not read", "(no output)"],
        ),
    ],
)  # fmt: skip
def test_a_failing_child_is_told_with_the_end_of_its_output(
    tmp_path: Path, script: str, told: list[str]
) -> None:
    out, log = tmp_path / "bare.json", tmp_path / "bare.log"
    with pytest.raises(ChildRunError) as caught:
        run_child("bare", [sys.executable, "-c", script, str(out)], tmp_path, out, log)
    message = str(caught.value)
    for part in told:
        assert part in message
    assert str(log) in message


def test_only_the_last_lines_of_a_long_output_are_told(tmp_path: Path) -> None:
    out, log = tmp_path / "x.json", tmp_path / "x.log"
    script = "import sys\nfor n in range(5000): print(f'line {n}')\nsys.exit(2)"
    with pytest.raises(ChildRunError) as caught:
        run_child("prefect", [sys.executable, "-c", script], tmp_path, out, log)
    told = str(caught.value).splitlines()
    assert told[-1] == "line 4999"
    assert "line 4979" not in told and "line 4980" in told  # 20 lines
    assert len(log.read_text(encoding="utf-8").splitlines()) == 5000  # a file, never a full pipe


def test_a_real_child_that_fails_is_told_in_one_line(tmp_path: Path) -> None:
    """The hidden command's own error (a warm-up file that is not there) reaches the bench."""
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(SAMPLES / "electronic" / "C003.docx", batch)
    with pytest.raises(ChildRunError) as caught:
        bench_batch(
            [batch],
            None,
            lab_cli.BATCH_RUN_COMMAND,
            workers=1,
            work_dir=tmp_path / "work",
            warm_up=[tmp_path / "missing.pdf"],
        )
    message = str(caught.value)
    assert "the bare run's child process exited with status 1" in message
    assert "error:" in message and "missing.pdf" in message
    assert "Traceback" not in message
    assert not (tmp_path / "work" / "prefect.log").exists()  # the first failure ends the bench


def test_the_run_command_is_hidden_and_checks_its_mode(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["bench", "--help"], terminal_width=200)
    assert shown.exit_code == 0
    assert "batch-run" not in shown.output
    result = runner.invoke(
        app,
        [
            "bench", "batch-run", "served", str(tmp_path),
            "--store", str(tmp_path / "store"), "--scratch", str(tmp_path / "scratch"),
            "--out", str(tmp_path / "out.json"),
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "bare, prefect, rerun" in result.output
    assert not (tmp_path / "out.json").exists()


# ---------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------


def test_the_command_prints_the_runs_and_targets_and_writes_json(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[int, int]] = []
    measured: list[dict[str, object]] = []

    @contextmanager
    def generated(count: int, seed: int) -> Iterator[Path]:
        calls.append((count, seed))
        yield tmp_path

    def measure(
        paths: list[Path], online: Path, run_command: object, **options: object
    ) -> BatchFigures:
        measured.append({"paths": paths, "online": online, "run_command": run_command} | options)
        return _figures(bare=100.0, prefect=130.0, start=2.0, rerun=6.5).model_copy(
            update={"corpus": str(options["corpus"])}
        )

    monkeypatch.setattr(corpus_module, "generated_corpus", generated)
    monkeypatch.setattr(orchestration, "bench_batch", measure)
    (tmp_path / "electronic").mkdir()
    for name in ("C002.pdf", "P001.docx", "P001.pdf"):
        (tmp_path / "electronic" / name).touch()
    out = tmp_path / "figures.json"
    result = runner.invoke(
        app,
        ["bench", "batch", "--count", "3", "--seed", "7", "--workers", "1", "--json", str(out)],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    assert calls == [(3, 7)]
    (call,) = measured
    assert call["paths"] == [tmp_path / "batch"]
    assert call["online"] == tmp_path / "online" / "export.xlsx"
    assert call["workers"] == 1
    # a PDF (no OCR) of each annex
    assert call["warm_up"] == [tmp_path / "electronic" / n for n in ("C002.pdf", "P001.pdf")]
    # each run a child: the hidden command, by this interpreter
    assert call["run_command"] == (sys.executable, "-m", "flows.cli", "bench", "batch-run")
    assert "generated: --count 3 --seed 7" in result.output
    assert "32.0%" in result.output and "≤ 25% MISSED" in result.output
    assert "≤ 2048 MiB met" in result.output
    assert "5.0%" in result.output and "≤ 10% met" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["overhead"] == pytest.approx(0.32)
    assert data["corpus"] == "generated: --count 3 --seed 7"


def test_the_command_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    options: list[dict[str, object]] = []

    @contextmanager
    def generated(count: int, seed: int) -> Iterator[Path]:
        options.append({"count": count, "seed": seed})
        yield tmp_path

    def measure(paths: list[Path], online: Path, run_command: object, **kw: object) -> BatchFigures:
        options.append(kw)
        return _figures()

    monkeypatch.setattr(corpus_module, "generated_corpus", generated)
    monkeypatch.setattr(orchestration, "bench_batch", measure)
    result = runner.invoke(app, ["bench", "batch"])
    assert result.exit_code == 0, result.output
    assert options[0] == {"count": 20, "seed": 20220801}
    assert options[1]["workers"] is None  # the bench takes the cores
    assert options[1]["warm_up"] is None  # no electronic copy: the batch's first file
    assert options[1]["scale"] == 5  # and the batch five times over, the cache warm


def test_a_failing_run_ends_the_command_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    @contextmanager
    def generated(count: int, seed: int) -> Iterator[Path]:
        yield tmp_path

    def measure(*args: object, **kw: object) -> BatchFigures:
        raise ChildRunError("the prefect run's child process was killed by SIGKILL; ...")

    monkeypatch.setattr(corpus_module, "generated_corpus", generated)
    monkeypatch.setattr(orchestration, "bench_batch", measure)
    result = runner.invoke(app, ["bench", "batch"], terminal_width=200)
    assert result.exit_code == 1
    assert "error: the prefect run's child process was killed by SIGKILL" in result.output


# ---------------------------------------------------------------------------------------
# End to end, tiny: two born-digital copies through all three runs, each in a child
# ---------------------------------------------------------------------------------------


@pytest.fixture
def prefect_server_for_children(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The session's Prefect server, named to the children in the environment they inherit
    (else each would start an ephemeral one: some 20 s more)."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url
    monkeypatch.setenv("PREFECT_API_URL", url)
    yield url


@pytest.mark.usefixtures("prefect_server_for_children")
def test_a_tiny_batch_end_to_end(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("P001.pdf", "C003.docx"):
        shutil.copy(SAMPLES / "electronic" / name, batch / name)
    cache_before = os.environ.get(CACHE_ENV)
    told: list[str] = []

    figures = bench_batch(
        [batch],
        SAMPLES / "online" / "export.xlsx",
        lab_cli.BATCH_RUN_COMMAND,
        workers=1,
        corpus="two electronic copies",
        work_dir=tmp_path / "work",
        scale=2,
        progress=told.append,
    )

    assert os.environ.get(CACHE_ENV) == cache_before
    assert figures.corpus == "two electronic copies"
    assert (figures.workers, figures.cores) == (1, os.cpu_count())
    assert len(figures.warm_up) == 1 and figures.warm_up[0] in ("P001.pdf", "C003.docx")
    runs = (figures.bare, figures.prefect, figures.rerun)
    for run in runs:
        assert (run.files, run.submissions) == (2, 2)
        assert run.pages == figures.bare.pages > 2  # a PDF and a DOCX of several pages each
        assert run.wall_s > 0
        assert run.pages_per_s == round(run.pages / run.wall_s, 3)
        # the child's own tree over its life: at least an interpreter with the pipeline
        assert 100 < run.peak_rss_mb < MAX_CHILD_MB
        assert run.warm_up_s > 0  # each child warmed up, untimed
    assert figures.warm_up_s == max(r.warm_up_s for r in figures.runs)
    # both first runs read both files into their own fresh caches; the re-run none
    assert [r.read_afresh for r in runs] == [2, 2, 0]
    assert figures.bare.written == figures.prefect.written > 0
    assert figures.rerun.written == 0
    assert figures.prefect_start_s is not None and figures.prefect_start_s >= 0
    assert figures.consistent
    assert figures.overhead == round(figures.prefect_total_s / figures.bare.wall_s - 1, 4)
    assert figures.rerun_ratio == round(figures.rerun.wall_s / figures.prefect.wall_s, 4)
    # the batch again into empty stores from the Prefect run's cache: as it is, and twice
    warm, scaled = figures.warm, figures.scaled
    assert warm is not None and scaled is not None and figures.scale == 2
    assert (warm.files, warm.submissions, warm.pages) == (2, 2, figures.bare.pages)
    assert (scaled.files, scaled.submissions, scaled.pages) == (4, 4, 2 * figures.bare.pages)
    assert warm.read_afresh == scaled.read_afresh == 0
    assert warm.written == figures.prefect.written and scaled.written > warm.written
    assert figures.scaled_growth_mb == round(scaled.peak_rss_mb - warm.peak_rss_mb, 1)
    assert figures.peak_rss_mb == max(r.peak_rss_mb for r in figures.runs)
    assert len(figures.targets) == 3
    assert [line.split(":")[0] for line in told] == [
        "bare pipeline",
        "Prefect start-up",
        "Prefect",
        "Prefect re-run",
        "Prefect, page cache warm, empty store",
        "the same, 2 times the batch",
    ]
    work = tmp_path / "work"
    # each child left its figures and its output in the work folder, its warm-up apart
    for mode in ("bare", "prefect", "rerun", "warm", "x2"):
        measured = MeasuredRun.model_validate_json((work / f"{mode}.json").read_bytes())
        assert measured.manifest_key.endswith("manifest.json")
        assert (work / f"{mode}.log").is_file()
        assert (work / f"warm-up-{mode}" / "cache").is_dir()
    # the two first runs wrote the same objects into their stores
    bare = sorted(
        p.relative_to(work / "store-bare").as_posix()
        for p in (work / "store-bare").rglob("*")
        if p.is_file()
    )
    flow = sorted(
        p.relative_to(work / "store-prefect").as_posix()
        for p in (work / "store-prefect").rglob("*")
        if p.is_file()
    )
    assert bare == flow
    assert any(key.endswith("manifest.json") for key in bare)


def test_the_scaled_runs_figures() -> None:
    figures = _figures()
    warm = figures.rerun.model_copy(update={"written": 80, "peak_rss_mb": 700.0})
    scaled = warm.model_copy(
        update={
            "files": 3 * warm.files,
            "submissions": 3 * warm.submissions,
            "pages": 3 * warm.pages,
            "written": 240,
            "peak_rss_mb": 760.0,
        }
    )
    with_scale = figures.model_copy(update={"scale": 3, "warm": warm, "scaled": scaled})
    assert with_scale.consistent
    assert with_scale.scaled_growth_mb == 60.0
    assert with_scale.peak_rss_mb == figures.peak_rss_mb  # the cold runs' is higher
    hog = with_scale.model_copy(
        update={"scaled": scaled.model_copy(update={"peak_rss_mb": 2100.0})}
    )
    assert hog.peak_rss_mb == 2100.0 and not hog.targets[1].met
    short = scaled.model_copy(update={"submissions": scaled.submissions - 1})
    assert not with_scale.model_copy(update={"scaled": short}).consistent
    assert figures.scaled_growth_mb is None
