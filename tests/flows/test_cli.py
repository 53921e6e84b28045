"""The ``shenbao`` command: exit 0 when the batch ran, 1 in one line when it could not."""

from __future__ import annotations

import json
import logging
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

# Prefect sets up its console logging on first import, on whatever stderr is current. The
# command imports it lazily, which inside CliRunner would be a stream closed right after.
import shenbao.flows.batch  # noqa: F401
from shenbao.flows import cli
from shenbao.flows.cli import app
from shenbao.pipeline.errors import StorageError
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
    import shenbao.samples.generator as generator

    calls: list[tuple[Path, int, int]] = []

    def generate_corpus(out: Path, count: int, seed: int) -> None:
        calls.append((out, count, seed))

    monkeypatch.setattr(generator, "generate_corpus", generate_corpus, raising=False)
    result = runner.invoke(app, ["samples", "generate", "--out", str(tmp_path / "corpus")])
    assert result.exit_code == 0, result.output
    assert calls == [(tmp_path / "corpus", 12, 20220801)]
    result = runner.invoke(
        app, ["samples", "generate", "--out", str(tmp_path), "--count", "3", "--seed", "7"]
    )
    assert calls[-1] == (tmp_path, 3, 7)


def test_only_the_commands_of_this_stage_exist() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    group = typer.main.get_group(app)
    assert set(group.commands) == {
        "run",
        "inspect",
        "reconcile",
        "serve",
        "samples",
        "bench",
    }
    assert set(getattr(group.commands["samples"], "commands", {})) == {"generate"}
    assert set(getattr(group.commands["bench"], "commands", {})) == {
        "ocr",
        "extract",
        "seals",
        "findings",
        "batch",
        "batch-run",  # hidden: one run of bench batch, in its child process
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
        ["bench", "ocr"],
        ["bench", "extract"],
        ["bench", "seals"],
        ["bench", "findings"],
        ["bench", "batch"],
        ["bench", "batch-run"],
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
    with cli._expected_errors_without_traceback():
        for error in (StorageError("disk full"), ValueError("a bug")):
            try:
                raise error
            except Exception:
                log.exception("run failed")
    expected, unexpected = caplog.records[-2:]
    assert expected.exc_info is None and "StorageError" not in caplog.text
    assert unexpected.exc_info is not None and "ValueError: a bug" in caplog.text


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
