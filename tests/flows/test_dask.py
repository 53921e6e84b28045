"""The batch flow on Dask (prefect-dask) gets the reports the default runner gets; an
unchanged batch re-runs without OCR; a page that hangs on the cluster is unreadable, not
a hung batch (in the page pool: ``tests/pipeline/test_pool.py``).

The cluster of the comparison is a real ``distributed.LocalCluster`` of two worker
processes (one thread each, as ``shenbao run --dask-workers 2`` makes it): its pages are
read with a cache folder of the run's own, and OCR is refused in this process meanwhile,
so every page the Dask run reads is OCR'd on the workers.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import onnxruntime
import pytest
from prefect import flow
from typer.testing import CliRunner

from flows import batch as batch_module
from flows import cluster as cluster_module
from flows.batch import process_batch, task_runner
from flows.cli import app
from flows.cluster import read_on_cluster
from pipeline.errors import InputError
from pipeline.model import Page, SourceKind
from pipeline.ocr.engine import OcrSettings
from pipeline.pages import SourcePage
from pipeline.read import ReadPage
from pipeline.rulebook import Rules
from pipeline.settings import Settings
from tests.readers import SAMPLES
from tests.rulebook import RULES
from usecases.publish import BatchResult

pytestmark = pytest.mark.usefixtures("prefect_harness")

SCAN = "scan_0003.pdf"  # six scanned pages: one submission
ELECTRONIC = "P001.pdf"  # a text-layer copy: no OCR


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("no page may be OCR'd here")


def _reports(store: Path, batch: str) -> dict[str, dict]:  # type: ignore[type-arg]
    """Every report.json of the batch by submission id, without its timings."""
    reports = {}
    for path in sorted((store / "reports" / batch).glob("*/report.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        del report["timings"]
        reports[path.parent.name] = report
    return reports


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dask") / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "batch" / SCAN, folder / SCAN)
    shutil.copy(SAMPLES / "electronic" / ELECTRONIC, folder / ELECTRONIC)
    return folder


@pytest.fixture(scope="module")
def default_run(inputs: Path, prefect_harness: None) -> tuple[Path, BatchResult]:
    """The batch on the default runner (threads and the page pool)."""
    store = inputs.parent / "store-default"
    return store, process_batch(paths=[str(inputs)], batch="b1", store=str(store))


def test_a_two_worker_local_cluster_gets_the_default_runners_reports(
    inputs: Path,
    default_run: tuple[Path, BatchResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default_store, default_result = default_run
    cache = tmp_path / "cache"  # the Dask run reads every page afresh
    monkeypatch.setenv("SHENBAO_CACHE_DIR", str(cache))
    monkeypatch.setattr(onnxruntime, "InferenceSession", _refuse)  # not in this process
    runner = task_runner(1, dask_workers=2)
    assert runner.cluster_kwargs == {"n_workers": 2, "threads_per_worker": 1, "processes": True}
    store = tmp_path / "store-dask"
    result = process_batch.with_options(task_runner=runner)(
        paths=[str(inputs)], batch="b1", store=str(store)
    )

    assert result.model_dump(exclude={"manifest_location", "index_location"}) == (
        default_result.model_dump(exclude={"manifest_location", "index_location"})
    )
    reports = _reports(store, "b1")
    assert sorted(reports) == ["P001-p001-009", "scan_0003-p001-006"]
    assert reports == _reports(default_store, "b1")
    assert [p["kind"] for p in reports["scan_0003-p001-006"]["pages"]] == ["scan"] * 6
    for name in ("manifest.json", "index.html"):
        assert (store / "batches/b1" / name).read_bytes() == (
            default_store / "batches/b1" / name
        ).read_bytes()
    # the workers OCR'd the six scanned pages (and their seals) into the run's cache
    assert len(list((cache / "ocr").rglob("*.json"))) >= 6
    assert len(list((cache / "pages").rglob("*.json"))) == 2


def test_an_unchanged_batch_reruns_without_ocr(
    inputs: Path,
    default_run: tuple[Path, BatchResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default_store, _ = default_run
    store = Path(shutil.copytree(default_store, tmp_path / "store"))
    before = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    # no OCR session here, no page pool started, no file's pages read
    monkeypatch.setattr(onnxruntime, "InferenceSession", _refuse)
    monkeypatch.setattr(batch_module, "PagePool", _refuse)
    monkeypatch.setattr(batch_module, "read_pages", _refuse)
    again = process_batch(paths=[str(inputs)], batch="b1", store=str(store))
    assert again.written == 0
    assert {p: p.read_bytes() for p in store.rglob("*") if p.is_file()} == before


def test_the_runner_is_chosen_by_the_options() -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    threads = task_runner(3)
    assert isinstance(threads, ThreadPoolTaskRunner) and threads._max_workers == 3
    remote = task_runner(3, dask="tcp://scheduler:8786")
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://scheduler:8786"
    with pytest.raises(InputError, match="or --dask-workers"):
        task_runner(3, dask="tcp://scheduler:8786", dask_workers=2)


def test_run_refuses_both_dask_options(inputs: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(inputs),
            "--store",
            str(tmp_path / "store"),
            "--dask",
            "tcp://127.0.0.1:8786",
            "--dask-workers",
            "2",
        ],
    )
    assert result.exit_code == 1
    assert "--dask-workers" in result.output
    assert not (tmp_path / "store" / "batches").exists()


# --- a page that hangs -------------------------------------------------------------------


def _page(source: SourcePage) -> ReadPage:
    return ReadPage(
        page=Page(
            number=source.file_page,
            source_page=source.file_page,
            kind=source.kind,
            width_pt=100,
            height_pt=100,
        )
    )


def _scans(count: int) -> Iterator[SourcePage]:
    for number in range(1, count + 1):
        yield SourcePage(
            file_page=number,
            kind=SourceKind.SCAN,
            width_pt=100,
            height_pt=100,
            image=np.full((20, 20, 3), number, np.uint8),
            dpi=200,
        )


def test_a_hanging_page_on_the_cluster_is_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect_dask import DaskTaskRunner

    @batch_module.step
    def slow_page(source: SourcePage, rules: Rules, ocr: OcrSettings, cache_dir: Path) -> ReadPage:
        if source.file_page == 2:
            time.sleep(5)  # longer than the timeout; the thread is left to finish
        return _page(source)

    monkeypatch.setattr(cluster_module, "read_page_task", slow_page)
    monkeypatch.setattr(cluster_module, "iter_pages", lambda path, kind, settings, rules: _scans(4))
    settings = Settings(page_timeout_s=2)
    files = [SimpleNamespace(source=SimpleNamespace(path=None), kind=None)]
    runner = DaskTaskRunner(
        cluster_kwargs={"n_workers": 1, "threads_per_worker": 4, "processes": False}
    )

    @flow(task_runner=runner)
    def read_four() -> list[tuple[int, ReadPage]]:
        engine = batch_module.reading_engine(settings)
        return list(read_on_cluster(files, settings, RULES, engine, 4))  # type: ignore[arg-type]

    read = read_four()
    assert [(i, r.page.source_page) for i, r in read] == [(0, 1), (0, 2), (0, 3), (0, 4)]
    assert [r.error is not None for _, r in read] == [False, True, False, False]
    assert "超时" in (read[1][1].error or "")


def test_a_file_that_fails_to_open_on_the_cluster_path_is_told_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pages of the files around it are read; after the failing file's pages comes
    what it failed with, under its own index (issue 14: set aside, the batch goes on)."""

    def pages(path: str, kind: object, settings: object, rules: object) -> Iterator[SourcePage]:
        yield SourcePage(file_page=1, kind=SourceKind.TEXT_LAYER, width_pt=100, height_pt=100)
        if path == "broken":
            raise InputError("cannot open PDF: truncated")

    monkeypatch.setattr(cluster_module, "iter_pages", pages)
    files = [
        SimpleNamespace(source=SimpleNamespace(path=name), kind=None)
        for name in ("first", "broken", "last")
    ]
    settings = Settings()
    read = list(
        read_on_cluster(files, settings, RULES, batch_module.reading_engine(settings), 4)  # type: ignore[arg-type]
    )
    assert [(i, type(r).__name__) for i, r in read] == [
        (0, "ReadPage"),
        (1, "ReadPage"),
        (1, "InputError"),
        (2, "ReadPage"),
    ]
