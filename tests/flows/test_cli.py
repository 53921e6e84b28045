"""The ``shenbao`` command: exit 0 when the batch ran, 1 in one line when it could not."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
import typer
from typer.testing import CliRunner

# Prefect sets up its console logging on first import, on whatever stderr is current. The
# command imports it lazily, which inside CliRunner would be a stream closed right after.
import flows.batch  # noqa: F401
from flows import cli, console
from flows.cli import app
from pipeline.errors import StorageError
from tests.processes import still_running
from tests.readers import SAMPLES

runner = CliRunner()


@pytest.fixture
def batch_folder(tmp_path: Path, pdf_bytes: Callable[..., bytes]) -> Path:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(pdf_bytes(pages=3))
    (folder / "empty.pdf").write_bytes(b"")
    return folder


@pytest.mark.usefixtures("prefect_harness")
def test_run_prints_the_manifest_and_exits_0_despite_quarantine(
    batch_folder: Path, tmp_path: Path
) -> None:
    export = tmp_path / "export.xlsx"
    shutil.copy(SAMPLES / "online" / "export.xlsx", export)
    store = tmp_path / "store"
    result = runner.invoke(
        app,
        [
            "run",
            str(batch_folder),
            "--online",
            str(export),
            "--store",
            str(store),
            "--workers",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    (manifest,) = store.glob("batches/*/manifest.json")
    for shown in (
        "scan.pdf",
        "empty.pdf",
        "processed",
        "quarantined",
        "空文件",
        "2 files: 1 processed, 1 quarantined",
        "export.xlsx",
        "manifest:",
    ):
        assert shown in result.output
    assert manifest.parent.name in result.output


def test_the_tables_fold_ids_and_reasons_never_cut_them() -> None:
    """On a narrow console (a log, a pipe: 80 columns) an id or a reason is folded onto
    more lines, never cut with an ellipsis: a reviewer copies ids from here."""
    import io

    from rich.console import Console

    from pipeline.model import Manifest, ManifestEntry

    sid = "sub_x-p001-006-pdf-1e4085a7"
    reason = "这是电子表格或数据文件，不是纸质申报材料；如是网上填报导出，请用 --online 传入"
    manifest = Manifest(
        batch="b1",
        files=(
            ManifestEntry(
                file="sub/x.pdf",
                sha256="0" * 64,
                size=1,
                state="processed",
                pages=6,
                submissions=(sid,),
            ),
            ManifestEntry(
                file="export.csv", sha256="1" * 64, size=1, state="quarantined", reason=reason
            ),
        ),
    )
    out = io.StringIO()
    Console(file=out, width=60).print(cli._manifest_table(manifest))
    printed = out.getvalue()
    assert "…" not in printed

    def column(index: int) -> str:
        cells = [line.split("│")[index].strip() for line in printed.splitlines() if "│" in line]
        return "".join(cells)

    assert sid in column(4)
    assert reason.replace(" ", "") in column(5).replace(" ", "")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--online", "{tmp}/missing.xlsx"], "cannot read"),
        (["--store", "s3://bucket"], "not reachable"),
        (["--batch", "../up"], "invalid batch id"),
        (["{tmp}/no-such-folder"], "does not exist"),
    ],
)
def test_run_failures_are_one_line(
    batch_folder: Path,
    tmp_path: Path,
    arguments: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # an S3 endpoint where nothing listens (a port just freed), tried once
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    monkeypatch.setenv("MINIO_ENDPOINT", f"127.0.0.1:{free_port}")
    monkeypatch.setenv("MINIO_SECURE", "false")
    monkeypatch.setenv("MINIO_ATTEMPTS", "1")
    arguments = [a.format(tmp=tmp_path) for a in arguments]
    result = runner.invoke(
        app, ["run", str(batch_folder), "--store", str(tmp_path / "store"), *arguments]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_run_needs_a_path() -> None:
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2


def test_samples_generate_calls_the_generator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shenbao_lab.generator as generator

    calls: list[tuple[Path, int, int, str]] = []

    def generate_corpus(out: Path, count: int, seed: int, styles: str = "house") -> None:
        calls.append((out, count, seed, styles))

    monkeypatch.setattr(generator, "generate_corpus", generate_corpus, raising=False)
    result = runner.invoke(app, ["samples", "generate", "--out", str(tmp_path / "corpus")])
    assert result.exit_code == 0, result.output
    assert calls == [(tmp_path / "corpus", 12, 20220801, "house")]
    result = runner.invoke(
        app, ["samples", "generate", "--out", str(tmp_path), "--count", "3", "--seed", "7"]
    )
    assert calls[-1] == (tmp_path, 3, 7, "house")
    result = runner.invoke(
        app, ["samples", "generate", "--out", str(tmp_path), "--styles", "tuned"]
    )
    assert result.exit_code == 0, result.output
    assert calls[-1] == (tmp_path, 12, 20220801, "tuned")
    result = runner.invoke(app, ["samples", "generate", "--out", str(tmp_path), "--styles", "x"])
    assert result.exit_code != 0


def test_only_the_commands_of_this_stage_exist() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    group = typer.main.get_group(app)
    assert set(group.commands) == {
        "run",
        "inspect",
        "reconcile",
        "serve",
        "users",
        "review",
        "samples",
        "bench",
    }
    assert set(getattr(group.commands["users"], "commands", {})) == {
        "add",
        "list",
        "remove",
        "passwd",
    }
    assert set(getattr(group.commands["samples"], "commands", {})) == {"generate", "stamped"}
    assert set(getattr(group.commands["bench"], "commands", {})) == {
        "ocr",
        "extract",
        "seals",
        "findings",
        "batch",
        "batch-run",  # hidden: one run of bench batch, in its child process
        "owners",
        "look-alikes",  # writes rules/look_alikes.yaml from rendered glyphs
        "review",  # the sample batch cleared by keyboard in the workbench, timed
    }


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["inspect"],
        ["reconcile"],
        ["serve"],
        ["samples", "generate"],
        ["samples", "stamped"],
        ["bench", "ocr"],
        ["bench", "extract"],
        ["bench", "seals"],
        ["bench", "findings"],
        ["bench", "batch"],
        ["bench", "batch-run"],
        ["bench", "owners"],
    ],
    ids=lambda c: " ".join(c) or "shenbao",
)
def test_every_command_explains_itself(command: list[str]) -> None:
    """--help renders (rich markup in a help text, like s3://bucket[/prefix], broke it)."""
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_logs_of_expected_errors_lose_their_traceback(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("shenbao.tests")
    with console.expected_errors_without_traceback():
        for error in (StorageError("disk full"), ValueError("a bug")):
            try:
                raise error
            except Exception:
                log.exception("run failed")
    expected, unexpected = caplog.records[-2:]
    assert expected.exc_info is None and "StorageError" not in caplog.text
    assert unexpected.exc_info is not None and "ValueError: a bug" in caplog.text


def test_logs_people_read_show_hidden_characters(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("shenbao.tests")
    with console.expected_errors_without_traceback():
        log.warning("online filing %s has no paper in this batch", "GZ2022-\u202e2910")
    log.warning("after the command: %s", "\u202e")
    during, after = caplog.records[-2:]
    assert during.getMessage() == "online filing GZ2022-⟨U+202E⟩2910 has no paper in this batch"
    assert after.getMessage() == "after the command: \u202e"  # the filter is gone with it


def test_inspect_prints_the_report_as_json() -> None:
    result = runner.invoke(app, ["inspect", str(SAMPLES / "electronic" / "P001.pdf"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["submission_id"] == "P001-p001-009" and report["annex"] == "pilot"
    assert report["fields"]["uscc"]["value"] and report["online"] is None


@pytest.mark.parametrize(
    ("name", "export", "online", "codes"),
    [
        # its paper USCC is the planted bad one: matched by the organisation's name
        ("P008.pdf", "export.xlsx", {"matched_by": "org_name", "record_id": "GZ2022-0157"}, []),
        ("P010.docx", "export.csv", None, ["ONLINE_RECORD_MISSING"]),  # filed no online row
    ],
)
def test_inspect_matches_the_file_to_its_online_filing(
    name: str, export: str, online: dict[str, str] | None, codes: list[str]
) -> None:
    result = runner.invoke(
        app,
        [
            "inspect",
            str(SAMPLES / "electronic" / name),
            "--online",
            str(SAMPLES / "online" / export),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    if online is None:
        assert report["online"] is None
    else:
        assert {k: report["online"][k] for k in online} == online
    assert [f["code"] for f in report["findings"] if "ONLINE" in f["code"]] == codes
    assert not [f for f in report["findings"] if f["code"] == "PAPER_MISSING"]


ROOT = Path(__file__).resolve().parents[2]


def _as_a_user_would(tmp_path: Path, **settings: str) -> dict[str, str]:
    """A shell's environment without the Makefile's (nor these tests') Prefect settings:
    ``shenbao`` called directly. Home and caches of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env["HOME"] = str(tmp_path / "home")
    env["SHENBAO_CACHE_DIR"] = str(tmp_path / "cache")
    return {**env, **settings}


def _run_as_a_user_would(
    command: list[str], tmp_path: Path, timeout: float = 600, **settings: str
) -> subprocess.CompletedProcess[str]:
    """``command`` run in ``tmp_path`` with ``_as_a_user_would``'s environment, its output
    captured as text."""
    return subprocess.run(
        command,
        cwd=tmp_path,
        env=_as_a_user_would(tmp_path, **settings),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _shenbao(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "flows.cli", *arguments]


@pytest.fixture
def one_pdf(tmp_path: Path) -> Path:
    """A folder holding one born-digital PDF (no OCR: what costs is Prefect's start-up)."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "electronic" / "P001.pdf", folder / "P001.pdf")
    return folder


def test_run_called_directly_stands_on_its_own_and_ends_clean(
    one_pdf: Path, tmp_path: Path
) -> None:
    result = _run_as_a_user_would(
        _shenbao("run", str(one_pdf), "--store", str(tmp_path / "store")), tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "1 files: 1 processed, 0 quarantined" in result.stdout
    # Prefect's state under the working folder, as `make run` has it
    assert (tmp_path / "var" / "prefect" / "prefect.db").is_file()
    # a good run's output tells of no failure: no traceback, no error
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert "Error" not in result.stderr, result.stderr


def test_prefect_gets_the_commands_defaults_unless_the_user_set_them(tmp_path: Path) -> None:
    from flows import prefect_env

    environ = {"PREFECT_LOGGING_LEVEL": "ERROR", "PREFECT_HOME": str(tmp_path / "mine" / "p")}
    prefect_env.apply_defaults(environ)
    assert environ["PREFECT_LOGGING_LEVEL"] == "ERROR"
    assert environ["PREFECT_HOME"] == str(tmp_path / "mine" / "p")
    assert (tmp_path / "mine" / "p").is_dir()  # Prefect would make only its last folder
    assert environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "120"
    # and Prefect, imported after, reads them
    shown = _run_as_a_user_would(
        [
            sys.executable,
            "-c",
            "from flows.prefect_env import apply_defaults; apply_defaults()\n"
            "from prefect.settings import get_current_settings\n"
            "s = get_current_settings()\n"
            "print(s.home, s.server.analytics_enabled, "
            "s.server.ephemeral.startup_timeout_seconds, s.logging.level)",
        ],
        tmp_path,
        timeout=300,
        PREFECT_LOGGING_LEVEL="ERROR",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [str(tmp_path / "var" / "prefect"), "False", "120", "ERROR"]


@pytest.mark.parametrize(
    ("file", "text", "environ"),
    [
        (
            "var/prefect/profiles.toml",
            'active = "office"\n[profiles.office]\nPREFECT_API_URL = "http://prefect:4200/api"\n',
            {},
        ),
        (
            "p.toml",
            '[profiles.office]\nPREFECT_API_URL = "http://prefect:4200/api"\n',
            {"PREFECT_PROFILES_PATH": "p.toml", "PREFECT_PROFILE": "office"},
        ),
        ("prefect.toml", '[api]\nurl = "http://prefect:4200/api"\n', {}),
        ("pyproject.toml", '[tool.prefect.api]\nurl = "http://prefect:4200/api"\n', {}),
        (".env", "export PREFECT_API_URL=http://prefect:4200/api\n", {}),
    ],
    ids=["profile", "profiles-path", "prefect.toml", "pyproject", "dotenv"],
)
def test_a_server_named_in_prefects_files_is_used_not_a_temporary_one(
    tmp_path: Path, file: str, text: str, environ: dict[str, str]
) -> None:
    from flows import prefect_env

    (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / file).write_text(text, encoding="utf-8")
    environ = {
        "PREFECT_HOME": str(tmp_path / "var" / "prefect"),
        **{k: str(tmp_path / v) if k.endswith("PATH") else v for k, v in environ.items()},
    }
    assert prefect_env.api_url_configured_in_files(tmp_path, environ)


def test_prefects_files_naming_no_server_leave_the_temporary_one(tmp_path: Path) -> None:
    from flows import prefect_env

    home = tmp_path / "var" / "prefect"
    home.mkdir(parents=True)
    # another profile names a server, the active one does not; a broken prefect.toml
    (home / "profiles.toml").write_text(
        'active = "local"\n[profiles.local]\nPREFECT_LOGGING_LEVEL = "INFO"\n'
        '[profiles.office]\nPREFECT_API_URL = "http://prefect:4200/api"\n',
        encoding="utf-8",
    )
    (tmp_path / "prefect.toml").write_text("[api\nurl = ", encoding="utf-8")
    (tmp_path / ".env").write_text("PREFECT_API_KEY=x\n", encoding="utf-8")
    assert not prefect_env.api_url_configured_in_files(tmp_path, {"PREFECT_HOME": str(home)})


def test_the_command_line_imports_no_prefect_before_a_command_needs_it() -> None:
    """Prefect reads its settings when imported: the command's defaults and its server's
    address must be set before. And Prefect takes seconds to import: --help need not."""
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, flows.cli; print('prefect' in sys.modules)"],
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.stdout.strip() == "False", imported.stderr


A_FLOW_OF_MANY_TASKS = """
from flows import prefect_env

prefect_env.apply_defaults()
server = prefect_env.start_server()
from prefect import flow, task


@task
def step(number):
    return number


@flow
def many(count):
    return [f.result() for f in step.map(range(count))]


prefect_env.api_ready(server)
many(30)
"""


def test_prefects_server_stops_without_tracebacks_right_after_a_flow(tmp_path: Path) -> None:
    """The process ends as soon as its flow has: the server has its last task runs' events
    still to record, and stopped mid-write it printed CancelledError tracebacks."""
    result = _run_as_a_user_would([sys.executable, "-c", A_FLOW_OF_MANY_TASKS], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Error" not in result.stderr, result.stderr


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        # a busy machine: the server not up in time
        ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "1", "did not start within 1 s"),
        # a Prefect server named that is not there
        ("PREFECT_API_URL", "http://127.0.0.1:{port}/api", "does not answer"),
    ],
)
def test_a_prefect_that_cannot_start_is_one_line_and_exit_1(
    one_pdf: Path, tmp_path: Path, setting: str, value: str, message: str
) -> None:
    result = _run_as_a_user_would(
        _shenbao("run", str(one_pdf), "--store", str(tmp_path / "store")),
        tmp_path,
        **{setting: value.format(port=_closed_port())},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line


def _command_lines(processes: list[psutil.Process]) -> list[str]:
    """Each process's whole command line (cut, ``uvicorn`` or ``spawn_main`` would be lost
    after a long interpreter path: a checkout in a deep folder)."""
    lines = []
    for process in processes:
        with contextlib.suppress(psutil.Error):  # ended meanwhile
            lines.append(" ".join(process.cmdline()))
    return lines


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM], ids=["KILL", "TERM"])
def test_a_killed_run_leaves_no_process_behind(tmp_path: Path, signal_number: int) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "batch" / "scan_0001.pdf", folder)  # scanned: read on the readers
    (tmp_path / "prefect").mkdir()
    run = subprocess.Popen(
        _shenbao("run", str(folder), "--store", str(tmp_path / "store")),
        cwd=tmp_path,
        # as a user would run it (the command's own Prefect defaults); a page cache and a
        # database of its own
        env={**_as_a_user_would(tmp_path), "PREFECT_HOME": str(tmp_path / "prefect")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # until Prefect's server runs and the page readers read
        deadline = time.monotonic() + 300
        while True:
            assert run.poll() is None, "the run ended before its readers started"
            assert time.monotonic() < deadline, "no readers after 300 s"
            started = psutil.Process(run.pid).children(recursive=True)
            lines = _command_lines(started)
            if any("uvicorn" in c for c in lines) and any("spawn_main" in c for c in lines):
                break
            time.sleep(0.2)
    finally:
        run.send_signal(signal_number)
        run.wait()
    deadline = time.monotonic() + 20
    while still_running(started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not still_running(started), _command_lines(still_running(started))


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_removes_the_spool_a_killed_run_left(
    batch_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHENBAO_CACHE_DIR", str(tmp_path / "cache"))
    spool = tmp_path / "cache" / "spool"
    # what killed runs left: one of a version before locks, one whose lock died with it
    for name in ("batch-old", "batch-killed"):
        (spool / name).mkdir(parents=True)
        (spool / name / "000001.json").write_text("{}")
    (spool / "batch-killed" / ".lock").touch()
    arguments = ["run", str(batch_folder), "--store", str(tmp_path / "store")]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert not (spool / "batch-old").exists() and not (spool / "batch-killed").exists()

    from flows.spool import run_spool

    with run_spool(spool) as going_on:  # a run at the same time: its spool is left alone
        (going_on / "000001.json").write_text("{}")
        assert runner.invoke(app, arguments).exit_code == 0
        assert (going_on / "000001.json").is_file()
    assert list(spool.iterdir()) == []
