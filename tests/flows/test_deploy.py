"""Deployments: ``process-batch`` on demand and ``reconcile-latest`` on a cron, served by
``shenbao serve`` or declared in ``prefect.yaml``; the nightly reconcile itself."""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import prefect
import pytest
import yaml
from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.deployments.runner import RunnerDeployment
from typer.testing import CliRunner

# Prefect sets up its console logging on first import, on whatever stderr is current (see
# test_cli.py): imported here, not first inside CliRunner.
import flows.batch  # noqa: F401
from flows import deploy
from flows.batch import process_batch
from flows.cli import app
from flows.deploy import DeploySettings, deployments, load_deploy_settings
from flows.reconcile import (
    ReconcileFailedError,
    newest_export,
    reconcile_latest,
    stored_batches,
)
from pipeline.errors import ConfigError, InputError
from storage.local_store import LocalStore
from tests.readers import SAMPLES

REPO = Path(__file__).resolve().parents[2]
C003 = "C003-p001-006"
SCHEDULE_ENV = ("SHENBAO_RECONCILE_CRON", "SHENBAO_RECONCILE_TIMEZONE", "SHENBAO_EXPORTS_DIR")

runner = CliRunner()


@pytest.fixture(autouse=True)
def default_schedule_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults, whatever the shell running the tests has set."""
    for name in (*SCHEDULE_ENV, "SHENBAO_STORE"):
        monkeypatch.delenv(name, raising=False)


def _by_name(found: list[RunnerDeployment]) -> dict[str, RunnerDeployment]:
    return {d.name: d for d in found}


def _cron(deployment: Any) -> tuple[str, str | None]:
    (schedule,) = deployment.schedules
    return schedule.schedule.cron, schedule.schedule.timezone


# --- the deployments -------------------------------------------------------------------


def test_the_two_deployments_by_default() -> None:
    found = _by_name(deployments())
    assert set(found) == {"process-batch", "reconcile-latest"}
    batch, reconcile = found["process-batch"], found["reconcile-latest"]
    assert (batch.flow_name, batch.entrypoint) == (
        "process-batch",
        "flows.batch.process_batch",
    )
    assert (reconcile.flow_name, reconcile.entrypoint) == (
        "reconcile-latest",
        "flows.reconcile.reconcile_latest",
    )
    # on demand, with the store from Settings; paths given with each run
    assert batch.schedules == []
    assert batch.parameters == {"store": "var/store"}
    assert {"paths", "online", "batch", "store", "received"} <= set(
        batch._parameter_openapi_schema.properties
    )
    assert batch._parameter_openapi_schema.required == ["paths"]
    # nightly at 02:00 in Guizhou's (China's) time
    assert _cron(reconcile) == ("0 2 * * *", "Asia/Shanghai")
    assert reconcile.parameters == {"exports": "var/exports", "store": "var/store"}
    assert reconcile.concurrency_limit == 1


def test_the_schedule_exports_and_store_are_configurable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHENBAO_RECONCILE_CRON", "30 1 * * 1-5")
    monkeypatch.setenv("SHENBAO_RECONCILE_TIMEZONE", "UTC")
    monkeypatch.setenv("SHENBAO_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("SHENBAO_STORE", "s3://shenbao/prod")
    found = _by_name(deployments())
    reconcile = found["reconcile-latest"]
    assert _cron(reconcile) == ("30 1 * * 1-5", "UTC")
    assert reconcile.parameters == {
        "exports": str(tmp_path / "exports"),
        "store": "s3://shenbao/prod",
    }
    assert found["process-batch"].parameters == {"store": "s3://shenbao/prod"}
    # what is given (the command line's options) goes before the environment
    settings = load_deploy_settings(cron="0 3 * * *", exports=Path("in"))
    assert (settings.reconcile_cron, settings.reconcile_timezone) == ("0 3 * * *", "UTC")
    reconcile = _by_name(deployments(settings, store="other"))["reconcile-latest"]
    assert _cron(reconcile) == ("0 3 * * *", "UTC")
    assert reconcile.parameters == {"exports": "in", "store": "other"}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"cron": "not a cron"}, 'Invalid cron string: "not a cron"'),
        ({"cron": "61 2 * * *"}, "Invalid cron string"),
        ({"timezone": "Mars/Olympus"}, 'Invalid timezone: "Mars/Olympus"'),
    ],
)
def test_a_bad_schedule_fails_in_one_line(given: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_deploy_settings(**given)
    assert "\n" not in str(caught.value)


def test_a_bad_schedule_in_the_environment_fails_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHENBAO_RECONCILE_TIMEZONE", "Asia/Guiyang")
    with pytest.raises(ConfigError, match="Asia/Guiyang"):
        deployments()


@pytest.mark.usefixtures("prefect_harness")
def test_applied_deployments_are_registered_with_their_schedule() -> None:
    for deployment in deployments(DeploySettings(), store="var/store"):
        deployment.apply()
    with get_client(sync_client=True) as client:
        batch = client.read_deployment_by_name("process-batch/process-batch")
        reconcile = client.read_deployment_by_name("reconcile-latest/reconcile-latest")
    assert batch.entrypoint == "flows.batch.process_batch"
    assert batch.schedules == [] and batch.parameters == {"store": "var/store"}
    assert reconcile.entrypoint == "flows.reconcile.reconcile_latest"
    assert _cron(reconcile) == ("0 2 * * *", "Asia/Shanghai")
    assert reconcile.schedules[0].active
    assert reconcile.parameters == {"exports": "var/exports", "store": "var/store"}

    # served again with another schedule: the registered one follows
    settings = load_deploy_settings(cron="15 22 * * *", timezone="UTC")
    _by_name(deployments(settings))["reconcile-latest"].apply()
    with get_client(sync_client=True) as client:
        reconcile = client.read_deployment_by_name("reconcile-latest/reconcile-latest")
    assert _cron(reconcile) == ("15 22 * * *", "UTC")


def test_serve_all_serves_both(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[tuple[RunnerDeployment, ...]] = []
    monkeypatch.setattr(prefect, "serve", lambda *found, **kwargs: served.append(found))
    deploy.serve_all(load_deploy_settings(timezone="UTC"), store="s")
    ((batch, reconcile),) = served
    assert (batch.name, reconcile.name) == ("process-batch", "reconcile-latest")
    assert _cron(reconcile) == ("0 2 * * *", "UTC")


# --- shenbao serve ---------------------------------------------------------------------


def test_serve_registers_both_with_the_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    served: list[tuple[RunnerDeployment, ...]] = []
    monkeypatch.setattr(prefect, "serve", lambda *found, **kwargs: served.append(found))
    (tmp_path / "exports").mkdir()
    arguments = ["--cron", "0 4 * * *", "--timezone", "Asia/Urumqi"]
    arguments += ["--exports", str(tmp_path / "exports"), "--store", str(tmp_path / "store")]
    result = runner.invoke(app, ["serve", *arguments])
    assert result.exit_code == 0, result.output
    (found,) = served
    reconcile = _by_name(list(found))["reconcile-latest"]
    assert _cron(reconcile) == ("0 4 * * *", "Asia/Urumqi")
    assert reconcile.parameters == {
        "exports": str(tmp_path / "exports"),
        "store": str(tmp_path / "store"),
    }
    assert _by_name(list(found))["process-batch"].parameters == {"store": str(tmp_path / "store")}
    assert "warning" not in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--cron", "not a cron"], "Invalid cron string"),
        (["--timezone", "Beijing"], 'Invalid timezone: "Beijing"'),
        (["--store", "ftp://host/x"], "unsupported store URI scheme"),
    ],
)
def test_serve_fails_at_once_in_one_line(
    monkeypatch: pytest.MonkeyPatch, arguments: list[str], message: str
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Prefect must not start")

    monkeypatch.setattr(prefect, "serve", refuse)
    result = runner.invoke(app, ["serve", *arguments])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_serve_warns_of_a_missing_exports_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(prefect, "serve", lambda *found, **kwargs: None)
    result = runner.invoke(app, ["serve", "--exports", str(tmp_path / "nowhere")])
    assert result.exit_code == 0, result.output
    assert "does not exist yet" in result.output


# --- prefect.yaml ----------------------------------------------------------------------


def test_prefect_yaml_declares_both_for_the_work_pool() -> None:
    project = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    ((step, arguments),) = (item for pull in project["pull"] for item in pull.items())
    assert step == "prefect.deployments.steps.set_working_directory" and arguments["directory"]
    found = {d["name"]: d for d in project["deployments"]}
    assert set(found) == {"process-batch", "reconcile-latest"}
    flows = {}
    for name, declared in found.items():
        path, _, function = declared["entrypoint"].partition(":")
        assert (REPO / path).is_file()
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flows[name] = getattr(module, function)
        assert isinstance(flows[name], Flow) and flows[name].name == name
        assert declared["work_pool"]["name"] == "shenbao"
        # every parameter given is one the flow takes
        assert set(declared.get("parameters") or {}) <= set(flows[name].parameters.properties)
    assert flows["process-batch"] is process_batch
    assert flows["reconcile-latest"] is reconcile_latest
    assert "schedules" not in found["process-batch"]
    ((schedule),) = found["reconcile-latest"]["schedules"]
    defaults = DeploySettings()
    assert (schedule["cron"], schedule["timezone"]) == (
        defaults.reconcile_cron,
        defaults.reconcile_timezone,
    )
    assert found["reconcile-latest"]["parameters"]["exports"] == str(defaults.exports_dir)


# --- reconcile_latest ------------------------------------------------------------------


@pytest.fixture(scope="module")
def stored_once(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    """Two batches of one DOCX (no page to render): b1 checked against the sample export,
    b2 against none."""
    root = tmp_path_factory.mktemp("reconcile-latest")
    folder = root / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "electronic" / "C003.docx", folder / "C003.docx")
    for batch, online in (("b1", str(SAMPLES / "online" / "export.csv")), ("b2", None)):
        process_batch(
            paths=[str(folder)],
            online=online,
            batch=batch,
            store=str(root / "store"),
            received="2022-08-12",
        )
    return root / "store"


@pytest.fixture
def stored(stored_once: Path, tmp_path: Path) -> Path:
    """The stored batches, a copy of their own for each test."""
    return Path(shutil.copytree(stored_once, tmp_path / "store"))


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def _newer_export(folder: Path, name: str = "export-newer.csv") -> Path:
    """The sample export with C003's revenue changed, as exported again."""
    text = (SAMPLES / "online" / "export.csv").read_bytes().decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("申报编号")] == "GZ2022-0122":
            row[header.index("上年度营业收入（万元）")] = "109675.9"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = folder / name
    path.write_bytes(out.getvalue().encode("gb18030"))
    return path


def _set_mtime(path: Path, seconds: int) -> None:
    os.utime(path, ns=(seconds * 10**9, seconds * 10**9))


def _manifest_export(store: Path, batch: str) -> str | None:
    manifest = json.loads((store / "batches" / batch / "manifest.json").read_text("utf-8"))
    return manifest["online"] and manifest["online"]["file"]


def _findings(store: Path, batch: str) -> list[tuple[str, str | None]]:
    report = json.loads((store / "reports" / batch / C003 / "report.json").read_text("utf-8"))
    return [(f["code"], f["field"]) for f in report["findings"]]


def _snapshot(store: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}


def test_the_newest_export_reconciles_every_batch_once(stored: Path, exports: Path) -> None:
    shutil.copy(SAMPLES / "online" / "export.csv", exports / "export.csv")
    _set_mtime(exports / "export.csv", 1_600_000_000)
    _set_mtime(_newer_export(exports), 1_700_000_000)
    assert ("FIELD_MISMATCH", "revenue") not in _findings(stored, "b1")
    result = reconcile_latest(exports=str(exports), store=str(stored))
    assert result.export is not None and result.export.file == "export-newer.csv"
    assert (result.reconciled, result.skipped, result.failed) == (("b1", "b2"), (), ())
    for batch in ("b1", "b2"):
        assert _manifest_export(stored, batch) == "export-newer.csv"
        assert ("FIELD_MISMATCH", "revenue") in _findings(stored, batch)

    before = _snapshot(stored)
    again = reconcile_latest(exports=str(exports), store=str(stored))
    assert (again.reconciled, again.skipped, again.failed) == ((), ("b1", "b2"), ())
    assert _snapshot(stored) == before


def test_the_newest_is_by_modification_time_not_name(stored: Path, exports: Path) -> None:
    # the changed export is older here: the sample export, newer, is the one b1 has seen
    _set_mtime(_newer_export(exports), 1_600_000_000)
    shutil.copy(SAMPLES / "online" / "export.csv", exports / "export.csv")
    _set_mtime(exports / "export.csv", 1_700_000_000)
    result = reconcile_latest(exports=str(exports), store=str(stored))
    assert result.export is not None and result.export.file == "export.csv"
    assert (result.reconciled, result.skipped) == (("b2",), ("b1",))
    assert _manifest_export(stored, "b2") == "export.csv"


def test_only_the_batches_asked_for(stored: Path, exports: Path) -> None:
    _newer_export(exports)
    result = reconcile_latest(exports=str(exports), store=str(stored), batches=["b2"])
    assert (result.reconciled, result.skipped) == (("b2",), ())
    assert _manifest_export(stored, "b1") == "export.csv"


def test_a_failing_batch_leaves_the_others_reconciled(stored: Path, exports: Path) -> None:
    _newer_export(exports)
    (stored / "reports" / "b1" / C003 / "report.json").unlink()  # b1 cannot be re-checked
    with pytest.raises(ReconcileFailedError, match=r"2 of 3 batches.*b1: .*no reports/b1/C003"):
        reconcile_latest(exports=str(exports), store=str(stored), batches=["b1", "b2", "b9"])
    assert _manifest_export(stored, "b2") == "export-newer.csv"
    assert _manifest_export(stored, "b1") == "export.csv"


def test_no_export_does_nothing(stored: Path, exports: Path) -> None:
    (exports / "notes.txt").write_text("not an export", encoding="utf-8")
    (exports / "~$export.xlsx").write_bytes(b"lock")  # Excel's lock file while it is open
    (exports / "sub.csv").mkdir()
    before = _snapshot(stored)
    result = reconcile_latest(exports=str(exports), store=str(stored))
    assert result.export is None and result.reconciled == result.skipped == ()
    assert _snapshot(stored) == before
    with pytest.raises(InputError, match="does not exist"):
        reconcile_latest(exports=str(exports / "missing"), store=str(stored))


def test_newest_export_ties_go_to_the_last_name(tmp_path: Path) -> None:
    for name in ("export-2022-08-12.xlsx", "export-2022-08-13.JSON", ".hidden.csv"):
        (tmp_path / name).write_bytes(b"x")
        _set_mtime(tmp_path / name, 1_700_000_000)
    newest = newest_export(tmp_path)
    assert newest is not None and newest.name == "export-2022-08-13.JSON"


def test_stored_batches_are_those_with_a_manifest(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for key in ("batches/b2/manifest.json", "batches/b1/manifest.json", "batches/b1/index.html"):
        store.put_bytes(key, b"{}")
    store.put_bytes("batches/b3/versions/manifest.json", b"{}")
    assert stored_batches(store) == ["b1", "b2"]
